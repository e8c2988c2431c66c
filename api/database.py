"""The database of a process: the configured server or the embedded one, migrated, with an engine.

`markaz serve` and every CLI command open it the same way, so a command run while the server is up
joins the same embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db import embedded, migrate
from db.engine import make_engine, make_reader, make_sessionmaker
from db.settings import Settings
from resolvers.reference import sync_reference_data

_log = logging.getLogger("markaz.database")


@dataclasses.dataclass(slots=True)
class Database:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    reader: async_sessionmaker[AsyncSession]
    embedded: bool


async def wait_for_server(url: str, *, attempts: int = 8, first_delay: float = 0.25) -> None:
    """Start-up waits for the database with exponential backoff instead of failing on the first try."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            conn = await asyncpg.connect(url, timeout=5)
        except (TimeoutError, OSError, asyncpg.PostgresError) as error:
            if attempt == attempts:
                raise
            _log.warning("database not reachable yet (attempt %d/%d): %s", attempt, attempts, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            await conn.close()
            return


async def prepare(url: str) -> None:
    """Migrate to the newest revision and write the reference data."""
    await migrate.upgrade_async(url)
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            await sync_reference_data(session)
            await session.commit()
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def open_database(settings: Settings, *, migrate_first: bool = True, pool_size: int = 40,
                        serving: bool = False) -> AsyncIterator[Database]:
    """The database, migrated first unless told not to. Waiting for a connection is bounded by
    MARKAZ_DATABASE_TIMEOUT_MS everywhere; `serving` (the server, not the CLI, whose one-off commands may
    legitimately run long) bounds waiting for each command's answer by it too."""
    server = None
    url = settings.database_url
    try:
        if url is None:
            server, base = await asyncio.to_thread(embedded.start, settings.data_dir)
            url = await embedded.ensure_database(base)
        else:
            await wait_for_server(url)
        if migrate_first:
            await prepare(url)
        timeout = settings.database_timeout_ms / 1000
        engine = make_engine(url, pool_size=pool_size, statement_timeout_ms=settings.statement_timeout_ms,
                             timeout_s=timeout, command_timeout_s=timeout if serving else None)
        try:
            yield Database(url, engine, make_sessionmaker(engine), make_reader(engine), server is not None)
        finally:
            await engine.dispose()
    finally:
        if server is not None:
            await asyncio.to_thread(embedded.stop, server)
