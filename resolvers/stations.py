"""Station logic: the nearest-station search, listing and search, and schedules from stored rows."""

from __future__ import annotations

import bisect
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from db import holidays as holiday_repo
from db import stations as repo
from db.rows import ClosureRow, NearestStationRow, StationRow
from resolvers import errors, holidays, hours
from resolvers.context import Context
from resolvers.geodesy import geodesic_m
from resolvers.listing import Page, page_of
from resolvers.station_records import Closure, Period
from resolvers.text_fold import fold

# Rounding in the chord (computed in SQL) could make it a hair longer than the true one; the stop
# rule keeps this margin so that it never stops early.
_CHORD_SLACK_M = 0.01
MAX_WITHIN_M = 20_000_000.0


@dataclasses.dataclass(slots=True)
class Nearby:
    station: Any  # a station row
    distance_m: float
    is_open: bool


def _period(item: dict[str, Any]) -> Period:
    return Period(item["weekday"], item["opens"], item["closes"], item.get("service"))


# Compiled weekly schedules by (station id, version, updated_at): every write bumps both, so a changed
# station misses the cache. Least recently used first out, sized for the largest station sets we serve
# (a cache cleared whole when full would recompile a burst of schedules and stall requests).
_weekly: OrderedDict[tuple[int, int, datetime], hours.Schedule] = OrderedDict()
_WEEKLY_MAX = 200_000


def schedule_of(row: StationRow, closures: Sequence[Closure] = ()) -> hours.Schedule:
    """The schedule of a station row, with the given closures (for `hours.next_change`, every closure not
    over by the instant asked about: `closures_ending_after`)."""
    key = (row.id, row.version, row.updated_at)
    weekly = _weekly.get(key)
    if weekly is None:
        weekly = _weekly[key] = hours.Schedule(
            row.timezone, row.always_open, frozenset(row.services), tuple(_period(p) for p in row.hours)
        )
        if len(_weekly) > _WEEKLY_MAX:
            _weekly.popitem(last=False)
    else:
        _weekly.move_to_end(key)
    if not closures:
        return weekly
    return weekly.with_closures(closures)


def closures_from_json(items: Sequence[Sequence[Any]]) -> list[Closure]:
    """Closures as the nearest query aggregates them: [starts_at, ends_at, reason, services, id,
    reason_ar, reason_ku, reason_en]."""
    return [
        Closure(
            datetime.fromisoformat(s), datetime.fromisoformat(e), r, tuple(v) if v else None, i, (ar, ku, en)
        )
        for s, e, r, v, i, ar, ku, en in items
    ]


def closure_of(row: ClosureRow) -> Closure:
    return Closure(
        row.starts_at,
        row.ends_at,
        row.reason,
        tuple(row.services) if row.services else None,
        row.id,
        (row.reason_ar, row.reason_ku, row.reason_en),
    )


def closes_on_holidays(row: StationRow) -> bool:
    """Whether public holidays close the station or any of its desks."""
    return row.closes_on_holidays or bool(row.holiday_closed_services)


def holiday_closures(row: StationRow, found: Sequence[holidays.Holiday], after: datetime) -> list[Closure]:
    """The closures the holidays `found` make for the station, those not over by `after`. They go with
    its own closures, the same way: a holiday is evaluated exactly as a closure of those days."""
    if not closes_on_holidays(row):
        return []
    made = holidays.closures_for(
        found,
        timezone=row.timezone,
        whole_station=row.closes_on_holidays,
        desks=[s for s in row.holiday_closed_services if s in row.services],
    )
    return [c for c in made if c.ends_at > after]


# How far ahead holidays are read for a station's hours: `nextChangeAt` of a station closed on holidays
# looks at most this far (the next holiday is always nearer: there are a dozen a year).
_HOLIDAYS_AHEAD = timedelta(days=400)


async def holidays_from(ctx: Context, after: datetime) -> list[holidays.Holiday]:
    """The public holidays (the administrators' changes applied) from the day before `after` to 400 days
    on: one read of `public_holidays` per request and window."""
    if not holidays.FIRST_YEAR - 1 <= after.year <= holidays.LAST_YEAR:
        return []  # no holiday is known then (and the dates below stay far from date.min and date.max)
    first = (after - timedelta(days=1)).date()
    known: dict[Any, list[holidays.Holiday]] = ctx.loaders.setdefault("holidays", {})
    found = known.get(first)
    if found is None:
        found = known[first] = await holidays_between(ctx, first, first + _HOLIDAYS_AHEAD)
    return found


async def holidays_between(ctx: Context, first: date, last: date) -> list[holidays.Holiday]:
    margin = timedelta(days=holidays.MAX_MOVE_DAYS + holidays.MAX_DAYS + 366)
    async with ctx.db() as session:
        rows = await holiday_repo.changes_between(session, first - margin, last + margin)
    return holidays.holidays_between(first, last, [change_of(r) for r in rows])


def change_of(row: Any) -> holidays.Change:
    names = {lang: text for lang in ("ar", "ku", "en") if (text := getattr(row, f"name_{lang}"))}
    return holidays.Change(row.key, row.kind, row.starts_on, row.ends_on, names, row.national)


def open_for(
    row: NearestStationRow, at: datetime, services: Sequence[str], found: Sequence[holidays.Holiday] = ()
) -> bool:
    """Whether a nearest-search candidate is open at `at` for all of `services`. Its `closures_ahead` are
    those not over by `at`, in start order: only the ones already begun can close it, and a station
    with closures ahead decodes one start to know it has none begun. The public holidays `found` close
    it like closures when it closes on holidays."""
    items = row.closures_ahead
    extra = [c for c in holiday_closures(row, found, at) if c.starts_at <= at] if found else []
    if not items and not extra:
        return hours.is_open_for_all(schedule_of(row), at, services)
    begun = 0
    while begun < len(items) and datetime.fromisoformat(items[begun][0]) <= at:
        begun += 1
    closures = closures_from_json(items[:begun]) + extra
    return hours.is_open_for_all(schedule_of(row, closures), at, services)


def request_now(ctx: Context) -> datetime:
    """The request's "now", one instant for all its fields: a station's `isOpen` and `nextChangeAt`
    without `at`, its `closures` (in force now or coming) and `nearestStations` without `at` agree, and
    share the closures read for it."""
    now = ctx.loaders.get("now")
    if now is None:
        now = ctx.loaders["now"] = datetime.now(UTC)
    return now


def known_closures(ctx: Context, station_id: int, after: datetime) -> list[Closure] | None:
    """The station's closures not over by `after`, when this request's nearest search has read them."""
    items = ctx.loaders.get("closures_ahead", {}).get((station_id, after))
    return None if items is None else closures_from_json(items)


async def closures_ending_after(ctx: Context, keys: Sequence[tuple[int, datetime]]) -> list[list[Closure]]:
    """For each (station id, instant), the station's closures not over by that instant, in start order:
    all those that can matter to `isOpen` and `nextChangeAt` there, however far it is from today. One
    round trip for every key: the closures ending after the earliest instant, sorted out here."""
    if not keys:
        return []
    async with ctx.db() as session:
        rows = await repo.closures_for_stations(
            session, list({k[0] for k in keys}), ending_after=min(k[1] for k in keys)
        )
    return [
        [closure_of(c) for c in rows.get(station_id, ()) if c.ends_at > after] for station_id, after in keys
    ]


async def nearest(
    ctx: Context,
    *,
    latitude: float,
    longitude: float,
    first: int | None,
    at: datetime,
    open_now: bool = False,
    services: Sequence[str] = (),
    within_m: float | None = None,
    governorate: str | None = None,
) -> list[Nearby]:
    """The `first` stations nearest to the point by geodesic distance, after every filter.

    Candidates come from the database in increasing chord distance, in growing batches. Each is
    filtered (open at `at` for all requested services, within `within_m`) and ranked by its true
    geodesic distance. Since a chord is never longer than the geodesic, once the k-th best distance
    found is no longer than the chord of the last candidate fetched, no station not yet fetched can
    come closer, and the answer is exact. Filters therefore never shrink the answer below `first`.
    """
    lang = ctx.lang
    errors.check_range(latitude, "near.latitude", -90, 90, lang)
    errors.check_range(longitude, "near.longitude", -180, 180, lang)
    # A coordinate within 1e-12 degrees (0.1 nm) of zero is zero: values such as 5e-237 would reach
    # PostgreSQL's trigonometry, which refuses them as an underflow. Every other point is left as given.
    latitude = 0.0 if abs(latitude) < 1e-12 else latitude
    longitude = 0.0 if abs(longitude) < 1e-12 else longitude
    first = errors.check_first(first, lang, default=5)
    if within_m is not None:
        errors.check_range(within_m, "withinMeters", 0, MAX_WITHIN_M, lang)
    found: list[tuple[float, int, Nearby]] = []  # kept sorted by (distance, id)
    # With openNow the database already skips stations its weekly hours have closed, so only closures
    # (rare) and the stop rule (one candidate past the k-th) call for more than `first`; every extra
    # row asked for is walked to in the index, past all the closed stations on the way.
    batch = first + (2 if open_now else 8)
    seen: list[int] = []
    found_holidays: list[holidays.Holiday] | None = None
    while True:
        async with ctx.db() as session:
            rows = await repo.nearest_candidates(
                session,
                latitude=latitude,
                longitude=longitude,
                at=at,
                services=services,
                within_m=within_m,
                limit=batch,
                exclude_ids=seen,
                governorate=governorate,
                open_now=open_now,
            )
        seen.extend(row.id for row in rows)
        # Holidays close like closures, which the database leaves to Python: read once, when a station
        # that closes on them comes up.
        if found_holidays is None and any(closes_on_holidays(row) for row in rows):
            found_holidays = await holidays_from(ctx, at)
        for row in rows:
            # The stop rule, candidate by candidate: this one and every later one (in chord order) is at
            # least its chord away, so none of them can enter the answer. It saves the geodesics.
            if len(found) >= first and found[first - 1][0] <= row.chord - _CHORD_SLACK_M:
                return _answer(ctx, found[:first], at)
            open_ = open_for(row, at, services, found_holidays or ())
            if open_now and not open_:
                continue
            distance = geodesic_m(latitude, longitude, row.latitude, row.longitude)
            if within_m is not None and distance > within_m:
                continue
            bisect.insort(found, (distance, row.id, Nearby(row, distance, open_)), key=lambda item: item[:2])
        if len(rows) < batch:
            break  # no more candidates
        batch = min(batch * 2, 4096)
    return _answer(ctx, found[:first], at)


def _answer(ctx: Context, found: list[tuple[float, int, Nearby]], at: datetime) -> list[Nearby]:
    """The stations found; their closures not over by `at`, read with them, are kept for the request, so
    that the citizens' query (its `nextChangeAt`, at the same now) needs no second round trip."""
    known = ctx.loaders.setdefault("closures_ahead", {})
    for _, station_id, nearby in found:
        known[(station_id, at)] = nearby.station.closures_ahead or ()
    return [item[2] for item in found]


async def list_stations(
    ctx: Context,
    *,
    first: int | None,
    after_id: int | None,
    governorate: str | None,
    services: Sequence[str],
    model_only: bool,
    search: str | None,
) -> Page[StationRow]:
    first = errors.check_first(first, ctx.lang, default=20)
    search_key = None
    if search is not None:
        if len(search) > 200:
            raise errors.InputError("search", errors.message("too_long", ctx.lang, field="search", high=200))
        search_key = fold(search) or None
    args: dict[str, Any] = {
        "governorate": governorate,
        "services": list(services),
        "model_only": model_only,
        "search_key": search_key,
    }
    async with ctx.db() as session:
        rows = list(await repo.list_stations(session, after_id=after_id, limit=first + 1, **args))
    return page_of(rows, first, args)


async def count_stations(ctx: Context, args: dict[str, Any]) -> int:
    async with ctx.db() as session:
        return await repo.count_stations(session, **args)


# Governorates are reference data (18 rows, changed only by `markaz migrate`): one process-wide copy,
# refreshed every minute, saves a round trip on every station that shows its governorate.
_GOVERNORATES_TTL_S = 60.0
_governorates: tuple[float, dict[str, Any]] = (0.0, {})


async def governorates(ctx: Context) -> dict[str, Any]:
    global _governorates
    loaded_at, rows = _governorates
    now = time.monotonic()
    if not rows or now - loaded_at > _GOVERNORATES_TTL_S:
        async with ctx.db() as session:
            rows = {row.code: row for row in await repo.governorates(session)}
        _governorates = (now, rows)
    return rows


async def stations_by_ids(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    async with ctx.db() as session:
        return await repo.stations_by_ids(session, ids)


async def station_rows(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Station rows for the writes of one request, each read once in it: a sync batch names the officer's
    station in nearly every entry, and rereading it cost a round trip per entry. The rows live as long as
    the request (its transaction), like its loaders; a station missing then stays missing."""
    known: dict[int, Any] = ctx.loaders.setdefault("station_rows", {})
    wanted = [i for i in dict.fromkeys(ids) if i not in known]
    if wanted:
        async with ctx.db() as session:
            found = await repo.stations_by_ids(session, wanted)
        for station_id in wanted:
            known[station_id] = found.get(station_id)
    return {i: known[i] for i in ids if known[i] is not None}


async def station_for_write(ctx: Context, problems: Any, station_id: str | None) -> StationRow | None:
    """The active station a write names (`stationId`), else the viewer's own; None, with the problem
    added to `problems` (a mutation_errors.Collector) under `stationId`, when there is none. Whether the
    viewer may write there is the caller's policy."""
    from resolvers.ids import record_key

    viewer = ctx.viewer
    if station_id is not None:
        key = record_key(problems, ("stationId",), station_id, "Station")
    elif viewer is not None and viewer.station_id is not None:
        key = viewer.station_id
    else:
        problems.add(("stationId",), "required")
        key = None
    if key is None:
        return None
    station = (await station_rows(ctx, [key])).get(key)
    if station is None or not station.active:
        problems.add(("stationId",), "not_found", "NOT_FOUND", kind="station")
        return None
    return station
