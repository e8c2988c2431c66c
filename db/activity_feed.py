"""Every SQL statement of the live feed, and the one LISTEN connection of a process.

The log is read in (position, id) order: `position` is the committing transaction's place (given at
commit, visible in increasing order, see the activity_feed migration), `id` the event's order inside
it. A cursor is such a pair, and "the events after a cursor" is a plain range.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import cast

import asyncpg
from sqlalchemy import DateTime, Integer, Table, bindparam, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import ActivityCommit, ActivityEvent, ActivityFeedHorizon
from db.rows import FeedEventRow

CHANNEL = "markaz_activity"
# Beyond every event id: (p, LAST) means "all of position p".
LAST = (1 << 63) - 1
_EVENTS = cast(Table, ActivityEvent.__table__)
_log = logging.getLogger("markaz.feed")


async def without_live_feed(session: AsyncSession) -> None:
    """Leave the rest of this transaction's writes out of the feed: for bulk loads of past activity."""
    await statements.execute(session, text("SET LOCAL markaz.activity_feed = 'off'"))


async def head(session: AsyncSession) -> tuple[int, int]:
    """The cursor after everything committed so far ((0, LAST) for an empty log), and never before the
    pruning horizon: a log pruned empty still knows how far it went, so an older cursor is replayed from
    there, and told that it is too old, rather than taken for one from the future."""
    return ((await statements.execute(session, _HEAD)).scalar_one(), LAST)


async def horizon(session: AsyncSession) -> int:
    """Every position at or below this one may have been pruned (0: nothing was)."""
    return (await statements.execute(session, _HORIZON)).scalar_one()


async def prune(session: AsyncSession, before: datetime, limit: int) -> int:
    """Remove up to `limit` of the oldest positions committed before `before`, with their events, and
    raise the horizon (activity_feed_prune, the feed pruning migration). The events removed."""
    return (await statements.execute(session, _PRUNE, {"before": before, "limit": limit})).scalar_one()


_HORIZON = select(ActivityFeedHorizon.position)
_HEAD = select(
    func.greatest(
        select(func.coalesce(func.max(ActivityCommit.position), 0)).scalar_subquery(),
        select(ActivityFeedHorizon.position).scalar_subquery(),
    )
)
_PRUNE = select(
    func.activity_feed_prune(
        bindparam("before", type_=DateTime(timezone=True)), bindparam("limit", type_=Integer)
    )
)


async def events_after(
    session: AsyncSession,
    after: tuple[int, int],
    *,
    limit: int,
    up_to: tuple[int, int] | None = None,
    layers: Sequence[str] | None = None,
    governorates: Sequence[str] | None = None,
    station_ids: Sequence[int] | None = None,
) -> Sequence[FeedEventRow]:
    """Up to `limit` events after `after` (and not after `up_to`), in feed order, with their position.

    `governorates`/`station_ids` narrow to a viewer's scope (either matching is enough); None: all.
    """
    position, event_id = after
    query = (
        select(ActivityCommit.position, ActivityCommit.committed_at, _EVENTS)
        .join_from(ActivityCommit, ActivityEvent, ActivityEvent.xid == ActivityCommit.xid)
        # `position >= p` first, so that PostgreSQL walks the position index from there.
        .where(
            ActivityCommit.position >= position,
            or_(ActivityCommit.position > position, ActivityEvent.id > event_id),
        )
        .order_by(ActivityCommit.position, ActivityEvent.id)
        .limit(limit)
    )
    if up_to is not None:
        query = query.where(
            ActivityCommit.position <= up_to[0],
            or_(ActivityCommit.position < up_to[0], ActivityEvent.id <= up_to[1]),
        )
    if layers is not None:
        query = query.where(ActivityEvent.layer.in_(list(layers)))
    if governorates is not None or station_ids is not None:
        query = query.where(
            or_(
                ActivityEvent.governorate.in_(list(governorates or ())),
                ActivityEvent.station_id.in_(list(station_ids or ())),
            )
        )
    return cast("Sequence[FeedEventRow]", (await statements.execute(session, query)).all())


class Listener:
    """One LISTEN connection: calls `wake()` on every notification and when the connection is lost.

    `run()` keeps it connected (reconnecting with backoff) until cancelled; `wake` is also called after
    each (re)connection, since notifications sent while disconnected are lost and must be caught up on.
    """

    def __init__(self, url: str, wake: Callable[[], None], *, check_every: float = 5.0) -> None:
        self.url = url
        self.wake = wake
        self.check_every = check_every
        self.connected = asyncio.Event()

    async def run(self) -> None:
        delay = 0.2
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(
                    self.url, timeout=10, server_settings={"application_name": "markaz-feed"}
                )
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, lambda *_args: self.wake())
                self.connected.set()
                delay = 0.2
                self.wake()
                _log.info("feed listener connected")
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self.check_every)
                    if not lost.is_set():
                        # A connection dropped without a FIN is only found by using it.
                        await conn.fetchval("SELECT 1", timeout=self.check_every)
                        self.wake()  # and a periodic catch-up costs one indexed query
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                _log.warning(
                    "feed listener lost its connection; reconnecting",
                    extra={"error": f"{type(error).__name__}: {error}", "retry_in_s": delay},
                )
            finally:
                self.connected.clear()
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            self.wake()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
