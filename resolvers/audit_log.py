"""Reading the audit log (the auditLog query): who did or read what, when, from which device.

Admins read all of it. Supervisors read the entries whose subject belongs to a station of their
governorates (its records, officers and sign-ins), and the supervisors of those governorates; anyone
else is refused (resolvers.policy.may_read_audit_log). It answers "who read this sensitive case, and
when": the entries about one incident, `read_sensitive` among them.

The entries obey the disclosure rule (docs/privacy.md): an entry about a sensitive record (a sensitive
incident, a household engagement, a follow-up action of either), read by someone not on its case,
keeps its action, its actor and device, but not its content (`before` and `after` may hold the exact
place, the description, the people) and only its day (an entry's time would time the record: a report
is written when it arrives, a read often follows it). An entry whose own content says it is about a
sensitive record (a category, a mark, a household kind) is treated the same, whatever the record has
become since.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from db import audit as repo
from resolvers import disclosure, policy
from resolvers.context import Context

_SENSITIVE_TYPES = ("Incident", "Engagement", "FollowUpAction")


@dataclasses.dataclass(frozen=True, slots=True)
class _Case:
    """The fields resolvers.policy's case rules read, of an entry's subject."""

    station_id: int | None
    reported_by_id: int | None
    assigned_officer_ids: tuple[int, ...]
    officer_id: int | None


@dataclasses.dataclass(slots=True)
class ShownEntry:
    """An entry as the viewer may see it."""

    id: int
    at: datetime
    officer_id: int | None
    device_id: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    withheld: bool


def _says_sensitive(content: Any) -> bool:
    """Whether an entry's before/after names a sensitive category, a sensitive mark or a household kind."""
    if not isinstance(content, dict):
        return False
    if content.get("sensitive") is True or content.get("category") in policy.SENSITIVE_CATEGORIES:
        return True
    return content.get("kind") in policy.HOUSEHOLD_KINDS


def _withheld(viewer: policy.Viewer, row: Any) -> bool:
    if row.entity_type not in _SENSITIVE_TYPES:
        return False
    case = _Case(
        row.subject_station_id,
        row.incident_reported_by_id,
        tuple(row.incident_assigned_officer_ids or ()),
        row.engagement_officer_id,
    )
    sensitive_incident = row.incident_category is not None and policy.is_sensitive(
        row.incident_category, bool(row.incident_sensitive)
    )
    household = row.engagement_kind is not None and policy.is_household(row.engagement_kind)
    said = _says_sensitive(row.before) or _says_sensitive(row.after)
    if row.subject_station_id is None:  # a subject gone (or never found): only what the entry says
        return said or viewer.role != policy.ADMIN
    if sensitive_incident or (said and row.incident_category is not None):
        return not policy.on_incident_case(viewer, case)
    if household or (said and row.engagement_kind is not None):
        return not policy.on_engagement_case(viewer, case)
    return False


def shown(viewer: policy.Viewer, row: Any) -> ShownEntry:
    hidden = _withheld(viewer, row)
    return ShownEntry(
        id=row.id,
        at=disclosure.coarse_time(row.at) if hidden else row.at,
        officer_id=row.officer_id,
        device_id=row.device_id,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        before=None if hidden else row.before,
        after=None if hidden else row.after,
        withheld=hidden,
    )


@dataclasses.dataclass(slots=True)
class AuditPage:
    entries: list[ShownEntry]
    has_next: bool
    # The cursor of the last entry looked at (shown or left out): ("id", n) or ("offset", n).
    end: tuple[str, int] | None


async def read(
    ctx: Context,
    *,
    first: int | None,
    cursor: tuple[str, int] | None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor_id: int | None = None,
    actions: tuple[str, ...] = (),
    at_from: datetime | None = None,
    at_to: datetime | None = None,
) -> AuditPage:
    """A page of entries.

    An admin (on every case) gets every entry as written, newest first. Anyone else gets, in a list
    that does not name a subject, only the entries they may see whole (an entry withheld from them,
    placed among entries with exact times, would be timed by its neighbours); and in the list of one
    subject's entries, all of them, oldest first, paged by position (an entry's id too would time it
    against other lists), those of a sensitive record off their case withheld. Their `from`/`to` hold
    whole days (Baghdad), so that no period times a withheld entry finer than its day.
    """
    viewer = policy.may_read_audit_log(ctx.viewer)
    first = 50 if first is None else max(0, min(first, 100))
    scope = policy.record_scope(viewer)
    whole = scope.everything
    by_subject = not whole and subject_id is not None
    if not whole:
        at_from = disclosure.coarse_time(at_from) if at_from is not None else None
        if at_to is not None:
            day = disclosure.coarse_time(at_to)
            at_to = day if day == at_to else day + timedelta(days=1)
    kind = "offset" if by_subject else "id"
    position = cursor[1] if cursor is not None and cursor[0] == kind else None
    async with ctx.db() as session:
        rows = await repo.read_entries(
            session,
            governorates=None if whole else sorted(scope.governorates),
            before_id=position if kind == "id" else None,
            offset=(position or 0) if kind == "offset" else 0,
            oldest_first=by_subject,
            limit=first + 1,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_id=actor_id,
            actions=actions,
            at_from=at_from,
            at_to=at_to,
        )
    looked = rows[:first]
    entries = [shown(viewer, r) for r in looked]
    if not whole and not by_subject:
        entries = [e for e in entries if not e.withheld]
    end: tuple[str, int] | None = None
    if looked:
        end = ("offset", (position or 0) + len(looked)) if by_subject else ("id", looked[-1].id)
    return AuditPage(entries, len(rows) > first, end)
