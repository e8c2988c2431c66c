"""The live subscriptions of each officer, counted across every server process, in PostgreSQL.

Slot k of officer o is the session-level advisory lock (o, SLOT_BASE + k), in the two-integer key space
(which no other lock of Markaz uses: theirs are single 64-bit keys, a space of its own). A process holds
the slots of its subscriptions on one connection of its own; when the process or its connection dies,
PostgreSQL lets the slots go. So `markaz serve --workers N`, or N servers behind a load balancer, hold an
officer to the one cap between them.
"""

from __future__ import annotations

import asyncpg

SLOT_BASE = 0x4D4B0000  # "MK": the second key of a slot is this plus the slot's number


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url, timeout=10, server_settings={"application_name": "markaz-slots"})


async def take(conn: asyncpg.Connection, officer_id: int, limit: int, held: list[int]) -> int | None:
    """The first free slot of the officer's `limit`, now held by `conn`; None when all are held. `held`:
    the slots `conn` holds already, skipped (a session may take its own advisory lock again)."""
    # Row by row in slot order, stopping at the first lock had: no slot is locked beyond the one returned.
    return await conn.fetchval(
        "SELECT s FROM generate_series(0, $2::int - 1) AS s "
        "WHERE s <> ALL($4::int[]) AND pg_try_advisory_lock($1::int, $3::int + s) LIMIT 1",
        officer_id,
        limit,
        SLOT_BASE,
        held,
        timeout=10,
    )


async def release(conn: asyncpg.Connection, officer_id: int, slot: int) -> bool:
    """Let a slot held by `conn` go; False when it was not held (the connection was replaced)."""
    return bool(
        await conn.fetchval(
            "SELECT pg_advisory_unlock($1::int, $2::int)", officer_id, SLOT_BASE + slot, timeout=10
        )
    )
