"""The audit log's SQL: appending entries to the chain, reading it back in order, and its head.

The chain's key is no part of the database: a process puts it on the sessions it makes
(`db.engine.make_sessionmaker(audit_key=...)`, under `KEY_INFO` in `session.info`), from its settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import AuditEntry

_AUDIT_LOCK = 7_272_002
GENESIS = "0" * 64
KEY_INFO = "markaz.audit_key"


def session_key(session: AsyncSession) -> bytes | None:
    """The audit chain's key the session was made with, if any."""
    return session.info.get(KEY_INFO)


async def last_hash_locked(session: AsyncSession) -> str:
    """The chain's last hash, holding the chain's lock until the transaction ends.

    Appends are serialized so that each entry's `prev_hash` really is the entry before it. The lock is
    taken as late as possible (entries are buffered per request and written just before commit).
    """
    await statements.execute(session, text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK})
    last = select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    found = (await statements.execute(session, last)).scalar()
    return found or GENESIS


async def insert_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await statements.execute(session, insert(AuditEntry), list(rows))


async def entries_in_order(session: AsyncSession, batch: int = 5000) -> AsyncIterator[Any]:
    last_id = 0
    while True:
        rows = (
            await statements.execute(
                session,
                select(AuditEntry.__table__)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch),
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id


async def head(session: AsyncSession) -> Any | None:
    """The newest entry's id, hash and key id (entries commit in chain order: appends hold the lock)."""
    query = select(AuditEntry.id, AuditEntry.hash, AuditEntry.key_id).order_by(AuditEntry.id.desc()).limit(1)
    return (await statements.execute(session, query)).first()
