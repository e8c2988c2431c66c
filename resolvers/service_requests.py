"""Citizens' Open311 reports in their station's triage: the list officers and supervisors read, and the
triage (accept, decline, mark duplicate, resolve) with the status notes the citizen reads back.

A report follows the disclosure rule of its incident (the one it became, or that of the report it
repeats; docs/privacy.md): once that incident is sensitive, whoever is off its case sees the report
generalised (resolvers.disclosure.Disclosure.service_request_generalised), not before its incident's
arrival day has ended, and may not triage it; the public Open311 list no longer shows it at all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from db import service_requests as repo
from db.rows import ServiceRequestRow
from resolvers import audit, disclosure, policy
from resolvers.context import Context
from resolvers.idempotency import claim, complete, content_hash
from resolvers.ids import global_id, record_key
from resolvers.mutation_errors import Collector, fail
from resolvers.text_checks import check_plain_text

MAX_STATUS_NOTES = 1000
# The incident category an accepted report becomes, by service code (resolvers/open311_services.py).
INCIDENT_CATEGORY = {
    "street_lighting": "OTHER",
    "noise": "DISPUTE",
    "celebratory_gunfire": "OTHER",
    "abandoned_vehicle": "SUSPICIOUS_ACTIVITY",
    "road_hazard": "OTHER",
    "suspicious_activity": "SUSPICIOUS_ACTIVITY",
    "vandalism": "OTHER",
}
# One incident per accepted request, however often the acceptance is sent: its client id is derived
# from the request's own id.
_INCIDENT_IDS = uuid.UUID("7d0a3c5e-6f1b-4e0e-9a52-0b3f3c1c9d11")
ENTITY = "ServiceRequest"
KIND_UPDATE = "updateServiceRequest"
TRIAGE_STATUS = {
    "NEW": "open",
    "ACCEPTED": "open",
    "DECLINED": "closed",
    "DUPLICATE": "closed",
    "RESOLVED": "closed",
}


async def list_for_station(
    ctx: Context,
    *,
    station_id: int | None,
    triage: Sequence[str],
    status: str | None,
    after: tuple[datetime, int] | None,
    first: int,
) -> tuple[list[ServiceRequestRow], bool]:
    viewer = policy.require_officer(ctx.viewer)
    scope = policy.record_scope(viewer)
    async with ctx.db() as session:
        rows = await repo.station_requests(
            session,
            everything=scope.everything,
            station_ids=sorted(scope.station_ids),
            governorates=sorted(scope.governorates),
            station_id=station_id,
            triage=triage,
            status=status,
            after=after,
            limit=first + 1,
            viewpoint=policy.case_viewpoint(viewer),
            held_from=disclosure.arrivals_held_from(),
        )
    visible = [r for r in rows if policy.sees_service_request(viewer, r)]
    return visible[:first], len(visible) > first


async def visible_requests(ctx: Context, ids: Sequence[int]) -> dict[int, ServiceRequestRow]:
    """The requests of `ids` the viewer may see (`node`), less those on a sensitive case held back from
    them until its incident's arrival day has ended (resolvers.disclosure.arrivals_held_from)."""
    viewer = ctx.viewer
    if viewer is None:
        return {}
    async with ctx.db() as session:
        rows = await repo.requests_by_ids(session, ids)
    view, held_from = disclosure.for_viewer(viewer), disclosure.arrivals_held_from()
    return {
        i: r
        for i, r in rows.items()
        if policy.sees_service_request(viewer, r) and not view.service_request_held_back(r, held_from)
    }


def details_hidden(ctx: Context, row: ServiceRequestRow) -> bool:
    """Whether the viewer sees the request generalised (resolvers.disclosure); shown exactly to someone
    on a sensitive case, it is a read of that incident's details, and audited as one."""
    if disclosure.for_viewer(ctx.viewer).service_request_generalised(row):
        return True
    if disclosure.service_request_on_sensitive_case(row) and row.case_incident_id is not None:
        from resolvers import incidents

        incidents.audit_details_read(ctx, row.case_incident_id)
    return False


async def update_request(ctx: Context, input: Any, request_id: int | None) -> ServiceRequestRow:
    """Triage a request: accept, decline, mark duplicate or resolve it, with status notes for the citizen."""
    viewer = policy.require_officer(ctx.viewer)
    lang = ctx.lang
    errors = Collector(lang)
    if request_id is None:
        errors.add(("serviceRequestId",), "bad_id", kind="ServiceRequest")
    notes = check_plain_text(errors, ("statusNotes",), input.status_notes, max_length=MAX_STATUS_NOTES)
    triage = str(getattr(input.triage, "value", input.triage))
    duplicate_of = None
    if input.duplicate_of_id is not None:
        duplicate_of = record_key(errors, ("duplicateOfId",), input.duplicate_of_id, "ServiceRequest")
    if triage == "DUPLICATE" and input.duplicate_of_id is None:
        errors.add(("duplicateOfId",), "required")
    incident_id = None
    if input.incident_id is not None:
        incident_id = record_key(errors, ("incidentId",), input.incident_id, "Incident")
    errors.check()
    assert request_id is not None
    if input.client_id is not None:
        claimed = await claim(ctx, input.client_id, KIND_UPDATE, content_hash(KIND_UPDATE, input))
        if not claimed.new:
            return await _current(ctx, request_id)
    async with ctx.db() as session:
        row = (await repo.requests_by_ids(session, [request_id], lock=True)).get(request_id)
    view, held_from = disclosure.for_viewer(viewer), disclosure.arrivals_held_from()
    if (
        row is None
        or not policy.sees_service_request(viewer, row)
        or view.service_request_held_back(row, held_from)
    ):
        fail(lang, ("serviceRequestId",), "not_found", "NOT_FOUND", kind="service request")
    # On a sensitive case, the triage is for the people on it: they alone see what they would answer.
    if not policy.may_triage_service_request(viewer, row) or view.service_request_generalised(row):
        fail(lang, ("serviceRequestId",), "forbidden", "FORBIDDEN")
    if input.expected_version != row.version:
        fail(
            lang,
            ("expectedVersion",),
            "stale_version",
            "CONFLICT",
            current_version=row.version,
            given=input.expected_version,
            current=row.version,
        )
    if duplicate_of is not None:
        async with ctx.db() as session:
            other = (await repo.requests_by_ids(session, [duplicate_of])).get(duplicate_of)
        if (
            other is None
            or other.station_id != row.station_id
            or other.id == row.id
            or view.service_request_held_back(other, held_from)
        ):
            fail(lang, ("duplicateOfId",), "not_found", "NOT_FOUND", kind="service request of this station")
        # A duplicate is on the case of the report it repeats: for that case's people when it is sensitive.
        if view.service_request_generalised(other):
            fail(lang, ("duplicateOfId",), "forbidden", "FORBIDDEN")
    if incident_id is not None:
        from db import incidents as incident_repo

        async with ctx.db() as session:
            incident = (await incident_repo.incidents_by_ids(session, [incident_id])).get(incident_id)
        if (
            incident is None
            or incident.station_id != row.station_id
            or view.incident_held_back(incident, held_from)
        ):
            fail(lang, ("incidentId",), "not_found", "NOT_FOUND", kind="incident of this station")
        # Tying a report (its exact place, its text) to a sensitive case is for the people on it.
        if not policy.may_link_incident(viewer, incident):
            fail(lang, ("incidentId",), "forbidden", "FORBIDDEN")
    if triage == "ACCEPTED" and incident_id is None and row.incident_id is None:
        incident_id = await _incident_from(ctx, row)
    values = {
        "triage": triage,
        "status": TRIAGE_STATUS[triage],
        "status_notes": notes if notes is not None else row.status_notes,
        "duplicate_of_id": duplicate_of if triage == "DUPLICATE" else None,
        "incident_id": incident_id if incident_id is not None else row.incident_id,
        "updated_by_id": viewer.officer_id,
    }
    async with ctx.db() as session:
        await repo.update_request(session, row.id, values)
        updated = (await repo.requests_by_ids(session, [row.id]))[row.id]
    # Taking a report off a sensitive case (declining a duplicate of one, tying it to another incident)
    # opens it to the station and the public: as lowering an incident's sensitivity, for the commander of
    # its station and admins (resolvers.policy.may_unmark_sensitive). Refused, nothing stays written.
    if (
        disclosure.service_request_on_sensitive_case(row)
        and not disclosure.service_request_on_sensitive_case(updated)
        and not policy.may_unmark_sensitive(viewer, row)
    ):
        fail(lang, ("triage",), "forbidden", "FORBIDDEN")
    if input.client_id is not None:
        await complete(ctx, input.client_id, ENTITY, row.id)
    audit.record(
        ctx,
        KIND_UPDATE,
        ENTITY,
        row.id,
        before={"triage": row.triage, "status": row.status, "version": row.version},
        after={
            "triage": triage,
            "status": values["status"],
            "statusNotes": values["status_notes"],
            "incidentId": values["incident_id"],
            "duplicateOfId": values["duplicate_of_id"],
        },
    )
    return updated


async def _incident_from(ctx: Context, row: ServiceRequestRow) -> int:
    """The incident an accepted report becomes, filed by the officer who accepted it at the request's
    station, where and when the citizen reported it; the citizen's contact is never copied into it."""
    from resolvers import incidents

    description = row.description or row.service_code.replace("_", " ")
    details = ", ".join(f"{k}: {v}" for k, v in sorted((row.attributes or {}).items()))
    text = f"Open311 {row.service_code}: {description}" + (f" ({details})" if details else "")
    report = SimpleNamespace(
        client_id=uuid.uuid5(_INCIDENT_IDS, str(row.id)),
        location=SimpleNamespace(
            latitude=row.latitude, longitude=row.longitude, accuracy_meters=None, mocked=False
        ),
        occurred_at=row.requested_at,
        recorded_at=None,
        station_id=global_id("Station", row.station_id),  # the request's: reportIncident checks access
        category=INCIDENT_CATEGORY.get(row.service_code, "OTHER"),
        description=text[: incidents.MAX_DESCRIPTION],
        # A report repeating one on a sensitive case is on that case: its own incident is marked, so that
        # accepting it does not take it off the case (its incident would then be the one it follows).
        sensitive=disclosure.service_request_on_sensitive_case(row),
        people=None,
    )
    applied = await incidents.report_incident(ctx, report)
    return int(applied.row.id)


async def _current(ctx: Context, request_id: int) -> ServiceRequestRow:
    async with ctx.db() as session:
        row = (await repo.requests_by_ids(session, [request_id])).get(request_id)
    if row is None:
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return row


async def current_version(ctx: Context, request_id: int | None) -> ServiceRequestRow | None:
    if request_id is None:
        return None
    found = await visible_requests(ctx, [request_id])
    return found.get(request_id)
