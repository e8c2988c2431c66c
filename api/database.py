"""The database of a process: the configured server or the embedded one, migrated, with an engine.

`markaz serve` and every CLI command open it the same way, so a command run while the server is up
joins the same embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import urllib.parse
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.config import Settings
from api.security import audit_keys
from db import embedded, migrate
from db.engine import make_engine, make_reader, make_sessionmaker
from resolvers.reference import sync_reference_data

_log = logging.getLogger("markaz.database")


@dataclasses.dataclass(slots=True)
class Database:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    reader: async_sessionmaker[AsyncSession]
    embedded: bool


class DatabaseUnreachable(Exception):
    """The configured database could not be reached, or refused us; the message is one line for the
    operator, naming the server's address (never the password)."""


# Refusals that waiting does not mend: a wrong password or user, no such database, an unusable URL.
_FINAL = (
    asyncpg.InvalidPasswordError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.ClientConfigurationError,
    ValueError,
)


async def wait_for_server(
    url: str, *, attempts: int = 8, first_delay: float = 0.25, connect_timeout: float = 5
) -> None:
    """Start-up waits for the database with exponential backoff instead of failing on the first try;
    `connect_timeout` bounds each attempt (a server that accepts the connection and never answers)."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            conn = await asyncpg.connect(url, timeout=connect_timeout)
        except _FINAL:
            raise
        except (TimeoutError, OSError, asyncpg.PostgresError) as error:
            if attempt == attempts:
                raise
            _log.warning("database not reachable yet (attempt %d/%d): %s", attempt, attempts, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            await conn.close()
            return


def _address(url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    except ValueError:
        return "DATABASE_URL"


async def reach(url: str, *, attempts: int = 8, connect_timeout: float = 5) -> None:
    """`wait_for_server`, its failure told in one line (DatabaseUnreachable)."""
    try:
        await wait_for_server(url, attempts=attempts, connect_timeout=connect_timeout)
    except (asyncpg.ClientConfigurationError, ValueError) as error:
        raise DatabaseUnreachable(f"DATABASE_URL is not a usable PostgreSQL URL: {error}") from None
    except asyncpg.PostgresError as error:
        raise DatabaseUnreachable(
            f"the database at {_address(url)} refused the connection: {str(error).splitlines()[0]}"
        ) from None
    except (TimeoutError, OSError) as error:
        if isinstance(error, TimeoutError):
            reason = f"no answer within {connect_timeout:g} s"
        elif isinstance(error, ConnectionRefusedError):
            reason = "connection refused"
        elif isinstance(error, socket.gaierror):
            reason = "no such host"
        else:
            reason = error.strerror or str(error) or type(error).__name__
        raise DatabaseUnreachable(
            f"cannot reach the database at {_address(url)}: {reason} "
            f"({attempts} attempt{'s' if attempts > 1 else ''})"
        ) from None


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
async def open_database(
    settings: Settings,
    *,
    migrate_first: bool = True,
    pool_size: int = 40,
    attempts: int = 8,
    connect_timeout: float = 5,
    serving: bool = False,
) -> AsyncIterator[Database]:
    """The database, migrated first unless told not to. A configured server is waited for (`attempts`
    connections, each of at most `connect_timeout` seconds; the CLI waits less than the server);
    DatabaseUnreachable when it cannot be had. Once open, waiting for a connection is bounded by
    MARKAZ_DATABASE_TIMEOUT_MS everywhere; `serving` (the server, not the CLI, whose one-off commands may
    legitimately run long) bounds waiting for each command's answer by it too."""
    server = None
    url = settings.database_url
    try:
        audit_key, _ = audit_keys(settings)
    except RuntimeError:
        # A weak key: the server refuses to start on it (api/app.py), and a command that writes the audit
        # log checks it first and says so; the others (`migrate`, `seed`) need no key.
        audit_key = None
    try:
        if url is None:
            server, base = await asyncio.to_thread(embedded.start, settings.data_dir)
            url = await embedded.ensure_database(base)
        else:
            await reach(url, attempts=attempts, connect_timeout=connect_timeout)
        if migrate_first:
            await prepare(url)
        timeout = settings.database_timeout_ms / 1000
        engine = make_engine(
            url,
            pool_size=pool_size,
            statement_timeout_ms=settings.statement_timeout_ms,
            timeout_s=timeout,
            command_timeout_s=timeout if serving else None,
        )
        try:
            yield Database(
                url,
                engine,
                make_sessionmaker(engine, audit_key=audit_key),
                make_reader(engine),
                server is not None,
            )
        finally:
            await engine.dispose()
    finally:
        if server is not None:
            await asyncio.to_thread(embedded.stop, server)
