"""Areas that activity is asked about: a bounding box, a governorate, a station, or a drawn polygon.

`resolve_area(ctx, area)` validates the GraphQL `AreaInput` (errors are BAD_USER_INPUT naming the field,
e.g. `area.bbox.south`) and gives an `Area`:

    area = await resolve_area(ctx, input.area)           # raises errors.InputError when invalid
    area.matches(lat, lon, station_id, governorate)      # does this record belong to the area?
    area.station_id, area.governorate                    # scope areas: records *of* a station/governorate
    area.cells(8)                                        # drawn areas: H3 cells (ints) covering it at res 8

Two kinds of area, two meanings of "in it":
- A governorate or a station is a scope: the records of that station, or of the stations of that
  governorate, wherever they happened (the incident and engagement lists filter the same way, so map
  totals equal list counts).
- A bounding box or polygon is a place. A single record is in it when its point is (`contains`); a map
  at resolution r counts the H3 cells of resolution r whose centre lies in it (`cells`), the usual H3
  polyfill rule, so a hexagon is always counted whole and at most half a cell's width of the area's
  edge is decided by the cell rather than the point.
Which of those records a viewer may see is not decided here: that is resolvers.policy.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import h3

from resolvers.errors import InputError
from resolvers.governorates import GOVERNORATES_BY_CODE
from resolvers.ids import parse_global_id, plain
from resolvers.messages import message
from resolvers.mutation_errors import Collector
from resolvers.patrols import MAX_AREA_VERTICES, check_area

# A map never has more hexagons than this: beyond it the answer is too big for a phone or a browser, and
# covering the area costs the server more than the query (about 0.1 s per 100,000 cells).
MAX_CELLS = 100_000
MIN_RESOLUTION, MAX_RESOLUTION = 5, 10
BBOX, GOVERNORATE, STATION, POLYGON = "bbox", "governorate", "station", "polygon"

__all__ = [
    "BBOX",
    "GOVERNORATE",
    "MAX_AREA_VERTICES",
    "MAX_CELLS",
    "POLYGON",
    "STATION",
    "Area",
    "point_in_geojson",
    "resolve_area",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Area:
    """A validated area. Exactly one of bbox, governorate (alone), station_id, geometry describes it;
    a station area also carries its station's governorate, for scope checks."""

    kind: str
    bbox: tuple[float, float, float, float] | None = None  # south, west, north, east
    governorate: str | None = None  # ISO 3166-2:IQ code
    station_id: int | None = None
    geometry: dict[str, Any] | None = None  # clean GeoJSON Polygon or MultiPolygon, [lon, lat]

    @property
    def is_place(self) -> bool:
        """True for a drawn area (bbox, polygon), False for a scope (governorate, station)."""
        return self.kind in (BBOX, POLYGON)

    def contains(self, latitude: float, longitude: float) -> bool:
        """Whether a point lies in a drawn area (edges included). Scope areas have no shape: False."""
        if self.kind == BBOX:
            south, west, north, east = self.bbox  # type: ignore[misc]
            return south <= latitude <= north and west <= longitude <= east
        if self.kind == POLYGON:
            return point_in_geojson(self.geometry, latitude, longitude)  # type: ignore[arg-type]
        return False

    def matches(self, latitude: float, longitude: float, station_id: int, station_governorate: str) -> bool:
        """Whether a record (its point and its station) belongs to the area, as the live feed needs."""
        if self.kind == STATION:
            return station_id == self.station_id
        if self.kind == GOVERNORATE:
            return station_governorate == self.governorate
        return self.contains(latitude, longitude)

    def cells(self, resolution: int, *, argument: str = "area", lang: str = "en") -> list[int]:
        """The H3 cells (64-bit ints) of `resolution` whose centres lie in a drawn area.

        An InputError naming `argument` when more than MAX_CELLS would be needed (a coarser resolution
        or a smaller area then answers). Scope areas are not covered by cells: ValueError.
        """
        if not self.is_place:
            raise ValueError("only a bbox or a polygon area has cells")
        if self.kind == BBOX:
            assert self.bbox is not None  # a bbox area has one
            south, west, north, east = self.bbox
        else:
            assert self.geometry is not None  # a polygon area has one
            south, west, north, east = _bounds(self.geometry)
        # The bounding box's area bounds the cover from above; refuse before enumerating millions.
        estimate = _box_km2(south, west, north, east) / h3.average_hexagon_area(resolution, "km^2")
        if estimate > 4 * MAX_CELLS:
            raise InputError(argument, message("area_too_large", lang, field=argument, high=MAX_CELLS))
        if self.kind == BBOX:
            if south == north or west == east:  # a line has no cell centres in it
                return []
            shape: Any = h3.LatLngPoly([(south, west), (south, east), (north, east), (north, west)])
        else:
            shape = h3.geo_to_h3shape(self.geometry)
        try:
            found = h3.h3shape_to_cells(shape, resolution)
        except (h3.H3BaseException, ValueError):  # a degenerate shape (no area, crossed edges) H3 refuses
            raise InputError(argument, message("geojson_polygon", lang, field=argument)) from None
        if len(found) > MAX_CELLS:
            raise InputError(argument, message("area_too_large", lang, field=argument, high=MAX_CELLS))
        return [h3.str_to_int(c) for c in found]


async def resolve_area(ctx: Any, area: Any, *, argument: str = "area") -> Area:
    """Validate an `AreaInput` (any object with bbox/governorate_id/station_id/polygon attributes).

    Unknown governorates and stations are errors; whether the viewer may look at them is the caller's
    question for resolvers.policy (an unknown station and a forbidden one must not be told apart by
    anyone who may not see it, so callers check policy before showing NOT_FOUND to such viewers).
    """
    lang = ctx.lang
    # Absent fields are None, or Strawberry's UNSET (which is falsy); a given field is never falsy.
    values = {name: getattr(area, name, None) for name in ("bbox", "governorate_id", "station_id", "polygon")}
    values = {
        name: value
        for name, value in values.items()
        if value is not None and (bool(value) or value.__class__.__name__ != "UnsetType")
    }
    given = list(values)
    if len(given) != 1:
        # @oneOf is enforced by GraphQL already; this guards callers that build the input themselves.
        raise InputError(
            argument,
            message("one_of", lang, field=f"{argument}.bbox", other="governorateId, stationId, polygon"),
        )
    if "bbox" in values:
        return Area(BBOX, bbox=_check_bbox(area.bbox, f"{argument}.bbox", lang))
    if "governorate_id" in values:
        field = f"{argument}.governorateId"
        parsed = parse_global_id(str(area.governorate_id))
        code = parsed[1] if parsed is not None and parsed[0] == "Governorate" else None
        if code is None:
            raise InputError(field, message("bad_id", lang, field=field, kind="Governorate"))
        if code not in GOVERNORATES_BY_CODE:
            raise InputError(field, message("not_found", lang, field=field, kind="Governorate"))
        return Area(GOVERNORATE, governorate=code)
    if "station_id" in values:
        from resolvers import stations as station_logic

        field = f"{argument}.stationId"
        parsed = parse_global_id(str(area.station_id))
        if parsed is None or parsed[0] != "Station" or not parsed[1].isdigit() or len(parsed[1]) > 18:
            raise InputError(field, message("bad_id", lang, field=field, kind="Station"))
        station_id = int(parsed[1])
        row = (await station_logic.stations_by_ids(ctx, [station_id])).get(station_id)
        if row is None:
            raise InputError(field, message("not_found", lang, field=field, kind="Station"))
        return Area(STATION, station_id=station_id, governorate=row.governorate_code)
    field = f"{argument}.polygon"
    problems = Collector(lang)
    geometry = check_area(problems, (field,), plain(area.polygon))
    if geometry is None:
        first = problems.errors[0] if problems.errors else None
        path = ".".join(first.field) if first and first.field else field
        raise InputError(path, first.message if first else message("geojson_polygon", lang, field=field))
    return Area(POLYGON, geometry=geometry)


def _check_bbox(bbox: Any, field: str, lang: str) -> tuple[float, float, float, float]:
    values = []
    for name, low, high in (("south", -90, 90), ("west", -180, 180), ("north", -90, 90), ("east", -180, 180)):
        value = float(getattr(bbox, name))
        path = f"{field}.{name}"
        if not math.isfinite(value):
            raise InputError(path, message("not_finite", lang, field=path))
        if not low <= value <= high:
            raise InputError(path, message("range", lang, field=path, low=low, high=high))
        values.append(value)
    south, west, north, east = values
    if north < south:
        raise InputError(
            f"{field}.north", message("not_before", lang, field=f"{field}.north", other=f"{field}.south")
        )
    # Boxes across the antimeridian are not needed in Iraq; refusing them keeps `west <= lon <= east` true.
    if east < west:
        raise InputError(
            f"{field}.east", message("not_before", lang, field=f"{field}.east", other=f"{field}.west")
        )
    return south, west, north, east


def _bounds(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    positions = [p for ring in _rings(geometry) for p in ring]
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return min(lats), min(lons), max(lats), max(lons)


def _box_km2(south: float, west: float, north: float, east: float) -> float:
    """Area of a latitude/longitude box on a sphere of the Earth's mean radius."""
    radius = 6371.0088
    band = abs(math.sin(math.radians(north)) - math.sin(math.radians(south)))
    return radius * radius * math.radians(east - west) * band


def _polygons(geometry: dict[str, Any]) -> Sequence[Sequence[Sequence[Sequence[float]]]]:
    return geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]


def _rings(geometry: dict[str, Any]) -> list[Sequence[Sequence[float]]]:
    return [ring for polygon in _polygons(geometry) for ring in polygon]


def _in_ring(ring: Sequence[Sequence[float]], x: float, y: float) -> bool:
    """Even-odd ray casting in the plane of longitude and latitude (areas are small; edges are drawn
    straight on a map, so planar is what the person drawing meant)."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _on_ring(ring: Sequence[Sequence[float]], x: float, y: float) -> bool:
    for (x1, y1), (x2, y2) in zip(
        ((p[0], p[1]) for p in ring), ((p[0], p[1]) for p in ring[1:]), strict=False
    ):
        cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
        if abs(cross) <= 1e-12 and min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
            return True
    return False


def point_in_geojson(geometry: dict[str, Any], latitude: float, longitude: float) -> bool:
    """Whether a point lies in a GeoJSON Polygon or MultiPolygon: inside the outer ring and outside its
    holes; a point on an edge counts as inside."""
    for polygon in _polygons(geometry):
        outer, holes = polygon[0], polygon[1:]
        if _on_ring(outer, longitude, latitude):
            return True
        if not _in_ring(outer, longitude, latitude):
            continue
        if any(_in_ring(h, longitude, latitude) and not _on_ring(h, longitude, latitude) for h in holes):
            continue
        return True
    return False
