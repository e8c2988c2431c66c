"""Test fixtures: a real PostgreSQL, migrated once per session; each test inside a rolled-back transaction.

The database is the embedded PostgreSQL (a fresh one in a temporary directory) unless
TEST_DATABASE_URL names a server, e.g. postgresql://postgres@127.0.0.1:5432/postgres; a database of
its own is created on it for the session and dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.config import Settings
from api.database import prepare
from db import embedded
from db.audit import KEY_INFO
from db.engine import make_engine, make_reader
from resolvers.audit import chain_key

# One audit key for every app, command and server of the session: the tests share one database, and so
# one audit chain, which must verify whoever wrote to it (servers in subprocesses take it from here).
TEST_AUDIT_KEY = "markaz tests' audit key, not a secret at all"
os.environ.setdefault("MARKAZ_AUDIT_KEY", TEST_AUDIT_KEY)
AUDIT_INFO = {KEY_INFO: chain_key(os.environ["MARKAZ_AUDIT_KEY"])}


@pytest.fixture(scope="session")
def server_url() -> Any:
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    data_dir = Path(tempfile.mkdtemp(prefix="markaz-test-"))
    server, url = embedded.start(data_dir)
    yield url
    embedded.stop(server)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> Any:
    name = f"markaz_test_{uuid.uuid4().hex[:10]}"
    url = await embedded.ensure_database(server_url, name)
    await prepare(url)
    yield url
    conn = await asyncpg.connect(embedded.with_database(server_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> Any:
    engine = make_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessionmaker(engine) -> Any:
    """Sessions joined to one outer transaction that is rolled back after the test.

    A request's commit only releases a savepoint, so each test sees its own writes and leaves nothing.
    """
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield async_sessionmaker(
            bind=conn,
            expire_on_commit=False,
            autoflush=False,
            info=AUDIT_INFO,
            join_transaction_mode="create_savepoint",
            class_=AsyncSession,
        )
        await outer.rollback()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_ENV": "development",
            "MARKAZ_AUDIT_KEY": os.environ["MARKAZ_AUDIT_KEY"],
        }
    )


@pytest.fixture
async def client(sessionmaker, settings) -> Any:
    app = create_app(settings, sessionmaker=sessionmaker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://markaz.test") as c:
        yield c


class GraphQL:
    """Posts an operation through the real ASGI app and returns the decoded body (and response)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(
        self, query: str, variables: dict | None = None, *, headers: dict | None = None, status: int = 200
    ) -> dict:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"accept": "application/graphql-response+json", **(headers or {})},
        )
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def gql(client) -> GraphQL:
    return GraphQL(client)


# Tables a committed test may write, children first, emptied after it (the audit log is append-only,
# and its entries are valid ones, so it is left as it is).
_COMMITTED_TABLES = (
    "problem_links",
    "community_meetings",
    "problems",
    "service_requests",
    "feedback_responses",
    "station_areas",
    "public_holidays",
    "attachments",
    "media_objects",
    "uploads",
    "activity_events",
    "activity_commits",
    "client_requests",
    "incident_corrections",
    "engagement_corrections",
    "incident_status_changes",
    "incidents",
    "follow_up_actions",
    "engagements",
    "patrol_fixes",
    "patrols",
    "refresh_tokens",
    "auth_sessions",
    "login_throttle",
    "officers",
    "station_closures",
    "stations",
    "activity_rollups",
    "activity_cells",
    "public_base_numbers",
    "public_months",
    # last: deleting the tables above logs their rows for the phones (migration 0018)
    "device_changes",
    "device_commits",
)


@pytest.fixture
async def committed_sessionmaker(engine) -> Any:
    """Real transactions that commit, one connection per session: for tests of concurrency.

    Everything such a test wrote is deleted afterwards, so the rolled-back tests see an empty database.
    """
    yield async_sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=AUDIT_INFO)
    async with engine.begin() as conn:
        for table in _COMMITTED_TABLES:
            await conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        await conn.exec_driver_sql("UPDATE device_sync_horizon SET position = 0, pruned_at = NULL")


@pytest.fixture
async def committed_client(committed_sessionmaker, engine, settings) -> Any:
    """The app as the server runs it: real commits, and queries on autocommit sessions."""
    app = create_app(settings, sessionmaker=committed_sessionmaker, reader=make_reader(engine))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://markaz.test") as c:
        yield c
