"""The activity tables' upkeep, run by every server process in the background: the rollups' compaction
and the live feed's pruning (and the deletion of expired uploads, docs/media.md).

    compactor = Compactor(sessionmaker, every_seconds=60, feed_retention=timedelta(days=7))
    await compactor.start()   # in the app's lifespan; `await compactor.stop()` on the way out

Every write adds delta rows to the rollups (db/models/activity.py): left alone, a key would gather one
row per record and maps would read as many rows as there are records. Each run merges the keys of the
rows written since the last one (`activity_compact`, migration 0007) in chunks of `CHUNK` fresh rows per
table, each chunk its own short transaction, until none are left. Sums never change, so a run may stop
anywhere (shutdown, a database restart) and the next one carries on. Several processes may run it: the
function takes an advisory lock, so they take turns, and whoever comes second finds little to do.

The feed's event log keeps `feed_retention` (MARKAZ_FEED_RETENTION_HOURS): older positions and their
events go, oldest first, `PRUNE_POSITIONS` a transaction (activity_feed_prune, the feed pruning
migration). A subscriber resuming from before the horizon is told to reload (resolvers/feed.py).

The public map's month that ended last is frozen (resolvers.activity.freeze_last_public_month, migration
0024): its base numbers kept as they were in its first minute or so, whenever the public first asks.

The officers' working-set log (migration 0018) keeps `device_retention` (resolvers.device_sync.RETENTION,
30 days) the same way (device_changes_prune); a phone whose cursor is older is told to resync whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from db import activity, activity_feed, device_sync, media
from db.faults import is_unavailable
from resolvers.activity import freeze_last_public_month
from resolvers.device_sync import RETENTION as DEVICE_RETENTION

CHUNK = 50_000
PRUNE_POSITIONS = 500  # a position is one committed transaction: a sync batch's hundreds of events
_log = logging.getLogger("markaz.compaction")


class Compactor:
    def __init__(
        self,
        sessionmaker: Any,
        *,
        every_seconds: float,
        feed_retention: timedelta | None = None,
        device_retention: timedelta | None = DEVICE_RETENTION,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.every_seconds = every_seconds
        self.feed_retention = feed_retention  # None: the feed's log is kept whole
        self.device_retention = device_retention  # None: the working-set log is kept whole
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self.every_seconds > 0:
            self._task = asyncio.create_task(self._loop(), name="markaz-compaction")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> int:
        """Compact until no fresh rows are left; the fresh rows merged."""
        started, merged = time.monotonic(), 0
        while True:
            async with self.sessionmaker() as session:
                taken = await activity.compact(session, CHUNK)
                await session.commit()
            merged += taken
            if taken < CHUNK:  # neither table gave a full chunk: nothing fresh was left
                break
        if merged:
            _log.info(
                "activity rollups compacted",
                extra={"fresh_rows": merged, "seconds": round(time.monotonic() - started, 3)},
            )
        return merged

    async def prune_feed(self) -> int:
        """Remove the feed's events older than the retention, oldest first; the events removed."""
        if self.feed_retention is None:
            return 0
        before, removed = datetime.now(UTC) - self.feed_retention, 0
        while True:
            async with self.sessionmaker() as session:
                taken = await activity_feed.prune(session, before, PRUNE_POSITIONS)
                await session.commit()
            removed += taken
            if not taken:
                break
        if removed:
            _log.info("live feed pruned", extra={"events": removed, "before": before.isoformat()})
        return removed

    async def prune_device_log(self) -> int:
        """Remove the working-set log's positions older than its retention, oldest first; how many."""
        if self.device_retention is None:
            return 0
        before, removed = datetime.now(UTC) - self.device_retention, 0
        while True:
            async with self.sessionmaker() as session:
                taken = await device_sync.prune(session, before, PRUNE_POSITIONS)
                await session.commit()
            removed += taken
            if not taken:
                break
        if removed:
            _log.info("working-set log pruned", extra={"positions": removed, "before": before.isoformat()})
        return removed

    async def expire_uploads(self) -> int:
        """Delete unfinished uploads past their expiry (api/uploads.py), a hundred a transaction; how many."""
        removed = 0
        while True:
            async with self.sessionmaker() as session:
                taken = await media.delete_expired(session)
                await session.commit()
            removed += taken
            if taken < 100:
                break
        if removed:
            _log.info("expired uploads deleted", extra={"uploads": removed})
        return removed

    async def freeze_public_month(self) -> list[datetime]:
        """Freeze the public map's last completed month if it is not yet; the months frozen."""
        frozen = await freeze_last_public_month(self.sessionmaker)
        if frozen:
            _log.info("public map month frozen", extra={"months": [m.isoformat() for m in frozen]})
        return frozen

    async def _loop(self) -> None:
        while True:
            # Spread over the interval, so that processes started together do not all run at once.
            await asyncio.sleep(self.every_seconds * random.uniform(0.5, 1.5))
            try:
                await self.run_once()
                await self.freeze_public_month()
                await self.prune_feed()
                await self.prune_device_log()
                await self.expire_uploads()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Nothing is lost by a failed run (it commits chunk by chunk, sums unchanged): the next
                # one carries on. A database that is down is logged briefly, anything else in full.
                if is_unavailable(error):
                    _log.warning("activity compaction skipped: database unavailable")
                else:
                    _log.exception("activity compaction failed")
