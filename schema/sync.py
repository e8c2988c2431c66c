"""`syncFieldLog`: a phone's queue of offline actions, applied in order, each answered on its own."""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from resolvers import engagements as engagement_logic
from resolvers import incidents as incident_logic
from resolvers import media as media_logic
from resolvers import patrols as patrol_logic
from resolvers import problems as problem_logic
from resolvers import sync
from resolvers.context import Context
from resolvers.messages import message
from resolvers.policy import require_officer
from schema.common import ErrorCode, UserError, user_errors
from schema.engagements import (
    AddFollowUpActionInput,
    CorrectEngagementInput,
    Engagement,
    FollowUpAction,
    LogEngagementInput,
    UpdateFollowUpActionInput,
)
from schema.incidents import (
    AssignIncidentInput,
    CorrectIncidentInput,
    Incident,
    ReportIncidentInput,
    UpdateIncidentStatusInput,
)
from schema.media import AttachMediaInput, Attachment
from schema.node import Node
from schema.patrols import AppendPatrolTrackInput, EndPatrolInput, Patrol, StartPatrolInput
from schema.problems import OpenProblemInput, Problem, UpdateProblemInput


@strawberry.enum(description="What became of one entry of a sync batch.")
class SyncStatus(enum.Enum):
    APPLIED = "APPLIED"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"
    REJECTED = "REJECTED"


@strawberry.input(one_of=True, description="One queued action: exactly one of the fields.")
class FieldLogEntryInput:
    start_patrol: StartPatrolInput | None = strawberry.field(
        default=strawberry.UNSET, description="startPatrol."
    )
    append_patrol_track: AppendPatrolTrackInput | None = strawberry.field(
        default=strawberry.UNSET, description="appendPatrolTrack."
    )
    end_patrol: EndPatrolInput | None = strawberry.field(default=strawberry.UNSET, description="endPatrol.")
    log_engagement: LogEngagementInput | None = strawberry.field(
        default=strawberry.UNSET, description="logEngagement."
    )
    report_incident: ReportIncidentInput | None = strawberry.field(
        default=strawberry.UNSET, description="reportIncident."
    )
    update_incident_status: UpdateIncidentStatusInput | None = strawberry.field(
        default=strawberry.UNSET, description="updateIncidentStatus."
    )
    assign_incident: AssignIncidentInput | None = strawberry.field(
        default=strawberry.UNSET, description="assignIncident."
    )
    # corrections and follow-up actions (issue 14)
    correct_incident: CorrectIncidentInput | None = strawberry.field(
        default=strawberry.UNSET, description="correctIncident."
    )
    correct_engagement: CorrectEngagementInput | None = strawberry.field(
        default=strawberry.UNSET, description="correctEngagement."
    )
    add_follow_up_action: AddFollowUpActionInput | None = strawberry.field(
        default=strawberry.UNSET, description="addFollowUpAction."
    )
    update_follow_up_action: UpdateFollowUpActionInput | None = strawberry.field(
        default=strawberry.UNSET, description="updateFollowUpAction (with a clientId)."
    )
    # problems (issue 16)
    open_problem: OpenProblemInput | None = strawberry.field(
        default=strawberry.UNSET, description="openProblem."
    )
    update_problem: UpdateProblemInput | None = strawberry.field(
        default=strawberry.UNSET, description="updateProblem."
    )
    # photos and documents (issue 14)
    attach_media: AttachMediaInput | None = strawberry.field(
        default=strawberry.UNSET, description="attachMedia (of an upload finished beforehand)."
    )


@strawberry.input(description="A batch of actions queued offline, in the order they were made.")
class SyncFieldLogInput:
    entries: list[FieldLogEntryInput] = strawberry.field(
        description=f"At most {sync.MAX_ENTRIES} entries; later entries may name records made by earlier "
        "ones by their clientId."
    )


@strawberry.type(description="The outcome of one entry.")
class FieldLogResult:
    client_id: uuid.UUID = strawberry.field(
        description="The entry's clientId (the nil UUID for an entry sent without one, which is REJECTED)."
    )
    kind: str = strawberry.field(description="The action, e.g. reportIncident.")
    status: SyncStatus = strawberry.field(
        description="APPLIED (done now), DUPLICATE (done before: nothing changed), CONFLICT (clientId reused "
        "for other content, or a stale version), REJECTED (invalid or not allowed: see errors)."
    )
    node: Node | None = strawberry.field(description="The record the entry made or changed (also DUPLICATE).")
    errors: list[UserError] = strawberry.field(description="Why the entry was not applied, naming the field.")
    current_version: int | None = strawberry.field(
        default=None, description="For a stale expectedVersion: the record's version now, to retry with."
    )


@strawberry.type(description="The outcome of a sync batch, one result per entry in the same order.")
class SyncFieldLogPayload:
    results: list[FieldLogResult] = strawberry.field(description="One result per entry, in order.")
    errors: list[UserError] = strawberry.field(description="Problems with the batch as a whole.")


# entry field -> (kind, logic, node type)
_ACTIONS: dict[str, tuple[str, Callable[[Context, Any], Awaitable[sync.Applied]], str]] = {
    "start_patrol": ("startPatrol", patrol_logic.start_patrol, "patrol"),
    "append_patrol_track": ("appendPatrolTrack", patrol_logic.append_patrol_track, "patrol"),
    "end_patrol": ("endPatrol", patrol_logic.end_patrol, "patrol"),
    "log_engagement": ("logEngagement", engagement_logic.log_engagement, "engagement"),
    "report_incident": ("reportIncident", incident_logic.report_incident, "incident"),
    "update_incident_status": ("updateIncidentStatus", incident_logic.update_incident_status, "incident"),
    "assign_incident": ("assignIncident", incident_logic.assign_incident, "incident"),
    # corrections and follow-up actions (issue 14)
    "correct_incident": ("correctIncident", incident_logic.correct_incident, "incident"),
    "correct_engagement": ("correctEngagement", engagement_logic.correct_engagement, "engagement"),
    "add_follow_up_action": ("addFollowUpAction", engagement_logic.add_follow_up_action, "followUpAction"),
    "update_follow_up_action": (
        "updateFollowUpAction",
        engagement_logic.update_follow_up_action,
        "followUpAction",
    ),
    # problems (issue 16)
    "open_problem": ("openProblem", problem_logic.open_problem, "problem"),
    "update_problem": ("updateProblem", problem_logic.update_problem, "problem"),
    "attach_media": ("attachMedia", media_logic.attach_media, "attachment"),
}


def _node(ctx: Context, node_type: str, row: Any) -> Node | None:
    if row is None:
        return None
    if node_type == "patrol":
        return Patrol.from_row(row)
    if node_type == "engagement":
        return Engagement.from_row(row, ctx.viewer)
    if node_type == "followUpAction":
        return FollowUpAction.from_row(row)
    if node_type == "problem":
        return Problem.from_row(row)
    if node_type == "attachment":
        return Attachment.from_row(row)
    return Incident.from_row(row, ctx.viewer)


def _entry(ctx: Context, given: FieldLogEntryInput) -> tuple[sync.Entry, str]:
    for field, (kind, logic, node_type) in _ACTIONS.items():
        value = getattr(given, field)
        if value is not None and value is not strawberry.UNSET:
            client_id = getattr(value, "client_id", None)
            client_id = None if client_id is strawberry.UNSET else client_id
            return sync.Entry(kind, client_id, functools.partial(logic, ctx, value)), node_type
    raise AssertionError("@oneOf guarantees one field")  # pragma: no cover


@strawberry.type
class SyncMutation:
    @strawberry.mutation(description="Apply a batch of offline actions in order; each entry stands alone.")
    async def sync_field_log(
        self, info: strawberry.Info[Context], input: SyncFieldLogInput
    ) -> SyncFieldLogPayload:
        ctx = info.context
        require_officer(ctx.viewer)
        if len(input.entries) > sync.MAX_ENTRIES:
            text = message("too_many", ctx.lang, field="entries", high=sync.MAX_ENTRIES)
            return SyncFieldLogPayload(
                results=[], errors=[UserError(field=["entries"], code=ErrorCode.LIMIT_EXCEEDED, message=text)]
            )
        prepared = [_entry(ctx, given) for given in input.entries]
        outcomes = await sync.apply_batch(ctx, [entry for entry, _ in prepared])
        results = [
            FieldLogResult(
                client_id=o.client_id or uuid.UUID(int=0),
                kind=o.kind,
                status=SyncStatus(o.status),
                node=_node(ctx, node_type, o.row),
                current_version=o.current_version,
                errors=user_errors(o.errors),
            )
            for o, (_, node_type) in zip(outcomes, prepared, strict=True)
        ]
        return SyncFieldLogPayload(results=results, errors=[])
