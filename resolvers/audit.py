"""The audit log: every write and every read of a sensitive record, sign-ins (failed ones too), refresh-token
reuse and account administration: who, what, when, from which device, before and after, in a keyed chain
so that an edited, deleted or truncated entry is found by `markaz audit verify`.

Each entry's `hash` is an HMAC-SHA256, under the audit key, of the previous entry's hash and the entry's
canonical content. The key is not in the database (db/audit.py: the process puts it on its sessions), so
someone who can rewrite the table, even with the append-only trigger dropped, cannot make a changed entry
verify: a plain SHA-256 chain, which anyone can recompute, could only show that the links were redone.
Truncating the newest entries leaves a chain that still verifies; the anchors catch that: the head (id
and HMAC) written at intervals outside the table (api/audit_anchors.py), which `verify` compares with.

Entries are buffered on the request's context and written just before the request commits, so an
entry exists exactly when the change it describes does; `write_now` writes at once, in a transaction of
its own, what must stand although the request fails (a failed sign-in).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import audit as repo


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


_LABEL = b"markaz audit chain v1"
_KEY_ID_LABEL = b"markaz audit key id"


def chain_key(secret: str) -> bytes:
    """The chain's key made from a configured secret (MARKAZ_AUDIT_KEY, else MARKAZ_SECRET_KEY): an HMAC of
    a fixed label under it, so the chain is never keyed with the token-signing key itself, and a value
    published under one of the two (a token's signature, an entry's HMAC) says nothing about the other."""
    return hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A name for a chain key, kept on each entry (so a rotated key's entries still verify with the old
    key); like the entries' HMACs, it tells nothing about the key."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


@dataclasses.dataclass(slots=True)
class Pending:
    action: str
    entity_type: str
    entity_id: str | None
    officer_id: int | None
    device_id: str | None
    request_id: str | None
    before: dict | None
    after: dict | None
    at: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))


_FIELDS = tuple(field.name for field in dataclasses.fields(Pending))


def entry(
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    officer_id: int | None = None,
    device_id: str | None = None,
    request_id: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> Pending:
    return Pending(
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        officer_id=officer_id,
        device_id=device_id,
        request_id=request_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )


def of_request(
    ctx: Any,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> Pending:
    """An entry by the request's viewer (none for a citizen), device and request id."""
    viewer = ctx.viewer
    return entry(
        action,
        entity_type,
        entity_id,
        officer_id=viewer.officer_id if viewer else None,
        device_id=ctx.device_id,
        request_id=ctx.request_id,
        before=before,
        after=after,
    )


def record(
    ctx: Any,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    ctx.audit.append(of_request(ctx, action, entity_type, entity_id, before=before, after=after))


def canonical(row: Any) -> bytes:
    """The bytes an entry's hash covers: every field but the hashes, in a fixed form."""
    at = row.at.astimezone(UTC).isoformat(timespec="microseconds")
    content = [
        at,
        row.officer_id,
        row.device_id,
        row.request_id,
        row.action,
        row.entity_type,
        row.entity_id,
        row.before,
        row.after,
    ]
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def plain_hash(prev_hash: str, row: Any) -> str:
    """The link of an entry from before the keyed chain: SHA-256, which anyone can recompute."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(row)).hexdigest()


class _Mac:
    """HMAC-SHA256 under one key, its key schedule done once (a sync batch writes hundreds of entries)."""

    __slots__ = ("base", "id")

    def __init__(self, key: bytes) -> None:
        self.base = hmac.new(key, digestmod=hashlib.sha256)
        self.id = key_id(key)

    def link(self, prev_hash: str, row: Any) -> str:
        mac = self.base.copy()
        mac.update(prev_hash.encode() + b"\n" + canonical(row))
        return mac.hexdigest()


class NoAuditKey(RuntimeError):
    """An entry to write with a session that has no audit key (a process configured without one)."""


def _session_key(session: AsyncSession) -> bytes:
    key = repo.session_key(session)
    if key is None:
        raise NoAuditKey("the audit log needs a key: set MARKAZ_AUDIT_KEY (or MARKAZ_SECRET_KEY)")
    return key


async def flush(session: AsyncSession, pending: list[Pending]) -> None:
    """Write the buffered entries at the end of the chain (in the caller's transaction)."""
    if not pending:
        return
    mac = _Mac(_session_key(session))
    prev = await repo.last_hash_locked(session)
    rows = []
    for entry in pending:
        digest = mac.link(prev, entry)
        # Field by field, not dataclasses.asdict: that deep-copies `before` and `after`, which _jsonable
        # already made fresh (a tenth of a sync batch's CPU went there).
        rows.append(
            {
                **{name: getattr(entry, name) for name in _FIELDS},
                "prev_hash": prev,
                "hash": digest,
                "key_id": mac.id,
            }
        )
        prev = digest
    await repo.insert_entries(session, rows)
    pending.clear()


async def write_now(sessionmaker: Any, entries: Iterable[Pending]) -> None:
    """Write entries at once, in a transaction of their own: events that must stand whatever becomes of
    the request that met them. The caller holds no other connection meanwhile (a pool could run dry)."""
    async with sessionmaker() as session:
        await flush(session, list(entries))
        await session.commit()


@dataclasses.dataclass(frozen=True, slots=True)
class Anchor:
    """The chain's head as published outside the table at one moment: the newest id and its HMAC."""

    id: int
    hash: str
    at: str


@dataclasses.dataclass(slots=True)
class Verification:
    entries: int
    first_bad_id: int | None
    reason: str | None
    unkeyed: int = 0  # entries from before the keyed chain (plain SHA-256 links)
    last_id: int | None = None
    anchors_checked: int = 0
    last_anchor: Anchor | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


async def verify(
    session: AsyncSession, *, anchors: Sequence[Anchor] = (), old_keys: Sequence[bytes] = ()
) -> Verification:
    """Walk the chain from the start; report the first entry whose link, HMAC or anchor does not match,
    or, when the table ends before the newest anchor, that its newest entries were removed.

    The session's key and `old_keys` (keys the chain was rotated away from) are the keys entries may
    name. An unkeyed entry is accepted only before the first keyed one: after it, it is a rewrite by
    someone who recomputed a plain SHA-256 for want of the key.
    """
    current = repo.session_key(session)
    macs = {mac.id: mac for mac in (_Mac(key) for key in (*old_keys, *([current] if current else [])))}
    anchored: dict[int, Anchor] = {}
    for anchor in anchors:
        anchored.setdefault(anchor.id, anchor)
    newest = max(anchors, key=lambda a: a.id, default=None)
    result = Verification(0, None, None, last_anchor=newest)

    def bad(row_id: int | None, reason: str) -> Verification:
        result.first_bad_id, result.reason = row_id, reason
        return result

    # Identity values may skip after a rolled-back insert, so gaps in ids prove nothing; the links do.
    prev, keyed, met = repo.GENESIS, False, set()
    async for row in repo.entries_in_order(session):
        result.entries += 1
        if row.prev_hash != prev:
            return bad(row.id, "the entry before it was changed or removed")
        if row.key_id is None:
            if keyed:
                return bad(row.id, "unkeyed (a plain SHA-256) after keyed entries: rewritten without the key")
            if plain_hash(prev, row) != row.hash:
                return bad(row.id, "its content was changed")
            result.unkeyed += 1
        else:
            mac = macs.get(row.key_id)
            if mac is None:
                return bad(
                    row.id,
                    f"made with audit key {row.key_id}, which is neither the configured key "
                    "nor one of MARKAZ_AUDIT_OLD_KEYS",
                )
            if mac.link(prev, row) != row.hash:
                return bad(row.id, "its HMAC does not match its content: changed without the audit key")
            keyed = True
        kept = anchored.get(row.id)
        if kept is not None:
            if kept.hash != row.hash:
                return bad(row.id, f"differs from its anchor of {kept.at}: the chain was rewritten")
            met.add(row.id)
        prev, result.last_id = row.hash, row.id
    if newest is not None and (result.last_id is None or newest.id > result.last_id):
        ends = f"id {result.last_id}" if result.last_id is not None else "nothing (it is empty)"
        return bad(None, f"truncated: anchor at id {newest.id} ({newest.at}), table ends at {ends}")
    result.anchors_checked = len(met)
    if len(met) < len(anchored):  # an anchored id the walk never met: that entry is gone
        gone = min(set(anchored) - met)
        return bad(gone, f"anchored ({anchored[gone].at}) but missing from the table")
    return result
