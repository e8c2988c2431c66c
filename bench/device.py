"""Benchmark: deviceChanges, the officer's offline working set, through the real Markaz server.

Run by hand, never in CI: `.venv/bin/python bench/device.py`, `--help` for the knobs. At the defaults
the day over 2G takes some 35 minutes (10 photos of 2 MiB at 100 kbit/s up); `--photo-kb 256` about 5,
`--quick` about 1. Figures go into docs/performance.md ("The officer's working set").

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
- Then a day of the officer over 2G, through bench/throttle.py (a loopback proxy: --downlink-kbps 200,
  --uplink-kbps 100, --rtt-ms 300 added; EDGE as phones see it in the field, where the nominal 236 kbit/s
  down of a class-10 handset gives 100 to 200 and the uplink half that, with round trips of 300 ms to
  1 s): (d) sign-in, (e) a first deviceChanges, (f) --entries field-log entries with syncFieldLog in
  batches of --batch, (g) --photos real JPEGs of --photo-kb uploaded with tus (PATCHes of --chunk-kb, no
  checksum) and each attached to one of the day's reports with attachMedia, (h) photo 1's connection
  dropped once half its size has gone up, then HEAD and the rest, (i, j) incremental syncs. Bytes are
  counted at the proxy, headers included. Operations go by hash (automatic persisted queries), as the
  apps send them (normalised as Apollo prints them); a document no release manifest holds yet is sent
  once, on its first use, as an app's first use of it would. --quick: 2 photos of 256 KiB,
  40 entries, 1,000 stations.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import statistics
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
OPERATIONS = Path(__file__).resolve().parents[1] / "mobile_contract" / "operations" / "officer"
OPERATION = (OPERATIONS / "DeviceChanges.graphql").read_text()
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


@functools.cache
def normal_form(document: str) -> str:
    """The document as Apollo Client prints it on the wire, whose hash the release manifests hold."""
    from mobile_contract.documents import normalise

    return normalise(document)


async def post(
    client: httpx.AsyncClient, headers: dict, query: str, variables: dict, *, persisted: bool = False
) -> httpx.Response:
    """A GraphQL POST; `persisted`: as the apps send it, by the document's hash alone (Apollo's automatic
    persisted queries), with the document only when the server answers PERSISTED_QUERY_NOT_FOUND."""
    if not persisted:
        return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    query = normal_form(query)
    pq = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}
    response = await client.post("/graphql", json={"variables": variables, "extensions": pq}, headers=headers)
    if response.status_code == 200 and "PersistedQueryNotFound" in response.text[:300]:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables, "extensions": pq}, headers=headers
        )
    return response


async def sync(
    client: httpx.AsyncClient, headers: dict, after: str | None, first: int, *, persisted: bool = False
) -> dict[str, Any]:
    """One sync to its end: time, pages, changes, wire and JSON bytes, and the cursor it ends at."""
    started, pages, changes, wire, raw, cursor = time.monotonic(), 0, 0, 0, 0, after
    ops: dict[str, int] = {}
    while True:
        response = await post(
            client, headers, OPERATION, {"after": cursor, "first": first}, persisted=persisted
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


# ---------------------------------------------------------------------------------------------------------
# A day of one officer over 2G: the working set, the field log, photos, a dropped connection.

SYNC_FIELD_LOG = (OPERATIONS / "SyncFieldLog.graphql").read_text()
ATTACH_MEDIA = (OPERATIONS / "AttachMedia.graphql").read_text()
APP_LOGIN = (OPERATIONS / "Login.graphql").read_text()
TUS = {"tus-resumable": "1.0.0"}


def make_photo(target: int, seed: int) -> bytes:
    """A real JPEG of about `target` bytes: noise (which JPEG cannot squeeze), its side found by one
    trial encoding, so that attachMedia decodes and keeps it like a phone's photo."""
    import io
    import random

    from PIL import Image

    def encode(side_w: int, side_h: int) -> bytes:
        noise = random.Random(seed).randbytes(side_w * side_h * 3)
        out = io.BytesIO()
        Image.frombytes("RGB", (side_w, side_h), noise).save(out, "JPEG", quality=75)
        return out.getvalue()

    trial = encode(256, 192)
    scale = (target / len(trial)) ** 0.5
    return encode(max(16, round(256 * scale)), max(12, round(192 * scale)))


def entries(n: int, lat: float, lon: float) -> list[dict[str, Any]]:
    """The day's offline queue: reports and engagements in turn, written as officers write them."""
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC) - timedelta(hours=9)
    made = []
    for i in range(n):
        at = (start + timedelta(minutes=2 * i)).isoformat()
        place = {
            "latitude": lat + (i % 40) * 0.0004,
            "longitude": lon + (i % 29) * 0.0004,
            "accuracyMeters": 12,
        }
        if i % 2 == 0:
            made.append(
                {
                    "reportIncident": {
                        "clientId": str(uuid.uuid4()),
                        "category": "THEFT",
                        "location": place,
                        "occurredAt": at,
                        "description": (
                            f"Report {i}: a shop owner on the main street says a generator was taken from "
                            "behind the shop overnight; the lock was cut. Neighbours saw a pickup at 2 am. "
                            "Statement taken, scene photographed."
                        ),
                    }
                }
            )
        else:
            made.append(
                {
                    "logEngagement": {
                        "clientId": str(uuid.uuid4()),
                        "kind": "MARKET_WALK",
                        "location": place,
                        "occurredAt": at,
                        "durationMinutes": 30,
                        "attendees": {"total": 12, "women": 4, "youth": 3},
                        "topics": ["street lighting", "traffic near the school"],
                        "notes": "Shopkeepers asked for a patrol at closing time.",
                    }
                }
            )
    return made


class Wire:
    """The proxy's counters between two moments: bytes up and down, seconds."""

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy
        self.up0, self.down0, self.t0 = proxy.up.carried, proxy.down.carried, time.monotonic()

    def read(self) -> dict[str, float]:
        return {
            "up": self.proxy.up.carried - self.up0,
            "down": self.proxy.down.carried - self.down0,
            "seconds": time.monotonic() - self.t0,
        }


def show_wire(label: str, wire: dict[str, float], extra: str = "") -> None:
    say(
        f"{label}: {wire['seconds']:.1f} s, {wire['up'] / 1024:.1f} KB up, {wire['down'] / 1024:.1f} KB down"
        + (f"; {extra}" if extra else "")
    )


async def graphql(client: httpx.AsyncClient, headers: dict, query: str, variables: dict) -> dict[str, Any]:
    response = await post(client, headers, query, variables, persisted=True)
    if response.status_code != 200:
        raise BenchError(f"/graphql answered {response.status_code}: {response.text[:500]}")
    body = response.json()
    if "errors" in body:
        raise BenchError(f"/graphql failed: {body['errors']}")
    return body["data"]


async def upload(
    client: httpx.AsyncClient, headers: dict, data: bytes, chunk: int, proxy: Any, cut_at: int | None
) -> dict[str, Any]:
    """One photo over tus: creation, PATCHes of `chunk` bytes; with `cut_at`, the connection is dropped
    once that many bytes have gone up, then HEAD asks where to resume and the rest follows."""
    tus = {**headers, **TUS}
    made = await client.post(
        "/uploads/",
        headers={
            **tus,
            "upload-length": str(len(data)),
            "upload-metadata": "filename cGhvdG8uanBn,contentType aW1hZ2UvanBlZw==",  # photo.jpg, image/jpeg
        },
    )
    if made.status_code != 201:
        raise BenchError(f"tus creation answered {made.status_code}: {made.text[:300]}")
    path = urlsplit(made.headers["location"]).path
    offset, body_sent, dropped_at, resumed_from = 0, 0, None, None
    if cut_at is not None:
        proxy.cut_after(cut_at)
    while offset < len(data):
        piece = data[offset : offset + chunk]
        try:
            sent = await client.patch(
                path,
                content=piece,
                headers={
                    **tus,
                    "content-type": "application/offset+octet-stream",
                    "upload-offset": str(offset),
                },
            )
        except httpx.TransportError:
            # The connection dropped mid-PATCH: back on the network, ask HEAD what arrived.
            dropped_at = offset
            body_sent += len(piece)  # at most this much went; the proxy's count says how much did
            head = await client.head(path, headers=tus)
            if head.status_code != 200:
                raise BenchError(f"tus HEAD answered {head.status_code}") from None
            offset = resumed_from = int(head.headers["upload-offset"])
            continue
        if sent.status_code != 204:
            raise BenchError(f"tus PATCH answered {sent.status_code}: {sent.text[:300]}")
        body_sent += len(piece)
        offset = int(sent.headers["upload-offset"])
    if proxy.cut_pending:
        raise BenchError("the armed cut never happened: the photo was smaller than the cut point")
    return {"id": path.rsplit("/", 1)[-1], "dropped_at": dropped_at, "resumed_from": resumed_from}


async def day(port: int, args: argparse.Namespace) -> None:
    from throttle import Link, Proxy

    proxy = Proxy(
        target=port,
        up=Link(args.uplink_kbps, args.rtt_ms / 2000),
        down=Link(args.downlink_kbps, args.rtt_ms / 2000),
        rtt=args.rtt_ms / 1000,
    )
    await proxy.start()
    say(
        f"\nA day over 2G: proxy on port {proxy.port}, {args.downlink_kbps:g} kbit/s down, "
        f"{args.uplink_kbps:g} kbit/s up, {args.rtt_ms:g} ms added round trip"
    )
    import asyncpg

    conn = await asyncpg.connect(URL)
    try:
        lat, lon = await conn.fetchrow(
            "SELECT s.latitude, s.longitude FROM officers o JOIN stations s ON s.id = o.station_id "
            "WHERE o.badge_number = 'DEVICE001'"
        )
    finally:
        await conn.close()
    totals = Wire(proxy)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{proxy.port}", timeout=600) as client:
            wire = Wire(proxy)
            login = await graphql(client, {}, APP_LOGIN, {"badgeNumber": "DEVICE001", "password": PASSWORD})
            token = login["login"]["accessToken"]
            headers = {
                "authorization": f"Bearer {token}",
                "accept-encoding": "br, gzip",
                "accept-language": "ar",
            }
            show_wire("(d) sign-in", wire.read())

            wire = Wire(proxy)
            first = await sync(client, headers, None, args.first, persisted=True)
            show_wire("(e) first deviceChanges, no cursor", wire.read(), f"{first['changes']} changes")

            queue = entries(args.entries, lat, lon)
            wire, statuses = Wire(proxy), {}
            for i in range(0, len(queue), args.batch):
                data = await graphql(
                    client, headers, SYNC_FIELD_LOG, {"input": {"entries": queue[i : i + args.batch]}}
                )
                payload = data["syncFieldLog"]
                if payload["errors"]:
                    raise BenchError(f"syncFieldLog refused the batch: {payload['errors']}")
                for result in payload["results"]:
                    statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            field_log = wire.read()
            show_wire(
                f"(f) {len(queue)} field-log entries in batches of {args.batch}",
                field_log,
                ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())),
            )

            incidents = [e["reportIncident"]["clientId"] for e in queue if "reportIncident" in e]
            if len(incidents) < args.photos:
                raise BenchError("fewer reported incidents than photos to attach them to")
            photos = [make_photo(args.photo_kb * 1024, seed) for seed in range(args.photos)]
            photo_bytes = sum(len(p) for p in photos)
            wire, resume, overheads = Wire(proxy), None, []
            for i, photo in enumerate(photos):
                cut = i == 0 and not args.no_cut
                one = Wire(proxy)
                done = await upload(
                    client, headers, photo, args.chunk_kb * 1024, proxy, len(photo) // 2 if cut else None
                )
                sent = one.read()
                if cut:
                    resume = {**sent, **done, "size": len(photo)}
                else:
                    overheads.append(sent["up"] - len(photo))
                data = await graphql(
                    client,
                    headers,
                    ATTACH_MEDIA,
                    {
                        "input": {
                            "clientId": str(uuid.uuid4()),
                            "uploadId": done["id"],
                            "incidentClientId": incidents[i],
                            "caption": f"Scene, photo {i + 1}",
                            "expectedAttachments": 1,
                        }
                    },
                )
                if data["attachMedia"]["errors"]:
                    raise BenchError(f"attachMedia refused photo {i + 1}: {data['attachMedia']['errors']}")
            media = wire.read()
            rate = media["up"] * 8 / media["seconds"] / 1000
            show_wire(
                f"(g) {len(photos)} photos, {photo_bytes / len(photos) / 1024:.0f} KB each on average, "
                f"tus PATCHes of {args.chunk_kb} KB, each then attached with attachMedia",
                media,
                f"{media['up'] / photo_bytes:.3f} bytes up per photo byte, {rate:.1f} kbit/s up achieved",
            )
            if resume is not None:
                usual = statistics.median(overheads) if overheads else 0
                say(
                    f"(h) photo 1 ({resume['size']} bytes) cut once {resume['size'] // 2} bytes had gone "
                    f"up, during the PATCH from offset {resume['dropped_at']}; HEAD said "
                    f"{resume['resumed_from']}: {resume['up']} bytes went up for it in all (creation, "
                    "PATCHes, HEAD, headers included), "
                    f"{resume['up'] - resume['size']} over its size"
                    + (
                        f", against {usual:.0f} for a photo not cut: the drop cost "
                        f"{resume['up'] - resume['size'] - usual:.0f} bytes"
                        if overheads
                        else " (no photo uncut to compare with)"
                    )
                    + f"; {resume['seconds']:.1f} s for the upload"
                )

            wire = Wire(proxy)
            evening = await sync(client, headers, first["cursor"], args.first, persisted=True)
            show_wire(
                "(i) incremental deviceChanges at the end of the day (the day's own reports come back)",
                wire.read(),
                f"{evening['changes']} changes",
            )
            wire = Wire(proxy)
            idle = await sync(client, headers, evening["cursor"], args.first, persisted=True)
            show_wire(
                "(j) incremental deviceChanges, nothing changed", wire.read(), f"{idle['changes']} changes"
            )
    finally:
        await proxy.stop()
    whole = totals.read()
    show_wire(f"the day, {proxy.connections} connection(s)", whole)
    # The issue's day at true 2G, from the measured efficiency of the photo link (wire bytes per photo
    # byte, and the share of the uplink's rate achieved).
    efficiency = rate / args.uplink_kbps
    issue_bytes = 10 * 2 * 1024 * 1024 * media["up"] / photo_bytes
    at_uplink = issue_bytes * 8 / (args.uplink_kbps * 1000 * efficiency) / 60
    say(
        f"  10 photos of 2 MB at this efficiency ({efficiency:.0%} of the uplink): "
        + (f"{at_uplink:.1f} min at {args.uplink_kbps:g} kbit/s up, " if args.uplink_kbps != 100 else "")
        + f"{issue_bytes * 8 / (100 * 1000 * efficiency) / 60:.1f} min at 100 kbit/s up"
    )


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
    day_ = parser.add_argument_group("the day over 2G (a throttling proxy between the client and the server)")
    day_.add_argument("--entries", type=int, default=200, help="field-log entries sent with syncFieldLog")
    day_.add_argument("--batch", type=int, default=20, help="entries per syncFieldLog request")
    day_.add_argument("--photos", type=int, default=10, help="photos uploaded with tus and attached")
    day_.add_argument("--photo-kb", type=int, default=2048, help="size of each photo (a real JPEG), KiB")
    day_.add_argument("--chunk-kb", type=int, default=512, help="bytes per tus PATCH, KiB")
    day_.add_argument("--downlink-kbps", type=float, default=200, help="EDGE as found in the field")
    day_.add_argument("--uplink-kbps", type=float, default=100, help="EDGE's uplink, half its downlink")
    day_.add_argument("--rtt-ms", type=float, default=300, help="round trip added by the proxy")
    day_.add_argument("--no-cut", action="store_true", help="do not drop the connection during photo 1")
    day_.add_argument(
        "--quick",
        action="store_true",
        help="a fast check: 2 photos of 256 KiB, 40 entries, 1,000 stations, 2,000 incidents elsewhere",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.photos, args.photo_kb, args.entries = 2, 256, 40
        args.stations, args.elsewhere = 1_000, 2_000
    if args.photos < 1 or args.photo_kb < 16 or args.entries < 1 or args.batch < 1 or args.chunk_kb < 1:
        parser.error("--photos, --entries, --batch and --chunk-kb must be at least 1, --photo-kb 16")
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
        run_async(day(port, args))
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
