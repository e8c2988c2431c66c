"""Benchmark: what one request costs the server, measured in-process: CPU time and database round trips.

Run by hand: `.venv/bin/python bench/cost.py --database-url postgresql://.../db nearest|steps|sync [...]`.
`nearest` needs stations (`markaz seed --demo --stations 10000` on that database); `steps` too, and
prints the time a request spends in each step of the GraphQL pipeline (api/pipeline.py) for the citizen
app's NearestStations and an officer's MyIncidents (it adds the officer STEPS001 if missing); `sync`
recreates its database (named markaz_bench_* or perf_*), seeds stations and two officers, and sends
them a day of field work.

Wall-clock figures on a shared 2-core machine swing with what else runs; the CPU time the server spends
per request and the number of round trips to PostgreSQL barely do, so changes are judged on these. The
app is driven through its ASGI interface directly (no sockets, no HTTP parsing), one request at a time,
so the CPU time of this process is, within microseconds, the server's own. Round trips are counted where
asyncpg waits on the server (a simple query, a prepare, a bind-execute); PostgreSQL's own CPU is not in
the figures. `--profile FILE` writes a cProfile of the measured requests (read it with pstats).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from common import run_async, say

REPO = Path(__file__).resolve().parents[1]

NEAREST = """query Nearest($near: GeoPointInput!) {
  nearestStations(near: $near, first: 5, openNow: true, services: [FAMILY_AND_CHILD_PROTECTION]) {
    distanceMeters isOpen station { id name phone location { latitude longitude } }
  }
}"""

_COUNTED = ("query", "prepare", "bind_execute", "bind_execute_many", "bind", "execute", "close_statement")


class _CountingProtocol:
    """Stands in for an asyncpg connection's protocol and counts the calls that wait on the server."""

    def __init__(self, protocol: Any, counter: RoundTrips) -> None:
        object.__setattr__(self, "_inner", protocol)
        object.__setattr__(self, "_counter", counter)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name in _COUNTED:
            counter = self._counter

            def counted(*args: Any, **kwargs: Any) -> Any:
                counter.count += 1
                if counter.texts is not None:
                    what = next((a for a in args if isinstance(a, str)), None)
                    what = what or getattr(next((a for a in args if hasattr(a, "query")), None), "query", "")
                    counter.texts[f"{name}: {str(what)[:150]}"] += 1
                return value(*args, **kwargs)

            return counted
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)


class RoundTrips:
    def __init__(self) -> None:
        self.count = 0
        self.texts: collections.Counter[str] | None = None  # round trips by statement, with --statements

    def install(self) -> None:
        import asyncpg.connection

        original = asyncpg.connection.Connection.__init__
        counter = self

        def init(conn: Any, protocol: Any, *args: Any, **kwargs: Any) -> None:
            original(conn, _CountingProtocol(protocol, counter), *args, **kwargs)

        asyncpg.connection.Connection.__init__ = init  # type: ignore[method-assign]


class App:
    """The Markaz app with its lifespan running, called through ASGI."""

    def __init__(self, database_url: str) -> None:
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("MARKAZ_LOG_LEVEL", "WARNING")
        from api.app import create_app
        from api.config import Settings
        from api.logs import configure

        settings = Settings.from_env()
        configure(settings.log_level, settings.log_format)  # as `markaz serve` does
        self.app = create_app(settings)
        self._lifespan: asyncio.Task | None = None
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._outbox: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> App:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._lifespan = asyncio.create_task(self.app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._outbox.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"start-up failed: {message}")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        await self._lifespan

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()
            return {}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def graphql(
    app: App, query: str, variables: dict[str, Any], token: str | None = None, name: str | None = None
) -> dict[str, Any]:
    headers = {
        "content-type": "application/json",
        "accept": "application/graphql-response+json",
        "accept-language": "ar",
    }
    if token:
        headers["authorization"] = f"Bearer {token}"
    status, body = await app.post(
        orjson.dumps({"query": query, "variables": variables, "operationName": name}), headers
    )
    answer = orjson.loads(body)
    if status != 200 or answer.get("errors"):
        raise RuntimeError(f"HTTP {status}: {body[:500]!r}")
    return answer


def nearest_points(count: int, seed: int) -> list[tuple[float, float]]:
    """Points around Iraqi towns, as bench/nearest.py draws them."""
    sys.path.insert(0, str(Path(__file__).parent))
    from nearest import query_points

    return query_points(count, seed)


async def measure(label: str, requests: int, run, profile: str | None, trips: RoundTrips) -> None:
    profiler = cProfile.Profile(time.process_time) if profile else None
    trips.count = 0
    if trips.texts is not None:
        trips.texts.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for index in range(requests):
        await run(index)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    say(
        f"{label}: {requests} requests, server CPU {cpu / requests * 1000:.3f} ms a request, "
        f"{trips.count / requests:.2f} round trips a request, wall {wall / requests * 1000:.3f} ms a request"
    )
    if trips.texts:
        for text, count in trips.texts.most_common(40):
            say(f"  {count / requests:8.2f}  {text}")
    return cpu / requests, trips.count / requests


async def bench_nearest(args: argparse.Namespace, trips: RoundTrips) -> None:
    points = nearest_points(4096, args.seed)
    async with App(args.database_url) as app:

        async def one(index: int) -> None:
            lat, lon = points[index % len(points)]
            variables = {"near": {"latitude": lat, "longitude": lon}}
            answer = await graphql(app, NEAREST, variables, name="Nearest")
            if len(answer["data"]["nearestStations"]) != 5:
                raise RuntimeError(f"not five stations: {answer}")

        await measure("warm-up", args.warmup, one, None, trips)
        for _ in range(args.repeat):
            await measure("nearestStations", args.requests, one, args.profile, trips)


def _operation(app: str, name: str) -> str:
    return (REPO / "mobile_contract" / "operations" / app / f"{name}.graphql").read_text()


async def _steps_officer(database_url: str) -> str:
    """The badge of the bench's officer, added once (password bench/sync.py's PASSWORD)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import sync as day
    from sqlalchemy import text

    from db.engine import make_engine, make_sessionmaker
    from resolvers.officers import add_officer

    badge = "STEPS001"
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            found = await session.execute(
                text("SELECT 1 FROM officers WHERE badge_number = :b"), {"b": badge}
            )
            if found.first() is None:
                station = (
                    await session.execute(text("SELECT id FROM stations ORDER BY id LIMIT 1"))
                ).scalar()
                await add_officer(
                    session,
                    badge=badge,
                    name="Bench Officer",
                    role="OFFICER",
                    password=day.PASSWORD,
                    station_id=station,
                )
                await session.commit()
    finally:
        await engine.dispose()
    return badge


async def bench_steps(args: argparse.Namespace, trips: RoundTrips) -> None:
    """Microseconds a request spends in each step of the pipeline, wall and this process's CPU."""
    sys.path.insert(0, str(Path(__file__).parent))
    import sync as day

    from api.pipeline import STEPS, StepClock

    points = nearest_points(4096, args.seed)
    badge = await _steps_officer(args.database_url)
    nearest = _operation("citizen", "NearestStations")
    incidents = _operation("officer", "MyIncidents")
    async with App(args.database_url) as app:
        endpoint = next(
            r.endpoint.__self__
            for r in app.app.routes
            if type(r).__name__ == "Route" and getattr(r, "path", None) == "/graphql"
        )
        login = await graphql(app, day.LOGIN, {"badge": badge, "password": day.PASSWORD})
        token = login["data"]["login"]["accessToken"]

        async def citizen(index: int) -> None:
            lat, lon = points[index % len(points)]
            variables = {
                "near": {"latitude": lat, "longitude": lon},
                "services": ["FAMILY_AND_CHILD_PROTECTION"],
            }
            answer = await graphql(app, nearest, variables, name="NearestStations")
            if not answer["data"]["nearestStations"]:
                raise RuntimeError(f"no stations: {answer}")

        async def officer(index: int) -> None:
            await graphql(app, incidents, {}, token, "MyIncidents")

        for label, run in (("citizen NearestStations", citizen), ("officer MyIncidents", officer)):
            await measure(f"{label} warm-up", args.warmup, run, None, trips)
            rows = []
            for timer_name, timer in (("wall", time.perf_counter_ns), ("cpu", time.process_time_ns)):
                clock = endpoint.pipeline.clock = StepClock(timer)
                started = timer()
                for index in range(args.requests):
                    await run(index)
                whole = (timer() - started) / args.requests / 1000
                endpoint.pipeline.clock = None
                per = {step: clock.spent[step] / clock.requests / 1000 for step in STEPS}
                rows.append((timer_name, per, whole))
            say(f"{label}: µs a request in each step ({args.requests} requests)")
            say("  " + f"{'step':<14}" + "".join(f"{name:>10}" for name, _, _ in rows))
            for step in STEPS:
                say("  " + f"{step:<14}" + "".join(f"{per[step]:>10.1f}" for _, per, _ in rows))
            say(
                "  "
                + f"{'outside':<14}"
                + "".join(f"{whole - sum(per.values()):>10.1f}" for _, per, whole in rows)
                + "   (middlewares, ASGI, this driver)"
            )
            say("  " + f"{'whole request':<14}" + "".join(f"{whole:>10.1f}" for _, _, whole in rows))


async def bench_sync(args: argparse.Namespace, trips: RoundTrips) -> None:
    """500-entry batches of one officer's day (bench/sync.py's mix), each new, then one sent again."""
    from datetime import UTC, datetime

    sys.path.insert(0, str(Path(__file__).parent))
    from urllib.parse import urlsplit

    import sync as day
    from common import recreate_database

    name = urlsplit(args.database_url).path.lstrip("/")
    if not name.startswith(("markaz_bench", "perf_")):
        raise SystemExit(
            "sync writes: give a scratch database named markaz_bench_* or perf_* (it is recreated)"
        )
    await recreate_database(day.with_database(args.database_url, "postgres"), name)
    officers = await day.seed(args.database_url, 2)
    async with App(args.database_url) as app:
        tokens = []
        for officer in officers:
            answer = await graphql(app, day.LOGIN, {"badge": officer.badge, "password": day.PASSWORD})
            tokens.append(answer["data"]["login"]["accessToken"])
        now = datetime.now(UTC)
        batches = [
            day.field_day(officers[i % 2], args.size, random.Random(args.seed + i), now)
            for i in range(args.warmup_batches + args.requests)
        ]

        def sender(expected: str, offset: int):
            async def one(index: int) -> None:
                entries = batches[offset + index]
                answer = await graphql(
                    app, day.SYNC, {"input": {"entries": entries}}, tokens[(offset + index) % 2], "Sync"
                )
                statuses = {r["status"] for r in answer["data"]["syncFieldLog"]["results"]}
                if statuses != {expected}:
                    raise RuntimeError(f"expected {expected} only, got {statuses}")

            return one

        await measure("warm-up batch", args.warmup_batches, sender("APPLIED", 0), None, trips)
        await measure(
            f"{args.size}-entry batch, APPLIED",
            args.requests,
            sender("APPLIED", args.warmup_batches),
            args.profile,
            trips,
        )
        await measure(
            f"{args.size}-entry batch resent, DUPLICATE",
            args.requests,
            sender("DUPLICATE", args.warmup_batches),
            None,
            trips,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Server CPU and round trips per request, in-process.")
    parser.add_argument("what", choices=["nearest", "steps", "sync"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=500, help="entries a sync batch (default: 500)")
    parser.add_argument("--warmup-batches", type=int, default=1)
    parser.add_argument("--statements", action="store_true", help="list round trips by statement")
    parser.add_argument("--no-count", action="store_true", help="do not count round trips (no wrapper)")
    parser.add_argument("--profile", help="write a cProfile of the measured requests to this file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    random.seed(args.seed)
    trips = RoundTrips()
    if not args.no_count:
        trips.install()
        if args.statements:
            trips.texts = collections.Counter()
    with contextlib.suppress(KeyboardInterrupt):
        benches = {"nearest": bench_nearest, "steps": bench_steps, "sync": bench_sync}
        run_async(benches[args.what](args, trips))
    return 0


if __name__ == "__main__":
    sys.exit(main())
