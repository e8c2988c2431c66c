"""Benchmark: every shipped query operation, compiled (schema/compiled) and by ordinary execution.

Run by hand (a script, not a test):

    .venv/bin/python bench/operations.py --admin-url postgresql://postgres@127.0.0.1:5432/postgres

It recreates a scratch database (markaz_bench_operations; `--reuse` keeps it), migrates it, writes the
model stations and 10,000 demo stations (`--stations`) and the demo officers' field work (`--scale` of 90
days), then, for each query operation of mobile_contract/operations/** and of the /map page, sends the
same requests to the real app in-process (through ASGI: no sockets, no HTTP parsing), first compiled and
then with the planner off, one request at a time, and prints the server's CPU time a request (the waits
on PostgreSQL are not in it, so a busy machine moves it little):

- end to end through the app (transport, authentication, limits, execution, rendering), and as req/s;
- in execution alone (`Executor.execute`);
- "engine": execution less the CPU of the fields' own resolvers (see ResolverClock);
- "ceiling": what a free engine would give end to end, the resolver steps unchanged (`ceiling`).

Each operation is checked to have run compiled. Figures and how to read them: docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import h3
import orjson
from common import recreate_database, run_async, say

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

NAME = "markaz_bench_operations"


def with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def seed(url: str, stations: int, scale: float) -> dict[str, Any]:
    """The demo data; what the operations' variables point at."""
    from sqlalchemy import text

    from api.database import prepare
    from db.engine import make_engine, make_sessionmaker
    from resolvers.demo.fieldwork import seed_fieldwork
    from resolvers.demo.stations import MODEL_STATIONS, generate_stations
    from resolvers.station_writer import write_stations
    from schema.node import to_global_id

    await prepare(url)
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            await write_stations(session, MODEL_STATIONS)
            await write_stations(session, generate_stations(stations, seed=2026))
            credentials, _ = await seed_fieldwork(session, seed=2026, scale=scale)
            await session.commit()
            incident = await session.scalar(text("SELECT id FROM incidents ORDER BY id LIMIT 1"))
            engagement = await session.scalar(
                text(
                    "SELECT e.id FROM engagements e JOIN follow_up_actions f ON f.engagement_id = e.id "
                    "ORDER BY e.id LIMIT 1"
                )
            )
            station = await session.scalar(
                text("SELECT id FROM stations WHERE is_model_station ORDER BY id LIMIT 1")
            )
            badges = {c.role: c.badge for c in credentials}
            commanded = await session.scalar(
                text("SELECT station_id FROM officers WHERE badge_number = :b"),
                {"b": badges.get("STATION_COMMANDER", "")},
            )
    finally:
        await engine.dispose()
    return {
        "badges": {c.role: c.badge for c in credentials},
        "incident": to_global_id("Incident", incident),
        "engagement": to_global_id("Engagement", engagement),
        "station": to_global_id("Station", station),
        "commanded": to_global_id("Station", commanded or station),  # the demo commander's station
        "governorate": to_global_id("Governorate", "IQ-NI"),
    }


def variables_for(
    name: str, w: dict[str, Any], index: int, points: list[tuple[float, float]]
) -> dict[str, Any]:
    """The variables a client sends, varied by request where the operation takes a place."""
    lat, lon = points[index % len(points)]
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    window = {"from": (hour - timedelta(days=30)).isoformat(), "to": hour.isoformat()}
    first_of_month = hour.replace(day=1, hour=0)
    months = {
        "from": (first_of_month - timedelta(days=80)).replace(day=1).isoformat(),
        "to": first_of_month.isoformat(),
    }
    mosul = {"bbox": {"south": 36.2, "west": 43.0, "north": 36.5, "east": 43.3}}
    return {
        "NearestStations": {
            "near": {"latitude": lat, "longitude": lon},
            "services": ["FAMILY_AND_CHILD_PROTECTION"],
        },
        "SearchStations": {"search": "مركز", "first": 20},
        "Station": {"id": w["station"]},
        "PublicSafetyMap": {"area": mosul, **months},
        "EngagementHistory": {"id": w["engagement"]},
        "IncidentHistory": {"id": w["incident"]},
        "ActivityMap": {"area": mosul, **window},
        "ActivitySummary": {"area": mosul, **window},
        "ActivityTimeline": {"area": mosul, **window},
        "CoverageGaps": {"area": mosul},
        "Stations": {"governorateId": w["governorate"]},
        "LocateStation": {"near": {"latitude": lat, "longitude": lon}},
        "StationCommunity": {"id": w["station"]},
        "StationSettings": {"id": w["station"]},
        "Attachments": {"id": w["incident"]},
        "ProblemAssessment": {"id": w["incident"]},  # no problem seeded: a node of another kind, null
        "FeedbackSummary": {"governorateId": w["governorate"], **months},
        "FeedbackComments": {"stationId": w["commanded"], **months, "first": 20},
        "FeedbackLink": {"stationId": w["commanded"]},
        "PublicHolidays": {"year": hour.year},
        "Summary": {"area": mosul, **window},
        "Timeline": {"area": mosul, **window},
        "CellIncidents": {"cell": h3.latlng_to_cell(36.34, 43.13, 7), **window},
    }.get(name, {})


def operations() -> dict[str, str]:
    from graphql import OperationDefinitionNode, OperationType, parse

    from api import map_page

    found = {
        f"{p.parent.name}/{p.stem}": p.read_text()
        for p in sorted((REPO / "mobile_contract" / "operations").rglob("*.graphql"))
    }
    found.update({f"map/{k}": v for k, v in map_page.operations().items()})
    queries = {}
    for key, document in found.items():
        op = next(d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode))
        if op.operation == OperationType.QUERY:
            queries[key] = document
    return queries


class Timed:
    """Wraps Executor.execute to add up the time spent in execution."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self.inner = executor.execute
        self.seconds = 0.0
        executor.execute = self

    async def __call__(self, *args: Any) -> Any:
        started = time.process_time()
        try:
            return await self.inner(*args)
        finally:
            self.seconds += time.process_time() - started


async def measure(
    run: Callable[[int], Any], requests: int, timed: Timed, seconds: float
) -> tuple[float, float, int]:
    """(CPU µs a request end to end, CPU µs a request in execution, requests), over `requests` requests
    or `seconds` seconds, whichever ends first (at least 3 requests)."""
    timed.seconds = 0.0
    started, cpu = time.perf_counter(), time.process_time()
    done = 0
    while done < requests and (done < 3 or time.perf_counter() - started < seconds):
        await run(done)
        done += 1
    total = time.process_time() - cpu
    return total / done * 1e6, timed.seconds / done * 1e6, done


class ResolverClock:
    """Adds up the CPU time spent inside the fields' own resolvers (Strawberry's `get_result`, which both
    engines call, and the coroutines it returns, step by step): the logic, the same in both engines.
    Execution less this is the engine's own work."""

    def __init__(self) -> None:
        from strawberry.types.field import StrawberryField

        self.seconds = 0.0
        original = StrawberryField.get_result
        clock = self

        def get_result(field: Any, source: Any, info: Any, args: list[Any], kwargs: Any) -> Any:
            started = time.process_time()
            try:
                result = original(field, source, info, args, kwargs)
            finally:
                clock.seconds += time.process_time() - started
            if hasattr(result, "__await__") and not field.is_basic_field:
                return _Timed(result, clock)
            return result

        StrawberryField.get_result = get_result  # type: ignore[method-assign]


class _Timed:
    """An awaitable whose own steps are timed (not the time it waits)."""

    def __init__(self, awaitable: Any, clock: ResolverClock) -> None:
        self.awaitable = awaitable
        self.clock = clock

    def __await__(self) -> Any:
        steps = self.awaitable.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            started = time.process_time()
            try:
                waited = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                self.clock.seconds += time.process_time() - started
                return stop.value
            except BaseException:
                self.clock.seconds += time.process_time() - started
                raise
            self.clock.seconds += time.process_time() - started
            try:
                value, error = (yield waited), None
            except BaseException as thrown:
                value, error = None, thrown


async def bench(args: argparse.Namespace) -> None:
    from cost import App, graphql
    from nearest import query_points

    from resolvers.demo.fieldwork import DEMO_PASSWORD
    from schema.compiled import CompiledOperation

    url = with_database(args.admin_url, NAME)
    if not args.reuse:
        say(f"recreating {NAME}: {args.stations} stations and {args.scale} x 90 days of field work ...")
        await recreate_database(args.admin_url, NAME)
    world = await seed(url, args.stations if not args.reuse else 0, args.scale)
    say("seeded; measuring the server's CPU time a request, one request at a time")
    points = query_points(4096, 7)
    login = (REPO / "mobile_contract" / "operations" / "officer" / "Login.graphql").read_text()
    resolvers = ResolverClock()
    os.environ.setdefault("MARKAZ_RATE_LIMIT", "off")
    async with App(url) as app:
        executor = app.app.state.executor
        timed = Timed(executor)
        tokens = {}
        for role in ("OFFICER", "SUPERVISOR", "ADMIN", "STATION_COMMANDER"):
            variables = {"badgeNumber": world["badges"][role], "password": DEMO_PASSWORD}
            answer = await graphql(app, login, variables)
            tokens[role] = answer["data"]["login"]["accessToken"]
        planner = executor.planner
        rows = []
        for key, document in operations().items():
            if args.only and not any(part in key for part in args.only):
                continue
            app_name, name = key.split("/")
            token = (
                None if app_name == "citizen" else tokens["SUPERVISOR" if app_name == "officer" else "ADMIN"]
            )
            if name in ("Me", "MySessions", "MyIncidents", "MyFollowUpActions", "DeviceChanges"):
                token = tokens["OFFICER"]
            if name in ("FeedbackComments", "FeedbackLink"):  # the station's commander's alone
                token = tokens["STATION_COMMANDER"]
            headers = {
                "content-type": "application/json",
                "accept": "application/graphql-response+json",
                "accept-language": "ar",
            }
            if token:
                headers["authorization"] = f"Bearer {token}"

            async def one(
                index: int, key: str = key, document: str = document, headers: dict = headers
            ) -> None:
                name = key.split("/")[1]
                variables = variables_for(name, world, index, points)
                body = orjson.dumps({"query": document, "variables": variables, "operationName": name})
                status, answer = await app.post(body, headers)
                if status != 200 or b'"errors"' in answer:
                    raise RuntimeError(f"{key}: HTTP {status}: {answer[:400]!r}")

            figures = {}
            for mode in ("compiled", "ordinary"):
                executor.planner = planner if mode == "compiled" else None
                executor._cache.clear()
                await measure(one, args.warmup, timed, args.seconds / 4)
                best = None
                for _ in range(args.repeat):
                    resolvers.seconds = 0.0
                    total, execution, done = await measure(one, args.requests, timed, args.seconds)
                    got = (total, execution, execution - resolvers.seconds / done * 1e6)
                    best = got if best is None or got[0] < best[0] else best
                figures[mode] = best
            plan = executor.prepare(document).plans.get(name)
            executor.planner = planner
            if not isinstance(plan, CompiledOperation):
                executor._cache.clear()
                await one(0)
                plan = executor.prepare(document).plans.get(name)
            if not isinstance(plan, CompiledOperation) or plan.answered == 0 or plan.handed_over:
                raise RuntimeError(f"{key} did not run compiled")
            rows.append((key, figures["compiled"], figures["ordinary"]))
            (ct, ce, cg), (ot, oe, og) = figures["compiled"], figures["ordinary"]
            say(
                f"{key:32} compiled {ct:7.0f} µs (execution {ce:6.0f}, engine {cg:5.0f})  "
                f"ordinary {ot:7.0f} µs (execution {oe:6.0f}, engine {og:5.0f})  "
                f"execution {oe / ce:4.1f}x engine {og / max(cg, 1):4.1f}x end to end {ot / ct:4.1f}x "
                f"ceiling {ceiling(ot, og):4.1f}x"
            )
        say(
            "\n| operation | compiled req/s | µs | execution µs | engine µs "
            "| ordinary req/s | µs | execution µs | engine µs | execution × | engine × | end to end × "
            "| ceiling × |"
        )
        say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, (ct, ce, cg), (ot, oe, og) in rows:
            say(
                f"| {key} | {1e6 / ct:.0f} | {ct:.0f} | {ce:.0f} | {cg:.0f} | {1e6 / ot:.0f} | {ot:.0f} | "
                f"{oe:.0f} | {og:.0f} | {oe / ce:.1f} | {og / max(cg, 1):.1f} | {ot / ct:.1f} | "
                f"{ceiling(ot, og):.1f} |"
            )


def ceiling(ordinary_total: float, ordinary_engine: float) -> float:
    """What an engine costing nothing would gain end to end on this operation, the fields' resolver steps
    staying as they are: the ordinary request with its engine's work taken away (Amdahl). "Engine"
    overstates the engine's own work (it holds the asyncio machinery, the DataLoaders' batch tasks and
    asyncpg's callbacks, which a plan still needs), which lowers the bound; on the other side the
    resolver steps are timed through Strawberry's per-field wrapper, which a compiled plan skips where the
    field has no use for it, so a measured ratio can pass this figure where that wrapper is much of the
    work (Governorates). Read it as where the engine stops being the lever."""
    return ordinary_total / max(ordinary_total - ordinary_engine, 1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Every shipped query, compiled and by ordinary execution.")
    parser.add_argument(
        "--admin-url", required=True, help="a PostgreSQL URL to create the scratch database from"
    )
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=0.3, help="share of the demo's 90 days of field work")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="at most this long a measurement")
    parser.add_argument("--only", nargs="*", help="only the operations whose app/name contains one of these")
    parser.add_argument("--reuse", action="store_true", help=f"keep {NAME} as it is (seeded before)")
    args = parser.parse_args(argv)
    run_async(bench(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
