"""Bytes on the wire: what the officer app's main operations cost a phone on mobile data.

Run by hand: `.venv/bin/python bench/bytes.py [--database-url URL]` (a minute; the demo data is seeded
first, with progress). Prints one table; the figures are bytes, not times, so they do not depend on how
busy the machine is (the compression times at the end do).

- Data. A fresh database `markaz_bench_bytes` (dropped first, migrated by `api.database.prepare`) on the
  server of --database-url, or on an embedded PostgreSQL when none is given, seeded with the demo data set
  (`resolvers.demo.seeding.seed_demo`: model stations, --stations generated ones, demo officers, 90 days of
  field work).
  Dropped at the end unless --keep.
- Server. The real ASGI app (`api.app.create_app`, development mode) in this process, over httpx's ASGI
  transport: the bodies and headers are the server's own, only the socket is missing.
- Operations. The officer app's released operations from `mobile_contract/manifests/officer-*.json` (the
  newest), with the demo officer of Al-Thaqafa: Login, Me, StartPatrol, AppendPatrolTrack (10 fixes),
  LogEngagement, ReportIncident, SyncFieldLog (20 queued entries), MyIncidents (first 20); and the citizen
  app's NearestStations (5) for comparison.
- Request: the POST body with the document (what a client without persisted queries sends), with the
  hash alone (APQ), that body gzipped and brotli-compressed (`Content-Encoding`, as an app may send its
  offline queue), and for queries the GET request target with the hash (what a cacheable GET sends).
  Response: the body as sent with `Accept-Encoding: identity`, `gzip` and `br`, read raw off the wire.
  The request is sent three times, plain, gzip and brotli, each asking for the matching response
  encoding; a mutation's retry answers with the first result, so the three bodies are the same answer.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from common import BenchError, drop_database, recreate_database, run_async, say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "markaz_bench_bytes"
BADGE = "OFC-AL-THAQA-1"
HERE = {"latitude": 36.3795, "longitude": 43.1480, "accuracyMeters": 8.0}


def iso(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


def uid() -> str:
    return str(uuid.uuid4())


def fixes(n: int, start: float) -> list[dict[str, Any]]:
    return [
        {
            "latitude": 36.3795 + i * 0.0004,
            "longitude": 43.1480 + i * 0.0003,
            "accuracyMeters": 9.0,
            "recordedAt": iso(start - i),
        }
        for i in range(n)
    ]


def sync_entries(patrol_client_id: str, n: int) -> list[dict[str, Any]]:
    """A realistic offline queue: track batches, engagements and incidents, in the order they were made."""
    entries: list[dict[str, Any]] = []
    for i in range(n):
        at = 200 - i * 5
        if i % 3 == 0:
            entries.append(
                {
                    "appendPatrolTrack": {
                        "clientId": uid(),
                        "patrolClientId": patrol_client_id,
                        "fixes": fixes(10, at),
                    }
                }
            )
        elif i % 3 == 1:
            entries.append(
                {
                    "logEngagement": {
                        "clientId": uid(),
                        "kind": "HOME_VISIT",
                        "patrolClientId": patrol_client_id,
                        "location": HERE,
                        "occurredAt": iso(at),
                        "durationMinutes": 20,
                        "attendees": {"total": 4, "women": 2, "youth": 1},
                        "topics": ["street lighting"],
                        "notes": "Family asked about the night patrols on their street.",
                    }
                }
            )
        else:
            entries.append(
                {
                    "reportIncident": {
                        "clientId": uid(),
                        "category": "THEFT",
                        "location": HERE,
                        "occurredAt": iso(at),
                        "description": "Shop owner reports a stolen generator from the back yard.",
                    }
                }
            )
    return entries


def newest_manifest(app: str) -> dict[str, Any]:
    from mobile_contract import releases

    manifests = [m for m in releases.load_all() if m.app == app]
    if not manifests:
        raise BenchError(f"no kept manifest for {app}: run `markaz contract build --app {app} --version ...`")
    newest = max(manifests, key=lambda m: [int(p) if p.isdigit() else p for p in m.version.split(".")])
    return {op.name: op for op in newest.operations}


async def measure(
    client: httpx.AsyncClient, op, variables: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    from api.compression import compress

    full = orjson.dumps({"query": op.document, "operationName": op.name, "variables": variables})
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": op.sha256}}
    hashed = orjson.dumps({"operationName": op.name, "variables": variables, "extensions": extensions})
    target = None
    if op.document.startswith("query"):
        target = "/graphql?" + urlencode(
            {
                "operationName": op.name,
                "variables": orjson.dumps(variables).decode(),
                "extensions": orjson.dumps(extensions).decode(),
            }
        )
    sizes: dict[str, int] = {}
    bodies: dict[str, bytes] = {}
    for coding in ("identity", "gzip", "br"):
        sent = hashed if coding == "identity" else compress(hashed, coding)
        sizes[f"request_{coding}"] = len(sent)
        request = client.build_request(
            "POST",
            "/graphql",
            content=sent,
            headers={
                **headers,
                "content-type": "application/json",
                "content-encoding": coding,
                "accept-encoding": coding,
            },
        )
        response = await client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        if response.status_code != 200:
            raise BenchError(f"{op.name}: HTTP {response.status_code}: {raw[:300]!r}")
        got = response.headers.get("content-encoding", "identity")
        sizes[coding] = len(raw)
        bodies[coding] = raw
        if coding == "identity":
            body = orjson.loads(raw)
            if body.get("errors"):
                raise BenchError(f"{op.name}: {body['errors']}")
        elif got != coding and len(bodies["identity"]) >= 512:
            raise BenchError(f"{op.name}: asked for {coding}, got {got}")
    return {
        "name": op.name,
        "full": len(full),
        "hashed": len(hashed),
        "get": len(target) if target else None,
        **sizes,
        "identity_body": bodies["identity"],
    }


async def run(args: argparse.Namespace) -> None:
    from api.app import create_app
    from api.config import Settings
    from api.database import prepare
    from api.logs import configure
    from db import embedded
    from db.engine import make_engine, make_reader, make_sessionmaker
    from resolvers.demo.seeding import DEMO_PASSWORD, seed_demo

    configure("WARNING", "json")
    officer_ops = newest_manifest("officer")
    citizen_ops = newest_manifest("citizen")
    temp: Path | None = None
    server = None
    if args.database_url:
        admin_url = args.database_url
    else:
        temp = Path(tempfile.mkdtemp(prefix="markaz-bytes-"))
        say("starting an embedded PostgreSQL")
        server, admin_url = embedded.start(temp / "pg")
    url = embedded.with_database(admin_url, DATABASE)
    try:
        await recreate_database(admin_url, DATABASE)
        await prepare(url)
        engine = make_engine(url, pool_size=2)
        sessionmaker = make_sessionmaker(engine)
        say(f"seeding the demo data ({args.stations} generated stations, 90 days of field work)")
        await seed_demo(sessionmaker, stations=args.stations, seed=2026)
        data_dir = temp or Path(tempfile.mkdtemp(prefix="markaz-bytes-"))
        settings = Settings.from_env({"MARKAZ_DATA_DIR": str(data_dir)})
        app = create_app(settings, sessionmaker=sessionmaker, reader=make_reader(engine))
        accept = {"accept": "application/graphql-response+json", "accept-language": "en"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://markaz") as client:
            rows = []
            login = officer_ops["Login"]
            credentials = {"badgeNumber": BADGE, "password": DEMO_PASSWORD}
            rows.append(await measure(client, login, credentials, accept))
            token = orjson.loads(rows[-1]["identity_body"])["data"]["login"]["accessToken"]
            auth = {**accept, "authorization": f"Bearer {token}"}
            patrol = uid()
            steps: list[tuple[str, dict[str, Any]]] = [
                ("Me", {}),
                ("StartPatrol", {"input": {"clientId": patrol, "startedAt": iso(240)}}),
                (
                    "AppendPatrolTrack",
                    {"input": {"clientId": uid(), "patrolClientId": patrol, "fixes": fixes(10, 230)}},
                ),
                (
                    "LogEngagement",
                    {
                        "input": {
                            "clientId": uid(),
                            "kind": "COMMUNITY_MEETING",
                            "location": HERE,
                            "occurredAt": iso(220),
                            "durationMinutes": 45,
                            "attendees": {"total": 24, "women": 9, "youth": 6},
                            "topics": ["street lighting", "school safety"],
                            "patrolClientId": patrol,
                        }
                    },
                ),
                (
                    "ReportIncident",
                    {
                        "input": {
                            "clientId": uid(),
                            "category": "THEFT",
                            "location": HERE,
                            "occurredAt": iso(210),
                            "description": "Shop owner reports a stolen generator",
                        }
                    },
                ),
                ("SyncFieldLog", {"input": {"entries": sync_entries(patrol, 20)}}),
                ("MyIncidents", {"first": 20}),
            ]
            for name, variables in steps:
                rows.append(await measure(client, officer_ops[name], variables, auth))
            rows.append(
                await measure(
                    client,
                    citizen_ops["NearestStations"],
                    {"near": HERE, "first": 5, "openNow": False},
                    accept,
                )
            )
        await engine.dispose()
    finally:
        if not args.keep:
            await drop_database(admin_url, DATABASE)
        if server is not None:
            embedded.stop(server)
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)

    say()
    say("bytes of request and response bodies (GET: the request target)")
    say(
        "| operation | request: document | hash (APQ) | hash, gzip | hash, brotli | GET with hash "
        "| response: identity | gzip | brotli |"
    )
    say("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        get = f"{r['get']:,}" if r["get"] else "POST only"
        say(
            f"| {r['name']} | {r['full']:,} | {r['hashed']:,} | {r['request_gzip']:,} | {r['request_br']:,} "
            f"| {get} | {r['identity']:,} | {r['gzip']:,} | {r['br']:,} |"
        )
    full = sum(r["full"] + r["identity"] for r in rows)
    hashed = sum(r["hashed"] + r["identity"] for r in rows)
    gz = sum(r["request_gzip"] + r["gzip"] for r in rows)
    best = sum(r["request_br"] + r["br"] for r in rows)
    say()
    say(
        f"all nine, requests + responses: {full:,} B with documents, uncompressed; {hashed:,} B with hashes "
        f"({hashed / full:.0%}); {gz:,} B with hashes and gzip both ways ({gz / full:.0%}); {best:,} B with "
        f"hashes and brotli both ways ({best / full:.0%})"
    )
    say()
    from api.compression import compress

    say("compression time of each response body on this machine, median of 50 (noisy when shared):")
    for r in rows:
        body = r["identity_body"]
        times = {}
        for coding in ("gzip", "br"):
            samples = []
            for _ in range(50):
                t0 = time.perf_counter()
                compress(body, coding)
                samples.append(time.perf_counter() - t0)
            times[coding] = statistics.median(samples) * 1000
        say(f"  {r['name']:<18} {len(body):>7,} B: gzip {times['gzip']:.3f} ms, brotli {times['br']:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: an embedded one)")
    parser.add_argument("--stations", type=int, default=200, help="generated stations besides the models")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    try:
        run_async(run(args))
    except BenchError as error:
        sys.exit(f"bench/bytes.py: {error}")


if __name__ == "__main__":
    main()
