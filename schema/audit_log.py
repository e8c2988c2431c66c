"""The audit log, read through the API: `auditLog(filter)` (resolvers/audit_log.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from resolvers import audit_log as logic
from resolvers import ids
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from schema.node import PageInfo, to_global_id
from schema.officers import Officer

SUBJECT_TYPES = ("Incident", "Engagement", "FollowUpAction", "Patrol", "Officer", "Station", "AuthSession")


@strawberry.input(description="Which audit entries to list; always within what you may read.")
class AuditFilter:
    subject_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only the entries about this record or account (an Incident's id: who read or changed "
        "it, and when).",
    )
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the entries of what this officer did."
    )
    actions: list[str] | None = strawberry.field(
        default=None, description="Only these actions, like read_sensitive, officer_created (at most 20)."
    )
    from_: datetime | None = strawberry.field(
        default=None,
        name="from",
        description="Only entries at or after this instant (for anyone but admins: from the start of its "
        "day).",
    )
    to: datetime | None = strawberry.field(
        default=None,
        description="Only entries before this instant (for anyone but admins: to the end of its day).",
    )


@strawberry.type(
    description="One entry of the audit log: who did or read what, when, from which device. Of a sensitive "
    "record whose case you are not on, `before` and `after` are withheld and `at` is its day."
)
class AuditEntry:
    at: datetime = strawberry.field(description="When (the start of its day when withheld).")
    action: str = strawberry.field(description="What was done: read_sensitive, reportIncident, login, ...")
    subject_type: str = strawberry.field(description="The kind of record or account it is about.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="The global ID of the record or account it is about; null when none (a failed sign-in "
        "with an unknown badge)."
    )
    device_id: str | None = strawberry.field(description="The device it came from, when the app said.")
    before: JSON | None = strawberry.field(description="What it was before; null when withheld or none.")
    after: JSON | None = strawberry.field(description="What it became; null when withheld or none.")
    details_withheld: bool = strawberry.field(
        description="True for an entry about a sensitive record whose case you are not on."
    )
    entry: strawberry.Private[Any]

    @strawberry.field(
        description="Who did it; null for the command line, a citizen, or an officer you may not see."
    )
    async def actor(self, info: strawberry.Info[Context]) -> Officer | None:
        from schema import loaders

        if self.entry.officer_id is None:
            return None
        row = await loaders.officer(info.context).load(self.entry.officer_id)  # one batch per page
        return Officer.from_row(row) if row is not None else None

    @classmethod
    def of(cls, entry: logic.ShownEntry) -> AuditEntry:
        subject = None
        if entry.entity_id is not None and entry.entity_type in SUBJECT_TYPES:
            subject = strawberry.ID(to_global_id(entry.entity_type, entry.entity_id))
        return cls(
            at=entry.at,
            action=entry.action,
            subject_type=entry.entity_type,
            subject_id=subject,
            device_id=entry.device_id,
            before=cast(JSON, entry.before),
            after=cast(JSON, entry.after),
            details_withheld=entry.withheld,
            entry=entry,
        )


@strawberry.type(description="An edge of the audit log.")
class AuditEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the audit log.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(
        description="Where this page ends; a page may hold fewer entries than asked (those you may not "
        "see are left out): go on while hasNextPage."
    )


def _cursor(value: str, lang: str) -> tuple[str, int]:
    parsed = ids.parse_global_id(value)
    if parsed is not None and parsed[0] in ("AuditCursor", "AuditOffset") and parsed[1].isdigit():
        return ("id" if parsed[0] == "AuditCursor" else "offset", int(parsed[1][:18]))
    raise InputError("after", message("bad_cursor", lang, field="after"))


def _end(end: tuple[str, int] | None) -> str | None:
    if end is None:
        return None
    return to_global_id("AuditCursor" if end[0] == "id" else "AuditOffset", end[1])


@strawberry.type
class AuditLogQuery:
    @strawberry.field(
        description="The audit log: admins all of it, newest first; supervisors the entries about their "
        "governorates' stations, their records, officers and sign-ins (FORBIDDEN for anyone else). With "
        "`filter.subjectId` of an incident: who read or changed it, and when (oldest first for supervisors)."
    )
    async def audit_log(
        self,
        info: strawberry.Info[Context],
        filter: AuditFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditEntryConnection:
        ctx = info.context
        subject_type = subject_id = None
        actor = None
        if filter is not None and filter.subject_id is not None:
            parsed = ids.parse_global_id(filter.subject_id)
            if parsed is None or parsed[0] not in SUBJECT_TYPES:
                field = "filter.subjectId"
                raise InputError(field, message("bad_id", ctx.lang, field=field, kind="record or account"))
            subject_type, subject_id = parsed
        if filter is not None and filter.actor_id is not None:
            actor = ids.int_key(filter.actor_id, "Officer")
            if actor is None:
                raise InputError(
                    "filter.actorId", message("bad_id", ctx.lang, field="filter.actorId", kind="Officer")
                )
        actions = tuple((filter.actions or ())[:20]) if filter is not None else ()
        page = await logic.read(
            ctx,
            first=first,
            cursor=_cursor(after, ctx.lang) if after is not None else None,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_id=actor,
            actions=tuple(a[:64] for a in actions),
            at_from=filter.from_ if filter is not None else None,
            at_to=filter.to if filter is not None else None,
        )
        end = _end(page.end)
        # By position, each edge's cursor is the page's end: an entry's own id is not told (it would time a
        # withheld entry against other lists).
        edges = [
            AuditEntryEdge(
                cursor=to_global_id("AuditCursor", e.id) if page.end and page.end[0] == "id" else end or "",
                node=AuditEntry.of(e),
            )
            for e in page.entries
        ]
        return AuditEntryConnection(
            edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end)
        )
