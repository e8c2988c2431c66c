"""Station areas (beats): `markaz stations import-areas FILE`, `Station.area` and `locateStation`.

**The file** is a GeoJSON FeatureCollection of Polygon or MultiPolygon features, one a station. A
feature names its station by the first of these properties that it has: `station` (the station's code,
or its Markaz id when no station has that code), `station_id` (the Markaz id), `station_code`, `code`
or `ref` (the code: the `external_id` of the station files, like NI-MOS-001, or the OSM id an Overpass
import kept, like node/123). The feature's own `id` is the area's, not the station's, and is not used.
A station given two areas in one file is a problem of the second. Every feature that cannot be used is
reported with its number and reason; the others are stored, each replacing its station's area. Each
area stored is audited when the caller names who stores it (`station_area_imported`, entity `Station`):
the area before (none when new) and after as its type, polygons, vertices, box and SHA-256 (an area
may hold 20,000 positions: the file, kept, is what the hash identifies), the feature, the file and who.

**Finding the station of a point** (locateStation) asks the GiST index on the areas' boxes for the
few areas whose box holds the point, then tests those exactly (resolvers.area_geometry: a point on a
shared border belongs to exactly one area). Where areas overlap, the one with the smaller box answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from db import station_areas as repo
from db.rows import StationAreaRow
from resolvers import area_geometry, audit
from resolvers.area_geometry import AreaError
from resolvers.context import Context

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_FEATURES = 100_000
STATION_KEYS = ("station", "station_id", "station_code", "code", "ref")
AREA_IMPORTED = "station_area_imported"


@dataclasses.dataclass(frozen=True, slots=True)
class FeatureProblem:
    feature: int  # 1-based; 0 for the whole file
    field: str
    message: str


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedArea:
    feature: int
    key: str  # the property that named the station
    value: str
    area: area_geometry.Area


@dataclasses.dataclass(slots=True)
class ParsedAreas:
    areas: list[ParsedArea] = dataclasses.field(default_factory=list)
    problems: list[FeatureProblem] = dataclasses.field(default_factory=list)


def parse_areas(data: bytes) -> ParsedAreas:
    """The areas of a file's bytes, each checked; problems by feature."""
    found = ParsedAreas()
    if len(data) > MAX_FILE_BYTES:
        found.problems.append(FeatureProblem(0, "file", f"larger than {MAX_FILE_BYTES // 2**20} MB"))
        return found
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        found.problems.append(FeatureProblem(0, "file", f"not valid UTF-8 (byte {error.start})"))
        return found
    except (json.JSONDecodeError, RecursionError) as error:
        where = (
            f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        )
        found.problems.append(FeatureProblem(0, "file", f"not valid JSON{where}"))
        return found
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        found.problems.append(FeatureProblem(0, "type", "expected a GeoJSON FeatureCollection"))
        return found
    features = document.get("features")
    if not isinstance(features, list):
        found.problems.append(FeatureProblem(0, "features", "must be an array"))
        return found
    if len(features) > MAX_FEATURES:
        found.problems.append(FeatureProblem(0, "features", f"{len(features)}; at most {MAX_FEATURES}"))
        return found
    for n, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            found.problems.append(FeatureProblem(n, "type", "expected a Feature"))
            continue
        properties = feature.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        named = next(
            ((k, properties[k]) for k in STATION_KEYS if properties.get(k) not in (None, "")),
            None,
        )
        if named is None:
            keys = ", ".join(STATION_KEYS)
            found.problems.append(FeatureProblem(n, "properties", f"names no station (give one of {keys})"))
            continue
        key, value = named
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 200:
            found.problems.append(FeatureProblem(n, f"properties.{key}", "must be a code or an id"))
            continue
        try:
            area = area_geometry.check_area(feature.get("geometry"))
        except AreaError as error:
            found.problems.append(FeatureProblem(n, error.field, error.reason))
            continue
        found.areas.append(ParsedArea(n, key, str(value).strip(), area))
    return found


def parse_area_file(path: Path) -> ParsedAreas:
    """Read and parse an area file (OSError when it cannot be read)."""
    if path.stat().st_size > MAX_FILE_BYTES:
        return ParsedAreas(problems=[FeatureProblem(0, "file", f"larger than {MAX_FILE_BYTES // 2**20} MB")])
    return parse_areas(path.read_bytes())


@dataclasses.dataclass(slots=True)
class Written:
    stored: int = 0
    unchanged: int = 0
    problems: list[FeatureProblem] = dataclasses.field(default_factory=list)
    # The audit entries of the areas stored, when `by` was given; the caller writes them before it commits.
    audit_entries: list[audit.Pending] = dataclasses.field(default_factory=list)


def area_view(area: area_geometry.Area | StationAreaRow) -> dict[str, Any]:
    """What the audit log keeps of an area: enough to tell one from another, not its every position."""
    geometry = area.geometry
    canonical = json.dumps(geometry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    coordinates = geometry.get("coordinates") or []
    return {
        "type": geometry.get("type"),
        "polygons": len(coordinates) if geometry.get("type") == "MultiPolygon" else 1,
        "vertices": area.vertices,
        "box": {"west": area.west, "south": area.south, "east": area.east, "north": area.north},
        "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
    }


async def write_areas(
    session: Any,
    parsed: list[ParsedArea],
    progress: Callable[[int], None] | None = None,
    *,
    by: str | None = None,
    file: str | None = None,
) -> Written:
    """Match each area to its station and store it (in the caller's transaction). An area equal to the
    station's stored one is left alone. `by` (who runs the import) and `file`: each area stored has its
    audit entry in the result."""
    result = Written()
    codes = [p.value for p in parsed if p.key != "station_id"]
    by_code = await repo.stations_by_codes(session, codes) if codes else {}
    numbers = [int(p.value) for p in parsed if p.value.isdigit() and len(p.value) <= 18]
    known_ids = await repo.station_ids(session, numbers) if numbers else set()
    chosen: dict[int, int] = {}  # station id -> feature
    matched: list[tuple[int, ParsedArea]] = []
    for item in parsed:
        field = f"properties.{item.key}"
        station: int | None = None
        if item.key != "station_id" and item.value in by_code:
            station = by_code[item.value].id
        elif item.key in ("station", "station_id") and item.value.isdigit() and int(item.value) in known_ids:
            station = int(item.value)
        if station is None:
            what = "id" if item.key == "station_id" else "code or id" if item.key == "station" else "code"
            result.problems.append(
                FeatureProblem(item.feature, field, f"no station with the {what} {item.value!r}")
            )
            continue
        if station in chosen:
            result.problems.append(
                FeatureProblem(
                    item.feature,
                    field,
                    f"station {item.value} has an area already (feature {chosen[station]})",
                )
            )
            continue
        chosen[station] = item.feature
        matched.append((station, item))
    stored = await repo.areas_of(session, [s for s, _ in matched]) if matched else {}
    for station, item in matched:
        area = item.area
        old = stored.get(station)
        if old is not None and old.geometry == area.geometry:
            result.unchanged += 1
        else:
            values = {
                "geometry": area.geometry,
                "west": area.west,
                "south": area.south,
                "east": area.east,
                "north": area.north,
                "vertices": area.vertices,
            }
            await repo.put_area(session, station, values)
            result.stored += 1
            if by is not None:
                after = {
                    **area_view(area),
                    "feature": item.feature,
                    item.key: item.value,
                    "by": by,
                    "file": file,
                }
                before = None if old is None else area_view(old)
                result.audit_entries.append(
                    audit.entry(AREA_IMPORTED, "Station", station, before=before, after=after)
                )
        if progress is not None:
            progress(result.stored + result.unchanged)
    return result


async def locate_station(ctx: Context, latitude: float, longitude: float) -> int | None:
    """The id of the active station whose area holds the point, or None."""
    async with ctx.db() as session:
        rows = await repo.candidates(session, latitude, longitude)
    for row in rows:
        if area_geometry.holds(area_geometry.polygons_of(row.geometry), latitude, longitude):
            return int(row.station_id)
    return None


async def areas_of(ctx: Context, station_ids: list[int]) -> dict[int, StationAreaRow]:
    async with ctx.db() as session:
        return await repo.areas_of(session, station_ids)
