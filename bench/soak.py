"""Soak: a realistic mix of users against the real Markaz server on loopback, for a bounded time.

Run by hand, never in CI: `.venv/bin/python bench/soak.py` (5 minutes by default; `--seconds`, `--help`).

- Data. A fresh database `markaz_bench_soak` on the server of --database-url (dropped first, migrated,
  dropped at the end unless --keep): the model stations and --stations generated ones over all 18
  governorates, --officers officers spread over the model stations and --supervisors supervisors of the
  model stations' governorates.
- Server. `markaz serve` as a subprocess, pinned to core 0 with taskset when there are two cores (the
  load generator to core 1), logging at WARNING, ready once /readyz says so.
- The mix, every user a loop with its own keep-alive connection, until the time is up:
  citizens ask for the nearest open stations (`nearestStations`, 5, sometimes with `openNow` or a
  service) from a point near a random station, a second apart; officers send their offline queue
  (`syncFieldLog`, batches of --batch-size new incidents and engagements), a few seconds apart;
  supervisors page through their governorates' incidents, engagements and patrols and the stations of
  a governorate, and the map screens: `activityMap` (resolution 8) and `activitySummary` of their
  governorate over the last 30 days, with the supervisor app's own operation documents.
- Reported: progress every --progress seconds; per kind the requests, errors, p50 and p99 (nearest
  rank, milliseconds); the server's resident memory (RSS, from /proc) after the warm-up (--warm-up
  seconds) and at the end. An error is an HTTP status other than 200, any GraphQL error, or a sync entry
  not APPLIED; there must be none, and the RSS must grow by less than 10% after the warm-up (exit 1
  otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

# The scripts run as `python bench/<name>.py`, so their own folder is on the path.
from common import (
    BenchError,
    clean_up,
    free_port,
    recreate_database,
    run_async,
    say,
    start_markaz,
    stop_process_group,
)

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "markaz_bench_soak"
PASSWORD = "bench soak password 2026"  # noqa: S105 - the bench accounts' password, not a secret
HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json",
    "accept-language": "en",
}
MAX_GROWTH = 0.10
SERVICES = ("COMMUNITY_POLICING", "FAMILY_AND_CHILD_PROTECTION", "WOMEN_OFFICERS_DESK", "CRIME_REPORTING")

LOGIN = """mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) { accessToken errors { code message } }
}"""
NEAREST = """query Nearest($near: GeoPointInput!, $openNow: Boolean, $services: [StationService!]) {
  nearestStations(near: $near, first: 5, openNow: $openNow, services: $services) {
    distanceMeters isOpen station { id name phone location { latitude longitude } nextChangeAt }
  }
}"""
SYNC = """mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) { results { clientId status errors { code message } } errors { code } }
}"""
SUPERVISOR_QUERIES = {
    "incidents": """query { incidents(first: 20) { totalCount edges { node {
      id category status occurredAt sensitive location { latitude longitude } station { name } } } } }""",
    "engagements": """query { engagements(first: 20) { totalCount edges { node {
      id kind occurredAt attendees { total women youth } station { name }
      followUps { status overdue } } } } }""",
    "patrols": """query { patrols(first: 20) { totalCount edges { node {
      id status startedAt fixCount station { name } } } } }""",
    "activityMap": (REPO / "mobile_contract/operations/supervisor/ActivityMap.graphql").read_text(),
    "activitySummary": (REPO / "mobile_contract/operations/supervisor/ActivitySummary.graphql").read_text(),
    "stations": """query Stations($governorate: ID) { stations(first: 50, governorateId: $governorate) {
      totalCount edges { node { id name isOpen services } } } }""",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Account:
    badge: str
    station_id: int | None
    governorate: str
    latitude: float
    longitude: float


@dataclasses.dataclass(slots=True)
class Stats:
    """Latencies and errors per kind of request, and the server's memory over time."""

    latencies: dict[str, list[float]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))
    samples: list[str] = dataclasses.field(default_factory=list)
    recording: bool = False

    def record(self, kind: str, seconds: float, problem: str | None) -> None:
        if not self.recording:
            return
        self.latencies[kind].append(seconds)
        if problem is not None:
            self.errors[kind] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {problem}")


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc (0 where there is none)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# --- data ---------------------------------------------------------------------------------------------

Seeded = tuple[list["Account"], list["Account"], list[tuple[float, float]]]


async def seed(url: str, stations: int, officers: int, supervisors: int) -> Seeded:
    """Migrate; write the stations, the officers and the supervisors; return them and every station's
    place."""
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
            await write_stations(session, [*MODEL_STATIONS, *generate_stations(stations)])
            models = (
                await session.execute(
                    text(
                        "SELECT id, governorate_code, latitude, longitude FROM stations WHERE "
                        "is_model_station "
                        "ORDER BY id"
                    )
                )
            ).all()
            points = [
                (r.latitude, r.longitude)
                for r in (await session.execute(text("SELECT latitude, longitude FROM stations"))).all()
            ]
            if not models:
                raise BenchError("no model stations were written")
            field, bosses = [], []
            for n in range(officers):
                station = models[n % len(models)]
                badge = f"SOAK{n + 1:03d}"
                await add_officer(
                    session,
                    badge=badge,
                    name=f"Soak Officer {n + 1}",
                    role="OFFICER",
                    password=PASSWORD,
                    station_id=station.id,
                )
                field.append(
                    Account(badge, station.id, station.governorate_code, station.latitude, station.longitude)
                )
            for n in range(supervisors):
                station = models[n % len(models)]
                badge = f"SOAKSUP{n + 1:02d}"
                await add_officer(
                    session,
                    badge=badge,
                    name=f"Soak Supervisor {n + 1}",
                    role="SUPERVISOR",
                    password=PASSWORD,
                    governorates=(station.governorate_code,),
                )
                bosses.append(
                    Account(badge, None, station.governorate_code, station.latitude, station.longitude)
                )
            await session.commit()
    finally:
        await engine.dispose()
    return field, bosses, points


# --- users --------------------------------------------------------------------------------------------


class Load:
    def __init__(self, base: str, stats: Stats, args: argparse.Namespace, points: list[tuple[float, float]]):
        self.base, self.stats, self.args, self.points = base, stats, args, points
        self.stopping = asyncio.Event()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base,
            timeout=60,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    async def _post(
        self,
        client: httpx.AsyncClient,
        kind: str,
        query: str,
        variables: dict | None,
        token: str | None = None,
    ) -> dict[str, Any] | None:
        headers = {**HEADERS, **({"authorization": f"Bearer {token}"} if token else {})}
        started = time.perf_counter()
        problem = None
        body: dict[str, Any] | None = None
        try:
            response = await client.post(
                "/graphql",
                content=orjson.dumps({"query": query, "variables": variables or {}}),
                headers=headers,
            )
            body = response.json()
            if response.status_code != 200:
                problem = f"HTTP {response.status_code} {response.text[:200]}"
            elif body.get("errors"):
                problem = f"errors {body['errors'][:2]}"
        except (httpx.HTTPError, ValueError) as error:
            problem = f"{type(error).__name__}: {error}"
        self.stats.record(kind, time.perf_counter() - started, problem)
        return body if problem is None else None

    async def sign_in(self, client: httpx.AsyncClient, account: Account) -> str:
        body = await self._post(client, "login", LOGIN, {"badge": account.badge, "password": PASSWORD})
        login = (body or {}).get("data", {}).get("login") or {}
        if not login.get("accessToken"):
            raise BenchError(f"login of {account.badge} failed: {body}")
        return login["accessToken"]

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def citizen(self, n: int) -> None:
        rng = random.Random(self.args.seed * 1000 + n)
        async with self.client() as client:
            while not self.stopping.is_set():
                lat, lon = rng.choice(self.points)
                near = {
                    "latitude": lat + rng.uniform(-0.05, 0.05),
                    "longitude": lon + rng.uniform(-0.05, 0.05),
                }
                roll = rng.random()
                variables = {
                    "near": near,
                    "openNow": roll < 0.3,
                    "services": [rng.choice(SERVICES)] if roll > 0.8 else None,
                }
                await self._post(client, "nearestStations", NEAREST, variables)
                await self._pause(rng.uniform(0.5, 1.5))

    async def officer(self, account: Account, n: int) -> None:
        rng = random.Random(self.args.seed * 2000 + n)
        async with self.client() as client:
            token = await self.sign_in(client, account)
            signed_at = time.monotonic()
            await self._pause(rng.uniform(0, 3))
            while not self.stopping.is_set():
                if time.monotonic() - signed_at > 600:  # access tokens live 15 minutes
                    token, signed_at = await self.sign_in(client, account), time.monotonic()
                entries = [self._entry(account, rng) for _ in range(self.args.batch_size)]
                body = await self._post(client, "syncFieldLog", SYNC, {"input": {"entries": entries}}, token)
                if body is not None:
                    refused = [
                        (r["status"], r["errors"])
                        for r in body["data"]["syncFieldLog"]["results"]
                        if r["status"] != "APPLIED"
                    ]
                    if refused:
                        self.stats.record("syncFieldLog entries", 0.0, f"not APPLIED: {refused[:2]}")
                await self._pause(rng.uniform(2, 6))

    @staticmethod
    def _entry(account: Account, rng: random.Random) -> dict[str, Any]:
        from resolvers.ids import global_id

        # The officer's station, named: a place near it may lie nearer another station.
        station = global_id("Station", account.station_id)
        at = (datetime.now(UTC) - timedelta(minutes=rng.uniform(1, 240))).isoformat()
        place = {
            "latitude": account.latitude + rng.uniform(-0.01, 0.01),
            "longitude": account.longitude + rng.uniform(-0.01, 0.01),
            "accuracyMeters": rng.uniform(3, 30),
        }
        if rng.random() < 0.5:
            return {
                "reportIncident": {
                    "clientId": str(uuid.uuid4()),
                    "category": rng.choice(
                        ("THEFT", "DISPUTE", "TRAFFIC_ACCIDENT", "FRAUD", "DOMESTIC_VIOLENCE")
                    ),
                    "location": place,
                    "occurredAt": at,
                    "recordedAt": at,
                    "description": "Reported at the station's desk.",
                    "stationId": station,
                }
            }
        return {
            "logEngagement": {
                "clientId": str(uuid.uuid4()),
                "kind": rng.choice(("MARKET_WALK", "SCHOOL_VISIT", "COMMUNITY_MEETING", "HOME_VISIT")),
                "location": place,
                "occurredAt": at,
                "recordedAt": at,
                "attendees": {"total": rng.randint(1, 60)},
                "topics": ["street lighting"],
                "stationId": station,
            }
        }

    async def supervisor(self, account: Account, n: int) -> None:
        from resolvers.ids import global_id

        rng = random.Random(self.args.seed * 3000 + n)
        governorate = global_id("Governorate", account.governorate)
        async with self.client() as client:
            token = await self.sign_in(client, account)
            signed_at = time.monotonic()
            while not self.stopping.is_set():
                if time.monotonic() - signed_at > 600:
                    token, signed_at = await self.sign_in(client, account), time.monotonic()
                kind = rng.choice(list(SUPERVISOR_QUERIES))
                variables: dict[str, Any] | None = None
                if kind == "stations":
                    variables = {"governorate": governorate}
                elif kind.startswith("activity"):
                    # the maps take whole hours
                    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                    variables = {
                        "area": {"governorateId": governorate},
                        "from": (now - timedelta(days=30)).isoformat(),
                        "to": now.isoformat(),
                    }
                await self._post(client, kind, SUPERVISOR_QUERIES[kind], variables, token)
                await self._pause(rng.uniform(1, 4))


# --- the run ------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin = args.database_url
        self.url = with_database(self.admin, DATABASE)
        self.server: subprocess.Popen | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-soak-"))
        self.pin = (
            (os.cpu_count() or 1) >= 2
            and shutil.which("taskset") is not None
            and hasattr(os, "sched_setaffinity")
        )
        self.created = False
        markaz = REPO / ".venv" / "bin" / "markaz"
        self.markaz = markaz if markaz.exists() else Path(sys.executable).parent / "markaz"

    def start_server(self, port: int) -> subprocess.Popen:
        self.server = start_markaz(self.markaz, self.url, self.workdir, port, "taskset" if self.pin else None)
        return self.server

    def stop_server(self) -> None:
        proc, self.server = self.server, None
        stop_process_group(proc)

    async def drive(
        self,
        base: str,
        pid: int,
        field: list[Account],
        bosses: list[Account],
        points: list[tuple[float, float]],
    ) -> tuple[Stats, int, int, int]:
        args = self.args
        stats = Stats()
        load = Load(base, stats, args, points)
        users = [load.citizen(n) for n in range(args.citizens)]
        users += [load.officer(a, n) for n, a in enumerate(field)]
        users += [load.supervisor(a, n) for n, a in enumerate(bosses)]
        tasks = [asyncio.create_task(u) for u in users]
        started = time.monotonic()
        say(
            f"  warming up for {args.warm_up} s ({args.citizens} citizens, {len(field)} officers, "
            f"{len(bosses)} supervisors)"
        )
        await asyncio.sleep(args.warm_up)
        rss_warm = rss_peak = rss_bytes(pid)
        stats.recording = True
        measured_from = time.monotonic()
        say(f"  measuring for {args.seconds} s; RSS after warm-up {rss_warm / 2**20:.1f} MiB")
        next_report = measured_from + args.progress
        while (now := time.monotonic()) < measured_from + args.seconds:
            failed = [t for t in tasks if t.done() and t.exception() is not None]
            if failed:
                raise BenchError(f"a user stopped: {failed[0].exception()!r}")
            await asyncio.sleep(min(1.0, max(0.05, next_report - now)))
            rss_peak = max(rss_peak, rss_bytes(pid))
            if time.monotonic() >= next_report:
                next_report += args.progress
                done = sum(len(v) for v in stats.latencies.values())
                errors = sum(stats.errors.values())
                say(
                    f"  {time.monotonic() - measured_from:5.0f} s: {done:,} requests, {errors} errors, "
                    f"RSS {rss_bytes(pid) / 2**20:.1f} MiB"
                )
        stats.recording = False
        rss_end = rss_bytes(pid)
        load.stopping.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        del started
        return stats, rss_warm, rss_end, rss_peak

    def run(self) -> int:
        args = self.args
        placement = "server on core 0, load generator on core 1" if self.pin else "nothing pinned"
        say(
            f"soak, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python "
            f"{sys.version.split()[0]}, {placement}"
        )
        say(f"\n== database {DATABASE} ==")
        started = time.monotonic()
        run_async(recreate_database(self.admin, DATABASE))
        self.created = True
        field, bosses, points = run_async(seed(self.url, args.stations, args.officers, args.supervisors))
        say(
            f"  migrated and seeded in {time.monotonic() - started:.1f} s: {len(points)} stations, "
            f"{len(field)} officers, {len(bosses)} supervisors"
        )
        say("\n== server ==")
        port = args.port or free_port()
        proc = self.start_server(port)
        everywhere = os.sched_getaffinity(0) if self.pin else None
        if self.pin:
            os.sched_setaffinity(0, {1})
        try:
            say("\n== load ==")
            stats, rss_warm, rss_end, rss_peak = run_async(
                self.drive(f"http://127.0.0.1:{port}", proc.pid, field, bosses, points)
            )
        finally:
            if everywhere is not None:
                os.sched_setaffinity(0, everywhere)
            self.stop_server()

        say(f"\n{'kind':<22} {'requests':>9} {'per s':>7} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
        total, errors = 0, 0
        for kind in sorted(stats.latencies):
            values = stats.latencies[kind]
            if kind == "syncFieldLog entries":
                continue
            total += len(values)
            errors += stats.errors[kind]
            say(
                f"{kind:<22} {len(values):>9,} {len(values) / args.seconds:>7.1f} {stats.errors[kind]:>7} "
                f"{percentile(values, 50) * 1000:>8.1f} {percentile(values, 99) * 1000:>8.1f}"
            )
        errors += stats.errors.get("syncFieldLog entries", 0)
        growth = (rss_end - rss_warm) / rss_warm if rss_warm else float("nan")
        say(f"{'all':<22} {total:>9,} {total / args.seconds:>7.1f} {errors:>7}")
        say(
            f"\nserver RSS: {rss_warm / 2**20:.1f} MiB after warm-up, {rss_end / 2**20:.1f} MiB at the end "
            f"({growth:+.1%}), peak {rss_peak / 2**20:.1f} MiB; target under +{MAX_GROWTH:.0%}"
        )
        for sample in stats.samples:
            say(f"  ERROR {sample}")
        ok = errors == 0 and growth < MAX_GROWTH
        say(f"errors: {errors} (target 0); memory growth {'met' if growth < MAX_GROWTH else 'MISSED'}")
        return 0 if ok else 1

    def close(self) -> None:
        self.stop_server()
        clean_up(self.admin, DATABASE, self.url, self.workdir, created=self.created, keep=self.args.keep)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Soak the real Markaz server with a realistic mix (run by hand, never in CI).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"a PostgreSQL server; the database {DATABASE} is made on it afresh",
    )
    parser.add_argument("--seconds", type=int, default=300, help="how long to measure, after the warm-up")
    parser.add_argument("--warm-up", type=int, default=30, help="seconds of load before measuring")
    parser.add_argument("--progress", type=int, default=15, help="seconds between progress lines")
    parser.add_argument("--citizens", type=int, default=20, help="citizens, each a query a second or so")
    parser.add_argument("--officers", type=int, default=10, help="officers syncing every few seconds")
    parser.add_argument("--supervisors", type=int, default=4, help="supervisors paging through lists")
    parser.add_argument("--batch-size", type=int, default=10, help="entries per sync batch")
    parser.add_argument("--stations", type=int, default=2000, help="generated stations besides the models")
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the users' choices")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    args = parser.parse_args(argv)
    if args.seconds < 1 or args.warm_up < 0 or args.progress < 1:
        parser.error("--seconds and --progress must be positive, --warm-up not negative")
    if not 1 <= args.batch_size <= 500:
        parser.error("--batch-size: 1 to 500 entries")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    soak = Soak(args)
    try:
        return soak.run()
    except BenchError as error:
        say(f"\nsoak failed: {error}")
        return 1
    except KeyboardInterrupt:
        say("\ninterrupted")
        return 130
    finally:
        soak.close()


if __name__ == "__main__":
    sys.exit(main())
