"""Surviving database faults, with `markaz serve` in its own process on a PostgreSQL of the test's own
(tests/servers.py), which the tests stop and start under load. Never the machine's shared servers.

- A restart under load: requests fail fast with 503, Retry-After and DATABASE_UNAVAILABLE (never a 500,
  a hang, a trace or SQL text), /readyz says 503 meanwhile, and the same process serves again once the
  database is back; officers resending their batches end with every incident stored exactly once.
- A restart while idle: the pool's dead connections are replaced without the clients seeing it.
- SIGTERM with a request in flight: the request finishes, then the pool closes and the process exits 0.
- Start-up waits for a database that is not up yet, with backoff, and gives up in the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest

from api.database import prepare, wait_for_server
from db import embedded
from db.engine import make_engine, make_sessionmaker
from tests.factories import PASSWORD, make_officer, make_station
from tests.servers import MarkazServer, OwnPostgres

HEADERS = {"accept": "application/graphql-response+json", "accept-language": "en"}
NEAREST = """
query Nearest($near: GeoPointInput!) {
  nearestStations(near: $near, first: 3) { distanceMeters station { id name } }
}"""
LOGIN = """
mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) { accessToken errors { code } }
}"""
SYNC = """
mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) { results { clientId status errors { code } } errors { code } }
}"""
HERE = {"latitude": 36.3420, "longitude": 43.1520}
# Text that must never reach a client: driver and ORM names, SQL, Python traces.
LEAKS = ("Traceback", "SELECT ", "INSERT ", "UPDATE ", "[SQL", "asyncpg", "sqlalchemy", "psycopg", 'File "')


@dataclasses.dataclass
class Rig:
    pg: OwnPostgres
    url: str
    badge: str
    root: Path


@pytest.fixture(scope="module")
async def rig() -> AsyncIterator[Rig]:
    # Short and outside pytest's basetemp: the server's data lives there.
    root = Path(tempfile.mkdtemp(prefix="markaz-faults-"))
    pg = OwnPostgres(root / "pg")
    try:
        await asyncio.to_thread(pg.start)
        url = await embedded.ensure_database(pg.url, "markaz")
        await prepare(url)
        engine = make_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                station = await make_station(session, latitude=HERE["latitude"], longitude=HERE["longitude"])
                await make_station(session, latitude=36.35, longitude=43.16)
                _, badge = await make_officer(session, station_id=station)
                await session.commit()
        finally:
            await engine.dispose()
        yield Rig(pg, url, badge, root)
    finally:
        await asyncio.to_thread(pg.close)


@pytest.fixture(scope="module")
async def served(rig: Rig) -> AsyncIterator[MarkazServer]:
    server = MarkazServer(rig.url, rig.root / "served")
    try:
        await asyncio.to_thread(server.wait_ready)
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@dataclasses.dataclass
class Outcome:
    kind: str
    started: float
    seconds: float
    status: int | str  # the HTTP status, or the name of a transport error
    body: str
    retry_after: str | None


def _check_answer(outcome: Outcome) -> None:
    """What every answer must be, database up or down: 200 without errors, or a clean 503."""
    assert isinstance(outcome.status, int), f"{outcome.kind}: no HTTP answer ({outcome.status})"
    assert outcome.status in (200, 503), f"{outcome.kind}: {outcome.status} {outcome.body[:500]}"
    for leak in LEAKS:
        assert leak not in outcome.body, f"{outcome.kind} leaked {leak!r}: {outcome.body[:500]}"
    if outcome.kind == "readyz":
        return
    if outcome.status == 503:
        assert outcome.retry_after is not None and int(outcome.retry_after) > 0, outcome
        import orjson

        body = orjson.loads(outcome.body)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["DATABASE_UNAVAILABLE"], body
        assert body["errors"][0]["message"].startswith("The service cannot reach its database"), body
    else:
        assert '"errors":[{' not in outcome.body.replace('"errors":[]', ""), outcome.body[:500]


class Load:
    """Citizens asking for the nearest stations, an officer syncing incident batches (each batch sent
    again, with the same clientIds, until it is answered 200: what the app's offline queue does), and a
    load balancer polling /readyz."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.token = client, token
        self.outcomes: list[Outcome] = []
        self.confirmed: set[str] = set()
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    async def _send(self, kind: str, method: str, path: str, **kwargs: Any) -> Outcome:
        started = time.monotonic()
        try:
            response = await self.client.request(method, path, **kwargs)
            status: int | str = response.status_code
            body, retry_after = response.text, response.headers.get("retry-after")
        except httpx.TransportError as error:
            status, body, retry_after = type(error).__name__, "", None
        outcome = Outcome(kind, started, time.monotonic() - started, status, body, retry_after)
        self.outcomes.append(outcome)
        return outcome

    async def citizen(self, n: int) -> None:
        near = {"latitude": HERE["latitude"] + n * 0.001, "longitude": HERE["longitude"]}
        while not self.stopping.is_set():
            await self._send(
                "nearest",
                "POST",
                "/graphql",
                headers=HEADERS,
                json={"query": NEAREST, "variables": {"near": near}},
            )
            await asyncio.sleep(0.05)

    async def officer(self) -> None:
        headers = {**HEADERS, "authorization": f"Bearer {self.token}"}
        while not self.stopping.is_set():
            occurred = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
            ids = [str(uuid.uuid4()) for _ in range(3)]
            entries = [
                {
                    "reportIncident": {
                        "clientId": cid,
                        "category": "THEFT",
                        "occurredAt": occurred,
                        "location": {**HERE, "accuracyMeters": 10.0},
                        "description": "Phone taken at the market",
                    }
                }
                for cid in ids
            ]
            while True:  # the same batch until it is acknowledged, even once asked to stop
                outcome = await self._send(
                    "sync",
                    "POST",
                    "/graphql",
                    headers=headers,
                    json={"query": SYNC, "variables": {"input": {"entries": entries}}},
                )
                if outcome.status == 200:
                    import orjson

                    results = orjson.loads(outcome.body)["data"]["syncFieldLog"]["results"]
                    assert {r["status"] for r in results} <= {"APPLIED", "DUPLICATE"}, results
                    self.confirmed.update(ids)
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.05)

    async def readiness(self) -> None:
        while not self.stopping.is_set():
            await self._send("readyz", "GET", "/readyz")
            await asyncio.sleep(0.1)

    def start(self, citizens: int = 4) -> None:
        self.tasks = [asyncio.create_task(self.citizen(n)) for n in range(citizens)]
        self.tasks += [asyncio.create_task(self.officer()), asyncio.create_task(self.readiness())]

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), 60)

    def between(self, start: float, end: float, kind: str | None = None) -> list[Outcome]:
        """Outcomes of requests sent and answered within [start, end]."""
        return [
            o
            for o in self.outcomes
            if start <= o.started and o.started + o.seconds <= end and (kind is None or o.kind == kind)
        ]


async def _token(client: httpx.AsyncClient, badge: str) -> str:
    response = await client.post(
        "/graphql",
        headers=HEADERS,
        json={"query": LOGIN, "variables": {"badge": badge, "password": PASSWORD}},
    )
    payload = response.json()["data"]["login"]
    assert payload["errors"] == [], payload
    return payload["accessToken"]


async def _incident_client_ids(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [str(r["client_id"]) for r in await conn.fetch("SELECT client_id FROM incidents")]
    finally:
        await conn.close()


async def test_database_restart_under_load(rig: Rig, served: MarkazServer) -> None:
    pid = served.proc.pid
    before_ids = set(await _incident_client_ids(rig.url))
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
        load = Load(client, await _token(client, rig.badge))
        load.start()
        await asyncio.sleep(2)
        down_at = time.monotonic()
        await asyncio.to_thread(rig.pg.stop, "fast")
        await asyncio.sleep(3)
        up_at = time.monotonic()
        await asyncio.to_thread(rig.pg.start)
        back_at = time.monotonic()
        await asyncio.sleep(4)
        await load.stop()

    for outcome in load.outcomes:
        _check_answer(outcome)
    before = load.between(0, down_at)
    assert before and all(o.status == 200 for o in before if o.kind != "readyz")

    # Down: every request is refused at once, with 503 and the code; /readyz says 503 as well.
    down = load.between(down_at + 0.5, up_at)
    down_graphql = [o for o in down if o.kind != "readyz"]
    assert len(down_graphql) >= 10, f"only {len(down_graphql)} requests while the database was down"
    assert all(o.status == 503 for o in down), {(o.kind, o.status) for o in down}
    assert max(o.seconds for o in down) < 2.0, f"slowest refusal {max(o.seconds for o in down):.2f} s"
    assert any(o.kind == "readyz" for o in down)

    # Back: the same process answers again by itself, everything succeeds within a couple of seconds.
    assert served.proc.poll() is None and served.proc.pid == pid
    after = load.between(back_at + 2.0, time.monotonic())
    assert {o.kind for o in after} == {"nearest", "sync", "readyz"}, {o.kind for o in after}
    failed = [(o.kind, o.status, o.body[:200]) for o in after if o.status != 200]
    assert not failed, failed
    first_ok = min(
        o.started + o.seconds
        for o in load.outcomes
        if o.started >= back_at and o.status == 200 and o.kind == "nearest"
    )
    print(
        f"\nrestart under load: {len(load.outcomes)} requests, {len(down_graphql)} refused while down "
        f"(slowest {max(o.seconds for o in down):.3f} s), first success {first_ok - back_at:.2f} s after "
        f"the database was back"
    )

    # Every batch the officer resent until acknowledged is stored, each incident exactly once.
    stored = [cid for cid in await _incident_client_ids(rig.url) if cid not in before_ids]
    assert len(stored) == len(set(stored))
    assert set(stored) == load.confirmed and len(load.confirmed) >= 6
    assert any(o.kind == "sync" and o.status == 503 for o in load.outcomes)  # a batch sent again


async def test_restart_while_idle_is_invisible(rig: Rig, served: MarkazServer) -> None:
    """Dead pooled connections are replaced on first use; nobody gets an error for them."""
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
        token = await _token(client, rig.badge)
        query = {"query": NEAREST, "variables": {"near": HERE}}
        # Several connections into the pool, then the database restarts under them.
        warm = await asyncio.gather(*[client.post("/graphql", headers=HEADERS, json=query) for _ in range(8)])
        assert all(r.status_code == 200 for r in warm)
        await asyncio.to_thread(rig.pg.stop, "fast")
        await asyncio.to_thread(rig.pg.start)
        # A mutation first (its connection is one of the dead ones), then concurrent queries.
        entries = [
            {
                "reportIncident": {
                    "clientId": str(uuid.uuid4()),
                    "category": "FRAUD",
                    "description": "After an idle restart",
                    "occurredAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                    "location": {**HERE, "accuracyMeters": 10.0},
                }
            }
        ]
        sync = await client.post(
            "/graphql",
            headers={**HEADERS, "authorization": f"Bearer {token}"},
            json={"query": SYNC, "variables": {"input": {"entries": entries}}},
        )
        assert sync.status_code == 200, sync.text
        assert sync.json()["data"]["syncFieldLog"]["results"][0]["status"] == "APPLIED"
        answers = await asyncio.gather(
            *[client.post("/graphql", headers=HEADERS, json=query) for _ in range(8)]
        )
        assert [r.status_code for r in answers] == [200] * 8, [r.text[:300] for r in answers]
        assert all(r.json()["data"]["nearestStations"] for r in answers)


async def _wait_for_lock_waiter(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'markaz' AND wait_event_type = 'Lock'"
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the request never reached the database")
    finally:
        await conn.close()


def _database_ports(pid: int, pg_port: int) -> list[int]:
    """The local ports of the process's connections to the database."""
    return [
        c.laddr.port
        for c in psutil.Process(pid).net_connections("tcp")
        if c.raddr and c.raddr.port == pg_port
    ]


async def _sessions_from(url: str, ports: list[int]) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE client_port = ANY($1)", ports)
    finally:
        await conn.close()


async def test_sigterm_lets_the_request_in_flight_finish(rig: Rig) -> None:
    server = MarkazServer(rig.url, rig.root / "shutdown")
    try:
        await asyncio.to_thread(server.wait_ready)
        locker = await asyncpg.connect(rig.url)
        try:
            # The stations table locked: a citizen's request waits inside the database, in flight.
            transaction = locker.transaction()
            await transaction.start()
            await locker.execute("LOCK TABLE stations IN ACCESS EXCLUSIVE MODE")
            async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
                in_flight = asyncio.create_task(
                    client.post(
                        "/graphql", headers=HEADERS, json={"query": NEAREST, "variables": {"near": HERE}}
                    )
                )
                await _wait_for_lock_waiter(rig.url)
                ports = _database_ports(server.proc.pid, rig.pg.port)
                assert ports
                os.kill(server.proc.pid, signal.SIGTERM)
                await asyncio.sleep(1.5)
                # Still running for the request in flight, but taking no new connections.
                assert server.proc.poll() is None, server.output()
                with pytest.raises(httpx.TransportError):
                    await client.get("/healthz", headers={"connection": "close"}, timeout=2)
                await transaction.rollback()
                response = await in_flight
        finally:
            await locker.close()
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]["nearestStations"]) == 2
        assert await asyncio.to_thread(server.proc.wait, 30) == 0, server.output()
        log = server.log_path.read_text()
        assert log.index("Waiting for application shutdown") > log.index('"status": 200, "duration_ms"')
        # The lifespan closed the pool after the request: no connection of the server is left.
        assert await _sessions_from(rig.url, ports) == 0
    finally:
        await asyncio.to_thread(server.stop)


async def test_start_up_waits_for_the_database(rig: Rig) -> None:
    await asyncio.to_thread(rig.pg.stop, "fast")
    server = None
    try:
        # Nothing listens: the wait gives up after its attempts, having waited between them.
        started = time.monotonic()
        with pytest.raises(OSError):
            await wait_for_server(rig.url, attempts=3, first_delay=0.2)
        assert time.monotonic() - started >= 0.2 + 0.4

        # The server starts before the database and is ready once the database is up.
        server = MarkazServer(rig.url, rig.root / "startup")
        deadline = time.monotonic() + 30
        while server.log_path.read_text().count("database not reachable yet") < 2:
            assert server.proc.poll() is None, server.output()
            assert time.monotonic() < deadline, server.output()
            await asyncio.sleep(0.2)
        with pytest.raises(httpx.TransportError):  # not listening before its database is there
            await asyncio.to_thread(httpx.get, f"{server.base}/readyz", timeout=2)
        await asyncio.to_thread(rig.pg.start)
        await asyncio.to_thread(server.wait_ready, 60)
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
            response = await client.post(
                "/graphql", headers=HEADERS, json={"query": NEAREST, "variables": {"near": HERE}}
            )
        assert response.status_code == 200 and response.json()["data"]["nearestStations"], response.text
    finally:
        if not rig.pg.running:
            await asyncio.to_thread(rig.pg.start)
        if server is not None:
            await asyncio.to_thread(server.stop)
