"""The feed's log and hub against real PostgreSQL, in this process: order under concurrent commits, slow
subscribers, a lost LISTEN connection, and the switch for bulk loads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import pytest

from api.compaction import Compactor
from db import activity_feed as repo
from db.cells import fine_cell
from db.engine import make_reader
from resolvers import feed
from resolvers.policy import ADMIN, Viewer
from tests.factories import make_station

# Every located record carries its H3 cell (db.cells), which the activity rollups are keyed by.
INSERT_INCIDENT = """INSERT INTO incidents (client_id, station_id, category, latitude, longitude, h3_cell,
                                            occurred_at, description)
                     VALUES ($1, $2, 'THEFT', 30.5, 47.8, $3, now(), 'x') RETURNING id"""
ADMIN_VIEWER = Viewer(
    officer_id=1,
    role=ADMIN,
    station_id=None,
    station_governorate=None,
    governorates=frozenset(),
    session_id=uuid.uuid4(),
)


@pytest.fixture
async def station(committed_sessionmaker) -> int:
    async with committed_sessionmaker() as session:
        station_id = await make_station(session, governorate="IQ-BA", latitude=30.5, longitude=47.8)
        await session.commit()
    return station_id


@pytest.fixture
async def reader(engine):
    return make_reader(engine)


async def _incident(conn: asyncpg.Connection, station: int) -> int:
    return await conn.fetchval(INSERT_INCIDENT, uuid.uuid4(), station, fine_cell(30.5, 47.8))


async def _log_after(reader, cursor) -> list:
    async with reader() as session:
        return list(await repo.events_after(session, cursor, limit=1000))


async def test_an_event_committed_late_still_comes_after_a_cursor_given_out_earlier(
    database_url, station, reader
):
    early, late = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        start = (await _log_after(reader, (0, 0)) or [None])[-1]
        start_cursor = (start.position, start.id) if start else (0, 0)
        # given a transaction that wrote first but has not committed
        await early.execute("BEGIN")
        first = await _incident(early, station)
        # when a later writer commits before it
        await late.execute("BEGIN")
        second = await _incident(late, station)
        await late.execute("COMMIT")
        seen = await _log_after(reader, start_cursor)
        assert [row.record_id for row in seen] == [second]
        cursor = (seen[-1].position, seen[-1].id)
        await early.execute("COMMIT")
        # then a reader resuming after the late writer's event still receives the early one
        resumed = await _log_after(reader, cursor)
        assert [row.record_id for row in resumed] == [first]
        # although its event id is the smaller: ordering by id alone would have lost it
        assert resumed[0].id < seen[-1].id and resumed[0].position > seen[-1].position
    finally:
        await early.close()
        await late.close()


async def test_a_rolled_back_write_leaves_nothing_in_the_log(database_url, station, reader):
    conn = await asyncpg.connect(database_url)
    try:
        before = await _log_after(reader, (0, 0))
        await conn.execute("BEGIN")
        await _incident(conn, station)
        await conn.execute("ROLLBACK")
        assert await _log_after(reader, (0, 0)) == before
    finally:
        await conn.close()


async def test_bulk_loads_may_switch_the_feed_off(database_url, station, reader):
    conn = await asyncpg.connect(database_url)
    try:
        before = len(await _log_after(reader, (0, 0)))
        async with conn.transaction():
            await conn.execute("SET LOCAL markaz.activity_feed = 'off'")
            await _incident(conn, station)
        assert len(await _log_after(reader, (0, 0))) == before
    finally:
        await conn.close()


async def _next(events, wait: float = 5.0):
    return await asyncio.wait_for(anext(events), wait)


async def test_a_slow_subscriber_is_ended_with_its_cursor_and_resumes_from_it(database_url, station, reader):
    hub = feed.FeedHub(reader, database_url, queue_size=2)
    await hub.start()
    conn = await asyncpg.connect(database_url)
    try:
        await asyncio.wait_for(hub.wait_connected(), 10)
        interest = feed.Interest(viewer=ADMIN_VIEWER)
        events = feed.follow(reader, hub, interest, after=None, lang="en")
        pending = asyncio.ensure_future(_next(events))  # subscribes, then waits for the first event
        await asyncio.sleep(0.2)
        async with conn.transaction():  # one commit: the hub offers all five at once
            written = [await _incident(conn, station) for _ in range(5)]
        # given a subscriber whose queue holds two, offered five at once
        first = await pending
        received = [first.record_id, (await _next(events)).record_id]
        # when it reads on, it is ended with FEED_TOO_SLOW and the cursor of the last event it got
        with pytest.raises(feed.FeedError) as ended:
            await _next(events)
        assert ended.value.extensions["code"] == "FEED_TOO_SLOW"
        last = feed.decode_cursor(ended.value.extensions["lastCursor"], "en")
        # then resuming from that cursor gives the rest, in order, nothing twice
        resumed = feed.follow(reader, hub, interest, after=last, lang="en")
        received += [(await _next(resumed)).record_id for _ in range(len(written) - len(received))]
        assert received == written
        await resumed.aclose()
    finally:
        await conn.close()
        await hub.stop()


async def test_the_hub_catches_up_after_its_listen_connection_is_lost(database_url, station, reader):
    hub = feed.FeedHub(reader, database_url, queue_size=100, check_every=0.5)
    await hub.start()
    conn = await asyncpg.connect(database_url)
    try:
        await asyncio.wait_for(hub.wait_connected(), 10)
        events = feed.follow(reader, hub, feed.Interest(viewer=ADMIN_VIEWER), after=None, lang="en")
        pending = asyncio.ensure_future(_next(events, 15))
        await asyncio.sleep(0.2)
        # given the listener's connection is cut by the server
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'markaz-feed' AND datname = current_database()"
        )
        assert killed >= 1
        # when an incident is written while it is away
        written = await _incident(conn, station)
        # then the hub reconnects and delivers it
        assert (await pending).record_id == written
        await events.aclose()
    finally:
        await conn.close()
        await hub.stop()


def test_cursors_are_opaque_and_checked():
    cursor = (12, 345)
    assert feed.decode_cursor(feed.encode_cursor(cursor), "en") == cursor
    for bad in ("", "abc", feed.encode_cursor((1, 2))[:-2], "SW5jaWRlbnQ6MTYyMQ=="):
        with pytest.raises(feed.InputError):
            feed.decode_cursor(bad, "en")


async def test_a_batch_of_fixes_gives_one_position_per_patrol_the_newest(
    database_url, station, reader, committed_sessionmaker
):
    from tests.factories import make_officer

    async with committed_sessionmaker() as session:
        officer, _ = await make_officer(session, station_id=station)
        await session.commit()
    conn = await asyncpg.connect(database_url)
    try:
        patrols = [
            await conn.fetchval(
                "INSERT INTO patrols (client_id, station_id, started_by_id, officer_ids, started_at) "
                "VALUES ($1, $2, $3, ARRAY[$3::bigint], now()) RETURNING id",
                uuid.uuid4(),
                station,
                officer,
            )
            for _ in range(2)
        ]
        head = (await _log_after(reader, (0, 0)) or [None])[-1]
        after = (head.position, head.id) if head else (0, 0)
        # when one statement stores three fixes of one patrol and two of the other
        await conn.execute(
            "INSERT INTO patrol_fixes (patrol_id, recorded_at, latitude, longitude, h3_cell) SELECT p, "
            "now() - make_interval(secs => n), 30.5 + n / 1000.0, 47.8, ($3::bigint[])[n + 1] "
            "FROM unnest($1::bigint[]) p, generate_series(0, 2) n WHERE NOT (p = $2 AND n = 2)",
            patrols,
            patrols[1],
            [fine_cell(30.5 + n / 1000.0, 47.8) for n in range(3)],
        )
        events = await _log_after(reader, after)
        # then the feed has one position per patrol: its newest fix (n = 0)
        assert sorted((e.layer, e.record_id, e.latitude) for e in events) == [
            ("PATROLS", patrols[0], 30.5),
            ("PATROLS", patrols[1], 30.5),
        ]
    finally:
        await conn.close()


async def test_the_log_is_pruned_oldest_first_and_a_cursor_from_before_is_told_to_reload(
    database_url, station, reader, committed_sessionmaker
):
    hub = feed.FeedHub(reader, database_url, queue_size=100)
    await hub.start()
    conn = await asyncpg.connect(database_url)
    try:
        # given four incidents, each its own transaction, the first two committed ten days ago
        written = [await _incident(conn, station) for _ in range(4)]
        log = await _log_after(reader, (0, 0))
        assert [row.record_id for row in log] == written
        await conn.execute(
            "UPDATE activity_commits SET committed_at = now() - interval '10 days' "
            "WHERE position = ANY($1::bigint[])",
            [row.position for row in log[:2]],
        )
        # when the log is pruned of what is older than a week (as every server does after compacting)
        pruner = Compactor(committed_sessionmaker, every_seconds=0, feed_retention=timedelta(days=7))
        assert await pruner.prune_feed() == 2
        assert await pruner.prune_feed() == 0  # and again: nothing more is old enough
        # then the two old events are gone, the others kept, and the horizon is the second's position
        assert [row.record_id for row in await _log_after(reader, (0, 0))] == written[2:]
        async with reader() as session:
            assert await repo.horizon(session) == log[1].position
        await asyncio.wait_for(hub.wait_connected(), 10)
        interest = feed.Interest(viewer=ADMIN_VIEWER)
        # a subscriber resuming from before the horizon is told to reload: it would miss events
        for old in log[:2]:
            events = feed.follow(reader, hub, interest, after=(old.position, old.id), lang="ar")
            with pytest.raises(feed.FeedError) as ended:
                await _next(events)
            assert ended.value.extensions == {"code": "FEED_CURSOR_EXPIRED", "lastCursor": None}
            assert "after" in ended.value.message and ended.value.message != "after"
        # one resuming from a kept event gets exactly what followed it
        resumed = feed.follow(reader, hub, interest, after=(log[2].position, log[2].id), lang="en")
        assert (await _next(resumed)).record_id == written[3]
        await resumed.aclose()
        # and once the log is pruned empty, a server started then still refuses an old cursor
        await conn.execute("UPDATE activity_commits SET committed_at = now() - interval '10 days'")
        assert await pruner.prune_feed() == 2
        assert await _log_after(reader, (0, 0)) == []
        await hub.stop()
        hub = feed.FeedHub(reader, database_url, queue_size=100)
        await hub.start()
        assert hub.position == (log[3].position, repo.LAST)
        late = feed.follow(reader, hub, interest, after=(log[2].position, log[2].id), lang="en")
        with pytest.raises(feed.FeedError) as ended:
            await _next(late)
        assert ended.value.extensions["code"] == "FEED_CURSOR_EXPIRED"
    finally:
        await conn.execute("UPDATE activity_feed_horizon SET position = 0, pruned_at = NULL")
        await conn.close()
        await hub.stop()
