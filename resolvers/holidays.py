"""Iraq's public holidays, and the closures they make for stations that close on them.

Pure logic, no I/O. The national holidays are those of the Official Holidays Law No. 12 of 2024 (passed
by parliament on 22 May 2024, it replaced Law No. 110 of 1972; docs/stations.md gives the sources):
fixed Gregorian days, and Islamic days computed from the Hijri calendar with `hijridate`'s Umm al-Qura
tables (1343-1500 AH, so Gregorian years 1925-2076). Islamic holidays follow the moon sighting, which
the government announces a day or two before; an administrator then moves the holiday
(`movePublicHoliday`), and a moved date wins over the computed one. The Council of Ministers may also
declare a temporary holiday (at most 7 days a year): an administrator adds it as a one-off
(`setPublicHoliday`).

Each holiday has a stable key: the Islamic ones by their Hijri year ("eid-al-fitr-1445"), the fixed
ones by their Gregorian year ("nowruz-2025"), so that a move names exactly one occurrence, even in a
Gregorian year that holds two Islamic New Years (2008). A holiday of several days is one holiday.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hijridate import Gregorian, Hijri

from resolvers.station_records import Closure

FIRST_YEAR, LAST_YEAR = 1925, 2076  # the Gregorian years hijridate's Umm al-Qura tables cover whole

FIXED, ISLAMIC, ONE_OFF = "FIXED", "ISLAMIC", "ONE_OFF"


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    """A holiday of the law: on a Gregorian (month, day), or a Hijri one, for `days` days."""

    name: str  # the key's stem
    calendar: str  # FIXED (Gregorian) or ISLAMIC (Hijri, Umm al-Qura)
    month: int
    day: int
    days: int
    names: dict[str, str]
    national: bool = True  # False: a holiday of one community only, which closes no station


RULES: tuple[Rule, ...] = (
    Rule(
        "new-year",
        FIXED,
        1,
        1,
        1,
        {"ar": "رأس السنة الميلادية", "ku": "سەری ساڵی زایینی", "en": "New Year's Day"},
    ),
    Rule("army-day", FIXED, 1, 6, 1, {"ar": "عيد الجيش", "ku": "ڕۆژی سوپا", "en": "Army Day"}),
    Rule(
        "remembrance-day",
        FIXED,
        3,
        16,
        1,
        {
            "ar": "ذكرى جرائم النظام البعثي (حلبجة والأنفال)",
            "ku": "یادی تاوانەکانی ڕژێمی بەعس (هەڵەبجە و ئەنفال)",
            "en": "Remembrance of the Ba'ath regime's crimes (Halabja, Anfal)",
        },
    ),
    Rule("nowruz", FIXED, 3, 21, 1, {"ar": "عيد نوروز", "ku": "نەورۆز", "en": "Nowruz"}),
    Rule(
        "labour-day", FIXED, 5, 1, 1, {"ar": "عيد العمال العالمي", "ku": "ڕۆژی کرێکاران", "en": "Labour Day"}
    ),
    Rule(
        "christmas",
        FIXED,
        12,
        25,
        1,
        {"ar": "عيد ميلاد السيد المسيح", "ku": "جەژنی لەدایکبوونی مەسیح", "en": "Christmas Day"},
        national=False,  # the law's holiday for Christians
    ),
    Rule(
        "islamic-new-year",
        ISLAMIC,
        1,
        1,
        1,
        {"ar": "رأس السنة الهجرية", "ku": "سەری ساڵی کۆچی", "en": "Islamic New Year"},
    ),
    Rule("ashura", ISLAMIC, 1, 10, 1, {"ar": "عاشوراء", "ku": "عاشورا", "en": "Ashura"}),
    Rule(
        "mawlid",
        ISLAMIC,
        3,
        12,
        1,
        {"ar": "المولد النبوي الشريف", "ku": "مەولودی پێغەمبەر", "en": "The Prophet's Birthday"},
    ),
    Rule("eid-al-fitr", ISLAMIC, 10, 1, 3, {"ar": "عيد الفطر", "ku": "جەژنی ڕەمەزان", "en": "Eid al-Fitr"}),
    Rule("eid-al-adha", ISLAMIC, 12, 10, 4, {"ar": "عيد الأضحى", "ku": "جەژنی قوربان", "en": "Eid al-Adha"}),
    Rule(
        "eid-al-ghadir", ISLAMIC, 12, 18, 1, {"ar": "عيد الغدير", "ku": "جەژنی غەدیر", "en": "Eid al-Ghadir"}
    ),
)
_RULES = {rule.name: rule for rule in RULES}
_KEY = re.compile(r"([a-z-]+)-([0-9]{4})")
# A move follows a moon sighting, or a government's announcement: days, not months, from the computed date.
MAX_MOVE_DAYS = 7
MAX_DAYS = 10  # a holiday's length


@dataclasses.dataclass(frozen=True, slots=True)
class Holiday:
    """One public holiday: from `starts_on` to `ends_on`, both days included."""

    key: str
    kind: str  # FIXED, ISLAMIC or ONE_OFF
    starts_on: date
    ends_on: date
    names: dict[str, str]
    national: bool = True
    moved: bool = False
    hijri: str | None = None  # the Hijri date of the first day by the rule ("1445-10-01"), Islamic ones


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """An administrator's change (a row of `public_holidays`)."""

    key: str
    kind: str  # "MOVED" or "ONE_OFF"
    starts_on: date
    ends_on: date
    names: dict[str, str]
    national: bool = True


def _computed(rule: Rule, year: int) -> Holiday:
    """The holiday of `rule` in its `year` (Gregorian for fixed, Hijri for Islamic ones)."""
    if rule.calendar == FIXED:
        start = date(year, rule.month, rule.day)
        hijri = None
    else:
        start = Hijri(year, rule.month, rule.day).to_gregorian()
        start = date(start.year, start.month, start.day)
        hijri = f"{year:04d}-{rule.month:02d}-{rule.day:02d}"
    return Holiday(
        f"{rule.name}-{year}",
        rule.calendar,
        start,
        start + timedelta(days=rule.days - 1),
        rule.names,
        rule.national,
        hijri=hijri,
    )


def in_range(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


@functools.cache
def computed_holidays(year: int) -> tuple[Holiday, ...]:
    """The law's holidays whose first day falls in the Gregorian `year`, by date (none moved yet)."""
    if not in_range(year):
        raise ValueError(f"public holidays are known for {FIRST_YEAR} to {LAST_YEAR}, not {year}")
    first = Gregorian(year, 1, 1).to_hijri().year
    last = Gregorian(year, 12, 31).to_hijri().year
    found = [_computed(rule, year) for rule in RULES if rule.calendar == FIXED]
    for hijri_year in range(first, last + 1):
        for rule in RULES:
            if rule.calendar == ISLAMIC:
                try:
                    holiday = _computed(rule, hijri_year)
                except (ValueError, OverflowError):  # past the end of the tables
                    continue
                if holiday.starts_on.year == year:
                    found.append(holiday)
    return tuple(sorted(found, key=lambda h: (h.starts_on, h.key)))


def computed_by_key(key: str) -> Holiday | None:
    """The law's holiday of this key, as computed (before any move); None for a key of no rule."""
    match = _KEY.fullmatch(key)
    rule = _RULES.get(match[1]) if match else None
    if rule is None or match is None:
        return None
    try:
        holiday = _computed(rule, int(match[2]))
    except (ValueError, OverflowError):
        return None
    return holiday if in_range(holiday.starts_on.year) else None


def holidays_of_year(year: int, changes: Iterable[Change]) -> list[Holiday]:
    """The holidays of `year` after the administrators' changes: a moved holiday at its announced dates
    (listed in the year it was computed for), and the one-offs that start in the year."""
    by_key = {change.key: change for change in changes}
    listed = []
    for holiday in computed_holidays(year):
        change = by_key.get(holiday.key)
        if change is not None and change.kind == "MOVED":
            holiday = dataclasses.replace(
                holiday, starts_on=change.starts_on, ends_on=change.ends_on, moved=True
            )
        listed.append(holiday)
    for change in by_key.values():
        if change.kind == "ONE_OFF" and change.starts_on.year == year:
            listed.append(
                Holiday(change.key, ONE_OFF, change.starts_on, change.ends_on, change.names, change.national)
            )
    return sorted(listed, key=lambda h: (h.starts_on, h.key))


def holidays_between(first: date, last: date, changes: Sequence[Change]) -> list[Holiday]:
    """The holidays that hold any day from `first` to `last` (a moved one where it now is)."""
    years = range(max(first.year - 1, FIRST_YEAR), min(last.year, LAST_YEAR) + 1)
    return [
        holiday
        for year in years
        for holiday in holidays_of_year(year, changes)
        if holiday.ends_on >= first and holiday.starts_on <= last
    ]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def closures_for(
    holidays: Iterable[Holiday],
    *,
    timezone: str,
    whole_station: bool,
    desks: Sequence[str],
) -> list[Closure]:
    """The closures that national holidays make for a station: from the first day's midnight to the
    midnight after the last, in the station's own zone; of the whole station when it closes on holidays,
    else of the desks that do (none when neither)."""
    if not whole_station and not desks:
        return []
    zone = ZoneInfo(timezone)
    services = None if whole_station else tuple(desks)
    return [
        Closure(
            _midnight(h.starts_on, zone),
            _midnight(h.ends_on + timedelta(days=1), zone),
            h.names.get("en"),
            services,
        )
        for h in holidays
        if h.national
    ]
