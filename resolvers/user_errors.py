"""Expected failures of mutations, returned in the payload's `errors` with a field path, a code and a
localized message (clients branch on the code, people read the message)."""

from __future__ import annotations

import dataclasses

from db import core
from resolvers.messages import message


@dataclasses.dataclass(frozen=True, slots=True)
class FieldError:
    field: tuple[str, ...] | None
    code: str  # an ErrorCode name (schema.common.ErrorCode)
    message: str
    retry_after: int | None = None  # LIMIT_EXCEEDED: seconds until a try is allowed again


class MutationFailed(Exception):
    """Raised by logic to stop a mutation; the resolver turns it into payload errors, nothing is written."""

    def __init__(self, errors: list[FieldError], *, current_version: int | None = None,
                 keep_writes: bool = False) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors
        self.current_version = current_version
        # Some failures must leave a trace that outlives them: a counted failed login, a revoked session.
        self.keep_writes = keep_writes


class Collector:
    """Collects every problem of an input before failing, so the officer fixes them all at once."""

    def __init__(self, lang: str, prefix: tuple[str, ...] = ()) -> None:
        self.lang, self.prefix = lang, prefix
        self.errors: list[FieldError] = []

    def add(self, path: tuple[str, ...], key: str, code: str = "INVALID", **params: object) -> None:
        field = ".".join(path)
        text = message(key, self.lang, field=field, **params)
        self.errors.append(FieldError(self.prefix + path, code, text))

    def check(self) -> None:
        if self.errors:
            raise MutationFailed(self.errors)


def fail(lang: str, path: tuple[str, ...] | None, key: str, code: str = "INVALID", *,
         keep_writes: bool = False, current_version: int | None = None, retry_after: int | None = None,
         **params: object):
    field = ".".join(path) if path else ""
    raise MutationFailed([FieldError(path, code, message(key, lang, field=field, **params), retry_after)],
                         keep_writes=keep_writes, current_version=current_version)


# One savepoint name for every write. SQLAlchemy names each savepoint anew (sa_savepoint_1, _2, ...), so
# every SAVEPOINT and RELEASE was a new statement text: a prepare and an execute each, and the names
# pushed the real statements out of the driver's statement cache. Savepoints here nest properly, and
# PostgreSQL then releases or rolls back to the innermost one of a name, so one name is enough.
_SAVEPOINT = "SAVEPOINT markaz_write"
_RELEASE = "RELEASE SAVEPOINT markaz_write"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT markaz_write"


async def _open(ctx, savepoint: str):
    """Send `savepoint` (a SAVEPOINT statement), releasing a finished write's held savepoint in the same
    round trip; the connection it went on."""
    async with ctx.db() as session:
        # On the connection itself: the repositories write through it (Core). Through SQLAlchemy, which
        # begins the transaction first if nothing has yet; the statement text never changes, so the
        # driver prepares it once per connection.
        connection = await core.connection(session)
        if ctx.savepoint_held:
            ctx.savepoint_held = False
            await core.simple(connection, _RELEASE, savepoint)
        else:
            await connection.exec_driver_sql(savepoint)
    return connection


async def applied_whole(ctx, operation):
    """Run a mutation's logic in a savepoint: on MutationFailed its writes and audit entries are undone
    (unless the failure keeps them), so a mutation applies whole or not at all.

    The savepoint of a write that succeeded at the top level is released together with the next one's
    SAVEPOINT (one round trip instead of two; a sync batch is hundreds of writes in a row), or by the
    commit. A nested write releases its own at once: its caller may still roll back to the name.
    """
    connection = await _open(ctx, _SAVEPOINT)
    audited = len(ctx.audit)
    ctx.savepoint_depth += 1
    try:
        result = await operation()
    except MutationFailed as failure:
        async with ctx.db():
            if failure.keep_writes:
                await core.simple(connection, _RELEASE)
            else:
                await core.simple(connection, _ROLLBACK_TO, _RELEASE)
        if not failure.keep_writes:
            del ctx.audit[audited:]
        raise
    except BaseException:
        async with ctx.db():
            await core.simple(connection, _ROLLBACK_TO, _RELEASE)
        del ctx.audit[audited:]
        raise
    finally:
        ctx.savepoint_depth -= 1
    if ctx.savepoint_depth:
        async with ctx.db():
            await core.simple(connection, _RELEASE)
    else:
        ctx.savepoint_held = True
    return result


# A sync batch's own savepoint, around all of its entries: the point it goes back to when an entry that
# ran without a savepoint of its own met a database error (resolvers/sync.py).
_BATCH = "SAVEPOINT markaz_batch"


async def begin_batch(ctx) -> int:
    """Open the batch's savepoint (releasing a finished write's first: it is outside the batch); the
    audit entries' count, for `restart_batch`."""
    await _open(ctx, _BATCH)
    return len(ctx.audit)


async def restart_batch(ctx, audited: int) -> None:
    """Undo everything the batch did (also in an aborted transaction), to apply it again."""
    async with ctx.db() as session:
        await core.simple(await core.connection(session), "ROLLBACK TO SAVEPOINT markaz_batch")
    ctx.savepoint_held = False
    del ctx.audit[audited:]


async def end_batch(ctx) -> None:
    async with ctx.db() as session:
        await core.simple(await core.connection(session), "RELEASE SAVEPOINT markaz_batch")
    ctx.savepoint_held = False  # released with it
