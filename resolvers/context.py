"""The per-request context every resolver receives as `info.context`.

Made by the transport (HTTP or WebSocket) for each request. The database session is opened on first
use and committed or rolled back once by the transport, never by a resolver.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

L = TypeVar("L")  # a loader


@dataclasses.dataclass(slots=True)
class Context:
    sessionmaker: async_sessionmaker[AsyncSession]
    # Sessions in autocommit for a read-only request (no BEGIN/ROLLBACK); None: use `sessionmaker`.
    reader: async_sessionmaker[AsyncSession] | None = None
    lang: str = "ar"
    request_id: str = ""
    production: bool = False
    request: Any = None
    viewer: Any = None  # resolvers.policy.Viewer of the signed-in officer, None for a citizen
    device_id: str | None = None
    client_ip: str | None = None
    secret_key: str = ""
    feed: Any = None  # resolvers.feed.FeedHub of the process (subscriptions only)
    # When the access token a WebSocket signed in with expires: its subscriptions end then (None: HTTP)
    access_expires_at: datetime | None = None
    loaders: dict[str, Any] = dataclasses.field(default_factory=dict)
    audit: list[Any] = dataclasses.field(default_factory=list)  # resolvers.audit.Pending, written at commit
    # A query that wrote in its own session what must be kept (the public map freezing a month): the
    # transport commits it, as a mutation, instead of rolling it back. Never set with a `reader`.
    keep_writes: bool = False
    # resolvers.atomic.applied_whole: writes running now, and whether the last one's savepoint is
    # still to be released (with the next SAVEPOINT, or by the commit)
    savepoint_depth: int = 0
    savepoint_held: bool = False
    # resolvers.idempotency: the claims of a sync batch's client ids, read once for the batch (a
    # resent batch is then answered without a lookup per entry); None outside a batch
    claims: dict[Any, Any] | None = None
    _session: AsyncSession | None = None
    _lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)

    @contextlib.asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's session, one user at a time.

        GraphQL resolves sibling fields concurrently, and an AsyncSession allows one operation at a
        time; the lock turns concurrent resolvers into a queue instead of an error. Never nest it.
        """
        async with self._lock:
            if self._session is None:
                self._session = (self.reader or self.sessionmaker)()
            yield self._session

    def loader(self, name: str, factory: Callable[[Context], L]) -> L:
        """The request's one loader of that name: loaders never outlive the request (no cross-user cache)."""
        found = self.loaders.get(name)
        if found is None:
            found = self.loaders[name] = factory(self)
        return found

    async def close(self, *, commit: bool) -> None:
        """End the request's transaction: write the audit entries and commit, or roll everything back."""
        from resolvers import audit

        if self._session is None:
            return
        try:
            if self.reader is not None:
                # An autocommit reader wrote nothing; its audit entries (reads of sensitive records) go
                # into the chain in a transaction of their own.
                if commit and self.audit:
                    async with self.sessionmaker() as writer:
                        await audit.flush(writer, self.audit)
                        await writer.commit()
            elif commit:
                await audit.flush(self._session, self.audit)
                await self._session.commit()
            else:
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None
            self.savepoint_held = False  # it was the ended transaction's
