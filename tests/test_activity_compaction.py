"""Compaction of the activity rollups, and the cell ranges that maps of drawn areas read; the same upkeep
freezes the public map's month that ended last."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

from h3.api import basic_int as h3i
from sqlalchemy import text

from api.compaction import Compactor
from db import incidents as incident_repo
from db.activity import cell_ranges
from resolvers.activity_plan import month_floor
from tests.factories import make_station


def test_a_cells_descendants_are_one_range_of_cell_numbers():
    rng = random.Random(7)
    for _ in range(300):
        latitude, longitude = rng.uniform(29, 37.5), rng.uniform(38.8, 48.6)
        coarse = rng.randint(0, 9)
        fine = rng.randint(coarse, 10)
        cell = h3i.latlng_to_cell(latitude, longitude, coarse)
        (low,), (high,) = cell_ranges([cell], fine)
        # every descendant is inside (listed when there are at most 7^5 of them; a resolution-0 cell has
        # 282 million at 10, which would take 12 GB: then a thousand random descents), and no cell nearby
        # that is not one
        if fine - coarse <= 5:
            descendants = h3i.cell_to_children(cell, fine)
        else:
            descendants = [_descend(cell, fine, rng) for _ in range(1000)]
        assert all(low <= child <= high for child in descendants)
        for near in h3i.grid_disk(h3i.latlng_to_cell(latitude, longitude, fine), 4):
            assert (low <= near <= high) == (h3i.cell_to_parent(near, coarse) == cell)


def _descend(cell: int, resolution: int, rng: random.Random) -> int:
    """A random descendant of `cell` at `resolution`, one random child per level."""
    while h3i.get_resolution(cell) < resolution:
        cell = rng.choice(h3i.cell_to_children(cell))
    return cell


def test_a_cover_is_compacted_into_ranges():
    parent = h3i.latlng_to_cell(36.34, 43.13, 6)
    children = list(h3i.cell_to_children(parent, 8))
    lows, _ = cell_ranges(children, 8)
    assert len(lows) == 1  # all 49 children of one parent: one range
    lows, _ = cell_ranges(children[:-1], 8)
    assert 1 < len(lows) < len(children)
    assert cell_ranges([], 8) == ([], [])


async def test_the_compactor_merges_what_was_written_and_changes_no_count(committed_sessionmaker):
    # given: 30 incidents in one cell and hour, each written by its own transaction (one delta row each)
    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI")
        await session.commit()
    at = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    for i in range(30):
        async with committed_sessionmaker() as session:
            await incident_repo.insert_incident(
                session,
                {
                    "client_id": uuid.uuid4(),
                    "station_id": station,
                    "category": "THEFT",
                    "sensitive": i % 3 == 0,
                    "latitude": 36.34,
                    "longitude": 43.13,
                    "occurred_at": at + timedelta(minutes=i),
                    "description": "x",
                },
            )
            await session.commit()
    count = (
        "SELECT count(*), sum(incidents), sum(sensitive) FROM activity_cells WHERE grain = 'h' AND res = 10"
    )
    async with committed_sessionmaker() as session:
        before = (await session.execute(text(count))).one()
    assert tuple(before) == (30, 20, 10)
    # when
    merged = await Compactor(committed_sessionmaker, every_seconds=0).run_once()
    # then: each table's 150 delta rows (5 pairs of grain and resolution a record) merged
    assert merged == 300
    async with committed_sessionmaker() as session:
        assert tuple((await session.execute(text(count))).one()) == (1, 20, 10)
        assert await session.scalar(text("SELECT count(*) FROM activity_rollups")) == 10  # 5 pairs x 2
        assert await session.scalar(text("SELECT count(*) FROM activity_rollups WHERE fresh")) == 0
    # and a second run finds nothing to do
    assert await Compactor(committed_sessionmaker, every_seconds=0).run_once() == 0


async def test_the_server_runs_the_compactor_in_the_background(
    committed_sessionmaker, database_url, tmp_path
):
    from tests.feed_support import Server

    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI")
        for i in range(3):
            await incident_repo.insert_incident(
                session,
                {
                    "client_id": uuid.uuid4(),
                    "station_id": station,
                    "category": "THEFT",
                    "sensitive": False,
                    "latitude": 36.34,
                    "longitude": 43.13 + i / 1e5,
                    "occurred_at": datetime(2026, 6, 1, 9, tzinfo=UTC),
                    "description": "x",
                },
            )
            await session.commit()
    server = Server(database_url, tmp_path, MARKAZ_COMPACT_SECONDS="1")
    try:
        server.wait_ready()
        fresh = "SELECT count(*) FROM activity_cells WHERE fresh"
        for _ in range(100):
            async with committed_sessionmaker() as session:
                if await session.scalar(text(fresh)) == 0:
                    break
            await asyncio.sleep(0.1)
        async with committed_sessionmaker() as session:
            assert await session.scalar(text(fresh)) == 0
            assert (
                await session.scalar(
                    text("SELECT sum(incidents) FROM activity_cells WHERE grain = 'm' AND res = 6")
                )
                == 3
            )
        # and it freezes the public map's month that ended last (Baghdad), once, before anyone asks
        last_month = month_floor(month_floor(datetime.now(UTC)) - timedelta(days=1)).astimezone(UTC)
        frozen = "SELECT array_agg(month ORDER BY month) FROM public_months"
        for _ in range(100):
            async with committed_sessionmaker() as session:
                if await session.scalar(text(frozen)):
                    break
            await asyncio.sleep(0.1)
        async with committed_sessionmaker() as session:
            assert await session.scalar(text(frozen)) == [last_month]
    finally:
        server.stop()
