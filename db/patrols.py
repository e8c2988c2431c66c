"""Every SQL statement about patrols and their GPS fixes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, false, func, or_, select, true, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import core
from db.cells import with_cells
from db.models import Patrol, PatrolFix, Station

_PATROLS = Patrol.__table__
_INSERT_PATROL = insert(_PATROLS).returning(*_PATROLS.c)  # built once; values go as parameters
_FIXES = PatrolFix.__table__
IMPOSSIBLE_SPEED = "IMPOSSIBLE_SPEED"


async def insert_patrol(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    return (await core.execute(session, _INSERT_PATROL, values)).one()


async def update_patrol(session: AsyncSession, patrol_id: int, values: dict[str, Any]) -> Row[Any]:
    stmt = update(Patrol).where(Patrol.id == patrol_id).values(**values).returning(*_PATROLS.c)
    return (await core.execute(session, stmt)).one()


async def patrol_locked(session: AsyncSession, *, patrol_id: int | None = None,
                        client_id: uuid.UUID | None = None) -> Row[Any] | None:
    """The patrol by id or by its device-made id, locked until the transaction ends (appends queue up)."""
    query = select(_PATROLS).with_for_update()
    query = query.where(Patrol.id == patrol_id) if patrol_id is not None else query.where(
        Patrol.client_id == client_id)
    return (await core.execute(session, query)).first()


async def patrols_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Row[Any]]:
    rows = (await core.execute(session, select(_PATROLS).where(Patrol.id.in_(list(ids))))).all()
    return {row.id: row for row in rows}


async def track(session: AsyncSession, patrol_id: int) -> Sequence[Row[Any]]:
    """Every stored fix of a patrol, flagged or not, in time order."""
    query = (select(PatrolFix.recorded_at, PatrolFix.latitude, PatrolFix.longitude, PatrolFix.accuracy_m,
                    PatrolFix.flags)
             .where(PatrolFix.patrol_id == patrol_id).order_by(PatrolFix.recorded_at))
    return (await core.execute(session, query)).all()


async def insert_fixes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert fixes in one statement; one already stored at the same instant is left as it is."""
    if not rows:
        return 0
    stmt = (insert(PatrolFix).values(with_cells(rows)).on_conflict_do_nothing()
            .returning(PatrolFix.recorded_at))
    return len((await core.execute(session, stmt)).all())


async def set_impossible_speed(session: AsyncSession, patrol_id: int, *, add: Sequence[datetime],
                               remove: Sequence[datetime]) -> None:
    """Flag (or clear) IMPOSSIBLE_SPEED on stored fixes: at most two statements whatever the counts."""
    where = PatrolFix.patrol_id == patrol_id
    if add:
        await core.execute(session, update(PatrolFix).where(where, PatrolFix.recorded_at.in_(list(add)))
                              .values(flags=func.array_append(PatrolFix.flags, IMPOSSIBLE_SPEED)))
    if remove:
        await core.execute(session, update(PatrolFix).where(where, PatrolFix.recorded_at.in_(list(remove)))
                              .values(flags=func.array_remove(PatrolFix.flags, IMPOSSIBLE_SPEED)))


def _kept():
    return ~PatrolFix.flags.contains([IMPOSSIBLE_SPEED])


async def kept_tracks(session: AsyncSession, patrol_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """The fixes that count (not IMPOSSIBLE_SPEED) of each patrol, in time order."""
    query = (select(PatrolFix.patrol_id, PatrolFix.latitude, PatrolFix.longitude)
             .where(PatrolFix.patrol_id.in_(list(patrol_ids)), _kept())
             .order_by(PatrolFix.patrol_id, PatrolFix.recorded_at))
    result: dict[int, list[Row[Any]]] = {pid: [] for pid in patrol_ids}
    for row in (await core.execute(session, query)).all():
        result[row.patrol_id].append(row)
    return result


async def track_ends(session: AsyncSession, patrol_ids: Sequence[int]) -> dict[int, Row[Any]]:
    """Per patrol: the time of its last fix, and where its last kept fix is (both walk the primary key
    backwards from the end, one row each)."""
    ids = select(Patrol.id).where(Patrol.id.in_(list(patrol_ids))).subquery("p")
    last_any = (select(PatrolFix.recorded_at).where(PatrolFix.patrol_id == ids.c.id)
                .order_by(PatrolFix.recorded_at.desc()).limit(1).lateral("last_any"))
    last_kept = (select(PatrolFix.latitude, PatrolFix.longitude)
                 .where(PatrolFix.patrol_id == ids.c.id, _kept())
                 .order_by(PatrolFix.recorded_at.desc()).limit(1).lateral("last_kept"))
    query = (select(ids.c.id, last_any.c.recorded_at.label("last_fix_at"), last_kept.c.latitude,
                    last_kept.c.longitude)
             .select_from(ids.outerjoin(last_any, true()).outerjoin(last_kept, true())))
    rows = (await core.execute(session, query)).all()
    return {row.id: row for row in rows}


def _conditions(*, scope_everything: bool, scope_station_ids: Sequence[int],
                scope_governorates: Sequence[str], station_id: int | None = None,
                governorate: str | None = None, status: str | None = None, officer_id: int | None = None,
                from_: datetime | None = None, to: datetime | None = None):
    """The patrols within the viewer's scope (stations, or stations of governorates) and the filter."""
    conditions = []
    if not scope_everything:
        allowed = []
        if scope_station_ids:
            allowed.append(Patrol.station_id.in_(list(scope_station_ids)))
        if scope_governorates:
            allowed.append(Patrol.station_id.in_(
                select(Station.id).where(Station.governorate_code.in_(list(scope_governorates)))))
        conditions.append(or_(*allowed) if allowed else false())
    if station_id is not None:
        conditions.append(Patrol.station_id == station_id)
    if governorate is not None:
        conditions.append(Patrol.station_id.in_(
            select(Station.id).where(Station.governorate_code == governorate)))
    if status is not None:
        conditions.append(Patrol.status == status)
    if officer_id is not None:
        conditions.append(Patrol.officer_ids.contains([officer_id]))
    if from_ is not None:  # still going on at `from_`, or ended after it
        conditions.append(or_(Patrol.ended_at.is_(None), Patrol.ended_at >= from_))
    if to is not None:
        conditions.append(Patrol.started_at < to)
    return and_(true(), *conditions)


async def list_patrols(session: AsyncSession, *, after: tuple[datetime, int] | None, limit: int,
                       **filters: Any) -> Sequence[Row[Any]]:
    """A page of patrols, newest start first; `after` is the (started_at, id) of the last one seen."""
    query = select(_PATROLS).where(_conditions(**filters))
    if after is not None:
        query = query.where(tuple_(Patrol.started_at, Patrol.id) < tuple_(*after))
    query = query.order_by(Patrol.started_at.desc(), Patrol.id.desc()).limit(limit)
    return (await core.execute(session, query)).all()


async def count_patrols(session: AsyncSession, **filters: Any) -> int:
    query = select(func.count()).select_from(_PATROLS).where(_conditions(**filters))
    return int((await core.execute(session, query)).scalar_one())
