"""Community engagements: log one (with the follow-up actions promised there), move those actions along
(the issue-then-action loop), and read both within the viewer's scope.

`log_engagement` and `update_follow_up_action` take the GraphQL inputs and serve both the mutations and
`syncFieldLog` (docs/fieldwork-design.md). Every problem of an input is reported at once, with a path
relative to the input (["attendees", "women"], ["followUps", "2", "dueOn"]).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db import client_requests as client_repo
from db import corrections as correction_repo
from db import engagements as repo
from db import officers as officer_repo
from db.rows import EngagementRow, PatrolStationRow, ReadEngagementRow, ReadFollowUpRow, StationRow
from resolvers import audit, corrections, disclosure, inputs, policy, references
from resolvers import incidents as incident_logic
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.errors import check_first
from resolvers.field_checks import authenticity_flags, check_point, check_text, check_time, now_utc
from resolvers.idempotency import Applied, claim, complete, content_hash, create_once
from resolvers.ids import plain, record_key
from resolvers.listing import Page, page_of, scope_args
from resolvers.mutation_errors import Collector, fail

KIND_LOG, KIND_FOLLOW_UP = "logEngagement", "updateFollowUpAction"
KIND_CORRECT, KIND_ADD_FOLLOW_UP = "correctEngagement", "addFollowUpAction"
KIND_START_PATROL = "startPatrol"  # the client-request kind a patrol is started with (resolvers.patrols)
ENTITY, ACTION_ENTITY = "Engagement", "FollowUpAction"
NAMED = references.Named(ENTITY, KIND_LOG, "engagement", "engagementId", "engagementClientId")
ACTION_NAMED = references.Named(
    ACTION_ENTITY, KIND_ADD_FOLLOW_UP, "follow-up action", "followUpActionId", "followUpActionClientId"
)
MAX_DURATION_MINUTES = 24 * 60
MAX_ATTENDEES = 100_000
MAX_TOPICS, MAX_TOPIC = 30, 200
MAX_NOTES = 4000
MAX_FOLLOW_UPS, MAX_DESCRIPTION = 20, 1000
MAX_STATUS_NOTE = 2000
# A due date at most this far after today (the station's today): promises are for months, not decades.
MAX_DUE_AHEAD = timedelta(days=2 * 365)
MAX_DUE_AHEAD_YEARS = 2
NO_DUE_DATE = repo.NO_DUE_DATE  # where actions without a due date sort


def local_date(at: datetime, timezone: str) -> date:
    """The calendar day of an instant at a station (its own IANA time zone)."""
    return at.astimezone(ZoneInfo(timezone)).date()


# --- logEngagement ----------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _FollowUp:
    path: tuple[str, ...]  # where it is in the input: ("followUps", "2"), or () for addFollowUpAction's
    description: str | None
    owner_id: int | None
    due_on: date | None


def _check_counts(errors: Collector, attendees: Any) -> tuple[int, int, int]:
    """(total, women, youth); women and youth are part of the total."""
    if attendees is None:
        return 0, 0, 0
    counts = {}
    for name in ("total", "women", "youth"):
        value = getattr(attendees, name)
        if value is not None and not 0 <= value <= MAX_ATTENDEES:
            errors.add(("attendees", name), "range", low=0, high=MAX_ATTENDEES)
            value = None
        counts[name] = value
    total = counts["total"]
    for name in ("women", "youth"):
        if total is not None and counts[name] is not None and counts[name] > total:
            errors.add(("attendees", name), "not_more_than", other="attendees.total")
    return total or 0, counts["women"] or 0, counts["youth"] or 0


def _check_topics(errors: Collector, topics: Sequence[str] | None) -> list[str]:
    if not topics:
        return []
    if len(topics) > MAX_TOPICS:
        errors.add(("topics",), "too_many", high=MAX_TOPICS)
        return []
    clean = []
    for i, topic in enumerate(topics):
        text = check_text(errors, ("topics", str(i)), topic, max_length=MAX_TOPIC, required=True)
        if text is not None:
            clean.append(text)
    return clean


def _check_follow_ups(errors: Collector, items: Sequence[Any] | None) -> list[_FollowUp]:
    """The follow-ups as given (owners and due dates are checked once the station is known)."""
    if not items:
        return []
    if len(items) > MAX_FOLLOW_UPS:
        errors.add(("followUps",), "too_many", high=MAX_FOLLOW_UPS)
        return []
    found = []
    for i, item in enumerate(items):
        path = ("followUps", str(i))
        description = check_text(
            errors, (*path, "description"), item.description, max_length=MAX_DESCRIPTION, required=True
        )
        owner_id = (
            record_key(errors, (*path, "ownerId"), item.owner_id, "Officer")
            if item.owner_id is not None
            else None
        )
        found.append(_FollowUp(path, description, owner_id, item.due_on))
    return found


async def _linked_patrol(
    ctx: Context, errors: Collector, input: inputs.LogEngagement
) -> tuple[tuple[str, ...], PatrolStationRow] | None:
    """The patrol the engagement happened on, by global ID or by the device's id of it; None when none
    is named or it cannot be found (then with an error). A patrol the viewer may not see is not found."""
    if input.patrol_id is not None and input.patrol_client_id is not None:
        errors.add(("patrolId",), "at_most_one_of", other="patrolClientId")
        return None
    patrol_id = None
    if input.patrol_id is not None:
        path: tuple[str, ...] = ("patrolId",)
        patrol_id = record_key(errors, path, input.patrol_id, "Patrol")
        if patrol_id is None:
            return None
    elif input.patrol_client_id is not None:
        path = ("patrolClientId",)
    else:
        return None
    async with ctx.db() as session:
        if patrol_id is None:
            assert input.patrol_client_id is not None  # the path taken above
            started = await client_repo.find(session, input.patrol_client_id)
            if started is not None and started.kind == KIND_START_PATROL:
                patrol_id = started.result_id
        patrol = await repo.patrol_station(session, patrol_id) if patrol_id is not None else None
    stations = await station_logic.station_rows(ctx, [patrol.station_id]) if patrol else {}
    viewer = ctx.viewer
    if patrol is None or not (
        viewer.officer_id in (patrol.officer_ids or ())
        or policy.can_access_station(viewer, patrol.station_id, stations[patrol.station_id].governorate_code)
    ):
        errors.add(path, "not_found", "NOT_FOUND", kind="patrol")
        return None
    return path, patrol


async def _station(
    ctx: Context, errors: Collector, input: inputs.LogEngagement, patrol: PatrolStationRow | None
) -> StationRow | None:
    """The engagement's station: the one given, else the viewer's own, else the linked patrol's.
    A station outside the viewer's scope fails the whole request (FORBIDDEN)."""
    viewer = ctx.viewer
    if input.station_id is not None:
        station_id = record_key(errors, ("stationId",), input.station_id, "Station")
    elif viewer.station_id is not None:
        station_id = viewer.station_id
    elif patrol is not None:
        station_id = patrol.station_id
    else:
        errors.add(("stationId",), "required")
        station_id = None
    if station_id is None:
        return None
    station = (await station_logic.station_rows(ctx, [station_id])).get(station_id)
    if station is None or not station.active:
        errors.add(("stationId",), "not_found", "NOT_FOUND", kind="station")
        return None
    if not policy.can_access_station(viewer, station.id, station.governorate_code):
        fail(ctx.lang, ("stationId",), "not_your_station", "FORBIDDEN")
    return station


async def _check_owners_and_dates(
    ctx: Context,
    errors: Collector,
    follow_ups: list[_FollowUp],
    station: Any,
    occurred_at: datetime | None,
    now: datetime,
) -> None:
    """Owners are active officers of the station (default: the viewer, when one); a due date falls
    between the engagement's day and two years after today, both in the station's time zone."""
    viewer = ctx.viewer
    named = [f.owner_id for f in follow_ups if f.owner_id is not None]
    async with ctx.db() as session:
        officers = await officer_repo.officers_by_ids(session, named) if named else {}
    earliest = local_date(occurred_at, station.timezone) if occurred_at is not None else None
    latest = local_date(now, station.timezone) + MAX_DUE_AHEAD
    for item in follow_ups:
        path = item.path
        if item.owner_id is None:
            if viewer.station_id == station.id:
                item.owner_id = viewer.officer_id
        else:
            officer = officers.get(item.owner_id)
            # An unknown id is answered as another station's officer: ids of officers one may not see
            # are not told apart from ids of nobody.
            if officer is None or not officer.active or officer.station_id != station.id:
                errors.add((*path, "ownerId"), "officer_not_here")
        if item.due_on is not None:
            if earliest is not None and item.due_on < earliest:
                errors.add((*path, "dueOn"), "not_before", other="occurredAt")
            elif item.due_on > latest:
                errors.add((*path, "dueOn"), "too_far_ahead", years=MAX_DUE_AHEAD_YEARS)


async def log_engagement(ctx: Context, input: inputs.LogEngagement) -> Applied:
    """Log a community engagement with its follow-up actions; the same `clientId` again is a replay."""
    viewer = policy.require_officer(ctx.viewer)

    async def prepare() -> tuple[dict[str, Any], list[Any]]:
        now = now_utc()
        errors = Collector(ctx.lang)
        point = input.location
        check_point(errors, ("location",), point.latitude, point.longitude, point.accuracy_meters)
        check_time(errors, ("occurredAt",), input.occurred_at, now)
        check_time(errors, ("recordedAt",), input.recorded_at, now, required=False)
        occurred_ok = not any(e.field == ("occurredAt",) for e in errors.errors)
        duration = input.duration_minutes
        if duration is not None and not 1 <= duration <= MAX_DURATION_MINUTES:
            errors.add(("durationMinutes",), "range", low=1, high=MAX_DURATION_MINUTES)
        total, women, youth = _check_counts(errors, input.attendees)
        topics = _check_topics(errors, input.topics)
        notes = check_text(errors, ("notes",), input.notes, max_length=MAX_NOTES)
        follow_ups = _check_follow_ups(errors, input.follow_ups)
        linked = await _linked_patrol(ctx, errors, input)
        patrol = linked[1] if linked else None
        station = await _station(ctx, errors, input, patrol)
        if station is not None:
            if linked is not None and linked[1].station_id != station.id:
                errors.add(linked[0], "patrol_other_station")
            await _check_owners_and_dates(
                ctx, errors, follow_ups, station, input.occurred_at if occurred_ok else None, now
            )
        errors.check()
        assert station is not None  # errors.check() raised otherwise
        return {
            "client_id": input.client_id,
            "station_id": station.id,
            "officer_id": viewer.officer_id,
            "kind": plain(input.kind),
            "latitude": point.latitude,
            "longitude": point.longitude,
            "accuracy_m": point.accuracy_meters,
            "occurred_at": input.occurred_at,
            "duration_minutes": duration,
            "attendees_total": total,
            "attendees_women": women,
            "attendees_youth": youth,
            "topics": topics,
            "notes": notes,
            "patrol_id": patrol.id if patrol else None,
            "recorded_at": input.recorded_at,
            "received_at": now,
            "flags": authenticity_flags(
                recorded_at=input.recorded_at,
                received_at=now,
                accuracy=point.accuracy_meters,
                mocked=point.mocked,
            ),
        }, follow_ups

    written: list[Any] = []  # the follow-up actions stored with it, for the audit entry

    async def write(what: tuple[dict[str, Any], list[Any]], claimant: Any) -> Any:
        values, checked = what
        async with ctx.db() as session:
            row = await repo.insert_logged_engagement(session, values, claimant, ENTITY)  # and the claim
            if row is not None:
                await repo.insert_follow_ups(
                    session,
                    [
                        {
                            "engagement_id": row.id,
                            "description": f.description,
                            "owner_id": f.owner_id,
                            "due_on": f.due_on,
                        }
                        for f in checked
                    ],
                )
                written.extend(checked)
        return row

    applied = await create_once(
        ctx,
        input.client_id,
        KIND_LOG,
        content_hash(KIND_LOG, input),
        prepare,
        write,
        lambda result_id: _engagement(ctx, result_id),
    )
    if not applied.duplicate:
        audit.record(
            ctx,
            KIND_LOG,
            ENTITY,
            applied.row.id,
            after={
                **audit_view(applied.row),
                "followUps": [
                    {"description": f.description, "ownerId": f.owner_id, "dueOn": f.due_on} for f in written
                ],
            },
        )
    return applied


async def _engagement(ctx: Context, engagement_id: int | None) -> Any:
    async with ctx.db() as session:
        row = (
            (await repo.engagements_by_ids(session, [engagement_id])).get(engagement_id)
            if engagement_id is not None
            else None
        )
    if row is None:  # cannot happen: a claim completes in the transaction that made the engagement
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return row


def audit_view(row: EngagementRow) -> dict[str, Any]:
    """What the audit log keeps of an engagement."""
    return {
        "stationId": row.station_id,
        "officerId": row.officer_id,
        "kind": row.kind,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "occurredAt": row.occurred_at,
        "durationMinutes": row.duration_minutes,
        "attendees": [row.attendees_total, row.attendees_women, row.attendees_youth],
        "topics": list(row.topics),
        "notes": row.notes,
        "patrolId": row.patrol_id,
        "flags": list(row.flags),
    }


# --- correctEngagement -----------------------------------------------------------------------------

# What correctEngagement may change (fields of LogEngagementInput, by their names in the input).
CORRECTABLE = ("attendees", "topics", "notes")
CORRECTED = corrections.Correctable(
    kind=KIND_CORRECT,
    entity=ENTITY,
    history=correction_repo.ENGAGEMENTS,
    record_column="engagement_id",
    update=repo.update_engagement_if_version,
    audit_view=lambda row: {**audit_view(row), "version": row.version},
    audit_reason=True,
)


async def correct_engagement(ctx: Context, input: Any) -> Applied:
    """Correct an engagement's attendees, topics or notes, if nobody changed it since `expectedVersion`;
    kept in its history with the reason (the attendee counts in the rollups follow, migration 0006)."""
    viewer = policy.require_officer(ctx.viewer)
    errors = Collector(ctx.lang)
    engagement_id, path = await references.record_key(
        ctx, errors, NAMED, input.engagement_id, input.engagement_client_id
    )
    reason = corrections.check_reason(errors, input.reason)
    corrections.require_fields(errors, input, CORRECTABLE)
    counts = _check_counts(errors, input.attendees) if input.attendees is not None else None
    topics = _check_topics(errors, input.topics) if input.topics is not None else None
    notes = check_text(errors, ("notes",), input.notes, max_length=MAX_NOTES)  # "" clears them
    errors.check()

    async def load() -> Any:
        found = await visible_engagements(ctx, [engagement_id] if engagement_id is not None else [])
        row = found.get(engagement_id) if engagement_id is not None else None
        # Another station's engagement is answered as a missing one, as for incidents.
        if row is None:
            fail(ctx.lang, path, "not_found", "NOT_FOUND", kind="engagement")
        if not policy.may_correct_engagement(viewer, row):
            fail(ctx.lang, path, "may_not_correct_engagement", "FORBIDDEN")
        return row

    def diff(row: Any) -> corrections.Change:
        change = corrections.Change()
        if counts is not None:
            before = {
                "total": row.attendees_total,
                "women": row.attendees_women,
                "youth": row.attendees_youth,
            }
            after = dict(zip(("total", "women", "youth"), counts, strict=True))
            change.compare(
                "attendees",
                before,
                after,
                {"attendees_total": counts[0], "attendees_women": counts[1], "attendees_youth": counts[2]},
            )
        if topics is not None:
            change.compare("topics", list(row.topics), topics, {"topics": topics})
        if input.notes is not None:
            change.compare("notes", row.notes, notes, {"notes": notes})
        return change

    return await corrections.correct(
        ctx, CORRECTED, input, reason or "", load, diff, lambda result_id: _engagement(ctx, result_id)
    )


# --- addFollowUpAction ------------------------------------------------------------------------------

_SUBJECT_FIELDS = ("engagementId", "engagementClientId", "incidentId", "incidentClientId")


async def _subject(ctx: Context, errors: Collector, input: Any) -> tuple[tuple[str, ...], Any, bool] | None:
    """The record an action is added to: (the input field naming it, its row, whether an incident); None
    (with an error) when not exactly one is named, or it is not found or not the viewer's to see."""
    given = [
        name
        for name, value in zip(
            _SUBJECT_FIELDS,
            (input.engagement_id, input.engagement_client_id, input.incident_id, input.incident_client_id),
            strict=True,
        )
        if value is not None
    ]
    if len(given) != 1:
        errors.add(
            (given[0] if given else _SUBJECT_FIELDS[0],), "exactly_one_of", fields=", ".join(_SUBJECT_FIELDS)
        )
        return None
    incident = given[0].startswith("incident")
    if incident:
        key, path = await references.record_key(
            ctx, errors, incident_logic.NAMED, input.incident_id, input.incident_client_id
        )
        rows = await incident_logic.visible_incidents(ctx, [key] if key is not None else [])
    else:
        key, path = await references.record_key(
            ctx, errors, NAMED, input.engagement_id, input.engagement_client_id
        )
        rows = await visible_engagements(ctx, [key] if key is not None else [])
    if key is None:
        return None
    row = rows.get(key)
    if row is None:  # another station's record is answered as a missing one
        errors.add(path, "not_found", "NOT_FOUND", kind="incident" if incident else "engagement")
        return None
    return path, row, incident


async def add_follow_up_action(ctx: Context, input: Any) -> Applied:
    """Add a follow-up action to an engagement or an incident; the same `clientId` again is a replay."""
    viewer = policy.require_officer(ctx.viewer)

    async def prepare() -> dict[str, Any]:
        errors = Collector(ctx.lang)
        subject = await _subject(ctx, errors, input)
        description = check_text(
            errors, ("description",), input.description, max_length=MAX_DESCRIPTION, required=True
        )
        owner_id = (
            record_key(errors, ("ownerId",), input.owner_id, "Officer")
            if input.owner_id is not None
            else None
        )
        if subject is None:
            errors.check()
        assert subject is not None  # errors.check() raised otherwise
        path, row, incident = subject
        if not policy.may_add_follow_up(viewer, row, incident=incident):
            fail(ctx.lang, path, "may_not_add_follow_up", "FORBIDDEN")
        station = (await station_logic.station_rows(ctx, [row.station_id]))[row.station_id]
        item = _FollowUp((), description, owner_id, input.due_on)
        await _check_owners_and_dates(ctx, errors, [item], station, row.occurred_at, now_utc())
        errors.check()
        return {
            "client_id": input.client_id,
            "incident_id" if incident else "engagement_id": row.id,
            "description": description,
            "owner_id": item.owner_id,
            "due_on": item.due_on,
        }

    async def write(values: dict[str, Any], claimant: Any) -> Any:
        async with ctx.db() as session:
            # the claim and the action in one statement, then the action as every read gives it
            made = await repo.insert_added_follow_up(session, values, claimant, ACTION_ENTITY)
            return (await repo.follow_ups_by_ids(session, [made.id]))[made.id] if made is not None else None

    applied = await create_once(
        ctx,
        input.client_id,
        KIND_ADD_FOLLOW_UP,
        content_hash(KIND_ADD_FOLLOW_UP, input),
        prepare,
        write,
        lambda result_id: _action(ctx, result_id),
    )
    if not applied.duplicate:
        audit.record(ctx, KIND_ADD_FOLLOW_UP, ACTION_ENTITY, applied.row.id, after=_action_audit(applied.row))
    return applied


def _action_audit(row: Any) -> dict[str, Any]:
    """What the audit log keeps of a new action: for one of a sensitive incident, a digest of what it says
    (the log is read by administrators and kept forever, as for the incident's own texts)."""
    secret = row.incident_id is not None and policy.is_sensitive(
        row.incident_category, row.incident_sensitive
    )
    text = (
        {"descriptionSha256": hashlib.sha256(row.description.encode()).hexdigest()}
        if secret
        else {"description": row.description}
    )
    return {
        "engagementId": row.engagement_id,
        "incidentId": row.incident_id,
        "ownerId": row.owner_id,
        "dueOn": row.due_on,
        "status": row.status,
        **text,
    }


# --- updateFollowUpAction ---------------------------------------------------------------------------


def _update_hash(input: Any) -> str:
    """The content hash of an update, as releases before `followUpActionClientId` computed it when that
    field is not given: a change queued before the upgrade and resent after it is a DUPLICATE, not a
    CONFLICT (resolvers.idempotency.content_hash; tests/test_sync.py pins it)."""
    fields = {f.name: getattr(input, f.name) for f in dataclasses.fields(input)}
    if fields.get("follow_up_action_client_id") is None:
        fields.pop("follow_up_action_client_id", None)
    return content_hash(KIND_FOLLOW_UP, fields)


async def update_follow_up_action(ctx: Context, input: Any) -> Applied:
    """Move a follow-up action to another status; the same status again changes nothing. The action is
    named by its ID or by the client id it was added with (addFollowUpAction, maybe queued offline)."""
    viewer = policy.require_officer(ctx.viewer)
    errors = Collector(ctx.lang)
    action_id, path = await references.record_key(
        ctx, errors, ACTION_NAMED, input.follow_up_action_id, input.follow_up_action_client_id
    )
    note = check_text(errors, ("note",), input.note, max_length=MAX_STATUS_NOTE)
    errors.check()
    assert action_id is not None  # errors.check() raised otherwise
    if input.client_id is not None:
        claimed = await claim(ctx, input.client_id, KIND_FOLLOW_UP, _update_hash(input))
        if not claimed.new:
            return Applied(await _action(ctx, claimed.result_id), duplicate=True)
    async with ctx.db() as session:
        action = (await repo.follow_ups_by_ids(session, [action_id], lock=True)).get(action_id)
    if action is None or not policy.sees_follow_up(viewer, action):
        fail(ctx.lang, path, "not_found", "NOT_FOUND", kind="follow-up action")
    if not policy.may_update_follow_up(viewer, action):
        fail(ctx.lang, path, "not_follow_up_owner", "FORBIDDEN")
    status = plain(input.status)
    if status == action.status:  # already there: a resent change
        if input.client_id is not None:
            await complete(ctx, input.client_id, ACTION_ENTITY, action.id)
        return Applied(action, duplicate=True)
    async with ctx.db() as session:
        await repo.update_follow_up(session, action.id, {"status": status})
        updated = (await repo.follow_ups_by_ids(session, [action.id]))[action.id]
    if input.client_id is not None:
        await complete(ctx, input.client_id, ACTION_ENTITY, action.id)
    subject = {"engagementId": action.engagement_id, "incidentId": action.incident_id}
    audit.record(
        ctx,
        KIND_FOLLOW_UP,
        ACTION_ENTITY,
        action.id,
        before={"status": action.status, **subject},
        after={"status": status, **subject, "note": note},
    )
    return Applied(updated)


async def _action(ctx: Context, action_id: int | None) -> Any:
    async with ctx.db() as session:
        row = (
            (await repo.follow_ups_by_ids(session, [action_id])).get(action_id)
            if action_id is not None
            else None
        )
    if row is None:
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return row


# --- Reading ----------------------------------------------------------------------------------------


async def list_engagements(
    ctx: Context,
    *,
    first: int | None,
    after: tuple[datetime, int] | None,
    station_id: int | None = None,
    governorate: str | None = None,
    kinds: Sequence[str] = (),
    from_: datetime | None = None,
    to: datetime | None = None,
    patrol_id: int | None = None,
) -> Page[ReadEngagementRow]:
    """A page of the engagements the viewer may see, newest first; citizens are refused."""
    viewer = policy.require_officer(ctx.viewer)
    first = check_first(first, ctx.lang, default=20)
    args = {
        **scope_args(viewer),
        "station_id": station_id,
        "governorate": governorate,
        "kinds": sorted(set(kinds)),
        "from_": from_,
        "to": to,
        "patrol_id": patrol_id,
        "viewpoint": policy.case_viewpoint(viewer),
        "day_span": disclosure.period_days(from_, to),
        "held_from": disclosure.arrivals_held_from(),
    }
    async with ctx.db() as session:
        rows = list(await repo.list_engagements(session, after=after, limit=first + 1, **args))
    return page_of(rows, first, args)


async def count_engagements(ctx: Context, args: dict[str, Any]) -> int:
    async with ctx.db() as session:
        return await repo.count_engagements(session, **args)


async def list_follow_ups(
    ctx: Context,
    *,
    first: int | None,
    after: tuple[date, int] | None,
    station_id: int | None = None,
    owner_id: int | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    subjects: Sequence[str] = (repo.ENGAGEMENT_ACTIONS,),
) -> Page[ReadFollowUpRow]:
    """A page of the follow-up actions the viewer may see, the soonest due first; citizens are refused.
    `subjects`: actions of engagements (the default, as before actions of incidents existed), of
    incidents, or both."""
    viewer = policy.require_officer(ctx.viewer)
    first = check_first(first, ctx.lang, default=20)
    args = {
        **scope_args(viewer),
        "station_id": station_id,
        "owner_id": owner_id,
        "status": status,
        "overdue": overdue,
        "subjects": sorted(set(subjects)),
        "viewpoint": policy.case_viewpoint(viewer),
    }
    async with ctx.db() as session:
        rows = list(await repo.list_follow_ups(session, after=after, limit=first + 1, **args))
    return page_of(rows, first, args)


async def count_follow_ups(ctx: Context, args: dict[str, Any]) -> int:
    async with ctx.db() as session:
        return await repo.count_follow_ups(session, **args)


async def visible_engagements(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Engagements by id that the viewer may see; citizens see none."""
    if ctx.viewer is None or not ids:
        return {}
    async with ctx.db() as session:
        rows = await repo.engagements_by_ids(session, ids)
    return {
        i: r
        for i, r in rows.items()
        if policy.can_access_station(ctx.viewer, r.station_id, r.station_governorate)
    }


async def shown_engagements(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """`visible_engagements` less those held back from the viewer until their arrival day has ended
    (resolvers.disclosure.arrivals_held_from): what `node` answers."""
    rows = await visible_engagements(ctx, ids)
    view, held_from = disclosure.for_viewer(ctx.viewer), disclosure.arrivals_held_from()
    return {i: r for i, r in rows.items() if not view.engagement_held_back(r, held_from)}


async def visible_follow_ups(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Follow-up actions by id that the viewer may see (their owner too); citizens see none."""
    if ctx.viewer is None or not ids:
        return {}
    async with ctx.db() as session:
        rows = await repo.follow_ups_by_ids(session, ids)
    return {i: r for i, r in rows.items() if policy.sees_follow_up(ctx.viewer, r)}


async def current_engagement(ctx: Context, input: Any) -> Any | None:
    """The engagement a correction named, as it is now (for the payload of a CONFLICT)."""
    engagement_id, _ = await references.record_key(
        ctx, Collector(ctx.lang), NAMED, input.engagement_id, input.engagement_client_id
    )
    if engagement_id is None:
        return None
    return (await visible_engagements(ctx, [engagement_id])).get(engagement_id)


async def engagements_by_ids(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Engagements of follow-up actions the viewer already sees."""
    async with ctx.db() as session:
        return await repo.engagements_by_ids(session, ids)


async def follow_ups_of(ctx: Context, engagement_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each engagement's follow-up actions that the viewer may see (resolvers.policy.sees_follow_up):
    none of a household engagement's to someone off its case but the actions they own."""
    async with ctx.db() as session:
        found = await repo.follow_ups_by_engagement_ids(session, engagement_ids)
    viewer = ctx.viewer
    if viewer is None:
        return {i: [] for i in found}
    return {i: [r for r in rows if policy.sees_follow_up(viewer, r)] for i, rows in found.items()}


async def incident_follow_ups(ctx: Context, incident_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each incident's follow-up actions that the viewer may see (resolvers.policy.sees_follow_up)."""
    async with ctx.db() as session:
        found = await repo.follow_ups_by_incident_ids(session, incident_ids)
    return {i: [r for r in rows if policy.sees_follow_up(ctx.viewer, r)] for i, rows in found.items()}


async def corrections_of(ctx: Context, engagement_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each engagement's corrections, oldest first."""
    async with ctx.db() as session:
        return await correction_repo.corrections_for(session, correction_repo.ENGAGEMENTS, engagement_ids)


READ_HOUSEHOLD = "read_household"


def audit_household_read(ctx: Context, row: EngagementRow) -> None:
    """A read of a household engagement's exact place and notes (by someone on its case: the others see
    it generalised) goes in the audit log, once per engagement per request, as a sensitive incident's."""
    if not policy.is_household(row.kind):
        return
    seen = ctx.loader("engagements.household_reads", lambda _ctx: set())
    if row.id not in seen:
        seen.add(row.id)
        audit.record(ctx, READ_HOUSEHOLD, ENTITY, row.id)
