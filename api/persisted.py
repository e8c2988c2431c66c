"""Persisted queries (Apollo's APQ protocol) and, in production, the safelist of the apps' operations.

A request may carry `extensions.persistedQuery = {version: 1, sha256Hash}`:
- with the hash alone, the server runs the document it knows by that hash, or answers
  `PERSISTED_QUERY_NOT_FOUND` (HTTP 200, so every client reads the body and resends with the document);
- with the hash and the document, the document must hash to it (else `PERSISTED_QUERY_HASH_MISMATCH`);
  once it has validated and the sender may send documents, it is stored in PostgreSQL, where every
  server process finds it, and kept in a bounded in-process cache.
The operations of every kept release manifest are known from the start and never evicted.

In production (`MARKAZ_ENV=production`) the apps may run only those operations: a request whose document is
not one of them is refused (`OPERATION_NOT_ALLOWED`) unless `policy.may_send_documents` lets its sender, an
admin, send any document. Development has no safelist, so GraphiQL works as usual.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import OrderedDict
from typing import Any

from db import persisted_queries
from mobile_contract import releases
from mobile_contract.documents import normalise, sha256_hex
from resolvers import policy

# Generous for any real operation (the apps' largest is under 1 KiB normalised), small enough that the
# table cannot be made to hold much; PostgreSQL enforces the same bound.
MAX_DOCUMENT_BYTES = 32 * 1024
_HASH = re.compile(r"^[0-9a-f]{64}$")
_log = logging.getLogger("markaz.persisted")


class PersistedQueryError(Exception):
    """A persisted-query request the server will not run; `code` is what clients branch on."""

    def __init__(self, status: int, code: str, text: str) -> None:
        super().__init__(text)
        self.status, self.code = status, code

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": str(self), "extensions": {"code": self.code}}]}


@dataclasses.dataclass(slots=True)
class Persisted:
    """What the persisted-query step learned about one request."""

    sha256: str | None = None  # the hash the client sent, if it used the protocol
    store: bool = False  # a document new to this process, to store once it is valid and allowed


class PersistedQueries:
    def __init__(self, manifest_documents: dict[str, str], *, production: bool, cache_size: int = 5000):
        self.manifest = dict(manifest_documents)
        self.production = production
        self._learned: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size
        # Document text -> whether it is a manifest operation, for documents sent in full in production.
        self._safelisted: OrderedDict[str, bool] = OrderedDict()

    @classmethod
    def from_manifests(cls, *, production: bool) -> PersistedQueries:
        return cls(releases.known_documents(), production=production)

    async def resolve(self, params: dict[str, Any], sessionmaker) -> Persisted:
        """Read the request's persisted-query extension; fill in `params["query"]` from a known hash."""
        extensions = params.get("extensions")
        if not isinstance(extensions, dict) or "persistedQuery" not in extensions:
            return Persisted()
        pq = extensions["persistedQuery"]
        sha = pq.get("sha256Hash") if isinstance(pq, dict) else None
        if (
            not isinstance(pq, dict)
            or pq.get("version") != 1
            or not isinstance(sha, str)
            or not _HASH.match(sha)
        ):
            raise PersistedQueryError(
                400,
                "PERSISTED_QUERY_INVALID",
                "extensions.persistedQuery needs version 1 and sha256Hash, 64 lowercase hexadecimal digits.",
            )
        query = params.get("query")
        if isinstance(query, str) and query:
            if len(query.encode("utf-8")) > MAX_DOCUMENT_BYTES:
                raise PersistedQueryError(
                    400,
                    "PERSISTED_QUERY_TOO_LARGE",
                    f"A persisted document is at most {MAX_DOCUMENT_BYTES} bytes.",
                )
            if sha256_hex(query) != sha:
                raise PersistedQueryError(
                    400,
                    "PERSISTED_QUERY_HASH_MISMATCH",
                    "sha256Hash is not the SHA-256 of the document sent "
                    "(UTF-8, hexadecimal): nothing stored.",
                )
            return Persisted(sha, store=sha not in self.manifest and sha not in self._learned)
        document = await self._lookup(sha, sessionmaker)
        if document is None:
            # The message is the one Apollo's clients (web, iOS, Kotlin) look for, besides the code.
            raise PersistedQueryError(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        params["query"] = document
        return Persisted(sha)

    def allowed(self, query: str, viewer: policy.Viewer | None) -> bool:
        """Whether this request may run `query`: always in development; in production, a manifest
        operation, or any document from a sender the policy lets send documents."""
        if policy.may_send_documents(viewer, production=self.production):
            return True
        found = self._safelisted.get(query)
        if found is None:
            found = sha256_hex(query) in self.manifest
            if not found:
                try:  # the same operation, spaced or ordered differently on the line
                    found = sha256_hex(normalise(query)) in self.manifest
                except Exception:
                    found = False
            self._safelisted[query] = found
            if len(self._safelisted) > self._cache_size:
                self._safelisted.popitem(last=False)
        if not found:
            # An old app whose release was retired, a developer build, or someone trying the API.
            officer = viewer.officer_id if viewer else None
            _log.warning(
                "operation outside the safelist refused",
                extra={"sha256": sha256_hex(query), "officer_id": officer},
            )
        return found

    async def remember(self, persisted: Persisted, query: str, sessionmaker) -> None:
        """Store a new document the request sent with its hash, after it validated and was allowed."""
        if not persisted.store or persisted.sha256 is None:
            return
        async with sessionmaker() as session:
            await persisted_queries.store(session, persisted.sha256, query)
            await session.commit()
        self._keep(persisted.sha256, query)
        _log.info("persisted query stored", extra={"sha256": persisted.sha256, "bytes": len(query)})

    async def _lookup(self, sha: str, sessionmaker) -> str | None:
        document = self.manifest.get(sha)
        if document is not None:
            return document
        document = self._learned.get(sha)
        if document is not None:
            self._learned.move_to_end(sha)
            return document
        async with sessionmaker() as session:
            document = await persisted_queries.find(session, sha)
        if document is not None:
            self._keep(sha, document)
        return document

    def _keep(self, sha: str, document: str) -> None:
        self._learned[sha] = document
        if len(self._learned) > self._cache_size:
            self._learned.popitem(last=False)
