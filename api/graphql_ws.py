"""GraphQL over WebSocket at /graphql (graphql-transport-ws), for subscriptions: Strawberry's protocol
handler, with Markaz's authentication and one context per operation.

    ws = GraphQLWebSocket(schema, endpoint, max_subscriptions=10)   # mounted beside the HTTP handler
    ws.hub = FeedHub(...)                                            # set by the app's lifespan

The client sends `{"type": "connection_init", "payload": {"Authorization": "Bearer <access token>"}}`.
No token, or one that is not valid (expired, ended session, disabled officer): the socket is closed with
4403 Forbidden, as the protocol says for a refused connection_init (a `subscribe` before the server's
`connection_ack` is closed with 4401 by the protocol handler). Only subscriptions run here; queries and
mutations go over HTTP, where a request commits once. The query limits of api/limits.py apply
here as over HTTP, and so, in production, does the safelist of api/persisted.py. There is no Origin
check: a browser cannot borrow someone's sign-in here, since the token travels in the message, never in
a cookie.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any

from graphql import GraphQLError
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    _OperationStreamClosed,
)
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET
from strawberry.utils.aio import aclosing

from api.limits import check_request
from resolvers.auth import viewer_for_token
from resolvers.context import Context
from resolvers.lang import pick_language
from resolvers.messages import message
from resolvers.tokens import TokenError

_log = logging.getLogger("markaz.ws")


@dataclasses.dataclass(slots=True)
class Connection:
    """What one WebSocket knows: who signed in over it (set by connection_init) and from where."""

    lang: str
    request_id: str
    device_id: str | None
    client_ip: str | None
    viewer: Any = None
    connection_params: dict[str, Any] | None = None


class _OperationHandler(BaseGraphQLTransportWSHandler):
    """Strawberry's graphql-transport-ws handler, except that each operation gets a Context of its own
    (a session is used by one coroutine at a time) and only subscriptions are accepted."""

    async def run_operation(self, operation) -> None:
        view: GraphQLWebSocket = self.view  # type: ignore[assignment]
        ctx = view.operation_context(self.context)
        try:
            if not view.endpoint.persisted.allowed(operation.query, ctx.viewer):
                # The production safelist holds here as over HTTP.
                refusal = GraphQLError(message("operation_not_allowed", ctx.lang),
                                       extensions={"code": "OPERATION_NOT_ALLOWED"})
                await operation.send_initial_errors([refusal])
                return
            refused = view.refusal(operation, ctx)
            if refused:
                # Depth, aliases, tokens and cost hold here as over HTTP (api/limits.py), checked on the
                # executor's cached shape before anything runs.
                await operation.send_initial_errors(refused)
                return
            result_source = await self.schema.stream(
                operation.query, variable_values=operation.variables, context_value=ctx,
                operation_name=operation.operation_name,
                allowed_operation_types=(OperationType.SUBSCRIPTION,))
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            try:
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            except Exception:  # noqa: S110 - the socket may be gone already; the error is logged above
                pass
            self.operations.pop(operation.id, None)
            raise
        finally:
            await ctx.close(commit=False)


class GraphQLWebSocket(GraphQL):
    """The WebSocket half of /graphql; `endpoint` (api.graphql_http.GraphQLEndpoint) lends it the database
    and the signing key, so both halves authenticate the same way."""

    graphql_transport_ws_handler_class = _OperationHandler

    def __init__(self, schema, endpoint: Any, *, max_subscriptions: int) -> None:
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=False,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         connection_init_wait_timeout=timedelta(seconds=10),
                         max_subscriptions_per_connection=max_subscriptions)
        self.endpoint = endpoint
        self.hub: Any = None

    async def get_context(self, request, response) -> Connection:  # type: ignore[override]
        device = request.headers.get("x-device-id")
        return Connection(lang=pick_language(request.headers.get("accept-language")),
                          request_id=request.scope.get("state", {}).get("request_id", ""),
                          device_id=device[:128] if device else None,
                          client_ip=request.client.host if request.client else None)

    def operation_context(self, connection: Connection) -> Context:
        endpoint = self.endpoint
        return Context(sessionmaker=endpoint.sessionmaker, reader=endpoint.reader, lang=connection.lang,
                       request_id=connection.request_id, production=endpoint.production,
                       secret_key=endpoint.secret_key, device_id=connection.device_id,
                       client_ip=connection.client_ip, viewer=connection.viewer, feed=self.hub)

    def refusal(self, operation: Any, ctx: Context) -> list[GraphQLError]:
        """The errors that stop a subscription before it runs: the document's own (limits on its shape,
        parse and validation errors) or its cost with these variables; empty when it may run."""
        executor = self.endpoint.executor
        prepared = executor.prepare(operation.query)
        if prepared.errors:
            return list(prepared.errors)
        op = executor.operation(prepared, operation.operation_name)
        if op is None:
            return []  # an unknown operation name: the protocol handler answers it as usual
        shape = prepared.shapes[op.name.value if op.name else None]
        _, refused = check_request(shape, operation.variables, executor.limits, viewer=ctx.viewer,
                                   production=self.endpoint.production)
        return [refused] if refused is not None else []

    async def on_ws_connect(self, context: Connection):  # type: ignore[override]
        params = context.connection_params or {}
        authorization = params.get("Authorization", params.get("authorization"))
        scheme, _, token = authorization.partition(" ") if isinstance(authorization, str) else ("", "", "")
        if scheme.lower() != "bearer" or not token.strip():
            _log.info("websocket refused", extra={"reason": "no bearer token"})
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        ctx = self.operation_context(context)
        try:
            context.viewer = await viewer_for_token(ctx, token.strip())
        except TokenError as error:
            _log.info("websocket refused", extra={"reason": str(error)})
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        finally:
            await ctx.close(commit=False)
        _log.info("websocket signed in", extra={"officer_id": context.viewer.officer_id})
        return UNSET

