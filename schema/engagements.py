"""Community engagements: logEngagement, correctEngagement, addFollowUpAction, updateFollowUpAction, the
`engagements` and `followUpActions` lists, and the Engagement and FollowUpAction nodes."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Union

import strawberry
from graphql import GraphQLError

from db.rows import EngagementRow, ReadFollowUpRow
from resolvers import disclosure
from resolvers import engagements as logic
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from resolvers.policy import Viewer
from schema import loaders
from schema.common import GeoPoint, GeoPointInput, RecordFlag, UserError
from schema.incidents import Incident
from schema.mutations import run
from schema.node import Node, PageInfo, from_global_id, int_key, parse_time_cursor, time_cursor, to_global_id
from schema.officers import Officer
from schema.patrols import Patrol
from schema.stations import Station

if TYPE_CHECKING:
    from schema.media import Attachment


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


@strawberry.enum(description="What a follow-up action belongs to.")
class FollowUpSubjectKind(enum.Enum):
    ENGAGEMENT = strawberry.enum_value("ENGAGEMENT", description="Promised at an engagement.")
    INCIDENT = strawberry.enum_value("INCIDENT", description="Added for an incident.")


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


FollowUpSubject = Annotated[
    Union["Engagement", Incident],
    strawberry.union("FollowUpSubject", description="The record a follow-up action belongs to."),
]


@strawberry.type(
    description="An action promised at an engagement or added for an incident, with an owner and a due "
    "date: the issue-then-action loop."
)
class FollowUpAction(Node):
    client_id: uuid.UUID | None = strawberry.field(
        description="The id the device made when it added the action (addFollowUpAction); null for "
        "actions promised in logEngagement."
    )
    description: str = strawberry.field(description="What was promised.")
    due_on: date | None = strawberry.field(description="When it is due, a day at the station.")
    status: FollowUpStatus = strawberry.field(description="Where it stands.")
    overdue: bool = strawberry.field(
        description="Past its due date (at the station) and still OPEN or IN_PROGRESS."
    )
    updated_at: datetime = strawberry.field(description="When it was promised or its status last changed.")
    subject_kind: FollowUpSubjectKind = strawberry.field(description="What it belongs to.")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: ReadFollowUpRow) -> FollowUpAction:
        return cls(
            id=strawberry.ID(to_global_id("FollowUpAction", row.id)),
            client_id=row.client_id,
            description=row.description,
            due_on=row.due_on,
            status=FollowUpStatus(row.status),
            overdue=bool(row.overdue),
            updated_at=row.updated_at,
            subject_kind=FollowUpSubjectKind.INCIDENT if row.incident_id else FollowUpSubjectKind.ENGAGEMENT,
            row=row,
        )

    @strawberry.field(description="Who is to do it; null when nobody was named.")
    async def owner(self, info: strawberry.Info[Context]) -> Officer | None:
        return await _officer(info, self.row.owner_id)

    @strawberry.field(
        description="The engagement where it was promised; an error for an action of an incident.",
        deprecation_reason="An action may belong to an incident: use `subject`. Lists give actions of "
        "incidents only when `filter.subjects` asks for them.",
    )
    async def engagement(self, info: strawberry.Info[Context]) -> Engagement:
        if self.row.engagement_id is None:
            raise GraphQLError(
                message("action_of_incident", info.context.lang), extensions={"code": "ACTION_OF_INCIDENT"}
            )
        loader = loaders.engagement(info.context)
        return Engagement.from_row(
            await loader.load(self.row.engagement_id), info.context.viewer, info.context
        )

    @strawberry.field(description="The engagement or incident it belongs to.")
    async def subject(self, info: strawberry.Info[Context]) -> FollowUpSubject:
        ctx = info.context
        if self.row.engagement_id is not None:
            row = await loaders.engagement(ctx).load(self.row.engagement_id)
            return Engagement.from_row(row, ctx.viewer, ctx)
        # Whoever sees the action may see its incident (policy.sees_follow_up): its details as theirs.
        return Incident.from_row(await loaders.action_incident(ctx).load(self.row.incident_id), ctx.viewer)


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
        description="True for a household engagement whose case you are not on: its place and times are "
        "generalised, and its notes, topics, duration, officer, patrol and follow-up actions withheld (the "
        "officer's patrol track would place it)."
    )
    occurred_at: datetime = strawberry.field(description="When it started (its day when generalised).")
    duration_minutes: int | None = strawberry.field(
        description="How long it lasted, in minutes (null when generalised)."
    )
    attendees: Attendees = strawberry.field(description="How many people took part (0 when not counted).")
    topics: list[str] = strawberry.field(description="Issues residents raised (none when generalised).")
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
    version: int = strawberry.field(description="Bumped by every correction: send it as `expectedVersion`.")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: EngagementRow, viewer: Viewer | None, ctx: Context | None = None) -> Engagement:
        """The engagement as `viewer` may see it (resolvers.disclosure); given the request's `ctx`, a read
        of a household engagement's place and notes by someone on its case is audited."""
        hidden = disclosure.for_viewer(viewer).engagement_generalised(row)
        if ctx is not None and not hidden:
            logic.audit_household_read(ctx, row)
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
            duration_minutes=None if hidden else row.duration_minutes,
            attendees=Attendees(
                total=row.attendees_total, women=row.attendees_women, youth=row.attendees_youth
            ),
            topics=[] if hidden else list(row.topics),
            notes=None if hidden else row.notes,
            recorded_at=when(row.recorded_at),
            received_at=when(row.received_at),
            flags=[RecordFlag(f) for f in row.flags],
            version=row.version,
            row=row,
        )

    @strawberry.field(
        description="Actions promised there, in the order they were logged; of a household engagement off "
        "your cases, only those you own."
    )
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

    @strawberry.field(
        description="The officer who logged it (null when generalised: their patrol track would place it)."
    )
    async def logged_by(self, info: strawberry.Info[Context]) -> Officer | None:
        if self.generalised:
            return None
        return await _officer(info, self.row.officer_id)

    @strawberry.field(
        description="Every correction, oldest first (see EngagementCorrection for who sees what)."
    )
    async def corrections(self, info: strawberry.Info[Context]) -> list[EngagementCorrection]:
        rows = await loaders.engagement_corrections(info.context).load(self.row.id)
        return [EngagementCorrection.from_row(c, hidden=self.generalised) for c in rows]

    # photos and documents (schema/media.py)
    @strawberry.field(
        description="Its photos and documents, oldest first; none for those who may not see its details."
    )
    async def attachments(
        self, info: strawberry.Info[Context]
    ) -> list[Annotated[Attachment, strawberry.lazy("schema.media")]]:
        from schema import media

        return await media.attachments(info, self.row, incident=False)

    @strawberry.field(
        description="How many attachments it should have in all, as the officer's phone said (null: never "
        "said, or its details are not yours)."
    )
    async def attachments_expected(self, info: strawberry.Info[Context]) -> int | None:
        from schema import media

        return await media.expected(info, self.row, incident=False)

    @strawberry.field(description="How many attachments have arrived (null when its details are not yours).")
    async def attachments_received(self, info: strawberry.Info[Context]) -> int | None:
        from schema import media

        return await media.received(info, self.row, incident=False)


@strawberry.enum(description="A field of an engagement that a correction changed.")
class EngagementField(enum.Enum):
    ATTENDEES = "attendees"
    TOPICS = "topics"
    NOTES = "notes"


def _attendees(value: dict[str, int] | None) -> Attendees | None:
    return (
        None if value is None else Attendees(total=value["total"], women=value["women"], youth=value["youth"])
    )


@strawberry.type(
    description="A correction of an engagement: which fields it changed, from what to what, who made it, "
    "when and why. Of a household engagement whose case you are not on, the notes before and after and "
    "the reason are null and the time is its day (docs/privacy.md). Fields not changed are null."
)
class EngagementCorrection:
    version: int = strawberry.field(description="The engagement's version this correction made.")
    corrected_at: datetime = strawberry.field(
        description="When the server recorded it (its day when the engagement is generalised)."
    )
    reason: str | None = strawberry.field(
        description="Why it was corrected; null when the engagement is generalised."
    )
    fields: list[EngagementField] = strawberry.field(description="The fields it changed.")
    attendees_before: Attendees | None = strawberry.field(description="The attendee counts before.")
    attendees_after: Attendees | None = strawberry.field(description="The attendee counts after.")
    topics_before: list[str] | None = strawberry.field(
        description="The topics before (null when the engagement is generalised)."
    )
    topics_after: list[str] | None = strawberry.field(
        description="The topics after (null when the engagement is generalised)."
    )
    notes_before: str | None = strawberry.field(
        description="The notes before (null too when there were none)."
    )
    notes_after: str | None = strawberry.field(description="The notes after (null too when cleared).")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any, hidden: bool) -> EngagementCorrection:
        changes = row.changes

        def side(field: str, part: str) -> Any:
            return changes[field][part] if field in changes else None

        return cls(
            version=row.version,
            corrected_at=disclosure.times(hidden)(row.corrected_at),
            reason=None if hidden else row.reason,
            fields=[f for f in EngagementField if f.value in changes],
            attendees_before=_attendees(side("attendees", "before")),
            attendees_after=_attendees(side("attendees", "after")),
            topics_before=None if hidden else side("topics", "before"),
            topics_after=None if hidden else side("topics", "after"),
            notes_before=None if hidden else side("notes", "before"),
            notes_after=None if hidden else side("notes", "after"),
            row=row,
        )

    @strawberry.field(description="Who made it; null when you may not see that officer.")
    async def corrected_by(self, info: strawberry.Info[Context]) -> Officer | None:
        return await _officer(info, self.row.corrected_by_id)


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
    description="Correct an engagement logged with a mistake: give the fields to change (at least one) "
    "and why. Name it by `engagementId` or `engagementClientId` (exactly one). Only the officer who held "
    "it, the station's commander and admins may correct it."
)
class CorrectEngagementInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device, once per correction; sending it again changes nothing."
    )
    engagement_id: strawberry.ID | None = strawberry.field(
        default=None, description="The engagement's global ID."
    )
    engagement_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId it was logged with (works before the phone knows its id)."
    )
    expected_version: int = strawberry.field(
        description="The version you last saw; if it changed since, nothing happens and you get CONFLICT."
    )
    reason: str = strawberry.field(description="Why it is corrected, 1 to 1000 characters.")
    attendees: AttendeesInput | None = strawberry.field(
        default=None,
        description="How many took part, all three counts (women and youth 0 when not given); null: "
        "unchanged.",
    )
    topics: list[str] | None = strawberry.field(
        default=None,
        description="All the topics (at most 30, each 1 to 200 characters; [] for none); null: unchanged.",
    )
    notes: str | None = strawberry.field(
        default=None, description='The notes, at most 4000 characters ("" clears them); null: unchanged.'
    )


@strawberry.input(
    description="Add a follow-up action to an engagement or an incident: name it by exactly one of "
    "`engagementId`, `engagementClientId`, `incidentId` and `incidentClientId`. To a sensitive incident, "
    "only the people on its case may add one."
)
class AddFollowUpActionInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device, once per action; sending it again adds nothing. "
        "updateFollowUpAction may name the action by it."
    )
    engagement_id: strawberry.ID | None = strawberry.field(
        default=None, description="The engagement's global ID."
    )
    engagement_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId the engagement was logged with."
    )
    incident_id: strawberry.ID | None = strawberry.field(
        default=None, description="The incident's global ID."
    )
    incident_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId the incident was reported with."
    )
    description: str = strawberry.field(description="What is to be done, 1 to 1000 characters.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Who is to do it: an active officer of the record's station; default you, when of "
        "that station.",
    )
    due_on: date | None = strawberry.field(
        default=None, description="When it is due: not before the record's day, at most two years ahead."
    )


@strawberry.input(
    description="Change a follow-up action's status: its owner, the station's commander, "
    "supervisors over the station, or administrators. Name it by `followUpActionId` or "
    "`followUpActionClientId` (exactly one)."
)
class UpdateFollowUpActionInput:
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending it again changes nothing."
    )
    follow_up_action_id: strawberry.ID | None = strawberry.field(default=None, description="The action.")
    follow_up_action_client_id: uuid.UUID | None = strawberry.field(
        default=None,
        description="The clientId it was added with by addFollowUpAction (works before the phone knows "
        "its id).",
    )
    status: FollowUpStatus = strawberry.field(description="The new status; the current one changes nothing.")
    note: str | None = strawberry.field(
        default=None, description="Why, or what was done, at most 2000 characters (kept in the audit log)."
    )


@strawberry.type(description="The result of logging or correcting an engagement.")
class EngagementPayload:
    engagement: Engagement | None = strawberry.field(
        description="The engagement as stored; null when there are errors (on a CONFLICT of a correction's "
        "`expectedVersion`, the current one)."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")
    current_version: int | None = strawberry.field(
        default=None,
        description="The engagement's version now: after a CONFLICT, reload and send this as "
        "expectedVersion.",
    )


@strawberry.type(description="The result of adding or changing a follow-up action.")
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
        default=None, description="Of engagements or incidents of this station."
    )
    subjects: list[FollowUpSubjectKind] | None = strawberry.field(
        default_factory=lambda: [FollowUpSubjectKind.ENGAGEMENT],
        description="Actions of engagements, of incidents, or both; null as the default: of engagements "
        "only (`FollowUpAction.engagement` is an error for an action of an incident).",
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
        "subjects": [k.value for k in given.subjects or (FollowUpSubjectKind.ENGAGEMENT,)],
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
                node=Engagement.from_row(r, ctx.viewer, ctx),
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

    @strawberry.mutation(
        description="Correct an engagement's attendees, topics or notes, if it is still at "
        "`expectedVersion`; its `corrections` keep who changed what, when and why."
    )
    async def correct_engagement(
        self, info: strawberry.Info[Context], input: CorrectEngagementInput
    ) -> EngagementPayload:
        ctx = info.context
        applied, errors, failure = await run(ctx, lambda: logic.correct_engagement(ctx, input))
        current = None
        if failure is not None and failure.current_version is not None:
            current = await logic.current_engagement(ctx, input)
        row = applied.row if applied else current
        return EngagementPayload(
            engagement=Engagement.from_row(row, ctx.viewer) if row is not None else None,
            current_version=row.version if row is not None else None,
            errors=errors,
        )

    @strawberry.mutation(
        description="Add a follow-up action to an engagement or an incident; the same `clientId` again "
        "returns the same action."
    )
    async def add_follow_up_action(
        self, info: strawberry.Info[Context], input: AddFollowUpActionInput
    ) -> FollowUpActionPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.add_follow_up_action(ctx, input))
        return FollowUpActionPayload(
            follow_up_action=FollowUpAction.from_row(applied.row) if applied else None, errors=errors
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
    rows = await logic.shown_engagements(ctx, _keys(keys))
    return {str(i): Engagement.from_row(r, ctx.viewer, ctx) for i, r in rows.items()}


async def resolve_follow_up_action_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """FollowUpAction nodes for `node`/`nodes`, by key; only those the viewer may see."""
    rows = await logic.visible_follow_ups(ctx, _keys(keys))
    return {str(i): FollowUpAction.from_row(r) for i, r in rows.items()}
