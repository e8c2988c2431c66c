"""Incidents: reportIncident, updateIncidentStatus, assignIncident, correctIncident, the `incidents` list
and the Incident type, whose sensitive details (and corrections) only some viewers see (resolvers.policy
decides who)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.rows import IncidentRow
from resolvers import disclosure, policy
from resolvers import incidents as logic
from resolvers.context import Context
from resolvers.idempotency import Applied
from resolvers.mutation_errors import MutationFailed
from resolvers.policy import Viewer
from schema import loaders
from schema.common import GeoPoint, GeoPointInput, RecordFlag, UserError
from schema.mutations import run
from schema.node import Node, PageInfo, from_global_id, int_key, parse_time_cursor, time_cursor, to_global_id
from schema.officers import Gender, Officer
from schema.stations import Station

if TYPE_CHECKING:
    from schema.engagements import FollowUpAction
    from schema.media import Attachment


@strawberry.enum(description="What kind of incident it is; three kinds are always sensitive.")
class IncidentCategory(enum.Enum):
    THEFT = "THEFT"
    ASSAULT = "ASSAULT"
    DOMESTIC_VIOLENCE = "DOMESTIC_VIOLENCE"
    CHILD_PROTECTION = "CHILD_PROTECTION"
    JUVENILE = "JUVENILE"
    TRAFFIC_ACCIDENT = "TRAFFIC_ACCIDENT"
    DISPUTE = "DISPUTE"
    MISSING_PERSON = "MISSING_PERSON"
    SUSPICIOUS_ACTIVITY = "SUSPICIOUS_ACTIVITY"
    FRAUD = "FRAUD"
    OTHER = "OTHER"


@strawberry.enum(
    description="Where an incident stands. REPORTED -> ASSIGNED, IN_PROGRESS, CLOSED; "
    "ASSIGNED -> IN_PROGRESS, REPORTED, CLOSED; IN_PROGRESS -> RESOLVED, ASSIGNED; "
    "RESOLVED -> CLOSED, IN_PROGRESS; CLOSED is final."
)
class IncidentStatus(enum.Enum):
    REPORTED = "REPORTED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


@strawberry.enum(description="How a person is involved in an incident.")
class PersonRole(enum.Enum):
    VICTIM = "VICTIM"
    WITNESS = "WITNESS"
    SUSPECT = "SUSPECT"
    REPORTER = "REPORTER"
    OTHER = "OTHER"


@strawberry.type(description="Someone involved in an incident.")
class Person:
    name: str = strawberry.field(description="Full name.")
    role: PersonRole = strawberry.field(description="How the person is involved.")
    age: int | None = strawberry.field(description="Age in years, when known.")
    gender: Gender | None = strawberry.field(description="Gender, when known.")
    phone: str | None = strawberry.field(description="Phone number, when given.")


def _person(p: dict[str, Any]) -> Person:
    return Person(
        name=p["name"],
        role=PersonRole(p["role"]),
        age=p.get("age"),
        gender=Gender(p["gender"]) if p.get("gender") else None,
        phone=p.get("phone"),
    )


async def _officer(info: strawberry.Info[Context], officer_id: int | None) -> Officer | None:
    if officer_id is None:
        return None
    row = await loaders.officer(info.context).load(officer_id)
    return Officer.from_row(row) if row else None


@strawberry.type(description="One step of an incident's status history.")
class IncidentStatusChange:
    from_status: IncidentStatus | None = strawberry.field(
        description="The status before; null when reported."
    )
    to_status: IncidentStatus = strawberry.field(description="The status after.")
    version: int = strawberry.field(description="The incident's version this change made.")
    changed_at: datetime = strawberry.field(
        description="When the server recorded the change (its day when the incident's details are hidden)."
    )
    note: str | None = strawberry.field(
        description="The officer's note; null when none, or when the incident's details are hidden from you."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="Who made the change; null when you may not see that officer.")
    async def changed_by(self, info: strawberry.Info[Context]) -> Officer | None:
        return await _officer(info, self.row.changed_by_id)


@strawberry.enum(description="A field of an incident that a correction changed.")
class IncidentField(enum.Enum):
    DESCRIPTION = "description"
    CATEGORY = "category"
    PEOPLE = "people"
    LOCATION = "location"
    SENSITIVE = "sensitive"


def _point(value: dict[str, Any] | None, generalised: bool) -> GeoPoint | None:
    if value is None:
        return None
    latitude, longitude = value["latitude"], value["longitude"]
    if generalised:
        latitude, longitude = disclosure.coarse_point(latitude, longitude)
    return GeoPoint(latitude=latitude, longitude=longitude)


@strawberry.type(
    description="A correction of an incident: which fields it changed, from what to what, who made it, "
    "when and why. Of an incident that is (or was, before a correction) sensitive, only the people on its "
    "case see the values, the reason and the exact time; anyone else sees which fields changed, the "
    "version, the officer, the day, and a changed place as its resolution-7 cell's centre "
    "(docs/privacy.md). Fields not changed by this correction are null."
)
class IncidentCorrection:
    version: int = strawberry.field(description="The incident's version this correction made.")
    corrected_at: datetime = strawberry.field(
        description="When the server recorded it (its day when the history's details are hidden)."
    )
    reason: str | None = strawberry.field(
        description="Why it was corrected; null when the history's details are hidden from you."
    )
    fields: list[IncidentField] = strawberry.field(description="The fields it changed.")
    details_hidden: bool = strawberry.field(
        description="True when the values, the reason and the exact time are hidden from you."
    )
    description_before: str | None = strawberry.field(description="The description before.")
    description_after: str | None = strawberry.field(description="The description after.")
    category_before: IncidentCategory | None = strawberry.field(description="The category before.")
    category_after: IncidentCategory | None = strawberry.field(description="The category after.")
    people_before: list[Person] | None = strawberry.field(description="The people before.")
    people_after: list[Person] | None = strawberry.field(description="The people after.")
    location_before: GeoPoint | None = strawberry.field(
        description="The place before (its resolution-7 cell's centre when the details are hidden)."
    )
    location_after: GeoPoint | None = strawberry.field(
        description="The place after (its resolution-7 cell's centre when the details are hidden)."
    )
    sensitive_before: bool | None = strawberry.field(description="Whether it was marked sensitive before.")
    sensitive_after: bool | None = strawberry.field(description="Whether it is marked sensitive after.")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any, hidden: bool) -> IncidentCorrection:
        changes = row.changes

        def side(field: str, part: str) -> Any:
            return None if hidden or field not in changes else changes[field][part]

        def people(part: str) -> list[Person] | None:
            found = side("people", part)
            return None if found is None else [_person(p) for p in found]

        def category(part: str) -> IncidentCategory | None:
            found = side("category", part)
            return None if found is None else IncidentCategory(found)

        def place(part: str) -> GeoPoint | None:
            return _point(changes["location"][part] if "location" in changes else None, hidden)

        return cls(
            version=row.version,
            corrected_at=disclosure.times(hidden)(row.corrected_at),
            reason=None if hidden else row.reason,
            fields=[f for f in IncidentField if f.value in changes],
            details_hidden=hidden,
            description_before=side("description", "before"),
            description_after=side("description", "after"),
            category_before=category("before"),
            category_after=category("after"),
            people_before=people("before"),
            people_after=people("after"),
            location_before=place("before"),
            location_after=place("after"),
            sensitive_before=side("sensitive", "before"),
            sensitive_after=side("sensitive", "after"),
            row=row,
        )

    @strawberry.field(description="Who made it; null when you may not see that officer.")
    async def corrected_by(self, info: strawberry.Info[Context]) -> Officer | None:
        return await _officer(info, self.row.corrected_by_id)


@strawberry.type(
    description="An incident reported by an officer. For a sensitive incident, only the people "
    "on its case (the owning station's commander, its reporting and assigned "
    "officers, admins) see the description, the people, the exact place and the "
    "exact times; every such read is audited. Anyone else sees its resolution-7 "
    "cell's centre and the day of each time (docs/privacy.md)."
)
class Incident(Node):
    client_id: uuid.UUID = strawberry.field(description="The id the reporting device made for it.")
    category: IncidentCategory = strawberry.field(description="What kind of incident it is.")
    status: IncidentStatus = strawberry.field(description="Where it stands.")
    version: int = strawberry.field(description="Bumped by every change: send it as `expectedVersion`.")
    sensitive: bool = strawberry.field(
        description="Its details are restricted: a sensitive category, or marked sensitive when reported."
    )
    details_hidden: bool = strawberry.field(
        description="True when you may not see its details: description, people and notes are null, the "
        "location is its resolution-7 cell's centre and every time is the start of its day "
        "(Baghdad)."
    )
    occurred_at: datetime = strawberry.field(
        description="When it happened (its day when details are hidden)."
    )
    reported_at: datetime = strawberry.field(
        description="When the server received the report (its day when details are hidden)."
    )
    recorded_at: datetime | None = strawberry.field(
        description="The device's clock when it was saved (its day when details are hidden)."
    )
    resolved_at: datetime | None = strawberry.field(
        description="When it was last marked RESOLVED (its day when details are hidden)."
    )
    flags: list[RecordFlag] = strawberry.field(
        description="What a supervisor should know before trusting it."
    )
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: IncidentRow, viewer: Viewer | None) -> Incident:
        """The incident as `viewer` (a resolvers.policy.Viewer) may see it (resolvers.disclosure)."""
        hidden = logic.details_hidden(viewer, row)
        when = disclosure.times(hidden)
        return cls(
            id=strawberry.ID(to_global_id("Incident", row.id)),
            client_id=row.client_id,
            category=IncidentCategory(row.category),
            status=IncidentStatus(row.status),
            version=row.version,
            sensitive=logic.effective_sensitive(row),
            details_hidden=hidden,
            occurred_at=when(row.occurred_at),
            reported_at=when(row.reported_at),
            recorded_at=when(row.recorded_at),
            resolved_at=when(row.resolved_at),
            flags=[RecordFlag(f) for f in row.flags or () if f in RecordFlag.__members__],
            row=row,
        )

    def _place(self, info: strawberry.Info[Context]) -> tuple[float, float, float]:
        row = self.row
        if self.details_hidden:
            latitude, longitude, radius = disclosure.coarse_place(disclosure.coarse_cell(row.h3_cell))
            return latitude, longitude, radius
        logic.read_details(info.context, row)
        return row.latitude, row.longitude, row.accuracy_m or 0.0

    @strawberry.field(
        description="Where it happened: exact, or the centre of its resolution-7 cell (about "
        "1.2 km across) when its details are hidden from you."
    )
    def location(self, info: strawberry.Info[Context]) -> GeoPoint:
        latitude, longitude, _ = self._place(info)
        return GeoPoint(latitude=latitude, longitude=longitude)

    @strawberry.field(
        description="How far the real place may be from `location`, in metres: the device's "
        "accuracy (0 when it gave none), or the cell's radius when coarse."
    )
    def location_precision_meters(self, info: strawberry.Info[Context]) -> float:
        return self._place(info)[2]

    @strawberry.field(description="What happened; null when its details are hidden from you.")
    def description(self, info: strawberry.Info[Context]) -> str | None:
        return self.row.description if logic.read_details(info.context, self.row) else None

    @strawberry.field(description="The people involved; null when its details are hidden from you.")
    def people(self, info: strawberry.Info[Context]) -> list[Person] | None:
        if not logic.read_details(info.context, self.row):
            return None
        return [_person(p) for p in self.row.people or ()]

    @strawberry.field(description="The station it belongs to.")
    async def station(self, info: strawberry.Info[Context]) -> Station:
        loader = loaders.station(info.context)
        row = await loader.load(self.row.station_id)
        return Station.from_row(row, info.context.lang)

    @strawberry.field(description="Who reported it; null when you may not see that officer.")
    async def reported_by(self, info: strawberry.Info[Context]) -> Officer | None:
        return await _officer(info, self.row.reported_by_id)

    @strawberry.field(description="The officers it is assigned to (those you may see).")
    async def assigned_officers(self, info: strawberry.Info[Context]) -> list[Officer]:
        found = [await _officer(info, i) for i in self.row.assigned_officer_ids or ()]
        return [o for o in found if o is not None]

    @strawberry.field(description="Every status change, oldest first, starting with the report.")
    async def status_history(self, info: strawberry.Info[Context]) -> list[IncidentStatusChange]:
        changes = await loaders.status_history(info.context).load(self.row.id)
        notes = any(c.note for c in changes) and logic.read_details(info.context, self.row)
        when = disclosure.times(self.details_hidden)
        return [
            IncidentStatusChange(
                from_status=IncidentStatus(c.from_status) if c.from_status else None,
                to_status=IncidentStatus(c.to_status),
                version=c.version,
                changed_at=when(c.changed_at),
                note=c.note if notes else None,
                row=c,
            )
            for c in changes
        ]

    @strawberry.field(
        description="Every correction, oldest first (see IncidentCorrection for who sees what)."
    )
    async def corrections(self, info: strawberry.Info[Context]) -> list[IncidentCorrection]:
        rows = await loaders.incident_corrections(info.context).load(self.row.id)
        shown = bool(rows) and logic.read_history(info.context, self.row, rows)
        return [IncidentCorrection.from_row(c, hidden=not shown) for c in rows]

    @strawberry.field(
        description="Follow-up actions added for it, in the order they were added (of a sensitive "
        "incident, only to the people on its case and each action's owner)."
    )
    async def follow_ups(
        self, info: strawberry.Info[Context]
    ) -> list[Annotated[FollowUpAction, strawberry.lazy("schema.engagements")]]:
        from schema.engagements import FollowUpAction

        rows = await loaders.incident_follow_ups(info.context).load(self.row.id)
        return [FollowUpAction.from_row(r) for r in rows]

    # photos and documents (schema/media.py)
    @strawberry.field(
        description="Its photos and documents, oldest first; none for those who may not see its details."
    )
    async def attachments(
        self, info: strawberry.Info[Context]
    ) -> list[Annotated[Attachment, strawberry.lazy("schema.media")]]:
        from schema import media

        return await media.attachments(info, self.row, incident=True)

    @strawberry.field(
        description="How many attachments it should have in all, as the officer's phone said (null: never "
        "said, or its details are not yours)."
    )
    async def attachments_expected(self, info: strawberry.Info[Context]) -> int | None:
        from schema import media

        return await media.expected(info, self.row, incident=True)

    @strawberry.field(description="How many attachments have arrived (null when its details are not yours).")
    async def attachments_received(self, info: strawberry.Info[Context]) -> int | None:
        from schema import media

        return await media.received(info, self.row, incident=True)


@strawberry.input(description="Someone involved in an incident.")
class PersonInput:
    name: str = strawberry.field(description="Full name, 1 to 200 characters.")
    role: PersonRole = strawberry.field(description="How the person is involved.")
    age: int | None = strawberry.field(default=None, description="Age in years, 0 to 120.")
    gender: Gender | None = strawberry.field(default=None, description="Gender.")
    phone: str | None = strawberry.field(default=None, description="Phone number, at most 40 characters.")


@strawberry.input(description="Report an incident. Sending the same clientId again returns the first report.")
class ReportIncidentInput:
    client_id: uuid.UUID = strawberry.field(description="Made on the device, once per report.")
    category: IncidentCategory = strawberry.field(description="What kind of incident it is.")
    location: GeoPointInput = strawberry.field(description="Where it happened.")
    occurred_at: datetime = strawberry.field(description="When it happened; not in the future.")
    description: str = strawberry.field(description="What happened, 1 to 4000 characters.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The station it belongs to; by default the reporter's own station, or "
        "for supervisors and administrators (who have none) the nearest active "
        "station in the same governorate as `location`.",
    )
    sensitive: bool | None = strawberry.field(
        default=False,
        description="Restrict its details; DOMESTIC_VIOLENCE, CHILD_PROTECTION and JUVENILE "
        "incidents are restricted whatever this says.",
    )
    people: list[PersonInput] | None = strawberry.field(
        default=None, description="The people involved, at most 50."
    )
    recorded_at: datetime | None = strawberry.field(
        default=None, description="The device's clock when the officer saved it."
    )


@strawberry.input(
    description="Move an incident to another status. Name it by `incidentId` or by "
    "`incidentClientId` (exactly one)."
)
class UpdateIncidentStatusInput:
    incident_id: strawberry.ID | None = strawberry.field(
        default=None, description="The incident's global ID."
    )
    incident_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId it was reported with (works before the phone knows its id)."
    )
    status: IncidentStatus = strawberry.field(description="The new status; see IncidentStatus for the moves.")
    expected_version: int = strawberry.field(
        description="The version you last saw; if it changed since, nothing happens and you get CONFLICT."
    )
    note: str | None = strawberry.field(default=None, description="Why, at most 2000 characters.")
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending the same change again then changes nothing."
    )


@strawberry.input(
    description="Assign an incident to officers of its station (replacing those assigned); "
    "commanders, supervisors and admins only."
)
class AssignIncidentInput:
    incident_id: strawberry.ID | None = strawberry.field(
        default=None, description="The incident's global ID."
    )
    incident_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId it was reported with."
    )
    officer_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 10 active officers of the incident's station."
    )
    expected_version: int = strawberry.field(
        description="The version you last saw; if it changed since, nothing happens and you get CONFLICT."
    )
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending the same assignment again changes nothing."
    )


@strawberry.input(
    description="Correct an incident sent with a mistake: give the fields to change (at least one) and "
    "why. Name it by `incidentId` or `incidentClientId` (exactly one). Only the people on its case (who "
    "reported it, those assigned to it, the station's commander, admins) may correct it."
)
class CorrectIncidentInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device, once per correction; sending it again changes nothing."
    )
    incident_id: strawberry.ID | None = strawberry.field(
        default=None, description="The incident's global ID."
    )
    incident_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId it was reported with (works before the phone knows its id)."
    )
    expected_version: int = strawberry.field(
        description="The version you last saw; if it changed since, nothing happens and you get CONFLICT."
    )
    reason: str = strawberry.field(description="Why it is corrected, 1 to 1000 characters.")
    description: str | None = strawberry.field(
        default=None, description="What happened, 1 to 4000 characters; null: unchanged."
    )
    category: IncidentCategory | None = strawberry.field(
        default=None,
        description="The category; null: unchanged. DOMESTIC_VIOLENCE, CHILD_PROTECTION and JUVENILE mark "
        "it sensitive (see `sensitive`).",
    )
    people: list[PersonInput] | None = strawberry.field(
        default=None,
        description="The people involved, all of them (at most 50; [] for none); null: unchanged.",
    )
    location: GeoPointInput | None = strawberry.field(
        default=None, description="Where it happened; null: unchanged."
    )
    sensitive: bool | None = strawberry.field(
        default=None,
        description="Mark it sensitive (true), or no longer (false: only the station's commander and admins, "
        "and not while its category is sensitive); null: unchanged. A correction into a sensitive category "
        "marks it, and one out of it leaves it marked.",
    )


@strawberry.input(description="Which incidents to list; always within what you may see.")
class IncidentFilter:
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Only this station's.")
    governorate_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only those of stations in this governorate."
    )
    categories: list[IncidentCategory] | None = strawberry.field(
        default=None, description="Only these categories."
    )
    statuses: list[IncidentStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Only those that occurred at or after this instant."
    )
    to: datetime | None = strawberry.field(default=None, description="Only those that occurred before this.")
    assigned_to_me: bool | None = strawberry.field(
        default=False, description="Only those assigned to the signed-in officer."
    )
    cell: str | None = strawberry.field(
        default=None,
        description="Only those in this H3 cell (resolution 5 to 10, as `activityMap` gives them): what "
        "the map page lists when a hexagon is clicked. A sensitive incident whose details are hidden "
        "from you is in a cell only when the cell is resolution 7 or coarser (docs/privacy.md).",
    )


@strawberry.type(description="The result of an incident mutation.")
class IncidentPayload:
    incident: Incident | None = strawberry.field(
        description="The incident as it now is; on a CONFLICT of `expectedVersion`, the current one."
    )
    current_version: int | None = strawberry.field(
        description="The incident's version now: after a CONFLICT, reload and send this as expectedVersion."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")


@strawberry.type(description="An edge of an incident list.")
class IncidentEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this incident.")
    node: Incident = strawberry.field(description="The incident.")


@strawberry.type(
    description="A page of incidents, newest first (a sensitive incident at the start of its day)."
)
class IncidentConnection:
    edges: list[IncidentEdge] = strawberry.field(description="The incidents of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many incidents match, over all pages.")
    async def total_count(self, info: strawberry.Info[Context]) -> int:
        return await logic.count_incidents(info.context, self.count_args)


async def _payload(
    ctx: Context,
    applied: Applied | None,
    errors: list[UserError],
    failure: MutationFailed | None,
    reference: Any = None,
) -> IncidentPayload:
    if applied is not None:
        return IncidentPayload(
            incident=Incident.from_row(applied.row, ctx.viewer),
            current_version=applied.row.version,
            errors=[],
        )
    current, version = None, failure.current_version if failure else None
    if version is not None and reference is not None:
        row = await logic.current_incident(ctx, reference)
        if row is not None:
            current, version = Incident.from_row(row, ctx.viewer), row.version
    return IncidentPayload(incident=current, current_version=version, errors=errors)


@strawberry.type
class IncidentMutation:
    @strawberry.mutation(description="Report an incident; the same clientId again returns the first report.")
    async def report_incident(
        self, info: strawberry.Info[Context], input: ReportIncidentInput
    ) -> IncidentPayload:
        ctx = info.context
        return await _payload(ctx, *await run(ctx, lambda: logic.report_incident(ctx, input)))

    @strawberry.mutation(description="Change an incident's status, if it is still at `expectedVersion`.")
    async def update_incident_status(
        self, info: strawberry.Info[Context], input: UpdateIncidentStatusInput
    ) -> IncidentPayload:
        ctx = info.context
        return await _payload(ctx, *await run(ctx, lambda: logic.update_incident_status(ctx, input)), input)

    @strawberry.mutation(
        description="Correct an incident's description, category, people or place, if it is still at "
        "`expectedVersion`; its `corrections` keep who changed what, when and why."
    )
    async def correct_incident(
        self, info: strawberry.Info[Context], input: CorrectIncidentInput
    ) -> IncidentPayload:
        ctx = info.context
        return await _payload(ctx, *await run(ctx, lambda: logic.correct_incident(ctx, input)), input)

    @strawberry.mutation(
        description="Assign an incident to officers of its station, if it is still at `expectedVersion`."
    )
    async def assign_incident(
        self, info: strawberry.Info[Context], input: AssignIncidentInput
    ) -> IncidentPayload:
        ctx = info.context
        return await _payload(ctx, *await run(ctx, lambda: logic.assign_incident(ctx, input)), input)


def _filter_args(filter: IncidentFilter | None, lang: str) -> dict[str, Any]:
    if filter is None:
        return {}
    station = int_key(filter.station_id, "filter.stationId", lang, "Station") if filter.station_id else None
    governorate = (
        from_global_id(filter.governorate_id, "filter.governorateId", lang, "Governorate")[1]
        if filter.governorate_id
        else None
    )
    return {
        "station_id": station,
        "governorate": governorate,
        "categories": [c.value for c in filter.categories or ()],
        "statuses": [s.value for s in filter.statuses or ()],
        "occurred_from": filter.from_,
        "occurred_to": filter.to,
        "assigned_to_me": bool(filter.assigned_to_me),
        "cell": logic.parse_cell(filter.cell, "filter.cell", lang) if filter.cell is not None else None,
    }


@strawberry.type
class IncidentQuery:
    @strawberry.field(
        description="Incidents you may see, newest first by when they occurred (a sensitive "
        "incident by its day, for everyone, so that its place in the list never "
        "times it). `from`/`to` hold a sensitive incident whose details are "
        "hidden from you only when they hold its whole day."
    )
    async def incidents(
        self,
        info: strawberry.Info[Context],
        filter: IncidentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> IncidentConnection:
        ctx = info.context
        policy.require_officer(ctx.viewer)
        position = parse_time_cursor(after, ctx.lang, "IncidentCursor") if after is not None else None
        page = await logic.list_incidents(ctx, first=first, after=position, **_filter_args(filter, ctx.lang))
        edges = [
            IncidentEdge(
                cursor=time_cursor("IncidentCursor", r.disclosed_at, r.id),
                node=Incident.from_row(r, ctx.viewer),
            )
            for r in page.rows
        ]
        return IncidentConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            count_args=page.count_args,
        )


async def resolve_incident_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """Incident nodes for `node`/`nodes`, by key: only those of stations the viewer may see, less those
    held back until their arrival day has ended (resolvers.disclosure.arrivals_held_from)."""
    return await _incident_nodes(ctx, keys, logic.shown_incidents)


async def resolve_synced_incident_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """Incident nodes for an officer's working set (`deviceChanges`): as `resolve_incident_nodes`, held
    back from no one, for a change skipped once is never sent again (docs/privacy.md, known gaps)."""
    return await _incident_nodes(ctx, keys, logic.visible_incidents)


async def _incident_nodes(ctx: Context, keys: list[str], rows_of: Any) -> dict[str, Any]:
    rows = await rows_of(ctx, [int(k) for k in keys if k.isdigit() and len(k) <= 18])
    return {str(i): Incident.from_row(r, ctx.viewer) for i, r in rows.items()}
