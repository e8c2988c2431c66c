"""Migrations 0006 and 0012 on a database that already holds field work: cells and rollups backfilled
exactly, existing tracks walked again by the app's rule, and the downgrade undoes it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import asyncpg
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from db import embedded
from db.engine import make_engine
from db.migrate import alembic_config, upgrade_async
from resolvers.geodesy import geodesic_m
from resolvers.reference import sync_reference_data
from tests.test_activity import _brute_force, _rollups


async def test_existing_records_are_folded_by_the_migration(server_url) -> None:
    # given: a database at 0002 with incidents, engagements and a patrol track written before 0003
    name = f"markaz_migration_{uuid.uuid4().hex[:10]}"
    url = await embedded.ensure_database(server_url, name)
    engine = make_engine(url, pool_size=2)
    try:
        await upgrade_async(url, "0005")
        maker = async_sessionmaker(bind=engine, expire_on_commit=False)
        start = datetime(2026, 5, 31, 20, tzinfo=UTC)
        async with maker() as session:
            await sync_reference_data(session)
            # the tables as 0005 left them: rows written in SQL, not by today's writers
            station = (
                await session.execute(
                    text(
                        "INSERT INTO stations (governorate_code, name_en, search_key, latitude, longitude)"
                        " VALUES ('IQ-NI', 'Old station', 'old station', 36.34, 43.13) RETURNING id"
                    )
                )
            ).scalar_one()
            officer = (
                await session.execute(
                    text(
                        "INSERT INTO officers (badge_number, name, gender, role, station_id, password_hash)"
                        " VALUES ('OLD-1', 'Old officer', 'FEMALE', 'OFFICER', :s, 'x') RETURNING id"
                    ),
                    {"s": station},
                )
            ).scalar_one()
            for i in range(30):
                await session.execute(
                    text(
                        "INSERT INTO incidents (client_id, station_id, category, sensitive, latitude, "
                        "longitude, "
                        "occurred_at, description) VALUES (:c, :s, :cat, :sens, :lat, :lon, :at, 'x')"
                    ),
                    {
                        "c": uuid.uuid4(),
                        "s": station,
                        "cat": ("THEFT", "JUVENILE")[i % 2],
                        "sens": i % 2 == 1,
                        "lat": 36.3 + i / 1000,
                        "lon": 43.1 + i / 700,
                        "at": start + timedelta(hours=7 * i),
                    },
                )
                await session.execute(
                    text(
                        "INSERT INTO engagements (client_id, station_id, officer_id, kind, latitude, "
                        "longitude, "
                        "occurred_at, attendees_total, attendees_women) VALUES (:c, :s, :o, 'HOME_VISIT', "
                        ":lat, "
                        ":lon, :at, 5, 2)"
                    ),
                    {
                        "c": uuid.uuid4(),
                        "s": station,
                        "o": officer,
                        "lat": 36.35 - i / 900,
                        "lon": 43.12,
                        "at": start + timedelta(hours=11 * i),
                    },
                )
            patrol = (
                await session.execute(
                    text(
                        "INSERT INTO patrols (client_id, station_id, started_by_id, officer_ids, started_at) "
                        "VALUES (:c, :s, :o, ARRAY[:o]::bigint[], :at) RETURNING id"
                    ),
                    {"c": uuid.uuid4(), "s": station, "o": officer, "at": start},
                )
            ).scalar_one()
            # a walk north with a gap, a mocked fix (counted in the distance then) and a jump (flagged)
            for k in range(40):
                mocked, jump = k == 5, k == 12
                await session.execute(
                    text(
                        "INSERT INTO patrol_fixes (patrol_id, recorded_at, latitude, longitude, flags) "
                        "VALUES (:p, :at, :lat, :lon, :flags)"
                    ),
                    {
                        "p": patrol,
                        "at": start + timedelta(minutes=3 * k + (20 if k == 20 else 0)),
                        "lat": 36.33 + k / 3000 + (0.1 if jump else 0),
                        "lon": 43.11 + (0.01 if mocked else 0),
                        "flags": ["MOCK_LOCATION"] if mocked else ["IMPOSSIBLE_SPEED"] if jump else [],
                    },
                )
            kept = [
                (36.33 + k / 3000, 43.11)  # in time order: fix 20 was recorded after fix 26
                for k in sorted(set(range(40)) - {5, 12}, key=lambda k: 3 * k + (20 if k == 20 else 0))
            ]
            await session.execute(
                text(
                    "UPDATE patrols SET distance_m = 1.0, fix_count = 40, flags = "
                    "'{MOCK_LOCATION,IMPOSSIBLE_SPEED}'"
                )
            )
            await session.commit()
        # when
        await upgrade_async(url, "head")
        # then
        async with maker() as session:
            rollups = await _rollups(session)
            assert rollups == await _brute_force(session)
            assert {key[4] for key in rollups} == {1, 2, 3}
            # the track was walked again: the mocked and the jumped fix are out of its distance, and the
            # rollups hold that distance exactly (see tests/test_patrol_totals.py for the tolerance)
            distance, flagged, flags = (
                await session.execute(text("SELECT distance_m, flagged_fix_count, flags FROM patrols"))
            ).one()
            length = sum(geodesic_m(*a, *b) for a, b in pairwise(kept))
            assert abs(distance - length) < 1e-6 and flagged == 2
            assert flags == ["MOCK_LOCATION", "IMPOSSIBLE_SPEED"]
            meters = (
                await session.execute(
                    text(
                        "SELECT sum(meters) FROM activity_rollups WHERE layer = 3 AND grain = 'm' AND res = 6"
                    )
                )
            ).scalar()
            assert abs(meters - distance) <= 1e-9 * distance
        # and the downgrade removes it all, after which the upgrade gives the same rollups again
        await engine.dispose()
        cfg = alembic_config(url)
        await asyncio.to_thread(command.downgrade, cfg, "0005")
        async with maker() as session:
            assert (await session.execute(text("SELECT to_regclass('activity_rollups')"))).scalar() is None
        await upgrade_async(url, "head")
        async with maker() as session:
            assert await _rollups(session) == rollups
    finally:
        await engine.dispose()
        conn = await asyncpg.connect(embedded.with_database(server_url, "postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
