"""SQL of idempotency: the record of what each device-made client id did."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import CTE, Row, Select, Table, Text, bindparam, select, update
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


@functools.cache
def _made_and_completed(table: Table, columns: tuple[str, ...],
                        also: Callable[[CTE], Sequence[CTE]] | None) -> Select[Any]:
    # Parameters are named "p_<column>": a data-modifying statement also sets the columns of its table
    # that share a name with an execution parameter, and the UPDATE's table has client_id and kind too.
    client_id = bindparam("p_client_id", type_=_TABLE.c.client_id.type)
    values = {name: client_id if name == "client_id" else bindparam(f"p_{name}", type_=table.c[name].type)
              for name in columns}
    made = insert(table).values(values).returning(*table.c).cte("made")
    done = (update(_TABLE).where(_TABLE.c.client_id == client_id)
            .values(result_type=bindparam("p_result_type", type_=Text),
                    result_id=select(made.c.id).scalar_subquery())
            .cte("done"))
    return select(*made.c).add_cte(done, *(also(made) if also else ()))


async def insert_completed(session: AsyncSession, table: Table, values: dict[str, Any], result_type: str,
                           also: Callable[[CTE], Sequence[CTE]] | None = None) -> Row[Any]:
    """Insert a row made for a claimed client id and record it as the client id's result, in one statement
    (one round trip instead of two); `also` adds statements on the new row (`made`), like its history.

    The same as an insert followed by `complete`: both run in the caller's transaction and savepoint.
    `values` holds `client_id` and the row's other columns; one statement is built per set of columns.
    """
    statement = _made_and_completed(table, tuple(sorted(values)), also)
    params = {f"p_{name}": value for name, value in values.items()}
    params["p_result_type"] = result_type
    return (await core.execute(session, statement, params)).one()
