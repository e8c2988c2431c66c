"""The per-officer subscription cap holds across server processes (db/subscription_slots.py): two
OfficerSubscriptions, each with its own connection as two worker processes have, share one cap."""

from __future__ import annotations

import asyncpg

from api.graphql_ws import OfficerSubscriptions
from db.subscription_slots import SLOT_BASE

OFFICER = 424242


async def _held_slots(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid >= $2",
            OFFICER,
            SLOT_BASE,
        )
    finally:
        await conn.close()


async def test_two_processes_hold_an_officer_to_one_cap(database_url: str):
    one, other = OfficerSubscriptions(2), OfficerSubscriptions(2)
    one.url = other.url = database_url
    try:
        # given one subscription in each process
        assert await one.take(OFFICER)
        assert await other.take(OFFICER)
        assert await _held_slots(database_url) == 2
        # then a third is refused in either, though each process holds only one
        assert not await one.take(OFFICER)
        assert not await other.take(OFFICER)
        assert one.live == {OFFICER: 1} and other.live == {OFFICER: 1}
        # when one ends, the slot is free for the other process
        await one.release(OFFICER)
        assert one.live == {}
        assert await other.take(OFFICER)
        assert other.live == {OFFICER: 2}
        # another officer is not counted with this one
        assert await one.take(OFFICER + 1)
    finally:
        await one.close()
        await other.close()
    # a process that goes away lets its slots go
    assert await _held_slots(database_url) == 0


async def test_without_the_database_the_cap_holds_in_the_process():
    subscriptions = OfficerSubscriptions(2)
    subscriptions.url = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens there
    assert await subscriptions.take(OFFICER)
    assert await subscriptions.take(OFFICER)
    assert not await subscriptions.take(OFFICER)
    await subscriptions.release(OFFICER)
    assert subscriptions.live == {OFFICER: 1}
