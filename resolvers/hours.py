"""Opening hours: whether a station, or one of its service desks, is open at an instant, and when that flips.

Pure logic over the `Period` and `Closure` records of `resolvers.station_records`; no I/O, no database.
Weekly periods are read in the station's local wall time (an IANA zone, whatever the server's zone is);
closures are absolute instants. A `Schedule` is built once per station and evaluated many times, so the
periods are folded into sorted minute-of-week intervals up front, and the closures that govern a service
into sorted, merged UTC spans on first use. Nothing here depends on how far `at` is from today: the
closures a schedule is given decide, so its callers must give it every closure that can matter at `at`
(for `next_change`, every closure not over by `at`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resolvers.station_records import Closure, Period

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})")  # ASCII digits only: str.isdigit would accept Arabic-Indic ones
# UTC-offset changes are looked for at this spacing; tzdata never has two changes this close together.
_OFFSET_PROBE = timedelta(hours=6)
# Weekly hours that have not flipped in this long never will: every boundary of the week comes back a
# week later, and no zone's clock skips the same wall time two weeks running.
_WEEKLY_SEARCH = timedelta(days=14)
_FIRST_LOOK = timedelta(days=1)
# `next_change` looks no further: far enough for any closure a station can hold, and far enough from
# datetime.max that a search window past it, or a conversion to any zone, stays in range.
_LAST = datetime(9999, 12, 1, tzinfo=UTC)

# Merged, sorted, non-overlapping [start, end) minute-of-week intervals, as parallel tuples for bisect.
_Intervals = tuple[tuple[int, ...], tuple[int, ...]]
# Merged, sorted [start, end) UTC spans of closures, apart from one another, as parallel tuples for bisect.
_Spans = tuple[tuple[datetime, ...], tuple[datetime, ...]]
_NO_SPANS: _Spans = ((), ())


def parse_hhmm(text: str) -> int:
    """Minutes after midnight for "HH:MM" ("08:30" -> 510); "24:00" (end of day) -> 1440."""
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'time must be written "HH:MM" (e.g. "08:30"), got {text!r}')
    hours, minutes = int(match[1]), int(match[2])
    if (hours, minutes) == (24, 0):
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f'time must be between "00:00" and "23:59", or "24:00" for end of day, got {text!r}')
    return hours * 60 + minutes


def validate_periods(periods: Iterable[Period]) -> list[str]:
    """Human-readable problems with `periods`, [] when fine. Overlapping periods are allowed (merged)."""
    problems: list[str] = []
    for number, period in enumerate(periods, start=1):
        where = f"period {number} (weekday {period.weekday!r}, {period.opens!r}-{period.closes!r})"
        weekday = period.weekday
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            problems.append(f"{where}: weekday must be 0 (Monday) to 6 (Sunday)")
        times: list[int] = []
        for label, text in (("opening", period.opens), ("closing", period.closes)):
            try:
                times.append(parse_hhmm(text))
            except ValueError as exc:
                problems.append(f"{where}: bad {label} time: {exc}")
        if len(times) == 2:
            opens, closes = times
            if opens == MINUTES_PER_DAY:
                problems.append(f'{where}: "24:00" can only be a closing time')
            elif opens == closes and opens != 0:
                # Only "00:00"-"00:00" means a whole day; "08:00"-"08:00" is more likely a typo than 24 hours.
                problems.append(f'{where}: zero-length period (use "00:00"-"00:00" for a whole day)')
        if period.service is not None and (not isinstance(period.service, str) or not period.service):
            problems.append(f"{where}: service must be a service name or None")
    return problems


def _span(period: Period) -> tuple[int, int]:
    """[start, end) in minutes from Monday 00:00; end may pass the end of the week."""
    opens, closes = parse_hhmm(period.opens), parse_hhmm(period.closes)
    if closes <= opens:  # runs past midnight; "00:00"-"00:00" is the whole day
        closes += MINUTES_PER_DAY
    start = period.weekday * MINUTES_PER_DAY + opens
    return start, start + closes - opens


def _merge(spans: Iterable[tuple[int, int]]) -> _Intervals:
    pieces: list[tuple[int, int]] = []
    for start, end in spans:
        if end > MINUTES_PER_WEEK:  # a Sunday period past midnight continues on Monday
            pieces += [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
        else:
            pieces.append((start, end))
    merged: list[list[int]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(s for s, _ in merged), tuple(e for _, e in merged)


def _require_aware(value: datetime, what: str = "at") -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {value.isoformat()}")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A station's opening hours, ready to evaluate. Raises ValueError on invalid periods or zone."""

    timezone: str  # IANA name
    always_open: bool
    services: frozenset[str]  # services the station offers
    periods: tuple[Period, ...] = ()  # weekly periods (service None = the station itself)
    closures: tuple[Closure, ...] = ()  # dated closures (aware datetimes)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _hours: dict[str | None, _Intervals] = field(init=False, repr=False, compare=False)
    _closures: tuple[tuple[datetime, datetime, tuple[str, ...] | None], ...] = field(
        init=False, repr=False, compare=False
    )
    _closed: dict[str | None, _Spans] = field(init=False, repr=False, compare=False)  # by service, on use

    def __post_init__(self) -> None:
        # Accept any iterables but keep the instance hashable.
        object.__setattr__(self, "services", frozenset(self.services))
        object.__setattr__(self, "periods", tuple(self.periods))
        object.__setattr__(self, "closures", tuple(self.closures))
        if problems := validate_periods(self.periods):
            raise ValueError("invalid opening hours: " + "; ".join(problems))
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        spans: dict[str | None, list[tuple[int, int]]] = {None: []}
        for period in self.periods:
            spans.setdefault(period.service, []).append(_span(period))
        if self.always_open:
            spans[None] = [(0, MINUTES_PER_WEEK)]
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_hours", {key: _merge(value) for key, value in spans.items()})
        self._set_closures(self.closures)

    def _set_closures(self, closures: tuple[Closure, ...]) -> None:
        for closure in closures:
            _require_aware(closure.starts_at, "closure starts_at")
            _require_aware(closure.ends_at, "closure ends_at")
        # In UTC: aware datetimes sharing one tzinfo compare by wall time, which is wrong in a repeated hour.
        try:
            utc = tuple(
                (c.starts_at.astimezone(UTC), c.ends_at.astimezone(UTC), c.services) for c in closures
            )
        except OverflowError as exc:
            raise ValueError("a closure falls outside the years 1 to 9999 in UTC") from exc
        object.__setattr__(self, "closures", closures)
        object.__setattr__(self, "_closures", utc)
        object.__setattr__(self, "_closed", {})

    def with_closures(self, closures: Iterable[Closure]) -> Schedule:
        """This schedule with other closures. The weekly hours stay compiled: a station's schedule is
        cached without closures, and the nearest search gives it those of the asked instant per request."""
        copy = object.__new__(Schedule)
        for name in ("timezone", "always_open", "services", "periods", "_zone", "_hours"):
            object.__setattr__(copy, name, getattr(self, name))
        copy._set_closures(tuple(closures))
        return copy

    def _hours_for(self, service: str | None) -> _Intervals | None:
        """Weekly intervals governing `service`; None when the station does not offer it."""
        if service is None:
            return self._hours[None]
        if service not in self.services:
            return None
        # A desk without its own periods keeps the station's hours.
        return self._hours.get(service, self._hours[None])

    def _closed_for(self, service: str | None) -> _Spans:
        """When `service` (None: the station itself) is closed by closures, as merged UTC spans: the
        station's own closures close every desk, a closure listing services closes only those desks."""
        if not self._closures:
            return _NO_SPANS
        found = self._closed.get(service)
        if found is None:
            merged: list[list[datetime]] = []
            for starts, ends in sorted(
                (s, e)
                for s, e, services in self._closures
                if services is None or (service is not None and service in services)
            ):
                if merged and starts <= merged[-1][1]:  # overlapping or back to back: one closed stretch
                    merged[-1][1] = max(merged[-1][1], ends)
                else:
                    merged.append([starts, ends])
            found = self._closed[service] = (tuple(s for s, _ in merged), tuple(e for _, e in merged))
        return found


def _in_hours(hours: _Intervals, local: datetime) -> bool:
    minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
    starts, ends = hours
    index = bisect_right(starts, minute) - 1
    return index >= 0 and minute < ends[index]


def _span_at(spans: _Spans, at_utc: datetime) -> int:
    """The index of the span holding `at_utc`, or -1."""
    starts, ends = spans
    index = bisect_right(starts, at_utc) - 1
    return index if index >= 0 and at_utc < ends[index] else -1


def is_open(schedule: Schedule, at: datetime, service: str | None = None) -> bool:
    """Whether the station (service None) or its `service` desk is open at the aware instant `at`."""
    _require_aware(at)
    hours = schedule._hours_for(service)
    if hours is None or not _in_hours(hours, at.astimezone(schedule._zone)):
        return False
    return not schedule._closures or _span_at(schedule._closed_for(service), at.astimezone(UTC)) < 0


def is_open_for_all(schedule: Schedule, at: datetime, services: Iterable[str]) -> bool:
    """Open for every listed service; an empty list asks about the station itself."""
    wanted = list(services)
    if not wanted:
        return is_open(schedule, at)
    return all(is_open(schedule, at, service) for service in wanted)


def _offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """(segment start, UTC offset) for each stretch of constant offset in [start, end] (UTC instants)."""

    def offset(seconds: int) -> timedelta:
        return datetime.fromtimestamp(seconds, zone).utcoffset() or timedelta(0)

    segments = [(start, offset(int(start.timestamp())))]
    probe = start
    while probe < end:
        step = min(probe + _OFFSET_PROBE, end)
        lo, hi = int(probe.timestamp()), int(step.timestamp()) + 1
        if offset(hi) == segments[-1][1]:
            probe = step
            continue
        while hi - lo > 1:  # tzdata changes fall on whole UTC seconds
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if offset(mid) == segments[-1][1] else (lo, mid)
        probe = datetime.fromtimestamp(hi, UTC)
        segments.append((probe, offset(hi)))
    return segments


def _next_weekly_flip(
    schedule: Schedule, hours: _Intervals, start: datetime, end: datetime
) -> datetime | None:
    """First instant in (start, end] (UTC) where the weekly hours alone flip; None if they do not.

    Looked for in windows of a day, two, four...: most stations open or close within the day, and a
    window costs about its length (an offset probe every six hours, each boundary of each week)."""
    if hours == ((0,), (MINUTES_PER_WEEK,)):
        return None  # open all week: the wall clock can jump, the hours never flip
    low, step = start, _FIRST_LOOK
    while low < end:
        high = min(low + step, end)
        if (flip := _weekly_flip_within(schedule, hours, low, high)) is not None:
            return flip
        low, step = high, step * 2  # no flip up to `high`: the hours there are as at `start`
    return None


def _weekly_flip_within(
    schedule: Schedule, hours: _Intervals, start: datetime, end: datetime
) -> datetime | None:
    boundaries = {minute % MINUTES_PER_WEEK for minute in (*hours[0], *hours[1])}
    candidates: set[datetime] = set()
    segments = _offset_segments(schedule._zone, start, end)
    for index, (seg_start, offset) in enumerate(segments):
        seg_end = segments[index + 1][0] if index + 1 < len(segments) else end
        candidates.add(seg_start)  # wall clock jumps at an offset change
        # Within a segment wall time = UTC + offset, so each weekly boundary maps to one instant.
        wall_start = (seg_start + offset).replace(tzinfo=None)
        wall_end = (seg_end + offset).replace(tzinfo=None)
        week = datetime.combine(wall_start.date() - timedelta(days=wall_start.weekday()), time())
        while week <= wall_end:
            for minute in boundaries:
                wall = week + timedelta(minutes=minute)
                if wall_start <= wall <= wall_end:
                    candidates.add((wall - offset).replace(tzinfo=UTC))
            week += timedelta(weeks=1)
    zone = schedule._zone
    state = _in_hours(hours, start.astimezone(zone))
    for candidate in sorted(c for c in candidates if start < c <= end):
        if _in_hours(hours, candidate.astimezone(zone)) != state:
            return candidate
    return None


def next_change(
    schedule: Schedule,
    at: datetime,
    service: str | None = None,
    horizon: timedelta | None = None,
) -> datetime | None:
    """First instant strictly after `at` where `is_open` flips; None if it never does (or not within
    `horizon` of elapsed time, when one is given).

    However far the flip: closures can keep a station closed for months, or an always-open one open
    until a closure years ahead, so the search goes from closure to closure, and between two of them
    asks the weekly hours, which flip within two weeks or never. The result is in UTC: aware datetimes
    sharing the station's zone compare by wall time, which would misorder instants in a repeated
    (fall-back) hour.
    """
    _require_aware(at)
    hours = schedule._hours_for(service)
    if hours is None or not hours[0]:
        return None  # never open, whatever the closures say
    t = at.astimezone(UTC)
    end = _LAST if horizon is None or horizon >= _LAST - t else t + horizon
    starts, ends = schedule._closed_for(service)
    state = is_open(schedule, at, service)  # and is_open stays so from `at` to `t` throughout
    while t < end:
        index = bisect_right(starts, t) - 1
        if index >= 0 and t < ends[index]:
            # Closed by a closure (so `state` is closed) until it ends; spans are apart, so then the
            # weekly hours decide.
            t = ends[index]
            if t > end:
                return None
            if _in_hours(hours, t.astimezone(schedule._zone)):
                return t
            continue
        # Not closed by a closure: the weekly hours decide until the next closure starts.
        upcoming = starts[index + 1] if index + 1 < len(starts) else None
        stop = min(t + _WEEKLY_SEARCH, end, upcoming or end)
        flip = _next_weekly_flip(schedule, hours, t, stop)
        if flip is not None and (upcoming is None or flip < upcoming):
            return flip
        if upcoming is None or upcoming > end:
            return None
        if flip is None and stop < upcoming and not state:
            return None  # closed by hours that never flip: no closure can open it
        if state:
            return upcoming  # open until the closure starts
        t = upcoming
    return None
