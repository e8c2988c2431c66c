"""The assessment of a problem's response: the station's activity in the problem's area and categories
before the response began and after, over periods of equal length (docs/problems.md).

The periods are whole days of Baghdad's calendar: the response's day begins the period after; the period
before is as many days, ending where it begins. Whole days also make the disclosure rule's generalised
records (resolvers.disclosure: a sensitive record counts by its day and its resolution-7 cell for
anyone off its case) count the same as any summary over those days would count them. The figures are
resolvers.activity's `station_figures`, read from the rollups, so they equal activitySummary's for the
same station, area and period.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from resolvers import activity, activity_plan, policy
from resolvers.areas import POLYGON, STATION, Area
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from resolvers.problems import AREA_RESOLUTION

MAX_DAYS = 365  # a year each side: CompStat's longest comparison


@dataclasses.dataclass(slots=True)
class Figures:
    """One side of the comparison."""

    start: datetime
    end: datetime
    counts: activity.StationFigures

    @property
    def incidents(self) -> int:
        return sum(self.counts.incidents_by_category.values())


@dataclasses.dataclass(slots=True)
class Assessment:
    response_started_at: datetime
    days: int
    drawn_area: bool
    before: Figures
    after: Figures


def periods(started: datetime, ends: datetime, days: int | None) -> tuple[datetime, datetime, datetime, int]:
    """(before's start, the pivot, after's end, days): the pivot is the start of the day the response
    began; after runs whole days from it to `ends` (floored to its day) at most, and at most `days`."""
    pivot = activity_plan.day_floor(started).astimezone(UTC)
    last = activity_plan.day_floor(ends).astimezone(UTC)
    available = max(0, round((last - pivot) / timedelta(days=1)))
    n = min(available, MAX_DAYS if days is None else days)
    # Iraq keeps no daylight saving time, so a day is 24 hours; day_floor keeps each end on midnight.
    start = activity_plan.day_floor(pivot - timedelta(days=n) + timedelta(hours=1)).astimezone(UTC)
    end = activity_plan.day_floor(pivot + timedelta(days=n) + timedelta(hours=1)).astimezone(UTC)
    return start, pivot, end, n


def area_of(problem: Any) -> Area:
    """The problem's area: its drawn polygon, or the station's records (a station area)."""
    if problem.area is not None:
        return Area(POLYGON, geometry=problem.area)
    return Area(STATION, station_id=problem.station_id, governorate=problem.station_governorate)


async def assess(ctx: Context, problem: Any, days: int | None) -> Assessment | None:
    """Before and after figures of a problem the viewer sees; None before its response began."""
    policy.require_officer(ctx.viewer)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InputError("days", message("range", ctx.lang, field="days", low=1, high=MAX_DAYS))
    if problem.response_started_at is None:
        return None
    now = datetime.now(UTC)
    ends = min(now, problem.closed_at) if problem.closed_at is not None else now
    start, pivot, end, n = periods(problem.response_started_at, ends, days)
    area = area_of(problem)
    categories = list(problem.categories) or None
    sides = []
    for low, high in ((start, pivot), (pivot, end)):
        counts = (
            await activity.station_figures(
                ctx, area, problem.station_id, low, high, categories, AREA_RESOLUTION
            )
            if low < high
            else activity.StationFigures({}, 0, 0, 0, 0)
        )
        sides.append(Figures(low, high, counts))
    return Assessment(problem.response_started_at, n, problem.area is not None, sides[0], sides[1])
