"""`publicHolidays(year)`, and the administrators' changes to them: `movePublicHoliday` (to the dates
the government announced after the moon sighting), `setPublicHoliday` (a one-off holiday the Council of
Ministers declared) and `removePublicHoliday` (a one-off gone, or a moved holiday back to its computed
dates). Admins only (resolvers.policy.may_change_public_holidays), every change audited. A change
counts at once: every station that closes on holidays follows in `isOpen`, `nextChangeAt` and
`nearestStations` (resolvers/stations.py reads the holidays per request).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Protocol

from db import holidays as repo
from resolvers import audit, errors, holidays, policy
from resolvers.context import Context
from resolvers.field_checks import check_text
from resolvers.messages import message
from resolvers.mutation_errors import Collector, fail
from resolvers.station_management import Texts
from resolvers.stations import change_of

ENTITY = "PublicHoliday"
KIND_MOVE, KIND_SET, KIND_REMOVE = "movePublicHoliday", "setPublicHoliday", "removePublicHoliday"
_KEY = re.compile(r"[a-z0-9][a-z0-9-]{2,59}")
MAX_NAME_LENGTH = 200


class MovePublicHoliday(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date | None: ...


class SetPublicHoliday(Protocol):
    @property
    def key(self) -> str | None: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date | None: ...
    @property
    def names(self) -> Texts: ...
    @property
    def national(self) -> bool | None: ...


class RemovePublicHoliday(Protocol):
    @property
    def key(self) -> str: ...


async def public_holidays(ctx: Context, year: int) -> list[holidays.Holiday]:
    if not holidays.in_range(year):
        raise errors.InputError(
            "year",
            message("range", ctx.lang, field="year", low=holidays.FIRST_YEAR, high=holidays.LAST_YEAR),
        )
    margin = timedelta(days=holidays.MAX_MOVE_DAYS + holidays.MAX_DAYS)
    async with ctx.db() as session:
        rows = await repo.changes_between(session, date(year, 1, 1) - margin, date(year, 12, 31) + margin)
    return holidays.holidays_of_year(year, [change_of(r) for r in rows])


def _admin(ctx: Context, path: tuple[str, ...]) -> None:
    viewer = policy.require_officer(ctx.viewer)
    if not policy.may_change_public_holidays(viewer):
        fail(ctx.lang, path, "admins_only", "FORBIDDEN")


def _dates(problems: Collector, starts: date, ends: date) -> None:
    if ends < starts:
        problems.add(("endsOn",), "not_before", other="startsOn")
    elif (ends - starts).days + 1 > holidays.MAX_DAYS:
        problems.add(("endsOn",), "too_long_days", days=holidays.MAX_DAYS)
    for name, day in (("startsOn", starts), ("endsOn", ends)):
        if not holidays.in_range(day.year):
            problems.add((name,), "range", low=holidays.FIRST_YEAR, high=holidays.LAST_YEAR)


def _view(holiday: holidays.Holiday) -> dict[str, Any]:
    return {
        "key": holiday.key,
        "startsOn": holiday.starts_on,
        "endsOn": holiday.ends_on,
        "names": holiday.names,
    }


def _as_holiday(row: Any) -> holidays.Holiday:
    change = change_of(row)
    computed = holidays.computed_by_key(change.key)
    if computed is not None:
        return holidays.Holiday(
            computed.key,
            computed.kind,
            change.starts_on,
            change.ends_on,
            computed.names,
            computed.national,
            moved=True,
            hijri=computed.hijri,
        )
    return holidays.Holiday(
        change.key, holidays.ONE_OFF, change.starts_on, change.ends_on, change.names, change.national
    )


async def move_public_holiday(ctx: Context, input: MovePublicHoliday) -> holidays.Holiday:
    _admin(ctx, ("key",))
    computed = holidays.computed_by_key(input.key)
    if computed is None:
        fail(ctx.lang, ("key",), "holiday_unknown")
    problems = Collector(ctx.lang)
    length = computed.ends_on - computed.starts_on
    ends = input.ends_on if input.ends_on is not None else input.starts_on + length
    if abs((input.starts_on - computed.starts_on).days) > holidays.MAX_MOVE_DAYS:
        problems.add(
            ("startsOn",), "holiday_move_too_far", days=holidays.MAX_MOVE_DAYS, computed=computed.starts_on
        )
    _dates(problems, input.starts_on, ends)
    problems.check()
    async with ctx.db() as session:
        before = await repo.change_by_key(session, computed.key)
        row = await repo.put_change(
            session,
            {
                "key": computed.key,
                "kind": "MOVED",
                "starts_on": input.starts_on,
                "ends_on": ends,
                "changed_by_id": ctx.viewer.officer_id,
            },
        )
    moved = _as_holiday(row)
    audit.record(
        ctx,
        KIND_MOVE,
        ENTITY,
        computed.key,
        before=_view(_as_holiday(before) if before is not None else computed),
        after=_view(moved),
    )
    return moved


async def _free_key(ctx: Context, starts: date) -> str:
    base = f"one-off-{starts.isoformat()}"
    async with ctx.db() as session:
        for n in range(1, 100):
            key = base if n == 1 else f"{base}-{n}"
            if await repo.change_by_key(session, key) is None:
                return key
    fail(ctx.lang, ("key",), "too_many", high=99)


async def set_public_holiday(ctx: Context, input: SetPublicHoliday) -> holidays.Holiday:
    _admin(ctx, ("key",))
    problems = Collector(ctx.lang)
    if input.key is not None:
        if not _KEY.fullmatch(input.key):
            problems.add(("key",), "bad_holiday_key")
        elif holidays.computed_by_key(input.key) is not None:
            problems.add(("key",), "holiday_key_taken")
    ends = input.ends_on if input.ends_on is not None else input.starts_on
    _dates(problems, input.starts_on, ends)
    names = {}
    for lang in ("ar", "ku", "en"):
        value = getattr(input.names, lang)
        text = check_text(problems, ("names", lang), value, max_length=MAX_NAME_LENGTH)
        if text:
            names[lang] = text
    if not (names.get("ar") or names.get("en")):
        problems.add(("names",), "name_required")
    problems.check()
    key = input.key or await _free_key(ctx, input.starts_on)
    async with ctx.db() as session:
        before = await repo.change_by_key(session, key)
        row = await repo.put_change(
            session,
            {
                "key": key,
                "kind": "ONE_OFF",
                "starts_on": input.starts_on,
                "ends_on": ends,
                **{f"name_{lang}": names.get(lang) for lang in ("ar", "ku", "en")},
                "national": True if input.national is None else input.national,
                "changed_by_id": ctx.viewer.officer_id,
            },
        )
    made = _as_holiday(row)
    audit.record(
        ctx,
        KIND_SET,
        ENTITY,
        key,
        before=_view(_as_holiday(before)) if before is not None else None,
        after=_view(made),
    )
    return made


async def remove_public_holiday(ctx: Context, input: RemovePublicHoliday) -> holidays.Holiday | None:
    """Remove a change: a one-off holiday is gone (None), a moved one is back at its computed dates."""
    _admin(ctx, ("key",))
    async with ctx.db() as session:
        before = await repo.change_by_key(session, input.key)
        if before is None:
            fail(ctx.lang, ("key",), "not_found", "NOT_FOUND", kind="holiday change")
        await repo.delete_change(session, input.key)
    computed = holidays.computed_by_key(input.key)
    audit.record(
        ctx,
        KIND_REMOVE,
        ENTITY,
        input.key,
        before=_view(_as_holiday(before)),
        after=_view(computed) if computed is not None else None,
    )
    return computed
