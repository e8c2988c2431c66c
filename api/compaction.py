"""The activity rollups' compaction, run by every server process in the background.

    compactor = Compactor(sessionmaker, every_seconds=60)
    await compactor.start()   # in the app's lifespan; `await compactor.stop()` on the way out

Every write adds delta rows to the rollups (db/models/activity.py): left alone, a key would gather one
row per record and maps would read as many rows as there are records. Each run merges the keys of the
rows written since the last one (`activity_compact`, migration 0007) in chunks of `CHUNK` fresh rows per
table, each chunk its own short transaction, until none are left. Sums never change, so a run may stop
anywhere (shutdown, a database restart) and the next one carries on. Several processes may run it: the
function takes an advisory lock, so they take turns, and whoever comes second finds little to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any

from db import activity
from db.faults import is_unavailable

CHUNK = 50_000
_log = logging.getLogger("markaz.compaction")


class Compactor:
    def __init__(self, sessionmaker: Any, *, every_seconds: float) -> None:
        self.sessionmaker = sessionmaker
        self.every_seconds = every_seconds
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
            _log.info("activity rollups compacted", extra={"fresh_rows": merged,
                                                            "seconds": round(time.monotonic() - started, 3)})
        return merged

    async def _loop(self) -> None:
        while True:
            # Spread over the interval, so that processes started together do not all run at once.
            await asyncio.sleep(self.every_seconds * random.uniform(0.5, 1.5))
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Nothing is lost by a failed run (it commits chunk by chunk, sums unchanged): the next
                # one carries on. A database that is down is logged briefly, anything else in full.
                if is_unavailable(error):
                    _log.warning("activity compaction skipped: database unavailable")
                else:
                    _log.exception("activity compaction failed")
