"""Benchmark: `locateStation` over 1,000 station areas (docs/stations.md has the numbers).

Run by hand, never in CI: `.venv/bin/python bench/locate.py --database-url URL` (a server's URL).
A fresh database `markaz_bench_locate` is made on that server, migrated, and given --areas stations (default
1,000) whose areas are the H3 resolution-7 hexagons (about 5 km² each) tiling a block around Baghdad,
each a Polygon of 7 positions, imported as `markaz stations import-areas` imports them; then analyzed.
The citizen app's own operation (mobile_contract/operations/citizen/LocateStation.graphql) is sent
--requests times through the real ASGI app in this process (httpx's ASGI transport, one request at a
time), from points drawn uniformly in the block (a tenth of them outside every area). Printed: the
latency percentiles, the requests a second, and how many areas the index offered per point. The database
is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from pathlib import Path

import h3
import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
_BOX = "box(point(west, south), point(east, north))"  # the index's expression
WHERE_BOX = f"FROM station_areas WHERE {_BOX} @> box(point(:x, :y), point(:x, :y))"
OPERATION = (ROOT / "mobile_contract/operations/citizen/LocateStation.graphql").read_text()


def _cells(count: int) -> list[str]:
    """`count` resolution-7 cells around Baghdad, the nearest first (a compact block)."""
    centre = h3.latlng_to_cell(33.315, 44.366, 7)
    cells: list[str] = []
    k = 0
    while len(cells) < count:
        cells += sorted(h3.grid_ring(centre, k)) if k else [centre]
        k += 1
    return cells[:count]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--areas", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import asyncpg
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from api.app import create_app
    from api.config import Settings
    from api.database import prepare
    from db import embedded
    from db.audit import KEY_INFO
    from db.engine import make_engine
    from resolvers.audit import chain_key
    from resolvers.station_areas import parse_areas, write_areas
    from resolvers.station_records import StationRecord
    from resolvers.station_writer import write_stations

    name = "markaz_bench_locate"
    admin = await asyncpg.connect(embedded.with_database(args.database_url, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()
    url = await embedded.ensure_database(args.database_url, name)
    await prepare(url)
    engine = make_engine(url, pool_size=5)
    key = "bench audit key, not a secret at all"
    sessions = async_sessionmaker(
        engine, expire_on_commit=False, class_=AsyncSession, info={KEY_INFO: chain_key(key)}
    )
    cells = _cells(args.areas)
    started = time.monotonic()
    async with sessions() as session:
        records = []
        for i, cell in enumerate(cells):
            lat, lon = h3.cell_to_latlng(cell)
            records.append(
                StationRecord(
                    names={"ar": f"مركز {i}", "ku": None, "en": f"Station {i}"},
                    governorate="IQ-BG",
                    latitude=lat,
                    longitude=lon,
                    external_id=f"BENCH-{i}",
                    services=("COMMUNITY_POLICING",),
                    always_open=True,
                )
            )
        await write_stations(session, records)
        features = []
        for i, cell in enumerate(cells):
            ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
            features.append(
                {
                    "type": "Feature",
                    "properties": {"station": f"BENCH-{i}"},
                    "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                }
            )
        import json

        parsed = parse_areas(json.dumps({"type": "FeatureCollection", "features": features}).encode())
        written = await write_areas(session, parsed.areas)
        await session.commit()
    async with engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE station_areas")
        await conn.commit()
    took = time.monotonic() - started
    print(f"{written.stored} areas imported in {took:.1f} s ({len(parsed.problems)} problems)")

    lats = [h3.cell_to_latlng(c)[0] for c in cells]
    lons = [h3.cell_to_latlng(c)[1] for c in cells]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    rng = random.Random(args.seed)
    points = [
        {
            "latitude": rng.uniform(south - 0.02, north + 0.02),
            "longitude": rng.uniform(west - 0.02, east + 0.02),
        }
        for _ in range(args.requests)
    ]
    settings = Settings.from_env(
        {"MARKAZ_ENV": "development", "MARKAZ_AUDIT_KEY": key, "MARKAZ_LOG_LEVEL": "WARNING"}
    )
    app = create_app(settings, sessionmaker=sessions)
    found = 0
    latencies = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for point in points[:50]:  # warm up
            await client.post("/graphql", json={"query": OPERATION, "variables": {"near": point}})
        begun = time.monotonic()
        for point in points:
            t0 = time.perf_counter()
            response = await client.post("/graphql", json={"query": OPERATION, "variables": {"near": point}})
            latencies.append((time.perf_counter() - t0) * 1000)
            found += response.json()["data"]["locateStation"] is not None
        elapsed = time.monotonic() - begun
        # The same client and app answering `station(id)` with the same fields: what any request costs.
        baseline_doc = OPERATION.replace("LocateStation($near: GeoPointInput!)", "Station($id: ID!)").replace(
            "locateStation(near: $near)", "station(id: $id)"
        )
        from schema.node import to_global_id

        baseline = []
        for i in range(len(points)):
            t0 = time.perf_counter()
            await client.post(
                "/graphql",
                json={
                    "query": baseline_doc,
                    "variables": {"id": to_global_id("Station", 1 + i % len(cells))},
                },
            )
            baseline.append((time.perf_counter() - t0) * 1000)
    async with engine.connect() as conn:
        offered = []
        for point in points[:200]:
            x, y = point["longitude"], point["latitude"]
            result = await conn.execute(text(f"SELECT count(*) {WHERE_BOX}"), {"x": x, "y": y})
            offered.append(result.scalar())
        plan = await conn.execute(text(f"EXPLAIN SELECT station_id {WHERE_BOX}"), {"x": x, "y": y})
        uses_index = any("ix_station_areas_bbox" in r[0] for r in plan)
    await engine.dispose()
    q = statistics.quantiles(latencies, n=100)
    rate = args.requests / elapsed
    print(f"{args.requests} requests, one at a time: {rate:.0f}/s; latency p50 {q[49]:.2f} ms, ", end="")
    print(f"p95 {q[94]:.2f} ms, p99 {q[98]:.2f} ms; {found} points in an area")
    b = statistics.quantiles(baseline, n=100)
    print(f"the same client asking station(id) for the same fields: p50 {b[49]:.2f} ms, p95 {b[94]:.2f} ms")
    mean = statistics.mean(offered)
    print(
        f"areas offered by the index per point: mean {mean:.2f}, max {max(offered)}; index used: {uses_index}"
    )
    if not args.keep:
        admin = await asyncpg.connect(embedded.with_database(args.database_url, "postgres"))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
