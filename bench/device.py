"""Benchmark: deviceChanges, the officer's offline working set, through the real Markaz server.

Run by hand, never in CI: `.venv/bin/python bench/device.py` (a few minutes, most of it seeding), `--help`
for the knobs. Figures go into docs/performance.md ("The officer's working set").

- Data. A fresh database `markaz_bench_device` on the server of --database-url (dropped first, migrated
  with `api.database.prepare`): the model stations and --stations generated ones (resolvers.demo.stations,
  written by resolvers.station_writer); at the officer's station --colleagues officers, --incidents open
  incidents (one in five in a sensitive category, so generalised to this officer), a week's worth of closed
  ones, 20 open follow-up actions of the officer and one patrol under way; and --elsewhere incidents at
  other stations (which must not travel). Dropped at the end unless --keep.
- Server. `markaz serve` as a subprocess on a loopback port (bench/common.start_markaz); the client is
  httpx with Accept-Encoding `br, gzip`, as the apps send it. Bytes are what came over the wire (the
  compressed bodies, headers left out), and the uncompressed JSON beside them.
- Measured: (a) a first sync, with no cursor, in pages of --first, to the end: time, pages, changes,
  bytes; (b) an incremental sync when nothing changed; (c) one after a handful of writes (an incident
  corrected, one closed, a station's phone changed, a follow-up done, a colleague transferred away).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
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

DATABASE = "markaz_bench_device"
PASSWORD = "bench device password 1"  # noqa: S105 - the bench officer's password, not a secret
OPERATION = (
    Path(__file__).resolve().parents[1]
    / "mobile_contract"
    / "operations"
    / "officer"
    / "DeviceChanges.graphql"
).read_text()
LOGIN = """mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) { accessToken errors { field message } } }"""


async def seed(url: str, args: argparse.Namespace) -> None:
    from sqlalchemy import text

    from api.database import prepare
    from db.cells import fine_cell
    from db.engine import make_engine, make_sessionmaker
    from resolvers.demo.stations import MODEL_STATIONS, generate_stations
    from resolvers.officers import add_officer
    from resolvers.station_writer import write_stations

    await prepare(url)
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            started = time.monotonic()
            await write_stations(session, [*MODEL_STATIONS, *generate_stations(args.stations)])
            await session.commit()
            say(
                f"  {args.stations + len(MODEL_STATIONS)} stations written "
                f"in {time.monotonic() - started:.1f} s"
            )
            home, lat, lon = (
                await session.execute(
                    text(
                        "SELECT id, latitude, longitude FROM stations WHERE is_model_station "
                        "ORDER BY id LIMIT 1"
                    )
                )
            ).one()
            me = await add_officer(
                session,
                badge="DEVICE001",
                name="Bench Device Officer",
                role="OFFICER",
                password=PASSWORD,
                station_id=home,
            )
            await session.execute(
                text(
                    "INSERT INTO officers (badge_number, name, rank, gender, role, station_id, "
                    "password_hash) "
                    "SELECT 'DEVICE' || lpad((n + 1)::text, 3, '0'), 'Colleague ' || n, 'Naqib', 'MALE', "
                    "'OFFICER', :s, (SELECT password_hash FROM officers WHERE id = :me) "
                    "FROM generate_series(1, :n) n"
                ),
                {"s": home, "me": me, "n": args.colleagues},
            )
            cell = fine_cell(lat, lon)
            incident = (
                "INSERT INTO incidents (client_id, station_id, category, status, latitude, longitude, "
                "h3_cell, occurred_at, description, people, assigned_officer_ids) "
                "SELECT gen_random_uuid(), {station}, "
                "CASE WHEN n % 5 = 0 THEN 'DOMESTIC_VIOLENCE' ELSE 'THEFT' END, "
                "{status}, :lat + (n % 50) * 0.0005, :lon + (n % 37) * 0.0005, :cell, "
                "now() - n * interval '7 min', "
                "'A report of about two hundred characters, as officers write them: who called, what was "
                "seen, what was done at the scene and what is to follow, with the street and the landmark "
                "nearby.', "
                '\'[{{"name": "A. Citizen", "role": "COMPLAINANT"}}]\'::jsonb, '
                "CASE WHEN n % 10 = 0 THEN ARRAY[:me]::bigint[] ELSE '{{}}' END FROM generate_series(1, :n) n"
            )
            params = {"lat": lat, "lon": lon, "cell": cell, "me": me}
            await session.execute(
                text(incident.format(station=":s", status="'IN_PROGRESS'")),
                {**params, "s": home, "n": args.incidents},
            )
            await session.execute(
                text(incident.format(station=":s", status="'CLOSED'")),
                {**params, "s": home, "n": args.incidents // 5},
            )
            await session.execute(
                text(
                    incident.format(station="(SELECT max(id) FROM stations) - n % 500", status="'REPORTED'")
                ),
                {**params, "n": args.elsewhere},
            )
            await session.execute(
                text(
                    "INSERT INTO follow_up_actions (incident_id, description, owner_id, due_on) "
                    "SELECT id, 'Visit the complainant again', :me, current_date + 3 FROM incidents "
                    "WHERE station_id = :s AND status = 'IN_PROGRESS' ORDER BY id LIMIT 20"
                ),
                {"me": me, "s": home},
            )
            await session.execute(
                text(
                    "INSERT INTO patrols (client_id, station_id, started_by_id, officer_ids, started_at) "
                    "VALUES (:c, :s, :me, ARRAY[:me]::bigint[], now() - interval '2 hours')"
                ),
                {"c": uuid.uuid4(), "s": home, "me": me},
            )
            await session.commit()
    finally:
        await engine.dispose()


async def writes(url: str) -> None:
    """A handful of the day's writes an officer's phone should learn about."""
    from sqlalchemy import text

    from db.engine import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            me = (
                await session.execute(
                    text("SELECT id, station_id FROM officers WHERE badge_number = 'DEVICE001'")
                )
            ).one()
            for sql in (
                "UPDATE incidents SET description = description || ' Corrected.', version = version + 1 "
                "WHERE id = (SELECT min(id) FROM incidents WHERE station_id = :s AND status = 'IN_PROGRESS')",
                "UPDATE incidents SET status = 'RESOLVED', resolved_at = now() "
                "WHERE id = (SELECT max(id) FROM incidents WHERE station_id = :s AND status = 'IN_PROGRESS')",
                "UPDATE stations SET phone = '+964 770 000 0000' WHERE id = (SELECT max(id) FROM stations)",
                "UPDATE follow_up_actions SET status = 'DONE' WHERE id = "
                "(SELECT min(id) FROM follow_up_actions "
                "WHERE owner_id = :me)",
                "UPDATE officers SET station_id = (SELECT max(id) FROM stations) WHERE id = (SELECT max(id) "
                "FROM officers WHERE station_id = :s)",
            ):
                await session.execute(text(sql), {"s": me.station_id, "me": me.id})
                await session.commit()
    finally:
        await engine.dispose()


async def sync(client: httpx.AsyncClient, headers: dict, after: str | None, first: int) -> dict[str, Any]:
    """One sync to its end: time, pages, changes, wire and JSON bytes, and the cursor it ends at."""
    started, pages, changes, wire, raw, cursor = time.monotonic(), 0, 0, 0, 0, after
    ops: dict[str, int] = {}
    while True:
        response = await client.post(
            "/graphql",
            json={"query": OPERATION, "variables": {"after": cursor, "first": first}},
            headers=headers,
        )
        if response.status_code != 200:
            raise BenchError(f"deviceChanges answered {response.status_code}: {response.text[:500]}")
        body = response.json()
        if "errors" in body:
            raise BenchError(f"deviceChanges failed: {body['errors']}")
        wire += response.num_bytes_downloaded
        raw += len(response.content)
        answer = body["data"]["deviceChanges"]
        pages += 1
        changes += len(answer["changes"])
        for change in answer["changes"]:
            ops[change["op"]] = ops.get(change["op"], 0) + 1
        cursor = answer["cursor"]
        if not answer["hasMore"]:
            break
    return {
        "seconds": time.monotonic() - started,
        "pages": pages,
        "changes": changes,
        "ops": ops,
        "wire": wire,
        "raw": raw,
        "cursor": cursor,
    }


def show(label: str, result: dict[str, Any]) -> None:
    ops = ", ".join(f"{n} {op}" for op, n in sorted(result["ops"].items())) or "none"
    say(
        f"{label}: {result['seconds'] * 1000:.0f} ms, {result['pages']} page(s), {result['changes']} changes "
        f"({ops}), {result['wire'] / 1024:.1f} KB on the wire ({result['raw'] / 1024:.1f} KB of JSON)"
    )


async def measure(port: int, first: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        login = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"badge": "DEVICE001", "password": PASSWORD}}
        )
        token = login.json()["data"]["login"]["accessToken"]
        headers = {"authorization": f"Bearer {token}", "accept-encoding": "br, gzip", "accept-language": "ar"}
        await sync(client, headers, None, first)  # warm-up: the server's caches, PostgreSQL's buffers
        full = await sync(client, headers, None, first)
        show("(a) first sync, no cursor", full)
        idle = await sync(client, headers, full["cursor"], first)
        show("(b) incremental, nothing changed", idle)
        return_cursor = idle["cursor"]
    await writes(URL)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        changed = await sync(client, headers, return_cursor, first)
        show("(c) incremental after 5 writes", changed)


URL = ""


def main(argv: list[str] | None = None) -> int:
    global URL
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--stations", type=int, default=10_000, help="generated stations (beside the model ones)"
    )
    parser.add_argument("--colleagues", type=int, default=25)
    parser.add_argument("--incidents", type=int, default=300, help="open incidents at the officer's station")
    parser.add_argument("--elsewhere", type=int, default=20_000, help="incidents at other stations")
    parser.add_argument("--first", type=int, default=500, help="page size")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    parts = urlsplit(args.database_url)
    admin = args.database_url
    URL = urlunsplit(parts._replace(path=f"/{DATABASE}"))
    markaz = Path(sys.executable).with_name("markaz")
    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-device-"))
    server = None
    created = False
    try:
        run_async(recreate_database(admin, DATABASE))
        created = True
        say(f"seeding {DATABASE}")
        run_async(seed(URL, args))
        port = free_port()
        server = start_markaz(markaz, URL, workdir, port)
        run_async(measure(port, args.first))
    except BenchError as error:
        say(f"bench/device.py: {error}")
        return 1
    finally:
        stop_process_group(server)
        clean_up(admin, DATABASE, URL, workdir, created=created, keep=args.keep)
    return 0


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
