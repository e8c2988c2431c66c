"""Every SQL statement about the history of corrections of incidents and engagements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Row, Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import EngagementCorrection, IncidentCorrection

INCIDENTS: Table = IncidentCorrection.__table__  # type: ignore[assignment]
ENGAGEMENTS: Table = EngagementCorrection.__table__  # type: ignore[assignment]
_RECORD = {INCIDENTS.name: "incident_id", ENGAGEMENTS.name: "engagement_id"}
# Built once per table: a sync batch of corrections runs them again and again.
_INSERT = {t.name: insert(t).returning(*t.c) for t in (INCIDENTS, ENGAGEMENTS)}
_FOR = {
    t.name: select(t)
    .where(t.c[_RECORD[t.name]] == any_(bindparam("ids", type_=ARRAY(BigInteger))))
    .order_by(t.c[_RECORD[t.name]], t.c.version, t.c.id)
    for t in (INCIDENTS, ENGAGEMENTS)
}


async def insert_correction(session: AsyncSession, table: Table, values: dict[str, Any]) -> Row[Any]:
    return (await statements.execute(session, _INSERT[table.name], values)).one()


async def corrections_for(
    session: AsyncSession, table: Table, ids: Sequence[int]
) -> dict[int, list[Row[Any]]]:
    """Each record's corrections, oldest first."""
    found: dict[int, list[Row[Any]]] = {i: [] for i in ids}
    column = _RECORD[table.name]
    for row in (await statements.execute(session, _FOR[table.name], {"ids": list(ids)})).all():
        found[getattr(row, column)].append(row)
    return found
