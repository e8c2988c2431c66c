"""Mutations apply whole or not at all: each write runs in a savepoint (db/savepoints.py), undone with
its audit entries when it fails, and a sync batch has a savepoint of its own around its entries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from db import savepoints
from resolvers.context import Context
from resolvers.mutation_errors import MutationFailed

T = TypeVar("T")


async def _open(ctx: Context, savepoint: str) -> AsyncConnection:
    async with ctx.db() as session:
        connection = await savepoints.open_savepoint(session, savepoint, release_held=ctx.savepoint_held)
    ctx.savepoint_held = False
    return connection


async def applied_whole(ctx: Context, operation: Callable[[], Awaitable[T]]) -> T:
    """Run a mutation's logic in a savepoint: on MutationFailed its writes and audit entries are undone
    (unless the failure keeps them), so a mutation applies whole or not at all.

    The savepoint of a write that succeeded at the top level is released together with the next one's
    SAVEPOINT (one round trip instead of two; a sync batch is hundreds of writes in a row), or by the
    commit. A nested write releases its own at once: its caller may still roll back to the name.
    """
    connection = await _open(ctx, savepoints.WRITE)
    audited = len(ctx.audit)
    ctx.savepoint_depth += 1
    try:
        result = await operation()
    except MutationFailed as failure:
        async with ctx.db():
            if failure.keep_writes:
                await savepoints.release(connection)
            else:
                await savepoints.roll_back(connection)
        if not failure.keep_writes:
            del ctx.audit[audited:]
        raise
    except BaseException:
        async with ctx.db():
            await savepoints.roll_back(connection)
        del ctx.audit[audited:]
        raise
    finally:
        ctx.savepoint_depth -= 1
    if ctx.savepoint_depth:
        async with ctx.db():
            await savepoints.release(connection)
    else:
        ctx.savepoint_held = True
    return result


async def begin_batch(ctx: Context) -> int:
    """Open the batch's savepoint (releasing a finished write's first: it is outside the batch); the
    audit entries' count, for `restart_batch`."""
    await _open(ctx, savepoints.BATCH)
    return len(ctx.audit)


async def restart_batch(ctx: Context, audited: int) -> None:
    """Undo everything the batch did (also in an aborted transaction), to apply it again."""
    async with ctx.db() as session:
        await savepoints.roll_back_batch(session)
    ctx.savepoint_held = False
    del ctx.audit[audited:]


async def end_batch(ctx: Context) -> None:
    async with ctx.db() as session:
        await savepoints.release_batch(session)
    ctx.savepoint_held = False  # released with it
