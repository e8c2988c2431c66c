"""Tests for resolvers.hours: opening-hours rules, time zones, DST, closures and next_change."""

from __future__ import annotations

import os
import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.hours import Schedule, is_open, is_open_for_all, next_change, parse_hhmm, validate_periods
from resolvers.station_records import DEFAULT_TIMEZONE, Closure, Period

BAGHDAD = ZoneInfo(DEFAULT_TIMEZONE)  # UTC+3, no DST
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
DESK = "FAMILY_AND_CHILD_PROTECTION"
TRAFFIC = "TRAFFIC"

# 2024-01-01 is a Monday; the explicit cases use that week in Baghdad.
MON, THU, FRI, SUN = date(2024, 1, 1), date(2024, 1, 4), date(2024, 1, 5), date(2024, 1, 7)
NEXT_MON = date(2024, 1, 8)


def bag(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), BAGHDAD)


def weekdays(opens: str, closes: str, service: str | None = None) -> tuple[Period, ...]:
    return tuple(Period(d, opens, closes, service) for d in range(7))


def schedule(
    periods: tuple[Period, ...] = (),
    *,
    always_open: bool = False,
    services: frozenset[str] = frozenset({DESK, TRAFFIC}),
    closures: tuple[Closure, ...] = (),
    tz: str = DEFAULT_TIMEZONE,
) -> Schedule:
    return Schedule(tz, always_open, services, periods, closures)


@pytest.fixture
def server_tz() -> Iterator[None]:
    """Run with a server zone far from Baghdad's so local-time leaks would show."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time_module.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time_module.tzset()


# --- parse_hhmm and validate_periods ---------------------------------------------------------------


def test_parse_hhmm_valid() -> None:
    assert parse_hhmm("00:00") == 0
    assert parse_hhmm("08:30") == 510
    assert parse_hhmm("23:59") == 1439
    assert parse_hhmm("24:00") == 1440


@pytest.mark.parametrize(
    "text", ["24:01", "25:00", "12:60", "8:30", "08:3", "0830", "", " 08:30", "08:30\n", "٠٨:٣٠"]
)
def test_parse_hhmm_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|between"):
        parse_hhmm(text)


def test_parse_hhmm_rejects_non_string() -> None:
    with pytest.raises(ValueError):
        parse_hhmm(830)  # type: ignore[arg-type]


def test_validate_periods_fine() -> None:
    periods = [Period(0, "08:00", "14:00"), Period(0, "12:00", "16:00"), Period(3, "20:00", "02:00", DESK)]
    periods += [Period(6, "00:00", "00:00"), Period(5, "00:00", "24:00"), Period(1, "22:00", "24:00")]
    assert validate_periods(periods) == []


@pytest.mark.parametrize(
    ("period", "needle"),
    [
        (Period(7, "08:00", "14:00"), "weekday"),
        (Period(-1, "08:00", "14:00"), "weekday"),
        (Period(True, "08:00", "14:00"), "weekday"),  # type: ignore[arg-type]
        (Period(0, "8:00", "14:00"), "opening time"),
        (Period(0, "08:00", "14:75"), "closing time"),
        (Period(0, "24:00", "02:00"), "only be a closing"),
        (Period(0, "08:00", "08:00"), "zero-length"),
        (Period(0, "08:00", "14:00", ""), "service"),
    ],
)
def test_validate_periods_problems(period: Period, needle: str) -> None:
    problems = validate_periods([Period(1, "08:00", "14:00"), period])
    assert len(problems) == 1
    assert needle in problems[0] and problems[0].startswith("period 2")


def test_schedule_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="zero-length"):
        schedule((Period(0, "08:00", "08:00"),))
    with pytest.raises(ValueError, match="time zone"):
        schedule(tz="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule(closures=(Closure(datetime(2024, 1, 1), datetime(2024, 1, 2)),))


def test_naive_instant_rejected() -> None:
    s = schedule(always_open=True)
    for call in (is_open, next_change):
        with pytest.raises(ValueError, match="timezone-aware"):
            call(s, datetime(2024, 1, 1, 9))
    with pytest.raises(ValueError):
        is_open_for_all(s, datetime(2024, 1, 1, 9), [DESK])


# --- station level ---------------------------------------------------------------------------------


def test_boundary_minute() -> None:
    s = schedule(weekdays("08:00", "14:00"))
    assert not is_open(s, bag(MON, 7, 59, 59))
    assert is_open(s, bag(MON, 8))
    assert is_open(s, bag(MON, 13, 59, 59))
    assert not is_open(s, bag(MON, 14))


def test_midnight_crossing() -> None:
    s = schedule((Period(3, "20:00", "02:00"),))
    assert not is_open(s, bag(THU, 19, 59, 59))
    assert is_open(s, bag(THU, 20))
    assert is_open(s, bag(THU, 23, 59, 59))
    assert is_open(s, bag(FRI, 0))
    assert is_open(s, bag(FRI, 1, 59, 59))
    assert not is_open(s, bag(FRI, 2))
    assert not is_open(s, bag(date(2024, 1, 3), 1))  # Thursday's period does not cover Thursday morning


def test_sunday_crossing_wraps_to_monday() -> None:
    s = schedule((Period(6, "22:00", "03:00"),))
    assert is_open(s, bag(SUN, 23, 30))
    assert is_open(s, bag(NEXT_MON, 2, 59, 59))
    assert is_open(s, bag(MON, 0, 30))  # the previous Sunday's period, same week as the explicit cases
    assert not is_open(s, bag(NEXT_MON, 3))
    assert not is_open(s, bag(SUN, 2))


def test_whole_day_and_end_of_day() -> None:
    s = schedule((Period(1, "00:00", "00:00"), Period(4, "18:00", "24:00")))
    assert not is_open(s, bag(MON, 23, 59, 59))
    assert is_open(s, bag(date(2024, 1, 2), 0))
    assert is_open(s, bag(date(2024, 1, 2), 23, 59, 59))
    assert not is_open(s, bag(date(2024, 1, 3), 0))
    assert is_open(s, bag(FRI, 23, 59, 59))
    assert not is_open(s, bag(date(2024, 1, 6), 0))


def test_overlapping_periods_merge() -> None:
    s = schedule((Period(0, "08:00", "12:00"), Period(0, "11:00", "16:00"), Period(0, "16:00", "18:00")))
    assert all(is_open(s, bag(MON, h)) for h in range(8, 18))
    assert not is_open(s, bag(MON, 18))
    assert next_change(s, bag(MON, 9)) == bag(MON, 18)


def test_never_open_without_periods() -> None:
    s = schedule()
    assert not is_open(s, bag(MON, 10))
    assert not is_open(s, bag(MON, 10), DESK)
    assert next_change(s, bag(MON, 10)) is None


def test_always_open() -> None:
    s = schedule(always_open=True)
    assert all(is_open(s, bag(MON, 0) + timedelta(minutes=m)) for m in range(0, 7 * 1440, 37))
    assert is_open(s, bag(MON, 3), DESK)
    assert next_change(s, bag(MON, 3)) is None
    assert next_change(s, bag(MON, 3), DESK) is None


# --- service level ---------------------------------------------------------------------------------


def test_service_not_offered_is_never_open() -> None:
    s = schedule(always_open=True, services=frozenset({TRAFFIC}))
    assert is_open(s, bag(MON, 10))
    assert not is_open(s, bag(MON, 10), DESK)
    assert next_change(s, bag(MON, 10), DESK) is None


def test_desk_with_own_hours_in_always_open_station() -> None:
    s = schedule(weekdays("08:00", "14:00", DESK), always_open=True)
    assert is_open(s, bag(MON, 9), DESK)
    assert not is_open(s, bag(MON, 15), DESK)
    assert is_open(s, bag(MON, 15))  # the station itself
    assert is_open(s, bag(MON, 15), TRAFFIC)  # no own periods: follows the station
    assert next_change(s, bag(MON, 15), DESK) == bag(date(2024, 1, 2), 8)


def test_service_without_own_hours_follows_station() -> None:
    s = schedule(weekdays("08:00", "14:00") + weekdays("09:00", "11:00", DESK))
    assert is_open(s, bag(MON, 13), TRAFFIC)
    assert not is_open(s, bag(MON, 14), TRAFFIC)
    assert not is_open(s, bag(MON, 13), DESK)
    assert next_change(s, bag(MON, 13), TRAFFIC) == bag(MON, 14)


def test_is_open_for_all() -> None:
    s = schedule(weekdays("08:00", "14:00", DESK), always_open=True)
    assert is_open_for_all(s, bag(MON, 15), [])
    assert is_open_for_all(s, bag(MON, 15), [TRAFFIC])
    assert not is_open_for_all(s, bag(MON, 15), [TRAFFIC, DESK])
    assert is_open_for_all(s, bag(MON, 9), iter([TRAFFIC, DESK]))
    assert not is_open_for_all(s, bag(MON, 9), ["JUVENILE_POLICE"])
    assert not is_open_for_all(schedule(), bag(MON, 9), ())


# --- closures --------------------------------------------------------------------------------------


def test_whole_station_closure() -> None:
    closure = Closure(bag(MON, 10), bag(MON, 12), "Ashura")
    s = schedule(weekdays("08:00", "14:00"), closures=(closure,))
    assert is_open(s, bag(MON, 9, 59, 59))
    assert not is_open(s, bag(MON, 10))
    assert not is_open(s, bag(MON, 11, 59, 59), DESK)
    assert not is_open_for_all(s, bag(MON, 11), [])
    assert is_open(s, bag(MON, 12))
    assert next_change(s, bag(MON, 9)) == bag(MON, 10)
    assert next_change(s, bag(MON, 10)) == bag(MON, 12)
    assert next_change(s, bag(MON, 10), TRAFFIC) == bag(MON, 12)


def test_per_service_closure() -> None:
    closure = Closure(bag(MON, 10), bag(MON, 12), "training", (DESK,))
    s = schedule(weekdays("08:00", "14:00"), closures=(closure,))
    assert not is_open(s, bag(MON, 11), DESK)
    assert is_open(s, bag(MON, 11))
    assert is_open(s, bag(MON, 11), TRAFFIC)
    assert next_change(s, bag(MON, 9), DESK) == bag(MON, 10)
    assert next_change(s, bag(MON, 9)) == bag(MON, 14)


def test_closure_over_closed_hours_changes_nothing() -> None:
    closure = Closure(bag(MON, 16), bag(MON, 20))
    s = schedule(weekdays("08:00", "14:00"), closures=(closure,))
    assert next_change(s, bag(MON, 15)) == bag(date(2024, 1, 2), 8)


def test_closure_in_another_zone() -> None:
    # The closure is given in UTC; it still means the same instants.
    closure = Closure(datetime(2024, 1, 1, 7, tzinfo=UTC), datetime(2024, 1, 1, 8, tzinfo=UTC))
    s = schedule(weekdays("08:00", "14:00"), closures=(closure,))
    assert not is_open(s, bag(MON, 10, 30))
    assert next_change(s, bag(MON, 10, 30)) == bag(MON, 11)


def test_closure_in_repeated_hour_uses_absolute_time() -> None:
    # 01:30 EDT to 01:10 EST is 40 real minutes; same-zone datetimes would compare by wall time and miss it.
    starts = datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK)
    ends = datetime(2024, 11, 3, 1, 10, fold=1, tzinfo=NEW_YORK)
    s = schedule(always_open=True, closures=(Closure(starts, ends),), tz="America/New_York")
    assert not is_open(s, datetime(2024, 11, 3, 1, 50, tzinfo=NEW_YORK))
    assert is_open(s, datetime(2024, 11, 3, 1, 20, fold=1, tzinfo=NEW_YORK))
    # PEP 495: a fold=1 datetime never compares equal across zones, so compare in UTC.
    assert next_change(s, datetime(2024, 11, 3, 1, 50, tzinfo=NEW_YORK)) == ends.astimezone(UTC)


# --- time zones and DST ----------------------------------------------------------------------------


@pytest.mark.usefixtures("server_tz")
def test_server_zone_does_not_matter() -> None:
    s = schedule((Period(0, "08:00", "14:00"),))
    at = datetime(2024, 1, 1, 5, 30, tzinfo=UTC)  # Monday 08:30 Baghdad, Sunday 21:30 in Los Angeles
    assert time_module.localtime(at.timestamp()).tm_hour == 21  # the fixture really moved the server
    assert is_open(s, at)
    assert is_open(s, at.astimezone())  # aware in the server's own zone
    assert is_open(s, datetime(2023, 12, 31, 21, 30, tzinfo=ZoneInfo("America/Los_Angeles")))
    assert not is_open(s, datetime(2024, 1, 1, 8, 30, tzinfo=ZoneInfo("America/Los_Angeles")))
    assert next_change(s, at.astimezone()) == datetime(2024, 1, 1, 11, tzinfo=UTC)


def test_fixed_offset_instants() -> None:
    s = schedule((Period(0, "08:00", "14:00"),))
    assert is_open(s, datetime(2024, 1, 1, 14, 30, tzinfo=timezone(timedelta(hours=9))))  # 08:30 Baghdad
    assert not is_open(s, datetime(2024, 1, 1, 8, 30, tzinfo=timezone(timedelta(hours=9))))


def test_dst_period_keeps_wall_clock() -> None:
    # London springs forward on Sunday 2024-03-31 at 01:00 UTC; 08:00-14:00 stays 08:00-14:00 local.
    s = schedule(weekdays("08:00", "14:00"), tz="Europe/London")
    assert not is_open(s, datetime(2024, 3, 30, 7, 30, tzinfo=UTC))  # Saturday 07:30 GMT
    assert is_open(s, datetime(2024, 3, 31, 7, 30, tzinfo=UTC))  # Sunday 08:30 BST
    assert not is_open(s, datetime(2024, 3, 31, 13, 0, tzinfo=UTC))  # Sunday 14:00 BST
    assert next_change(s, datetime(2024, 3, 30, 15, tzinfo=UTC)) == datetime(2024, 3, 31, 7, tzinfo=UTC)
    assert next_change(s, datetime(2024, 3, 31, 8, tzinfo=UTC)) == datetime(2024, 3, 31, 13, tzinfo=UTC)


def test_dst_period_across_the_change() -> None:
    # Saturday 22:00 - Sunday 06:00 spans the spring-forward hour: 7 real hours that night.
    s = schedule((Period(5, "22:00", "06:00"),), tz="Europe/London")
    opened = datetime(2024, 3, 30, 22, tzinfo=UTC)
    closed = next_change(s, opened)
    assert closed == datetime(2024, 3, 31, 5, tzinfo=UTC)
    assert closed - opened == timedelta(hours=7)


def test_dst_gap_opens_when_clock_jumps() -> None:
    # 01:30 does not exist in London on 2024-03-31; the clock jumps from 01:00 GMT to 02:00 BST.
    s = schedule((Period(6, "01:30", "03:00"),), tz="Europe/London")
    jump = datetime(2024, 3, 31, 1, tzinfo=UTC)
    assert not is_open(s, jump - timedelta(seconds=1))
    assert is_open(s, jump)
    assert next_change(s, datetime(2024, 3, 30, 12, tzinfo=UTC)) == jump
    assert next_change(s, jump) == datetime(2024, 3, 31, 2, tzinfo=UTC)  # 03:00 BST


def test_dst_repeated_hour_opens_twice() -> None:
    # New York falls back on 2024-11-03 at 06:00 UTC: 01:00-01:59 local happens twice.
    s = schedule((Period(6, "01:30", "01:45"),), tz="America/New_York")
    first, second = datetime(2024, 11, 3, 5, 30, tzinfo=UTC), datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    assert is_open(s, first) and is_open(s, second)
    assert next_change(s, first) == first + timedelta(minutes=15)
    assert next_change(s, first + timedelta(minutes=15)) == second
    assert next_change(s, second) == second + timedelta(minutes=15)


def test_dst_fall_back_closes_when_clock_jumps_back() -> None:
    # 01:30-05:00 on fall-back night: at 02:00 EDT the clock returns to 01:00 EST, before 01:30.
    s = schedule((Period(6, "01:30", "05:00"),), tz="America/New_York")
    jump = datetime(2024, 11, 3, 6, tzinfo=UTC)
    assert next_change(s, datetime(2024, 11, 3, 5, 45, tzinfo=UTC)) == jump
    assert next_change(s, jump) == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)


def test_dst_change_found_wherever_it_falls_in_the_search() -> None:
    # Start the search at many distances before the change so it lands at every point of the offset scan.
    s = schedule((Period(6, "02:30", "04:00"), Period(6, "06:00", "07:00")), tz="Europe/London")
    opens = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # 02:30 BST, half an hour after the jump
    for minutes in range(1, 30 * 60, 13):
        assert next_change(s, opens - timedelta(minutes=minutes)) == opens, minutes
    s = schedule((Period(6, "01:15", "01:20"),), tz="America/New_York")
    # 01:15-01:20 happens in EDT and again in EST, an hour apart.
    flips = [datetime(2024, 11, 3, h, m, tzinfo=UTC) for h, m in [(5, 15), (5, 20), (6, 15), (6, 20)]]
    for minutes in range(1, 30 * 60, 13):
        at = flips[2] - timedelta(minutes=minutes)
        assert next_change(s, at) == min(f for f in flips if f > at), minutes


# --- next_change -----------------------------------------------------------------------------------


def test_next_change_opening_and_closing() -> None:
    s = schedule(weekdays("08:00", "14:00"))
    assert next_change(s, bag(MON, 7, 59, 59)) == bag(MON, 8)
    assert next_change(s, bag(MON, 8)) == bag(MON, 14)  # strictly after
    assert next_change(s, bag(MON, 13, 59, 59)) == bag(MON, 14)
    assert next_change(s, bag(MON, 14)) == bag(date(2024, 1, 2), 8)
    assert next_change(s, bag(MON, 14, 0, 0) + timedelta(microseconds=1)) == bag(date(2024, 1, 2), 8)
    assert next_change(s, bag(MON, 7)).tzinfo == UTC  # type: ignore[union-attr]


def test_next_change_midnight_crossings() -> None:
    s = schedule((Period(3, "20:00", "02:00"), Period(6, "22:00", "03:00")))
    assert next_change(s, bag(THU, 21)) == bag(FRI, 2)
    assert next_change(s, bag(FRI, 2)) == bag(SUN, 22)
    assert next_change(s, bag(SUN, 22)) == bag(NEXT_MON, 3)
    assert next_change(s, bag(NEXT_MON, 3)) == bag(date(2024, 1, 11), 20)


def test_next_change_merges_adjacent_days() -> None:
    s = schedule((Period(0, "00:00", "00:00"), Period(1, "00:00", "00:00"), Period(2, "18:00", "00:00")))
    assert next_change(s, bag(MON, 9)) == bag(date(2024, 1, 3), 0)
    assert next_change(s, bag(date(2024, 1, 3), 9)) == bag(date(2024, 1, 3), 18)
    assert next_change(s, bag(date(2024, 1, 3), 18)) == bag(date(2024, 1, 4), 0)


def test_next_change_horizon() -> None:
    s = schedule((Period(0, "08:00", "14:00"),))
    assert next_change(s, bag(MON, 15), horizon=timedelta(days=6)) is None
    assert next_change(s, bag(MON, 15), horizon=timedelta(days=6, hours=17)) == bag(NEXT_MON, 8)
    assert next_change(s, bag(MON, 15), horizon=timedelta(days=6, hours=16, seconds=59)) is None


def test_next_change_always_open_with_closure() -> None:
    closure = Closure(bag(FRI, 12), bag(FRI, 13, 30))
    s = schedule(always_open=True, closures=(closure,))
    assert next_change(s, bag(MON, 0)) == bag(FRI, 12)
    assert next_change(s, bag(FRI, 12)) == bag(FRI, 13, 30)
    assert next_change(s, bag(FRI, 13, 30)) is None


def test_next_change_finds_a_closure_months_ahead() -> None:
    # An always-open station's next change is a closure however far ahead it starts (the search used to
    # stop after two weeks and answer "never").
    closure = Closure(bag(MON, 10) + timedelta(days=90), bag(MON, 10) + timedelta(days=95), "Arbaeen")
    s = schedule(always_open=True, closures=(closure,))
    assert next_change(s, bag(MON, 0)) == closure.starts_at
    assert next_change(s, closure.starts_at) == closure.ends_at
    assert next_change(s, closure.ends_at) is None
    assert next_change(s, bag(MON, 0), DESK) == closure.starts_at  # a desk following the station's hours


def test_next_change_after_a_long_closure_is_the_first_opening_after_it() -> None:
    # Closed for a month (a renovation) from Monday 09:00; it ends on a Thursday at 20:00, after hours, so
    # the station opens again on Friday at 08:00.
    starts, ends = bag(MON, 9), bag(THU, 20) + timedelta(weeks=4)
    s = schedule(weekdays("08:00", "14:00"), closures=(Closure(starts, ends),))
    assert next_change(s, bag(MON, 8)) == starts
    assert next_change(s, starts) == bag(FRI, 8) + timedelta(weeks=4)
    assert next_change(s, starts, TRAFFIC) == bag(FRI, 8) + timedelta(weeks=4)
    # a closure ending during hours reopens the station at its end
    s = schedule(weekdays("08:00", "14:00"), closures=(Closure(starts, bag(THU, 10) + timedelta(weeks=30)),))
    assert next_change(s, starts + timedelta(days=100)) == bag(THU, 10) + timedelta(weeks=30)


def test_next_change_across_closures_back_to_back_and_overlapping() -> None:
    day = timedelta(days=1)
    closures = (
        Closure(bag(MON, 10), bag(MON, 10) + 40 * day),  # 40 days...
        Closure(bag(MON, 10) + 40 * day, bag(MON, 10) + 60 * day),  # ...then 20 more, back to back
        Closure(bag(MON, 10) + 50 * day, bag(MON, 11) + 70 * day, None, (DESK,)),
    )  # the desk longer
    s = schedule(always_open=True, closures=closures)
    assert next_change(s, bag(MON, 10)) == bag(MON, 10) + 60 * day
    assert next_change(s, bag(MON, 10), DESK) == bag(MON, 11) + 70 * day
    assert next_change(s, bag(MON, 10), TRAFFIC) == bag(MON, 10) + 60 * day


def test_next_change_never_for_hours_closed_for_good_or_a_closure_past_the_calendar() -> None:
    forever = Closure(bag(MON, 9), datetime(9999, 12, 31, tzinfo=UTC))
    s = schedule(weekdays("08:00", "14:00"), closures=(forever,))
    assert next_change(s, bag(MON, 9)) is None
    assert not is_open(s, datetime(2200, 1, 1, 9, tzinfo=UTC))
    # weekly hours that exist, but a desk not offered: never open, whatever the closures
    s = schedule(
        weekdays("08:00", "14:00"),
        services=frozenset({TRAFFIC}),
        closures=(Closure(bag(MON, 9), bag(MON, 10)),),
    )
    assert next_change(s, bag(MON, 9), DESK) is None


# --- properties against a deliberately naive model -------------------------------------------------

ZONES = ["Asia/Baghdad", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
SERVICES = ["A", "B", "C"]
# Weeks around DST changes (New York, London, Lord Howe's 30-minute one) plus a quiet week.
BASES = [
    datetime(y, m, d, tzinfo=UTC)
    for y, m, d in [
        (2024, 1, 1),
        (2024, 3, 8),
        (2024, 3, 28),
        (2024, 4, 4),
        (2024, 10, 3),
        (2024, 10, 24),
        (2024, 11, 1),
    ]
]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def model_in_periods(periods: list[Period], wall: datetime) -> bool:
    """Lay each period out on real calendar days (the local day and the one before) and test membership."""
    wall = wall.replace(second=0, microsecond=0)
    for day in (wall.date() - timedelta(days=1), wall.date()):
        for p in periods:
            if p.weekday != day.weekday():
                continue
            opens, closes = _minutes(p.opens), _minutes(p.closes)
            length = closes - opens if closes > opens else closes + 1440 - opens
            start = datetime.combine(day, time()) + timedelta(minutes=opens)
            if start <= wall < start + timedelta(minutes=length):
                return True
    return False


def model_is_open(s: Schedule, at: datetime, service: str | None) -> bool:
    if service is not None and service not in s.services:
        return False
    own = [p for p in s.periods if service is not None and p.service == service]
    wall = at.astimezone(ZoneInfo(s.timezone)).replace(tzinfo=None)
    if own:
        open_by_hours = model_in_periods(own, wall)
    else:
        open_by_hours = s.always_open or model_in_periods([p for p in s.periods if p.service is None], wall)
    at_utc = at.astimezone(UTC)
    closed = any(
        c.starts_at.astimezone(UTC) <= at_utc < c.ends_at.astimezone(UTC)
        and (c.services is None or service in c.services)
        for c in s.closures
    )
    return open_by_hours and not closed


@st.composite
def periods_st(draw: st.DrawFn) -> Period:
    opens = draw(st.integers(0, 95)) * 15
    closes = draw(st.integers(0, 96)) * 15
    if closes == opens and opens != 0:
        closes = 1440  # equal non-midnight times are rejected as zero-length
    service = draw(st.sampled_from([None, None, *SERVICES]))
    return Period(draw(st.integers(0, 6)), _hhmm(opens), _hhmm(closes), service)


@st.composite
def schedules_st(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    base = draw(st.sampled_from(BASES))
    closures = []
    for _ in range(draw(st.integers(0, 3))):
        start = base + timedelta(minutes=15 * draw(st.integers(0, 9 * 96)))
        services = draw(st.sampled_from([None, ("A",), ("B", "C")]))
        closures.append(
            Closure(start, start + timedelta(minutes=15 * draw(st.integers(1, 300))), None, services)
        )
    s = Schedule(
        draw(st.sampled_from(ZONES)),
        draw(st.booleans()),
        frozenset(draw(st.sets(st.sampled_from(SERVICES)))),
        tuple(draw(st.lists(periods_st(), max_size=8))),
        tuple(closures),
    )
    return s, base


@st.composite
def instants_st(draw: st.DrawFn, base: datetime) -> datetime:
    # Quarter hours in UTC land on period boundaries in every zone above; nudge by a second either side.
    at = base + timedelta(
        minutes=15 * draw(st.integers(0, 9 * 96)), seconds=draw(st.sampled_from([0, 0, -1, 1, 29]))
    )
    return at.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_is_open_matches_naive_model(data: st.DataObject) -> None:
    s, base = data.draw(schedules_st())
    for _ in range(5):
        at = data.draw(instants_st(base))
        for service in (None, *SERVICES):
            assert is_open(s, at, service) == model_is_open(s, at, service), (at, service)
        wanted = data.draw(st.lists(st.sampled_from(SERVICES), max_size=2))
        expected = all(model_is_open(s, at, x) for x in wanted) if wanted else model_is_open(s, at, None)
        assert is_open_for_all(s, at, wanted) == expected


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_next_change_is_first_flip(data: st.DataObject) -> None:
    s, base = data.draw(schedules_st())
    at = data.draw(instants_st(base))
    service = data.draw(st.sampled_from([None, *SERVICES]))
    horizon = timedelta(
        minutes=15 * data.draw(st.integers(1, 4 * 48)), seconds=data.draw(st.sampled_from([0, 7]))
    )
    state = is_open(s, at, service)
    change = next_change(s, at, service, horizon)
    at, end = at.astimezone(UTC), at.astimezone(UTC) + horizon  # horizon is elapsed time
    # Every flip lands on a whole UTC minute here, so a minute-by-minute scan finds the first one.
    minute = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    expected = None
    while minute <= end:
        if is_open(s, minute, service) != state:
            expected = minute
            break
        minute += timedelta(minutes=1)
    assert change == expected
    if change is not None:
        assert at < change <= end
        assert is_open(s, change, service) != state
        assert is_open(s, change - timedelta(seconds=1), service) == state


# --- next_change however far the flip: closures over years, instants past and future -----------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_QUARTER = timedelta(minutes=15)
_QUIET = timedelta(days=15)  # weekly hours that have not flipped this long after an event never will


def model_next_change(s: Schedule, at: datetime, service: str | None) -> datetime | None:
    """The first flip after `at` by a naive walk, for schedules whose every flip lands on a UTC quarter
    hour (periods and closures on quarter hours, zones whose offsets are whole quarter hours): quarter
    hour by quarter hour, jumping to the next closure edge once nothing has flipped for 15 days since
    the last edge (or `at`), and None when no edge is left."""
    state = model_is_open(s, at, service)
    at = at.astimezone(UTC)
    edges = sorted({e.astimezone(UTC) for c in s.closures for e in (c.starts_at, c.ends_at)})
    t = _EPOCH + ((at - _EPOCH) // _QUARTER + 1) * _QUARTER
    quiet_since = at
    while True:
        if t - quiet_since > _QUIET:
            ahead = [e for e in edges if e >= t]
            if not ahead:
                return None
            t = quiet_since = ahead[0]
        if model_is_open(s, t, service) != state:
            return t
        if t in edges:
            quiet_since = t
        t += _QUARTER


# Years whose offsets are whole quarter hours in every zone of ZONES (and of the API tests' zones).
FIRST_YEAR, LAST_YEAR = 1950, 2150
_SPAN_QUARTERS = int(
    (datetime(LAST_YEAR, 12, 31, tzinfo=UTC) - datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)) / _QUARTER
)
# Closure lengths from a quarter hour to two years, most of them short.
_LENGTHS = st.sampled_from([1, 4, 96, 96 * 7, 96 * 40, 96 * 400, 96 * 730]).flatmap(
    lambda most: st.integers(1, most)
)
_NEARBY = st.integers(-96 * 3 * 365, 96 * 3 * 365)  # within three years, in quarter hours


@st.composite
def closures_over_years_st(draw: st.DrawFn, services: list[str], base: datetime) -> tuple[Closure, ...]:
    """Closures around `base`, some years away, some back to back, overlapping or long: of the station or
    of some of its desks."""
    closures: list[Closure] = []
    for _ in range(draw(st.integers(0, 4))):
        if closures and draw(st.booleans()):
            start = draw(st.sampled_from(closures)).ends_at + _QUARTER * draw(st.integers(-96, 96))
        else:
            start = base + _QUARTER * draw(_NEARBY)
        which = draw(st.sampled_from([None, None, *[(x,) for x in services], tuple(services[:2])]))
        closures.append(Closure(start, start + _QUARTER * draw(_LENGTHS), None, which or None))
    return tuple(closures)


@st.composite
def instants_around_st(draw: st.DrawFn, base: datetime, closures: tuple[Closure, ...]) -> datetime:
    """An instant near `base` or next to a closure's edge, a second either side of a quarter hour or on it."""
    if closures and draw(st.booleans()):
        edge = draw(st.sampled_from(closures))
        near = draw(st.sampled_from([edge.starts_at, edge.ends_at])) + _QUARTER * draw(st.integers(-200, 200))
    else:
        near = base + _QUARTER * draw(_NEARBY)
    return near + timedelta(seconds=draw(st.sampled_from([0, 0, -1, 1])))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_next_change_unbounded_is_the_first_flip_by_a_naive_walk(data: st.DataObject) -> None:
    base = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) + _QUARTER * data.draw(st.integers(0, _SPAN_QUARTERS))
    services = data.draw(st.sets(st.sampled_from(SERVICES)))
    closures = data.draw(closures_over_years_st(sorted(services) or SERVICES, base))
    s = Schedule(
        data.draw(st.sampled_from(ZONES)),
        data.draw(st.booleans()),
        frozenset(services),
        tuple(data.draw(st.lists(periods_st(), max_size=6))),
        closures,
    )
    at = data.draw(instants_around_st(base, closures))
    for service in (None, *SERVICES):
        change = next_change(s, at, service)
        assert change == model_next_change(s, at, service), service
        state = is_open(s, at, service)
        if change is not None:
            assert change > at and is_open(s, change, service) != state
            assert is_open(s, change - timedelta(seconds=1), service) == state
