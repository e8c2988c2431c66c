"""Incidents: reporting (at the reporter's own station unless told otherwise), status changes under
optimistic concurrency, assignment to officers, and reading them with sensitive details kept to those
allowed.

The entry points `report_incident`, `update_incident_status` and `assign_incident` take the GraphQL
inputs and serve both the direct mutations and `syncFieldLog`. Whether a viewer sees the description
and people of a sensitive incident is decided by `resolvers.policy`; what the others see of it (its
coarse cell and day) by `resolvers.disclosure`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

from h3.api import basic_int as h3i

from db import corrections as correction_repo
from db import incidents as repo
from db import officers as officer_repo
from db.cells import fine_cell
from db.rows import IncidentRow, ReadIncidentRow, StationRow
from resolvers import audit, corrections, disclosure, errors, inputs, policy, references
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.field_checks import (
    FLAG_MOCK_LOCATION,
    FLAG_POOR_ACCURACY,
    authenticity_flags,
    check_point,
    check_text,
    check_time,
    now_utc,
)
from resolvers.governorates import governorate_for_point
from resolvers.idempotency import Applied, claim, complete, content_hash, create_once
from resolvers.ids import int_key, plain
from resolvers.listing import Page, page_of
from resolvers.messages import message
from resolvers.mutation_errors import Collector, fail

KIND_REPORT, KIND_STATUS, KIND_ASSIGN = "reportIncident", "updateIncidentStatus", "assignIncident"
KIND_CORRECT = "correctIncident"
ENTITY = "Incident"
NAMED = references.Named(ENTITY, KIND_REPORT, "incident", "incidentId", "incidentClientId")
READ_SENSITIVE = "read_sensitive"

# Status -> statuses it may move to by updateIncidentStatus. CLOSED is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "REPORTED": frozenset({"ASSIGNED", "IN_PROGRESS", "CLOSED"}),
    "ASSIGNED": frozenset({"IN_PROGRESS", "REPORTED", "CLOSED"}),
    "IN_PROGRESS": frozenset({"RESOLVED", "ASSIGNED"}),
    "RESOLVED": frozenset({"CLOSED", "IN_PROGRESS"}),
    "CLOSED": frozenset(),
}
MAX_DESCRIPTION, MAX_NOTE, MAX_PEOPLE, MAX_NAME, MAX_PHONE = 4000, 2000, 50, 200, 40
MAX_ASSIGNEES = 10


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


# --- writes -------------------------------------------------------------------------------------------


async def report_incident(ctx: Context, input: inputs.ReportIncident) -> Applied:
    """File an incident at the given station, else the reporter's own, else (for those without a station)
    the nearest active one in the point's governorate."""
    viewer = policy.require_officer(ctx.viewer)

    async def prepare() -> dict[str, Any]:
        now = now_utc()
        problems = Collector(ctx.lang)
        point = input.location
        check_point(problems, ("location",), point.latitude, point.longitude, point.accuracy_meters)
        point_ok = not problems.errors
        check_time(problems, ("occurredAt",), input.occurred_at, now)
        check_time(problems, ("recordedAt",), input.recorded_at, now, required=False)
        description = check_text(
            problems, ("description",), input.description, max_length=MAX_DESCRIPTION, required=True
        )
        people = _people(problems, input.people)
        station = await _station_for_report(ctx, problems, input, point_ok, now)
        problems.check()
        assert station is not None  # problems.check() raised otherwise
        if not policy.can_access_station(viewer, station.id, station.governorate_code):
            fail(ctx.lang, ("stationId",), "not_your_station", "FORBIDDEN")
        category = plain(input.category)
        return {
            "client_id": input.client_id,
            "station_id": station.id,
            "category": category,
            "sensitive": policy.is_sensitive(category, bool(input.sensitive)),
            "latitude": point.latitude,
            "longitude": point.longitude,
            "accuracy_m": point.accuracy_meters,
            "occurred_at": input.occurred_at,
            "description": description,
            "people": people,
            "reported_by_id": viewer.officer_id,
            "recorded_at": input.recorded_at,
            "flags": authenticity_flags(
                recorded_at=input.recorded_at,
                received_at=now,
                accuracy=point.accuracy_meters,
                mocked=point.mocked,
            ),
        }

    async def write(values: dict[str, Any], claimant: Any) -> Any:
        async with ctx.db() as session:
            # the claim with its result, the incident, and its first status change (REPORTED)
            return await repo.insert_reported_incident(session, values, claimant, ENTITY)

    applied = await create_once(
        ctx,
        input.client_id,
        KIND_REPORT,
        content_hash(KIND_REPORT, input),
        prepare,
        write,
        lambda result_id: _replayed(ctx, result_id),
    )
    if not applied.duplicate:
        audit.record(ctx, KIND_REPORT, ENTITY, applied.row.id, after=audit_view(applied.row))
    return applied


async def update_incident_status(ctx: Context, input: inputs.UpdateIncidentStatus) -> Applied:
    """Move an incident along its allowed transitions, if nobody changed it since `expectedVersion`."""
    viewer = policy.require_officer(ctx.viewer)
    problems = Collector(ctx.lang)
    incident_id, path = await _incident_ref(ctx, problems, input)
    note = check_text(problems, ("note",), input.note, max_length=MAX_NOTE)
    problems.check()
    if input.client_id is not None:
        claimed = await claim(ctx, input.client_id, KIND_STATUS, content_hash(KIND_STATUS, input))
        if not claimed.new:
            return Applied(await _replayed(ctx, claimed.result_id), duplicate=True)
    row = await _incident_in_scope(ctx, incident_id, path)
    target = plain(input.status)
    if row.version != input.expected_version:
        change = await _change_at(ctx, row.id, input.expected_version + 1)
        if (
            change is not None
            and change.changed_by_id == viewer.officer_id
            and change.to_status == target
            and change.note == note
        ):
            return Applied(row, duplicate=True)  # the same change sent again: it is already applied
        _stale(ctx, input.expected_version, row.version)
    if not can_transition(row.status, target):
        fail(ctx.lang, ("status",), "bad_transition", current=row.status, target=target)
    values: dict[str, Any] = {"status": target}
    if target == "RESOLVED":
        values["resolved_at"] = now_utc()
    elif target == "IN_PROGRESS":
        values["resolved_at"] = None  # reopened
    updated = await _apply(ctx, row, input.expected_version, values, note)
    if input.client_id is not None:
        await complete(ctx, input.client_id, ENTITY, row.id)
    audit.record(ctx, KIND_STATUS, ENTITY, row.id, before=audit_view(row), after=audit_view(updated))
    return Applied(updated)


async def assign_incident(ctx: Context, input: inputs.AssignIncident) -> Applied:
    """Give an incident to officers of its station (replacing those assigned); REPORTED becomes ASSIGNED."""
    viewer = policy.require_officer(ctx.viewer)
    if not policy.can_assign(viewer):
        fail(ctx.lang, ("officerIds",), "forbidden", "FORBIDDEN")
    problems = Collector(ctx.lang)
    incident_id, path = await _incident_ref(ctx, problems, input)
    officer_ids = _officer_ids(problems, input.officer_ids)
    problems.check()
    if input.client_id is not None:
        claimed = await claim(ctx, input.client_id, KIND_ASSIGN, content_hash(KIND_ASSIGN, input))
        if not claimed.new:
            return Applied(await _replayed(ctx, claimed.result_id), duplicate=True)
    row = await _incident_in_scope(ctx, incident_id, path)
    if row.version != input.expected_version:
        change = await _change_at(ctx, row.id, input.expected_version + 1)
        if (
            change is not None
            and change.changed_by_id == viewer.officer_id
            and sorted(row.assigned_officer_ids) == sorted(officer_ids)
        ):
            return Applied(row, duplicate=True)
        _stale(ctx, input.expected_version, row.version)
    if row.status == "CLOSED":
        fail(ctx.lang, path, "incident_closed")
    async with ctx.db() as session:
        officers = await officer_repo.officers_by_ids(session, officer_ids)
    for index, officer_id in enumerate(officer_ids):
        found = officers.get(officer_id)
        # An unknown id gets the same answer as another station's officer: the ids of officers one may
        # not see are not told apart from ids of nobody.
        if found is None or not found.active or found.station_id != row.station_id:
            problems.add(("officerIds", str(index)), "not_station_officer")
    problems.check()
    status = "ASSIGNED" if row.status == "REPORTED" else row.status
    updated = await _apply(
        ctx, row, input.expected_version, {"assigned_officer_ids": officer_ids, "status": status}, None
    )
    if input.client_id is not None:
        await complete(ctx, input.client_id, ENTITY, row.id)
    audit.record(ctx, KIND_ASSIGN, ENTITY, row.id, before=audit_view(row), after=audit_view(updated))
    return Applied(updated)


# What correctIncident may change, by the fields' names in the input.
CORRECTABLE = ("description", "category", "people", "location", "sensitive")
_LOCATION_FLAGS = frozenset({FLAG_POOR_ACCURACY, FLAG_MOCK_LOCATION})
CORRECTED = corrections.Correctable(
    kind=KIND_CORRECT,
    entity=ENTITY,
    history=correction_repo.INCIDENTS,
    record_column="incident_id",
    update=repo.update_if_version,
    audit_view=lambda row: audit_view(row),
    audit_reason=False,
)


async def correct_incident(ctx: Context, input: Any) -> Applied:
    """Correct an incident's description, category, people, place or marking, if nobody changed it since
    `expectedVersion`; kept in its history with the reason.

    Sensitivity is kept as a report keeps it: marked (`sensitive`), which a sensitive category always
    sets. So a correction into a sensitive category marks the incident, and a correction out of one
    leaves it marked: only an explicit `sensitive: false` lowers it, and only its station's commander or
    an admin may send that (resolvers.policy.may_unmark_sensitive). Either way its rollups,
    `disclosed_at` and its feed events follow (migrations 0006, 0011, 0014)."""
    viewer = policy.require_officer(ctx.viewer)
    problems = Collector(ctx.lang)
    incident_id, path = await _incident_ref(ctx, problems, input)
    reason = corrections.check_reason(problems, input.reason)
    corrections.require_fields(problems, input, CORRECTABLE)
    description = (
        check_text(problems, ("description",), input.description, max_length=MAX_DESCRIPTION, required=True)
        if input.description is not None
        else None
    )
    people = _people(problems, input.people) if input.people is not None else None
    point = input.location
    if point is not None:
        check_point(problems, ("location",), point.latitude, point.longitude, point.accuracy_meters)
    problems.check()

    async def load() -> Any:
        row = await _incident_in_scope(ctx, incident_id, path)
        if not policy.may_correct_incident(viewer, row):
            fail(ctx.lang, path, "may_not_correct_incident", "FORBIDDEN")
        if input.sensitive is False and row.sensitive and not policy.may_unmark_sensitive(viewer, row):
            fail(ctx.lang, ("sensitive",), "may_not_unmark_sensitive", "FORBIDDEN")
        return row

    def diff(row: Any) -> corrections.Change:
        change = corrections.Change()
        if description is not None:
            change.compare("description", row.description, description, {"description": description})
        category = plain(input.category) if input.category is not None else row.category
        if input.category is not None:
            change.compare("category", row.category, category, {"category": category})
        marked = row.sensitive if input.sensitive is None else input.sensitive
        if category in policy.SENSITIVE_CATEGORIES:
            if input.sensitive is False:
                fail(ctx.lang, ("sensitive",), "always_sensitive", category=category)
            marked = True
        if input.sensitive is not None:
            change.compare("sensitive", row.sensitive, marked, {"sensitive": marked})
        elif marked != row.sensitive:  # marked by its new category, as a report of it would be
            change.values["sensitive"] = marked
            change.changes["sensitive"] = {"before": row.sensitive, "after": marked}
        if people is not None:
            change.compare("people", list(row.people or ()), people, {"people": people})
        if point is not None:
            before = {"latitude": row.latitude, "longitude": row.longitude, "accuracyMeters": row.accuracy_m}
            after = {
                "latitude": point.latitude,
                "longitude": point.longitude,
                "accuracyMeters": point.accuracy_meters,
            }
            # The place's flags are the new point's; the others (clock skew, late sync) stay.
            flags = [f for f in row.flags or () if f not in _LOCATION_FLAGS] + authenticity_flags(
                recorded_at=None, received_at=now_utc(), accuracy=point.accuracy_meters, mocked=point.mocked
            )
            change.compare(
                "location",
                before,
                after,
                {
                    "latitude": point.latitude,
                    "longitude": point.longitude,
                    "accuracy_m": point.accuracy_meters,
                    "h3_cell": fine_cell(point.latitude, point.longitude),
                    "flags": flags,
                },
            )
        return change

    return await corrections.correct(
        ctx, CORRECTED, input, reason or "", load, diff, lambda result_id: _replayed(ctx, result_id)
    )


async def _apply(
    ctx: Context, row: IncidentRow, expected: int, values: dict[str, Any], note: str | None
) -> IncidentRow:
    """The conditional update and its history row; CONFLICT when another change won the race."""
    async with ctx.db() as session:
        updated = await repo.update_if_version(session, row.id, expected, values)
        if updated is None:
            current = (await repo.incidents_by_ids(session, [row.id]))[row.id]
        else:
            await repo.insert_status_change(
                session,
                {
                    "incident_id": row.id,
                    "from_status": row.status,
                    "to_status": updated.status,
                    "version": updated.version,
                    "changed_by_id": ctx.viewer.officer_id,
                    "note": note,
                },
            )
    if updated is None:
        _stale(ctx, expected, current.version)
    return updated


def _stale(ctx: Context, given: int, current: int) -> NoReturn:
    corrections.stale(ctx, given, current)


async def _change_at(ctx: Context, incident_id: int, version: int) -> Any:
    async with ctx.db() as session:
        return await repo.status_change_at(session, incident_id, version)


async def _replayed(ctx: Context, incident_id: int | None) -> Any:
    """The incident an earlier request with the same client id made or changed."""
    async with ctx.db() as session:
        row = (await repo.incidents_by_ids(session, [incident_id])).get(incident_id) if incident_id else None
    if row is None:  # cannot happen: a claim is completed in the transaction that does the work
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return row


def _people(problems: Collector, people: Sequence[Any] | None) -> list[dict[str, Any]]:
    if not people:
        return []
    if len(people) > MAX_PEOPLE:
        problems.add(("people",), "too_many", high=MAX_PEOPLE)
        return []
    result = []
    for index, person in enumerate(people):
        at = ("people", str(index))
        name = check_text(problems, (*at, "name"), person.name, max_length=MAX_NAME, required=True)
        if person.age is not None and not 0 <= person.age <= 120:
            problems.add((*at, "age"), "range", low=0, high=120)
        phone = check_text(problems, (*at, "phone"), person.phone, max_length=MAX_PHONE)
        gender = plain(person.gender) if person.gender is not None else None
        result.append(
            {"name": name, "role": plain(person.role), "age": person.age, "gender": gender, "phone": phone}
        )
    return result


def _officer_ids(problems: Collector, values: Sequence[str]) -> list[int]:
    if not values:
        problems.add(("officerIds",), "required")
        return []
    if len(values) > MAX_ASSIGNEES:
        problems.add(("officerIds",), "too_many", high=MAX_ASSIGNEES)
        return []
    ids: list[int] = []
    for index, value in enumerate(values):
        key = int_key(value, "Officer")
        if key is None:
            problems.add(("officerIds", str(index)), "bad_id", kind="Officer")
        elif key not in ids:
            ids.append(key)
    return ids


async def _incident_ref(
    ctx: Context, problems: Collector, input: inputs.IncidentReference
) -> tuple[int | None, tuple[str, ...]]:
    """The incident an update names, by global ID or by the client id it was reported with."""
    return await references.record_key(ctx, problems, NAMED, input.incident_id, input.incident_client_id)


async def _incident_in_scope(ctx: Context, incident_id: int | None, path: tuple[str, ...]) -> Any:
    async with ctx.db() as session:
        row = (await repo.incidents_by_ids(session, [incident_id])).get(incident_id) if incident_id else None
    # Another station's incident is answered as a missing one (not FORBIDDEN): whoever may not see it
    # must not learn from the answer that it exists.
    if row is None or not policy.can_access_station(ctx.viewer, row.station_id, row.station_governorate):
        fail(ctx.lang, path, "not_found", "NOT_FOUND", kind="incident")
    return row


async def _station_for_report(
    ctx: Context, problems: Collector, input: inputs.ReportIncident, point_ok: bool, now: datetime
) -> StationRow | None:
    """The station a report is filed at: `stationId` when given; else the reporter's own station (an
    officer's or a commander's report is their station's work wherever it happened, and the nearest
    station may be one they cannot write to); else, for supervisors and admins, who have no station, the
    nearest active station in the point's governorate."""
    key = ctx.viewer.station_id if ctx.viewer is not None else None
    if input.station_id is not None:
        key = int_key(input.station_id, "Station")
        if key is None:
            problems.add(("stationId",), "bad_id", kind="Station")
            return None
    if key is not None:
        row = (await station_logic.station_rows(ctx, [key])).get(key)
        if row is None or not row.active:
            problems.add(("stationId",), "not_found", "NOT_FOUND", kind="station")
            return None
        return row
    if not point_ok:
        return None
    latitude, longitude = input.location.latitude, input.location.longitude
    governorate = governorate_for_point(latitude, longitude)
    if governorate is None:
        problems.add(("stationId",), "outside_iraq")
        return None
    row = await nearest_station_in(ctx, latitude, longitude, governorate, now)
    if row is None:
        problems.add(("stationId",), "no_station_near")
    return row


async def nearest_station_in(
    ctx: Context, latitude: float, longitude: float, governorate: str, at: datetime
) -> Any:
    """The active station of `governorate` nearest to the point by geodesic distance, or None
    (the citizens' exact nearest-station search, restricted to one governorate)."""
    found = await station_logic.nearest(
        ctx, latitude=latitude, longitude=longitude, first=1, at=at, governorate=governorate
    )
    return found[0].station if found else None


def audit_view(row: IncidentRow) -> dict[str, Any]:
    """What the audit log keeps of an incident. The description and people stay out of the log (it is
    read by administrators and kept forever); a digest shows whether they changed."""
    content = json.dumps([row.description, row.people], sort_keys=True, ensure_ascii=False, default=str)
    return {
        "client_id": str(row.client_id),
        "station_id": row.station_id,
        "category": row.category,
        "status": row.status,
        "version": row.version,
        "sensitive": row.sensitive,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "occurred_at": row.occurred_at,
        "reported_by_id": row.reported_by_id,
        "assigned_officer_ids": list(row.assigned_officer_ids or ()),
        "resolved_at": row.resolved_at,
        "flags": list(row.flags or ()),
        "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
    }


# --- reads --------------------------------------------------------------------------------------------


async def visible_incidents(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Incidents by id whose station the viewer may see; citizens see none."""
    if ctx.viewer is None or not ids:
        return {}
    async with ctx.db() as session:
        rows = await repo.incidents_by_ids(session, ids)
    return {
        i: r
        for i, r in rows.items()
        if policy.can_access_station(ctx.viewer, r.station_id, r.station_governorate)
    }


async def shown_incidents(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """`visible_incidents` less those held back from the viewer until their arrival day has ended
    (resolvers.disclosure.arrivals_held_from): what `node` answers."""
    rows = await visible_incidents(ctx, ids)
    view, held_from = disclosure.for_viewer(ctx.viewer), disclosure.arrivals_held_from()
    return {i: r for i, r in rows.items() if not view.incident_held_back(r, held_from)}


async def incidents_by_ids(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Incidents of follow-up actions the viewer already sees (resolvers.policy.sees_follow_up)."""
    async with ctx.db() as session:
        return await repo.incidents_by_ids(session, ids)


async def current_incident(ctx: Context, input: inputs.IncidentReference) -> ReadIncidentRow | None:
    """The incident an update named, as it is now (for the payload of a CONFLICT)."""
    incident_id, _ = await _incident_ref(ctx, Collector(ctx.lang), input)
    if incident_id is None:
        return None
    return (await visible_incidents(ctx, [incident_id])).get(incident_id)


async def list_incidents(
    ctx: Context,
    *,
    first: int | None,
    after: tuple[datetime, int] | None,
    station_id: int | None = None,
    governorate: str | None = None,
    categories: Sequence[str] = (),
    statuses: Sequence[str] = (),
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    assigned_to_me: bool = False,
    cell: int | None = None,
) -> Page[ReadIncidentRow]:
    """A page of the incidents the viewer may see, newest first, narrowed by the filter."""
    viewer = policy.require_officer(ctx.viewer)
    first = errors.check_first(first, ctx.lang, default=20)
    scope = policy.record_scope(viewer)
    args = {
        "everything": scope.everything,
        "scope_station_ids": sorted(scope.station_ids),
        "scope_governorates": sorted(scope.governorates),
        "station_id": station_id,
        "governorate": governorate,
        "categories": sorted(set(categories)),
        "statuses": sorted(set(statuses)),
        "occurred_from": occurred_from,
        "occurred_to": occurred_to,
        "assigned_to": viewer.officer_id if assigned_to_me else None,
        "viewpoint": policy.case_viewpoint(viewer),
        "day_span": disclosure.period_days(occurred_from, occurred_to),
        "cell": disclosure.cell_filter(cell) if cell is not None else None,
        "held_from": disclosure.arrivals_held_from(),
    }
    async with ctx.db() as session:
        rows = list(await repo.list_incidents(session, after=after, limit=first + 1, **args))
    return page_of(rows, first, args)


CELL_RESOLUTIONS = (5, 10)


def parse_cell(value: str, argument: str, lang: str) -> int:
    """An H3 cell given as text (as activityMap's GeoJSON names them), of a resolution maps use."""
    low, high = CELL_RESOLUTIONS
    try:
        cell = h3i.str_to_int(value) if len(value) <= 16 else 0
    except (ValueError, TypeError):
        cell = 0
    if not cell or not h3i.is_valid_cell(cell) or not low <= h3i.get_resolution(cell) <= high:
        raise errors.InputError(argument, message("bad_cell", lang, field=argument, low=low, high=high))
    return cell


async def count_incidents(ctx: Context, args: dict[str, Any]) -> int:
    async with ctx.db() as session:
        return await repo.count_incidents(session, **args)


async def status_history(ctx: Context, incident_ids: Sequence[int]) -> dict[int, list[Any]]:
    async with ctx.db() as session:
        return await repo.status_changes_for(session, incident_ids)


async def corrections_of(ctx: Context, incident_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each incident's corrections, oldest first."""
    async with ctx.db() as session:
        return await correction_repo.corrections_for(session, correction_repo.INCIDENTS, incident_ids)


def effective_sensitive(row: IncidentRow) -> bool:
    return policy.is_sensitive(row.category, row.sensitive)


def details_hidden(viewer: policy.Viewer | None, row: IncidentRow) -> bool:
    return viewer is None or not policy.sees_sensitive_details(viewer, row)


def categories_before(corrections: Sequence[Any]) -> list[str]:
    """The categories an incident had before its corrections changed them."""
    return [c.changes["category"]["before"] for c in corrections if "category" in c.changes]


def read_history(ctx: Context, row: Any, corrections: Sequence[Any]) -> bool:
    """Whether the viewer may read the details of an incident's corrections (resolvers.disclosure); a
    permitted read of those of an incident that is or was sensitive is audited like a read of its
    details."""
    before = categories_before(corrections)
    if disclosure.for_viewer(ctx.viewer).incident_history_generalised(row, before):
        return False
    if effective_sensitive(row) or any(policy.is_sensitive(c, row.sensitive) for c in before):
        _audit_read(ctx, row)
    return True


def _audit_read(ctx: Context, row: Any) -> None:
    audit_details_read(ctx, row.id)


def audit_details_read(ctx: Context, incident_id: int) -> None:
    """Write a read of a sensitive incident's details to the audit log, once per incident per request
    (also a read of a citizen's report on its case: resolvers/service_requests.py)."""
    seen = ctx.loader("incidents.sensitive_reads", lambda _ctx: set())
    if incident_id not in seen:
        seen.add(incident_id)
        audit.record(ctx, READ_SENSITIVE, ENTITY, incident_id)


def read_details(ctx: Context, row: IncidentRow) -> bool:
    """Whether the viewer may read this incident's details; a permitted read of a sensitive incident is
    audited (once per incident per request)."""
    if details_hidden(ctx.viewer, row):
        return False
    if effective_sensitive(row):
        _audit_read(ctx, row)
    return True
