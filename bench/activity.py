"""Benchmark: activityMap over a million incidents, through the real Markaz server over HTTP.

Run by hand, never in CI: `.venv/bin/python bench/activity.py` (several minutes), `--help` for the knobs.

- Data. A fresh database `markaz_bench_activity` on the server of --database-url (dropped first, migrated
  with `api.database.prepare`), 5 stations per governorate around its capital, an admin and 18 officers,
  then --incidents incidents and --engagements engagements over the last 365 days, placed around the
  capitals (Baghdad a quarter of them, normal spread of about 15 km), loaded with COPY through asyncpg.
  The rollup triggers are disabled during the COPY and the rollups folded afterwards, in chunks, by the
  same `activity_fold` the triggers call (a million single-row upserts would take an hour; this is the
  bulk-load path, as `activity_rebuild()` is the migration's), and left uncompacted: up to ten delta
  rows a key, the server's compaction off while measuring. Reproducible with --seed.
- Server. `markaz serve` as a subprocess, pinned to core 0 with taskset when there are two cores (this
  process on core 1), ready once /readyz says so.
- Queries, as an admin, each --rounds times after 3 warm-ups, one at a time:
  (a) Baghdad city (a 28 x 28 km box) over the last 30 days at resolution 8;
  (b) Baghdad governorate over a year (the 12 whole months before this one) at resolution 6;
  (c) as (b) but over the 365 days to today (months, days and hours all answer part of it).
  Each answer is checked against a brute-force aggregation of the raw rows (the h3 library's parents of
  each record's cell, grouped in Python): every cell and total must match. p50 and p99 by nearest rank.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h3
import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    BenchError,
    drop_database,
    free_port,
    recreate_database,
    run_async,
    say,
    start_markaz,
    stop_process_group,
)

DATABASE = "markaz_bench_activity"
PASSWORD = "bench-activity-2026"  # noqa: S105 - a throwaway account in a scratch database
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
    "MARKET_WALK",
    "AWARENESS_SESSION",
    "WOMEN_OUTREACH",
)
BAGHDAD_CITY = {"south": 33.20, "west": 44.25, "north": 33.45, "east": 44.55}
MAP = """
query Map($area: AreaInput!, $from: DateTime!, $to: DateTime!, $resolution: Int) {
  activityMap(area: $area, from: $from, to: $to, resolution: $resolution) {
    cells { h3Index incidents engagements patrolMinutes } totals { incidents engagements }
  }
}
"""
LOGIN = """
mutation L($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) { accessToken errors { message } }
}
"""


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- data -----------------------------------------------------------------------------------------------


async def load(url: str, args: argparse.Namespace) -> dict[str, list[int]]:
    """Stations, officers, incidents and engagements; the rollups folded. Station ids per governorate."""
    import asyncpg
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from api.database import prepare
    from db.engine import make_engine
    from resolvers.governorates import GOVERNORATES
    from resolvers.officers import add_officer
    from resolvers.station_records import StationRecord
    from resolvers.station_writer import write_stations

    await prepare(url)
    rng = random.Random(args.seed)
    engine = make_engine(url, pool_size=1)
    try:
        async with async_sessionmaker(bind=engine, expire_on_commit=False)() as session:
            records = [
                StationRecord(
                    names={"en": f"Bench {g.capital_en} {k}"},
                    governorate=g.code,
                    latitude=g.latitude + rng.uniform(-0.08, 0.08),
                    longitude=g.longitude + rng.uniform(-0.08, 0.08),
                    external_id=f"bench-{g.code}-{k}",
                    always_open=True,
                )
                for g in GOVERNORATES
                for k in range(5)
            ]
            await write_stations(session, records)
            await add_officer(
                session,
                badge="BENCH-ADMIN",
                name="Bench admin",
                role="ADMIN",
                password=PASSWORD,
                gender="FEMALE",
                station_id=None,
                governorates=(),
            )
            await session.commit()
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(url)
    try:
        stations: dict[str, list[int]] = {}
        positions: dict[int, tuple[float, float]] = {}
        query = "SELECT id, governorate_code, latitude, longitude FROM stations ORDER BY id"
        for row in await conn.fetch(query):
            stations.setdefault(row["governorate_code"], []).append(row["id"])
            positions[row["id"]] = (row["latitude"], row["longitude"])
        officer = await conn.fetchval("SELECT id FROM officers WHERE badge_number = 'BENCH-ADMIN'")
        weights = [25 if g.code == "IQ-BG" else 75 / 17 for g in GOVERNORATES]
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

        def place() -> tuple[str, float, float, datetime]:
            g = rng.choices(GOVERNORATES, weights)[0]
            lat, lon = rng.gauss(g.latitude, 0.13), rng.gauss(g.longitude, 0.13)
            return g.code, lat, lon, now - timedelta(seconds=rng.uniform(0, 365 * 86400))

        await conn.execute("ALTER TABLE incidents DISABLE TRIGGER USER")
        await conn.execute("ALTER TABLE engagements DISABLE TRIGGER USER")
        for table, total in (("incidents", args.incidents), ("engagements", args.engagements)):
            started, done = time.monotonic(), 0
            while done < total:
                rows = []
                for _ in range(min(100_000, total - done)):
                    code, lat, lon, at = place()
                    cell = h3.str_to_int(h3.latlng_to_cell(lat, lon, 10))
                    # The station of the area: the nearest of the governorate's stations, as the app
                    # assigns it (a random one would smear every cell over five stations' rollups).
                    station = min(
                        stations[code],
                        key=lambda s: (positions[s][0] - lat) ** 2 + (positions[s][1] - lon) ** 2,
                    )
                    if table == "incidents":
                        category = rng.choice(CATEGORIES)
                        rows.append(
                            (
                                uuid.UUID(int=rng.getrandbits(128)),
                                station,
                                category,
                                category in ("DOMESTIC_VIOLENCE", "CHILD_PROTECTION", "JUVENILE"),
                                lat,
                                lon,
                                cell,
                                at,
                                "bench",
                                officer,
                            )
                        )
                    else:
                        total_people = rng.randrange(0, 40)
                        rows.append(
                            (
                                uuid.UUID(int=rng.getrandbits(128)),
                                station,
                                officer,
                                rng.choice(KINDS),
                                lat,
                                lon,
                                cell,
                                at,
                                total_people,
                                total_people // 2,
                                total_people // 3,
                            )
                        )
                columns = (
                    (
                        "client_id",
                        "station_id",
                        "category",
                        "sensitive",
                        "latitude",
                        "longitude",
                        "h3_cell",
                        "occurred_at",
                        "description",
                        "reported_by_id",
                    )
                    if table == "incidents"
                    else (
                        "client_id",
                        "station_id",
                        "officer_id",
                        "kind",
                        "latitude",
                        "longitude",
                        "h3_cell",
                        "occurred_at",
                        "attendees_total",
                        "attendees_women",
                        "attendees_youth",
                    )
                )
                await conn.copy_records_to_table(table, records=rows, columns=columns)
                done += len(rows)
                say(f"  {table}: {done:,}/{total:,} copied  {done / (time.monotonic() - started):,.0f}/s")
        await conn.execute("ALTER TABLE incidents ENABLE TRIGGER USER")
        await conn.execute("ALTER TABLE engagements ENABLE TRIGGER USER")
        # Fold in chunks of ids, with the triggers' own function, reporting progress.
        await conn.execute("TRUNCATE activity_rollups, activity_cells")
        for table, layer, args_sql in (
            (
                "incidents",
                1,
                "array_agg(category), array_agg(sensitive), array_agg(station_id), "
                "array_agg(1::bigint), array_agg(0::float8), array_agg(0::float8), "
                "array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint)",
            ),
            (
                "engagements",
                2,
                "array_agg(kind), array_agg(false), array_agg(station_id), "
                "array_agg(1::bigint), array_agg(0::float8), array_agg(0::float8), "
                "array_agg(attendees_total::bigint), array_agg(attendees_women::bigint), "
                "array_agg(attendees_youth::bigint)",
            ),
        ):
            low, high = await conn.fetchrow(f"SELECT min(id), max(id) FROM {table}")  # noqa: S608
            started = time.monotonic()
            for start in range(low, high + 1, 100_000):
                await conn.execute(
                    f"SELECT activity_fold({layer}::smallint, array_agg(h3_cell), array_agg(occurred_at), "  # noqa: S608
                    f"{args_sql}) FROM {table} WHERE id >= $1 AND id < $2 HAVING count(*) > 0",
                    start,
                    start + 100_000,
                )
                folded = min(start + 100_000, high + 1) - low
                say(
                    f"  rollups of {table}: {folded:,}/{high - low + 1:,} folded "
                    f"in {time.monotonic() - started:.0f} s"
                )
        await conn.execute("VACUUM ANALYZE activity_rollups")
        await conn.execute("VACUUM ANALYZE activity_cells")
        await conn.execute("ANALYZE incidents")
        await conn.execute("ANALYZE engagements")
        rollup_rows = await conn.fetchval("SELECT count(*) FROM activity_rollups")
        say(f"  rollup rows: {rollup_rows:,}")
        return stations
    finally:
        await conn.close()


async def brute_force(
    url: str,
    resolution: int,
    start: datetime,
    end: datetime,
    *,
    cover: set[int] | None = None,
    governorate: str | None = None,
) -> dict[str, tuple[int, int]]:
    """Per cell: (incidents, engagements) from the raw rows, parents taken by the h3 library."""
    import asyncpg

    conn = await asyncpg.connect(url)
    counts: dict[str, list[int]] = {}
    try:
        for index, table in enumerate(("incidents", "engagements")):
            query = (
                f"SELECT t.h3_cell FROM {table} t JOIN stations s ON s.id = t.station_id "  # noqa: S608
                "WHERE t.occurred_at >= $1 AND t.occurred_at < $2"
                + (" AND s.governorate_code = $3" if governorate else "")
            )
            rows = await conn.fetch(query, start, end, *([governorate] if governorate else []))
            for (cell,) in rows:
                parent = h3.cell_to_parent(h3.int_to_str(cell), resolution)
                if cover is not None and h3.str_to_int(parent) not in cover:
                    continue
                counts.setdefault(parent, [0, 0])[index] += 1
    finally:
        await conn.close()
    return {k: (v[0], v[1]) for k, v in counts.items()}


# --- the run ----------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin = args.database_url
        self.url = with_database(self.admin, DATABASE)
        self.workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-activity-"))
        self.taskset = shutil.which("taskset")
        self.pin = (
            (os.cpu_count() or 1) >= 2 and self.taskset is not None and hasattr(os, "sched_setaffinity")
        )
        markaz = REPO / ".venv" / "bin" / "markaz"
        self.markaz = markaz if markaz.exists() else Path(sys.executable).parent / "markaz"
        self.server: subprocess.Popen | None = None

    def start_server(self, port: int) -> None:
        taskset = self.taskset if self.pin else None
        # No compaction while measuring: the bulk load leaves ten delta rows a key (one per chunk folded),
        # a backlog no live system has; merging it would compete with the queries for the two cores.
        # So the maps are measured over uncompacted rollups, the slower case.
        self.server = start_markaz(
            self.markaz, self.url, self.workdir, port, taskset, MARKAZ_COMPACT_SECONDS="0"
        )

    def stop_server(self) -> None:
        proc, self.server = self.server, None
        stop_process_group(proc)

    def measure(self, client: httpx.Client, name: str, variables: dict, expected: dict) -> list[str]:
        timings = []
        for i in range(3 + self.args.rounds):
            started = time.perf_counter()
            response = client.post("/graphql", json={"query": MAP, "variables": variables})
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                raise BenchError(f"{name}: {response.status_code} {str(body)[:500]}")
            if i >= 3:
                timings.append(elapsed)
        found = body["data"]["activityMap"]
        answer = {c["h3Index"]: (c["incidents"], c["engagements"]) for c in found["cells"]}
        matches = answer == expected
        totals = (found["totals"]["incidents"], found["totals"]["engagements"])
        brute_totals = (sum(v[0] for v in expected.values()), sum(v[1] for v in expected.values()))
        say(
            f"  {name}: {len(answer):,} cells, totals {totals[0]:,} incidents / {totals[1]:,} engagements; "
            f"brute force {'MATCHES' if matches and totals == brute_totals else 'DIFFERS'}; "
            f"p50 {percentile(timings, 50):.1f} ms, p99 {percentile(timings, 99):.1f} ms"
        )
        if not matches or totals != brute_totals:
            raise BenchError(f"{name}: the answer differs from the brute-force count")
        return [
            name,
            f"{len(answer):,}",
            f"{totals[0]:,}",
            f"{percentile(timings, 50):.1f} ms",
            f"{percentile(timings, 99):.1f} ms",
            "met" if percentile(timings, 50) < 100 else "MISSED",
        ]

    def run(self) -> int:
        from resolvers.activity_plan import BAGHDAD
        from resolvers.areas import BBOX, Area

        args = self.args
        say(
            f"activityMap benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} (the machine may be shared)"
        )
        say(f"\n== database {DATABASE}: {args.incidents:,} incidents, {args.engagements:,} engagements ==")
        started = time.monotonic()
        if args.reuse and run_async(_loaded(self.url)):
            say("  reusing the data already there (migrated to this commit's schema)")
            run_async(_migrate(self.url))
        else:
            run_async(recreate_database(self.admin, DATABASE))
            run_async(load(self.url, args))
        say(f"  loaded in {time.monotonic() - started:.0f} s")
        if self.pin:
            os.sched_setaffinity(0, {1})
        port = args.port or free_port()
        say("\n== server ==")
        self.start_server(port)
        rows = []
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                token = client.post(
                    "/graphql",
                    json={"query": LOGIN, "variables": {"badge": "BENCH-ADMIN", "password": PASSWORD}},
                ).json()["data"]["login"]["accessToken"]
                client.headers["authorization"] = f"Bearer {token}"
                today = datetime.now(BAGHDAD).replace(hour=0, minute=0, second=0, microsecond=0)
                this_month = today.replace(day=1)
                year_ago = this_month.replace(year=this_month.year - 1)
                say(f"\n== queries ({args.rounds} rounds each after 3 warm-ups; answers checked) ==")
                city = Area(BBOX, bbox=tuple(BAGHDAD_CITY[k] for k in ("south", "west", "north", "east")))
                cases = [
                    (
                        "(a) Baghdad city, 30 days, res 8",
                        {"bbox": BAGHDAD_CITY},
                        today - timedelta(days=30),
                        today,
                        8,
                        {"cover": set(city.cells(8))},
                    ),
                    (
                        "(b) Baghdad governorate, 12 months, res 6",
                        {"governorateId": _global_id("Governorate", "IQ-BG")},
                        year_ago,
                        this_month,
                        6,
                        {"governorate": "IQ-BG"},
                    ),
                    (
                        "(c) Baghdad governorate, 365 days, res 6",
                        {"governorateId": _global_id("Governorate", "IQ-BG")},
                        today - timedelta(days=365),
                        today + timedelta(hours=datetime.now(BAGHDAD).hour),
                        6,
                        {"governorate": "IQ-BG"},
                    ),
                ]
                for name, area, start, end, resolution, where in cases:
                    expected = run_async(brute_force(self.url, resolution, start, end, **where))
                    rows.append(
                        self.measure(
                            client,
                            name,
                            {
                                "area": area,
                                "from": start.isoformat(),
                                "to": end.isoformat(),
                                "resolution": resolution,
                            },
                            expected,
                        )
                    )
        finally:
            self.stop_server()
            if not args.keep:
                run_async(drop_database(self.admin, DATABASE))
                say(f"\ndropped {DATABASE}")
            shutil.rmtree(self.workdir, ignore_errors=True)
        say(f"\n{'query':<44} {'cells':>7} {'incidents':>11} {'p50':>8} {'p99':>8}  p50 < 100 ms")
        for row in rows:
            say(f"{row[0]:<44} {row[1]:>7} {row[2]:>11} {row[3]:>8} {row[4]:>8}  {row[5]}")
        say(f"(load average at the end {os.getloadavg()[0]:.1f}; percentiles by nearest rank)")
        return 0 if all(row[5] == "met" for row in rows) else 1


async def _loaded(url: str) -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        return bool(
            await conn.fetchval(
                "SELECT to_regclass('incidents') IS NOT NULL AND EXISTS (SELECT 1 FROM incidents)"
            )
        )
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    import asyncpg

    from api.database import prepare

    await prepare(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE activity_rollups")
        await conn.execute("VACUUM ANALYZE activity_cells")
    finally:
        await conn.close()


def _global_id(kind: str, key: str) -> str:
    import base64

    return base64.b64encode(f"{kind}:{key}".encode()).decode()


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark activityMap (run by hand, never in CI).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help=f"a PostgreSQL server; the database {DATABASE} is made on it afresh",
    )
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--engagements", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=30, help="measured requests per query")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"measure the data an earlier --keep run left in {DATABASE}, not loading anew",
    )
    args = parser.parse_args()
    try:
        return Bench(args).run()
    except BenchError as error:
        say(f"FAILED: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
