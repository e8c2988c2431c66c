"""Idempotency by the device-made client id: a write claims its id once; a retry with the same content
is answered with the first result (DUPLICATE), other content under the same id is a CONFLICT."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from db import client_requests as repo
from resolvers.context import Context
from resolvers.messages import message
from resolvers.mutation_errors import FieldError, MutationFailed

V = TypeVar("V")


def content_hash(kind: str, content: Any) -> str:
    """A stable hash of an input, to tell a retry (same content) from a clash (other content).

    Stable across releases too: a phone that sent a batch before an upgrade and resends it after must
    get DUPLICATE, not CONFLICT (tests/test_sync.py pins two hashes). The JSON text is Python's json
    with sorted keys, of the input's fields by their Python names, times in UTC, enums by value.
    """
    text = json.dumps([kind, _plain(content)], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_THEY_ARE:
        return value
    how = _HOW.get(kind)
    if how is None:
        how = _HOW[kind] = _how(value)
    return how(value)


def _how(value: Any) -> Callable[[Any], Any]:
    """How values of this one's type become plain JSON values (decided once per type)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = tuple(f.name for f in dataclasses.fields(value))
        return lambda v: {name: _plain(getattr(v, name)) for name in names}
    if isinstance(value, dict):
        return lambda v: {str(k): _plain(x) for k, x in v.items()}
    if isinstance(value, list | tuple):
        return lambda v: [_plain(x) for x in v]
    if isinstance(value, datetime):
        return lambda v: v.astimezone(UTC).isoformat()
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return lambda v: _plain(v.value)  # enums
    if isinstance(value, uuid.UUID):
        return str
    return lambda v: v


_HOW: dict[type, Callable[[Any], Any]] = {}


@dataclasses.dataclass(slots=True)
class Applied:
    """What a field-work write did: the record as stored, and whether it was a replay of an earlier one."""

    row: Any
    duplicate: bool = False


@dataclasses.dataclass(slots=True)
class Claim:
    """The outcome of claiming a client id: new work, or the earlier result of the same request."""

    new: bool
    result_type: str | None = None
    result_id: int | None = None


async def claim(
    ctx: Context, client_id: uuid.UUID, kind: str, digest: str, path: tuple[str, ...] = ("clientId",)
) -> Claim:
    """Claim `client_id` for this request, or find what it already did.

    The same id with the same content is a duplicate (answered with the first result); the same id
    with other content, or for another kind of request or officer, is a CONFLICT.
    """
    if ctx.claims is None or client_id not in ctx.claims:
        async with ctx.db() as session:
            if await repo.claim(
                session, client_id=client_id, officer_id=ctx.viewer.officer_id, kind=kind, content_hash=digest
            ):
                return Claim(new=True)
    found = await earlier(ctx, client_id, kind, digest, path)
    if found is None:  # cannot happen: a claim that lost waited for the winner, and the winner committed
        _clash(ctx, path)
    return found


async def earlier(
    ctx: Context, client_id: uuid.UUID, kind: str, digest: str, path: tuple[str, ...] = ("clientId",)
) -> Claim | None:
    """What an earlier request with this client id did (a duplicate of this one); None when there was
    none; CONFLICT when it was another request (other content, kind or officer)."""
    found = ctx.claims.get(client_id) if ctx.claims is not None else None
    if found is None:
        async with ctx.db() as session:
            found = await repo.find(session, client_id)
    if found is None:
        return None
    if found.kind != kind or found.content_hash != digest or found.officer_id != ctx.viewer.officer_id:
        _clash(ctx, path)
    return Claim(new=False, result_type=found.result_type, result_id=found.result_id)


def _clash(ctx: Context, path: tuple[str, ...]) -> NoReturn:
    text = message("conflict_client_id", ctx.lang, field=".".join(path))
    raise MutationFailed([FieldError(path, "CONFLICT", text)])


async def create_once(
    ctx: Context,
    client_id: uuid.UUID,
    kind: str,
    digest: str,
    prepare: Callable[[], Awaitable[V]],
    write: Callable[[V, repo.Claimant], Awaitable[Any | None]],
    replayed: Callable[[int | None], Awaitable[Any]],
) -> Applied:
    """Make the record of a create request once per client id.

    `prepare()` checks the request and returns what to write (or raises MutationFailed); `write(what,
    claimant)` claims the client id and inserts the record in one statement, returning None when the id
    was taken; `replayed(result_id)` reads the record that an earlier request made. A request sent
    again is answered with its first result, even when it would no longer pass the checks (its time has
    aged, the officer moved station): the earlier claim is looked up whenever the checks fail or the
    claim is taken, and only then (the usual request costs one statement, not two).
    """
    if ctx.claims is not None and client_id in ctx.claims:  # sent before: no checks, no write
        found = await earlier(ctx, client_id, kind, digest)
        assert found is not None  # ctx.claims holds it
        return Applied(await replayed(found.result_id), duplicate=True)
    try:
        what = await prepare()
    except MutationFailed:
        found = await earlier(ctx, client_id, kind, digest)
        if found is None:
            raise
        return Applied(await replayed(found.result_id), duplicate=True)
    row = await write(what, repo.Claimant(ctx.viewer.officer_id, kind, digest))
    if row is not None:
        return Applied(row)
    found = await earlier(ctx, client_id, kind, digest)
    if found is None:  # cannot happen: the claim that won committed before this one gave way
        _clash(ctx, ("clientId",))
    return Applied(await replayed(found.result_id), duplicate=True)


async def complete(ctx: Context, client_id: uuid.UUID, result_type: str, result_id: int) -> None:
    async with ctx.db() as session:
        await repo.complete(session, client_id, result_type, result_id)


async def claims_of(ctx: Context, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The committed claims of these client ids, in one statement: what a resent batch already did.

    Claims are never removed, so one read here stays true for the batch; ids not found go the usual
    way (claimed by their write, which waits for a concurrent claim of the same id).
    """
    if not client_ids:
        return {}
    async with ctx.db() as session:
        return {row.client_id: row for row in await repo.find_many(session, client_ids)}
