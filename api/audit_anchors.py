"""Anchors of the audit chain: its head (the newest entry's id and HMAC), written at intervals outside the
database, so that removing the newest entries, which leaves a chain that still verifies, is found.

    anchors = AuditAnchors(settings.anchor_file, every_seconds=60)
    metrics.registry.register(anchors)                  # markaz_audit_anchor_id on /metrics
    anchors.sessionmaker = database.reader              # in the app's lifespan
    await anchors.start()                               # anchors at once, then every interval
    await anchors.stop()                                # and once more on the way out

Each anchor goes to three places, each out of reach of someone who only holds the database:
  - a line of the structured log (`audit anchor`, with `audit_anchor_id` and `audit_anchor_hash`), which
    the deployment's log collection ships off the host;
  - a line of an append-only JSON-lines file (MARKAZ_AUDIT_ANCHOR_FILE, by default `audit-anchors.jsonl`
    in the data directory), which `markaz audit verify` reads;
  - the id alone, as a gauge on /metrics: a scraper keeps its history, and can alert when it goes down.
Publishing the HMAC does not help a forger: making another entry match it takes the key. It stays off
/metrics all the same, where a hash would only be a label with a new value every minute.

Several processes may anchor the same chain into one file: each line is one small append (O_APPEND), and
the verifier takes every line for what it says, whatever their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from db import audit as repo
from db.faults import is_unavailable
from resolvers.audit import Anchor

STOP_TIMEOUT_S = 3
_log = logging.getLogger("markaz.audit")


class AnchorFileError(ValueError):
    """An anchor file that cannot be read, with the line at fault."""


def append(path: Path, anchor: Anchor) -> None:
    """Append one anchor as a line, on disk before returning."""
    line = json.dumps({"id": anchor.id, "hash": anchor.hash, "at": anchor.at}, separators=(",", ":")) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> list[Anchor]:
    """Every anchor of the file. A last line cut short (the process died while writing it) is left out;
    any other line that is not an anchor is an error naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AnchorFileError(f"{path}: {error.strerror or error}") from None
    anchors, lines = [], text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
            anchors.append(Anchor(id=int(value["id"]), hash=str(value["hash"]), at=str(value["at"])))
        except (ValueError, KeyError, TypeError):
            if number == len(lines):  # no newline after it: an append that never finished
                break
            raise AnchorFileError(f"{path}: line {number} is not an anchor") from None
    return anchors


async def anchor_now(sessionmaker: Any, path: Path, *, unless_at: int | None = None) -> Anchor | None:
    """Anchor the chain's head now, in the file and in the log; None for an empty chain, or one whose head
    is still at id `unless_at` (anchored already)."""
    async with sessionmaker() as session:
        head = await repo.head(session)
    if head is None or head.id == unless_at:
        return None
    anchor = Anchor(id=head.id, hash=head.hash, at=datetime.now(UTC).isoformat(timespec="seconds"))
    await asyncio.to_thread(append, path, anchor)  # fsync may take a while on a busy disk
    _log.info(
        "audit anchor",
        extra={
            "audit_anchor_id": anchor.id,
            "audit_anchor_hash": anchor.hash,
            "audit_anchor_file": str(path),
        },
    )
    return anchor


class AuditAnchors:
    """The process's anchoring, in the background; a Prometheus collector of the last anchored id."""

    def __init__(self, path: Path, *, every_seconds: float) -> None:
        self.path = path
        self.every_seconds = every_seconds
        self.sessionmaker: Any = None
        self.last: Anchor | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self.every_seconds > 0 and self.sessionmaker is not None:
            await self.run_once()
            self._task = asyncio.create_task(self._loop(), name="markaz-audit-anchors")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        # What the last minutes appended is anchored before the process goes; a database that does not
        # answer does not hold the shutdown up for long.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.run_once()

    async def run_once(self) -> Anchor | None:
        """Anchor the head if it moved since the last anchor; a database that is down is skipped."""
        try:
            anchor = await anchor_now(
                self.sessionmaker, self.path, unless_at=self.last.id if self.last else None
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # The next run anchors a later head; the chain in the table is not touched by a failed one.
            if is_unavailable(error):
                _log.warning("audit anchor skipped: database unavailable")
            else:
                _log.exception("audit anchor failed", extra={"audit_anchor_file": str(self.path)})
            return None
        self.last = anchor or self.last
        return anchor

    async def _loop(self) -> None:
        while True:
            # Spread over the interval, so that processes started together do not all write at once.
            await asyncio.sleep(self.every_seconds * random.uniform(0.8, 1.2))
            await self.run_once()

    def collect(self):
        if self.last is not None:
            yield GaugeMetricFamily(
                "markaz_audit_anchor_id",
                "Id of the newest audit-log entry this process anchored.",
                value=float(self.last.id),
            )
