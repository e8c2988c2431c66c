"""HTTP caching of GraphQL GET responses: Cache-Control, ETag and 304 Not Modified.

Only public data is cacheable (`PUBLIC_ROOT_FIELDS`), and only for a request without a bearer token.
Everything else is `private, no-store`: an officer's data must not sit in a shared cache. The ETag is
weak, being the hash of the uncompressed body: the same answer in gzip or brotli is the same entity for
revalidation. Names follow Accept-Language, hence the Vary.

An answer that reads stations or holidays (`nearestStations`, `stations`, `station`, `publicHolidays`)
is `public, no-cache`: a phone, a proxy or a CDN may keep it but must revalidate it every time, answered
304 by the ETag while nothing changed. A commander's `updateStation` or `addStationClosure`, a
publication or withdrawal (`publicPriorities`, `upcomingMeetings`), an administrator's moved holiday:
each shows in the next answer, the shared caches' included, never a minute later. Only an answer of
reference data that changes with a release alone (`governorates`) keeps `public, max-age=60`.
"""

from __future__ import annotations

import hashlib

from graphql import FieldNode, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import Response

PUBLIC_ROOT_FIELDS = frozenset(
    {"nearestStations", "stations", "station", "governorates", "publicHolidays", "__typename"}
)
# Root fields whose answers change with a release only: a cache may keep them a minute unasked.
STATIC_ROOT_FIELDS = frozenset({"governorates", "__typename"})
MAX_AGE = 60
PUBLIC = f"public, max-age={MAX_AGE}"
PRIVATE = "private, no-store"
REVALIDATE = "public, no-cache"


def is_public(op: OperationDefinitionNode) -> bool:
    """A query whose every root field is public station data (fragments at the root count as not)."""
    if op.operation != OperationType.QUERY:
        return False
    selections = op.selection_set.selections
    return bool(selections) and all(
        isinstance(s, FieldNode) and s.name.value in PUBLIC_ROOT_FIELDS and not s.directives
        for s in selections
    )


def cache_control(op: OperationDefinitionNode) -> str:
    """The Cache-Control of a public query's answer (`is_public`): revalidated every time when it reads
    stations or holidays, which change through the API; a minute for static reference data alone."""
    roots = {s.name.value for s in op.selection_set.selections if isinstance(s, FieldNode)}
    return PUBLIC if roots <= STATIC_ROOT_FIELDS else REVALIDATE


def etag_of(body: bytes | memoryview) -> str:
    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def finish(request: Request, op: OperationDefinitionNode | None, response: Response, *, ok: bool) -> Response:
    """Set the caching headers of a /graphql response; a 304 when the client's copy is current.

    `ok` says the response is a complete answer without errors: only those are cacheable.
    """
    bearer = "authorization" in request.headers
    if request.method != "GET":
        if bearer:
            response.headers["Cache-Control"] = PRIVATE
        return response
    if bearer or op is None or not ok or response.status_code != 200 or not is_public(op):
        response.headers["Cache-Control"] = PRIVATE
        return response
    etag = etag_of(response.body)
    headers = {"Cache-Control": cache_control(op), "ETag": etag, "Vary": "Accept, Accept-Language"}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
