"""The savepoints that make a mutation apply whole or not at all (resolvers/atomic.py decides when).

One savepoint name for every write. SQLAlchemy names each savepoint anew (sa_savepoint_1, _2, ...), so
every SAVEPOINT and RELEASE was a new statement text: a prepare and an execute each, and the names pushed
the real statements out of the driver's statement cache. Savepoints here nest properly, and PostgreSQL
then releases or rolls back to the innermost one of a name, so one name is enough. A sync batch has a
savepoint of its own around all its entries, the point it goes back to when an entry that ran without a
savepoint of its own met a database error.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db import statements

WRITE = "SAVEPOINT markaz_write"
BATCH = "SAVEPOINT markaz_batch"
_RELEASE = "RELEASE SAVEPOINT markaz_write"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT markaz_write"


async def open_savepoint(session: AsyncSession, savepoint: str, *, release_held: bool) -> AsyncConnection:
    """Send `savepoint` (WRITE or BATCH), releasing a finished write's held savepoint in the same round trip
    when `release_held`; the connection it went on."""
    # On the connection itself: the repositories write through it (Core). Through SQLAlchemy, which begins
    # the transaction first if nothing has yet; the statement text never changes, so the driver prepares
    # it once per connection.
    connection = await statements.connection(session)
    if release_held:
        await statements.simple(connection, _RELEASE, savepoint)
    else:
        await connection.exec_driver_sql(savepoint)
    return connection


async def release(connection: AsyncConnection) -> None:
    await statements.simple(connection, _RELEASE)


async def roll_back(connection: AsyncConnection) -> None:
    """Undo a write's statements since its savepoint, and end the savepoint."""
    await statements.simple(connection, _ROLLBACK_TO, _RELEASE)


async def roll_back_batch(session: AsyncSession) -> None:
    """Undo everything a batch did since its savepoint (also in an aborted transaction)."""
    await statements.simple(await statements.connection(session), "ROLLBACK TO SAVEPOINT markaz_batch")


async def release_batch(session: AsyncSession) -> None:
    await statements.simple(await statements.connection(session), "RELEASE SAVEPOINT markaz_batch")
