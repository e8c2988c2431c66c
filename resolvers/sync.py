"""Offline sync: a batch of actions queued on a phone, applied in order, each on its own.

Each entry runs in its own savepoint: a bad entry is rolled back and answered REJECTED (or CONFLICT)
while the others stand. A replayed entry (same client id, same content) is a DUPLICATE answered with
the record it made the first time, so resending a whole batch after a lost response changes nothing.
Entries may name records made earlier in the same batch by their client ids (see the design note).
The claims of the batch's client ids are read once at its start, so a resent batch is answered from
them without checking or writing anything.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

from db.faults import is_unavailable
from resolvers.context import Context
from resolvers.fieldwork_common import Applied, claims_of
from resolvers.messages import message
from resolvers.user_errors import FieldError, MutationFailed, applied_whole

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
    outcomes = []
    ctx.claims = await claims_of(ctx, [e.client_id for e in entries if e.client_id is not None])
    try:
        for index, entry in enumerate(entries):
            outcomes.append(await _outcome(ctx, index, entry))
    finally:
        ctx.claims = None
    return outcomes


async def _outcome(ctx: Context, index: int, entry: Entry) -> Outcome:
    if entry.client_id is None:
        text = message("required", ctx.lang, field=f"entries.{index}.{entry.kind}.clientId")
        return Outcome(entry.kind, None, REJECTED,
                       errors=[FieldError((entry.kind, "clientId"), "INVALID", text)])
    try:
        applied = await _with_retries(ctx, entry)
    except MutationFailed as failure:
        conflict = any(e.code == "CONFLICT" for e in failure.errors)
        return Outcome(entry.kind, entry.client_id, CONFLICT if conflict else REJECTED,
                       errors=_prefixed(entry.kind, failure.errors), current_version=failure.current_version)
    except Exception as error:  # one broken entry must not lose the rest of the batch
        if is_unavailable(error):
            # Not this entry's fault, and not final: the whole request fails with 503 and nothing
            # is committed, so the phone keeps its queue and sends the batch again.
            raise
        _log.exception("sync entry %d (%s) failed unexpectedly", index, entry.kind)
        text = message("internal", ctx.lang, request_id=ctx.request_id)
        return Outcome(entry.kind, entry.client_id, REJECTED,
                       errors=[FieldError((entry.kind,), "INVALID", text)])
    status = DUPLICATE if applied.duplicate else APPLIED
    return Outcome(entry.kind, entry.client_id, status, row=applied.row)


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
