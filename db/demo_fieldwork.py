"""Bulk writes for the demo field-work data set (officers, patrols with tracks, engagements, incidents)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import patrols
from db.cells import with_cells
from db.models import Officer, Patrol, PatrolFix, Station


def _located(model: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a located table (one with an H3 cell) get their cell; others go as they are."""
    return with_cells(rows) if "h3_cell" in model.__table__.c else list(rows)


async def stations_by_external_ids(session: AsyncSession, external_ids: Sequence[str]) -> dict[str, Any]:
    query = select(Station.__table__).where(Station.external_id.in_(list(external_ids)))
    rows = (await session.execute(query)).all()
    return {row.external_id: row for row in rows}


async def officer_ids_by_badge(session: AsyncSession, badges: Sequence[str]) -> dict[str, int]:
    rows = (
        await session.execute(
            select(Officer.badge_number, Officer.id).where(Officer.badge_number.in_(list(badges)))
        )
    ).all()
    return {badge: officer_id for badge, officer_id in rows}


async def has_field_data(session: AsyncSession) -> bool:
    return (await session.execute(select(Patrol.id).limit(1))).first() is not None


async def insert_returning_ids(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert rows; their ids in input order (PostgreSQL returns them in order with insertmanyvalues)."""
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    result = await session.execute(stmt, _located(model, rows))
    return [r[0] for r in result.all()]


async def insert_rows(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    if model is PatrolFix:
        await _insert_fixes(session, rows)
    elif rows:
        await session.execute(insert(model), _located(model, rows))


async def _insert_fixes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Fixes in statements of 5,000 rows: the activity rollups fold patrol fixes once per statement, and
    tens of thousands of one-row statements would make seeding minutes long."""
    for start in range(0, len(rows), 5000):
        await patrols.insert_fixes(session, rows[start : start + 5000])
