"""Running repository statements: Core SQL on the session's connection.

The repositories select tables and columns, never ORM entities, so the ORM's execution layer (entity
loading, bulk-persistence bookkeeping) only costs time: going to the connection skips it, inside the
same transaction and savepoints as the session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncSession


async def execute(session: AsyncSession, statement: Executable, params: Any = None) -> CursorResult[Any]:
    connection = await session.connection()
    return await connection.execute(statement, params)
