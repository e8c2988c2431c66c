"""The disclosure rule: how precisely each viewer sees where and when records happened, in every output.

Every output that counts, places or lists field records asks this module: lists and nodes (incidents,
engagements, and citizens' Open311 reports, which follow their incident's rule), maps, timelines,
summaries and CompStat changes, coverage gaps, exports, the live feed and the citizens' public map.
docs/privacy.md states the rule for deployers; resolvers.policy decides which records are sensitive and
who is on their case.

**Generalise, then aggregate.** Outside the people on its case, a sensitive record exists only as its
coarse key: its resolution-7 H3 cell (about 5 km², 1.2 km across) and its calendar day in Baghdad. Every
answer to such a viewer is computed from that key alone, never from the exact point or time:

- a list shows the cell's centre and the day (ordered by the day too: `disclosed_at`, migration 0011);
- an aggregate counts the record in a period only if the period holds its whole day, and in a drawn area
  only if the area holds its whole cell (at a map resolution r ≥ 7: every cell of r under it is in the
  area's cover; at r < 7: its parent is); a map places it in its cell (r = 7) or the cell's parent
  (r < 7), and at finer resolutions counts it in the totals without placing it (`withheld`); an hourly
  timeline leaves it out;
- the live feed does not send it.

So adding a sensitive record anywhere in its cell and day, or moving it there, changes no answer to such
a viewer, whatever the area, period, resolution, layers, categories or number of questions
(tests/test_disclosure.py checks exactly that with hypothesis).

**The public map** shows only sums of published base numbers: a base number is the count of incidents
that are not sensitive in one resolution-7 cell, over one calendar month, of the stations of one
governorate; it is published when it is at least 5 and suppressed (counted as nothing) otherwise. Any
cell, area or period the public asks about is answered with the sum of the published base numbers it
holds, so no difference of two answers can reveal a suppressed count. A month's base numbers are frozen
when it is first published (`public_months_of`, db.activity.freeze_public_months): a late report or a
correction cannot move one across the threshold afterwards, so comparing the map of two days reveals
nothing either.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from h3.api import basic_int as h3i

from db.rows import EngagementRow, IncidentRow, ServiceRequestRow
from resolvers import activity_plan, policy
from resolvers.geodesy import geodesic_m

# The coarse cell of a sensitive record: resolution 7, about 5.2 km² (an edge of 1.2 km).
COARSE_RESOLUTION = 7
# The rollups' coarsest resolution kept by day and by month that is finer than the coarse cell: the
# generalised counts are read from its rows (their parents at 7 are exact).
_ROLLUP_RESOLUTION = 8
# The public map: base numbers per resolution-7 cell and calendar month, published from 5.
PUBLIC_RESOLUTION = 7
PUBLIC_MIN_COUNT = 5


# --- one record -----------------------------------------------------------------------------------


def coarse_cell(fine_cell: int) -> int:
    """The resolution-7 cell of a stored (resolution-10) cell."""
    return h3i.cell_to_parent(fine_cell, COARSE_RESOLUTION)


@functools.lru_cache(maxsize=4096)
def coarse_place(cell7: int) -> tuple[float, float, float]:
    """Where a generalised record is shown: its coarse cell's centre, and how far from it the record may
    be (metres to the cell's farthest corner)."""
    latitude, longitude = h3i.cell_to_latlng(cell7)
    radius = max(geodesic_m(latitude, longitude, lat, lon) for lat, lon in h3i.cell_to_boundary(cell7))
    return latitude, longitude, radius


def coarse_point(latitude: float, longitude: float) -> tuple[float, float]:
    """Where a point of a generalised record other than its own place (a corrected place, before or
    after) is shown: its coarse cell's centre."""
    latitude, longitude, _ = coarse_place(h3i.latlng_to_cell(latitude, longitude, COARSE_RESOLUTION))
    return latitude, longitude


def arrivals_held_from(now: datetime | None = None) -> datetime:
    """Off its case, a sensitive record is shown only once the day it arrived on (in Baghdad) has ended:
    the start of today. Shown the moment it arrived, a record would be timed by its arrival to anyone
    asking again and again (a map's count going from 2 to 3 between two questions a minute apart), however
    coarse its own key. So every output leaves out the sensitive records that arrived since then, and they
    appear at midnight, in their day and cell, together with the rest of the day's."""
    return activity_plan.day_floor(now or datetime.now(UTC)).astimezone(UTC)


def coarse_time(at: datetime) -> datetime:
    """When a generalised record is shown to have happened: the start of its day in Baghdad."""
    return activity_plan.day_floor(at).astimezone(UTC)


# A time, or None: what a record's time field holds, and what Times gives back for it.
_When = TypeVar("_When", datetime, None, datetime | None)


class Times(Protocol):
    def __call__(self, at: _When, /) -> _When: ...


def coarse_time_or_none(at: _When) -> _When:
    return None if at is None else coarse_time(at)


def _exact(at: _When) -> _When:
    return at


def times(generalised: bool) -> Times:
    """How a record's times are shown: as they are, or each as the start of its day when generalised."""
    return coarse_time_or_none if generalised else _exact


@dataclasses.dataclass(frozen=True, slots=True)
class Disclosure:
    """What one viewer may see of sensitive records (None: a citizen)."""

    viewer: policy.Viewer | None

    @property
    def exact_aggregates(self) -> bool:
        """Maps, timelines and summaries count sensitive records exactly (the viewer is on every case in
        their scope), instead of generalised."""
        return self.viewer is not None and policy.on_every_case_in_scope(self.viewer)

    def incident_generalised(self, row: IncidentRow) -> bool:
        """A sensitive incident seen by someone not on its case: its key only, no details."""
        return policy.is_sensitive(row.category, row.sensitive) and not policy.on_incident_case(
            self.viewer, row
        )

    def incident_history_generalised(self, row: Any, categories_before: Iterable[str]) -> bool:
        """An incident's corrections seen by someone not on its case, when the incident is sensitive or
        was before a correction changed its category: each correction shows only which fields it
        changed, its version, its officer, its day, and each place as its coarse cell's centre. An
        incident corrected out of a sensitive category shows its own details as any other (it is that
        category now), but never what it said while it was sensitive."""
        if policy.on_incident_case(self.viewer, row):
            return False
        return policy.is_sensitive(row.category, row.sensitive) or any(
            policy.is_sensitive(category, row.sensitive) for category in categories_before
        )

    def engagement_generalised(self, row: EngagementRow) -> bool:
        """A household engagement seen by someone not on its case."""
        return policy.is_household(row.kind) and not policy.on_engagement_case(self.viewer, row)

    def incident_held_back(self, row: IncidentRow, held_from: datetime) -> bool:
        """A generalised incident that arrived today (`arrivals_held_from`): not shown yet."""
        return row.reported_at >= held_from and self.incident_generalised(row)

    def engagement_held_back(self, row: EngagementRow, held_from: datetime) -> bool:
        """A generalised engagement that arrived today (`arrivals_held_from`): not shown yet."""
        return row.received_at >= held_from and self.engagement_generalised(row)

    def service_request_generalised(self, row: ServiceRequestRow) -> bool:
        """A citizen's Open311 report on a sensitive case (the incident it became, or that of the report
        it repeats, is sensitive, however it became so: a correction into a sensitive category, a mark)
        seen by someone not on that incident's case: shown as the incident is, its place the centre of
        its coarse cell and every time the start of its day, with nothing the citizen wrote, sent or was
        told (description, address, photo, attributes, status notes, contact)."""
        case = _request_case(row)
        return case is not None and self.incident_generalised(case)

    def service_request_held_back(self, row: ServiceRequestRow, held_from: datetime) -> bool:
        """A generalised report whose incident arrived today (`arrivals_held_from`): not shown yet, as
        the incident is not."""
        arrived = row.case_reported_at
        return arrived is not None and arrived >= held_from and self.service_request_generalised(row)

    def media_withheld(self, row: Any, *, incident: bool) -> bool:
        """A record's photos and documents, and their count, for someone who may not see its details (a
        sensitive incident or a household engagement off its case): none of them, not even generalised
        (resolvers.policy.sees_media)."""
        return not policy.sees_media(self.viewer, row, incident=incident)

    def event_sent(
        self, layer: str, category: str | None, sensitive: bool, station_id: int, officer_ids: Sequence[int]
    ) -> bool:
        """Whether the live feed sends an event: not a sensitive record's to anyone off its case (its
        arrival alone would time it to the second)."""
        if layer == "INCIDENTS":
            first = officer_ids[0] if officer_ids else None
            record: Any = _Case(category or "", sensitive, station_id, first, tuple(officer_ids), None, None)
            return not self.incident_generalised(record)
        if layer == "ENGAGEMENTS":
            record = _Case(
                "", False, station_id, None, (), category or "", officer_ids[0] if officer_ids else None
            )
            return not self.engagement_generalised(record)
        return True


@dataclasses.dataclass(frozen=True, slots=True)
class _Case:
    """The fields of a record that say whether it is sensitive and who is on its case."""

    category: str
    sensitive: bool
    station_id: int
    reported_by_id: int | None
    assigned_officer_ids: tuple[int, ...]
    kind: str | None
    officer_id: int | None


def _request_case(row: ServiceRequestRow) -> Any:
    """The incident whose case a citizen's report is on (db/service_requests.py), or None."""
    if row.case_incident_id is None or row.case_category is None or row.case_station_id is None:
        return None
    return _Case(
        row.case_category,
        bool(row.case_marked),
        row.case_station_id,
        row.case_reported_by_id,
        tuple(row.case_assigned_officer_ids or ()),
        None,
        None,
    )


def service_request_on_sensitive_case(row: ServiceRequestRow) -> bool:
    """Whether a citizen's report is on a sensitive incident's case: its exact place and text are that
    case's details (a read of them by someone on it is audited as one of the incident's)."""
    case = _request_case(row)
    return case is not None and policy.is_sensitive(case.category, case.sensitive)


def service_request_published(row: ServiceRequestRow) -> bool:
    """Whether the public Open311 requests show a report: not one on a sensitive case, since the public
    may see nothing placed of a sensitive case (its resolution-9 place, its exact times). The SQL holds
    the same rule (db.service_requests.public_requests); this is the last check before publishing."""
    return not service_request_on_sensitive_case(row)


def for_viewer(viewer: policy.Viewer | None) -> Disclosure:
    return Disclosure(viewer)


# --- aggregates of generalised records --------------------------------------------------------------


def whole_days(
    start: datetime, end: datetime, *, coarsest: str = activity_plan.MONTH
) -> list[tuple[str, int, datetime, datetime]]:
    """The rollup stretches (grain, res, start, end) of the whole days in [start, end): months and days
    of resolution-8 rows, never hours, so a record counts only when the period holds its whole day."""
    return [
        (s.grain, s.res, s.start, s.end)
        for s in activity_plan.plan(start, end, _ROLLUP_RESOLUTION, coarsest=coarsest)
        if s.grain != activity_plan.HOUR
    ]


def day_span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[first, last) of the day starts whose whole day lies in [start, end) (empty when first >= last)."""
    return activity_plan.day_ceil(start).astimezone(UTC), activity_plan.day_floor(end).astimezone(UTC)


def period_days(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """`day_span` of a list's optional bounds (None: unbounded on that side), for db.disclosure."""
    return (
        None if start is None else activity_plan.day_ceil(start).astimezone(UTC),
        None if end is None else activity_plan.day_floor(end).astimezone(UTC),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class CoarseArea:
    """Which coarse cells a drawn area holds: at resolution `res` (7, or the map's resolution when
    coarser), `cells`; a generalised record is in the area when its cell's parent at `res` is one of them."""

    res: int
    cells: tuple[int, ...]

    def ranges(self) -> tuple[list[int], list[int]]:
        """The cells as ranges of resolution-8 cell numbers (the rollup rows they hold)."""
        from db.activity import cell_ranges

        return cell_ranges(self.cells, _ROLLUP_RESOLUTION)


def coarse_area(cover: Sequence[int] | None, resolution: int) -> CoarseArea | None:
    """The coarse cells a drawn area with this cover (cells of `resolution` whose centres lie in it) holds
    whole; None for a scope area (no cover), which holds its records wherever they are."""
    if cover is None:
        return None
    if resolution <= COARSE_RESOLUTION:
        return CoarseArea(resolution, tuple(sorted(cover)))
    per_parent = Counter(h3i.cell_to_parent(cell, COARSE_RESOLUTION) for cell in cover)
    whole = 7 ** (resolution - COARSE_RESOLUTION)
    # A pentagon's descendants are fewer; Iraq has none, but count them right all the same.
    held = [
        cell
        for cell, n in per_parent.items()
        if n == whole or n == len(h3i.cell_to_children(cell, resolution))
    ]
    return CoarseArea(COARSE_RESOLUTION, tuple(sorted(held)))


@dataclasses.dataclass(slots=True)
class Placed:
    """Generalised records arranged for one answer: per cell of the answer's resolution (when they can
    be placed in it), per bucket start (timelines), and those counted but placed nowhere."""

    cells: dict[int, list[int]] = dataclasses.field(default_factory=dict)  # cell -> [incidents, engagements]
    withheld_incidents: int = 0
    withheld_engagements: int = 0


def place(rows: Iterable[Any], resolution: int) -> Placed:
    """Rows of generalised counts (`cell7`, `layer`, `n`) placed on a map of `resolution`: in their cell
    or its parent when the map is no finer than the coarse cell; counted as withheld when it is finer."""
    from db.activity import ENGAGEMENTS, INCIDENTS

    placed = Placed()
    for row in rows:
        n = int(row.n)
        if not n:
            continue
        if resolution > COARSE_RESOLUTION:
            if row.layer == INCIDENTS:
                placed.withheld_incidents += n
            elif row.layer == ENGAGEMENTS:
                placed.withheld_engagements += n
            continue
        cell = row.cell7 if resolution == COARSE_RESOLUTION else h3i.cell_to_parent(row.cell7, resolution)
        counts = placed.cells.setdefault(cell, [0, 0])
        counts[0 if row.layer == INCIDENTS else 1] += n
    return placed


@dataclasses.dataclass(frozen=True, slots=True)
class CellFilter:
    """Which records a list narrowed to one map cell holds: those whose resolution-10 cell lies in
    [low, high] (the cell's descendants, db.activity.cell_ranges). A generalised record is placed by its
    coarse cell: it is in a cell of resolution 7 or coarser exactly when its fine cell is (H3 parents nest
    by their digits), and in no finer cell at all (`generalised_in`)."""

    low: int
    high: int
    generalised_in: bool


def cell_filter(cell: int) -> CellFilter:
    from db.activity import cell_ranges
    from db.cells import FINE_RESOLUTION

    (low,), (high,) = cell_ranges([cell], FINE_RESOLUTION)
    return CellFilter(low, high, h3i.get_resolution(cell) <= COARSE_RESOLUTION)


# --- the public map ---------------------------------------------------------------------------------


def public_period(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The whole months of Baghdad's calendar the public may see within [start, end): from the first
    month `start` touches to the last month that has ended by both `end` and now."""
    first = activity_plan.month_floor(start)
    last = min(activity_plan.month_floor(end), activity_plan.month_floor(now))
    return first.astimezone(UTC), max(first, last).astimezone(UTC)


def public_months_of(start: datetime, end: datetime) -> list[datetime]:
    """The starts of the months of [start, end), a period of whole months (`public_period`): the months
    the public map answers, each frozen before it is read."""
    months, month = [], activity_plan.month_floor(start)
    while month < end:
        months.append(month.astimezone(UTC))
        month = activity_plan.next_month(month)
    return months


def public_cells(published: Iterable[Any], resolution: int) -> dict[int, int]:
    """Per cell of `resolution` (7 or coarser), the sum of the published base numbers (`cell7`, `n`, each
    at least PUBLIC_MIN_COUNT) under it: the only numbers the public ever sees."""
    found: dict[int, int] = {}
    for row in published:
        n = int(row.n)
        if n < PUBLIC_MIN_COUNT:
            raise AssertionError("a suppressed base number reached the public map")
        cell = row.cell7 if resolution == PUBLIC_RESOLUTION else h3i.cell_to_parent(row.cell7, resolution)
        found[cell] = found.get(cell, 0) + n
    return found


# --- reading generalised records --------------------------------------------------------------------


def coarse_filter(
    cover: Sequence[int] | None,
    start: datetime,
    end: datetime,
    resolution: int,
    *,
    coarsest: str = activity_plan.MONTH,
) -> Any:
    """What a question over [start, end) and an area with this cover (at `resolution`; None for a scope
    area) holds of generalised records, for db.activity: their whole days, and their held coarse cells."""
    from db.activity import Coarse

    area = coarse_area(cover, resolution)
    day_from, day_to = day_span(start, end)
    return Coarse(
        stretches=whole_days(start, end, coarsest=coarsest),
        day_from=day_from,
        day_to=day_to,
        res=area.res if area else COARSE_RESOLUTION,
        cells=area.cells if area else None,
        held_from=arrivals_held_from(),
    )


async def generalised_rows(
    session: Any,
    view: Disclosure,
    f: Any,
    start: datetime,
    end: datetime,
    *,
    coarsest: str = activity_plan.MONTH,
) -> Sequence[Any]:
    """The sensitive records a question (db.activity.Filter `f` over [start, end)) counts for a viewer who
    sees them generalised, as coarse rows (db.activity.coarse_counts); none for a viewer who counts them
    exactly (they are then in the question's own rows)."""
    from db import activity as repo

    if view.exact_aggregates:
        return []
    return await repo.coarse_counts(
        session, f, coarse_filter(f.cover, start, end, f.resolution, coarsest=coarsest)
    )
