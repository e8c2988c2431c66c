"""`markaz seed --demo` and `markaz serve --demo`: the demo data set, reproducible from a seed."""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import stations as station_repo
from resolvers.demo.fieldwork import DEMO_PASSWORD, Credential, seed_fieldwork
from resolvers.demo.stations import MODEL_STATIONS, generate_stations
from resolvers.station_writer import write_stations

DEFAULT_STATIONS = 300
_log = logging.getLogger("markaz.seed")


async def seed_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    stations: int = DEFAULT_STATIONS,
    seed: int = 2026,
    progress: Callable[[str, int], Any] | None = None,
) -> tuple[dict[str, int], list[Credential]]:
    """Write the model stations, `stations` generated ones, the demo officers and their field work.

    One transaction. External ids and badge numbers make it idempotent: seeding again updates the same
    stations and adds no officers or field work twice. `progress(what, total)` makes a progress display
    for the stations (the CLI's api.progress.Progress); none by default.
    """
    total = len(MODEL_STATIONS) + stations
    shown = progress("stations", total) if progress is not None else None
    records = itertools.chain(MODEL_STATIONS, generate_stations(stations, seed=seed))
    async with sessionmaker() as session:
        counts = await write_stations(session, records, progress=shown)
        if progress is not None:
            print("officers and 90 days of field work...", file=sys.stderr, flush=True)
        credentials, activity = await seed_fieldwork(session, seed=seed)
        await session.commit()
    return {"stations_inserted": counts.inserted, "stations_updated": counts.updated, **activity}, credentials


def credentials_text(credentials: list[Credential]) -> str:
    lines = [f"Demo accounts (password for all: {DEMO_PASSWORD}; demo only):"]
    lines += [f"  {c.badge:<16} {c.role:<18} {c.where}" for c in credentials]
    return "\n".join(lines)


async def seed_demo_if_empty(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        empty = await station_repo.station_count(session) == 0
    if empty:
        result, credentials = await seed_demo(sessionmaker)
        _log.info("demo data seeded", extra=result)
        print(credentials_text(credentials), file=sys.stderr, flush=True)
