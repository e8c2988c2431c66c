"""Stations changed through the API: `updateStation`, `addStationClosure`, `removeStationClosure`.

Who may is resolvers.policy.may_manage_station (the station's commander, admins). Each change names the
station's `expectedVersion` (CONFLICT when stale), is checked whole before anything is written (every
problem named by its field), applies whole or not at all (the caller's savepoint), is idempotent by its
optional `clientId`, and is audited with the station before and after. A change bumps the station's
version and `updated_at`, which is what its compiled schedule is cached by (resolvers/stations.py), and
the trigger of migration 0008 recomputes `open_weekly` from the new hours: the next public answer, its
ETag with it (the hash of the body, api/http_cache.py), is the new one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol

from db import stations as repo
from db.rows import ClosureRow, StationRow
from resolvers import audit, policy
from resolvers.context import Context
from resolvers.field_checks import check_text, now_utc
from resolvers.hours import MINUTES_PER_DAY, MINUTES_PER_WEEK, parse_hhmm, validate_periods
from resolvers.idempotency import Applied, claim, complete, content_hash
from resolvers.ids import int_key, plain
from resolvers.mutation_errors import Collector, fail
from resolvers.station_import import MAX_ADDRESS_LENGTH, MAX_NAME_LENGTH, MAX_PHONE_LENGTH
from resolvers.station_records import Period
from resolvers.text_fold import fold

LANGUAGES = ("ar", "ku", "en")
MAX_PERIODS = 100  # of the station, or of one desk
MAX_REASON_LENGTH = 500
MAX_CLOSURE_DAYS = 366
CLOSURE_YEARS_AHEAD = 2
# A closure may be entered once it has begun ("closed since this morning"), not back-dated further.
CLOSURE_BACKDATE = timedelta(days=1)
MAX_CLOSURES_AHEAD = 200
_PHONE = re.compile(r"[0-9+\-() ]+")
# A phone typed on an Arabic or Kurdish keyboard comes in Arabic-Indic or Persian digits: kept as ASCII.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
KIND_UPDATE, KIND_ADD, KIND_REMOVE = "updateStation", "addStationClosure", "removeStationClosure"
ENTITY = "Station"


class Texts(Protocol):
    @property
    def ar(self) -> str | None: ...
    @property
    def ku(self) -> str | None: ...
    @property
    def en(self) -> str | None: ...


class WeeklyPeriod(Protocol):
    @property
    def weekday(self) -> int: ...
    @property
    def opens(self) -> str: ...
    @property
    def closes(self) -> str: ...


class DeskHours(Protocol):
    @property
    def service(self) -> Any: ...
    @property
    def periods(self) -> Sequence[WeeklyPeriod]: ...


class UpdateStation(Protocol):
    @property
    def station_id(self) -> str: ...
    @property
    def expected_version(self) -> int: ...
    @property
    def client_id(self) -> uuid.UUID | None: ...
    @property
    def names(self) -> Texts | None: ...
    @property
    def addresses(self) -> Texts | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def services(self) -> Sequence[Any] | None: ...
    @property
    def always_open(self) -> bool | None: ...
    @property
    def closes_on_holidays(self) -> bool | None: ...
    @property
    def desks_closed_on_holidays(self) -> Sequence[Any] | None: ...
    @property
    def opening_hours(self) -> Sequence[WeeklyPeriod] | None: ...
    @property
    def desk_hours(self) -> Sequence[DeskHours] | None: ...


class AddStationClosure(Protocol):
    @property
    def station_id(self) -> str: ...
    @property
    def expected_version(self) -> int: ...
    @property
    def client_id(self) -> uuid.UUID | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def services(self) -> Sequence[Any] | None: ...
    @property
    def reason(self) -> Texts: ...


class RemoveStationClosure(Protocol):
    @property
    def closure_id(self) -> str: ...
    @property
    def expected_version(self) -> int: ...
    @property
    def client_id(self) -> uuid.UUID | None: ...


_CHANGEABLE = (
    "names",
    "addresses",
    "phone",
    "services",
    "alwaysOpen",
    "closesOnHolidays",
    "desksClosedOnHolidays",
    "openingHours",
    "deskHours",
)


def audit_view(row: StationRow) -> dict[str, Any]:
    """What the audit log keeps of a station, before and after a change."""
    return {
        "version": row.version,
        "names": {lang: getattr(row, f"name_{lang}") for lang in LANGUAGES},
        "addresses": {lang: getattr(row, f"address_{lang}") for lang in LANGUAGES},
        "phone": row.phone,
        "services": list(row.services),
        "alwaysOpen": row.always_open,
        "closesOnHolidays": row.closes_on_holidays,
        "desksClosedOnHolidays": list(row.holiday_closed_services),
        "hours": list(row.hours),
    }


def closure_view(row: ClosureRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "startsAt": row.starts_at,
        "endsAt": row.ends_at,
        "services": row.services,
        "reasons": {"ar": row.reason_ar, "ku": row.reason_ku, "en": row.reason_en},
    }


# --- the station, its version and who may change it --------------------------------------------------


async def station_to_run(ctx: Context, station_id: int | None, path: tuple[str, ...]) -> StationRow:
    """The station, when the viewer may run it: NOT_FOUND for none (stations are public: nothing to
    hide), FORBIDDEN for someone else's."""
    viewer = policy.require_officer(ctx.viewer)
    row = None
    if station_id is not None:
        async with ctx.db() as session:
            row = (await repo.stations_by_ids(session, [station_id])).get(station_id)
    if row is None:
        fail(ctx.lang, path, "not_found", "NOT_FOUND", kind="station")
    if not policy.may_manage_station(viewer, row.id):
        fail(ctx.lang, path, "not_your_station_to_run", "FORBIDDEN")
    return row


def _stale(ctx: Context, given: int, current: int) -> NoReturn:
    fail(
        ctx.lang,
        ("expectedVersion",),
        "stale_version",
        "CONFLICT",
        current_version=current,
        given=given,
        current=current,
    )


async def _bump(ctx: Context, row: StationRow, expected: int, values: dict[str, Any]) -> StationRow:
    async with ctx.db() as session:
        updated = await repo.update_station_if_version(session, row.id, expected, values)
    if updated is None:  # changed between our read and our write
        async with ctx.db() as session:
            now = (await repo.stations_by_ids(session, [row.id])).get(row.id)
        _stale(ctx, expected, now.version if now is not None else expected)
    return updated


async def _current(ctx: Context, station_id: int) -> StationRow:
    async with ctx.db() as session:
        row = (await repo.stations_by_ids(session, [station_id])).get(station_id)
    if row is None:  # cannot happen: stations are never deleted
        fail(ctx.lang, ("stationId",), "not_found", "NOT_FOUND", kind="station")
    return row


def station_key(ctx: Context, value: str, path: tuple[str, ...] = ("stationId",)) -> int:
    key = int_key(value, "Station")
    if key is None:
        fail(ctx.lang, path, "bad_id", kind="Station")
    return key


async def current_station(ctx: Context, station_id: str) -> StationRow | None:
    """The station as it now is, for a payload after a CONFLICT (None when the id is bad)."""
    key = int_key(station_id, "Station")
    if key is None:
        return None
    async with ctx.db() as session:
        return (await repo.stations_by_ids(session, [key])).get(key)


# --- checks -------------------------------------------------------------------------------------------


def _texts(
    problems: Collector, path: tuple[str, ...], given: Texts | None, limit: int
) -> dict[str, str | None]:
    """The languages given (a text, or None for "" which clears it); those not given are left out."""
    found: dict[str, str | None] = {}
    if given is None:
        return found
    for lang in LANGUAGES:
        value = getattr(given, lang)
        if value is None:
            continue
        found[lang] = check_text(problems, (*path, lang), value, max_length=limit)
    return found


def _week_spans(period: Period) -> list[tuple[int, int]]:
    opens, closes = parse_hhmm(period.opens), parse_hhmm(period.closes)
    start = period.weekday * MINUTES_PER_DAY + opens
    end = start + (closes - opens if closes > opens else closes + MINUTES_PER_DAY - opens)
    if end > MINUTES_PER_WEEK:
        return [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
    return [(start, end)]


def _periods(
    problems: Collector, path: tuple[str, ...], given: Sequence[WeeklyPeriod], service: str | None
) -> list[Period]:
    """Weekly periods (ISO weekdays 1-7 in the API, 0-6 stored), each checked, none overlapping."""
    if len(given) > MAX_PERIODS:
        problems.add(path, "too_many", high=MAX_PERIODS)
        return []
    periods: list[tuple[int, Period]] = []
    for index, item in enumerate(given):
        where = (*path, str(index))
        if not 1 <= item.weekday <= 7:
            problems.add((*where, "weekday"), "range", low=1, high=7)
            continue
        period = Period(item.weekday - 1, item.opens, item.closes, service)
        bad = validate_periods([period])
        if bad:
            problems.add(where, "bad_hours", problem=bad[0].split(": ", 1)[-1])
            continue
        periods.append((index, period))
    spans = sorted((start, end, index) for index, period in periods for start, end in _week_spans(period))
    reach: tuple[int, int, int] | None = None
    reported: set[int] = set()
    for span in spans:
        if reach is not None and span[0] < reach[1] and span[2] != reach[2] and span[2] not in reported:
            later, first = max(span[2], reach[2]), min(span[2], reach[2])
            reported.add(later)
            problems.add((*path, str(later)), "hours_overlap", other=".".join((*path, str(first))))
        if reach is None or span[1] > reach[1]:
            reach = span
    return [period for _, period in periods]


MAX_SERVICES = 20  # a list of services: seven exist, a few repeated is a slip, thousands an attack


def _services(problems: Collector, path: tuple[str, ...], given: Sequence[Any]) -> list[str]:
    if len(given) > MAX_SERVICES:
        problems.add(path, "too_many", high=MAX_SERVICES)
        return []
    names = [plain(s) for s in given]
    for index, name in enumerate(names):
        if name in names[:index]:
            problems.add((*path, str(index)), "listed_twice", value=name)
    return sorted(set(names))


def _offered(
    problems: Collector, path: tuple[str, ...], services: Sequence[str], offered: Sequence[str]
) -> None:
    for index, service in enumerate(services):
        if service not in offered:
            problems.add((*path, str(index)), "not_offered", service=service)


def _update_values(ctx: Context, row: StationRow, input: UpdateStation) -> dict[str, Any]:
    """The columns to write, the whole input checked first (every problem named at once)."""
    problems = Collector(ctx.lang)
    if all(getattr(input, _snake(name)) is None for name in _CHANGEABLE):
        problems.add((), "nothing_to_change", fields=", ".join(_CHANGEABLE))
        problems.check()
    values: dict[str, Any] = {}
    names = _texts(problems, ("names",), input.names, MAX_NAME_LENGTH)
    if names:
        final = {lang: names.get(lang, getattr(row, f"name_{lang}")) for lang in LANGUAGES}
        if not (final["ar"] or final["en"]):
            problems.add(("names",), "name_required")
        values.update({f"name_{lang}": final[lang] for lang in LANGUAGES})
        values["search_key"] = fold(" | ".join(n for n in final.values() if n))
    addresses = _texts(problems, ("addresses",), input.addresses, MAX_ADDRESS_LENGTH)
    values.update({f"address_{lang}": text for lang, text in addresses.items()})
    if input.phone is not None:
        phone = check_text(problems, ("phone",), input.phone, max_length=MAX_PHONE_LENGTH)
        phone = phone.translate(_DIGITS) if phone else phone
        if phone is not None and not _PHONE.fullmatch(phone):
            problems.add(("phone",), "bad_phone")
        values["phone"] = phone
    services = list(row.services)
    if input.services is not None:
        services = _services(problems, ("services",), input.services)
        values["services"] = services
    always_open = row.always_open if input.always_open is None else input.always_open
    if input.always_open is not None:
        values["always_open"] = always_open
    if input.closes_on_holidays is not None:
        values["closes_on_holidays"] = input.closes_on_holidays
    desks_closed = list(row.holiday_closed_services)
    if input.desks_closed_on_holidays is not None:
        desks_closed = _services(problems, ("desksClosedOnHolidays",), input.desks_closed_on_holidays)
        _offered(problems, ("desksClosedOnHolidays",), desks_closed, services)
    # The hours: the station's own replaced by `openingHours`, each listed desk's by its `deskHours`.
    stored = [Period(p["weekday"], p["opens"], p["closes"], p.get("service")) for p in row.hours]
    own = [p for p in stored if p.service is None]
    if input.opening_hours is not None:
        own = _periods(problems, ("openingHours",), input.opening_hours, None)
    if always_open and own:
        path = ("openingHours",) if input.opening_hours is not None else ("alwaysOpen",)
        problems.add(path, "always_open_hours")
    desks: dict[str, list[Period]] = {}
    for period in stored:
        if period.service is not None:
            desks.setdefault(period.service, []).append(period)
    seen: list[str] = []
    if len(input.desk_hours or ()) > MAX_SERVICES:
        problems.add(("deskHours",), "too_many", high=MAX_SERVICES)
        problems.check()
    for index, desk in enumerate(input.desk_hours or ()):
        service, where = plain(desk.service), ("deskHours", str(index))
        if service in seen:
            problems.add((*where, "service"), "listed_twice", value=service)
        seen.append(service)
        if service not in services:
            problems.add((*where, "service"), "not_offered", service=service)
        desks[service] = _periods(problems, (*where, "periods"), desk.periods, service)
    problems.check()
    if input.opening_hours is not None or input.desk_hours is not None or input.services is not None:
        # A service no longer offered takes its desk's hours and holiday flag with it.
        kept = [p for service in sorted(desks) if service in services for p in desks[service]]
        values["hours"] = [
            {"weekday": p.weekday, "opens": p.opens, "closes": p.closes, "service": p.service}
            for p in own + kept
        ]
    if input.desks_closed_on_holidays is not None or input.services is not None:
        values["holiday_closed_services"] = [s for s in desks_closed if s in services]
    return values


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m[1].lower(), name)


# --- the mutations ------------------------------------------------------------------------------------


async def _replay(ctx: Context, client_id: uuid.UUID | None, kind: str, input: Any) -> Applied | None:
    """The first result when this clientId was already applied (the same change sent again)."""
    if client_id is None:
        return None
    claimed = await claim(ctx, client_id, kind, content_hash(kind, input))
    if claimed.new:
        return None
    if claimed.result_type == "StationClosure":
        async with ctx.db() as session:
            closure = await repo.closure_by_id(session, claimed.result_id or 0)
        station = await _current(ctx, closure.station_id if closure else 0)
        return Applied((station, closure), duplicate=True)
    return Applied((await _current(ctx, claimed.result_id or 0), None), duplicate=True)


async def update_station(ctx: Context, input: UpdateStation) -> Applied:
    """Change what a station says of itself; `Applied.row` is (station, None)."""
    row = await station_to_run(ctx, station_key(ctx, input.station_id), ("stationId",))
    values = _update_values(ctx, row, input)
    replayed = await _replay(ctx, input.client_id, KIND_UPDATE, input)
    if replayed is not None:
        return replayed
    if row.version != input.expected_version:
        _stale(ctx, input.expected_version, row.version)
    updated = await _bump(ctx, row, input.expected_version, values)
    if input.client_id is not None:
        await complete(ctx, input.client_id, ENTITY, row.id)
    audit.record(ctx, KIND_UPDATE, ENTITY, row.id, before=audit_view(row), after=audit_view(updated))
    return Applied((updated, None))


async def add_station_closure(ctx: Context, input: AddStationClosure) -> Applied:
    """Close the station, or some of its desks, from `startsAt` to `endsAt`; `Applied.row` is
    (station, closure)."""
    row = await station_to_run(ctx, station_key(ctx, input.station_id), ("stationId",))
    problems = Collector(ctx.lang)
    now = now_utc()
    starts, ends = input.starts_at, input.ends_at
    if ends <= starts:
        problems.add(("endsAt",), "not_before", other="startsAt")
    elif ends - starts > timedelta(days=MAX_CLOSURE_DAYS):
        problems.add(("endsAt",), "too_long_days", days=MAX_CLOSURE_DAYS)
    if ends <= now:
        problems.add(("endsAt",), "in_past")
    if starts < now - CLOSURE_BACKDATE:
        problems.add(("startsAt",), "in_past")
    if starts > now + timedelta(days=365 * CLOSURE_YEARS_AHEAD):
        problems.add(("startsAt",), "too_far_ahead", years=CLOSURE_YEARS_AHEAD)
    services = _services(problems, ("services",), input.services or ())
    if len(input.services or ()) <= MAX_SERVICES:
        _offered(problems, ("services",), [plain(s) for s in input.services or ()], row.services)
    reasons = _texts(problems, ("reason",), input.reason, MAX_REASON_LENGTH)
    if not any(reasons.values()):
        problems.add(("reason",), "required")
    async with ctx.db() as session:
        ahead = (await repo.closures_for_stations(session, [row.id], ending_after=now))[row.id]
    if len(ahead) >= MAX_CLOSURES_AHEAD:
        problems.add(("startsAt",), "too_many", high=MAX_CLOSURES_AHEAD)
    problems.check()
    replayed = await _replay(ctx, input.client_id, KIND_ADD, input)
    if replayed is not None:
        return replayed
    if row.version != input.expected_version:
        _stale(ctx, input.expected_version, row.version)
    updated = await _bump(ctx, row, input.expected_version, {})
    async with ctx.db() as session:
        closure = await repo.insert_closure(
            session,
            {
                "station_id": row.id,
                "starts_at": starts,
                "ends_at": ends,
                "services": services or None,
                **{f"reason_{lang}": reasons.get(lang) for lang in LANGUAGES},
            },
        )
    if input.client_id is not None:
        await complete(ctx, input.client_id, "StationClosure", closure.id)
    audit.record(
        ctx,
        KIND_ADD,
        ENTITY,
        row.id,
        before={"version": row.version},
        after={"version": updated.version, "closure": closure_view(closure)},
    )
    return Applied((updated, closure))


async def remove_station_closure(ctx: Context, input: RemoveStationClosure) -> Applied:
    """Remove a closure not over yet (it was a mistake, or the station opens after all)."""
    key = int_key(input.closure_id, "StationClosure")
    if key is None:
        fail(ctx.lang, ("closureId",), "bad_id", kind="StationClosure")
    async with ctx.db() as session:
        closure = await repo.closure_by_id(session, key)
    if closure is None:
        replayed = await _replay(ctx, input.client_id, KIND_REMOVE, input)
        if replayed is not None:  # removed by this same request, sent before
            return replayed
        fail(ctx.lang, ("closureId",), "not_found", "NOT_FOUND", kind="closure")
    row = await station_to_run(ctx, closure.station_id, ("closureId",))
    if closure.ends_at <= now_utc():
        fail(ctx.lang, ("closureId",), "closure_over")
    replayed = await _replay(ctx, input.client_id, KIND_REMOVE, input)
    if replayed is not None:
        return replayed
    if row.version != input.expected_version:
        _stale(ctx, input.expected_version, row.version)
    updated = await _bump(ctx, row, input.expected_version, {})
    async with ctx.db() as session:
        await repo.delete_closure(session, closure.id)
    if input.client_id is not None:
        await complete(ctx, input.client_id, ENTITY, row.id)
    audit.record(
        ctx,
        KIND_REMOVE,
        ENTITY,
        row.id,
        before={"version": row.version, "closure": closure_view(closure)},
        after={"version": updated.version},
    )
    return Applied((updated, None))
