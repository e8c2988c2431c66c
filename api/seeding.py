"""`markaz seed --demo` and `markaz serve --demo`: the demo data set, reproducible from a seed."""

from __future__ import annotations

import itertools
import logging

from resolvers.demo_stations import MODEL_STATIONS, generate_stations
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.progress import Progress
from db import stations as station_repo
from resolvers.station_writer import write_stations

DEFAULT_STATIONS = 300
_log = logging.getLogger("markaz.seed")


async def seed_demo(sessionmaker: async_sessionmaker[AsyncSession], *, stations: int = DEFAULT_STATIONS,
                    seed: int = 2026, show_progress: bool = True) -> dict[str, int]:
    """Write the six model stations and `stations` generated ones, in one transaction.

    External ids make it idempotent: seeding again updates the same stations instead of adding more.
    """
    total = len(MODEL_STATIONS) + stations
    progress = Progress("stations", total) if show_progress else None
    records = itertools.chain(MODEL_STATIONS, generate_stations(stations, seed=seed))
    async with sessionmaker() as session:
        counts = await write_stations(session, records, progress=progress)
        await session.commit()
    return {"stations_inserted": counts.inserted, "stations_updated": counts.updated}


async def seed_demo_if_empty(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        empty = await station_repo.station_count(session) == 0
    if empty:
        result = await seed_demo(sessionmaker, show_progress=False)
        _log.info("demo data seeded", extra=result)
