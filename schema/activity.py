"""Activity maps, timelines, summaries and coverage gaps for supervisors; the public safety map for
citizens. Types only: counting and permissions are resolvers.activity's and resolvers.policy's."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers import activity as logic
from resolvers.context import Context
from schema.areas import ActivityLayer, AreaInput
from schema.common import GeoPoint
from schema.engagements import EngagementKind
from schema.incidents import IncidentCategory, IncidentStatus
from schema.scalars import GeoJSON

From = Annotated[datetime, strawberry.argument(name="from", description="Start of the period (inclusive).")]


@strawberry.type(description="Activity in one H3 hexagon over the period.")
class ActivityCell:
    h3_index: str = strawberry.field(description="The H3 index, hexadecimal (e.g. `882ca2b437fffff`).")
    center: GeoPoint = strawberry.field(description="The hexagon's centre.")
    incidents: int = strawberry.field(description="Incidents that happened in it.")
    engagements: int = strawberry.field(description="Community engagements held in it.")
    patrol_minutes: float = strawberry.field(
        description="Minutes of patrol in it: each kept GPS fix (neither IMPOSSIBLE_SPEED nor "
        "MOCK_LOCATION) counts until the next kept fix of its patrol, when that comes within 15 "
        "minutes."
    )

    @classmethod
    def from_cell(cls, cell: logic.Cell) -> ActivityCell:
        lat, lon = cell.center
        import h3

        return cls(
            h3_index=h3.int_to_str(cell.h3_index),
            center=GeoPoint(latitude=lat, longitude=lon),
            incidents=cell.incidents,
            engagements=cell.engagements,
            patrol_minutes=round(cell.patrol_minutes, 2),
        )


@strawberry.type(description="Totals of a map over the whole area and period.")
class ActivityCounts:
    incidents: int = strawberry.field(
        description="Incidents: equal to `totalCount` of the incident list for the same station or "
        "governorate, categories and period of whole days."
    )
    engagements: int = strawberry.field(description="Engagements, likewise equal to the engagement list's.")
    patrol_minutes: float = strawberry.field(description="Minutes of patrol.")
    sensitive_incidents_withheld: int = strawberry.field(
        description="Sensitive incidents counted in `incidents` but placed in no cell: unless you are on "
        "every case of your scope (admins, station commanders), a sensitive record is known to "
        "you only by its resolution-7 cell and its day, so a finer map cannot place it."
    )
    sensitive_engagements_withheld: int = strawberry.field(
        description="Likewise, home visits and family-protection follow-ups counted in `engagements` but "
        "placed in no cell."
    )


@strawberry.type(description="Activity aggregated into H3 hexagons.")
class ActivityMap:
    resolution: int = strawberry.field(description="H3 resolution of the cells.")
    from_: datetime = strawberry.field(name="from", description="Start of the period counted.")
    to: datetime = strawberry.field(description="End of the period counted (exclusive).")
    cells: list[ActivityCell] = strawberry.field(description="Cells with any activity, by H3 index.")
    totals: ActivityCounts = strawberry.field(description="Totals over the area and period.")
    found: strawberry.Private[Any]

    @strawberry.field(
        description="The cells as a GeoJSON FeatureCollection of hexagon Polygons, with "
        "`h3Index`, `incidents`, `engagements` and `patrolMinutes` properties."
    )
    def geojson(self) -> GeoJSON:
        return GeoJSON(logic.feature_collection(self.found.cells))

    @classmethod
    def of(cls, found: logic.ActivityMap) -> ActivityMap:
        t = found.totals
        return cls(
            resolution=found.resolution,
            from_=found.start,
            to=found.end,
            cells=[ActivityCell.from_cell(c) for c in found.cells],
            totals=ActivityCounts(
                incidents=t.incidents,
                engagements=t.engagements,
                patrol_minutes=round(t.patrol_minutes, 2),
                sensitive_incidents_withheld=t.sensitive_withheld,
                sensitive_engagements_withheld=t.sensitive_engagements_withheld,
            ),
            found=found,
        )


@strawberry.enum(description="How long each bucket of a timeline is (Baghdad's calendar; weeks from Monday).")
class TimeBucket(enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"


@strawberry.type(description="Activity in one bucket of a timeline.")
class ActivityTimelinePoint:
    start: datetime = strawberry.field(description="Start of the bucket.")
    incidents: int = strawberry.field(description="Incidents in it.")
    engagements: int = strawberry.field(description="Engagements in it.")
    patrol_minutes: float = strawberry.field(description="Minutes of patrol in it.")


@strawberry.enum(description="The two CompStat comparisons.")
class CompStatWindow(enum.Enum):
    LAST_28_DAYS = strawberry.enum_value(
        "LAST_28_DAYS", description="The 28 days before `to`, against the 28 days before those."
    )
    YEAR_TO_DATE = strawberry.enum_value(
        "YEAR_TO_DATE", description="1 January to `to`, against the same stretch of the year before."
    )


@strawberry.type(description="A count now and in the period it is compared with.")
class ActivityChange:
    window: CompStatWindow = strawberry.field(description="Which comparison.")
    layer: ActivityLayer = strawberry.field(description="What is counted (patrols in hours).")
    incident_category: IncidentCategory | None = strawberry.field(
        description="For incidents: this category only; null for all of them."
    )
    engagement_kind: EngagementKind | None = strawberry.field(
        description="For engagements: this kind only; null for all of them."
    )
    current: float = strawberry.field(description="In the current period.")
    previous: float = strawberry.field(description="In the period before.")
    change_percent: float | None = strawberry.field(
        description="(current - previous) / previous, in percent; null when previous is zero."
    )


@strawberry.type(description="A count of incidents of one category.")
class IncidentCategoryCount:
    category: IncidentCategory = strawberry.field(description="The category.")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="A count of incidents in one status (as they stand now).")
class IncidentStatusCount:
    status: IncidentStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="A count of engagements of one kind.")
class EngagementKindCount:
    kind: EngagementKind = strawberry.field(description="The kind.")
    count: int = strawberry.field(description="How many.")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@strawberry.type(description="What happened in an area over a period, and how it compares (CompStat).")
class ActivitySummary:
    from_: datetime = strawberry.field(name="from", description="Start of the period.")
    to: datetime = strawberry.field(description="End of the period (exclusive).")
    incidents: int = strawberry.field(description="Incidents that happened in the period.")
    incidents_by_category: list[IncidentCategoryCount] = strawberry.field(description="Per category.")
    incidents_by_status: list[IncidentStatusCount] = strawberry.field(
        description="The period's incidents by their current status."
    )
    median_hours_to_resolve: float | None = strawberry.field(
        description="Median hours from report to resolution of the period's resolved incidents; null when "
        "none is resolved."
    )
    engagements: int = strawberry.field(description="Engagements held in the period.")
    engagements_by_kind: list[EngagementKindCount] = strawberry.field(description="Per kind.")
    attendees: int = strawberry.field(description="People who attended the engagements.")
    women_attendee_share: float | None = strawberry.field(
        description="Share of attendees who were women, 0 to 1; null without attendees."
    )
    youth_attendee_share: float | None = strawberry.field(
        description="Share of attendees who were young people, 0 to 1; null without attendees."
    )
    patrol_hours: float = strawberry.field(
        description="Hours of patrol (from the kept GPS fixes, as on maps)."
    )
    patrol_kilometers: float = strawberry.field(
        description="Kilometres patrolled: the sum of the patrols' `distanceMeters` (geodesic, between kept "
        "fixes), each stretch counted where and when it starts."
    )
    active_officers: int = strawberry.field(
        description="Officers who patrolled, reported an incident or held an engagement in the period."
    )
    women_officers_engagement_share: float | None = strawberry.field(
        description="Share of engagements held by women officers, 0 to 1; null without engagements."
    )
    changes: list[ActivityChange] = strawberry.field(
        description="CompStat: 28-day and year-to-date counts against the periods before, ending at `to`."
    )

    @classmethod
    def of(cls, s: logic.Summary) -> ActivitySummary:
        engagements = sum(s.engagements_by_kind.values())
        return cls(
            from_=s.start,
            to=s.end,
            incidents=sum(s.incidents_by_category.values()),
            incidents_by_category=[
                IncidentCategoryCount(category=IncidentCategory(k), count=v)
                for k, v in sorted(s.incidents_by_category.items())
            ],
            incidents_by_status=[
                IncidentStatusCount(status=IncidentStatus(k), count=v)
                for k, v in sorted(s.incidents_by_status.items())
            ],
            median_hours_to_resolve=s.median_hours_to_resolve,
            engagements=engagements,
            engagements_by_kind=[
                EngagementKindCount(kind=EngagementKind(k), count=v)
                for k, v in sorted(s.engagements_by_kind.items())
            ],
            attendees=s.attendees,
            women_attendee_share=_share(s.women_attendees, s.attendees),
            youth_attendee_share=_share(s.youth_attendees, s.attendees),
            patrol_hours=round(s.patrol_minutes / 60, 2),
            patrol_kilometers=round(s.patrol_meters / 1000, 3),
            active_officers=s.active_officers,
            women_officers_engagement_share=_share(s.engagements_by_women_officers, engagements),
            changes=[
                ActivityChange(
                    window=CompStatWindow(c.window),
                    layer=ActivityLayer(c.layer),
                    incident_category=IncidentCategory(c.category)
                    if c.layer == "INCIDENTS" and c.category
                    else None,
                    engagement_kind=EngagementKind(c.category)
                    if c.layer == "ENGAGEMENTS" and c.category
                    else None,
                    current=round(c.current, 2),
                    previous=round(c.previous, 2),
                    change_percent=c.change_percent,
                )
                for c in s.changes
            ],
        )


@strawberry.type
class ActivityQuery:
    @strawberry.field(
        description="Incidents, engagements and patrol time per H3 cell (resolution 5 to 10) "
        "of the records you may see in the area, over [from, to) on whole hours."
    )
    async def activity_map(
        self,
        info: strawberry.Info[Context],
        area: AreaInput,
        from_: From,
        to: datetime,
        resolution: int = 8,
        layers: list[ActivityLayer] | None = None,
        incident_categories: list[IncidentCategory] | None = None,
    ) -> ActivityMap:
        found = await logic.activity_map(
            info.context, area, from_, to, resolution, layers, incident_categories
        )
        return ActivityMap.of(found)

    @strawberry.field(
        description="Activity per hour, day or week over [from, to); every bucket is listed. "
        "`resolution` applies to drawn areas (which cells count as inside). "
        "Sensitive records you see generalised count in their whole day only: "
        "an hourly timeline leaves them out."
    )
    async def activity_timeline(
        self,
        info: strawberry.Info[Context],
        area: AreaInput,
        from_: From,
        to: datetime,
        bucket: TimeBucket = TimeBucket.DAY,
        resolution: int = 8,
        layers: list[ActivityLayer] | None = None,
        incident_categories: list[IncidentCategory] | None = None,
    ) -> list[ActivityTimelinePoint]:
        points = await logic.activity_timeline(
            info.context, area, from_, to, bucket.value, resolution, layers, incident_categories
        )
        return [
            ActivityTimelinePoint(
                start=p.start,
                incidents=p.incidents,
                engagements=p.engagements,
                patrol_minutes=round(p.patrol_minutes, 2),
            )
            for p in points
        ]

    @strawberry.field(
        description="A summary of the area over [from, to), with CompStat changes ending at "
        "`to`. "
        "`resolution` applies to drawn areas."
    )
    async def activity_summary(
        self, info: strawberry.Info[Context], area: AreaInput, from_: From, to: datetime, resolution: int = 8
    ) -> ActivitySummary:
        return ActivitySummary.of(await logic.activity_summary(info.context, area, from_, to, resolution))

    @strawberry.field(
        description="Cells with incidents but no engagement and no patrol in the `days` days "
        "before `to` (default: the next whole hour)."
    )
    async def coverage_gaps(
        self,
        info: strawberry.Info[Context],
        area: AreaInput,
        days: int = 28,
        to: datetime | None = None,
        resolution: int = 8,
    ) -> ActivityMap:
        return ActivityMap.of(await logic.coverage_gaps(info.context, area, days, to, resolution))

    @strawberry.field(
        description="For everyone, no sign-in: incidents per hexagon of resolution 7 or "
        "coarser over the whole completed months of [from, to), without sensitive "
        "incidents. Every number is a sum of published base numbers (one "
        "resolution-7 cell, one month, the stations of one governorate), each at "
        "least 5; smaller ones are left out of every sum, so no two answers can "
        "be subtracted to reveal one (docs/privacy.md). A month is kept as it "
        "was first published, at its end: later reports and corrections of it "
        "are not on this map. The area is a box, a "
        "polygon (the base cells whose centre it holds) or a governorate."
    )
    async def public_safety_map(
        self, info: strawberry.Info[Context], area: AreaInput, from_: From, to: datetime, resolution: int = 7
    ) -> ActivityMap:
        return ActivityMap.of(await logic.public_safety_map(info.context, area, from_, to, resolution))
