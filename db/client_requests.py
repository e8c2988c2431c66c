"""SQL of idempotency: the record of what each device-made client id did."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import core
from db.models import ClientRequest


async def claim(session: AsyncSession, *, client_id: uuid.UUID, officer_id: int, kind: str,
                content_hash: str) -> bool:
    """Claim a client id; False when it is already taken.

    A second claim of the same id waits on the unique key until the first transaction ends: then it
    either finds the committed row (and answers with its result) or, if the first rolled back, wins.
    """
    stmt = insert(ClientRequest).values(client_id=client_id, officer_id=officer_id, kind=kind,
                                        content_hash=content_hash).on_conflict_do_nothing()
    result = await core.execute(session, stmt.returning(ClientRequest.client_id))
    return result.first() is not None


async def find(session: AsyncSession, client_id: uuid.UUID) -> Row[Any] | None:
    return (await core.execute(session, select(ClientRequest.__table__)
                                  .where(ClientRequest.client_id == client_id))).first()


async def complete(session: AsyncSession, client_id: uuid.UUID, result_type: str, result_id: int) -> None:
    await core.execute(session, update(ClientRequest).where(ClientRequest.client_id == client_id)
                          .values(result_type=result_type, result_id=result_id))
