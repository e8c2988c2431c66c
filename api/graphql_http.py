"""GraphQL over HTTP (the GraphQL-over-HTTP specification), POST and GET at /graphql.

Media types: `application/graphql-response+json` when the client accepts it, with the status codes
the specification gives (400 for a document that does not parse or validate or for variables that do
not coerce; 200 once execution starts), else `application/json` with 200 for every well-formed request.
GET runs queries only (405 for a mutation). Unsupported Accept: 406; unsupported Content-Type: 415.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import orjson
import structlog
from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api import http_cache
from api.compression import BodyError, decode_body
from api.executor import MAX_VARIABLES_DEPTH, Executor, variables_problem, without_suggestions
from api.limits import check_request
from api.persisted import PersistedQueries, PersistedQueryError
from db.faults import is_stale_connection, is_unavailable
from resolvers.auth import viewer_for_token
from resolvers.context import Context
from resolvers.lang import pick_language
from resolvers.messages import message
from resolvers.policy import may_introspect
from resolvers.tokens import TokenError, bearer_token

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1 << 20
# Seconds a client should wait after a 503 for an unavailable database: a restart takes a few.
RETRY_AFTER_S = 5
_log = logging.getLogger("markaz.graphql")


class RequestError(Exception):
    """A request that is not a well-formed GraphQL-over-HTTP request."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.headers = headers or {}


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
                    raise RequestError(400, f"`{key}` is not valid JSON.") from None
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise RequestError(415, "POST bodies must be application/json.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestError(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RequestError(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:  # a gzip or brotli body (api/compression.py), bounded like a plain one
        body = decode_body(bytes(body), request.headers.get("content-encoding"), MAX_BODY_BYTES)
    except BodyError as error:
        raise RequestError(error.status, str(error), error.headers) from None
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error):  # orjson stops at 1024 levels
            raise RequestError(
                400,
                "The body nests deeper than JSON is read here (1024 levels); "
                f"`variables` may nest at most {MAX_VARIABLES_DEPTH}.",
            ) from None
        raise RequestError(400, "The body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise RequestError(400, "The body must be a JSON object with `query`.")
    return params


def check_params(params: dict[str, Any]) -> tuple[str, str | None, dict[str, Any] | None]:
    query, name, variables = params.get("query"), params.get("operationName"), params.get("variables")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "`query` must be a non-empty string.")
    if name is not None and not isinstance(name, str):
        raise RequestError(400, "`operationName` must be a string.")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "`variables` must be an object.")
    problem = variables_problem(variables) if variables else None
    if problem is not None:
        raise RequestError(400, problem)
    if params.get("extensions") is not None and not isinstance(params["extensions"], dict):
        raise RequestError(400, "`extensions` must be an object.")
    return query, name, variables


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


class CommitLost(Exception):
    """The connection died during COMMIT: the writes may or may not have been applied."""


def _unavailable_error(result: ExecutionResult) -> BaseException | None:
    """The first error of the result that says the database cannot be reached, if any."""
    for error in result.errors or ():
        if error.original_error is not None and is_unavailable(error.original_error):
            return error.original_error
    return None


class GraphQLEndpoint:
    """The /graphql endpoint: one Starlette route handler around an `Executor`."""

    def __init__(
        self,
        executor: Executor,
        *,
        sessionmaker,
        production: bool,
        graphiql_html: str | None,
        secret_key: str,
        reader=None,
        persisted: PersistedQueries | None = None,
    ):
        self.executor = executor
        # Persisted queries and the production safelist (api/persisted.py); none known when not given.
        self.persisted = persisted or PersistedQueries({}, production=production)
        self.secret_key = secret_key
        self.sessionmaker = sessionmaker
        self.reader = reader
        self.production = production
        self.graphiql_html = graphiql_html

    def _response(self, body: dict[str, Any], status: int, media: str, headers: dict[str, str] | None = None):
        return Response(
            orjson.dumps(body), status_code=status, media_type=f"{media}; charset=utf-8", headers=headers
        )

    async def handle(self, request: Request) -> Response:
        response = await self._handle(request)
        # Cache-Control, ETag and 304 for GETs of public data (api/http_cache.py).
        op, ok = request.scope.get("state", {}).get("graphql_answer", (None, False))
        return http_cache.finish(request, op, response, ok=ok)

    async def _handle(self, request: Request) -> Response:
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
            params = await read_params(request)
            persisted = await self.persisted.resolve(params, self.sessionmaker)  # may fill in `query`
            query, name, variables = check_params(params)
        except RequestError as error:
            return self._response({"errors": [{"message": str(error)}]}, error.status, media, error.headers)
        except PersistedQueryError as error:
            return self._response(error.body(), error.status, media)
        except Exception as error:  # a persisted query looked up while the database is down
            if not is_unavailable(error):
                raise
            return self._unavailable(self._context(request, None), media, error)
        request.scope.setdefault("state", {})["operation_name"] = name
        if "authorization" not in request.headers and not self.persisted.allowed(query, None):
            # Refused before validation: outside the safelist, a citizen learns nothing about the schema.
            return self._not_allowed(pick_language(request.headers.get("accept-language")), media)
        request_errors = self._request_errors(query, name, variables, request.method)
        if isinstance(request_errors, Response):
            return request_errors
        prepared, op, errors = request_errors
        if op is not None and op.name is not None:
            request.scope["state"]["operation_name"] = op.name.value
        if errors:
            if self.production:
                # What a valid document outside the safelist gets (401 for a bad token, 403 for a
                # non-admin), so that neither its validation errors nor their "Did you mean" hints can
                # be used to map the schema; admins get the errors.
                refused = await self._refused_before_validation(request, query, media)
                if refused is not None:
                    return refused
            status = 400 if media == GRAPHQL_RESPONSE else 200
            return self._response({"errors": [e.formatted for e in errors]}, status, media)
        for attempt in (1, 2):
            ctx = self._context(request, op)
            try:
                authorization = request.headers.get("authorization")
                if authorization:
                    refused = await self._authenticate(ctx, authorization, media)
                    if refused is not None:
                        return refused
                if not self.persisted.allowed(query, ctx.viewer):
                    await ctx.close(commit=False)
                    return self._not_allowed(ctx.lang, media)
                shape = prepared.shapes[op.name.value if op.name else None]
                cost, refused_by = check_request(
                    shape, variables, self.executor.limits, viewer=ctx.viewer, production=self.production
                )
                if refused_by is not None:
                    await ctx.close(commit=False)
                    status = 400 if media == GRAPHQL_RESPONSE else 200
                    return self._response({"errors": [refused_by.formatted]}, status, media)
                await self.persisted.remember(persisted, query, self.sessionmaker)
                result = await self._execute(prepared, op, variables, ctx)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                failure: BaseException | None = error
                with contextlib.suppress(Exception):
                    await ctx.close(commit=False)  # the connection is gone; only the session is let go
            else:
                failure = _unavailable_error(result)
            if failure is None:
                break
            # A request that met a connection the database had closed (it restarted while the connection
            # sat in the pool) runs once more: SQLAlchemy has by then dropped the pool's old connections,
            # so the retry connects afresh. It is safe because nothing was committed: a transaction on a
            # dead connection is rolled back by the server. Not when the commit itself was cut off: it may
            # have been applied, and only the client, resending with the same clientId, can tell.
            if attempt == 1 and not isinstance(failure, CommitLost) and is_stale_connection(failure):
                continue
            return self._unavailable(ctx, media, failure)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Errors with no field path before any data: variables that did not coerce, a request error.
            status = 400 if media == GRAPHQL_RESPONSE else 200
            formatted = [e.formatted for e in result.errors]
            if not may_introspect(ctx.viewer, production=self.production):
                formatted = [without_suggestions(e) for e in formatted]
            return self._response({"errors": formatted}, status, media)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, ctx) for e in result.errors]
            # The metrics count a refusal as one (api/metrics.py), though the answer is HTTP 200.
            request.scope["state"]["graphql_error_codes"] = frozenset(
                (e.get("extensions") or {}).get("code") for e in body["errors"]
            )
        request.scope["state"]["graphql_answer"] = (op, not result.errors)
        body["extensions"] = {"cost": {"requested": cost, "limit": self.executor.limits.max_cost}}
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

    async def _refused_before_validation(self, request: Request, query: str, media: str) -> Response | None:
        """For a document that failed validation, in production: the answer its bearer gets instead of
        the errors (None: show them, to an admin). A citizen was refused before validation already."""
        ctx = self._context(request, None)
        try:
            refused = await self._authenticate(ctx, request.headers.get("authorization") or "", media)
            if refused is not None:
                return refused
            if not self.persisted.allowed(query, ctx.viewer):
                return self._not_allowed(ctx.lang, media)
            return None
        except Exception as error:
            if not is_unavailable(error):
                raise
            return self._unavailable(ctx, media, error)
        finally:
            with contextlib.suppress(Exception):
                await ctx.close(commit=False)

    def _unavailable(self, ctx: Context, media: str, failure: BaseException) -> Response:
        """503 with Retry-After: the database is restarting or unreachable. Nothing of the request is
        described (no driver text, no SQL); the log has the error's type for the operator."""
        _log.warning("database unavailable: %s", type(failure).__name__, extra={"request_id": ctx.request_id})
        error = {
            "message": message("database_unavailable", ctx.lang),
            "extensions": {"code": "DATABASE_UNAVAILABLE", "requestId": ctx.request_id},
        }
        return self._response(
            {"data": None, "errors": [error]}, 503, media, {"Retry-After": str(RETRY_AFTER_S)}
        )

    def _not_allowed(self, lang: str, media: str) -> Response:
        body = {
            "errors": [
                {
                    "message": message("operation_not_allowed", lang),
                    "extensions": {"code": "OPERATION_NOT_ALLOWED"},
                }
            ]
        }
        return self._response(body, 403, media)

    async def _authenticate(self, ctx: Context, authorization: str, media: str) -> Response | None:
        """Set the request's viewer from its bearer token; a 401 when the token is not good.

        A bad token is refused rather than treated as a citizen: the app must know to refresh it.
        """
        token = bearer_token(authorization)
        try:
            if token is None:
                raise TokenError("not a bearer token")
            ctx.viewer = await viewer_for_token(ctx, token)
            structlog.contextvars.bind_contextvars(officer_id=ctx.viewer.officer_id)  # on every log line
        except TokenError:
            await ctx.close(commit=False)
            body = {
                "errors": [
                    {"message": message("session_ended", ctx.lang), "extensions": {"code": "UNAUTHENTICATED"}}
                ]
            }
            return self._response(body, 401, media, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return None

    def _request_errors(self, query, name, variables, method):
        prepared = self.executor.prepare(query)
        op = self.executor.operation(prepared, name) if prepared.document is not None else None
        # A GET never runs a mutation, valid or not (the request may have been made by a link or a cache).
        if method == "GET" and op is not None and op.operation != OperationType.QUERY:
            return Response("Mutations must be sent with POST.", status_code=405, headers={"Allow": "POST"})
        if prepared.errors:
            return prepared, None, list(prepared.errors)
        if op is None:
            text = (
                f"Unknown operation named '{name}'."
                if name
                else "The document holds several operations: give `operationName`."
            )
            return prepared, None, [GraphQLError(text)]
        if op.operation == OperationType.SUBSCRIPTION:
            return prepared, op, [GraphQLError("Subscriptions run over WebSocket (graphql-transport-ws).")]
        return prepared, op, None

    async def _execute(self, prepared, op, variables, ctx: Context) -> ExecutionResult:
        try:
            result = await self.executor.execute(prepared, op, variables, ctx)
        except BaseException:
            await ctx.close(commit=False)
            raise
        if _unavailable_error(result) is not None:
            # The database went away during the request: nothing is committed, and the session is only
            # let go (its connection is dead, a rollback could only fail).
            with contextlib.suppress(Exception):
                await ctx.close(commit=False)
            return result
        # One commit per request, at the end. A query commits too when it read a sensitive record,
        # because that read must be audited.
        commit = op.operation == OperationType.MUTATION or bool(ctx.audit)
        try:
            await ctx.close(commit=commit)
        except Exception as error:
            if commit and is_unavailable(error):
                raise CommitLost from error
            raise
        return result
