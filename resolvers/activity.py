"""Activity for supervisors and citizens: maps of H3 cells, timelines, summaries with CompStat changes,
coverage gaps, and the citizens' public safety map. Everything is counted from the rollups (db.activity)
except what counts cannot give a summary (medians, distinct officers) and the public map, read from its
months' base numbers as frozen when first published; permissions come from
resolvers.policy, areas from resolvers.areas, which rollup rows answer a period from
resolvers.activity_plan, and how precisely sensitive records and the public's numbers may be shown from
resolvers.disclosure: for a viewer who is not on every case of their scope, every question counts the
records that are not sensitive exactly and the sensitive ones by their generalised key only.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import activity as repo
from resolvers import activity_plan, disclosure, inputs, policy
from resolvers.areas import GOVERNORATE, MAX_RESOLUTION, MIN_RESOLUTION, STATION, Area, resolve_area
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message

LAYERS = {"INCIDENTS": repo.INCIDENTS, "ENGAGEMENTS": repo.ENGAGEMENTS, "PATROLS": repo.PATROLS}
MAX_PERIOD = timedelta(days=3 * 366)  # CompStat looks back a year; three make a trend
MAX_BUCKETS = 2000  # a timeline longer than this is unreadable on any screen
# Coarsest resolution with day rows: counts without cells (summaries, timelines of scope areas) read it.
COUNT_RESOLUTION = 6


@dataclasses.dataclass(slots=True)
class Cell:
    h3_index: int
    incidents: int
    engagements: int
    patrol_minutes: float

    @property
    def center(self) -> tuple[float, float]:
        return h3.cell_to_latlng(h3.int_to_str(self.h3_index))


@dataclasses.dataclass(slots=True)
class Totals:
    incidents: int = 0
    engagements: int = 0
    patrol_minutes: float = 0.0
    # Counted in `incidents` and `engagements`, placed in no cell (a map finer than the coarse cell of
    # resolvers.disclosure, for a viewer who sees them generalised).
    sensitive_withheld: int = 0
    sensitive_engagements_withheld: int = 0


@dataclasses.dataclass(slots=True)
class ActivityMap:
    resolution: int
    start: datetime
    end: datetime
    cells: list[Cell]
    totals: Totals


# --- validation ---------------------------------------------------------------------------------------


def check_resolution(resolution: int, lang: str, high: int = MAX_RESOLUTION) -> int:
    if not MIN_RESOLUTION <= resolution <= high:
        raise InputError(
            "resolution", message("range", lang, field="resolution", low=MIN_RESOLUTION, high=high)
        )
    return resolution


def check_period(start: datetime, end: datetime, lang: str) -> tuple[datetime, datetime]:
    """[from, to) on whole hours, from before to, at most MAX_PERIOD long."""
    for name, value in (("from", start), ("to", end)):
        if not activity_plan.is_whole_hour(value):
            raise InputError(name, message("whole_hour", lang, field=name))
    if end <= start:
        raise InputError("to", message("not_more_than", lang, field="from", other="to"))
    if end - start > MAX_PERIOD:
        raise InputError("to", message("period_too_long", lang, field="from..to", high="3 years"))
    return start.astimezone(UTC), end.astimezone(UTC)


def _layers(layers: Sequence[Any] | None) -> list[int]:
    if not layers:
        return list(LAYERS.values())
    return sorted({LAYERS[getattr(layer, "value", layer)] for layer in layers})


def _categories(categories: Sequence[Any] | None) -> list[str] | None:
    return None if categories is None else sorted({getattr(c, "value", c) for c in categories})


async def _scoped(ctx: Context, area_input: inputs.Area) -> tuple[Area, policy.Scope]:
    area = await resolve_area(ctx, area_input)
    return area, check_area_scope(ctx, area)


def check_area_scope(ctx: Context, area: Area) -> policy.Scope:
    """The viewer's scope, once policy has allowed them the area (FORBIDDEN otherwise)."""
    if area.kind == "station":
        return policy.activity_scope(
            ctx.viewer, station_id=area.station_id, station_governorate=area.governorate
        )
    return policy.activity_scope(ctx.viewer, governorate=area.governorate)


def _filter(
    area: Area,
    scope: policy.Scope | None,
    start: datetime,
    end: datetime,
    resolution: int,
    ctx: Context,
    **extra: Any,
) -> repo.Filter:
    stretches = [(s.grain, s.res, s.start, s.end) for s in activity_plan.plan(start, end, resolution)]
    cover = area.cells(resolution, lang=ctx.lang) if area.is_place else None
    return repo.Filter(
        stretches=stretches,
        resolution=resolution,
        scope_everything=scope is None or scope.everything,
        scope_station_ids=sorted(scope.station_ids) if scope else (),
        scope_governorates=sorted(scope.governorates) if scope else (),
        station_id=area.station_id if area.kind == "station" else None,
        governorate=area.governorate if area.kind == "governorate" else None,
        cover=cover,
        **extra,
    )


# --- maps ---------------------------------------------------------------------------------------------


async def activity_map(
    ctx: Context,
    area_input: inputs.Area,
    start: datetime,
    end: datetime,
    resolution: int,
    layers: Sequence[Any] | None,
    categories: Sequence[Any] | None,
) -> ActivityMap:
    """Incidents, engagements and patrol time per H3 cell of the viewer's records in the area."""
    policy.require_officer(ctx.viewer)
    check_resolution(resolution, ctx.lang)
    start, end = check_period(start, end, ctx.lang)
    area, scope = await _scoped(ctx, area_input)
    view = disclosure.for_viewer(ctx.viewer)
    f = _filter(
        area,
        scope,
        start,
        end,
        resolution,
        ctx,
        layers=_layers(layers),
        categories=_categories(categories),
        sensitive=None if view.exact_aggregates else False,
    )
    async with ctx.db() as session:
        rows = await repo.cells(session, f)
        coarse = await disclosure.generalised_rows(session, view, f, start, end)
    placed = disclosure.place(coarse, resolution)
    if len(rows) > MAP_IN_THREAD_ROWS:  # a governorate at resolution 10: a tenth of a second and more
        return await asyncio.to_thread(_map, rows, placed, resolution, start, end)
    return _map(rows, placed, resolution, start, end)


# Beyond this many cells, a map is totalled in a thread, so the event loop keeps answering meanwhile.
MAP_IN_THREAD_ROWS = 2000


def _map(
    rows: Sequence[Any], placed: disclosure.Placed, resolution: int, start: datetime, end: datetime
) -> ActivityMap:
    totals = Totals(
        sensitive_withheld=placed.withheld_incidents,
        sensitive_engagements_withheld=placed.withheld_engagements,
    )
    found: dict[int, Cell] = {}
    for row in rows:
        incidents = row.incidents + row.sensitive
        found[row.cell] = Cell(row.cell, incidents, row.engagements, row.patrol_minutes)
        totals.incidents += incidents
        totals.engagements += row.engagements
        totals.patrol_minutes += row.patrol_minutes
    totals.incidents += placed.withheld_incidents
    totals.engagements += placed.withheld_engagements
    for index, (incidents, engagements) in placed.cells.items():
        cell = found.setdefault(index, Cell(index, 0, 0, 0.0))
        cell.incidents += incidents
        cell.engagements += engagements
        totals.incidents += incidents
        totals.engagements += engagements
    cells = [c for _, c in sorted(found.items()) if c.incidents or c.engagements or c.patrol_minutes > 0]
    return ActivityMap(resolution, start, end, cells, totals)


async def public_safety_map(
    ctx: Context, area_input: inputs.Area, start: datetime, end: datetime, resolution: int
) -> ActivityMap:
    """Incidents per coarse cell for anyone, from the published base numbers only (resolvers.disclosure):
    completed months, no sensitive incidents, every number a sum of base numbers of at least
    PUBLIC_MIN_COUNT, so that no difference of two answers reveals a suppressed one. A drawn area holds
    the base cells whose centre it contains; a governorate, the base numbers of its stations. Each month
    is answered as it was first published (frozen then, for every governorate: `freeze_public_months`),
    so that no late report or correction moves a base number across the threshold between two days."""
    check_resolution(resolution, ctx.lang, disclosure.PUBLIC_RESOLUTION)
    for name, value in (("from", start), ("to", end)):
        if value.utcoffset() is None:
            raise InputError(name, message("required", ctx.lang, field=name))
    area = await resolve_area(ctx, area_input)
    if area.kind == STATION:
        raise InputError("area.stationId", message("public_area", ctx.lang, field="area.stationId"))
    start, end = disclosure.public_period(start, end, datetime.now(UTC))
    if end <= start:
        return ActivityMap(resolution, start, start, [], Totals())
    if end - start > MAX_PERIOD:
        raise InputError("to", message("period_too_long", ctx.lang, field="from..to", high="3 years"))
    cells7 = area.cells(disclosure.PUBLIC_RESOLUTION, lang=ctx.lang) if area.is_place else None
    async with ctx.db() as session:
        # Each month is answered from its base numbers as first published, never from the rollups as
        # they are now: a month not published before is frozen first.
        missing = await repo.unfrozen_months(session, disclosure.public_months_of(start, end))
        if missing and ctx.reader is None:
            # In the request's transaction, which is then committed, not rolled back as a query's is.
            await _freeze(session, missing)
            ctx.keep_writes = True
        elif missing:
            # An autocommit reader writes nothing: a transaction of its own, committed before the read.
            await freeze_public_months(ctx.sessionmaker, missing)
        published = await repo.public_base(
            session,
            start=start,
            end=end,
            cells7=cells7,
            governorate=area.governorate if area.kind == GOVERNORATE else None,
        )
    found = disclosure.public_cells(published, resolution)
    cells = [Cell(index, n, 0, 0.0) for index, n in sorted(found.items())]
    return ActivityMap(resolution, start, end, cells, Totals(incidents=sum(found.values())))


async def freeze_public_months(
    sessionmaker: async_sessionmaker[AsyncSession], months: Sequence[datetime]
) -> list[datetime]:
    """Freeze those of the public map's `months` (each a completed month's start) not frozen yet: their
    published base numbers, of every governorate, counted now and kept as they are from then on
    (db.activity.freeze_public_months), in one transaction of their own. Two freezes of a month at once:
    one stores it, the other waits for it and stores nothing. The months this call froze."""
    async with sessionmaker() as session:
        frozen = await _freeze(session, months)
        await session.commit()
    return frozen


async def _freeze(session: AsyncSession, months: Sequence[datetime]) -> list[datetime]:
    excluded = sorted(policy.SENSITIVE_CATEGORIES)
    return await repo.freeze_public_months(
        session, months, excluded=excluded, minimum=disclosure.PUBLIC_MIN_COUNT
    )


async def freeze_last_public_month(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> list[datetime]:
    """The server's upkeep (api/compaction.py, every minute): freeze the month that ended last (Baghdad)
    if no question of the public map has frozen it yet, so that a month is kept as it was at its end,
    whenever the public first asks. Nothing to do (one lookup) once it is."""
    month = activity_plan.month_floor(activity_plan.month_floor(now or datetime.now(UTC)) - timedelta(days=1))
    async with sessionmaker() as session:
        missing = await repo.unfrozen_months(session, [month.astimezone(UTC)])
    return await freeze_public_months(sessionmaker, missing) if missing else []


async def coverage_gaps(
    ctx: Context, area_input: inputs.Area, days: int, end: datetime | None, resolution: int
) -> ActivityMap:
    """Cells with incidents but neither an engagement nor a minute of patrol in the last `days` days."""
    policy.require_officer(ctx.viewer)
    if not 1 <= days <= 366:
        raise InputError("days", message("range", ctx.lang, field="days", low=1, high=366))
    if end is None:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(days=days)
    found = await activity_map(ctx, area_input, start, end, resolution, None, None)
    found.cells = [c for c in found.cells if c.incidents and not c.engagements and c.patrol_minutes == 0]
    gaps = Totals()
    for cell in found.cells:
        gaps.incidents += cell.incidents
    return dataclasses.replace(found, totals=gaps)


def feature_collection(cells: Sequence[Cell]) -> dict[str, Any]:
    """The cells as a GeoJSON FeatureCollection of hexagons ([longitude, latitude], closed rings)."""
    features = []
    for cell in cells:
        index = h3.int_to_str(cell.h3_index)
        ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(index)]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": index,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "h3Index": index,
                    "incidents": cell.incidents,
                    "engagements": cell.engagements,
                    "patrolMinutes": round(cell.patrol_minutes, 2),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- timelines ------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class TimelinePoint:
    start: datetime
    incidents: int = 0
    engagements: int = 0
    patrol_minutes: float = 0.0


_STEP = {"HOUR": timedelta(hours=1), "DAY": timedelta(days=1), "WEEK": timedelta(weeks=1)}


async def activity_timeline(
    ctx: Context,
    area_input: inputs.Area,
    start: datetime,
    end: datetime,
    unit: str,
    resolution: int,
    layers: Sequence[Any] | None,
    categories: Sequence[Any] | None,
) -> list[TimelinePoint]:
    """Counts per hour, day or week (Baghdad's calendar; weeks from Monday), every bucket present."""
    policy.require_officer(ctx.viewer)
    check_resolution(resolution, ctx.lang)
    start, end = check_period(start, end, ctx.lang)
    if (end - start) / _STEP[unit] > MAX_BUCKETS:
        raise InputError("bucket", message("too_many", ctx.lang, field="bucket", high=MAX_BUCKETS))
    area, scope = await _scoped(ctx, area_input)
    # Hours come from hour rows only, days and weeks from days (months do not split into weeks).
    coarsest = activity_plan.HOUR if unit == "HOUR" else activity_plan.DAY
    res = resolution if area.is_place else COUNT_RESOLUTION
    view = disclosure.for_viewer(ctx.viewer)
    f = _filter(
        area,
        scope,
        start,
        end,
        res,
        ctx,
        layers=_layers(layers),
        categories=_categories(categories),
        sensitive=None if view.exact_aggregates else False,
    )
    f = dataclasses.replace(
        f,
        stretches=[
            (s.grain, s.res, s.start, s.end) for s in activity_plan.plan(start, end, res, coarsest=coarsest)
        ],
    )
    async with ctx.db() as session:
        rows = await repo.timeline(session, f, unit)
        # Generalised records have a day, not an hour: an hourly timeline leaves them out.
        coarse = (
            []
            if unit == "HOUR"
            else await disclosure.generalised_rows(session, view, f, start, end, coarsest=activity_plan.DAY)
        )
    found = {
        row.bucket: TimelinePoint(row.bucket, row.incidents, row.engagements, row.patrol_minutes)
        for row in rows
    }
    for row in coarse:
        at = _bucket_start(row.bucket, unit)
        point = found.setdefault(at, TimelinePoint(at))
        if row.layer == repo.INCIDENTS:
            point.incidents += int(row.n)
        else:
            point.engagements += int(row.n)
    points, at = [], _bucket_start(start, unit)
    while at < end:
        points.append(found.get(at) or TimelinePoint(at))
        # An hour past the next start, floored: a calendar day or week, whatever the clock did.
        step = at + _STEP[unit]
        at = step if unit == "HOUR" else _bucket_start(step + timedelta(hours=1), unit)
    return points


def _bucket_start(at: datetime, unit: str) -> datetime:
    if unit == "HOUR":
        return at
    day = activity_plan.day_floor(at)
    if unit == "WEEK":
        day = activity_plan.day_floor(day - timedelta(days=day.weekday()))
    return day.astimezone(UTC)


# --- summaries ------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Change:
    window: str  # LAST_28_DAYS or YEAR_TO_DATE
    layer: str
    category: str | None  # incident category or engagement kind; None: the whole layer
    current: float
    previous: float

    @property
    def change_percent(self) -> float | None:
        if self.previous == 0:
            return None
        return round(100.0 * (self.current - self.previous) / self.previous, 1)


@dataclasses.dataclass(slots=True)
class Summary:
    start: datetime
    end: datetime
    incidents_by_category: dict[str, int]
    incidents_by_status: dict[str, int]
    median_hours_to_resolve: float | None
    resolved: int
    engagements_by_kind: dict[str, int]
    attendees: int
    women_attendees: int
    youth_attendees: int
    patrol_minutes: float
    patrol_meters: float
    active_officers: int
    engagements_by_women_officers: int
    changes: list[Change]


async def activity_summary(
    ctx: Context, area_input: inputs.Area, start: datetime, end: datetime, resolution: int
) -> Summary:
    policy.require_officer(ctx.viewer)
    check_resolution(resolution, ctx.lang)
    start, end = check_period(start, end, ctx.lang)
    area, scope = await _scoped(ctx, area_input)
    res = resolution if area.is_place else COUNT_RESOLUTION
    view = disclosure.for_viewer(ctx.viewer)
    f = _filter(area, scope, start, end, res, ctx, sensitive=None if view.exact_aggregates else False)
    async with ctx.db() as session:
        rows = await _counts(session, view, f, start, end)
        raw = await repo.raw_summary(
            session,
            f,
            start,
            end,
            coarse=None if view.exact_aggregates else disclosure.coarse_filter(f.cover, start, end, res),
        )
        patrollers = await repo.patrol_officers(session, f, start, end)
        changes = await _changes(session, view, f, end)
    incidents: dict[str, int] = {}
    for r in rows:
        if r.layer == repo.INCIDENTS and r.n:
            incidents[r.category] = incidents.get(r.category, 0) + int(r.n)
    engagements = [r for r in rows if r.layer == repo.ENGAGEMENTS]
    patrols = [r for r in rows if r.layer == repo.PATROLS]
    officers = len(patrollers | set(raw.officer_ids or ()))
    return Summary(
        start=start,
        end=end,
        incidents_by_category=incidents,
        incidents_by_status={k: int(v) for k, v in (raw.statuses or {}).items()},
        median_hours_to_resolve=None
        if raw.median_hours_to_resolve is None
        else round(float(raw.median_hours_to_resolve), 2),
        resolved=int(raw.resolved),
        engagements_by_kind=_by_category(engagements),
        attendees=sum(int(r.attendees) for r in engagements),
        women_attendees=sum(int(r.women) for r in engagements),
        youth_attendees=sum(int(r.youth) for r in engagements),
        patrol_minutes=sum(float(r.minutes) for r in patrols),
        patrol_meters=sum(float(r.meters) for r in patrols),
        active_officers=officers,
        engagements_by_women_officers=int(raw.engagements_by_women),
        changes=changes,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Count:
    """What a summary adds up, per layer and category: a row of db.activity.counts, or generalised records."""

    layer: int
    category: str
    n: int
    minutes: float = 0.0
    meters: float = 0.0
    attendees: int = 0
    women: int = 0
    youth: int = 0


async def _counts(
    session: Any, view: disclosure.Disclosure, f: repo.Filter, start: datetime, end: datetime
) -> list[_Count]:
    """The question's counts per layer and category: its own rows (all records for a viewer who counts
    them exactly, else those not sensitive), plus the generalised sensitive records it holds."""
    rows = await repo.counts(session, f) if f.stretches else []
    found = [
        _Count(
            r.layer,
            r.category,
            int(r.n or 0),
            float(r.minutes or 0),
            float(r.meters or 0),
            int(r.attendees or 0),
            int(r.women or 0),
            int(r.youth or 0),
        )
        for r in rows
    ]
    for r in await disclosure.generalised_rows(session, view, f, start, end):
        found.append(
            _Count(r.layer, r.category, int(r.n), 0.0, 0.0, int(r.attendees), int(r.women), int(r.youth))
        )
    return found


def _by_category(rows: Sequence[_Count]) -> dict[str, int]:
    found: dict[str, int] = {}
    for r in rows:
        if r.n:
            found[r.category] = found.get(r.category, 0) + r.n
    return {k: v for k, v in found.items() if v}


def _year_start(at: datetime) -> datetime:
    local = at.astimezone(activity_plan.BAGHDAD)
    return datetime(local.year, 1, 1, tzinfo=activity_plan.BAGHDAD).astimezone(UTC)


def _year_before(at: datetime) -> datetime:
    local = at.astimezone(activity_plan.BAGHDAD)
    try:
        return local.replace(year=local.year - 1).astimezone(UTC)
    except ValueError:  # 29 February
        return local.replace(year=local.year - 1, day=28).astimezone(UTC)


async def _changes(session: Any, view: disclosure.Disclosure, f: repo.Filter, end: datetime) -> list[Change]:
    """CompStat: the 28 days to `end` against the 28 before, and the year to date against the same
    stretch of last year; per layer, and per incident category and engagement kind."""
    windows = {
        "LAST_28_DAYS": (
            (end - timedelta(days=28), end),
            (end - timedelta(days=56), end - timedelta(days=28)),
        ),
        "YEAR_TO_DATE": ((_year_start(end), end), (_year_start(_year_before(end)), _year_before(end))),
    }
    changes: list[Change] = []
    for window, (current, previous) in windows.items():
        sums: list[dict[tuple[str, str | None], float]] = []
        for low, high in (current, previous):
            plan = activity_plan.plan(low, high, f.resolution) if low < high else []
            rows = (
                await _counts(
                    session,
                    view,
                    dataclasses.replace(f, stretches=[(s.grain, s.res, s.start, s.end) for s in plan]),
                    low,
                    high,
                )
                if plan
                else []
            )
            found: dict[tuple[str, str | None], float] = {}
            for row in rows:
                layer = {v: k for k, v in LAYERS.items()}[row.layer]
                value = float(row.minutes) / 60 if row.layer == repo.PATROLS else float(row.n)
                found[(layer, None)] = found.get((layer, None), 0.0) + value
                if row.layer != repo.PATROLS:
                    found[(layer, row.category)] = found.get((layer, row.category), 0.0) + value
            sums.append(found)
        for key in sorted(set(sums[0]) | set(sums[1]), key=lambda k: (k[0], k[1] or "")):
            changes.append(Change(window, key[0], key[1], sums[0].get(key, 0.0), sums[1].get(key, 0.0)))
    return changes


# --- one station's figures (problem assessments) --------------------------------------------------------


@dataclasses.dataclass(slots=True)
class StationFigures:
    """What one station's records add up to over a period: incidents per category, engagements and their
    attendees (with women and young people among them)."""

    incidents_by_category: dict[str, int]
    engagements: int
    attendees: int
    women_attendees: int
    youth_attendees: int


async def station_figures(
    ctx: Context,
    area: Area,
    station_id: int,
    start: datetime,
    end: datetime,
    categories: Sequence[str] | None,
    resolution: int,
) -> StationFigures:
    """The counts activitySummary gives for one station's records over [start, end) (whole hours), in a
    drawn area or wherever they happened (a station area), incidents of `categories` only (None: all).
    The caller has checked that the viewer may see the station's records; sensitive records count as
    for any summary (resolvers.disclosure: exactly for a viewer on every case of their scope, by their
    generalised key for anyone else)."""
    viewer = policy.require_officer(ctx.viewer)
    res = resolution if area.is_place else COUNT_RESOLUTION
    view = disclosure.for_viewer(viewer)
    f = dataclasses.replace(
        _filter(
            area,
            policy.record_scope(viewer),
            start,
            end,
            res,
            ctx,
            layers=[repo.INCIDENTS, repo.ENGAGEMENTS],
            categories=_categories(categories),
            sensitive=None if view.exact_aggregates else False,
        ),
        station_id=station_id,
    )
    async with ctx.db() as session:
        rows = await _counts(session, view, f, start, end)
    incidents: dict[str, int] = {}
    for r in rows:
        if r.layer == repo.INCIDENTS and r.n:
            incidents[r.category] = incidents.get(r.category, 0) + r.n
    engagements = [r for r in rows if r.layer == repo.ENGAGEMENTS]
    return StationFigures(
        incidents_by_category=incidents,
        engagements=sum(r.n for r in engagements),
        attendees=sum(r.attendees for r in engagements),
        women_attendees=sum(r.women for r in engagements),
        youth_attendees=sum(r.youth for r in engagements),
    )
