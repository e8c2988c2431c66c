"""Benchmark tus uploads through the real Markaz server over loopback (run by hand, never in CI).

    .venv/bin/python bench/uploads.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Makes the database markaz_bench_uploads afresh, starts `markaz serve` and measures:
  (a) one upload of --size MiB in PATCHes of --chunk KiB, one after the other (as a phone sends them):
      throughput and the time of each PATCH;
  (b) --concurrent officers uploading --size MiB each at once;
  (c) a PATCH cut off half-way (the connection dropped) and the upload resumed from HEAD's offset: how
      many bytes were sent again;
  (d) attachMedia of a 12-megapixel JPEG (decoded, stripped of its metadata, thumbnailed).
Figures go to docs/performance.md ("Uploads") by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
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


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


DATABASE = "markaz_bench_uploads"
PASSWORD = "correct horse battery"  # noqa: S105 - a bench database's throwaway accounts
TUS = {"tus-resumable": "1.0.0"}
REPORT = "mutation R($i: ReportIncidentInput!) { reportIncident(input: $i) { incident { id } } }"
ATTACH = """mutation A($i: AttachMediaInput!) {
  attachMedia(input: $i) { attachment { bytes width } errors { message } } }"""
LOGIN = """mutation L($b: String!, $p: String!) { login(input: {badgeNumber: $b, password: $p}) {
  accessToken errors { code } } }"""


async def seed(url: str, officers: int) -> list[str]:
    from sqlalchemy import text

    from api.database import prepare
    from db.engine import make_engine, make_sessionmaker
    from resolvers.demo.stations import MODEL_STATIONS
    from resolvers.officers import add_officer
    from resolvers.station_writer import write_stations

    await prepare(url)
    engine = make_engine(url, pool_size=1)
    badges = []
    try:
        async with make_sessionmaker(engine)() as session:
            await write_stations(session, list(MODEL_STATIONS))
            station = (await session.execute(text("SELECT min(id) FROM stations"))).scalar()
            for n in range(officers):
                badge = f"UP{n + 1:03d}"
                await add_officer(
                    session,
                    badge=badge,
                    name=f"Bench Officer {n + 1}",
                    role="OFFICER",
                    password=PASSWORD,
                    station_id=station,
                )
                badges.append(badge)
            await session.commit()
    finally:
        await engine.dispose()
    return badges


async def sign_in(http: httpx.AsyncClient, badge: str) -> dict[str, str]:
    body = (
        await http.post("/graphql", json={"query": LOGIN, "variables": {"b": badge, "p": PASSWORD}})
    ).json()
    return {**TUS, "authorization": f"Bearer {body['data']['login']['accessToken']}"}


async def upload(
    http: httpx.AsyncClient, headers: dict[str, str], data: bytes, chunk: int
) -> tuple[str, list[float]]:
    created = await http.post("/uploads/", headers={**headers, "upload-length": str(len(data))})
    if created.status_code != 201:
        raise BenchError(f"creation answered {created.status_code}: {created.text}")
    path = urlsplit(created.headers["location"]).path
    times, offset = [], 0
    while offset < len(data):
        started = time.perf_counter()
        sent = await http.patch(
            path,
            content=data[offset : offset + chunk],
            headers={
                **headers,
                "content-type": "application/offset+octet-stream",
                "upload-offset": str(offset),
            },
        )
        times.append(time.perf_counter() - started)
        if sent.status_code != 204:
            raise BenchError(f"PATCH at {offset} answered {sent.status_code}: {sent.text}")
        offset = int(sent.headers["upload-offset"])
    return path, times


def cut_off(port: int, path: str, headers: dict[str, str], offset: int, body: bytes, sent: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        head = (
            f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTus-Resumable: 1.0.0\r\n"
            f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
            f"Content-Length: {len(body)}\r\nAuthorization: {headers['authorization']}\r\n\r\n"
        )
        conn.sendall(head.encode() + body[:sent])
        time.sleep(0.5)


def photo() -> bytes:
    from PIL import Image

    pixels = os.urandom(4000 * 3000 * 3 // 64)  # noise, repeated: a JPEG of a few MB, as a phone's
    image = Image.frombytes("RGB", (4000, 3000), pixels * 64)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (36.0, 20.0, 15.5), 3: "E", 4: (43.0, 7.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


async def run(args: argparse.Namespace, port: int, badges: list[str]) -> None:
    size, chunk = args.size * 1024 * 1024, args.chunk * 1024
    limits = httpx.Limits(max_connections=args.concurrent + 2)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits) as http:
        headers = [await sign_in(http, b) for b in badges]
        await upload(http, headers[0], os.urandom(chunk * 2), chunk)  # warm up

        data = os.urandom(size)
        started = time.perf_counter()
        _, times = await upload(http, headers[0], data, chunk)
        took = time.perf_counter() - started
        times_ms = sorted(t * 1000 for t in times)
        say(f"(a) one upload of {args.size} MiB in {len(times)} PATCHes of {args.chunk} KiB:")
        say(
            f"    {took:.2f} s, {args.size / took:.1f} MiB/s; "
            f"PATCH median {statistics.median(times_ms):.1f} ms, "
            f"p95 {times_ms[int(len(times_ms) * 0.95) - 1]:.1f} ms, max {times_ms[-1]:.1f} ms"
        )

        started = time.perf_counter()
        await asyncio.gather(
            *(upload(http, h, os.urandom(size), chunk) for h in headers[1 : args.concurrent + 1])
        )
        took = time.perf_counter() - started
        total = args.size * args.concurrent
        say(
            f"(b) {args.concurrent} officers uploading {args.size} MiB each at once: {took:.2f} s, "
            f"{total / took:.1f} MiB/s in all"
        )

        data = os.urandom(size)
        created = await http.post("/uploads/", headers={**headers[0], "upload-length": str(len(data))})
        path = urlsplit(created.headers["location"]).path
        await asyncio.to_thread(cut_off, port, path, headers[0], 0, data, len(data) // 2)
        head = await http.head(path, headers=headers[0])
        kept = int(head.headers["upload-offset"])
        rest = await http.patch(
            path,
            content=data[kept:],
            headers={
                **headers[0],
                "content-type": "application/offset+octet-stream",
                "upload-offset": str(kept),
            },
        )
        if rest.status_code != 204 or int(rest.headers["upload-offset"]) != len(data):
            raise BenchError(f"the resumed PATCH answered {rest.status_code}: {rest.text}")
        say(
            f"(c) a PATCH of {args.size} MiB cut off after {len(data) // 2} bytes: the server kept {kept}; "
            f"{len(data) - kept} bytes sent again (the missing ones: {len(data) - len(data) // 2})"
        )

        jpeg = await asyncio.to_thread(photo)
        upload_path, _ = await upload(http, headers[0], jpeg, chunk)
        report = await http.post(
            "/graphql",
            headers=headers[0],
            json={
                "query": REPORT,
                "variables": {
                    "i": {
                        "clientId": str(uuid.uuid4()),
                        "category": "THEFT",
                        "location": {"latitude": 36.341, "longitude": 43.131},
                        "occurredAt": "2026-12-01T09:00:00+03:00",
                        "description": "Bench incident.",
                    }
                },
            },
        )
        incident = report.json()["data"]["reportIncident"]["incident"]["id"]
        started = time.perf_counter()
        attached = await http.post(
            "/graphql",
            headers=headers[0],
            json={
                "query": ATTACH,
                "variables": {
                    "i": {
                        "clientId": str(uuid.uuid4()),
                        "uploadId": upload_path.rsplit("/", 1)[-1],
                        "incidentId": incident,
                    }
                },
            },
        )
        took = time.perf_counter() - started
        payload = attached.json()["data"]["attachMedia"]
        if payload["errors"]:
            raise BenchError(f"attachMedia: {payload['errors']}")
        say(
            f"(d) attachMedia of a {len(jpeg) / 1e6:.1f} MB 12-megapixel JPEG: {took * 1000:.0f} ms "
            f"(kept {payload['attachment']['bytes'] / 1e6:.1f} MB without its metadata, and a thumbnail)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--size", type=int, default=20, help="MiB per upload (at most the server's limit)")
    parser.add_argument("--chunk", type=int, default=256, help="KiB per PATCH")
    parser.add_argument("--concurrent", type=int, default=4, help="officers uploading at once in (b)")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE}")
    args = parser.parse_args(argv)
    url = with_database(args.database_url, DATABASE)
    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-uploads-"))
    markaz = Path(sys.executable).with_name("markaz")
    server = None
    created = False
    try:
        say(f"database {DATABASE}: migrating and seeding")
        run_async(recreate_database(args.database_url, DATABASE))
        created = True
        badges = run_async(seed(url, args.concurrent + 1))
        port = free_port()
        server = start_markaz(markaz, url, workdir, port, shutil.which("taskset"))
        run_async(run(args, port, badges))
        return 0
    except BenchError as error:
        say(f"\nbenchmark failed: {error}")
        return 1
    finally:
        stop_process_group(server)
        clean_up(args.database_url, DATABASE, url, workdir, created=created, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
