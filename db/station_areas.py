"""The SQL of station areas: storing each station's area, reading areas back, and the areas whose box
holds a point (through the GiST index on `box(point(west, south), point(east, north))`, migration 0021)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import BigInteger, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import Station, StationArea
from db.rows import StationAreaRow, StationRow

_AREAS = StationArea.__table__


async def stations_by_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, StationRow]:
    """Stations by their code (`external_id`)."""
    query = select(Station.__table__).where(Station.external_id.in_(list(codes)))
    rows = (await statements.execute(session, query)).all()
    return cast("dict[str, StationRow]", {row.external_id: row for row in rows})


async def station_ids(session: AsyncSession, ids: Sequence[int]) -> set[int]:
    query = select(Station.id).where(Station.id.in_(list(ids)))
    return {int(i) for i in (await statements.execute(session, query)).scalars()}


async def areas_of(session: AsyncSession, station_ids: Sequence[int]) -> dict[int, StationAreaRow]:
    query = select(_AREAS).where(
        StationArea.station_id == func.any(bindparam("ids", type_=ARRAY(BigInteger)))
    )
    rows = (await statements.execute(session, query, {"ids": list(station_ids)})).all()
    return cast("dict[int, StationAreaRow]", {row.station_id: row for row in rows})


async def put_area(session: AsyncSession, station_id: int, values: dict[str, Any]) -> None:
    """Set the station's area (replacing the one it had)."""
    stmt = insert(StationArea).values(station_id=station_id, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[StationArea.station_id], set_={**values, "updated_at": func.now()}
    )
    await statements.execute(session, stmt)


# The same expression as the index's, so that the planner uses it; the smallest box first (where areas
# overlap, the more precise one answers), then the lowest station id (a fixed order).
_CANDIDATES = text(
    """
    SELECT a.station_id, a.geometry
    FROM station_areas a JOIN stations s ON s.id = a.station_id
    WHERE box(point(a.west, a.south), point(a.east, a.north)) @> box(point(:x, :y), point(:x, :y))
      AND s.active
    ORDER BY (a.east - a.west) * (a.north - a.south), a.station_id
    LIMIT 50
    """
)


async def candidates(session: AsyncSession, latitude: float, longitude: float) -> Sequence[Any]:
    """The (at most 50) areas of active stations whose box holds the point."""
    return (await statements.execute(session, _CANDIDATES, {"x": longitude, "y": latitude})).all()
