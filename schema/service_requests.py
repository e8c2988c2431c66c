"""Citizens' Open311 reports in their station's triage: the `serviceRequests` list, the ServiceRequest
node, and updateServiceRequest (accept, decline, mark duplicate, resolve; status notes back)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, cast

import strawberry

from db.rows import ServiceRequestRow
from resolvers import disclosure, open311_services, policy
from resolvers import service_requests as logic
from resolvers.context import Context
from resolvers.errors import check_first
from schema import loaders
from schema.common import GeoPoint, UserError
from schema.mutations import run
from schema.node import Node, PageInfo, int_key, parse_time_cursor, time_cursor, to_global_id
from schema.stations import Station


@strawberry.enum(description="Where a report stands in the station's triage.")
class ServiceRequestTriage(enum.Enum):
    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    DUPLICATE = "DUPLICATE"
    RESOLVED = "RESOLVED"


@strawberry.enum(description="The Open311 status the citizen sees.")
class ServiceRequestStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.type(description="Who sent a report, when they chose to say: never published.")
class ServiceRequestContact:
    name: str | None = strawberry.field(description="Their name.")
    email: str | None = strawberry.field(description="Their email.")
    phone: str | None = strawberry.field(description="Their phone.")


@strawberry.type(
    description="A citizen's non-emergency report (Open311), in its station's triage. A report whose "
    "incident (the one it became, or that of the report it repeats) is sensitive follows that incident's "
    "rule: anyone off its case sees it with `detailsHidden`, placed at its resolution-7 cell's centre, "
    "each time the start of its day (Baghdad), and nothing the citizen wrote, sent or was told "
    "(docs/privacy.md)."
)
class ServiceRequest(Node):
    service_code: str = strawberry.field(description="The Open311 service code.")
    service_name: str = strawberry.field(description="The service's name in the viewer's language.")
    station_id: strawberry.ID = strawberry.field(description="The station whose triage it is in.")
    status: ServiceRequestStatus = strawberry.field(description="What Open311 shows: open or closed.")
    triage: ServiceRequestTriage = strawberry.field(description="The station's decision.")
    details_hidden: bool = strawberry.field(
        description="True when its incident is sensitive and you are not on its case: the location is its "
        "resolution-7 cell's centre, times are days, and the description, address, photo, attributes, "
        "status notes and contact are withheld."
    )
    status_notes: str | None = strawberry.field(
        description="What the citizen is told (published); null when its details are hidden from you."
    )
    description: str | None = strawberry.field(
        description="What the citizen wrote (never published); null when its details are hidden from you."
    )
    location: GeoPoint = strawberry.field(
        description="The exact point the citizen gave; its resolution-7 cell's centre (about 1.2 km "
        "across) when its details are hidden from you."
    )
    address_string: str | None = strawberry.field(
        description="The address the citizen gave; null when its details are hidden from you."
    )
    media_url: str | None = strawberry.field(
        description="The citizen's photo, when sent; null when its details are hidden from you."
    )
    attributes: strawberry.scalars.JSON = strawberry.field(
        description="The service's attributes as answered; empty when its details are hidden from you."
    )
    contact: ServiceRequestContact | None = strawberry.field(
        description="The reporter's contact: for the station's officers and commander, and admins; null "
        "when its details are hidden from you."
    )
    incident_id: strawberry.ID | None = strawberry.field(description="The incident it became, when linked.")
    duplicate_of_id: strawberry.ID | None = strawberry.field(description="The report it duplicates.")
    version: int = strawberry.field(description="Send as expectedVersion to updateServiceRequest.")
    requested_at: datetime = strawberry.field(
        description="When it was sent (its day when its details are hidden from you)."
    )
    updated_at: datetime = strawberry.field(
        description="When it last changed (its day when its details are hidden from you)."
    )
    station_key: strawberry.Private[int]

    @strawberry.field(description="The station whose triage it is in.")
    async def station(self, info: strawberry.Info[Context]) -> Station:
        row = await loaders.station(info.context).load(self.station_key)
        return Station.from_row(row, info.context.lang)

    @classmethod
    def from_row(cls, row: ServiceRequestRow, ctx: Context) -> ServiceRequest:
        """The request as the viewer may see it (resolvers.disclosure: its incident's rule)."""
        viewer, lang = ctx.viewer, ctx.lang
        hidden = logic.details_hidden(ctx, row)
        when = disclosure.times(hidden)
        contact = None
        if not hidden and viewer is not None and policy.sees_service_request_contact(viewer, row):
            contact = ServiceRequestContact(
                name=row.contact_name, email=row.contact_email, phone=row.contact_phone
            )
        latitude, longitude = row.latitude, row.longitude
        if hidden:
            latitude, longitude = disclosure.coarse_point(latitude, longitude)
        return cls(
            id=strawberry.ID(to_global_id("ServiceRequest", row.id)),
            service_code=row.service_code,
            service_name=open311_services.service_name(row.service_code, lang),
            station_id=strawberry.ID(to_global_id("Station", row.station_id)),
            status=ServiceRequestStatus(row.status),
            triage=ServiceRequestTriage(row.triage),
            details_hidden=hidden,
            status_notes=None if hidden else row.status_notes,
            description=None if hidden else row.description,
            location=GeoPoint(latitude=latitude, longitude=longitude),
            address_string=None if hidden else row.address_string,
            media_url=None if hidden else row.media_url,
            attributes=cast(Any, {} if hidden else dict(row.attributes or {})),
            contact=contact,
            incident_id=strawberry.ID(to_global_id("Incident", row.incident_id)) if row.incident_id else None,
            duplicate_of_id=strawberry.ID(to_global_id("ServiceRequest", row.duplicate_of_id))
            if row.duplicate_of_id
            else None,
            version=row.version,
            requested_at=when(row.requested_at),
            updated_at=when(row.updated_at),
            station_key=row.station_id,
        )


@strawberry.input(description="Which reports to list; always within the stations the viewer may see.")
class ServiceRequestFilter:
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Of this station.")
    triage: list[ServiceRequestTriage] | None = strawberry.field(default=None, description="In any of these.")
    status: ServiceRequestStatus | None = strawberry.field(default=None, description="Open or closed.")


@strawberry.type(description="An edge of a report list.")
class ServiceRequestEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this report.")
    node: ServiceRequest = strawberry.field(description="The report.")


@strawberry.type(
    description="A page of reports, the most recent first (a report on a sensitive case by its day, for "
    "everyone, so that its place in the list never times it)."
)
class ServiceRequestConnection:
    edges: list[ServiceRequestEdge] = strawberry.field(description="The reports of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")


@strawberry.input(
    description="Triage a report: the station's officers and commander, and admins. `expectedVersion` "
    "must be the report's version (else CONFLICT)."
)
class UpdateServiceRequestInput:
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending it again changes nothing."
    )
    service_request_id: strawberry.ID = strawberry.field(description="The report.")
    expected_version: int = strawberry.field(description="The version the officer saw.")
    triage: ServiceRequestTriage = strawberry.field(
        description="ACCEPTED (open), DECLINED, DUPLICATE or RESOLVED (closed), or NEW."
    )
    status_notes: str | None = strawberry.field(
        default=None, description="What the citizen is told, at most 1000 characters (published)."
    )
    duplicate_of_id: strawberry.ID | None = strawberry.field(
        default=None, description="For DUPLICATE: the station's report it repeats."
    )
    incident_id: strawberry.ID | None = strawberry.field(
        default=None, description="For ACCEPTED: the incident reported for it (reportIncident)."
    )


@strawberry.type(description="The result of triaging a report.")
class ServiceRequestPayload:
    service_request: ServiceRequest | None = strawberry.field(
        description="The report as stored; on a CONFLICT the current one."
    )
    current_version: int | None = strawberry.field(default=None, description="The report's version now.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


def _key(value: str | None, lang: str) -> int | None:
    if value is None:
        return None
    try:
        return int_key(value, "serviceRequestId", lang, "ServiceRequest")
    except Exception:
        return None


@strawberry.type
class ServiceRequestQuery:
    @strawberry.field(description="Citizens' reports in the triage of the stations the viewer may see.")
    async def service_requests(
        self,
        info: strawberry.Info[Context],
        filter: ServiceRequestFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ServiceRequestConnection:
        ctx = info.context
        policy.require_officer(ctx.viewer)  # citizens are refused before their arguments are read
        size = check_first(first, ctx.lang, default=20)
        station_id = (
            int_key(filter.station_id, "filter.stationId", ctx.lang, "Station")
            if filter is not None and filter.station_id
            else None
        )
        rows, more = await logic.list_for_station(
            ctx,
            station_id=station_id,
            triage=[t.value for t in (filter.triage or ())] if filter is not None else [],
            status=filter.status.value if filter is not None and filter.status else None,
            after=parse_time_cursor(after, ctx.lang, "ServiceRequestCursor") if after else None,
            first=size,
        )
        edges = [
            ServiceRequestEdge(
                cursor=time_cursor("ServiceRequestCursor", r.disclosed_at, r.id),
                node=ServiceRequest.from_row(r, ctx),
            )
            for r in rows
        ]
        return ServiceRequestConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
        )


@strawberry.type
class ServiceRequestMutation:
    @strawberry.mutation(description="Triage a citizen's report, with status notes back to them.")
    async def update_service_request(
        self, info: strawberry.Info[Context], input: UpdateServiceRequestInput
    ) -> ServiceRequestPayload:
        ctx = info.context
        request_id = _key(input.service_request_id, ctx.lang)
        applied, errors, failure = await run(ctx, lambda: logic.update_request(ctx, input, request_id))
        row = applied
        if failure is not None and failure.current_version is not None:
            row = await logic.current_version(ctx, request_id)
        return ServiceRequestPayload(
            service_request=ServiceRequest.from_row(row, ctx) if row is not None else None,
            current_version=row.version if row is not None else None,
            errors=errors,
        )


async def resolve_service_request_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """ServiceRequest nodes for `node`/`nodes`, by key; only those the viewer may see."""
    ids = [int(k) for k in keys if k.isdigit() and len(k) <= 18]
    rows = await logic.visible_requests(ctx, ids)
    return {str(i): ServiceRequest.from_row(r, ctx) for i, r in rows.items()}
