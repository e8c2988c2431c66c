"""Community engagements: logEngagement, updateFollowUpAction, the `engagements` and `followUpActions`
lists, and the Engagement and FollowUpAction nodes."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import strawberry

from db.rows import EngagementRow, ReadFollowUpRow
from resolvers import disclosure
from resolvers import engagements as logic
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from resolvers.policy import Viewer
from schema import loaders
from schema.common import GeoPoint, GeoPointInput, RecordFlag, UserError
from schema.mutations import run
from schema.node import Node, PageInfo, from_global_id, int_key, parse_time_cursor, time_cursor, to_global_id
from schema.officers import Officer
from schema.patrols import Patrol
from schema.stations import Station


@strawberry.enum(description="What kind of community engagement it was.")
class EngagementKind(enum.Enum):
    HOME_VISIT = strawberry.enum_value("HOME_VISIT", description="A visit to a family at home.")
    SCHOOL_VISIT = strawberry.enum_value("SCHOOL_VISIT", description="A visit to a school.")
    COMMUNITY_MEETING = strawberry.enum_value("COMMUNITY_MEETING", description="A meeting open to residents.")
    RELIGIOUS_LEADER_MEETING = strawberry.enum_value(
        "RELIGIOUS_LEADER_MEETING", description="A meeting with religious leaders."
    )
    TRIBAL_LEADER_MEETING = strawberry.enum_value(
        "TRIBAL_LEADER_MEETING", description="A meeting with tribal leaders."
    )
    MARKET_WALK = strawberry.enum_value("MARKET_WALK", description="Talking with shopkeepers and shoppers.")
    AWARENESS_SESSION = strawberry.enum_value(
        "AWARENESS_SESSION", description="A session raising awareness (safety, rights, services)."
    )
    FAMILY_PROTECTION_FOLLOW_UP = strawberry.enum_value(
        "FAMILY_PROTECTION_FOLLOW_UP",
        description="A follow-up visit of the family and child protection unit.",
    )
    WOMEN_OUTREACH = strawberry.enum_value("WOMEN_OUTREACH", description="Outreach to women.")
    YOUTH_ACTIVITY = strawberry.enum_value("YOUTH_ACTIVITY", description="An activity with young people.")


@strawberry.enum(description="Where a follow-up action stands; any status may follow any other.")
class FollowUpStatus(enum.Enum):
    OPEN = strawberry.enum_value("OPEN", description="Promised, not started.")
    IN_PROGRESS = strawberry.enum_value("IN_PROGRESS", description="Being worked on.")
    DONE = strawberry.enum_value("DONE", description="Done: the loop is closed.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Dropped, no longer needed.")


async def _officer(info: strawberry.Info[Context], officer_id: int | None) -> Officer | None:
    if officer_id is None:
        return None
    row = await loaders.officer(info.context).load(officer_id)
    return Officer.from_row(row) if row else None


@strawberry.type(description="How many people took part.")
class Attendees:
    total: int = strawberry.field(description="Everyone who took part (officers aside).")
    women: int = strawberry.field(description="Of them, women and girls.")
    youth: int = strawberry.field(description="Of them, young people.")


@strawberry.type(
    description="An action promised at an engagement, with an owner and a due date: the "
    "issue-then-action loop."
)
class FollowUpAction(Node):
    description: str = strawberry.field(description="What was promised.")
    due_on: date | None = strawberry.field(description="When it is due, a day at the station.")
    status: FollowUpStatus = strawberry.field(description="Where it stands.")
    overdue: bool = strawberry.field(
        description="Past its due date (at the station) and still OPEN or IN_PROGRESS."
    )
    updated_at: datetime = strawberry.field(description="When it was promised or its status last changed.")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: ReadFollowUpRow) -> FollowUpAction:
        return cls(
            id=strawberry.ID(to_global_id("FollowUpAction", row.id)),
            description=row.description,
            due_on=row.due_on,
            status=FollowUpStatus(row.status),
            overdue=bool(row.overdue),
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description="Who is to do it; null when nobody was named.")
    async def owner(self, info: strawberry.Info[Context]) -> Officer | None:
        return await _officer(info, self.row.owner_id)

    @strawberry.field(description="The engagement where it was promised.")
    async def engagement(self, info: strawberry.Info[Context]) -> Engagement:
        loader = loaders.engagement(info.context)
        return Engagement.from_row(await loader.load(self.row.engagement_id), info.context.viewer)


@strawberry.type(
    description="A community engagement: a visit, meeting or activity officers held with "
    "residents, what was raised there and what was promised. A home visit or a "
    "family-protection follow-up is placed at a family's home: only the people on "
    "its case (the officer who held it, the station's commander, admins) see its "
    "exact place and times, its notes and its patrol; anyone else sees its "
    "resolution-7 cell's centre and its day (docs/privacy.md)."
)
class Engagement(Node):
    client_id: uuid.UUID = strawberry.field(description="The id the device made when it was logged.")
    kind: EngagementKind = strawberry.field(description="What kind of engagement it was.")
    location: GeoPoint = strawberry.field(
        description="Where it took place; for a household engagement off your cases, its cell's centre."
    )
    location_precision_meters: float = strawberry.field(
        description="How far the real place may be from `location`, in metres: the device's accuracy (0 "
        "when it gave none), or the cell's radius when generalised."
    )
    generalised: bool = strawberry.field(
        description="True for a household engagement whose case you are not on: place, times, notes and "
        "patrol are withheld as described above."
    )
    occurred_at: datetime = strawberry.field(description="When it started (its day when generalised).")
    duration_minutes: int | None = strawberry.field(description="How long it lasted, in minutes.")
    attendees: Attendees = strawberry.field(description="How many people took part (0 when not counted).")
    topics: list[str] = strawberry.field(description="Issues residents raised.")
    notes: str | None = strawberry.field(description="The officer's notes; null when generalised.")
    recorded_at: datetime | None = strawberry.field(
        description="The device's clock when the officer saved it, when the device sent it (its day when "
        "generalised)."
    )
    received_at: datetime = strawberry.field(
        description="When the server received it (its day when generalised)."
    )
    flags: list[RecordFlag] = strawberry.field(
        description="What to check before trusting its time and place."
    )
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: EngagementRow, viewer: Viewer | None) -> Engagement:
        """The engagement as `viewer` may see it (resolvers.disclosure)."""
        hidden = disclosure.for_viewer(viewer).engagement_generalised(row)
        if hidden:
            latitude, longitude, precision = disclosure.coarse_place(disclosure.coarse_cell(row.h3_cell))
        else:
            latitude, longitude, precision = row.latitude, row.longitude, row.accuracy_m or 0.0
        when = disclosure.times(hidden)
        return cls(
            id=strawberry.ID(to_global_id("Engagement", row.id)),
            client_id=row.client_id,
            kind=EngagementKind(row.kind),
            location=GeoPoint(latitude=latitude, longitude=longitude),
            location_precision_meters=precision,
            generalised=hidden,
            occurred_at=when(row.occurred_at),
            duration_minutes=row.duration_minutes,
            attendees=Attendees(
                total=row.attendees_total, women=row.attendees_women, youth=row.attendees_youth
            ),
            topics=list(row.topics),
            notes=None if hidden else row.notes,
            recorded_at=when(row.recorded_at),
            received_at=when(row.received_at),
            flags=[RecordFlag(f) for f in row.flags],
            row=row,
        )

    @strawberry.field(description="Actions promised there, in the order they were logged.")
    async def follow_ups(self, info: strawberry.Info[Context]) -> list[FollowUpAction]:
        loader = loaders.follow_ups(info.context)
        return [FollowUpAction.from_row(r) for r in await loader.load(self.row.id)]

    @strawberry.field(
        description="The patrol it happened on, if any (null too when the viewer may not see it, or when the "
        "engagement is generalised: the patrol's track would place it)."
    )
    async def patrol(self, info: strawberry.Info[Context]) -> Patrol | None:
        if self.row.patrol_id is None or self.generalised:
            return None
        loader = loaders.patrol(info.context)
        row = await loader.load(self.row.patrol_id)
        return Patrol.from_row(row) if row else None

    @strawberry.field(description="The station whose engagement it was.")
    async def station(self, info: strawberry.Info[Context]) -> Station:
        loader = loaders.station(info.context)
        return Station.from_row(await loader.load(self.row.station_id), info.context.lang)

    @strawberry.field(description="The officer who logged it.")
    async def logged_by(self, info: strawberry.Info[Context]) -> Officer | None:
        return await _officer(info, self.row.officer_id)


@strawberry.input(description="How many people took part; women and youth are part of the total.")
class AttendeesInput:
    total: int = strawberry.field(description="Everyone who took part, 0 to 100000.")
    women: int | None = strawberry.field(
        default=None, description="Of them, women and girls; at most `total`."
    )
    youth: int | None = strawberry.field(default=None, description="Of them, young people; at most `total`.")


@strawberry.input(description="An action promised at the engagement.")
class FollowUpInput:
    description: str = strawberry.field(description="What was promised, 1 to 1000 characters.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Who is to do it: an active officer of the engagement's station; "
        "default the logging officer when of that station.",
    )
    due_on: date | None = strawberry.field(
        default=None, description="When it is due: not before the engagement's day, at most two years ahead."
    )


@strawberry.input(
    description="Log a community engagement. Sending the same `clientId` again returns the same engagement."
)
class LogEngagementInput:
    client_id: uuid.UUID = strawberry.field(description="Made on the device, once per engagement.")
    kind: EngagementKind = strawberry.field(description="What kind of engagement it was.")
    location: GeoPointInput = strawberry.field(description="Where it took place.")
    occurred_at: datetime = strawberry.field(description="When it started.")
    duration_minutes: int | None = strawberry.field(
        default=None, description="How long it lasted, in minutes, 1 to 1440."
    )
    attendees: AttendeesInput | None = strawberry.field(default=None, description="How many took part.")
    topics: list[str] | None = strawberry.field(
        default=None, description="Issues residents raised: at most 30, each 1 to 200 characters."
    )
    notes: str | None = strawberry.field(
        default=None, description="The officer's notes, at most 4000 characters."
    )
    patrol_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patrol it happened on, of the same station; or give `patrolClientId`."
    )
    patrol_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The `clientId` that patrol was started with, before its ID is known."
    )
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station; default the viewer's own, else the linked patrol's."
    )
    follow_ups: list[FollowUpInput] | None = strawberry.field(
        default=None, description="Actions promised there, at most 20."
    )
    recorded_at: datetime | None = strawberry.field(
        default=None, description="The device's clock when the officer saved this."
    )


@strawberry.input(
    description="Change a follow-up action's status: its owner, the station's commander, "
    "supervisors over the station, or administrators."
)
class UpdateFollowUpActionInput:
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending it again changes nothing."
    )
    follow_up_action_id: strawberry.ID = strawberry.field(description="The action.")
    status: FollowUpStatus = strawberry.field(description="The new status; the current one changes nothing.")
    note: str | None = strawberry.field(
        default=None, description="Why, or what was done, at most 2000 characters (kept in the audit log)."
    )


@strawberry.type(description="The result of logging an engagement.")
class EngagementPayload:
    engagement: Engagement | None = strawberry.field(
        description="The engagement as stored; null when there are errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was logged; empty on success.")


@strawberry.type(description="The result of changing a follow-up action.")
class FollowUpActionPayload:
    follow_up_action: FollowUpAction | None = strawberry.field(
        description="The action as stored; null when there are errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


@strawberry.input(description="Which engagements to list; always within what the viewer may see.")
class EngagementFilter:
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Of this station.")
    governorate_id: strawberry.ID | None = strawberry.field(
        default=None, description="Of stations in this governorate."
    )
    kinds: list[EngagementKind] | None = strawberry.field(default=None, description="Of any of these kinds.")
    from_: datetime | None = strawberry.field(name="from", default=None, description="Held at or after this.")
    to: datetime | None = strawberry.field(default=None, description="Held before this.")
    patrol_id: strawberry.ID | None = strawberry.field(default=None, description="Held on this patrol.")


@strawberry.input(description="Which follow-up actions to list; always within what the viewer may see.")
class FollowUpActionFilter:
    status: FollowUpStatus | None = strawberry.field(default=None, description="In this status.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Owned by this officer.")
    overdue: bool | None = strawberry.field(
        default=None, description="True: only overdue ones; false: only those not overdue."
    )
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="Promised at engagements of this station."
    )


@strawberry.type(description="An edge of an engagement list.")
class EngagementEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this engagement.")
    node: Engagement = strawberry.field(description="The engagement.")


@strawberry.type(description="A page of engagements, the most recent first.")
class EngagementConnection:
    edges: list[EngagementEdge] = strawberry.field(description="The engagements of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many engagements match, over all pages.")
    async def total_count(self, info: strawberry.Info[Context]) -> int:
        return await logic.count_engagements(info.context, self.count_args)


@strawberry.type(description="An edge of a follow-up action list.")
class FollowUpActionEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this action.")
    node: FollowUpAction = strawberry.field(description="The action.")


@strawberry.type(
    description="A page of follow-up actions, the soonest due first, those without a due date last."
)
class FollowUpActionConnection:
    edges: list[FollowUpActionEdge] = strawberry.field(description="The actions of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many actions match, over all pages.")
    async def total_count(self, info: strawberry.Info[Context]) -> int:
        return await logic.count_follow_ups(info.context, self.count_args)


def _action_cursor(row: ReadFollowUpRow) -> str:
    due = row.due_on or logic.NO_DUE_DATE
    return to_global_id("FollowUpActionCursor", f"{due.toordinal()}_{row.id}")


def _action_after(cursor: str, lang: str) -> tuple[date, int]:
    try:
        _, key = from_global_id(cursor, "after", lang, "FollowUpActionCursor")
        ordinal, _, action_id = key.partition("_")
        return date.fromordinal(int(ordinal)), int(action_id)
    except (InputError, ValueError, OverflowError):
        raise InputError("after", message("bad_cursor", lang, field="after")) from None


def _engagement_filter(given: EngagementFilter | None, lang: str) -> dict[str, Any]:
    if given is None:
        return {}
    return {
        "station_id": int_key(given.station_id, "filter.stationId", lang, "Station")
        if given.station_id
        else None,
        "governorate": from_global_id(given.governorate_id, "filter.governorateId", lang, "Governorate")[1]
        if given.governorate_id
        else None,
        "kinds": [k.value for k in given.kinds or ()],
        "from_": given.from_,
        "to": given.to,
        "patrol_id": int_key(given.patrol_id, "filter.patrolId", lang, "Patrol") if given.patrol_id else None,
    }


def _action_filter(given: FollowUpActionFilter | None, lang: str) -> dict[str, Any]:
    if given is None:
        return {}
    return {
        "status": given.status.value if given.status else None,
        "owner_id": int_key(given.owner_id, "filter.ownerId", lang, "Officer") if given.owner_id else None,
        "overdue": given.overdue,
        "station_id": int_key(given.station_id, "filter.stationId", lang, "Station")
        if given.station_id
        else None,
    }


@strawberry.type
class EngagementQuery:
    @strawberry.field(description="Engagements the viewer may see, the most recent first.")
    async def engagements(
        self,
        info: strawberry.Info[Context],
        filter: EngagementFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> EngagementConnection:
        ctx = info.context
        page = await logic.list_engagements(
            ctx,
            first=first,
            after=parse_time_cursor(after, ctx.lang, "EngagementCursor") if after else None,
            **_engagement_filter(filter, ctx.lang),
        )
        edges = [
            EngagementEdge(
                cursor=time_cursor("EngagementCursor", r.disclosed_at, r.id),
                node=Engagement.from_row(r, ctx.viewer),
            )
            for r in page.rows
        ]
        return EngagementConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            count_args=page.count_args,
        )

    @strawberry.field(
        description="Follow-up actions the viewer may see, the soonest due first: the issue-then-action loop."
    )
    async def follow_up_actions(
        self,
        info: strawberry.Info[Context],
        filter: FollowUpActionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> FollowUpActionConnection:
        ctx = info.context
        page = await logic.list_follow_ups(
            ctx,
            first=first,
            after=_action_after(after, ctx.lang) if after else None,
            **_action_filter(filter, ctx.lang),
        )
        edges = [
            FollowUpActionEdge(cursor=_action_cursor(r), node=FollowUpAction.from_row(r)) for r in page.rows
        ]
        return FollowUpActionConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            count_args=page.count_args,
        )


@strawberry.type
class EngagementMutation:
    @strawberry.mutation(
        description="Log a community engagement; the same `clientId` again returns the same engagement."
    )
    async def log_engagement(
        self, info: strawberry.Info[Context], input: LogEngagementInput
    ) -> EngagementPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.log_engagement(ctx, input))
        return EngagementPayload(
            engagement=Engagement.from_row(applied.row, ctx.viewer) if applied else None, errors=errors
        )

    @strawberry.mutation(description="Change a follow-up action's status.")
    async def update_follow_up_action(
        self, info: strawberry.Info[Context], input: UpdateFollowUpActionInput
    ) -> FollowUpActionPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.update_follow_up_action(ctx, input))
        return FollowUpActionPayload(
            follow_up_action=FollowUpAction.from_row(applied.row) if applied else None, errors=errors
        )


def _keys(keys: list[str]) -> list[int]:
    return [int(k) for k in keys if k.isdigit() and len(k) <= 18]


async def resolve_engagement_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """Engagement nodes for `node`/`nodes`, by key; only those the viewer may see."""
    rows = await logic.visible_engagements(ctx, _keys(keys))
    return {str(i): Engagement.from_row(r, ctx.viewer) for i, r in rows.items()}


async def resolve_follow_up_action_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """FollowUpAction nodes for `node`/`nodes`, by key; only those the viewer may see."""
    rows = await logic.visible_follow_ups(ctx, _keys(keys))
    return {str(i): FollowUpAction.from_row(r) for i, r in rows.items()}
