"""The statements `markaz stations export` and the importer's "what changed" check read stations with.

Every station, active or not, with every closure, past ones too: an export states stations in full, as
an import does (db/stations.replace_closures).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import Station, StationClosure

_STATIONS = Station.__table__
_COLUMNS = [column for column in _STATIONS.c if column.name != "open_weekly"]
_CLOSURES = StationClosure.__table__


async def begin_snapshot(session: AsyncSession) -> None:
    """Make the session's transaction one read-only snapshot, so that an export's pages agree with one
    another while the server goes on writing. The transaction's first statement."""
    await statements.execute(session, text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


async def count_all(session: AsyncSession) -> int:
    return int((await statements.execute(session, select(func.count()).select_from(_STATIONS))).scalar_one())


async def stations_after(session: AsyncSession, after_id: int, limit: int) -> Sequence[Row[Any]]:
    """A page of every station in id order, the first with an id above `after_id`."""
    query = select(*_COLUMNS).where(_STATIONS.c.id > after_id).order_by(_STATIONS.c.id).limit(limit)
    return (await statements.execute(session, query)).all()


async def stations_by_external_ids(session: AsyncSession, external_ids: Sequence[str]) -> list[Row[Any]]:
    query = select(*_COLUMNS).where(_STATIONS.c.external_id.in_(list(external_ids)))
    return list((await statements.execute(session, query)).all())


async def closures_of(session: AsyncSession, station_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """Every closure of the stations, per station, in the order they were written (id order)."""
    query = (
        select(_CLOSURES)
        .where(_CLOSURES.c.station_id.in_(list(station_ids)))
        .order_by(_CLOSURES.c.station_id, _CLOSURES.c.id)
    )
    found: dict[int, list[Row[Any]]] = {station_id: [] for station_id in station_ids}
    for row in (await statements.execute(session, query)).all():
        found[row.station_id].append(row)
    return found
