"""The live activity feed: one hub per process fans the event log out to its subscribers.

    hub = FeedHub(reader, url, queue_size=1000)       # the app's lifespan starts and stops it
    async for event in follow(ctx, hub, interest, after=cursor):
        ...                                            # replay after `cursor`, then live, in log order

Guarantees: every event of the log that the subscriber may see, within its area and layers, in the
log's order, exactly once per subscription; with `after`, everything after that cursor. A subscriber that
falls `queue_size` events behind is ended with a FEED_TOO_SLOW error carrying its last cursor, never
silently skipped; a cursor older than the log keeps (it is pruned, see api/compaction.py) is refused with
FEED_CURSOR_EXPIRED, also never a silent gap. How the log's order is made safe to resume from: the
activity_feed migration.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

from db import activity_feed as repo
from db.rows import FeedEventRow
from resolvers import disclosure, ids, policy
from resolvers.errors import InputError
from resolvers.messages import message

Cursor = tuple[int, int]
INCIDENTS, ENGAGEMENTS, PATROLS = "INCIDENTS", "ENGAGEMENTS", "PATROLS"
LAYERS = frozenset({INCIDENTS, ENGAGEMENTS, PATROLS})
REPLAY_BATCH = 500
_CURSOR_KIND = "ActivityCursor"
_log = logging.getLogger("markaz.feed")


def encode_cursor(cursor: Cursor) -> str:
    return ids.global_id(_CURSOR_KIND, f"{cursor[0]}_{cursor[1]}")


def decode_cursor(value: str, lang: str, argument: str = "after") -> Cursor:
    parsed = ids.parse_global_id(value)
    if parsed is not None and parsed[0] == _CURSOR_KIND:
        position, _, event_id = parsed[1].partition("_")
        if position.isdigit() and event_id.isdigit() and len(position) <= 18 and len(event_id) <= 18:
            return int(position), int(event_id)
    raise InputError(argument, message("bad_cursor", lang, field=argument))


@dataclasses.dataclass(frozen=True, slots=True)
class FeedEvent:
    """One entry of the log: a new incident or engagement, or a patrol's newest position."""

    position: int
    id: int
    layer: str
    record_id: int
    station_id: int
    governorate: str
    latitude: float
    longitude: float
    occurred_at: datetime
    recorded_at: datetime
    category: str | None  # incident category, or engagement kind
    sensitive: bool
    officer_ids: tuple[int, ...]

    @property
    def cursor(self) -> Cursor:
        return (self.position, self.id)

    @classmethod
    def from_row(cls, row: FeedEventRow) -> FeedEvent:
        return cls(
            position=row.position,
            id=row.id,
            layer=row.layer,
            record_id=row.record_id,
            station_id=row.station_id,
            governorate=row.governorate,
            latitude=row.latitude,
            longitude=row.longitude,
            occurred_at=row.occurred_at,
            recorded_at=row.committed_at,
            category=row.category,
            sensitive=row.sensitive,
            officer_ids=tuple(row.officer_ids or ()),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Interest:
    """What a subscriber asked for, and who it is. `area` is a resolvers.areas.Area or None (everything
    the viewer may see)."""

    viewer: policy.Viewer
    layers: frozenset[str] = LAYERS
    area: Any = None

    def accepts(self, event: FeedEvent) -> bool:
        if event.layer not in self.layers:
            return False
        if not policy.can_access_station(self.viewer, event.station_id, event.governorate):
            return False
        # A sensitive record reaches only the people on its case (resolvers.disclosure): sent live to
        # anyone else, its arrival would time it to the second; they count it on maps, generalised.
        if not disclosure.for_viewer(self.viewer).event_sent(
            event.layer, event.category, event.sensitive, event.station_id, event.officer_ids
        ):
            return False
        if self.area is None:
            return True
        return self.area.matches(event.latitude, event.longitude, event.station_id, event.governorate)

    def scope_filter(self) -> dict[str, Any]:
        """The same narrowing as SQL arguments (for replays), by the viewer's record scope and layers."""
        scope = policy.record_scope(self.viewer)
        found: dict[str, Any] = {"layers": sorted(self.layers)}
        if not scope.everything:
            found["governorates"] = sorted(scope.governorates)
            found["station_ids"] = sorted(scope.station_ids)
        return found


class FeedError(GraphQLError):
    """Ends a subscription; the client resubscribes with `after: lastCursor`."""

    def __init__(self, code: str, text: str, cursor: Cursor | None) -> None:
        super().__init__(
            text, extensions={"code": code, "lastCursor": encode_cursor(cursor) if cursor else None}
        )


class Subscriber:
    """A subscriber's bounded queue. The hub never blocks on it: when it is full the subscriber is marked
    too slow, keeps what is queued (all in order) and is then ended with an error."""

    def __init__(self, interest: Interest, size: int, start: Cursor) -> None:
        self.interest = interest
        self.start = start  # the hub had delivered up to here when this subscriber joined
        self.queue: asyncio.Queue[FeedEvent | None] = asyncio.Queue(size)
        self.too_slow = False
        self.closed = False

    def offer(self, event: FeedEvent) -> None:
        if self.too_slow or self.closed or not self.interest.accepts(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.too_slow = True

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)  # wakes a waiting reader; a full queue is read to its end anyway


class FeedHub:
    """Reads the log as it grows and offers each event to every subscriber of this process.

    Woken by NOTIFY (through db.activity_feed.Listener), after each reconnection, and every few seconds;
    each wake reads everything after the last event it delivered, so a lost notification only delays.
    """

    def __init__(self, reader: Any, url: str, *, queue_size: int = 1000, check_every: float = 5.0) -> None:
        self.reader = reader
        self.queue_size = queue_size
        self.position: Cursor = (0, repo.LAST)
        self.subscribers: set[Subscriber] = set()
        self.delivered = 0
        self._wake = asyncio.Event()
        self._listener = repo.Listener(url, self._wake.set, check_every=check_every)
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        async with self.reader() as session:
            self.position = await repo.head(session)
        self._tasks = [
            asyncio.create_task(self._listener.run(), name="feed-listener"),
            asyncio.create_task(self._pump(), name="feed-pump"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscriber in list(self.subscribers):
            subscriber.close()

    async def wait_connected(self) -> None:
        await self._listener.connected.wait()

    def subscribe(self, interest: Interest) -> Subscriber:
        # No await between reading the position and joining: every event after `start` reaches the queue.
        subscriber = Subscriber(interest, self.queue_size, self.position)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._drain()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The database is away; the listener's reconnection (or its next check) wakes us again.
                _log.warning(
                    "feed could not read the log", extra={"error": f"{type(error).__name__}: {error}"}
                )
                await asyncio.sleep(0.5)

    async def _drain(self) -> None:
        while True:
            async with self.reader() as session:
                rows = await repo.events_after(session, self.position, limit=REPLAY_BATCH)
            for row in rows:
                event = FeedEvent.from_row(row)
                self.position = event.cursor
                self.delivered += 1
                for subscriber in list(self.subscribers):
                    subscriber.offer(event)
            if len(rows) < REPLAY_BATCH:
                return


async def follow(
    reader: Any,
    hub: FeedHub,
    interest: Interest,
    *,
    after: Cursor | None,
    lang: str,
    idle: float = 60.0,
    still_allowed: Any = None,
    ends_at: datetime | None = None,
) -> AsyncGenerator[FeedEvent]:
    """The events a subscriber should receive: after `after` (replayed from the log), then live.

    `still_allowed` (an async callable) is asked at least every `idle` seconds whether the subscriber's
    sign-in is still live; when it is not, the feed ends with UNAUTHENTICATED. So it does at `ends_at`
    (when the access token it was started with expires), with the last cursor sent, nothing after it.
    """
    subscriber = hub.subscribe(interest)
    last: Cursor | None = after

    def left() -> float | None:
        """Seconds until `ends_at` (None: no end); ends the feed once it has passed."""
        if ends_at is None:
            return None
        seconds = (ends_at - datetime.now(UTC)).total_seconds()
        if seconds <= 0:
            raise FeedError("UNAUTHENTICATED", message("token_expired", lang), last)
        return seconds

    try:
        floor = subscriber.start
        if after is not None and after < subscriber.start:
            cursor = after
            narrowing = interest.scope_filter()
            while True:
                async with reader() as session:
                    rows = await repo.events_after(
                        session, cursor, limit=REPLAY_BATCH, up_to=subscriber.start, **narrowing
                    )
                    # Read after the events: had pruning removed any event after `cursor` before they
                    # were read, the horizon now reaches the cursor's position. Never a silent gap.
                    pruned_to = await repo.horizon(session)
                if pruned_to and cursor[0] <= pruned_to:
                    raise FeedError("FEED_CURSOR_EXPIRED", message("feed_cursor_expired", lang), None)
                for row in rows:
                    event = FeedEvent.from_row(row)
                    cursor = event.cursor
                    if interest.accepts(event):
                        left()
                        last = event.cursor
                        yield event
                if len(rows) < REPLAY_BATCH:
                    break
        elif after is not None:
            floor = after
        loop = asyncio.get_running_loop()
        checked = loop.time()
        while True:
            if subscriber.queue.empty() and (subscriber.too_slow or subscriber.closed):
                key, code = (
                    ("feed_too_slow", "FEED_TOO_SLOW")
                    if subscriber.too_slow
                    else ("feed_closing", "FEED_CLOSING")
                )
                cursor_text = encode_cursor(last) if last else "null"
                raise FeedError(code, message(key, lang, cursor=cursor_text), last)
            seconds = left()
            arrived: FeedEvent | None = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle if seconds is None else min(idle, seconds)):
                    arrived = await subscriber.queue.get()
            left()  # woken by the token's end, or an event that came after it
            if still_allowed is not None and loop.time() - checked >= idle:
                checked = loop.time()
                if not await still_allowed():
                    raise FeedError("UNAUTHENTICATED", message("session_ended", lang), last)
            if arrived is None or arrived.cursor <= floor:
                continue
            last = arrived.cursor
            yield arrived
    finally:
        hub.unsubscribe(subscriber)
