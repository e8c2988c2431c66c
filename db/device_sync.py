"""Every SQL statement of the officer's working set (docs/device-sync.md).

The change log (migration 0018) is read by position: `device_commits.position` is the committing
transaction's place, given at commit and visible in increasing order, so "the changes after p" is a plain
range. A row's state at position p is the `before` of its first logged change after p, or, when it has
none, the row as it is now: the sync reads both in one REPEATABLE READ snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db import statements

# The scope keys of each kind: the columns that decide who holds a row (the triggers' arguments).
KEYS: dict[str, tuple[str, ...]] = {
    "stations": ("active",),
    "incidents": ("station_id", "status", "closed_at", "assigned_officer_ids"),
    "follow_up_actions": ("owner_id", "status"),
    "patrols": ("officer_ids", "status", "station_id"),
    "officers": ("station_id", "role", "governorates", "active"),
}


class HeadRow(Protocol):
    position: int
    now: datetime
    horizon: int


class HistoryRow(Protocol):
    """One logged change of a row: its position, when it committed, and the row's keys before it."""

    entity_id: int
    position: int
    committed_at: datetime
    before: dict[str, Any] | None


async def snapshot(session: AsyncSession) -> None:
    """Make the session's transaction one REPEATABLE READ, read-only snapshot: everything the sync reads
    is then as of one moment, whose positions are exactly those up to the head it reads. (A session joined
    to an outer transaction, as the tests' rolled-back ones are, already reads one snapshot's worth.)"""
    if isinstance(session.bind, AsyncConnection):
        return
    await statements.execute(session, text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


_HEAD = text(
    "SELECT greatest((SELECT coalesce(max(position), 0) FROM device_commits), h.position) AS position, "
    "now() AS now, h.position AS horizon FROM device_sync_horizon h"
)


async def head(session: AsyncSession) -> HeadRow:
    """The newest position committed (never below the horizon), the snapshot's time, and the horizon."""
    return cast(HeadRow, (await statements.execute(session, _HEAD)).one())


_CURRENT: dict[str, Any] = {
    kind: text(
        f"SELECT id, {', '.join(keys)} FROM {kind} WHERE id = ANY(:ids)"  # noqa: S608 - fixed names
    ).bindparams(bindparam("ids", type_=ARRAY(BIGINT)))
    for kind, keys in KEYS.items()
}


async def current_keys(session: AsyncSession, kind: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The scope keys of these rows as they are now (rows that no longer exist are missing)."""
    if not ids:
        return {}
    rows = (await statements.execute(session, _CURRENT[kind], {"ids": list(ids)})).mappings().all()
    return {row["id"]: {key: row[key] for key in KEYS[kind]} for row in rows}


_HISTORY = text(
    "SELECT d.entity_id, c.position, c.committed_at, d.before FROM device_changes d "
    "JOIN device_commits c ON c.xid = d.xid "
    "WHERE d.kind = :kind AND d.entity_id = ANY(:ids) AND c.position > :after "
    "ORDER BY d.entity_id, c.position, d.id"
).bindparams(bindparam("ids", type_=ARRAY(BIGINT)))


async def history(session: AsyncSession, kind: str, ids: Sequence[int], after: int) -> Sequence[HistoryRow]:
    """Every logged change of these rows after position `after`, in order for each row."""
    if not ids:
        return []
    params = {"kind": kind, "ids": list(ids), "after": after}
    return cast("Sequence[HistoryRow]", (await statements.execute(session, _HISTORY, params)).all())


_LOGGED_NAMING = text(
    "SELECT DISTINCT d.entity_id FROM device_changes d JOIN device_commits c ON c.xid = d.xid "
    "WHERE d.kind = :kind AND c.position > :after "
    "AND (d.stations && CAST(:stations AS bigint[]) OR d.officers && CAST(:officers AS bigint[]))"
)

# Rows that may be in one officer's set now, by kind (a superset: the logic decides).
_NAMING_NOW: dict[str, Any] = {
    "incidents": text(
        "SELECT id FROM incidents WHERE (station_id = ANY(:stations) "
        "OR assigned_officer_ids @> CAST(:officers AS bigint[])) "
        "AND (closed_at IS NULL OR closed_at > :closed_after)"
    ),
    "follow_up_actions": text(
        "SELECT id FROM follow_up_actions WHERE owner_id = ANY(:officers) "
        "AND status IN ('OPEN', 'IN_PROGRESS')"
    ),
    "patrols": text(
        "SELECT id FROM patrols WHERE officer_ids @> CAST(:officers AS bigint[]) AND status = 'ACTIVE'"
    ),
    "officers": text("SELECT id FROM officers WHERE station_id = ANY(:stations)"),
}


async def naming(
    session: AsyncSession,
    kind: str,
    *,
    station_ids: Sequence[int],
    officer_id: int,
    after: int,
    closed_after: datetime,
) -> list[int]:
    """The rows of `kind` that name these stations or this officer now (incidents closed before
    `closed_after` left out), or did so at some position after `after`: every row an officer of those
    stations could hold at any of those positions."""
    params = {"stations": list(station_ids), "officers": [officer_id], "closed_after": closed_after}
    found = {row[0] for row in (await statements.execute(session, _NAMING_NOW[kind], params)).all()}
    logged = await statements.execute(session, _LOGGED_NAMING, {"kind": kind, "after": after, **params})
    found.update(row[0] for row in logged.all())
    return sorted(found)


_CHANGED_STATIONS = text(
    "SELECT DISTINCT d.entity_id FROM device_changes d JOIN device_commits c ON c.xid = d.xid "
    "WHERE d.kind = 'stations' AND c.position > :after AND c.position <= :upto AND d.entity_id > :last "
    "ORDER BY d.entity_id LIMIT :limit"
)
_ACTIVE_STATIONS = text("SELECT id FROM stations WHERE active AND id > :last ORDER BY id LIMIT :limit")


async def changed_stations(session: AsyncSession, after: int, upto: int, last: int, limit: int) -> list[int]:
    """Up to `limit` stations changed in positions (after, upto], by id from after `last`."""
    params = {"after": after, "upto": upto, "last": last, "limit": limit}
    return [row[0] for row in (await statements.execute(session, _CHANGED_STATIONS, params)).all()]


async def active_stations(session: AsyncSession, last: int, limit: int) -> list[int]:
    """Up to `limit` active stations, by id from after `last`."""
    params = {"last": last, "limit": limit}
    return [row[0] for row in (await statements.execute(session, _ACTIVE_STATIONS, params)).all()]


_GOVERNORATES = text("SELECT id, governorate_code FROM stations WHERE id = ANY(:ids)").bindparams(
    bindparam("ids", type_=ARRAY(BIGINT))
)


async def station_governorates(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = (await statements.execute(session, _GOVERNORATES, {"ids": list(ids)})).mappings().all()
    return {row["id"]: row["governorate_code"] for row in rows}


_PRUNE = text("SELECT device_changes_prune(:before, :limit)")


async def prune(session: AsyncSession, before: datetime, limit: int) -> int:
    """Remove up to `limit` of the oldest positions committed before `before`, with their rows, and raise
    the horizon (device_changes_prune, migration 0018). The positions removed."""
    return (await statements.execute(session, _PRUNE, {"before": before, "limit": limit})).scalar_one()
