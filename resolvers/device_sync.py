"""The officer's working set, as changes since a cursor: `deviceChanges` (docs/device-sync.md).

What an officer's phone holds is a pure function of the rows' scope keys (db/device_sync.KEYS), the
officer's own (station, role, governorates, active) and the time (closed incidents stay KEEP_CLOSED):
`member(kind, keys, officer, at)`. The change log keeps each row's keys before each change, so the set
as it was at any position since the horizon can be worked out again; a sync from position p to the head
q sends:

- UPSERT for what is in the set at q (and still is as the page is read) and changed in (p, q], or was not
  in the set at p, or is held under an officer scope that changed in (p, q] (a transfer);
- REMOVE for what was in the set at p and is not at q: only ids the phone could have held, so nothing
  outside the officer's scope is ever named, not even as a REMOVE.

A sync is paged in a fixed order (kind, id) with a cursor that pins p and q, so every page of one sync
describes the same pair of moments; the last page's cursor is q, which the next sync starts from.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from db import device_sync as repo
from resolvers import policy
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message

# A closed (RESOLVED or CLOSED) incident stays on the phone this long after it was closed, then leaves.
KEEP_CLOSED = timedelta(days=7)
# The change log keeps this much; a cursor older than it (or before the pruning horizon) is answered
# with fullResync. api/compaction.py prunes it.
RETENTION = timedelta(days=30)
DEFAULT_FIRST = 500
MAX_FIRST = 1000
# The order of a sync's pages: the directory first (the phone can answer citizens with it at once).
KINDS = ("stations", "officers", "incidents", "follow_up_actions", "patrols")
TYPE_NAMES = {
    "stations": "Station",
    "officers": "Officer",
    "incidents": "Incident",
    "follow_up_actions": "FollowUpAction",
    "patrols": "Patrol",
}
OPEN_ACTIONS = frozenset({"OPEN", "IN_PROGRESS"})
CLOSED_INCIDENTS = frozenset({"RESOLVED", "CLOSED"})
UPSERT, REMOVE = "UPSERT", "REMOVE"
_STATION_CHUNK = 2000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_VERSION = "d1"


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    op: str
    kind: str
    entity_id: int
    at: datetime

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.kind]


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """One sync: from position `after` (None: nothing held) at `after_at`, to `upto` at `upto_at`, resumed
    after (`kind`, `last`)."""

    after: int | None
    after_at: datetime | None
    upto: int
    upto_at: datetime
    kind: int = 0
    last: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Cursor:
    """What the phone sends back: a finished sync's head (`step` None), or a sync to go on with."""

    position: int
    at: datetime
    step: Step | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    changes: list[Change]
    cursor: str
    has_more: bool
    full_resync: bool


# --- cursors ----------------------------------------------------------------------------------------


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _US


def encode(cursor: Cursor) -> str:
    parts = [_VERSION, str(cursor.position), str(_micros(cursor.at))]
    step = cursor.step
    if step is not None:
        parts += [
            "-" if step.after is None else str(step.after),
            "-" if step.after_at is None else str(_micros(step.after_at)),
            str(step.kind),
            str(step.last),
        ]
    return base64.urlsafe_b64encode(".".join(parts).encode()).decode().rstrip("=")


def decode(value: str, lang: str) -> Cursor:
    """The cursor a sync gave out; an InputError naming `after` for anything else."""
    try:
        if len(value) > 200:
            raise ValueError(value)
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
        parts = raw.split(".")
        if parts[0] != _VERSION or len(parts) not in (3, 7):
            raise ValueError(raw)

        def number(text: str) -> int:
            if not text.isdigit() or len(text) > 18:
                raise ValueError(text)
            return int(text)

        position, at = number(parts[1]), _EPOCH + number(parts[2]) * _US
        if len(parts) == 3:
            return Cursor(position, at)
        after = None if parts[3] == "-" else number(parts[3])
        after_at = None if parts[4] == "-" else _EPOCH + number(parts[4]) * _US
        kind, last = number(parts[5]), number(parts[6])
        if (after is None) != (after_at is None) or kind >= len(KINDS) or (after or 0) > position:
            raise ValueError(raw)
        return Cursor(position, at, Step(after, after_at, position, at, kind, last))
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
        raise InputError("after", message("bad_cursor", lang, field="after")) from None


def check_first(first: int | None, lang: str) -> int:
    if first is None:
        return DEFAULT_FIRST
    if not 1 <= first <= MAX_FIRST:
        raise InputError("first", message("range", lang, field="first", low=1, high=MAX_FIRST))
    return first


# --- who holds what -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Holder:
    """The officer whose set it is, as they were at some position."""

    officer_id: int
    viewer: policy.Viewer
    active: bool


def _holder(base: policy.Viewer, keys: dict[str, Any] | None) -> Holder | None:
    if keys is None:
        return None
    viewer = dataclasses.replace(
        base,
        role=keys["role"],
        station_id=keys["station_id"],
        governorates=frozenset(keys["governorates"] or ()),
    )
    return Holder(base.officer_id, viewer, bool(keys["active"]))


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def member(
    kind: str, keys: dict[str, Any] | None, holder: Holder | None, at: datetime, governorates: dict[int, str]
) -> bool:
    """Whether a row with these scope keys is in this officer's set at this time."""
    if keys is None or holder is None or not holder.active:
        return False
    me, viewer = holder.officer_id, holder.viewer
    if kind == "stations":
        return bool(keys["active"])
    if kind == "officers":
        return (
            viewer.station_id is not None and keys["station_id"] == viewer.station_id and bool(keys["active"])
        )
    if kind == "follow_up_actions":
        return keys["owner_id"] == me and keys["status"] in OPEN_ACTIONS
    if kind == "patrols":
        return keys["status"] == "ACTIVE" and me in (keys["officer_ids"] or ())
    # incidents: the station's, and those assigned to the officer, that the policy lets them read
    station_id = keys["station_id"]
    if station_id != viewer.station_id and me not in (keys["assigned_officer_ids"] or ()):
        return False
    if not policy.can_access_station(viewer, station_id, governorates.get(station_id, "")):
        return False
    closed_at = _time(keys["closed_at"])
    return keys["status"] not in CLOSED_INCIDENTS or closed_at is None or closed_at > at - KEEP_CLOSED


@dataclasses.dataclass(slots=True)
class _States:
    """A kind's rows: their keys now, at the sync's two positions, and when they changed in between."""

    now: dict[int, dict[str, Any]]
    history: dict[int, list[repo.HistoryRow]]

    def at(self, entity_id: int, position: int | None) -> dict[str, Any] | None:
        """The row's keys as of `position` (None for a row that did not exist then)."""
        if position is None:
            return None
        for row in self.history.get(entity_id, ()):
            if row.position > position:
                return row.before
        return self.now.get(entity_id)

    def changed(self, entity_id: int, after: int | None, upto: int) -> datetime | None:
        """When the row last changed in (after, upto], or None."""
        last = None
        for row in self.history.get(entity_id, ()):
            if (after is None or row.position > after) and row.position <= upto:
                last = row.committed_at
        return last


async def _states(session: Any, kind: str, ids: Sequence[int], after: int) -> _States:
    history: dict[int, list[repo.HistoryRow]] = defaultdict(list)
    for row in await repo.history(session, kind, ids, after):
        history[row.entity_id].append(row)
    return _States(await repo.current_keys(session, kind, ids), history)


@dataclasses.dataclass(frozen=True, slots=True)
class _Sync:
    officer_id: int
    step: Step
    now_at: datetime
    holders: tuple[Holder | None, Holder | None, Holder | None]  # at `after`, at `upto`, now
    rescoped: bool  # the officer's own scope keys changed in (after, upto]


def _decide(
    sync: _Sync, kind: str, entity_id: int, states: _States, governorates: dict[int, str]
) -> Change | None:
    step = sync.step
    at_p, at_q, now = sync.holders
    was = step.after is not None and member(
        kind, states.at(entity_id, step.after), at_p, step.after_at or step.upto_at, governorates
    )
    held = member(kind, states.at(entity_id, step.upto), at_q, step.upto_at, governorates)
    still = member(kind, states.now.get(entity_id), now, sync.now_at, governorates)
    changed = states.changed(entity_id, step.after, step.upto)
    if held and still and (changed is not None or not was or (sync.rescoped and kind != "stations")):
        return Change(UPSERT, kind, entity_id, changed or step.upto_at)
    if was and not held:
        return Change(REMOVE, kind, entity_id, changed or step.upto_at)
    return None


async def _station_changes(session: Any, sync: _Sync, last: int, want: int) -> list[Change]:
    """Up to `want` decisions on stations after id `last`: with no cursor, the active directory; after
    one, the stations that changed. Read in chunks, since not every station read gives a change."""
    step, found = sync.step, list[Change]()
    while len(found) < want:
        if step.after is None:
            ids = await repo.active_stations(session, last, _STATION_CHUNK)
        else:
            ids = await repo.changed_stations(session, step.after, step.upto, last, _STATION_CHUNK)
        if not ids:
            break
        states = await _states(session, "stations", ids, step.upto if step.after is None else step.after)
        for entity_id in ids:
            change = _decide(sync, "stations", entity_id, states, {})
            if change is not None:
                found.append(change)
        last = ids[-1]
        if len(ids) < _STATION_CHUNK:
            break
    return found[:want]


async def _scoped_changes(session: Any, sync: _Sync, kind: str, last: int) -> list[Change]:
    """Every decision on one station-scoped kind after id `last` (a station's worth: hundreds)."""
    step = sync.step
    since = step.upto if step.after is None else step.after
    station_ids = sorted({h.viewer.station_id for h in sync.holders if h and h.viewer.station_id is not None})
    earliest = step.after_at or step.upto_at
    ids = await repo.naming(
        session,
        kind,
        station_ids=station_ids,
        officer_id=sync.officer_id,
        after=since,
        closed_after=earliest - KEEP_CLOSED,
    )
    ids = [i for i in ids if i > last]
    states = await _states(session, kind, ids, since)
    governorates: dict[int, str] = {}
    if kind == "incidents":
        station_keys = {keys["station_id"] for keys in states.now.values()}
        station_keys |= {
            row.before["station_id"] for rows in states.history.values() for row in rows if row.before
        }
        governorates = await repo.station_governorates(session, sorted(station_keys))
    changes = []
    for entity_id in ids:
        change = _decide(sync, kind, entity_id, states, governorates)
        if change is not None:
            changes.append(change)
    return changes


async def _page(session: Any, sync: _Sync, want: int) -> tuple[list[Change], bool]:
    """Up to `want` changes from where the step resumes, and whether more follow."""
    step, found = sync.step, list[Change]()
    for index in range(step.kind, len(KINDS)):
        kind = KINDS[index]
        last = step.last if index == step.kind else 0
        if kind == "stations":
            found += await _station_changes(session, sync, last, want + 1 - len(found))
        else:
            found += await _scoped_changes(session, sync, kind, last)
        if len(found) > want:
            return found[:want], True
    return found, False


async def device_changes(ctx: Context, after: str | None, first: int | None) -> Answer:
    """The signed-in officer's working set, changed since `after` (none: all of it), one page."""
    viewer = policy.may_sync_device(ctx.viewer)
    want = check_first(first, ctx.lang)
    cursor = decode(after, ctx.lang) if after is not None else None
    async with ctx.sessionmaker() as session:
        await repo.snapshot(session)
        head = await repo.head(session)
        if cursor is not None and cursor.position > head.position:
            # Not from this database's log (another server's, or made up): never answered as "no change".
            raise InputError("after", message("bad_cursor", ctx.lang, field="after"))
        full_resync = False
        if cursor is not None:
            held = cursor.position if cursor.step is None else cursor.step.after
            held_at = cursor.at if cursor.step is None else cursor.step.after_at
            if (
                held is not None
                and held_at is not None
                and (held < head.horizon or held_at < head.now - RETENTION)
            ):
                full_resync, cursor = True, None
        if cursor is None:
            step = Step(None, None, head.position, head.now)
        elif cursor.step is None:
            step = Step(cursor.position, cursor.at, head.position, head.now)
        else:
            step = cursor.step
        officer = await _states(
            session, "officers", [viewer.officer_id], min(step.after or step.upto, step.upto)
        )
        holders = (
            _holder(viewer, officer.at(viewer.officer_id, step.after)),
            _holder(viewer, officer.at(viewer.officer_id, step.upto)),
            _holder(viewer, officer.now.get(viewer.officer_id)),
        )
        rescoped = step.after is not None and (
            officer.changed(viewer.officer_id, step.after, step.upto) is not None
        )
        sync = _Sync(viewer.officer_id, step, head.now, holders, rescoped)
        changes, more = await _page(session, sync, want)
        await session.rollback()
    if more:
        last = changes[-1]
        resumed = dataclasses.replace(step, kind=KINDS.index(last.kind), last=last.entity_id)
        token = encode(Cursor(step.upto, step.upto_at, resumed))
    else:
        token = encode(Cursor(step.upto, step.upto_at))
    return Answer(changes, token, more, full_resync)
