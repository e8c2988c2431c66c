"""Areas (resolvers.areas): validation naming the field, point membership, H3 covers."""

from __future__ import annotations

from types import SimpleNamespace

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers import areas
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.ids import global_id
from tests.factories import make_station


def _ctx(sessionmaker=None) -> Context:
    return Context(sessionmaker=sessionmaker, lang="en")


def _area(**given_fields):
    fields = {"bbox": None, "governorate_id": None, "station_id": None, "polygon": None}
    fields.update(given_fields)
    return SimpleNamespace(**fields)


def _bbox(south, west, north, east):
    return SimpleNamespace(south=south, west=west, north=north, east=east)


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[44.0, 33.0], [44.2, 33.0], [44.2, 33.2], [44.0, 33.2], [44.0, 33.0]]],
}
WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        SQUARE["coordinates"][0],
        [[44.05, 33.05], [44.15, 33.05], [44.15, 33.15], [44.05, 33.15], [44.05, 33.05]],
    ],
}


async def _error(area, **kw) -> InputError:
    with pytest.raises(InputError) as raised:
        await areas.resolve_area(_ctx(kw.get("sessionmaker")), area)
    return raised.value


@pytest.mark.parametrize(
    ("box", "field"),
    [
        ((91, 44, 92, 45), "area.bbox.south"),
        ((33, -181, 34, 45), "area.bbox.west"),
        ((34, 44, 33, 45), "area.bbox.north"),
        ((33, 45, 34, 44), "area.bbox.east"),
        ((float("nan"), 44, 34, 45), "area.bbox.south"),
    ],
)
async def test_a_bad_box_names_its_field(box, field) -> None:
    error = await _error(_area(bbox=_bbox(*box)))
    assert error.extensions == {"code": "BAD_USER_INPUT", "argument": field}
    assert field in error.message


@pytest.mark.parametrize(
    ("polygon", "field"),
    [
        ({"type": "Point", "coordinates": [44, 33]}, "area.polygon"),
        ({"type": "Polygon", "coordinates": [[[44, 33], [45, 33], [44, 33]]]}, "area.polygon.coordinates.0"),
        (
            {"type": "Polygon", "coordinates": [[[44, 33], [45, 33], [45, 34], [44, 34.5]]]},
            "area.polygon.coordinates.0",
        ),
        (
            {"type": "Polygon", "coordinates": [[[44, 33], [45, 95], [45, 34], [44, 33]]]},
            "area.polygon.coordinates.0.1.1",
        ),
        (
            {"type": "Polygon", "coordinates": [[[44, 33 + i / 10_000] for i in range(1001)] + [[44, 33]]]},
            "area.polygon",
        ),
    ],
)
async def test_a_bad_polygon_names_its_field(polygon, field) -> None:
    error = await _error(_area(polygon=polygon))
    assert error.extensions["argument"] == field


async def test_governorates_and_stations_must_exist(sessionmaker) -> None:
    assert (await _error(_area(governorate_id=global_id("Governorate", "IQ-XX")))).extensions[
        "argument"
    ] == "area.governorateId"
    assert (await _error(_area(governorate_id=global_id("Station", "1")))).extensions[
        "argument"
    ] == "area.governorateId"
    missing = await _error(_area(station_id=global_id("Station", "999999999")), sessionmaker=sessionmaker)
    assert missing.extensions["argument"] == "area.stationId" and "no such Station" in missing.message

    async with sessionmaker() as session:
        station_id = await make_station(session, governorate="IQ-BA", latitude=30.5, longitude=47.8)
        await session.commit()
    area = await areas.resolve_area(_ctx(sessionmaker), _area(station_id=global_id("Station", station_id)))
    assert (area.kind, area.station_id, area.governorate) == (areas.STATION, station_id, "IQ-BA")
    assert area.matches(36.3, 43.1, station_id, "IQ-BA")  # a record of the station, wherever it happened
    assert not area.matches(30.5, 47.8, station_id + 1, "IQ-BA")


async def test_exactly_one_kind_is_given() -> None:
    error = await _error(_area(bbox=_bbox(33, 44, 34, 45), governorate_id=global_id("Governorate", "IQ-BG")))
    assert error.extensions["argument"] == "area"


async def test_holes_are_outside() -> None:
    area = await areas.resolve_area(_ctx(), _area(polygon=WITH_HOLE))
    assert area.contains(33.02, 44.02)
    assert not area.contains(33.1, 44.1)  # in the hole
    assert area.contains(33.05, 44.1)  # on the hole's edge
    assert not area.contains(33.3, 44.1)


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(32.9, 33.3), lon=st.floats(43.9, 44.3))
def test_a_box_and_the_same_polygon_agree(lat: float, lon: float) -> None:
    box = areas.Area(areas.BBOX, bbox=(33.0, 44.0, 33.2, 44.2))
    polygon = areas.Area(areas.POLYGON, geometry=SQUARE)
    assert box.contains(lat, lon) == polygon.contains(lat, lon)


def test_cells_are_those_whose_centres_lie_inside() -> None:
    box = areas.Area(areas.BBOX, bbox=(33.0, 44.0, 33.2, 44.2))
    cells = box.cells(7)
    assert cells
    assert all(h3.get_resolution(h3.int_to_str(c)) == 7 for c in cells)
    assert all(box.contains(*h3.cell_to_latlng(h3.int_to_str(c))) for c in cells)
    # Every cell near the box whose centre is inside is in the cover.
    ring = h3.grid_disk(h3.latlng_to_cell(33.1, 44.1, 7), 12)
    inside = {h3.str_to_int(c) for c in ring if box.contains(*h3.cell_to_latlng(c))}
    assert inside <= set(cells)
    assert set(areas.Area(areas.POLYGON, geometry=SQUARE).cells(7)) == set(cells)


def test_a_cover_too_large_is_refused() -> None:
    iraq = areas.Area(areas.BBOX, bbox=(29.0, 38.7, 37.45, 48.65))
    assert len(iraq.cells(6)) > 1000
    with pytest.raises(InputError) as raised:
        iraq.cells(10)
    assert raised.value.extensions["argument"] == "area"
