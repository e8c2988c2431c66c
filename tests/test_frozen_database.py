"""A database that stops answering without closing anything (its processes stopped with SIGSTOP, its host
hung): `markaz serve` in a process of its own reaches the test's PostgreSQL through a relay on a real
loopback socket (tests/servers.py), which the test freezes. Nothing is refused or reset; bytes simply
stop coming back, and new connections are accepted and never answered.

Every request then answers 503 DATABASE_UNAVAILABLE within the database timeout (MARKAZ_DATABASE_TIMEOUT_MS,
here 2 s) and a little, with the rate limiter on; /readyz says not ready as fast; a WebSocket signing in
is closed with 1013 (try again later); nothing hangs, nothing is a 500 or a trace; and once the database
answers again the same process serves as before.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import orjson
import pytest
import websockets
from sqlalchemy import text

from db.engine import make_engine, make_sessionmaker
from db.faults import is_unavailable
from tests.factories import PASSWORD, make_officer, make_station
from tests.servers import FreezableRelay, MarkazServer

TIMEOUT_S = 2.0
# What a request may take beyond the timeout: the rate limiter's store gives up after half a second, and
# the machine is shared.
SLACK_S = 1.5
HEADERS = {"accept": "application/graphql-response+json", "accept-language": "en"}
HERE = {"latitude": 36.3420, "longitude": 43.1520}
NEAREST = "query Nearest($near: GeoPointInput!) { nearestStations(near: $near, first: 3) { station { id } } }"
LOGIN = """mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) { accessToken errors { code } } }"""
ME = "query Me { me { id } }"


@pytest.fixture
def relay(database_url):
    relay = FreezableRelay(database_url)
    yield relay
    relay.close()


@pytest.fixture
async def served(relay, database_url, committed_sessionmaker, tmp_path: Path):
    async with committed_sessionmaker() as session:
        station = await make_station(session, latitude=HERE["latitude"], longitude=HERE["longitude"])
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    server = MarkazServer(
        relay.url(database_url),
        tmp_path / "served",
        env={
            "MARKAZ_DATABASE_TIMEOUT_MS": str(int(TIMEOUT_S * 1000)),
            "MARKAZ_RATE_LIMIT": "on",
            "MARKAZ_SECRET_KEY": "frozen-database-tests-secret-key-frozen-database",
        },
    )
    try:
        await asyncio.to_thread(server.wait_ready)
        yield server, badge
    finally:
        relay.thaw()
        await asyncio.to_thread(server.stop)


async def _timed(client: httpx.AsyncClient, method: str, path: str, **kwargs) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await client.request(method, path, **kwargs)
    return time.monotonic() - started, response


async def _connection_init(server: MarkazServer, token: str) -> tuple[float, websockets.frames.Close]:
    started = time.monotonic()
    async with websockets.connect(
        f"ws://127.0.0.1:{server.port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as socket:
        await socket.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            ).decode()
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), TIMEOUT_S + 10)
    return time.monotonic() - started, closed.value.rcvd


async def test_a_frozen_database_answers_503_within_the_timeout_and_readyz_says_not_ready(relay, served):
    server, badge = served
    async with httpx.AsyncClient(base_url=server.base, timeout=TIMEOUT_S + 10) as client:
        login = await client.post(
            "/graphql",
            headers=HEADERS,
            json={"query": LOGIN, "variables": {"badge": badge, "password": PASSWORD}},
        )
        token = login.json()["data"]["login"]["accessToken"]
        officer = {**HEADERS, "authorization": f"Bearer {token}"}
        nearest = {"query": NEAREST, "variables": {"near": HERE}}
        warm = await asyncio.gather(
            *(client.post("/graphql", headers=HEADERS, json=nearest) for _ in range(3))
        )
        assert [r.status_code for r in warm] == [200] * 3
        # when the database freezes: the pool's idle connections get no answer, new ones no greeting
        relay.freeze()
        asked = [_timed(client, "POST", "/graphql", headers=HEADERS, json=nearest) for _ in range(8)]
        asked += [_timed(client, "POST", "/graphql", headers=officer, json={"query": ME}) for _ in range(3)]
        asked += [_timed(client, "GET", "/readyz") for _ in range(2)]
        subscriber = asyncio.create_task(_connection_init(server, token))
        answers = await asyncio.gather(*asked)
        # then every request answers 503 in time, in JSON, saying why
        for seconds, response in answers:
            assert response.status_code == 503, response.text
            assert seconds < TIMEOUT_S + SLACK_S, f"{seconds:.2f} s: {response.url}"
            assert int(response.headers["retry-after"]) > 0
            body = orjson.loads(response.content)
            if response.url.path == "/readyz":
                assert body == {"status": "unavailable", "reason": "database unavailable"}
            else:
                assert body["data"] is None
                assert [e["extensions"]["code"] for e in body["errors"]] == ["DATABASE_UNAVAILABLE"]
        print(f"\nfrozen database: slowest 503 after {max(s for s, _ in answers):.2f} s")
        # a WebSocket signing in is told to try again later, which graphql-ws clients do
        seconds, close = await subscriber
        assert (close.code, close.reason) == (1013, "Database unavailable")
        assert seconds < TIMEOUT_S + SLACK_S
        # and once it answers again, the same process serves again by itself
        relay.thaw()
        deadline = time.monotonic() + 15
        while True:
            ready = await client.get("/readyz")
            if ready.status_code == 200:
                break
            assert time.monotonic() < deadline, ready.text
            await asyncio.sleep(0.2)
        again = await asyncio.gather(
            *(client.post("/graphql", headers=HEADERS, json=nearest) for _ in range(8))
        )
        assert [r.status_code for r in again] == [200] * 8, [r.text[:200] for r in again]
        me = await client.post("/graphql", headers=officer, json={"query": ME})
        assert me.status_code == 200 and me.json()["data"]["me"]["id"], me.text
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]


async def test_waiting_for_a_connection_from_a_full_pool_is_bounded(relay, database_url):
    engine = make_engine(relay.url(database_url), pool_size=1, timeout_s=1.0, command_timeout_s=1.0)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
        held = sessions()
        await held.connection()  # the pool's one connection (and its ten of overflow) taken
        overflow = [sessions() for _ in range(10)]
        for extra in overflow:
            await extra.connection()
        started = time.monotonic()
        with pytest.raises(Exception) as waited:
            async with sessions() as session:
                await session.execute(text("SELECT 1"))
        assert is_unavailable(waited.value), waited.value
        assert time.monotonic() - started < 1.0 + SLACK_S
        for session in (held, *overflow):
            await session.close()
        # a command the frozen server never answers is given up on as well, and only its connection is
        # dropped: the others serve again once the server answers
        relay.freeze()
        started = time.monotonic()
        with pytest.raises(Exception) as unanswered:
            async with sessions() as session:
                await session.execute(text("SELECT 1"))
        assert is_unavailable(unanswered.value) and time.monotonic() - started < 1.0 + SLACK_S
        relay.thaw()
        async with sessions() as session:
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
    finally:
        relay.thaw()
        await engine.dispose()
