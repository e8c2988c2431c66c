"""SQL of idempotency: the record of what each device-made client id did."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import (
    CTE,
    BigInteger,
    Row,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import ClientRequest
from db.rows import ClientRequestRow

# Built once: every field-work write runs these three, and building a statement costs more than
# sending it. Values travel as parameters.
_TABLE = cast(Table, ClientRequest.__table__)
_CLAIM = insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.client_id)
_FIND = select(_TABLE).where(_TABLE.c.client_id == bindparam("client_id"))
_COMPLETE = (
    update(_TABLE)
    .where(_TABLE.c.client_id == bindparam("key"))
    .values(result_type=bindparam("result_type"), result_id=bindparam("result_id"))
)


async def claim(
    session: AsyncSession, *, client_id: uuid.UUID, officer_id: int, kind: str, content_hash: str
) -> bool:
    """Claim a client id; False when it is already taken.

    A second claim of the same id waits on the unique key until the first transaction ends: then it
    either finds the committed row (and answers with its result) or, if the first rolled back, wins.
    """
    result = await statements.execute(
        session,
        _CLAIM,
        {"client_id": client_id, "officer_id": officer_id, "kind": kind, "content_hash": content_hash},
    )
    return result.first() is not None


async def find(session: AsyncSession, client_id: uuid.UUID) -> ClientRequestRow | None:
    return cast(
        "ClientRequestRow | None",
        (await statements.execute(session, _FIND, {"client_id": client_id})).first(),
    )


_FIND_MANY = select(_TABLE).where(
    _TABLE.c.client_id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))
)


async def find_many(session: AsyncSession, client_ids: Sequence[uuid.UUID]) -> Sequence[ClientRequestRow]:
    return cast(
        "Sequence[ClientRequestRow]",
        (await statements.execute(session, _FIND_MANY, {"ids": list(client_ids)})).all(),
    )


async def complete(session: AsyncSession, client_id: uuid.UUID, result_type: str, result_id: int) -> None:
    await statements.execute(
        session, _COMPLETE, {"key": client_id, "result_type": result_type, "result_id": result_id}
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Claimant:
    """Who claims a client id, for what, and with what content (see `insert_claimed`)."""

    officer_id: int
    kind: str
    content_hash: str


@functools.cache
def _claimed_and_made(
    table: Table, columns: tuple[str, ...], also: Callable[[CTE], Sequence[CTE]] | None
) -> Select[Any]:
    # The new row's id is drawn from its table's sequence by the claim itself, so the claim is written
    # whole (with its result) and the row is made only if the claim was: no second statement to
    # complete it. Parameters are named "p_<column>": a data-modifying statement also sets the columns
    # of its table that share a name with an execution parameter, and both tables have client_id.
    client_id = bindparam("p_client_id", type_=_TABLE.c.client_id.type)
    new_id = func.nextval(literal_column(f"pg_get_serial_sequence('{table.name}', 'id')"), type_=BigInteger)
    claimed = (
        insert(_TABLE)
        .values(
            client_id=client_id,
            officer_id=bindparam("p_claim_officer_id", type_=BigInteger),
            kind=bindparam("p_claim_kind", type_=Text),
            content_hash=bindparam("p_claim_hash", type_=Text),
            result_type=bindparam("p_result_type", type_=Text),
            result_id=new_id,
        )
        .on_conflict_do_nothing()
        .returning(_TABLE.c.result_id)
        .cte("claimed")
    )
    values = [
        client_id if name == "client_id" else bindparam(f"p_{name}", type_=table.c[name].type)
        for name in columns
    ]
    made = (
        insert(table)
        .from_select(["id", *columns], select(claimed.c.result_id, *values))
        .returning(*table.c)
        .cte("made")
    )
    return select(*made.c).add_cte(claimed, made, *(also(made) if also else ()))


async def insert_claimed(
    session: AsyncSession,
    table: Table,
    values: dict[str, Any],
    claimant: Claimant,
    result_type: str,
    also: Callable[[CTE], Sequence[CTE]] | None = None,
) -> Row[Any] | None:
    """Claim `values["client_id"]` and insert the row it makes, in one statement; None, with nothing
    written, when the client id was already taken (the caller then looks at what took it).

    Like `claim`, a claim of an id that another transaction is claiming waits for that transaction's
    end. `also` adds statements on the new row (`made`); one statement is built per set of columns.
    """
    statement = _claimed_and_made(table, tuple(sorted(values)), also)
    params = {f"p_{name}": value for name, value in values.items()}
    params.update(
        p_claim_officer_id=claimant.officer_id,
        p_claim_kind=claimant.kind,
        p_claim_hash=claimant.content_hash,
        p_result_type=result_type,
    )
    return (await statements.execute(session, statement, params)).first()
