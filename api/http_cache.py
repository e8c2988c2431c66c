"""HTTP caching of GraphQL GET responses: Cache-Control, ETag and 304 Not Modified.

Only public station data is cacheable (`PUBLIC_ROOT_FIELDS`), and only for a request without a bearer
token: then a phone, a proxy or a CDN may keep the answer for `MAX_AGE` seconds (opening hours are
evaluated on the minute, so an answer a minute old is still right but for the minute at which a station
opens or closes). Everything else is `private, no-store`: an officer's data must not sit in a shared
cache. The ETag is weak, being the hash of the uncompressed body: the same answer in gzip or brotli is the
same entity for revalidation. Names follow Accept-Language, hence the Vary.

What a station publishes (`publicPriorities`, `upcomingMeetings`) must show at once when a commander
publishes or withdraws it: an answer that selects either is `public, no-cache`, which a cache may keep
but must revalidate every time (answered 304 by the ETag while nothing changed). A fragment spread at any
depth counts as selecting them (the operation alone does not say what the fragment holds).
"""

from __future__ import annotations

import hashlib

from graphql import FieldNode, FragmentSpreadNode, OperationDefinitionNode, OperationType, SelectionSetNode
from starlette.requests import Request
from starlette.responses import Response

PUBLIC_ROOT_FIELDS = frozenset(
    {"nearestStations", "stations", "station", "governorates", "publicHolidays", "__typename"}
)
MAX_AGE = 60
PUBLIC = f"public, max-age={MAX_AGE}"
PRIVATE = "private, no-store"
REVALIDATED_FIELDS = frozenset({"publicPriorities", "upcomingMeetings"})
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


def revalidated(selection_set: SelectionSetNode | None) -> bool:
    """Whether a selection may reach what a station publishes (then caches revalidate every time)."""
    if selection_set is None:
        return False
    for s in selection_set.selections:
        if isinstance(s, FragmentSpreadNode):
            return True
        if isinstance(s, FieldNode) and s.name.value in REVALIDATED_FIELDS:
            return True
        if revalidated(getattr(s, "selection_set", None)):
            return True
    return False


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
    control = REVALIDATE if revalidated(op.selection_set) else PUBLIC
    headers = {"Cache-Control": control, "ETag": etag, "Vary": "Accept, Accept-Language"}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
