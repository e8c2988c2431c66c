"""Offline sync: a batch of actions queued on a phone, applied in order, each on its own.

Each entry stands alone: a bad entry is rolled back (its savepoint) and answered REJECTED (or CONFLICT)
while the others stand; creates that check before they write need no savepoint (see LEAN). A replayed
entry (same client id, same content) is a DUPLICATE answered with the record it made the first time, so
resending a whole batch after a lost response changes nothing. Entries may name records made earlier in
the same batch by their client ids (see the design note). The claims of the batch's client ids are read
once at its start, so a resent batch is answered from them without checking or writing anything.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

from db.faults import is_unavailable
from resolvers.atomic import applied_whole, begin_batch, end_batch, restart_batch
from resolvers.context import Context
from resolvers.idempotency import Applied, claims_of
from resolvers.messages import message
from resolvers.mutation_errors import FieldError, MutationFailed

MAX_ENTRIES = 500
APPLIED, DUPLICATE, CONFLICT, REJECTED = "APPLIED", "DUPLICATE", "CONFLICT", "REJECTED"
_log = logging.getLogger("markaz.sync")


@dataclasses.dataclass(slots=True)
class Entry:
    kind: str  # the mutation it replays, e.g. "startPatrol"
    client_id: uuid.UUID | None
    run: Callable[[], Awaitable[Applied]]


@dataclasses.dataclass(slots=True)
class Outcome:
    kind: str
    client_id: uuid.UUID | None
    status: str
    row: Any = None
    errors: list[FieldError] = dataclasses.field(default_factory=list)
    current_version: int | None = None  # of the record, when the entry was stale


async def apply_batch(ctx: Context, entries: list[Entry]) -> list[Outcome]:
    """Apply the entries in order; every entry gets an outcome, whatever happened to the others."""
    ctx.claims = await claims_of(ctx, [e.client_id for e in entries if e.client_id is not None])
    try:
        audited = await begin_batch(ctx)
        try:
            outcomes = [await _outcome(ctx, index, entry, lean=True) for index, entry in enumerate(entries)]
        except _Restart as restart:
            _log.warning(
                "sync batch applied again, every entry in a savepoint",
                extra={"error": f"{type(restart.__cause__).__name__}: {restart.__cause__}"},
            )
            await restart_batch(ctx, audited)
            outcomes = [await _outcome(ctx, index, entry, lean=False) for index, entry in enumerate(entries)]
        await end_batch(ctx)
        return outcomes
    finally:
        ctx.claims = None


# Creates that check everything before their one write (idempotency.create_once) need no savepoint
# of their own: a failed check has written nothing. A savepoint is two statements' worth of work for
# the database and a round trip, for each of a batch's hundreds of incidents and engagements. Should
# such a write fail in the database (the checks make that unexpected: a timeout, a deadlock), the
# transaction is aborted; the batch then goes back to its own savepoint and is applied again, every
# entry in a savepoint, so the answers are the same as if it had been applied that way from the start.
LEAN = frozenset({"reportIncident", "logEngagement", "addFollowUpAction"})


class _Restart(Exception):
    """A lean entry's write failed in the database: apply the batch again, carefully."""


async def _outcome(ctx: Context, index: int, entry: Entry, *, lean: bool) -> Outcome:
    if entry.client_id is None:
        text = message("required", ctx.lang, field=f"entries.{index}.{entry.kind}.clientId")
        return Outcome(
            entry.kind, None, REJECTED, errors=[FieldError((entry.kind, "clientId"), "INVALID", text)]
        )
    try:
        if lean and entry.kind in LEAN:
            applied = await _without_savepoint(entry)
        else:
            applied = await _with_retries(ctx, entry)
    except _Restart:
        raise
    except MutationFailed as failure:
        conflict = any(e.code == "CONFLICT" for e in failure.errors)
        return Outcome(
            entry.kind,
            entry.client_id,
            CONFLICT if conflict else REJECTED,
            errors=_prefixed(entry.kind, failure.errors),
            current_version=failure.current_version,
        )
    except Exception as error:  # one broken entry must not lose the rest of the batch
        if is_unavailable(error):
            # Not this entry's fault, and not final: the whole request fails with 503 and nothing
            # is committed, so the phone keeps its queue and sends the batch again.
            raise
        _log.exception("sync entry %d (%s) failed unexpectedly", index, entry.kind)
        text = message("internal", ctx.lang, request_id=ctx.request_id)
        return Outcome(
            entry.kind, entry.client_id, REJECTED, errors=[FieldError((entry.kind,), "INVALID", text)]
        )
    status = DUPLICATE if applied.duplicate else APPLIED
    return Outcome(entry.kind, entry.client_id, status, row=applied.row)


async def _without_savepoint(entry: Entry) -> Applied:
    try:
        return await entry.run()
    except MutationFailed:
        raise  # a failed check: nothing was written
    except Exception as error:
        if is_unavailable(error):
            raise
        raise _Restart from error


# Deadlocks and serialization failures are transient: two phones' batches touching the same records in
# different orders. The entry's savepoint is rolled back and the entry tried again, rather than answered
# REJECTED, which a phone would take as final.
_TRANSIENT = frozenset({"40P01", "40001"})
_ATTEMPTS = 3


async def _with_retries(ctx: Context, entry: Entry) -> Applied:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return await applied_whole(ctx, entry.run)
        except DBAPIError as error:
            code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
            if code not in _TRANSIENT or attempt == _ATTEMPTS:
                raise
            _log.info("sync entry %s retried after %s", entry.kind, code)
    raise AssertionError("unreachable")  # pragma: no cover


def _prefixed(kind: str, errors: list[FieldError]) -> list[FieldError]:
    """Field paths inside the entry: ["reportIncident", "location", "latitude"]."""
    return [dataclasses.replace(e, field=(kind, *e.field) if e.field else (kind,)) for e in errors]
