"""Station areas: `markaz stations import-areas`, `Station.area` and `locateStation` (public).

Real polygons: two beats of Mosul split by the Tigris (a bent line of shared vertices), a point on each
bank and one on the river line itself; a MultiPolygon with a hole (an island beat inside it); areas
that cannot be areas (crossing themselves, unclosed, out of range, too many vertices) refused naming
their field, in a bounded time; 1,000 areas found through the index.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from resolvers import area_geometry
from resolvers.area_geometry import AreaError
from resolvers.station_areas import parse_areas, write_areas
from schema.node import to_global_id
from tests.factories import make_station
from tests.test_cli import _audited, markaz
from tests.test_cli import fresh_database as fresh_database  # a fixture: a new database

# The Tigris through Mosul, north to south, as the shared border: the west bank beat lies west of it.
RIVER = [[43.115, 36.390], [43.128, 36.370], [43.134, 36.350], [43.142, 36.330], [43.150, 36.310]]
WEST = [[43.060, 36.390], *RIVER, [43.060, 36.310], [43.060, 36.390]]
EAST = [RIVER[0], [43.220, 36.390], [43.220, 36.310], *RIVER[::-1]]
WEST_BANK = {"latitude": 36.350, "longitude": 43.120}  # just west of the river at 36.35 (43.134)
EAST_BANK = {"latitude": 36.350, "longitude": 43.140}
ON_RIVER = {"latitude": 36.350, "longitude": 43.134}  # a vertex of the shared line
# A big beat with a hole, and an island beat filling part of the hole.
OUTER = [[44.00, 33.00], [44.20, 33.00], [44.20, 33.20], [44.00, 33.20], [44.00, 33.00]]
HOLE = [[44.05, 33.05], [44.05, 33.15], [44.15, 33.15], [44.15, 33.05], [44.05, 33.05]]
ISLAND = [[44.08, 33.08], [44.12, 33.08], [44.12, 33.12], [44.08, 33.12], [44.08, 33.08]]
LOCATE = "query L($near: GeoPointInput!) { locateStation(near: $near) { id area } }"


def _feature(geometry: Any, **properties: Any) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _polygon(*rings: list) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def _file(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


# --- geometry, no database ----------------------------------------------------------------------------


def test_the_river_splits_the_beats_and_its_line_belongs_to_one() -> None:
    west, east = (area_geometry.check_area(_polygon(r)).polygons for r in (WEST, EAST))
    for point, expected in ((WEST_BANK, (True, False)), (EAST_BANK, (False, True))):
        lat, lon = point["latitude"], point["longitude"]
        assert (area_geometry.holds(west, lat, lon), area_geometry.holds(east, lat, lon)) == expected
    # every point on the shared line, vertices and between them, is in exactly one beat: the eastern
    for (x1, y1), (x2, y2) in itertools.pairwise(RIVER):
        for t in (0.0, 0.25, 0.5, 0.9):
            lat, lon = y1 + t * (y2 - y1), x1 + t * (x2 - x1)
            assert [area_geometry.holds(west, lat, lon), area_geometry.holds(east, lat, lon)].count(True) <= 1
    lat, lon = ON_RIVER["latitude"], ON_RIVER["longitude"]
    assert not area_geometry.holds(west, lat, lon) and area_geometry.holds(east, lat, lon)


def test_a_hole_is_outside_its_area() -> None:
    area = area_geometry.check_area({"type": "MultiPolygon", "coordinates": [[OUTER, HOLE]]})
    assert area_geometry.holds(area.polygons, 33.02, 44.02)  # in the ring around the hole
    assert not area_geometry.holds(area.polygons, 33.10, 44.10)  # in the hole
    assert (area.west, area.south, area.east, area.north) == (44.0, 33.0, 44.2, 33.2)


@pytest.mark.parametrize(
    ("geometry", "field", "reason"),
    [
        (
            _polygon([[44, 33], [44.1, 33.1], [44.1, 33], [44, 33.1], [44, 33]]),
            "geometry.coordinates.0",
            "crosses itself",
        ),
        (_polygon([[44, 33], [44.1, 33], [44.1, 33.1], [44, 33.1]]), "geometry.coordinates.0", "not closed"),
        (_polygon([[44, 33], [44.1, 33], [44.1, 95], [44, 33]]), "geometry.coordinates.0.2.1", "latitude"),
        (_polygon([[44, 33], [44.1, 33], [44, 33]]), "geometry.coordinates.0", "at least 4"),
        (_polygon(OUTER, [[45, 34], [45.1, 34], [45.1, 34.1], [45, 34]]), "geometry.coordinates.1", "inside"),
        (
            _polygon(OUTER, [[44.1, 32.9], [44.1, 33.1], [44.15, 33.1], [44.1, 32.9]]),
            "geometry.coordinates",
            "cross",
        ),
        ({"type": "Point", "coordinates": [44, 33]}, "geometry", "Polygon or MultiPolygon"),
        (
            _polygon([[44, 33], ["44.1", 33], [44.1, 33.1], [44, 33]]),
            "geometry.coordinates.0.1",
            "[longitude",
        ),
    ],
)
def test_what_cannot_be_an_area_is_refused_naming_its_field(geometry: dict, field: str, reason: str) -> None:
    with pytest.raises(AreaError) as refused:
        area_geometry.check_area(geometry)
    assert refused.value.field == field and reason in refused.value.reason, refused.value


def test_hostile_geometry_costs_a_bounded_time() -> None:
    # too many vertices: refused before any work on them
    many = [[44 + i * 1e-6, 33.0] for i in range(area_geometry.MAX_VERTICES + 10)] + [[44, 33]]
    with pytest.raises(AreaError, match="more than"):
        area_geometry.check_area(_polygon(many))
    # a comb of long teeth, every edge spanning the same longitudes: the crossing check gives up in time
    teeth = []
    for i in range(4000):
        teeth += [[44.0, 33.0 + i * 1e-4], [45.0, 33.0 + i * 1e-4 + 5e-5]]
    comb = [*teeth, [44.0, 34.0], [43.9, 34.0], [43.9, 33.0], teeth[0]]
    started = time.monotonic()
    with pytest.raises(AreaError):
        area_geometry.check_area(_polygon(comb))
    assert time.monotonic() - started < 10
    # a real beat of thousands of vertices passes quickly
    import math

    circle = [
        [44 + 0.1 * math.cos(2 * math.pi * k / 5000), 33 + 0.1 * math.sin(2 * math.pi * k / 5000)]
        for k in range(5000)
    ]
    started = time.monotonic()
    area_geometry.check_area(_polygon([*circle, circle[0]]))
    assert time.monotonic() - started < 5


def test_the_file_names_each_unusable_feature() -> None:
    parsed = parse_areas(
        _file(
            _feature(_polygon(WEST), station="NI-W"),
            _feature(_polygon(EAST)),
            _feature(_polygon([[44, 33], [44.1, 33.1], [44.1, 33], [44, 33.1], [44, 33]]), code="X"),
            {"type": "Nope"},
        )
    )
    assert [a.feature for a in parsed.areas] == [1]
    assert [(p.feature, p.field) for p in parsed.problems] == [
        (2, "properties"),
        (3, "geometry.coordinates.0"),
        (4, "type"),
    ]
    assert parse_areas(b"{not json").problems[0].field == "file"
    assert parse_areas(b'{"type": "Feature"}').problems[0].message == "expected a GeoJSON FeatureCollection"


# --- stored, and asked through the API ----------------------------------------------------------------


@pytest.fixture
async def beats(sessionmaker) -> dict[str, int]:
    async with sessionmaker() as session:
        ids = {
            "west": await make_station(session, external_id="NI-MOS-W", latitude=36.35, longitude=43.09),
            "east": await make_station(session, external_id="NI-MOS-E", latitude=36.35, longitude=43.18),
            "ring": await make_station(
                session, external_id="BG-RING", governorate="IQ-BG", latitude=33.02, longitude=44.02
            ),
            "island": await make_station(
                session, external_id="BG-ISLAND", governorate="IQ-BG", latitude=33.1, longitude=44.1
            ),
        }
        parsed = parse_areas(
            _file(
                _feature(_polygon(WEST), station="NI-MOS-W"),
                _feature(_polygon(EAST), ref="NI-MOS-E"),
                _feature({"type": "MultiPolygon", "coordinates": [[OUTER, HOLE]]}, station_id=ids["ring"]),
                _feature(_polygon(ISLAND), code="BG-ISLAND"),
                _feature(_polygon(ISLAND), code="NO-SUCH"),
                _feature(_polygon(ISLAND), station="BG-ISLAND"),
            )
        )
        written = await write_areas(session, parsed.areas)
        await session.commit()
    assert written.stored == 4 and [(p.feature, p.field) for p in written.problems] == [
        (5, "properties.code"),
        (6, "properties.station"),
    ]
    return ids


async def _located(gql, point: dict) -> str | None:
    body = await gql(LOCATE, {"near": point})
    assert "errors" not in body, body
    found = body["data"]["locateStation"]
    return found["id"] if found else None


async def test_locate_station_answers_by_the_beats_not_the_distance(gql, beats) -> None:
    west, east = (to_global_id("Station", beats[k]) for k in ("west", "east"))
    assert await _located(gql, WEST_BANK) == west
    assert await _located(gql, EAST_BANK) == east
    assert await _located(gql, ON_RIVER) == east
    # a point on the west bank nearer to the eastern station is still the western one's
    assert await _located(gql, {"latitude": 36.33, "longitude": 43.140}) == west
    assert await _located(gql, {"latitude": 36.0, "longitude": 43.0}) is None
    # the hole is not the ring's: the island answers inside it; the rest of the hole is no one's
    assert await _located(gql, {"latitude": 33.02, "longitude": 44.02}) == to_global_id(
        "Station", beats["ring"]
    )
    assert await _located(gql, {"latitude": 33.10, "longitude": 44.10}) == to_global_id(
        "Station", beats["island"]
    )
    assert await _located(gql, {"latitude": 33.06, "longitude": 44.06}) is None


async def test_station_area_is_the_stored_geojson(gql, beats) -> None:
    body = await gql(
        "query S($id: ID!) { station(id: $id) { area } }", {"id": to_global_id("Station", beats["west"])}
    )
    assert body["data"]["station"]["area"] == {"type": "Polygon", "coordinates": [WEST]}
    body = await gql("query { stations(first: 100) { edges { node { area } } } }")
    assert sum(e["node"]["area"] is not None for e in body["data"]["stations"]["edges"]) == 4


async def test_locate_station_refuses_a_point_off_the_globe(gql, beats) -> None:
    body = await gql(LOCATE, {"near": {"latitude": 91, "longitude": 43}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "near.latitude" in body["errors"][0]["message"]


async def test_a_reimport_changes_nothing_and_a_disabled_station_answers_nothing(
    gql, sessionmaker, beats
) -> None:
    async with sessionmaker() as session:
        again = await write_areas(
            session, parse_areas(_file(_feature(_polygon(WEST), station="NI-MOS-W"))).areas
        )
        await session.execute(text("UPDATE stations SET active = false WHERE id = :i"), {"i": beats["west"]})
        await session.commit()
    assert (again.stored, again.unchanged) == (0, 1)
    assert await _located(gql, WEST_BANK) is None


async def test_a_thousand_areas_are_found_through_the_index(gql, sessionmaker) -> None:
    # given: 1,000 square beats of 0.01 degrees in a 40 x 25 grid
    async with sessionmaker() as session:
        from tests.factories import make_stations, station_record

        records = [
            station_record(
                external_id=f"GRID-{i}",
                latitude=30.005 + (i // 40) * 0.01,
                longitude=45.005 + (i % 40) * 0.01,
            )
            for i in range(1000)
        ]
        await make_stations(session, records)
        features = []
        for i in range(1000):
            x, y = 45 + (i % 40) * 0.01, 30 + (i // 40) * 0.01
            ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
            features.append(_feature(_polygon(ring), station=f"GRID-{i}"))
        written = await write_areas(session, parse_areas(_file(*features)).areas)
        await session.commit()
        # the lookup's condition is one the GiST index serves (the planner is told to prefer it: a test's
        # table has no statistics)
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        explain = (
            "EXPLAIN SELECT station_id FROM station_areas WHERE box(point(west, south), point(east, north)) "
            "@> box(point(45.123, 30.123), point(45.123, 30.123))"
        )
        plan = "\n".join(r[0] for r in await session.execute(text(explain)))
    assert written.stored == 1000
    assert "ix_station_areas_bbox" in plan, plan
    # then: each point is answered by its own square
    started = time.monotonic()
    for i in range(0, 1000, 37):
        point = {"latitude": 30.0051 + (i // 40) * 0.01, "longitude": 45.0049 + (i % 40) * 0.01}
        body = await gql(
            "query L($near: GeoPointInput!) { locateStation(near: $near) { id } }", {"near": point}
        )
        assert body["data"]["locateStation"] is not None
    assert time.monotonic() - started < 20


async def _station_id(url: str, code: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT id FROM stations WHERE external_id = $1", code))
    finally:
        await conn.close()


async def test_import_areas_command(tmp_path: Path, fresh_database: str) -> None:
    # given: two stations imported, and an area file with a good beat, one for no station, one bad
    stations = tmp_path / "stations.geojson"
    stations.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [lon, 36.35]},
                        "properties": {"external_id": code, "name_en": code, "governorate": "IQ-NI"},
                    }
                    for code, lon in (("NI-MOS-W", 43.09), ("NI-MOS-E", 43.18))
                ],
            }
        )
    )
    imported = markaz("stations", "import", str(stations), database_url=fresh_database, data_dir=tmp_path)
    assert imported.returncode == 0, imported.stderr
    areas = tmp_path / "beats.geojson"
    areas.write_bytes(
        _file(
            _feature(_polygon(WEST), station="NI-MOS-W"),
            _feature(_polygon(EAST), ref="NI-MOS-X"),
            _feature(_polygon([[44, 33], [44.1, 33.1], [44.1, 33], [44, 33.1], [44, 33]]), code="NI-MOS-E"),
        )
    )
    # when
    result = markaz("stations", "import-areas", str(areas), database_url=fresh_database, data_dir=tmp_path)
    # then: the good one stored, each bad one named on a line of its own
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("beats.geojson")]
    assert lines == [
        "beats.geojson: feature 2: properties.ref: no station with the code 'NI-MOS-X'",
        "beats.geojson: feature 3: geometry.coordinates.0: crosses itself (near 44.100000, 33.000000)",
    ], result.stderr
    assert "1 area(s) matched to stations: stored 1, unchanged 0; 2 problem(s)" in result.stdout
    again = markaz(
        "stations", "import-areas", str(areas), "--dry-run", database_url=fresh_database, data_dir=tmp_path
    )
    assert "would store 0, unchanged 1" in again.stdout
    # and the area stored has its audit entry: the station's, what the area is, from which feature and file
    (entry,) = await _audited(fresh_database, "station_area_imported")
    west = await _station_id(fresh_database, "NI-MOS-W")
    assert (entry["entity_type"], entry["entity_id"], entry["before"]) == ("Station", str(west), None)
    after = entry["after"]
    assert after["feature"] == 1 and after["station"] == "NI-MOS-W" and after["file"] == str(areas)
    assert after["by"].startswith("markaz stations import-areas (system user ")
    assert (after["type"], after["polygons"], after["vertices"]) == ("Polygon", 1, len(WEST))
    assert after["box"] == {"west": 43.06, "south": 36.31, "east": 43.15, "north": 36.39}
    # a changed area is audited with the one it replaced
    moved = tmp_path / "moved.geojson"
    moved.write_bytes(_file(_feature(_polygon(EAST), station="NI-MOS-W")))
    result = markaz("stations", "import-areas", str(moved), database_url=fresh_database, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    first, second = await _audited(fresh_database, "station_area_imported")
    assert second["before"] == {key: first["after"][key] for key in second["before"]}
    assert second["after"]["sha256"] != first["after"]["sha256"] and second["after"]["file"] == str(moved)
    verified = markaz("audit", "verify", database_url=fresh_database, data_dir=tmp_path)
    assert verified.returncode == 0, verified.stderr
    missing = markaz(
        "stations",
        "import-areas",
        str(tmp_path / "nope.json"),
        database_url=fresh_database,
        data_dir=tmp_path,
    )
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0
