"""Which rollup rows answer a period: pure arithmetic on Baghdad's calendar, no I/O.

The rollups (db/models/activity.py) keep hours at resolution 10, days at 10 and 8, months at 8 and 6.
A period [from, to) on whole hours is cut into at most five stretches: whole months in the middle,
whole days on either side of them, and hours at the edges. Each stretch reads the coarsest kept
resolution at least as fine as the one asked (parents are exact; children cannot be made up), so a
year at resolution 6 reads twelve monthly rows per cell, not 8,760 hourly ones.

    plan(datetime(2026, 1, 1, tzinfo=BAGHDAD), datetime(2026, 11, 29, tzinfo=BAGHDAD), 6)
    -> [Stretch("m", 6, 2026-01-01, 2026-11-01), Stretch("d", 8, 2026-11-01, 2026-11-29)]
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BAGHDAD = ZoneInfo("Asia/Baghdad")
HOUR, DAY, MONTH = "h", "d", "m"
# grain -> resolutions kept at that grain, finest first (must match the VALUES of activity_fold).
KEPT: dict[str, tuple[int, ...]] = {HOUR: (10,), DAY: (10, 8), MONTH: (8, 6)}


@dataclasses.dataclass(frozen=True, slots=True)
class Stretch:
    """Rollup rows of `grain` at `res` whose bucket starts in [start, end)."""

    grain: str
    res: int
    start: datetime
    end: datetime


def kept_resolution(grain: str, resolution: int) -> int | None:
    """The coarsest resolution kept at `grain` that is at least as fine as `resolution`; None if none."""
    usable = [r for r in KEPT[grain] if r >= resolution]
    return min(usable) if usable else None


def is_whole_hour(at: datetime) -> bool:
    offset = at.utcoffset()
    return (
        at.minute == 0
        and at.second == 0
        and at.microsecond == 0
        and offset is not None
        and int(offset.total_seconds()) % 3600 == 0
    )


def day_floor(at: datetime) -> datetime:
    local = at.astimezone(BAGHDAD)
    return datetime(local.year, local.month, local.day, tzinfo=BAGHDAD)


def day_ceil(at: datetime) -> datetime:
    floor = day_floor(at)
    return floor if floor == at else _next_day(floor)


def month_floor(at: datetime) -> datetime:
    local = at.astimezone(BAGHDAD)
    return datetime(local.year, local.month, 1, tzinfo=BAGHDAD)


def month_ceil(at: datetime) -> datetime:
    floor = month_floor(at)
    return floor if floor == at else next_month(floor)


def next_month(start: datetime) -> datetime:
    local = start.astimezone(BAGHDAD)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=BAGHDAD)


def _next_day(start: datetime) -> datetime:
    # Through the wall clock, so a day is a calendar day even in the years Iraq kept summer time.
    local = start.astimezone(BAGHDAD) + timedelta(days=1)
    return datetime(local.year, local.month, local.day, tzinfo=BAGHDAD)


def plan(start: datetime, end: datetime, resolution: int, *, coarsest: str = MONTH) -> list[Stretch]:
    """Stretches covering [start, end) exactly (both on whole hours), none coarser than `coarsest`."""
    stretches: list[Stretch] = []
    if start >= end:
        return stretches
    month_res = kept_resolution(MONTH, resolution) if coarsest == MONTH else None
    day_res = kept_resolution(DAY, resolution) if coarsest in (MONTH, DAY) else None
    hour_res = kept_resolution(HOUR, resolution)
    assert hour_res is not None  # resolution 10 is kept hourly: every resolution up to 10 is answerable
    parts = [(start, end)]
    if month_res is not None:
        first, last = month_ceil(start), month_floor(end)
        if first < last:
            stretches.append(Stretch(MONTH, month_res, first, last))
            parts = [(start, first), (last, end)]
    for low, high in parts:
        if low >= high:
            continue
        if day_res is not None:
            first, last = day_ceil(low), day_floor(high)
            if first < last:
                stretches.append(Stretch(DAY, day_res, first, last))
                for a, b in ((low, first), (last, high)):
                    if a < b:
                        stretches.append(Stretch(HOUR, hour_res, a, b))
                continue
        stretches.append(Stretch(HOUR, hour_res, low, high))
    return sorted(stretches, key=lambda s: s.start)
