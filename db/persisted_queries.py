"""SQL of persisted queries: find a document by its sha256, store one (once)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import PersistedQuery

_TABLE = cast(Table, PersistedQuery.__table__)
_FIND = select(_TABLE.c.document).where(_TABLE.c.sha256 == bindparam("sha256"))
_STORE = insert(_TABLE).on_conflict_do_nothing()


async def find(session: AsyncSession, sha256: str) -> str | None:
    return (await statements.execute(session, _FIND, {"sha256": sha256})).scalar()


async def store(session: AsyncSession, sha256: str, document: str) -> None:
    """Store a verified document; storing one that is there already is a no-op (it is the same text)."""
    await statements.execute(session, _STORE, {"sha256": sha256, "document": document})
