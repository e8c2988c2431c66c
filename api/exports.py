"""`GET /exports/activity`: the activity export streamed over HTTP, for commanders, supervisors and admins.

    GET /exports/activity?format=csv&from=2026-01-01T00:00:00%2B03:00&to=...&resolution=8&governorateId=...
    Authorization: Bearer <access token>

The area is one of `governorateId`, `stationId`, `bbox=south,west,north,east` or `polygon=<GeoJSON>`, as in
AreaInput. Everything is checked before the first byte: 401 without a good token, 403 when policy refuses,
400 naming the argument when the input is bad (the body is a GraphQL-style `{"errors": [...]}`). Then the
body streams month by month, so a year of a governorate never sits whole in memory.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from resolvers import activity_export, auth, tokens
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.lang import pick_language
from resolvers.messages import message

_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "BAD_USER_INPUT": 400}


def _error(error: GraphQLError) -> Response:
    code = (error.extensions or {}).get("code", "BAD_USER_INPUT")
    return JSONResponse({"errors": [{"message": error.message, "extensions": error.extensions}]},
                        status_code=_STATUS.get(code, 400))


def _time(value: str | None, name: str, lang: str) -> datetime:
    try:
        parsed = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InputError(name, message("required", lang, field=name))
    return parsed


def _area(params, lang: str) -> SimpleNamespace:
    area = SimpleNamespace(bbox=None, governorate_id=params.get("governorateId"),
                           station_id=params.get("stationId"), polygon=None)
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


def make_endpoint(secret_key: str):
    async def export_activity(request: Request) -> Response:
        lang = pick_language(request.headers.get("accept-language"))
        ctx = Context(sessionmaker=request.app.state.sessionmaker, lang=lang, request=request,
                      secret_key=secret_key)
        try:
            scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise GraphQLError(message("unauthenticated", lang), extensions={"code": "UNAUTHENTICATED"})
            try:
                ctx.viewer = await auth.viewer_for_token(ctx, token.strip())
            except tokens.TokenError:
                raise GraphQLError(message("session_ended", lang),
                                   extensions={"code": "UNAUTHENTICATED"}) from None
            params = request.query_params
            try:
                resolution = int(params.get("resolution", "8"))
            except ValueError:
                raise InputError("resolution", message("range", lang, field="resolution", low=5,
                                                       high=10)) from None
            export = await activity_export.prepare(
                ctx, _area(params, lang), _time(params.get("from"), "from", lang),
                _time(params.get("to"), "to", lang), resolution, params.get("format", "csv"))
        except GraphQLError as error:
            await ctx.close(commit=False)
            return _error(error)
        except BaseException:
            await ctx.close(commit=False)
            raise

        async def body():
            try:
                async for chunk in export.chunks():
                    yield chunk.encode()
            finally:
                await ctx.close(commit=False)

        suffix = "csv" if export.format == "csv" else "geojson"
        return StreamingResponse(body(), media_type=export.media_type, headers={
            "content-disposition": f'attachment; filename="activity.{suffix}"', "cache-control": "no-store"})

    return export_activity
