"""SQL of idempotency: the record of what each device-made client id did."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import core
from db.models import ClientRequest

# Built once: every field-work write runs these three, and building a statement costs more than
# sending it. Values travel as parameters.
_TABLE = ClientRequest.__table__
_CLAIM = insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.client_id)
_FIND = select(_TABLE).where(_TABLE.c.client_id == bindparam("client_id"))
_COMPLETE = (update(_TABLE).where(_TABLE.c.client_id == bindparam("key"))
             .values(result_type=bindparam("result_type"), result_id=bindparam("result_id")))


async def claim(session: AsyncSession, *, client_id: uuid.UUID, officer_id: int, kind: str,
                content_hash: str) -> bool:
    """Claim a client id; False when it is already taken.

    A second claim of the same id waits on the unique key until the first transaction ends: then it
    either finds the committed row (and answers with its result) or, if the first rolled back, wins.
    """
    result = await core.execute(session, _CLAIM, {"client_id": client_id, "officer_id": officer_id,
                                                  "kind": kind, "content_hash": content_hash})
    return result.first() is not None


async def find(session: AsyncSession, client_id: uuid.UUID) -> Row[Any] | None:
    return (await core.execute(session, _FIND, {"client_id": client_id})).first()


async def complete(session: AsyncSession, client_id: uuid.UUID, result_type: str, result_id: int) -> None:
    await core.execute(session, _COMPLETE, {"key": client_id, "result_type": result_type,
                                            "result_id": result_id})
