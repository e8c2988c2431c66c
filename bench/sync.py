"""Benchmark: syncFieldLog, the offline queue of the officers' app, through the real Markaz server.

Run by hand, never in CI: `.venv/bin/python bench/sync.py` (a minute or two), `--help` for the knobs.

- Data. A fresh database `markaz_bench_sync` on the server of --database-url (dropped first, migrated with
  `api.database.prepare`), seeded with the model stations and 200 generated ones (resolvers.demo.stations,
  written by resolvers.station_writer) and --officers officers spread over the model stations
  (resolvers.officers.add_officer). It is dropped at the end unless --keep.
- Server. `markaz serve` as a subprocess, pinned to core 0 with `taskset -c 0` when there are two cores and
  taskset is installed, logging at WARNING, with a key and data directory of its own; ready once /readyz
  says so. PostgreSQL is not pinned. The load generator (this process: asyncio, uvloop when installed,
  httpx, HTTP/1.1 keep-alive, one client per officer) is pinned to core 1 with os.sched_setaffinity.
- A day of an officer's field work, as a phone queues it offline: one patrol started eight hours ago, its
  GPS track in batches of 10 fixes (a walk near the station), engagements (a third on the patrol, named by
  its clientId), incidents, status changes of some of those incidents (named by their clientId, from
  version 1), and the end of the patrol; every entry with its recordedAt, spread over the last 8 hours and
  sent in the order they were made. Reproducible with --seed.
- (a) One 500-entry batch (1 startPatrol, 60 appendPatrolTrack, 150 logEngagement, 250 reportIncident,
  38 updateIncidentStatus, 1 endPatrol) from one officer, after one warm-up batch of 20 entries from
  another: wall time (target under 2 s) and entries per second; every result must be APPLIED. Then the
  same batch again, as a phone does when the answer was lost: every result must be DUPLICATE.
- (b) --officers officers at once, each sending --batches batches of --batch-size entries one after the
  other (a day of 200 entries each, in the same mix), starting together: entries per second over the
  whole run, batch latency p50 and p99 (nearest rank), and errors: an HTTP status other than 200, a
  top-level or payload error, or an entry not APPLIED (there must be none).
- Before measuring, the cores are checked to be idle (the machine may be shared); the CPU time the server
  process used in each part is read from /proc. Afterwards the rows are counted against what was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

# The scripts run as `python bench/<name>.py`, so their own folder is on the path.
from common import (
    BenchError,
    clean_up,
    free_port,
    postmaster_pid,
    recreate_database,
    run_async,
    say,
    start_markaz,
    stat_fields,
    stop_process_group,
)

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "markaz_bench_sync"
GENERATED_STATIONS = 200
PASSWORD = "bench sync password 2026"  # noqa: S105 - the bench officers' password, not a secret
BIG_BATCH_TARGET_S = 2.0
DAY = timedelta(hours=8)
REQUEST_TIMEOUT_S = 120.0
# The mix of a 500-entry day; a day of another size keeps the proportions (and one start, one end).
MIX_500 = {"appendPatrolTrack": 60, "logEngagement": 150, "reportIncident": 250, "updateIncidentStatus": 38}
FIXES_PER_APPEND = 10
COUNTED = (
    "patrols",
    "patrol_fixes",
    "engagements",
    "incidents",
    "incident_status_changes",
    "client_requests",
    "audit_log",
)
WARM_UP = 20  # entries of the batch sent before (a), from another officer

SYNC = """mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) {
    results {
      clientId status errors { field code message }
      node { __typename id ... on Incident { version } }
    }
    errors { field code message }
  }
}"""
LOGIN = """mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) { accessToken errors { field code message } }
}"""
HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json",
    "accept-language": "en",
}

CATEGORIES = (
    "THEFT",
    "ASSAULT",
    "DOMESTIC_VIOLENCE",
    "CHILD_PROTECTION",
    "JUVENILE",
    "TRAFFIC_ACCIDENT",
    "DISPUTE",
    "MISSING_PERSON",
    "SUSPICIOUS_ACTIVITY",
    "FRAUD",
    "OTHER",
)
KINDS = (
    "HOME_VISIT",
    "SCHOOL_VISIT",
    "COMMUNITY_MEETING",
    "RELIGIOUS_LEADER_MEETING",
    "TRIBAL_LEADER_MEETING",
    "MARKET_WALK",
    "AWARENESS_SESSION",
    "FAMILY_PROTECTION_FOLLOW_UP",
    "WOMEN_OUTREACH",
    "YOUTH_ACTIVITY",
)
TOPICS = (
    "street lighting",
    "water supply",
    "youth unemployment",
    "traffic near the school",
    "stray dogs",
    "noise at night",
    "market stall disputes",
    "drugs",
    "missing documents",
    "flooded road",
)
DESCRIPTIONS = (
    "A motorcycle taken from outside the market.",
    "Two neighbours fighting over a wall.",
    "A shop window broken during the night.",
    "A child found alone near the river road.",
    "A collision at the roundabout, no one hurt.",
    "A phone scam asking for a transfer.",
)


T = TypeVar("T")


# --- a day of field work, as a phone queues it ---------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Officer:
    badge: str
    station_id: int
    latitude: float
    longitude: float


def _iso(at: datetime) -> str:
    return at.isoformat()


def _near(rng: random.Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    """A point within about `metres` of (lat, lon)."""
    distance, bearing = metres * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return (
        round(lat + distance * math.cos(bearing) / 111_320, 6),
        round(lon + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat))), 6),
    )


def mix_for(size: int) -> dict[str, int]:
    """How many entries of each kind a day of `size` entries holds: one start, one end, the rest as in 500."""
    if size < 6:
        raise ValueError("a day needs at least 6 entries")
    rest = size - 2
    shares = {kind: count * rest / sum(MIX_500.values()) for kind, count in MIX_500.items()}
    counts = {kind: max(1, math.floor(share)) for kind, share in shares.items()}
    for kind in sorted(shares, key=lambda k: shares[k] - math.floor(shares[k]), reverse=True):
        if sum(counts.values()) >= rest:
            break
        counts[kind] += 1
    while sum(counts.values()) > rest:
        counts[max(counts, key=counts.get)] -= 1
    counts["updateIncidentStatus"] = min(counts["updateIncidentStatus"], counts["reportIncident"])
    counts["reportIncident"] += rest - sum(counts.values())
    return {"startPatrol": 1, **counts, "endPatrol": 1}


def field_day(officer: Officer, size: int, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """`size` entries of one officer's day, in the order they were made (the order of their recordedAt)."""
    from schema.node import to_global_id

    mix = mix_for(size)
    start, end = now - DAY, now - timedelta(minutes=1)
    station_id = to_global_id("Station", officer.station_id)
    patrol = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    timed: list[tuple[datetime, int, dict[str, Any]]] = []  # (recordedAt, tie-break, entry)

    def add(at: datetime, entry: dict[str, Any]) -> None:
        timed.append((at, len(timed), entry))

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def moment(low: datetime, high: datetime) -> datetime:
        return low + (high - low) * rng.random()

    # the patrol and its track: a slow walk (under a metre a second), a fix every minute or so
    first = start + timedelta(seconds=30)
    add(
        first,
        {
            "startPatrol": {
                "clientId": patrol,
                "startedAt": _iso(start),
                "recordedAt": _iso(first),
                "location": {
                    "latitude": officer.latitude,
                    "longitude": officer.longitude,
                    "accuracyMeters": 6.0,
                },
            }
        },
    )
    fixes = mix["appendPatrolTrack"] * FIXES_PER_APPEND
    step = (end - timedelta(minutes=2) - start) / (fixes + 1)
    lat, lon = officer.latitude, officer.longitude
    track = []
    for i in range(fixes):
        lat, lon = _near(rng, lat, lon, min(step.total_seconds(), 40.0))
        track.append(
            {
                "latitude": lat,
                "longitude": lon,
                "accuracyMeters": round(rng.uniform(3, 25), 1),
                "recordedAt": _iso(start + step * (i + 1)),
            }
        )
    for i in range(mix["appendPatrolTrack"]):
        chunk = track[i * FIXES_PER_APPEND : (i + 1) * FIXES_PER_APPEND]
        sent = datetime.fromisoformat(chunk[-1]["recordedAt"]) + timedelta(seconds=5)
        add(sent, {"appendPatrolTrack": {"clientId": new_id(), "patrolClientId": patrol, "fixes": chunk}})

    for _ in range(mix["logEngagement"]):
        occurred = moment(start + timedelta(minutes=1), end - timedelta(minutes=40))
        duration = rng.randint(5, 35)
        total = rng.randint(1, 40)
        lat, lon = _near(rng, officer.latitude, officer.longitude, 1500)
        values: dict[str, Any] = {
            "clientId": new_id(),
            "kind": rng.choice(KINDS),
            "occurredAt": _iso(occurred),
            "location": {"latitude": lat, "longitude": lon, "accuracyMeters": round(rng.uniform(3, 40), 1)},
            "durationMinutes": duration,
            "attendees": {"total": total, "women": rng.randint(0, total), "youth": rng.randint(0, total)},
            "topics": rng.sample(TOPICS, rng.randint(0, 3)),
            "notes": "Residents asked for more patrols.",
            "recordedAt": _iso(occurred + timedelta(minutes=duration)),
        }
        if rng.random() < 1 / 3:
            values["patrolClientId"] = patrol
        add(occurred + timedelta(minutes=duration), {"logEngagement": values})

    reports = []
    for _ in range(mix["reportIncident"]):
        occurred = moment(start, end - timedelta(minutes=30))
        recorded = occurred + timedelta(minutes=rng.randint(1, 10))
        lat, lon = _near(rng, officer.latitude, officer.longitude, 2000)
        accuracy = round(rng.uniform(3, 40), 1)
        values = {
            "clientId": new_id(),
            "category": rng.choice(CATEGORIES),
            "stationId": station_id,
            "location": {"latitude": lat, "longitude": lon, "accuracyMeters": accuracy},
            "occurredAt": _iso(occurred),
            "description": rng.choice(DESCRIPTIONS),
            "recordedAt": _iso(recorded),
        }
        if rng.random() < 0.3:
            values["people"] = [
                {"name": "Ahmed Salim", "role": "WITNESS", "age": rng.randint(18, 70), "gender": "MALE"}
            ]
        reports.append((recorded, values["clientId"]))
        add(recorded, {"reportIncident": values})
    for recorded, incident in rng.sample(reports, mix["updateIncidentStatus"]):
        at = moment(recorded + timedelta(seconds=1), end - timedelta(seconds=1))
        add(
            at,
            {
                "updateIncidentStatus": {
                    "clientId": new_id(),
                    "incidentClientId": incident,
                    "status": "IN_PROGRESS",
                    "expectedVersion": 1,
                    "note": "Officer on the way.",
                }
            },
        )

    add(
        end,
        {
            "endPatrol": {
                "clientId": new_id(),
                "patrolClientId": patrol,
                "endedAt": _iso(end),
                "recordedAt": _iso(end),
            }
        },
    )
    entries = [entry for _, _, entry in sorted(timed, key=lambda t: (t[0], t[1]))]
    assert len(entries) == size, (len(entries), size)
    return entries


def body_of(entries: list[dict[str, Any]]) -> bytes:
    variables = {"input": {"entries": entries}}
    return orjson.dumps({"query": SYNC, "operationName": "Sync", "variables": variables})


# --- processes, databases ------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def seed(url: str, officers: int) -> list[Officer]:
    """Migrate, write the model and 200 generated stations, and add officers round the model stations."""
    from sqlalchemy import text

    from api.database import prepare
    from db.engine import make_engine, make_sessionmaker
    from resolvers.demo.stations import MODEL_STATIONS, generate_stations
    from resolvers.officers import add_officer
    from resolvers.station_writer import write_stations

    await prepare(url)
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            await write_stations(session, [*MODEL_STATIONS, *generate_stations(GENERATED_STATIONS)])
            models = (
                await session.execute(
                    text("SELECT id, latitude, longitude FROM stations WHERE is_model_station ORDER BY id")
                )
            ).all()
            if not models:
                raise BenchError("no model stations were written")
            found = []
            for n in range(officers):
                station = models[n % len(models)]
                badge = f"SYNC{n + 1:03d}"
                await add_officer(
                    session,
                    badge=badge,
                    name=f"Bench Officer {n + 1}",
                    role="OFFICER",
                    password=PASSWORD,
                    station_id=station.id,
                )
                found.append(Officer(badge, station.id, station.latitude, station.longitude))
            await session.commit()
    finally:
        await engine.dispose()
    return found


async def row_counts(url: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            for table in COUNTED
        }
    finally:
        await conn.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, from /proc (0 where there is no /proc)."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def postgres_seconds(postmaster: int | None) -> float:
    """CPU time of the whole PostgreSQL server (every database on it): the postmaster, its children that
    have exited (in its cutime and cstime) and those still running. 0 when it is not on this machine."""
    fields = stat_fields(postmaster) if postmaster else None
    if not fields:
        return 0.0
    ticks = sum(int(v) for v in fields[11:15])
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            child = stat_fields(int(entry.name))
            if child and int(child[1]) == postmaster:
                ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot, every core together, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(slots=True)
class Cpu:
    """CPU seconds used between `start` and `stop` by the server process, by PostgreSQL (all of it), by
    this load generator, and by anything else on the machine (the busy time of the cores left over)."""

    server_pid: int
    postmaster: int | None
    server_s: float = 0.0
    postgres_s: float = 0.0
    load_s: float = 0.0
    busy_s: float = 0.0

    def _now(self) -> tuple[float, float, float, float]:
        own = os.times()
        return (
            cpu_seconds(self.server_pid),
            postgres_seconds(self.postmaster),
            own.user + own.system,
            busy_seconds(),
        )

    def start(self) -> None:
        self.server_s, self.postgres_s, self.load_s, self.busy_s = (-v for v in self._now())

    def stop(self) -> None:
        server, postgres, load, busy = self._now()
        self.server_s += server
        self.postgres_s += postgres
        self.load_s += load
        self.busy_s += busy

    @property
    def other_s(self) -> float:
        return max(0.0, self.busy_s - self.server_s - self.postgres_s - self.load_s)

    def describe(self, wall_s: float) -> str:
        return (
            f"server {self.server_s / wall_s:.0%}, PostgreSQL {self.postgres_s / wall_s:.0%}, "
            f"load generator {self.load_s / wall_s:.0%}, other {self.other_s / wall_s:.0%}"
        )


def cores_busy_over(seconds: float) -> list[float]:
    """The busy share of each core over `seconds`, from /proc/stat (empty where there is none)."""

    def sample() -> list[tuple[int, int]]:
        try:
            lines = Path("/proc/stat").read_text().splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            if line.startswith("cpu") and line[3:4].isdigit():
                values = [int(v) for v in line.split()[1:]]
                idle = values[3] + values[4]
                found.append((sum(values) - idle, sum(values)))
        return found

    before = sample()
    time.sleep(seconds)
    after = sample()
    return [(b2 - b1) / max(1, t2 - t1) for (b1, t1), (b2, t2) in zip(before, after, strict=False)]


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- the load -----------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Answer:
    seconds: float
    statuses: Counter[str]
    problems: list[str]
    node_ids: list[str | None]


async def send(
    client: httpx.AsyncClient, url: str, token: str, entries: list[dict[str, Any]], expected: str
) -> Answer:
    """Post one batch; problems are anything but HTTP 200 with every entry in status `expected`."""
    body = body_of(entries)
    started = time.perf_counter()
    try:
        response = await client.post(
            url, content=body, headers={**HEADERS, "authorization": f"Bearer {token}"}
        )
    except httpx.HTTPError as error:
        return Answer(time.perf_counter() - started, Counter(), [f"{type(error).__name__}: {error}"], [])
    payload = orjson.loads(response.content) if response.content else {}
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        return Answer(seconds, Counter(), [f"HTTP {response.status_code}: {response.text[:300]}"], [])
    if payload.get("errors"):
        return Answer(seconds, Counter(), [f"top-level errors: {payload['errors']}"], [])
    result = payload["data"]["syncFieldLog"]
    problems = [f"payload errors: {result['errors']}"] if result["errors"] else []
    statuses = Counter(r["status"] for r in result["results"])
    if len(result["results"]) != len(entries):
        problems.append(f"{len(result['results'])} results for {len(entries)} entries")
    for index, r in enumerate(result["results"]):
        if r["status"] != expected:
            problems.append(f"entry {index} ({next(iter(entries[index]))}): {r['status']} {r['errors']}")
    node_ids = [r["node"]["id"] if r["node"] else None for r in result["results"]]
    return Answer(seconds, statuses, problems, node_ids)


def client_for() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=REQUEST_TIMEOUT_S, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)
    )


async def sign_in_all(base: str, officers: list[Officer]) -> list[str]:
    """Access tokens, four logins at a time (each one costs the server an argon2id verification)."""
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as client:

        async def one(officer: Officer) -> str:
            async with gate:
                variables = {"badge": officer.badge, "password": PASSWORD}
                body = orjson.dumps({"query": LOGIN, "variables": variables})
                response = await client.post(f"{base}/graphql", content=body, headers=HEADERS)
            payload = response.json()
            login = (payload.get("data") or {}).get("login") or {}
            if response.status_code != 200 or login.get("errors") or not login.get("accessToken"):
                raise BenchError(
                    f"login of {officer.badge} failed: {response.status_code} {response.text[:300]}"
                )
            return login["accessToken"]

        return list(await asyncio.gather(*(one(o) for o in officers)))


@dataclasses.dataclass(slots=True)
class BigBatch:
    applied_s: float
    duplicate_s: float
    entries: int
    cpu: Cpu
    problems: list[str]


async def big_batch(
    base: str, officers: list[Officer], tokens: list[str], size: int, seed: int, cpu: Cpu
) -> BigBatch:
    url = f"{base}/graphql"
    now = datetime.now(UTC)
    entries = field_day(officers[0], size, random.Random(seed), now)
    counts = Counter(next(iter(e)) for e in entries)
    say(
        f"  the batch: {len(entries)} entries, {len(body_of(entries)) / 1024:.0f} KiB: "
        + ", ".join(
            f"{counts[k]} {k}"
            for k in (
                "startPatrol",
                "appendPatrolTrack",
                "logEngagement",
                "reportIncident",
                "updateIncidentStatus",
                "endPatrol",
            )
        )
    )
    async with client_for() as client:
        warm = field_day(officers[-1], WARM_UP, random.Random(seed - 1), now)
        answer = await send(client, url, tokens[-1], warm, "APPLIED")
        say(f"  warm-up: {WARM_UP} entries from another officer in {answer.seconds * 1000:.0f} ms")
        if answer.problems:
            raise BenchError(f"the warm-up batch failed: {answer.problems[:5]}")
        cpu.start()
        applied = await send(client, url, tokens[0], entries, "APPLIED")
        cpu.stop()
        say(
            f"  sent: {applied.seconds:.3f} s, {dict(applied.statuses)}; CPU per wall second: "
            f"{cpu.describe(applied.seconds)}"
        )
        again = await send(client, url, tokens[0], entries, "DUPLICATE")
        say(f"  sent again: {again.seconds:.3f} s, {dict(again.statuses)}")
        problems = applied.problems + [f"resend: {p}" for p in again.problems]
        if not problems and again.node_ids != applied.node_ids:
            problems.append("the resend answered with other records than the first sending")
    return BigBatch(applied.seconds, again.seconds, len(entries), cpu, problems)


@dataclasses.dataclass(slots=True)
class Concurrent:
    officers: int
    entries: int
    batches: int
    wall_s: float
    latencies: list[float]
    errors: int
    error_samples: list[str]
    cpu: Cpu


async def concurrent_officers(
    base: str, officers: list[Officer], tokens: list[str], batches: int, batch_size: int, seed: int, cpu: Cpu
) -> Concurrent:
    url = f"{base}/graphql"
    now = datetime.now(UTC)
    days = [
        field_day(o, batches * batch_size, random.Random(seed + 1 + i), now) for i, o in enumerate(officers)
    ]
    latencies: list[float] = []
    errors: list[str] = []
    start = asyncio.Event()

    async def officer_day(index: int) -> None:
        day = days[index]
        async with client_for() as client:
            await start.wait()
            for b in range(batches):
                answer = await send(
                    client, url, tokens[index], day[b * batch_size : (b + 1) * batch_size], "APPLIED"
                )
                latencies.append(answer.seconds)
                errors.extend(f"officer {index + 1}, batch {b + 1}: {p}" for p in answer.problems)

    tasks = [asyncio.create_task(officer_day(i)) for i in range(len(officers))]
    await asyncio.sleep(0.2)  # every client created and waiting
    cpu.start()
    began = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - began
    cpu.stop()
    return Concurrent(
        len(officers),
        sum(len(d) for d in days),
        len(latencies),
        wall,
        latencies,
        len(errors),
        errors[:5],
        cpu,
    )


# --- the run ------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin = args.database_url
        self.url = with_database(self.admin, DATABASE)
        self.server: subprocess.Popen | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-sync-"))
        self.taskset = shutil.which("taskset")
        self.pin = (
            (os.cpu_count() or 1) >= 2 and self.taskset is not None and hasattr(os, "sched_setaffinity")
        )
        self.created = False
        markaz = REPO / ".venv" / "bin" / "markaz"
        self.markaz = markaz if markaz.exists() else Path(sys.executable).parent / "markaz"

    def start_server(self, port: int) -> subprocess.Popen:
        taskset = self.taskset if self.pin else None
        self.server = start_markaz(self.markaz, self.url, self.workdir, port, taskset)
        return self.server

    def stop_server(self) -> None:
        proc, self.server = self.server, None
        stop_process_group(proc)

    def run(self) -> int:
        args = self.args
        placement = "server on core 0, load generator on core 1" if self.pin else "nothing pinned"
        say(
            f"syncFieldLog benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"Python {sys.version.split()[0]}, {placement}"
        )
        say(f"\n== database {DATABASE} ==")
        started = time.monotonic()
        run_async(recreate_database(self.admin, DATABASE))
        self.created = True
        officers = run_async(seed(self.url, args.officers))
        say(
            f"  migrated and seeded in {time.monotonic() - started:.1f} s: 6 model + {GENERATED_STATIONS} "
            f"generated stations, {len(officers)} officers at the model stations"
        )

        say("\n== server ==")
        port = args.port or free_port()
        proc = self.start_server(port)
        base = f"http://127.0.0.1:{port}"
        busy = cores_busy_over(2.0)
        if busy:
            say(
                f"  cores busy with the server idle: {', '.join(f'{b:.0%}' for b in busy)}"
                + ("  (something else is running: figures will be disturbed)" if max(busy) > 0.15 else "")
            )
        everywhere = os.sched_getaffinity(0) if self.pin else None
        if self.pin:
            os.sched_setaffinity(0, {1})
        try:
            started = time.monotonic()
            tokens = run_async(sign_in_all(base, officers))
            say(f"  {len(tokens)} officers signed in in {time.monotonic() - started:.1f} s")
            before = run_async(row_counts(self.url))

            say(f"\n== (a) one batch of {args.big_batch} entries ==")
            postmaster = run_async(postmaster_pid(self.url))
            big = run_async(
                big_batch(base, officers, tokens, args.big_batch, args.seed, Cpu(proc.pid, postmaster))
            )
            for problem in big.problems[:10]:
                say(f"  PROBLEM {problem}")

            say(
                f"\n== (b) {len(officers)} officers at once, {args.batches} batches of {args.batch_size} "
                "entries each =="
            )
            load = run_async(
                concurrent_officers(
                    base,
                    officers,
                    tokens,
                    args.batches,
                    args.batch_size,
                    args.seed,
                    Cpu(proc.pid, postmaster),
                )
            )
            say(f"  done in {load.wall_s:.1f} s; CPU per wall second: {load.cpu.describe(load.wall_s)}")
            for problem in load.error_samples:
                say(f"  ERROR {problem}")
            after = run_async(row_counts(self.url))
        finally:
            if everywhere is not None:
                os.sched_setaffinity(0, everywhere)
            self.stop_server()

        grown = {table: after[table] - before[table] for table in after}
        days = [
            mix_for(WARM_UP),
            mix_for(args.big_batch),
            *[mix_for(args.batches * args.batch_size)] * len(officers),
        ]
        expected = {
            "patrols": len(days),
            "incidents": sum(d["reportIncident"] for d in days),
            "engagements": sum(d["logEngagement"] for d in days),
            "patrol_fixes": sum(1 + FIXES_PER_APPEND * d["appendPatrolTrack"] for d in days),
            "client_requests": sum(sum(d.values()) for d in days),
        }
        say(f"\n  rows written (warm-up, a, b): {grown}")
        checks_ok = all(grown[table] == count for table, count in expected.items())
        if not checks_ok:
            say(f"  PROBLEM: expected {expected}")

        rate_a = big.entries / big.applied_s
        rate_b = load.entries / load.wall_s
        p50, p99 = percentile(load.latencies, 50) * 1000, percentile(load.latencies, 99) * 1000
        met = big.applied_s < BIG_BATCH_TARGET_S
        rows = [
            (
                "(a) 500 entries, all APPLIED",
                f"{big.applied_s:.3f} s",
                f"< {BIG_BATCH_TARGET_S:.0f} s",
                "met" if met else "MISSED",
            ),
            ("(a) entries per second", f"{rate_a:,.0f}", "", ""),
            (
                "(a) CPU: server / PostgreSQL",
                f"{big.cpu.server_s:.2f} s / {big.cpu.postgres_s:.2f} s",
                "",
                "",
            ),
            ("(a) resent, all DUPLICATE", f"{big.duplicate_s:.3f} s", "", ""),
            ("(a) problems", str(len(big.problems)), "0", "met" if not big.problems else "MISSED"),
            (f"(b) entries per second ({load.officers} officers)", f"{rate_b:,.0f}", "", ""),
            (
                "(b) entries / batches / wall",
                f"{load.entries:,} / {load.batches} / {load.wall_s:.1f} s",
                "",
                "",
            ),
            ("(b) batch latency p50", f"{p50:.0f} ms", "", ""),
            ("(b) batch latency p99", f"{p99:.0f} ms", "", ""),
            ("(b) batch latency max", f"{max(load.latencies) * 1000:.0f} ms", "", ""),
            (
                "(b) CPU per wall second: server / PostgreSQL",
                f"{load.cpu.server_s / load.wall_s:.0%} / {load.cpu.postgres_s / load.wall_s:.0%}",
                "",
                "",
            ),
            ("(b) CPU of other programs per wall second", f"{load.cpu.other_s / load.wall_s:.0%}", "", ""),
            ("(b) errors", str(load.errors), "0", "met" if load.errors == 0 else "MISSED"),
        ]
        width = max(len(r[0]) for r in rows)
        say(f"\n{'measure':<{width}}  {'value':>26}  {'target':>8}")
        for name, value, target, verdict in rows:
            say(f"{name:<{width}}  {value:>26}  {target:>8}  {verdict}")
        mean = statistics.fmean(load.latencies) * 1000
        say(
            f"(batch latency over {len(load.latencies)} batches, mean {mean:.0f} ms; percentiles by nearest "
            "rank)"
        )
        return 0 if (not big.problems and load.errors == 0 and checks_ok) else 1

    def close(self) -> None:
        self.stop_server()
        clean_up(self.admin, DATABASE, self.url, self.workdir, created=self.created, keep=self.args.keep)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark syncFieldLog through the real Markaz server (run by hand, never in CI).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"a PostgreSQL server; the database {DATABASE} is made on it afresh",
    )
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    parser.add_argument("--officers", type=int, default=50, help="officers, each sending at once in (b)")
    parser.add_argument("--batches", type=int, default=10, help="batches each officer sends in (b)")
    parser.add_argument("--batch-size", type=int, default=20, help="entries per batch in (b)")
    parser.add_argument("--big-batch", type=int, default=500, help="entries of the single batch in (a)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated field work")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    args = parser.parse_args(argv)
    if args.officers < 2:
        parser.error("--officers must be at least 2 (one warms the server up)")
    if args.batches * args.batch_size < 6 or args.big_batch < 6:
        parser.error("a day needs at least 6 entries (--batches x --batch-size, and --big-batch)")
    if args.big_batch > 500:
        parser.error("--big-batch: syncFieldLog takes at most 500 entries")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    bench = Bench(args)
    try:
        return bench.run()
    except BenchError as error:
        say(f"\nbenchmark failed: {error}")
        return 1
    except KeyboardInterrupt:
        say("\ninterrupted")
        return 130
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
