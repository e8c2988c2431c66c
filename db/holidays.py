"""Every SQL statement about the administrators' changes to the public holidays (`public_holidays`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import PublicHoliday
from db.rows import PublicHolidayRow

_TABLE = PublicHoliday.__table__


async def changes_between(session: AsyncSession, first: date, last: date) -> Sequence[PublicHolidayRow]:
    """The changes whose days meet [first, last] (the caller widens it by how far a move may go)."""
    query = (
        select(_TABLE)
        .where(_TABLE.c.ends_on >= first, _TABLE.c.starts_on <= last)
        .order_by(_TABLE.c.starts_on, _TABLE.c.key)
    )
    return cast("Sequence[PublicHolidayRow]", (await statements.execute(session, query)).all())


async def change_by_key(session: AsyncSession, key: str) -> PublicHolidayRow | None:
    query = select(_TABLE).where(_TABLE.c.key == key)
    return cast("PublicHolidayRow | None", (await statements.execute(session, query)).first())


async def put_change(session: AsyncSession, values: dict[str, Any]) -> PublicHolidayRow:
    """Insert the change, or replace the one of the same key."""
    given = insert(PublicHoliday).values(**values)
    stmt = given.on_conflict_do_update(
        index_elements=[PublicHoliday.key],
        set_={
            **{name: given.excluded[name] for name in values if name != "key"},
            "updated_at": func.clock_timestamp(),
        },
    ).returning(*_TABLE.c)
    return cast("PublicHolidayRow", (await statements.execute(session, stmt)).one())


async def delete_change(session: AsyncSession, key: str) -> None:
    await statements.execute(session, delete(PublicHoliday).where(PublicHoliday.key == key))
