"""Corrections of incidents and engagements: a record changed after it was sent, with who changed what,
when and why kept beside it (`incident_corrections`, `engagement_corrections`) and in the audit log.

A correction names the version it was made against (`expectedVersion`: CONFLICT when the record moved
on), gives a reason, and is idempotent by its client id; it changes only the fields that differ from the
record, and a correction that would change nothing is refused. resolvers.incidents and
resolvers.engagements check their inputs and say what differs (`Change`); `correct` does the rest, the
same way for both. Who may correct is resolvers.policy's; how the history shows is decided where it is
shown (schema.incidents, schema.engagements) through resolvers.disclosure.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from db import client_requests as client_repo
from db import corrections as repo
from resolvers import audit
from resolvers.context import Context
from resolvers.field_checks import check_text
from resolvers.idempotency import Applied, claim, content_hash
from resolvers.messages import message
from resolvers.mutation_errors import Collector, FieldError, MutationFailed, fail

MAX_REASON = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class Correctable:
    """One kind of record that corrections change."""

    kind: str  # the mutation, and the client-request kind: "correctIncident"
    entity: str  # "Incident"
    history: Table  # where its corrections are kept (db.corrections)
    record_column: str  # the history's column naming the record: "incident_id"
    update: Callable[[AsyncSession, int, int, dict[str, Any]], Awaitable[Any]]
    audit_view: Callable[[Any], dict[str, Any]]
    # Whether the reason is written to the audit log as given (else its SHA-256): an incident's texts stay
    # out of the log, which administrators read and which is kept forever; an engagement's are logged.
    audit_reason: bool


@dataclasses.dataclass(slots=True)
class Change:
    """What a correction would change: the columns to set and, per field (by its input name), the values
    before and after as JSON; `given` are the fields the input gave, changed or not."""

    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    changes: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    given: list[str] = dataclasses.field(default_factory=list)

    def compare(self, field: str, before: Any, after: Any, values: dict[str, Any]) -> None:
        """The field `field` was given as `after` (JSON) where the record has `before`: when they differ,
        the correction sets `values` (columns) and keeps both."""
        self.given.append(field)
        if before != after:
            self.values.update(values)
            self.changes[field] = {"before": before, "after": after}


def check_reason(problems: Collector, reason: str | None) -> str | None:
    return check_text(problems, ("reason",), reason, max_length=MAX_REASON, required=True)


def require_fields(problems: Collector, input: Any, fields: tuple[str, ...]) -> None:
    """At least one of the correctable fields (one-word names, the same in Python and in the input) must
    be given."""
    if all(getattr(input, name) is None for name in fields):
        problems.add((fields[0],), "nothing_to_correct", fields=", ".join(fields))


def stale(ctx: Context, given: int, current: int) -> NoReturn:
    """CONFLICT on `expectedVersion`, with the record's version now (to reload and try again)."""
    fail(
        ctx.lang,
        ("expectedVersion",),
        "stale_version",
        "CONFLICT",
        current_version=current,
        given=given,
        current=current,
    )


async def correct(
    ctx: Context,
    what: Correctable,
    input: Any,
    reason: str,
    load: Callable[[], Awaitable[Any]],
    diff: Callable[[Any], Change],
    replayed: Callable[[int | None], Awaitable[Any]],
) -> Applied:
    """Apply a checked correction: claim its client id (a resent one is answered with the record as it
    now is, DUPLICATE), `load()` the record (NOT_FOUND out of scope, FORBIDDEN for one the viewer may see
    but not correct), check the version, set what `diff(record)` says differs, keep the history row and
    write the audit entry; all in the caller's savepoint (resolvers.atomic), so a failure leaves nothing.
    """
    claimed = await claim(ctx, input.client_id, what.kind, content_hash(what.kind, input))
    if not claimed.new:
        return Applied(await replayed(claimed.result_id), duplicate=True)
    row = await load()
    if row.version != input.expected_version:
        stale(ctx, input.expected_version, row.version)
    change = diff(row)
    if not change.changes:
        raise MutationFailed(
            [
                FieldError((field,), "INVALID", message("already_recorded", ctx.lang, field=field))
                for field in change.given
            ]
        )
    async with ctx.db() as session:
        updated = await what.update(session, row.id, input.expected_version, change.values)
        if updated is not None:
            kept = await repo.insert_correction(
                session,
                what.history,
                {
                    what.record_column: row.id,
                    "version": updated.version,
                    "corrected_by_id": ctx.viewer.officer_id,
                    "reason": reason,
                    "changes": change.changes,
                },
            )
            await client_repo.complete(session, input.client_id, what.entity, row.id)
    if updated is None:  # another change won the race since the record was read
        stale(ctx, input.expected_version, (await load()).version)
    why = (
        {"reason": reason}
        if what.audit_reason
        else {"reason_sha256": hashlib.sha256(reason.encode()).hexdigest()}
    )
    audit.record(
        ctx,
        what.kind,
        what.entity,
        row.id,
        before=what.audit_view(row),
        after={**what.audit_view(updated), "corrected": sorted(change.changes), "correction": kept.id, **why},
    )
    return Applied(updated)
