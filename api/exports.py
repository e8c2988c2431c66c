"""`GET /exports/activity`: the activity export streamed over HTTP, for commanders, supervisors and admins.

    GET /exports/activity?format=csv&from=2026-01-01T00:00:00%2B03:00&to=...&resolution=8&governorateId=...
    Authorization: Bearer <access token>

The area is one of `governorateId`, `stationId`, `bbox=south,west,north,east` or `polygon=<GeoJSON>`, as in
AreaInput. Everything is checked before the first byte: 401 without a good token, 403 when policy refuses,
400 naming the argument when the input is bad (the body is a GraphQL-style `{"errors": [...]}`).

An export costs the server far more than a query, so it is bounded:
- each officer draws exports from a bucket of their own (MARKAZ_RATE_EXPORT a minute, bursts of
  MARKAZ_RATE_EXPORT_BURST, shared by the processes like the other rate limits and on when they are):
  429 RATE_LIMITED with Retry-After beyond it;
- it is made within MARKAZ_EXPORT_SECONDS, or stopped: 400 LIMIT_EXCEEDED, saying to ask for less;
- its cells are written out month by month in a thread, never in the event loop, into a temporary file
  (in memory up to SPOOL_BYTES, on disk beyond), so a year of a governorate never sits whole in memory;
  the file is sent once complete, so a deadline or an outage half-way is a clear error, never a
  truncated file that could be taken for the whole;
- while the database cannot be reached: 503 DATABASE_UNAVAILABLE with Retry-After, as GraphQL answers.
"""

from __future__ import annotations

import asyncio
import logging
import math
import tempfile
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.graphql_http import RETRY_AFTER_S
from db.faults import is_unavailable
from resolvers import activity_export, auth, tokens
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.lang import pick_language
from resolvers.messages import message

_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "BAD_USER_INPUT": 400,
    "LIMIT_EXCEEDED": 400,
    "RATE_LIMITED": 429,
    "DATABASE_UNAVAILABLE": 503,
}
SPOOL_BYTES = 1 << 20
_READ_BYTES = 64 * 1024
_log = logging.getLogger("markaz.exports")


def _error(error: GraphQLError, headers: dict[str, str] | None = None) -> Response:
    code = (error.extensions or {}).get("code", "BAD_USER_INPUT")
    return JSONResponse(
        {"errors": [{"message": error.message, "extensions": error.extensions}]},
        status_code=_STATUS.get(code, 400),
        headers=headers,
    )


def _time(value: str | None, name: str, lang: str) -> datetime:
    try:
        parsed = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InputError(name, message("required", lang, field=name))
    return parsed


def _area(params, lang: str) -> SimpleNamespace:
    area = SimpleNamespace(
        bbox=None,
        governorate_id=params.get("governorateId"),
        station_id=params.get("stationId"),
        polygon=None,
    )
    if params.get("bbox"):
        try:
            south, west, north, east = (float(v) for v in params["bbox"].split(","))
        except ValueError:
            raise InputError("area.bbox", message("required", lang, field="area.bbox")) from None
        area.bbox = SimpleNamespace(south=south, west=west, north=north, east=east)
    if params.get("polygon"):
        try:
            area.polygon = orjson.loads(params["polygon"])
        except orjson.JSONDecodeError:
            raise InputError("area.polygon", message("geojson_polygon", lang, field="area.polygon")) from None
    return area


def make_endpoint(secret_key: str, settings: Any = None):
    rate = (settings.export_rate if settings else 1.0) / 60
    burst = settings.export_burst if settings else 5
    seconds = settings.export_seconds if settings else 60

    async def export_activity(request: Request) -> Response:
        lang = pick_language(request.headers.get("accept-language"))
        ctx = Context(
            sessionmaker=request.app.state.sessionmaker,
            lang=lang,
            request=request,
            secret_key=secret_key,
            request_id=request.scope.get("state", {}).get("request_id", ""),
        )
        deadline = asyncio.timeout(seconds)
        output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        try:
            async with deadline:
                export = await _prepare(ctx, request, secret_key, rate, burst)
                async for chunk in export.chunks():
                    await asyncio.to_thread(output.write, chunk.encode())  # beyond SPOOL_BYTES, to disk
        except GraphQLError as error:
            output.close()
            headers = (
                {"Retry-After": str(error.extensions["retryAfter"])}
                if error.extensions and "retryAfter" in error.extensions
                else None
            )
            return _error(error, headers)
        except TimeoutError as error:
            output.close()
            if not deadline.expired():
                return _unavailable(ctx, error)  # the database's own timeout (db/engine.py)
            _log.warning(
                "export stopped at its deadline", extra={"request_id": ctx.request_id, "seconds": seconds}
            )
            return _error(
                GraphQLError(
                    message("export_too_slow", lang, seconds=seconds),
                    extensions={"code": "LIMIT_EXCEEDED", "limit": "exportSeconds", "max": seconds},
                )
            )
        except Exception as error:
            output.close()
            if not is_unavailable(error):
                raise
            return _unavailable(ctx, error)
        finally:
            await ctx.close(commit=False)
        size = output.tell()
        output.seek(0)

        async def body():
            try:
                while chunk := await asyncio.to_thread(output.read, _READ_BYTES):
                    yield chunk
            finally:
                output.close()

        suffix = "csv" if export.format == "csv" else "geojson"
        return StreamingResponse(
            body(),
            media_type=export.media_type,
            headers={
                "content-disposition": f'attachment; filename="activity.{suffix}"',
                "cache-control": "no-store",
                "content-length": str(size),
            },
        )

    return export_activity


async def _prepare(
    ctx: Context, request: Request, secret_key: str, rate: float, burst: int
) -> activity_export.Export:
    """The viewer signed in, within their rate, and the export they asked for, checked."""
    lang = ctx.lang
    token = tokens.bearer_token(request.headers.get("authorization"))
    if token is None:
        raise GraphQLError(message("unauthenticated", lang), extensions={"code": "UNAUTHENTICATED"})
    try:
        ctx.viewer = await auth.viewer_for_token(ctx, token)
    except tokens.TokenError:
        raise GraphQLError(message("session_ended", lang), extensions={"code": "UNAUTHENTICATED"}) from None
    if ctx.viewer.must_change_password:
        raise GraphQLError(
            message("password_change_required", lang), extensions={"code": "PASSWORD_CHANGE_REQUIRED"}
        )
    limiter = request.app.state.rate_limiter
    if limiter is not None:
        wait = await limiter.take(f"export:officer:{ctx.viewer.officer_id}", rate, burst)
        if wait is not None:
            retry = max(1, math.ceil(wait))
            raise GraphQLError(
                message("rate_limited", lang, seconds=retry),
                extensions={"code": "RATE_LIMITED", "retryAfter": retry},
            )
    params = request.query_params
    try:
        resolution = int(params.get("resolution", "8"))
    except ValueError:
        raise InputError("resolution", message("range", lang, field="resolution", low=5, high=10)) from None
    start, end = _time(params.get("from"), "from", lang), _time(params.get("to"), "to", lang)
    return await activity_export.prepare(
        ctx, _area(params, lang), start, end, resolution, params.get("format", "csv")
    )


def _unavailable(ctx: Context, failure: BaseException) -> Response:
    _log.warning("database unavailable: %s", type(failure).__name__, extra={"request_id": ctx.request_id})
    error = GraphQLError(
        message("database_unavailable", ctx.lang),
        extensions={"code": "DATABASE_UNAVAILABLE", "requestId": ctx.request_id},
    )
    return _error(error, {"Retry-After": str(RETRY_AFTER_S)})
