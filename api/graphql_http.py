"""GraphQL over HTTP (the GraphQL-over-HTTP specification), POST and GET at /graphql.

Media types: `application/graphql-response+json` when the client accepts it, with the status codes
the specification gives (400 for a document that does not parse or validate or for variables that do
not coerce; 200 once execution starts), else `application/json` with 200 for every well-formed request.
GET runs queries only (405 for a mutation). Unsupported Accept: 406; unsupported Content-Type: 415.

A request goes through the steps of api/pipeline.py, the same as a WebSocket subscription; this module
holds the HTTP ends of them: `read` (`read_params`, the body or the query string) and `render`
(`GraphQLEndpoint.render`, the response).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api import http_cache
from api.compression import BodyError, decode_body
from api.executor import MAX_VARIABLES_DEPTH, Executor, without_suggestions
from api.persisted import Persisted, PersistedQueries
from api.pipeline import (
    RETRY_AFTER_S,
    Answer,
    CommitLost,
    Operation,
    Params,
    Pipeline,
    Refused,
    authenticate,
    check_params,
    request_error,
    unavailable,
    unavailable_error,
)
from db.faults import is_stale_connection, is_unavailable
from resolvers.context import Context
from resolvers.lang import pick_language
from resolvers.messages import message
from resolvers.policy import may_introspect

__all__ = ["GRAPHQL_RESPONSE", "JSON", "MAX_BODY_BYTES", "RETRY_AFTER_S", "GraphQLEndpoint", "negotiate"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1 << 20
_log = logging.getLogger("markaz.graphql")


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when we can produce none it accepts."""
    if not accept:
        return JSON  # legacy clients that send no Accept get JSON (spec, "Legacy watershed")
    best, best_q = None, 0.0
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        media = media.lower()
        if media == GRAPHQL_RESPONSE:
            candidate = GRAPHQL_RESPONSE
        elif media in (JSON, "application/*", "*/*"):
            candidate = JSON
        else:
            continue
        # Prefer graphql-response+json on equal q: it is the specification's own type.
        if q > best_q or (q == best_q and candidate == GRAPHQL_RESPONSE and q > 0):
            best, best_q = candidate, q
    return best


async def read_params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        query = request.query_params
        params: dict[str, Any] = {"query": query.get("query"), "operationName": query.get("operationName")}
        for key in ("variables", "extensions"):
            raw = query.get(key)
            if raw:
                try:
                    params[key] = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    raise request_error(400, f"`{key}` is not valid JSON.") from None
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise request_error(415, "POST bodies must be application/json.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise request_error(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise request_error(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:  # a gzip or brotli body (api/compression.py), bounded like a plain one
        body = decode_body(bytes(received), request.headers.get("content-encoding"), MAX_BODY_BYTES)
    except BodyError as error:
        raise request_error(error.status, str(error), error.headers) from None
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error):  # orjson stops at 1024 levels
            raise request_error(
                400,
                "The body nests deeper than JSON is read here (1024 levels); "
                f"`variables` may nest at most {MAX_VARIABLES_DEPTH}.",
            ) from None
        raise request_error(400, "The body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise request_error(400, "The body must be a JSON object with `query`.")
    return params


def format_error(error: GraphQLError, ctx: Context) -> dict[str, Any]:
    """An error for the client. Unexpected exceptions are logged and, in production, masked."""
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        _log.error(
            "unexpected error in %s", error.path, exc_info=original, extra={"request_id": ctx.request_id}
        )
        text = message("internal", ctx.lang, request_id=ctx.request_id) if ctx.production else str(original)
        extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": ctx.request_id}
        formatted: dict[str, Any] = {"message": text, "extensions": extensions}
        if error.locations:
            formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
        if error.path:
            formatted["path"] = error.path
        return formatted
    return error.formatted  # type: ignore[return-value]


class GraphQLEndpoint:
    """The /graphql endpoint: one Starlette route handler running the pipeline (api/pipeline.py)."""

    def __init__(
        self,
        executor: Executor,
        *,
        sessionmaker: Any,
        production: bool,
        graphiql_html: str | None,
        secret_key: str,
        reader: Any = None,
        persisted: PersistedQueries | None = None,
        schema: Any = None,
    ) -> None:
        # Persisted queries and the production safelist (api/persisted.py); none known when not given.
        self.pipeline = Pipeline(
            executor,
            schema=schema,
            persisted=persisted or PersistedQueries({}, production=production),
            sessionmaker=sessionmaker,
            reader=reader,
            production=production,
            secret_key=secret_key,
        )
        self.graphiql_html = graphiql_html

    # The pipeline's settings, as the app's lifespan and the WebSocket half read and set them.
    @property
    def executor(self) -> Executor:
        return self.pipeline.executor

    @property
    def persisted(self) -> PersistedQueries:
        return self.pipeline.persisted

    @property
    def production(self) -> bool:
        return self.pipeline.production

    @property
    def secret_key(self) -> str:
        return self.pipeline.secret_key

    @property
    def sessionmaker(self) -> Any:
        return self.pipeline.sessionmaker

    @sessionmaker.setter
    def sessionmaker(self, value: Any) -> None:
        self.pipeline.sessionmaker = value

    @property
    def reader(self) -> Any:
        return self.pipeline.reader

    @reader.setter
    def reader(self, value: Any) -> None:
        self.pipeline.reader = value

    def _response(
        self, body: dict[str, Any], status: int, media: str, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            orjson.dumps(body), status_code=status, media_type=f"{media}; charset=utf-8", headers=headers
        )

    async def handle(self, request: Request) -> Response:
        response = await self._handle(request)
        # Cache-Control, ETag and 304 for GETs of public data (api/http_cache.py).
        op, ok = request.scope.get("state", {}).get("graphql_answer", (None, False))
        return http_cache.finish(request, op, response, ok=ok)

    async def _handle(self, request: Request) -> Response:
        if self.pipeline.clock is not None:
            self.pipeline.clock.start()
        if request.method not in ("GET", "POST"):
            return Response("Use GET or POST.", status_code=405, headers={"Allow": "GET, POST"})
        accept = request.headers.get("accept")
        if (
            request.method == "GET"
            and self.graphiql_html
            and "query" not in request.query_params
            and accept
            and "text/html" in accept
        ):
            return HTMLResponse(self.graphiql_html)
        media = negotiate(accept)
        if media is None:
            return Response(f"Accept {GRAPHQL_RESPONSE} or {JSON}.", status_code=406)
        try:
            response = await self._run(request, media)
        except Refused as refused:
            status = 200 if refused.spec_status and media == JSON else refused.status
            response = self._response(refused.body(), status, media, refused.headers)
        self.pipeline.mark("render")
        return response

    async def _run(self, request: Request, media: str) -> Response:
        """The steps, in order; a step's refusal is raised as Refused and rendered by `_handle`."""
        pipeline = self.pipeline
        lang = pick_language(request.headers.get("accept-language"))
        state = request.scope.setdefault("state", {})
        raw = await read_params(request)  # read
        pipeline.mark("read")
        persisted = await pipeline.persisted_query(raw, lang, state.get("request_id", ""))  # may fill `query`
        params = check_params(raw)
        pipeline.mark("persisted")
        state["operation_name"] = params.operation_name
        authorization = request.headers.get("authorization")
        if authorization is None:
            # Refused before validation: outside the safelist, a citizen learns nothing about the schema.
            pipeline.safelist(params.query, None, lang)
        operation = await self._prepare(request, params)
        if isinstance(operation, Response):
            return operation
        pipeline.mark("prepare")
        answer = await self._answer(request, params, persisted, operation, authorization)
        pipeline.mark("execute")
        return self.render(request, operation, answer, media)

    async def _prepare(self, request: Request, params: Params) -> Operation | Response:
        """The prepare step, with what HTTP adds: 405 for a GET of a mutation, and no subscriptions."""
        operation = self.pipeline.prepare(params.query, params.operation_name)
        op = operation.op
        # A GET never runs a mutation, valid or not (the request may have been made by a link or a cache).
        if request.method == "GET" and op is not None and op.operation != OperationType.QUERY:
            return Response("Mutations must be sent with POST.", status_code=405, headers={"Allow": "POST"})
        errors = operation.errors
        if not errors and op is not None and op.name is not None:
            # counted by its name (api/metrics.py); a document with errors counts as anonymous
            request.scope["state"]["operation_name"] = op.name.value
        if not errors and op is not None and op.operation == OperationType.SUBSCRIPTION:
            errors = [GraphQLError("Subscriptions run over WebSocket (graphql-transport-ws).")]
        if errors:
            if self.production:
                # What a valid document outside the safelist gets (401 for a bad token, 403 for a
                # non-admin), so that neither its validation errors nor their "Did you mean" hints can
                # be used to map the schema; admins get the errors.
                await self._refused_before_validation(request, params.query)
            raise Refused(400, errors, spec_status=True)
        return operation

    async def _answer(
        self,
        request: Request,
        params: Params,
        persisted: Persisted,
        operation: Operation,
        authorization: str | None,
    ) -> Answer:
        """authenticate, safelist, limits and execute, in a context of the request's own; once more on a
        connection the database had closed."""
        pipeline = self.pipeline
        for attempt in (1, 2):
            ctx = self._context(request, operation.op)
            try:
                if authorization:
                    await authenticate(ctx, authorization)
                pipeline.mark("authenticate")
                try:
                    pipeline.safelist(params.query, ctx.viewer, ctx.lang)
                    pipeline.mark("safelist")
                    cost = pipeline.limits(operation, params.variables, ctx.viewer)
                    pipeline.mark("limits")
                except Refused:
                    await ctx.close(commit=False)
                    raise
                await pipeline.persisted.remember(persisted, params.query, pipeline.sessionmaker)
                result, extensions = await pipeline.execute(operation, params.variables, ctx)
            except Refused:
                raise
            except Exception as error:
                if not is_unavailable(error):
                    raise
                failure: BaseException | None = error
                with contextlib.suppress(Exception):
                    await ctx.close(commit=False)  # the connection is gone; only the session is let go
            else:
                failure = unavailable_error(result)
            if failure is None:
                return Answer(result, extensions, cost, ctx)
            # A request that met a connection the database had closed (it restarted while the connection
            # sat in the pool) runs once more: SQLAlchemy has by then dropped the pool's old connections,
            # so the retry connects afresh. It is safe because nothing was committed: a transaction on a
            # dead connection is rolled back by the server. Not when the commit itself was cut off: it may
            # have been applied, and only the client, resending with the same clientId, can tell.
            if attempt == 1 and not isinstance(failure, CommitLost) and is_stale_connection(failure):
                continue
            raise unavailable(ctx.lang, ctx.request_id, failure)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def render(self, request: Request, operation: Operation, answer: Answer, media: str) -> Response:
        """The render step: the execution's result as a GraphQL-over-HTTP response."""
        result, ctx = answer.result, answer.ctx
        state = request.scope["state"]
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Errors with no field path before any data: variables that did not coerce, a request error.
            status = 400 if media == GRAPHQL_RESPONSE else 200
            formatted: list[dict[str, Any]] = [dict(e.formatted) for e in result.errors]
            if not may_introspect(ctx.viewer, production=self.production):
                formatted = [without_suggestions(e) for e in formatted]
            return self._response({"errors": formatted}, status, media)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, ctx) for e in result.errors]
            # The metrics count a refusal as one (api/metrics.py), though the answer is HTTP 200.
            state["graphql_error_codes"] = frozenset(
                (e.get("extensions") or {}).get("code") for e in body["errors"]
            )
        state["graphql_answer"] = (operation.op, not result.errors)
        cost = {"requested": answer.cost, "limit": self.executor.limits.max_cost}
        body["extensions"] = {**answer.extensions, "cost": cost}
        return self._response(body, 200, media)

    def _context(self, request: Request, op: OperationDefinitionNode | None) -> Context:
        device = request.headers.get("x-device-id")
        lang = pick_language(request.headers.get("accept-language"))
        return Context(
            sessionmaker=self.sessionmaker,
            lang=lang,
            request_id=request.scope.get("state", {}).get("request_id", ""),
            production=self.production,
            request=request,
            secret_key=self.secret_key,
            device_id=device[:128] if device else None,
            client_ip=request.client.host if request.client else None,
            # Queries read without BEGIN/ROLLBACK: two round trips less on the citizens' hot path.
            reader=self.reader if op is not None and op.operation == OperationType.QUERY else None,
        )

    async def _refused_before_validation(self, request: Request, query: str) -> None:
        """For a document that failed validation, in production: Refused with the answer its bearer gets
        instead of the errors; returns (show them) for an admin. A citizen was refused before validation
        already."""
        ctx = self._context(request, None)
        try:
            await authenticate(ctx, request.headers.get("authorization") or "")
            self.pipeline.safelist(query, ctx.viewer, ctx.lang)
        except Refused:
            raise
        except Exception as error:
            if not is_unavailable(error):
                raise
            raise unavailable(ctx.lang, ctx.request_id, error) from None
        finally:
            with contextlib.suppress(Exception):
                await ctx.close(commit=False)
