"""Running repository statements: Core SQL on the session's connection.

The repositories select tables and columns, never ORM entities, so the ORM's execution layer (entity
loading, bulk-persistence bookkeeping) only costs time: going to the connection skips it, inside the
same transaction and savepoints as the session.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable, Select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

T = TypeVar("T")


async def to_the_end(statement: Awaitable[T]) -> T:
    """Run a statement to its end even when the caller is cancelled; the cancellation is delivered once
    the statement is done.

    GraphQL cancels a field's siblings when one of them fails in a non-null position. A statement cut
    off half-way leaves the connection unusable (SQLAlchemy then invalidates it, and the transaction
    with it); letting it finish first keeps the connection and the request's other work sound.
    """
    running = asyncio.ensure_future(statement)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await running
        raise


async def connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, found once per transaction.

    `AsyncSession.connection()` crosses into SQLAlchemy's greenlet each time, which cost more than a
    small statement's own work (a sync batch runs a thousand and more). Within one active transaction
    the session's connection cannot change, so it is kept on the session, with the transaction it is
    for; a new transaction (after a commit or rollback) or a lost connection asks SQLAlchemy again.
    """
    transaction = session.sync_session.get_transaction()
    if transaction is not None and transaction.is_active:
        kept = session.info.get(_KEPT)
        if kept is not None and kept[0] is transaction:
            return kept[1]
    # Shielded like every statement: opening the transaction sends BEGIN (or SAVEPOINT), and a sibling
    # field's cancellation cutting that off would cost the connection (db/engine.py drops a connection
    # whose command was cut off).
    found = await to_the_end(session.connection())
    transaction = session.sync_session.get_transaction()
    if transaction is not None:
        session.info[_KEPT] = (transaction, found)
    return found


_KEPT = "markaz.connection"


async def execute(session: AsyncSession, statement: Executable, params: Any = None) -> CursorResult[Any]:
    return await to_the_end((await connection(session)).execute(statement, params))


@dataclasses.dataclass(frozen=True, slots=True)
class _Compiled:
    text: str
    names: tuple[str, ...]  # the parameter of each $n, in order
    row: Any  # a named tuple class: rows with attribute access, like SQLAlchemy's rows


_compiled: dict[int, tuple[Select[*tuple[Any, ...]], _Compiled]] = {}
_DIALECT = asyncpg_dialect()


def _compile(statement: Select[*tuple[Any, ...]]) -> _Compiled:
    found = _compiled.get(id(statement))
    if found is not None and found[0] is statement:
        return found[1]
    compiled = statement.compile(dialect=_DIALECT)
    names = tuple(str(column.key) for column in statement.selected_columns)
    result = _Compiled(
        compiled.string, tuple(compiled.positiontup or ()), collections.namedtuple("Row", names, rename=True)
    )
    _compiled[id(statement)] = (statement, result)  # the statement is kept, so its id stays its own
    return result


async def fetch(
    session: AsyncSession, statement: Select[*tuple[Any, ...]], params: dict[str, Any]
) -> list[Any]:
    """The rows of a SELECT built once (the caller keeps it), sent by the driver itself.

    For the hottest reads only: SQLAlchemy's execution layer (compiled-cache lookup, execution context,
    result wrapping) costs more CPU than asyncpg's own work for a small SELECT. The statement is compiled
    once, as SQLAlchemy would compile it for asyncpg, and runs on the session's connection, inside its
    transaction if one has begun. Parameters need no bind processing (numbers, text, arrays of them,
    aware datetimes); rows come back as named tuples with the selected columns' names; JSONB is decoded
    by the codec the engine installed. tests/test_nearest.py checks that this equals `execute`.
    """
    compiled = _compile(statement)
    conn = await connection(session)
    driver = cast(Any, (await conn.get_raw_connection()).driver_connection)  # asyncpg's Connection
    try:
        records = await to_the_end(driver.fetch(compiled.text, *[params[name] for name in compiled.names]))
    except TimeoutError:
        await _drop(conn, driver)
        raise
    except Exception:
        # Failures go through SQLAlchemy, which knows them: a connection closed by a database restart is
        # thrown away with the pool's others (db/faults.py then answers 503 or retries the request).
        return list((await to_the_end(conn.execute(statement, params))).all())
    make = compiled.row._make
    return [make(record) for record in records]


async def simple(connection: AsyncConnection, *statements: str) -> None:
    """Statements without parameters (transaction control), sent by the driver as one simple query: one
    round trip for all, no prepared statement. The connection's transaction must have begun.

    On failure they are sent again through SQLAlchemy, one by one, so that it sees the failure as its
    own (a closed connection is thrown away, and the error is the usual DBAPIError)."""
    driver = cast(Any, (await connection.get_raw_connection()).driver_connection)  # asyncpg's Connection
    try:
        await to_the_end(driver.execute("; ".join(statements)))
    except TimeoutError:
        await _drop(connection, driver)
        raise
    except Exception:
        for statement in statements:
            await to_the_end(connection.exec_driver_sql(statement))


async def _drop(connection: AsyncConnection, driver: Any) -> None:
    """After the driver gave up waiting for the database's answer (asyncpg's command timeout): sending
    the statement again through SQLAlchemy would only wait as long again, so the connection is dropped at
    once, and only it, as db/engine.py does for SQLAlchemy's own statements."""
    driver.terminate()
    await connection.invalidate()
