"""Problems under the SARA model: openProblem, updateProblem, the `problems` list, the Problem node with
its links and its assessment (docs/problems.md)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, cast

import strawberry

from db.rows import ReadProblemRow
from resolvers import problem_assessment
from resolvers import problem_links as links_logic
from resolvers import problems as logic
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from schema import loaders
from schema.activity import IncidentCategoryCount
from schema.common import UserError
from schema.engagements import Engagement, FollowUpAction
from schema.incidents import Incident, IncidentCategory
from schema.mutations import run
from schema.node import Node, PageInfo, from_global_id, int_key, to_global_id
from schema.officers import Officer
from schema.scalars import GeoJSON
from schema.station_community import ProblemStage, PublicPriority
from schema.stations import Station


@strawberry.enum(description="How urgent a problem is for the station.")
class ProblemPriority(enum.Enum):
    LOW = strawberry.enum_value("LOW", description="When there is time.")
    MEDIUM = strawberry.enum_value("MEDIUM", description="In the usual course of work.")
    HIGH = strawberry.enum_value("HIGH", description="Before other work.")
    URGENT = strawberry.enum_value("URGENT", description="Now.")


@strawberry.enum(description="A language Markaz keeps text in.")
class Language(enum.Enum):
    AR = strawberry.enum_value("AR", description="Arabic.")
    KU = strawberry.enum_value("KU", description="Kurdish (Sorani).")
    EN = strawberry.enum_value("EN", description="English.")


@strawberry.enum(description="What kind of record is tied to a problem.")
class ProblemLinkKind(enum.Enum):
    ENGAGEMENT = strawberry.enum_value("ENGAGEMENT", description="An engagement where it was raised.")
    INCIDENT = strawberry.enum_value("INCIDENT", description="An incident that shows it.")
    FOLLOW_UP_ACTION = strawberry.enum_value(
        "FOLLOW_UP_ACTION", description="A follow-up action that is (part of) the response."
    )


@strawberry.input(
    description="A record to tie to a problem (or untie): of the problem's station, named by exactly one "
    "of `id` and `clientId`. A sensitive incident or a household engagement only by the people on its case."
)
class ProblemLinkInput:
    kind: ProblemLinkKind = strawberry.field(description="What kind of record it is.")
    id: strawberry.ID | None = strawberry.field(default=None, description="Its global ID.")
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId it was made with (works before the phone knows its id)."
    )


@strawberry.input(description="Open a problem (in SCANNING); the same `clientId` again opens nothing more.")
class OpenProblemInput:
    client_id: uuid.UUID = strawberry.field(description="Made on the device, once per problem.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station; default yours. Only its officers and commander open one."
    )
    area: GeoJSON | None = strawberry.field(
        default=None,
        description="Where: a GeoJSON Polygon or MultiPolygon ([longitude, latitude]); none: the station's "
        "records wherever they happened.",
    )
    title: str = strawberry.field(description="What the problem is, 1 to 200 characters.")
    description: str = strawberry.field(description="What is known of it, 1 to 4000 characters.")
    language: Language | None = strawberry.field(
        default=None,
        description="The language title and description are written in; default Accept-Language.",
    )
    categories: list[IncidentCategory] | None = strawberry.field(
        default=None, description="The incident categories it is about (the assessment counts these)."
    )
    topics: list[str] | None = strawberry.field(
        default=None, description="Topics residents raised it as, at most 20 of at most 200 characters."
    )
    priority: ProblemPriority | None = strawberry.field(default=None, description="Default MEDIUM.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who leads the work: an active officer of the station; default you."
    )
    links: list[ProblemLinkInput] | None = strawberry.field(
        default=None, description="Records to tie to it, at most 100."
    )


@strawberry.input(
    description="Change a problem if it is still at `expectedVersion`: its stage, fields and links, all "
    "or nothing. Name it by exactly one of `problemId` and `problemClientId`."
)
class UpdateProblemInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device; sending it again changes nothing."
    )
    problem_id: strawberry.ID | None = strawberry.field(default=None, description="The problem.")
    problem_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId it was opened with (works before the phone knows its id)."
    )
    expected_version: int = strawberry.field(description="The version the change was made against.")
    stage: ProblemStage | None = strawberry.field(
        default=None,
        description="The next stage (see Problem.allowedStages); entering RESPONSE records when "
        "the response began.",
    )
    title: str | None = strawberry.field(default=None, description="A new title, 1 to 200 characters.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    language: Language | None = strawberry.field(default=None, description="The language of the texts.")
    categories: list[IncidentCategory] | None = strawberry.field(
        default=None, description="The incident categories (replacing the current ones)."
    )
    topics: list[str] | None = strawberry.field(default=None, description="The topics (replacing them).")
    priority: ProblemPriority | None = strawberry.field(default=None, description="A new priority.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A new owner of the station.")
    area: GeoJSON | None = strawberry.field(default=None, description="A new drawn area.")
    use_station_area: bool | None = strawberry.field(
        default=None, description="True: drop the drawn area, count the station's records wherever they are."
    )
    add_links: list[ProblemLinkInput] | None = strawberry.field(
        default=None, description="Records to tie to it (tied already: no change), at most 100."
    )
    remove_links: list[ProblemLinkInput] | None = strawberry.field(
        default=None, description="Records to untie from it (each must be tied), at most 100."
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@strawberry.type(description="One side of an assessment: the problem's area and categories over a period.")
class ProblemFigures:
    from_: datetime = strawberry.field(name="from", description="Start of the period (a day's start).")
    to: datetime = strawberry.field(description="End of the period (exclusive, a day's start).")
    incidents: int = strawberry.field(description="Incidents of the problem's categories (all, when none).")
    incidents_by_category: list[IncidentCategoryCount] = strawberry.field(description="Per category.")
    engagements: int = strawberry.field(description="Engagements held (every kind).")
    attendees: int = strawberry.field(description="People who attended them.")
    women_attendees: int = strawberry.field(description="Of them, women and girls.")
    youth_attendees: int = strawberry.field(description="Of them, young people.")
    women_attendee_share: float | None = strawberry.field(
        description="Share of attendees who were women, 0 to 1; null without attendees."
    )
    youth_attendee_share: float | None = strawberry.field(
        description="Share of attendees who were young people, 0 to 1; null without attendees."
    )

    @classmethod
    def of(cls, figures: problem_assessment.Figures) -> ProblemFigures:
        c = figures.counts
        return cls(
            from_=figures.start,
            to=figures.end,
            incidents=figures.incidents,
            incidents_by_category=[
                IncidentCategoryCount(category=IncidentCategory(k), count=v)
                for k, v in sorted(c.incidents_by_category.items())
            ],
            engagements=c.engagements,
            attendees=c.attendees,
            women_attendees=c.women_attendees,
            youth_attendees=c.youth_attendees,
            women_attendee_share=_share(c.women_attendees, c.attendees),
            youth_attendee_share=_share(c.youth_attendees, c.attendees),
        )


@strawberry.type(
    description="Did the response work? The station's activity in the problem's area and categories over "
    "the whole days before the response began and as many days after (docs/problems.md); sensitive "
    "records count as on every summary (docs/privacy.md)."
)
class ProblemAssessment:
    response_started_at: datetime = strawberry.field(description="When the problem entered RESPONSE.")
    days: int = strawberry.field(
        description="The length of each period, in days (0: the response began today)."
    )
    drawn_area: bool = strawberry.field(description="True: the drawn area; false: the station's records.")
    before: ProblemFigures = strawberry.field(description="The period before the response began.")
    after: ProblemFigures = strawberry.field(description="The period since it began.")
    incident_change_percent: float | None = strawberry.field(
        description="(after - before) / before incidents, in percent; null when there were none before."
    )


@strawberry.type(
    description="A station's problem under the SARA model (scanning, analysis, response, assessment), "
    "with the records tied to it. Its officers and commander work on it; supervisors read it."
)
class Problem(Node):
    client_id: uuid.UUID = strawberry.field(description="The id the device made when it opened the problem.")
    title: str = strawberry.field(description="What the problem is, in `language`.")
    description: str = strawberry.field(description="What is known of it, in `language`.")
    language: Language = strawberry.field(description="The language title and description are written in.")
    area: GeoJSON | None = strawberry.field(
        description="The drawn area; null: the station's records wherever they happened."
    )
    categories: list[IncidentCategory] = strawberry.field(description="The incident categories it is about.")
    topics: list[str] = strawberry.field(description="Topics residents raised it as.")
    priority: ProblemPriority = strawberry.field(description="How urgent it is.")
    stage: ProblemStage = strawberry.field(description="Where it stands.")
    allowed_stages: list[ProblemStage] = strawberry.field(description="The stages it may go to from here.")
    version: int = strawberry.field(description="Bumped by every change: send it as `expectedVersion`.")
    opened_at: datetime = strawberry.field(description="When it was opened.")
    response_started_at: datetime | None = strawberry.field(
        description="When it last entered RESPONSE; null before."
    )
    closed_at: datetime | None = strawberry.field(description="When it was closed; null while open.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    published: bool = strawberry.field(description="Whether the commander published it as a priority.")
    row: strawberry.Private[ReadProblemRow]

    @classmethod
    def from_row(cls, row: ReadProblemRow) -> Problem:
        return cls(
            id=strawberry.ID(to_global_id("Problem", row.id)),
            client_id=row.client_id,
            title=row.title,
            description=row.description,
            language=Language(row.language.upper()),
            area=cast("GeoJSON | None", row.area),
            categories=[IncidentCategory(c) for c in row.categories],
            topics=list(row.topics),
            priority=ProblemPriority(row.priority),
            stage=ProblemStage(row.stage),
            allowed_stages=[ProblemStage(s) for s in logic.TRANSITIONS[row.stage]],
            version=row.version,
            opened_at=row.opened_at,
            response_started_at=row.response_started_at,
            closed_at=row.closed_at,
            updated_at=row.updated_at,
            published=row.published_at is not None,
            row=row,
        )

    @strawberry.field(description="The station it belongs to.")
    async def station(self, info: strawberry.Info[Context]) -> Station:
        row = await loaders.station(info.context).load(self.row.station_id)
        return Station.from_row(row, info.context.lang)

    @strawberry.field(description="Who leads the work; null when you may not see that officer.")
    async def owner(self, info: strawberry.Info[Context]) -> Officer | None:
        row = await loaders.officer(info.context).load(self.row.owner_id)
        return Officer.from_row(row) if row else None

    @strawberry.field(description="Who opened it; null when you may not see that officer.")
    async def opened_by(self, info: strawberry.Info[Context]) -> Officer | None:
        row = await loaders.officer(info.context).load(self.row.opened_by_id)
        return Officer.from_row(row) if row else None

    @strawberry.field(
        description="The engagements where it was raised (a home visit or family-protection follow-up only "
        "to the people on its case)."
    )
    async def engagements(self, info: strawberry.Info[Context]) -> list[Engagement]:
        links = await loaders.problem_links(info.context).load(self.row.id)
        ids = links_logic.linked_ids(links, links_logic.ENGAGEMENT)
        rows = await loaders.visible_engagement(info.context).load_many(ids)
        return [
            Engagement.from_row(r, info.context.viewer)
            for r in links_logic.listed_engagements(info.context.viewer, rows)
        ]

    @strawberry.field(
        description="The incidents that show it. A sensitive incident is listed only to the people on its "
        "case; to anyone else it is not listed (it counts in the assessment's figures, generalised)."
    )
    async def incidents(self, info: strawberry.Info[Context]) -> list[Incident]:
        links = await loaders.problem_links(info.context).load(self.row.id)
        ids = links_logic.linked_ids(links, links_logic.INCIDENT)
        rows = await loaders.visible_incident(info.context).load_many(ids)
        return [
            Incident.from_row(r, info.context.viewer)
            for r in links_logic.listed_incidents(info.context.viewer, rows)
        ]

    @strawberry.field(description="The follow-up actions that are the response (those you may see).")
    async def follow_up_actions(self, info: strawberry.Info[Context]) -> list[FollowUpAction]:
        links = await loaders.problem_links(info.context).load(self.row.id)
        ids = links_logic.linked_ids(links, links_logic.FOLLOW_UP_ACTION)
        rows = await loaders.visible_follow_up(info.context).load_many(ids)
        return [FollowUpAction.from_row(r) for r in rows if r is not None]

    @strawberry.field(
        description="Before and after figures of the response; null before it began. `days`: the length of "
        "each period (default: every whole day since the response began, at most 365)."
    )
    async def assessment(
        self, info: strawberry.Info[Context], days: int | None = None
    ) -> ProblemAssessment | None:
        found = await problem_assessment.assess(info.context, self.row, days)
        if found is None:
            return None
        before, after = found.before.incidents, found.after.incidents
        return ProblemAssessment(
            response_started_at=found.response_started_at,
            days=found.days,
            drawn_area=found.drawn_area,
            before=ProblemFigures.of(found.before),
            after=ProblemFigures.of(found.after),
            incident_change_percent=round(100.0 * (after - before) / before, 1) if before else None,
        )

    @strawberry.field(description="What the public reads of it, once published; null otherwise.")
    def public_priority(self, info: strawberry.Info[Context]) -> PublicPriority | None:
        if self.row.published_at is None:
            return None
        return PublicPriority.from_row(self.row, info.context.lang)


@strawberry.type(description="The result of opening or changing a problem.")
class ProblemPayload:
    problem: Problem | None = strawberry.field(
        description="The problem as stored; null when there are errors (on a CONFLICT of "
        "`expectedVersion`, the current one)."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")
    current_version: int | None = strawberry.field(
        default=None,
        description="The problem's version now: after a CONFLICT, reload and send this as expectedVersion.",
    )


@strawberry.input(description="Which problems to list; always within what the viewer may see.")
class ProblemFilter:
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Of this station.")
    stages: list[ProblemStage] | None = strawberry.field(default=None, description="In any of these stages.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Led by this officer.")
    priorities: list[ProblemPriority] | None = strawberry.field(
        default=None, description="Of any of these priorities."
    )
    published: bool | None = strawberry.field(
        default=None, description="True: only those published as priorities; false: only the others."
    )


@strawberry.type(description="An edge of a problem list.")
class ProblemEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this problem.")
    node: Problem = strawberry.field(description="The problem.")


@strawberry.type(description="A page of problems, the newest first.")
class ProblemConnection:
    edges: list[ProblemEdge] = strawberry.field(description="The problems of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many problems match, over all pages.")
    async def total_count(self, info: strawberry.Info[Context]) -> int:
        return await logic.count_problems(info.context, self.count_args)


def _after(cursor: str, lang: str) -> int:
    try:
        _, key = from_global_id(cursor, "after", lang, "ProblemCursor")
        if not key.isdigit() or len(key) > 18:
            raise ValueError(key)
        return int(key)
    except (InputError, ValueError):
        raise InputError("after", message("bad_cursor", lang, field="after")) from None


def _filter(given: ProblemFilter | None, lang: str) -> dict[str, Any]:
    if given is None:
        return {}
    return {
        "station_id": int_key(given.station_id, "filter.stationId", lang, "Station")
        if given.station_id
        else None,
        "stages": [s.value for s in given.stages or ()],
        "owner_id": int_key(given.owner_id, "filter.ownerId", lang, "Officer") if given.owner_id else None,
        "priorities": [p.value for p in given.priorities or ()],
        "published": given.published,
    }


@strawberry.type
class ProblemQuery:
    @strawberry.field(description="Problems the viewer may see, the newest first.")
    async def problems(
        self,
        info: strawberry.Info[Context],
        filter: ProblemFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProblemConnection:
        ctx = info.context
        page = await logic.list_problems(
            ctx, first=first, after=_after(after, ctx.lang) if after else None, **_filter(filter, ctx.lang)
        )
        edges = [
            ProblemEdge(cursor=to_global_id("ProblemCursor", r.id), node=Problem.from_row(r))
            for r in page.rows
        ]
        return ProblemConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            count_args=page.count_args,
        )


async def problem_payload(
    ctx: Context, applied: Any, errors: list[UserError], failure: Any, input: Any
) -> ProblemPayload:
    current = None
    if failure is not None and failure.current_version is not None:
        current = await logic.current_problem(ctx, input)
    row = applied.row if applied else current
    return ProblemPayload(
        problem=Problem.from_row(row) if row is not None else None,
        current_version=row.version if row is not None else None,
        errors=errors,
    )


@strawberry.type
class ProblemMutation:
    @strawberry.mutation(description="Open a problem; the same `clientId` again returns the same problem.")
    async def open_problem(self, info: strawberry.Info[Context], input: OpenProblemInput) -> ProblemPayload:
        ctx = info.context
        applied, errors, failure = await run(ctx, lambda: logic.open_problem(ctx, input))
        return await problem_payload(ctx, applied, errors, failure, None)

    @strawberry.mutation(
        description="Change a problem's stage, fields or links if it is still at `expectedVersion`."
    )
    async def update_problem(
        self, info: strawberry.Info[Context], input: UpdateProblemInput
    ) -> ProblemPayload:
        ctx = info.context
        applied, errors, failure = await run(ctx, lambda: logic.update_problem(ctx, input))
        return await problem_payload(ctx, applied, errors, failure, input)


def _keys(keys: list[str]) -> list[int]:
    return [int(k) for k in keys if k.isdigit() and len(k) <= 18]


async def resolve_problem_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """Problem nodes for `node`/`nodes`, by key; only those the viewer may see."""
    rows = await logic.visible_problems(ctx, _keys(keys))
    return {str(i): Problem.from_row(r) for i, r in rows.items()}
