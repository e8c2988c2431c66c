"""Patrols: start one, append its GPS track in batches, end it; list and read them within the viewer's scope.

Phones upload tracks when they find a network: batches arrive late, repeated and out of order. Fixes
are keyed by (patrol, recordedAt), so a resent fix is ignored, and every append walks the whole track
again in time order, so a late fix takes its place as if it had come on time. A fix implying a speed
above `MAX_SPEED_MPS` from the previous kept fix (after allowing for both fixes' accuracy) is stored with
the flag IMPOSSIBLE_SPEED; it and a fix the phone says is mocked (MOCK_LOCATION) are left out of the
track: of the distance, the track, the last position, and the activity rollups' patrol minutes and
metres. The walk (`walk_track`) decides, once, which fixes are kept, and stores with each kept fix the
geodesic metres from the kept fix before it (`patrol_fixes.step_m`, NULL on a fix left out): the
patrol's distance is the sum of those steps, and the rollup triggers (migration 0012) sum the very same
numbers, so a summary's kilometres are its patrols' distances.

The logic entry points (`start_patrol`, `append_patrol_track`, `end_patrol`) take the GraphQL input
objects and serve both the mutations and `syncFieldLog` (docs/fieldwork-design.md).
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import officers as officer_repo
from db import patrols as repo
from db import stations as station_repo
from db.rows import PatrolRow, TrackEndRow, TrackFixRow
from resolvers import audit, inputs, policy
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.errors import check_first
from resolvers.field_checks import (
    FLAG_CLOCK_SKEW,
    FLAG_LATE_SYNC,
    FLAG_MOCK_LOCATION,
    FLAG_POOR_ACCURACY,
    authenticity_flags,
    check_point,
    check_time,
    now_utc,
)
from resolvers.geodesy import geodesic_m
from resolvers.idempotency import Applied, claim, complete, content_hash
from resolvers.ids import record_key
from resolvers.listing import Page, page_of, scope_args
from resolvers.mutation_errors import Collector, fail

# About 200 km/h: faster than any patrol moves, slower than a GPS jump across town.
MAX_SPEED_MPS = 55.0
MAX_FIXES = 1000
MAX_OFFICERS = 10
MAX_AREA_VERTICES = 1000
MAX_REPORTED_SPEED_MPS = 1000.0
FLAG_IMPOSSIBLE_SPEED = repo.IMPOSSIBLE_SPEED
# The order flags are stored and served in (the RecordFlag enum's order).
FLAG_ORDER = (FLAG_CLOCK_SKEW, FLAG_LATE_SYNC, FLAG_POOR_ACCURACY, FLAG_MOCK_LOCATION, FLAG_IMPOSSIBLE_SPEED)
# Fix flags that also mark the whole patrol; a single poorly located fix is common and only counted.
_PATROL_WIDE = frozenset({FLAG_CLOCK_SKEW, FLAG_MOCK_LOCATION, FLAG_IMPOSSIBLE_SPEED})
ACTIVE, ENDED = "ACTIVE", "ENDED"
RESULT_TYPE = "Patrol"
KIND_START, KIND_APPEND, KIND_END = "startPatrol", "appendPatrolTrack", "endPatrol"


def ordered_flags(flags: set[str] | frozenset[str] | Sequence[str]) -> list[str]:
    return [f for f in FLAG_ORDER if f in flags]


# --- The track, without I/O -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TrackFix:
    """One GPS fix with the flags it carries by itself (speed aside: that depends on its neighbours)."""

    recorded_at: datetime
    latitude: float
    longitude: float
    accuracy_m: float | None = None
    flags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class TrackWalk:
    distance_m: float
    impossible: frozenset[datetime]  # recorded_at of the fixes that imply an impossible speed
    # recorded_at of each kept fix: the geodesic metres from the kept fix before it (0.0 for the first).
    # What `patrol_fixes.step_m` stores; fixes left out (impossible or mocked) are not in it.
    steps: Mapping[datetime, float]


def walk_track(fixes: Sequence[TrackFix]) -> TrackWalk:
    """The geodesic length of the track in time order. Left out: each mocked fix (its position is made
    up), and each fix that could only be reached from the previous kept fix faster than MAX_SPEED_MPS,
    even with both fixes at the edge of their accuracy toward each other. The first fix not mocked is
    always kept."""
    distance, impossible, steps, last = 0.0, set(), {}, None
    for fix in sorted(fixes, key=lambda f: f.recorded_at):
        if FLAG_MOCK_LOCATION in fix.flags:
            continue
        step = 0.0
        if last is not None:
            step = geodesic_m(last.latitude, last.longitude, fix.latitude, fix.longitude)
            slack = (last.accuracy_m or 0.0) + (fix.accuracy_m or 0.0)
            seconds = (fix.recorded_at - last.recorded_at).total_seconds()
            if step - slack > MAX_SPEED_MPS * seconds:
                impossible.add(fix.recorded_at)
                continue
            distance += step
        steps[fix.recorded_at] = step
        last = fix
    return TrackWalk(distance, frozenset(impossible), steps)


def extend_walk(stored: Sequence[TrackFix], walked: TrackWalk, new: Sequence[TrackFix]) -> TrackWalk:
    """`walk_track(stored + new)`, given `walked` = `walk_track(stored)`.

    In the usual case, fixes arriving after the stored track, the walk goes on from the last kept fix
    (it is sequential); walking the whole track again on every append would make a patrol quadratic.
    """
    kept = [f for f in stored if f.recorded_at in walked.steps]
    if not kept or not new or min(f.recorded_at for f in new) <= max(f.recorded_at for f in stored):
        return walk_track([*stored, *new])
    last = max(kept, key=lambda f: f.recorded_at)
    tail = walk_track([last, *new])
    steps = {**walked.steps, **{at: m for at, m in tail.steps.items() if at != last.recorded_at}}
    return TrackWalk(walked.distance_m + tail.distance_m, walked.impossible | tail.impossible, steps)


def stored_changes(
    rows: Sequence[TrackFixRow], walk: TrackWalk
) -> list[tuple[datetime, list[str], float | None]]:
    """(recorded_at, flags, step_m) of each stored fix (rows with recorded_at, flags and step_m) whose
    IMPOSSIBLE_SPEED flag or step the walk of its whole track changes: a late fix changes the step of
    the kept fix after it, and may move the flag."""
    changed = []
    for r in rows:
        flags = {f for f in r.flags if f != FLAG_IMPOSSIBLE_SPEED}
        if r.recorded_at in walk.impossible:
            flags.add(FLAG_IMPOSSIBLE_SPEED)
        step = walk.steps.get(r.recorded_at)
        if flags != set(r.flags) or step != r.step_m:
            changed.append((r.recorded_at, ordered_flags(flags), step))
    return changed


def track_geojson(points: Sequence[tuple[float, float]]) -> dict[str, Any] | None:
    """The kept fixes as a GeoJSON LineString, [longitude, latitude]; None below two positions, which
    RFC 7946 does not allow in a LineString."""
    if len(points) < 2:
        return None
    return {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in points]}


def check_area(errors: Collector, path: tuple[str, ...], value: Any) -> dict[str, Any] | None:
    """The planned area as a clean GeoJSON Polygon or MultiPolygon of [longitude, latitude] positions;
    None when absent or bad (the first problem goes to `errors`: one bad vertex says enough)."""
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    coordinates = value.get("coordinates") if isinstance(value, dict) else None
    if kind not in ("Polygon", "MultiPolygon") or not isinstance(coordinates, list) or not coordinates:
        errors.add(path, "geojson_polygon")
        return None
    multi = kind == "MultiPolygon"
    polygons, clean, vertices = (coordinates if multi else [coordinates]), [], 0
    for p, polygon in enumerate(polygons):
        polygon_path = (*path, "coordinates", *((str(p),) if multi else ()))
        if not isinstance(polygon, list) or not polygon:
            errors.add(polygon_path, "geojson_ring")
            return None
        rings = []
        for r, ring in enumerate(polygon):
            ring_path = (*polygon_path, str(r))
            if not isinstance(ring, list) or len(ring) < 4:
                errors.add(ring_path, "geojson_ring")
                return None
            vertices += len(ring)
            if vertices > MAX_AREA_VERTICES:
                errors.add(path, "geojson_vertices", high=MAX_AREA_VERTICES)
                return None
            positions = []
            for v, position in enumerate(ring):
                position_path = (*ring_path, str(v))
                if not (
                    isinstance(position, list)
                    and 2 <= len(position) <= 3
                    and all(isinstance(c, int | float) and not isinstance(c, bool) for c in position)
                ):
                    errors.add(position_path, "geojson_position")
                    return None
                lon, lat = float(position[0]), float(position[1])
                for index, number, low, high in ((0, lon, -180, 180), (1, lat, -90, 90)):
                    if not math.isfinite(number) or not low <= number <= high:
                        errors.add((*position_path, str(index)), "range", low=low, high=high)
                        return None
                positions.append([lon, lat])
            if positions[0] != positions[-1]:
                errors.add(ring_path, "geojson_ring")
                return None
            rings.append(positions)
        clean.append(rings)
    return {"type": kind, "coordinates": clean if multi else clean[0]}


# --- Shared steps -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Reference:
    path: tuple[str, ...]
    patrol_id: int | None
    client_id: uuid.UUID | None


def _reference(errors: Collector, input: inputs.PatrolReference) -> _Reference | None:
    """The patrol an update names: by global ID or by the device's id of it (exactly one)."""
    if (input.patrol_id is None) == (input.patrol_client_id is None):
        errors.add(("patrolId",), "one_of", other="patrolClientId")
        return None
    if input.patrol_id is None:
        return _Reference(("patrolClientId",), None, input.patrol_client_id)
    key = record_key(errors, ("patrolId",), input.patrol_id, RESULT_TYPE)
    return _Reference(("patrolId",), key, None) if key is not None else None


async def _locked_patrol(ctx: Context, ref: _Reference) -> PatrolRow:
    """The named patrol, locked for this transaction, once the viewer may write to it."""
    async with ctx.db() as session:
        patrol = await repo.patrol_locked(session, patrol_id=ref.patrol_id, client_id=ref.client_id)
        if patrol is None:
            fail(ctx.lang, ref.path, "not_found", "NOT_FOUND", kind="patrol")
    stations = await station_logic.station_rows(ctx, [patrol.station_id])
    if not _may_access(ctx.viewer, patrol, stations[patrol.station_id].governorate_code):
        # as a missing one: whoever may not see it must not learn from the answer that it exists
        fail(ctx.lang, ref.path, "not_found", "NOT_FOUND", kind="patrol")
    return patrol


def _may_access(viewer: policy.Viewer, patrol: PatrolRow, governorate: str) -> bool:
    """The patrol's own officers, and whoever may access its station."""
    return viewer.officer_id in (patrol.officer_ids or ()) or policy.can_access_station(
        viewer, patrol.station_id, governorate
    )


async def _replayed(ctx: Context, result_id: int | None) -> Applied:
    async with ctx.db() as session:
        row = (await repo.patrols_by_ids(session, [result_id])).get(result_id) if result_id else None
    if row is None:  # the first request made no patrol: cannot happen, claims complete in its transaction
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return Applied(row, duplicate=True)


async def _claimed(ctx: Context, client_id: uuid.UUID | None, kind: str, input: object) -> Applied | None:
    """Claim an optional client id: None to go on, or the earlier result of the same request."""
    if client_id is None:
        return None
    found = await claim(ctx, client_id, kind, content_hash(kind, input))
    return None if found.new else await _replayed(ctx, found.result_id)


def _summary(row: PatrolRow) -> dict[str, Any]:
    """What the audit log keeps of a patrol (never the track itself)."""
    return {
        "status": row.status,
        "stationId": row.station_id,
        "officerIds": list(row.officer_ids),
        "startedAt": row.started_at,
        "endedAt": row.ended_at,
        "distanceMeters": round(row.distance_m, 1),
        "fixCount": row.fix_count,
        "flaggedFixCount": row.flagged_fix_count,
        "flags": list(row.flags),
    }


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# --- startPatrol ------------------------------------------------------------------------------------


async def start_patrol(ctx: Context, input: inputs.StartPatrol) -> Applied:
    """Start a patrol at a station, with its officers, optional planned area and starting fix."""
    viewer = policy.require_officer(ctx.viewer)
    now = now_utc()
    errors = Collector(ctx.lang)
    station_id = viewer.station_id
    if input.station_id is not None:
        station_id = record_key(errors, ("stationId",), input.station_id, "Station")
    elif station_id is None:
        errors.add(("stationId",), "required")
    officer_ids = _officer_keys(errors, input.officer_ids)
    check_time(errors, ("startedAt",), input.started_at, now)
    check_time(errors, ("recordedAt",), input.recorded_at, now, required=False)
    location = input.location
    if location is not None:
        check_point(errors, ("location",), location.latitude, location.longitude, location.accuracy_meters)
    area = check_area(errors, ("plannedArea",), input.planned_area)
    errors.check()
    assert station_id is not None  # errors.check() raised otherwise

    replay = await _claimed(ctx, input.client_id, KIND_START, input)
    if replay is not None:
        return replay
    async with ctx.db() as session:
        station = (await station_repo.stations_by_ids(session, [station_id])).get(station_id)
        if station is None or not station.active:
            fail(ctx.lang, ("stationId",), "not_found", "NOT_FOUND", kind="station")
        if not policy.can_access_station(viewer, station.id, station.governorate_code):
            fail(ctx.lang, ("stationId",), "not_your_station", "FORBIDDEN")
        if officer_ids is None:  # default: the viewer, who must then be an officer of that station
            if viewer.station_id != station.id:
                fail(ctx.lang, ("officerIds",), "required")
            officer_ids = [(("officerIds",), viewer.officer_id)]
        found = await officer_repo.officers_by_ids(session, [key for _, key in officer_ids])
        for path, key in officer_ids:
            officer = found.get(key)
            if officer is None or not officer.active or officer.station_id != station.id:
                errors.add(path, "officer_not_here")
        errors.check()

        device_time = input.recorded_at or input.started_at
        start_fix = _start_fix(input, now)
        flags = authenticity_flags(
            recorded_at=device_time,
            received_at=now,
            accuracy=location.accuracy_meters if location else None,
            mocked=location.mocked if location else None,
        )
        row = await repo.insert_patrol(
            session,
            {
                "client_id": input.client_id,
                "station_id": station.id,
                "started_by_id": viewer.officer_id,
                "officer_ids": [key for _, key in officer_ids],
                "planned_area": area,
                "status": ACTIVE,
                "started_at": input.started_at,
                "recorded_at": input.recorded_at,
                "received_at": now,
                "flags": ordered_flags(set(flags)),
                "distance_m": 0.0,
                "fix_count": 1 if start_fix else 0,
                "flagged_fix_count": 1 if start_fix and start_fix.flags else 0,
            },
        )
        if start_fix is not None:
            await _insert_new(session, row.id, [start_fix], walk_track([start_fix]))
    await complete(ctx, input.client_id, RESULT_TYPE, row.id)
    audit.record(ctx, KIND_START, RESULT_TYPE, row.id, after=_summary(row))
    return Applied(row)


def _officer_keys(
    errors: Collector, values: Sequence[str] | None
) -> list[tuple[tuple[str, ...], int]] | None:
    """(path, officer id) of each named officer, once each; None when none were named (the default)."""
    if values is None:
        return None
    if not values:
        errors.add(("officerIds",), "empty")
        return []
    if len(values) > MAX_OFFICERS:
        errors.add(("officerIds",), "too_many", high=MAX_OFFICERS)
        return []
    keys: list[tuple[tuple[str, ...], int]] = []
    seen: set[int] = set()
    for i, value in enumerate(values):
        key = record_key(errors, ("officerIds", str(i)), value, "Officer")
        if key is not None and key not in seen:
            seen.add(key)
            keys.append((("officerIds", str(i)), key))
    return keys


def _start_fix(input: inputs.StartPatrol, now: datetime) -> TrackFix | None:
    """The starting location as the track's first fix, at startedAt."""
    location = input.location
    if location is None:
        return None
    flags = authenticity_flags(
        recorded_at=None, received_at=now, accuracy=location.accuracy_meters, mocked=location.mocked
    )
    return TrackFix(
        _utc(input.started_at), location.latitude, location.longitude, location.accuracy_meters, tuple(flags)
    )


def _fix_values(patrol_id: int, fix: TrackFix, walk: TrackWalk) -> dict[str, Any]:
    """The row of a new fix: its own flags, IMPOSSIBLE_SPEED where the walk left it out for that, and
    its step (None when left out)."""
    speeding = (FLAG_IMPOSSIBLE_SPEED,) if fix.recorded_at in walk.impossible else ()
    return {
        "patrol_id": patrol_id,
        "recorded_at": fix.recorded_at,
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "accuracy_m": fix.accuracy_m,
        "flags": ordered_flags(set(fix.flags + speeding)),
        "step_m": walk.steps.get(fix.recorded_at),
    }


# --- appendPatrolTrack ------------------------------------------------------------------------------


def _batch(errors: Collector, fixes: Sequence[Any], now: datetime) -> list[tuple[int, TrackFix]]:
    """The batch's valid fixes as (index, fix), the first of each instant only; problems go to `errors`."""
    if not fixes:
        errors.add(("fixes",), "empty")
        return []
    if len(fixes) > MAX_FIXES:
        errors.add(("fixes",), "too_many", high=MAX_FIXES)
        return []
    batch: dict[datetime, tuple[int, TrackFix]] = {}
    for i, fix in enumerate(fixes):
        path = ("fixes", str(i))
        before = len(errors.errors)
        check_point(errors, path, fix.latitude, fix.longitude, fix.accuracy_meters)
        check_time(errors, (*path, "recordedAt"), fix.recorded_at, now)
        speed = fix.speed_meters_per_second
        if speed is not None and (not math.isfinite(speed) or not 0 <= speed <= MAX_REPORTED_SPEED_MPS):
            errors.add((*path, "speedMetersPerSecond"), "range", low=0, high=int(MAX_REPORTED_SPEED_MPS))
        if len(errors.errors) > before:
            continue
        # A fix's own flags; LATE_SYNC is left out: uploading a track late is what offline phones do.
        flags = [
            f
            for f in authenticity_flags(
                recorded_at=fix.recorded_at, received_at=now, accuracy=fix.accuracy_meters, mocked=fix.mocked
            )
            if f != FLAG_LATE_SYNC
        ]
        at = _utc(fix.recorded_at)
        batch.setdefault(
            at, (i, TrackFix(at, fix.latitude, fix.longitude, fix.accuracy_meters, tuple(flags)))
        )
    return list(batch.values())


async def append_patrol_track(ctx: Context, input: inputs.AppendPatrolTrack) -> Applied:
    """Add a batch of GPS fixes; resent fixes are ignored, late ones take their place in time order."""
    policy.require_officer(ctx.viewer)
    now = now_utc()
    errors = Collector(ctx.lang)
    ref = _reference(errors, input)
    batch = _batch(errors, input.fixes, now)
    errors.check()
    replay = await _claimed(ctx, input.client_id, KIND_APPEND, input)
    if replay is not None:
        return replay
    assert ref is not None  # errors.check() raised otherwise
    patrol = await _locked_patrol(ctx, ref)
    for i, fix in batch:
        if fix.recorded_at < patrol.started_at:
            errors.add(("fixes", str(i), "recordedAt"), "not_before", other="startedAt")
    errors.check()
    ended = patrol.ended_at  # set once the patrol has ENDED
    if patrol.status == ENDED and ended is not None and any(fix.recorded_at > ended for _, fix in batch):
        fail(ctx.lang, ref.path, "patrol_ended")  # fixes up to the end are a late upload: welcome

    async with ctx.db() as session:
        fixes = [fix for _, fix in batch]
        end = (await repo.track_ends(session, [patrol.id]))[patrol.id]
        if end.last_fix_at is None or (
            end.kept_at is not None and min(f.recorded_at for f in fixes) > end.last_fix_at
        ):
            new = fixes  # the usual case: the track goes on, and nothing stored is touched
            row = await _append_after(session, patrol, end, new)
        else:
            rows = await repo.track(session, patrol.id)
            known = {r.recorded_at for r in rows}
            new = [fix for fix in fixes if fix.recorded_at not in known]
            row = await _apply_batch(session, patrol, rows, new) if new else patrol
    if input.client_id is not None:
        await complete(ctx, input.client_id, RESULT_TYPE, patrol.id)
    if not new:  # every fix was already stored: a replay, nothing written
        return Applied(patrol, duplicate=True)
    audit.record(
        ctx,
        KIND_APPEND,
        RESULT_TYPE,
        patrol.id,
        before=_summary(patrol),
        after={
            **_summary(row),
            "added": len(new),
            "addedFrom": min(f.recorded_at for f in new),
            "addedTo": max(f.recorded_at for f in new),
        },
    )
    return Applied(row)


async def _insert_new(session: AsyncSession, patrol_id: int, new: list[TrackFix], walk: TrackWalk) -> None:
    """The new fixes as the walk found them (flags and steps), in one statement."""
    await repo.insert_fixes(session, [_fix_values(patrol_id, fix, walk) for fix in new])


async def _append_after(
    session: AsyncSession, patrol: PatrolRow, end: TrackEndRow, new: list[TrackFix]
) -> PatrolRow:
    """Store fixes that all come after the stored track: the walk goes on from the last kept fix, and
    the patrol's counts grow by the batch's own (tests/test_patrols.py checks this against a walk of
    the whole track). Three statements, whatever the length of the track."""
    last = (
        None
        if end.kept_at is None or end.latitude is None or end.longitude is None  # no kept fix yet
        else TrackFix(end.kept_at, end.latitude, end.longitude, end.accuracy_m)
    )
    walk = walk_track([last, *new] if last is not None else new)
    await _insert_new(session, patrol.id, new, walk)
    flags = set(patrol.flags) | {f for fix in new for f in fix.flags if f in _PATROL_WIDE}
    if walk.impossible:
        flags.add(FLAG_IMPOSSIBLE_SPEED)
    return await repo.update_patrol(
        session,
        patrol.id,
        {
            "distance_m": patrol.distance_m + walk.distance_m,
            "fix_count": patrol.fix_count + len(new),
            "flagged_fix_count": patrol.flagged_fix_count
            + sum(1 for f in new if f.flags or f.recorded_at in walk.impossible),
            "flags": ordered_flags(flags),
            "version": patrol.version + 1,
        },
    )


async def _apply_batch(
    session: AsyncSession, patrol: PatrolRow, rows: Sequence[TrackFixRow], new: list[TrackFix]
) -> PatrolRow:
    """Store the new fixes and walk the whole track again: flags and steps of stored fixes may change
    when a late fix lands between them. A bounded number of statements, whatever the batch and track
    sizes."""
    stored = [
        TrackFix(
            r.recorded_at,
            r.latitude,
            r.longitude,
            r.accuracy_m,
            tuple(f for f in r.flags if f != FLAG_IMPOSSIBLE_SPEED),
        )
        for r in rows
    ]
    walked = TrackWalk(
        patrol.distance_m,
        frozenset(r.recorded_at for r in rows if FLAG_IMPOSSIBLE_SPEED in r.flags),
        {r.recorded_at: r.step_m for r in rows if r.step_m is not None},
    )
    walk = extend_walk(stored, walked, new)
    await _insert_new(session, patrol.id, new, walk)
    await repo.update_fixes(session, patrol.id, stored_changes(rows, walk))
    every = stored + new
    flagged = sum(1 for f in every if f.flags or f.recorded_at in walk.impossible)
    flags = (set(patrol.flags) - {FLAG_IMPOSSIBLE_SPEED}) | {
        f for fix in new for f in fix.flags if f in _PATROL_WIDE
    }
    if walk.impossible:
        flags.add(FLAG_IMPOSSIBLE_SPEED)
    return await repo.update_patrol(
        session,
        patrol.id,
        {
            "distance_m": walk.distance_m,
            "fix_count": len(every),
            "flagged_fix_count": flagged,
            "flags": ordered_flags(flags),
            "version": patrol.version + 1,
        },
    )


# --- endPatrol --------------------------------------------------------------------------------------


async def end_patrol(ctx: Context, input: inputs.EndPatrol) -> Applied:
    """End a patrol at `endedAt`; ending again at the same instant is a replay, at another a CONFLICT."""
    policy.require_officer(ctx.viewer)
    now = now_utc()
    errors = Collector(ctx.lang)
    ref = _reference(errors, input)
    check_time(errors, ("endedAt",), input.ended_at, now)
    check_time(errors, ("recordedAt",), input.recorded_at, now, required=False)
    errors.check()
    replay = await _claimed(ctx, input.client_id, KIND_END, input)
    if replay is not None:
        return replay
    assert ref is not None  # errors.check() raised otherwise
    patrol = await _locked_patrol(ctx, ref)
    ended_at = _utc(input.ended_at)
    if patrol.status == ENDED:
        if patrol.ended_at != ended_at:
            at = patrol.ended_at.isoformat() if patrol.ended_at is not None else None
            fail(ctx.lang, ("endedAt",), "patrol_ended_at", "CONFLICT", at=at)
        if input.client_id is not None:
            await complete(ctx, input.client_id, RESULT_TYPE, patrol.id)
        return Applied(patrol, duplicate=True)
    if ended_at < patrol.started_at:
        fail(ctx.lang, ("endedAt",), "not_before", other="startedAt")
    async with ctx.db() as session:
        last = (await repo.track_ends(session, [patrol.id]))[patrol.id].last_fix_at
        if last is not None and ended_at < last:
            fail(ctx.lang, ("endedAt",), "before_last_fix", at=last.isoformat())
        flags = set(patrol.flags) | (
            {FLAG_CLOCK_SKEW}
            & set(
                authenticity_flags(
                    recorded_at=input.recorded_at or input.ended_at,
                    received_at=now,
                    accuracy=None,
                    mocked=None,
                )
            )
        )
        row = await repo.update_patrol(
            session,
            patrol.id,
            {
                "status": ENDED,
                "ended_at": ended_at,
                "flags": ordered_flags(flags),
                "version": patrol.version + 1,
            },
        )
    if input.client_id is not None:
        await complete(ctx, input.client_id, RESULT_TYPE, patrol.id)
    audit.record(ctx, KIND_END, RESULT_TYPE, patrol.id, before=_summary(patrol), after=_summary(row))
    return Applied(row)


# --- Reading ----------------------------------------------------------------------------------------


async def list_patrols(
    ctx: Context,
    *,
    first: int | None,
    after: tuple[datetime, int] | None,
    station_id: int | None = None,
    governorate: str | None = None,
    status: str | None = None,
    officer_id: int | None = None,
    from_: datetime | None = None,
    to: datetime | None = None,
) -> Page[PatrolRow]:
    """A page of the patrols the viewer may see, newest start first; citizens are refused."""
    viewer = policy.require_officer(ctx.viewer)
    first = check_first(first, ctx.lang, default=20)
    args = {
        **scope_args(viewer),
        "station_id": station_id,
        "governorate": governorate,
        "status": status,
        "officer_id": officer_id,
        "from_": from_,
        "to": to,
    }
    async with ctx.db() as session:
        rows = list(await repo.list_patrols(session, after=after, limit=first + 1, **args))
    return page_of(rows, first, args)


async def count_patrols(ctx: Context, args: dict[str, Any]) -> int:
    async with ctx.db() as session:
        return await repo.count_patrols(session, **args)


async def visible_patrols(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Patrols by id that the viewer may see; citizens see none."""
    if ctx.viewer is None or not ids:
        return {}
    async with ctx.db() as session:
        rows = await repo.patrols_by_ids(session, ids)
        station_ids = sorted({r.station_id for r in rows.values()})
        stations = await station_repo.stations_by_ids(session, station_ids) if station_ids else {}
    return {
        i: r for i, r in rows.items() if _may_access(ctx.viewer, r, stations[r.station_id].governorate_code)
    }


async def kept_tracks(ctx: Context, patrol_ids: Sequence[int]) -> dict[int, dict[str, Any] | None]:
    """Each patrol's track as a GeoJSON LineString of its kept fixes, or None below two fixes."""
    async with ctx.db() as session:
        tracks = await repo.kept_tracks(session, patrol_ids)
    return {pid: track_geojson([(r.latitude, r.longitude) for r in rows]) for pid, rows in tracks.items()}


async def track_ends(ctx: Context, patrol_ids: Sequence[int]) -> dict[int, Any]:
    """Each patrol's last fix time and last kept position (None values when it has none)."""
    async with ctx.db() as session:
        return await repo.track_ends(session, patrol_ids)


def duration_seconds(patrol: PatrolRow, last_fix_at: datetime | None) -> float:
    """From the start to the end, or, while the patrol goes on, to its last fix (0 before any)."""
    end = patrol.ended_at or last_fix_at
    return max(0.0, (end - patrol.started_at).total_seconds()) if end else 0.0
