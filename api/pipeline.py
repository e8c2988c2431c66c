"""The steps every GraphQL execution goes through, over HTTP (POST and GET) and WebSocket alike.

    read -> persisted -> prepare -> authenticate -> safelist -> limits -> execute -> render

Only `read` and `render` belong to a transport (api/graphql_http.py, api/graphql_ws.py); the steps
between are the functions and classes here, each taking and giving the dataclasses below. A step that
refuses raises `Refused`, which carries the errors and the HTTP status: HTTP renders it as a response,
WebSocket as the subscription's `error` message. docs/pipeline.md describes what each step owns.

- `read`: the transport's own; gives `Params` (`check_params` checks the decoded JSON of a request).
- `persisted`: `Pipeline.persisted_query` (Apollo's APQ, api/persisted.py) may fill in the document.
- `prepare`: `Pipeline.prepare`, the executor's cached parse, validation and shape (api/executor.py).
- `authenticate`: `authenticate` sets the viewer from a bearer token (HTTP per request, WebSocket once at
  connection_init); a bad token is refused, never taken as a citizen.
- `safelist`: `Pipeline.safelist`, the production safelist of api/persisted.py.
- `limits`: `Pipeline.limits`, cost and introspection of api/limits.py on the prepared shape (depth,
  aliases and tokens were checked by `prepare`).
- `execute`: `Pipeline.execute` runs the operation inside Strawberry's schema-extension hooks
  (`ExtensionHooks`), the ones `Schema.stream` runs for a subscription, then commits once.

`StepClock` times the steps when a benchmark installs one (bench/cost.py); otherwise nothing is timed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType

from api.executor import Executor, Prepared, variables_problem
from api.limits import check_request
from api.persisted import Persisted, PersistedQueries, PersistedQueryError
from db.faults import is_unavailable
from resolvers.auth import viewer_for_token
from resolvers.context import Context
from resolvers.messages import message
from resolvers.tokens import TokenError, bearer_token
from schema.strawberry_internals import ExtensionRun, extension_runs, resolve_hook_extensions

# Seconds a client should wait after a 503 for an unavailable database: a restart takes a few.
RETRY_AFTER_S = 5
_log = logging.getLogger("markaz.graphql")
STEPS = ("read", "persisted", "prepare", "authenticate", "safelist", "limits", "execute", "render")


class Refused(Exception):
    """A step's refusal: the errors the client gets instead of an answer.

    `status` is the HTTP status; with `spec_status` it is the GraphQL-over-HTTP one, used only for
    `application/graphql-response+json` (legacy `application/json` gets 200, as the specification says).
    """

    def __init__(
        self,
        status: int,
        errors: list[GraphQLError],
        *,
        headers: dict[str, str] | None = None,
        spec_status: bool = False,
        data_null: bool = False,
        formatted: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(errors[0].message if errors else "refused")
        self.status = status
        self.errors = errors
        self.headers = headers or {}
        self.spec_status = spec_status
        self.data_null = data_null
        self._formatted = formatted
        self.reason = ""

    def body(self) -> dict[str, Any]:
        formatted = self._formatted if self._formatted is not None else [e.formatted for e in self.errors]
        body: dict[str, Any] = {"data": None} if self.data_null else {}
        body["errors"] = formatted
        return body


def request_error(status: int, text: str, headers: dict[str, str] | None = None) -> Refused:
    """A request that is not a well-formed GraphQL request: a plain message, no code."""
    return Refused(status, [GraphQLError(text)], headers=headers)


def not_allowed(lang: str) -> Refused:
    return Refused(
        403,
        [GraphQLError(message("operation_not_allowed", lang), extensions={"code": "OPERATION_NOT_ALLOWED"})],
    )


def unavailable(lang: str, request_id: str, failure: BaseException) -> Refused:
    """503 with Retry-After: the database is restarting or unreachable. Nothing of the request is
    described (no driver text, no SQL); the log has the error's type for the operator."""
    _log.warning("database unavailable: %s", type(failure).__name__, extra={"request_id": request_id})
    error = GraphQLError(
        message("database_unavailable", lang),
        extensions={"code": "DATABASE_UNAVAILABLE", "requestId": request_id},
    )
    return Refused(503, [error], headers={"Retry-After": str(RETRY_AFTER_S)}, data_null=True)


@dataclasses.dataclass(slots=True)
class Params:
    """What `read` gives: a request's GraphQL parameters, checked for type."""

    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


def check_params(params: dict[str, Any]) -> Params:
    """The decoded request object as `Params`; Refused (400) when a member has the wrong type."""
    query, name, variables = params.get("query"), params.get("operationName"), params.get("variables")
    if not isinstance(query, str) or not query.strip():
        raise request_error(400, "`query` must be a non-empty string.")
    if name is not None and not isinstance(name, str):
        raise request_error(400, "`operationName` must be a string.")
    if variables is not None and not isinstance(variables, dict):
        raise request_error(400, "`variables` must be an object.")
    problem = variables_problem(variables) if variables else None
    if problem is not None:
        raise request_error(400, problem)
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise request_error(400, "`extensions` must be an object.")
    return Params(query, name, variables, extensions)


@dataclasses.dataclass(slots=True)
class Operation:
    """What `prepare` gives: the prepared document and the operation to run (None when it has errors)."""

    prepared: Prepared
    op: OperationDefinitionNode | None
    errors: list[GraphQLError]

    @property
    def name(self) -> str | None:
        return self.op.name.value if self.op is not None and self.op.name else None


@dataclasses.dataclass(slots=True)
class Answer:
    """What `execute` gives `render`: the result, the extensions' results, the cost, the context."""

    result: ExecutionResult
    extensions: dict[str, Any]
    cost: int
    ctx: Context


async def authenticate(ctx: Context, authorization: str) -> None:
    """Set `ctx.viewer` from a bearer token. Refused (401) when the token is not good: the app must
    know to refresh it, so a bad token is never taken as a citizen."""
    token = bearer_token(authorization)
    try:
        if token is None:
            raise TokenError("not a bearer token")
        ctx.viewer = await viewer_for_token(ctx, token)
        structlog.contextvars.bind_contextvars(officer_id=ctx.viewer.officer_id)  # on every log line
    except TokenError as why:
        await ctx.close(commit=False)
        error = GraphQLError(message("session_ended", ctx.lang), extensions={"code": "UNAUTHENTICATED"})
        refused = Refused(401, [error], headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        refused.reason = str(why)  # for the log, never for the client
        raise refused from None


class CommitLost(Exception):
    """The connection died during COMMIT: the writes may or may not have been applied."""


def unavailable_error(result: ExecutionResult) -> BaseException | None:
    """The first error of the result that says the database cannot be reached, if any."""
    for error in result.errors or ():
        if error.original_error is not None and is_unavailable(error.original_error):
            return error.original_error
    return None


class ExtensionHooks:
    """Strawberry's schema extensions (`strawberry.Schema(extensions=[...])`) around an execution by the
    executor: on_operation, on_parse, on_validate and on_execute in Strawberry's order, and their
    `get_results` in the answer's `extensions`. Over WebSocket `Schema.stream` runs the same list (the
    schema's `get_extensions()`), so both transports run the same extensions. The document was parsed and
    validated once for all requests (api/executor.py): on_parse and on_validate see it done. Extensions
    that hook into each field's resolution (`resolve`) cannot run on the executor's path, nor on a
    compiled plan: the pipeline refuses to start with one rather than skip it silently."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        hooked = resolve_hook_extensions(schema)
        if hooked:
            raise ValueError(f"schema extensions with a `resolve` hook are not supported here: {hooked}")
        self.active = bool(schema.extensions) or bool(schema.directives)

    async def run(
        self,
        operation: Operation,
        variables: dict[str, Any] | None,
        ctx: Context,
        execute: Callable[[], Awaitable[ExecutionResult]],
    ) -> tuple[ExecutionResult, dict[str, Any]]:
        """The result of `execute()` run inside the hooks, and what the extensions add to `extensions`."""
        if not self.active:
            return await execute(), {}
        assert operation.op is not None
        run: ExtensionRun = extension_runs(self.schema, operation, variables, ctx)
        async with run.runner.operation():
            async with run.runner.parsing():
                run.context.graphql_document = operation.prepared.document
            async with run.runner.validation():
                run.context.pre_execution_errors = []
            async with run.runner.executing():
                if run.context.result is None:  # an extension may answer from a cache of its own
                    run.context.result = await execute()
        result = run.context.result
        assert isinstance(result, ExecutionResult)
        if result.errors:
            run.context.pre_execution_errors = list(result.errors)
        return result, await run.runner.get_extensions_results(run.context)


class StepClock:
    """Nanoseconds spent in each step over many requests (bench/cost.py); `mark(step)` charges the time
    since the previous mark to `step`."""

    def __init__(self, timer: Callable[[], int] = time.perf_counter_ns) -> None:
        self.timer = timer  # wall time by default; time.process_time_ns counts this process's CPU only
        self.spent: dict[str, int] = dict.fromkeys(STEPS, 0)
        self.requests = 0
        self._last = 0

    def start(self) -> None:
        self.requests += 1
        self._last = self.timer()

    def mark(self, step: str) -> None:
        now = self.timer()
        self.spent[step] += now - self._last
        self._last = now


class Pipeline:
    """The steps between read and render, shared by the transports. `sessionmaker` and `reader` are set
    by the app's lifespan once the database is open."""

    def __init__(
        self,
        executor: Executor,
        *,
        schema: Any,
        persisted: PersistedQueries,
        sessionmaker: Any,
        reader: Any,
        production: bool,
        secret_key: str,
    ) -> None:
        self.executor = executor
        self.hooks = ExtensionHooks(schema)
        self.persisted = persisted
        self.sessionmaker = sessionmaker
        self.reader = reader
        self.production = production
        self.secret_key = secret_key
        self.clock: StepClock | None = None

    def mark(self, step: str) -> None:
        if self.clock is not None:
            self.clock.mark(step)

    async def persisted_query(self, params: dict[str, Any], lang: str, request_id: str) -> Persisted:
        """The persisted-query step: `params["query"]` filled in from a known hash, when sent as one."""
        try:
            return await self.persisted.resolve(params, self.sessionmaker)
        except PersistedQueryError as error:
            raise Refused(
                error.status, [GraphQLError(str(error), extensions={"code": error.code})], formatted=None
            ) from None
        except Exception as error:  # a persisted query looked up while the database is down
            if not is_unavailable(error):
                raise
            raise unavailable(lang, request_id, error) from None

    def prepare(self, query: str, name: str | None) -> Operation:
        """The prepare step: the executor's cached document, the operation named, its errors."""
        prepared = self.executor.prepare(query)
        op = self.executor.operation(prepared, name) if prepared.document is not None else None
        if prepared.errors:
            return Operation(prepared, op, list(prepared.errors))
        if op is None:
            text = (
                f"Unknown operation named '{name}'."
                if name
                else "The document holds several operations: give `operationName`."
            )
            return Operation(prepared, None, [GraphQLError(text)])
        return Operation(prepared, op, [])

    def safelist(self, query: str, viewer: Any, lang: str) -> None:
        """The safelist step: Refused (403 OPERATION_NOT_ALLOWED) for a document this viewer may not send."""
        if not self.persisted.allowed(query, viewer):
            raise not_allowed(lang)

    def limits(self, operation: Operation, variables: dict[str, Any] | None, viewer: Any) -> int:
        """The limits step: the operation's cost with these variables; Refused (spec 400) over budget,
        or for introspection by someone the policy does not allow."""
        assert operation.op is not None
        shape = operation.prepared.shapes[operation.name]
        cost, refused = check_request(
            shape, variables, self.executor.limits, viewer=viewer, production=self.production
        )
        if refused is not None:
            raise Refused(400, [refused], spec_status=True)
        return cost

    async def execute(
        self, operation: Operation, variables: dict[str, Any] | None, ctx: Context
    ) -> tuple[ExecutionResult, dict[str, Any]]:
        """The execute step, for a query or a mutation: run inside the extension hooks, then one commit
        (a query commits too when it read a sensitive record, whose read must be audited, or froze a
        month of the public map in its session: `ctx.keep_writes`). The session is
        only let go when the database went away (its connection is dead, a rollback could only fail);
        CommitLost when the commit itself was cut off."""
        op = operation.op
        assert op is not None and operation.prepared is not None

        async def execute() -> ExecutionResult:
            return await self.executor.execute(operation.prepared, op, variables, ctx)

        try:
            if self.hooks.active:
                result, extensions = await self.hooks.run(operation, variables, ctx, execute)
            else:  # no extensions: no hooks to enter, not even a coroutine's worth
                result, extensions = await self.executor.execute(operation.prepared, op, variables, ctx), {}
        except BaseException:
            await ctx.close(commit=False)
            raise
        if unavailable_error(result) is not None:
            with contextlib.suppress(Exception):
                await ctx.close(commit=False)
            return result, extensions
        commit = op.operation == OperationType.MUTATION or bool(ctx.audit) or ctx.keep_writes
        try:
            await ctx.close(commit=commit)
        except Exception as error:
            if commit and is_unavailable(error):
                raise CommitLost from error
            raise
        return result, extensions
