"""What an activity export may cost: drawn from a bucket per officer, stopped at its deadline with a clear
error, made without holding up the event loop, and 503 in JSON while the database cannot be reached.
The real app (httpx ASGITransport) on the real PostgreSQL; the outage is a real socket that never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import io
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from api.config import Settings
from api.security import secret_key
from db.demo_fieldwork import insert_rows
from db.engine import make_engine, make_reader, make_sessionmaker
from db.models import Incident
from resolvers import tokens
from resolvers.messages import message
from tests.conftest import GraphQL
from tests.factories import PASSWORD, make_officer, make_station
from tests.servers import FreezableRelay, free_port
from tests.test_activity import MOSUL, _world, gid

LOGIN = "mutation($b: String!, $p: String!) { login(input: {badgeNumber: $b, password: $p}) { accessToken } }"
# A past day in the middle of a month (of Baghdad): a one-day export is one month's window.
DAY = datetime(2026, 3, 15, 9, tzinfo=UTC)


def _params(**overrides) -> dict:
    values = {
        "format": "csv",
        "from": (DAY - timedelta(hours=6)).isoformat(),
        "to": (DAY + timedelta(hours=6)).isoformat(),
        "resolution": "10",
        "governorateId": gid("Governorate", "IQ-NI"),
    }
    values.update(overrides)
    return values


@contextlib.asynccontextmanager
async def _client(settings: Settings, sessionmaker, reader=None):
    app = create_app(settings, sessionmaker=sessionmaker, reader=reader)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://markaz.test") as c:
        yield c


def _settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env({"MARKAZ_DATA_DIR": str(tmp_path), "MARKAZ_ENV": "development", **env})


async def test_exports_are_rate_limited_per_officer(committed_sessionmaker, engine, tmp_path) -> None:
    # Committed sessions: the buckets are written beside the export's own transaction, as in the server.
    settings = _settings(
        tmp_path, MARKAZ_RATE_LIMIT="on", MARKAZ_RATE_EXPORT_BURST="2", MARKAZ_RATE_SYNC_MS="0"
    )
    async with _client(settings, committed_sessionmaker, make_reader(engine)) as client:
        world = await _world(GraphQL(client), committed_sessionmaker)
        supervisor = world.headers["supervisor"]
        # given a supervisor who has used their burst of exports
        for _ in range(2):
            response = await client.get("/exports/activity", params=_params(), headers=supervisor)
            assert response.status_code == 200, response.text
        # when they ask for another at once
        response = await client.get("/exports/activity", params=_params(), headers=supervisor)
        # then it is refused, saying when to come back (a minute's refill at one export a minute)
        assert response.status_code == 429, response.text
        error = response.json()["errors"][0]
        retry = int(response.headers["retry-after"])
        assert 1 <= retry <= 60
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry}
        assert error["message"] == message("rate_limited", "en", seconds=retry)
        # while another officer's exports are their own
        response = await client.get("/exports/activity", params=_params(), headers=world.headers["admin"])
        assert response.status_code == 200, response.text
    async with committed_sessionmaker() as session:  # the buckets this test filled, for the next ones
        await session.execute(text("DELETE FROM rate_limit_buckets"))
        await session.commit()


async def _signed_in(client: httpx.AsyncClient, committed_sessionmaker) -> dict[str, str]:
    async with committed_sessionmaker() as session:
        await make_station(session, governorate="IQ-NI", latitude=MOSUL[0], longitude=MOSUL[1])
        _, badge = await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",))
        await session.commit()
    login = {"query": LOGIN, "variables": {"b": badge, "p": PASSWORD}}
    body = (await client.post("/graphql", json=login)).json()
    return {"authorization": f"Bearer {body['data']['login']['accessToken']}", "accept-language": "en"}


async def test_an_export_is_stopped_at_its_deadline_with_a_clear_error(
    committed_sessionmaker, database_url, tmp_path
) -> None:
    settings = _settings(tmp_path, MARKAZ_EXPORT_SECONDS="1")
    # The server's engine: a statement is never cut off by a cancellation (db.statements.to_the_end), so the
    # deadline takes effect once the statement in flight ends, which the command timeout bounds.
    served = make_engine(database_url, pool_size=2, command_timeout_s=2.0)
    async with _client(settings, make_sessionmaker(served), make_reader(served)) as client:
        headers = await _signed_in(client, committed_sessionmaker)
        # given an export that cannot finish in time: the rollups it reads are locked by someone else
        locker = await asyncpg.connect(database_url)
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("LOCK TABLE activity_rollups, activity_cells IN ACCESS EXCLUSIVE MODE")

        async def release_later() -> None:  # so that, without a deadline, the export ends late, not never
            await asyncio.sleep(6)
            await transaction.rollback()

        releasing = asyncio.create_task(release_later())
        try:
            started = time.monotonic()
            response = await client.get("/exports/activity", params=_params(), headers=headers)
            seconds = time.monotonic() - started
        finally:
            await releasing
            await locker.close()
            await served.dispose()
    # then it is stopped at its deadline, saying how to ask for less
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "exportSeconds", "max": 1}
    assert error["message"] == message("export_too_slow", "en", seconds=1)
    assert seconds < 4, seconds


async def test_an_export_does_not_hold_up_the_event_loop(committed_sessionmaker, engine, tmp_path) -> None:
    # given a month with incidents in some fourteen thousand cells of resolution 10
    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=MOSUL[0], longitude=MOSUL[1])
        rows = [
            {
                "client_id": uuid.uuid4(),
                "station_id": station,
                "category": "THEFT",
                "sensitive": False,
                "latitude": MOSUL[0] + 0.0012 * i,
                "longitude": MOSUL[1] + 0.0012 * j,
                "occurred_at": DAY,
                "description": "for the export",
            }
            for i in range(120)
            for j in range(120)
        ]
        await insert_rows(session, Incident, rows)
        await session.commit()
    settings = _settings(tmp_path)
    async with _client(settings, committed_sessionmaker, make_reader(engine)) as client:
        headers = await _signed_in(client, committed_sessionmaker)
        # when it is exported, while something else wants the event loop every few milliseconds
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.monotonic()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        # As the server does once started (api/app.py): what is already there is left out of collections,
        # whose pauses would hold the loop (and every thread) whoever causes them.
        gc.freeze()
        ticking = asyncio.create_task(ticker())
        try:
            answers = [
                await client.get("/exports/activity", params=_params(format=fmt), headers=headers)
                for fmt in ("csv", "geojson")
            ]
        finally:
            done.set()
            await ticking
            gc.unfreeze()
    assert [r.status_code for r in answers] == [200, 200], answers[0].text
    assert len(list(csv.DictReader(io.StringIO(answers[0].text)))) > 12_000  # the premise: many cells
    # then the loop was never held for long: the cells were written out in a thread
    print(f"\nlongest wait of the event loop during the exports: {max(gaps) * 1000:.0f} ms")
    assert max(gaps) < 0.3, max(gaps)


@pytest.mark.parametrize("outage", ["refused", "frozen"])
async def test_an_export_answers_503_in_json_while_the_database_cannot_be_reached(
    database_url, tmp_path, outage
) -> None:
    relay = FreezableRelay(database_url)
    relay.freeze()  # accepts the connection, never answers
    url = relay.url() if outage == "frozen" else relay.url(port=free_port())  # nothing listens: refused
    engine = make_engine(url, pool_size=1, timeout_s=1.0, command_timeout_s=1.0)
    settings = _settings(tmp_path)
    token = tokens.issue_access(secret_key(settings), officer_id=1, session_id=uuid.uuid4(), role="ADMIN")[0]
    try:
        async with _client(settings, make_sessionmaker(engine)) as client:
            started = time.monotonic()
            response = await client.get(
                "/exports/activity",
                params=_params(),
                headers={"authorization": f"Bearer {token}", "accept-language": "en"},
            )
        assert response.status_code == 503, response.text
        assert time.monotonic() - started < 3
        assert int(response.headers["retry-after"]) > 0
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
        assert error["message"] == message("database_unavailable", "en")
    finally:
        relay.close()
        await engine.dispose()
