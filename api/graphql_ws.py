"""GraphQL over WebSocket at /graphql (graphql-transport-ws), for subscriptions: Strawberry's protocol
handler, with Markaz's authentication and one context per operation.

    ws = GraphQLWebSocket(schema, endpoint, max_subscriptions=10)   # mounted beside the HTTP handler
    ws.hub = FeedHub(...)                                            # set by the app's lifespan

The client sends `{"type": "connection_init", "payload": {"Authorization": "Bearer <access token>"}}`.
No token, or one that is not valid (expired, ended session, disabled officer): the socket is closed with
4403 Forbidden, as the protocol says for a refused connection_init (a `subscribe` before the server's
`connection_ack` is closed with 4401 by the protocol handler). The payload may also carry
`Accept-Language` (any case), which then chooses the language of the socket's messages over the upgrade
request's header. Only subscriptions run here; queries and mutations go over HTTP, where a request
commits once. The query limits of api/limits.py apply here as over HTTP, and so, in production, does the
safelist of api/persisted.py: a subscription goes through the same steps of api/pipeline.py as an HTTP
request (authenticate, safelist, limits), and runs the schema's extensions like it. There is no Origin
check: a browser cannot borrow someone's sign-in here, since the token travels in the message, never in a
cookie.

Hostile clients cost a bounded amount:
- A message that is not a protocol message (not JSON, not an object, an unknown `type`, a `subscribe`
  without a string `id` or an object `payload` with a string `query`, a binary frame, more than
  MAX_MESSAGE_CHARS, nested beyond what orjson reads) closes the socket with 4400 and a short reason,
  logged at INFO without a trace. Beyond MAX_FRAME_BYTES the server's WebSocket layer itself closes with
  1009 before reading on (`markaz serve` sets uvicorn's `ws_max_size`).
- Variables nested deeper than api.executor.MAX_VARIABLES_DEPTH get an `error` for that subscription.
- An officer holds at most `per_officer` live subscriptions, over all their sockets and every server
  process (MARKAZ_FEED_SUBSCRIPTIONS_PER_OFFICER; counted in PostgreSQL, db/subscription_slots.py); each
  socket at most `max_subscriptions` (MARKAZ_FEED_SUBSCRIPTIONS).
- When the access token the socket signed in with expires, each subscription ends with an error coded
  UNAUTHENTICATED carrying `extensions.lastCursor`, and then the socket is closed with 4403: a
  graphql-ws client reconnects, asking its `connectionParams` (a fresh token) again, and the app
  subscribes with `after` set to that cursor.
- A connection_init while the database cannot be reached (down, or not answering within
  MARKAZ_DATABASE_TIMEOUT_MS) is closed with 1013, "try again later", on which graphql-ws clients retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnected as StarletteSendAfterClose
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET
from strawberry.utils.aio import aclosing

from api.executor import variables_problem, without_suggestions
from api.pipeline import Pipeline, Refused, authenticate
from db import subscription_slots
from db.faults import is_unavailable
from resolvers.context import Context
from resolvers.lang import pick_language
from resolvers.messages import message
from resolvers.policy import may_introspect
from resolvers.tokens import TokenError, access_expires_at, bearer_token
from schema.strawberry_internals import OperationStreamClosed, TransportWSHandler, send_result_stream

_log = logging.getLogger("markaz.ws")
# A protocol message longer than this closes the socket with 4400 (the feed's documents and variables,
# a drawn polygon included, need a few kilobytes). The server's WebSocket layer reads no frame beyond
# MAX_FRAME_BYTES at all.
MAX_MESSAGE_CHARS = 256 * 1024
MAX_FRAME_BYTES = 1 << 20
MAX_ID_CHARS = 128
# After the token expires, how long the subscriptions have to send their UNAUTHENTICATED error before
# the socket is closed.
EXPIRY_GRACE_S = 2.0
_TYPES = frozenset({"connection_init", "ping", "pong", "subscribe", "complete"})


@dataclasses.dataclass(frozen=True, slots=True)
class _Refused:
    """A text frame refused before it was decoded: what decode_json gives the handler instead."""

    reason: str


def malformed(decoded: Any) -> str | None:
    """Why a decoded frame is not a graphql-transport-ws message (a close reason, short and fixed: it
    never echoes the client's text), or None when it is one."""
    if isinstance(decoded, _Refused):
        return decoded.reason
    if not isinstance(decoded, dict):
        return "Message must be a JSON object"
    kind = decoded.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        return "Unknown message type"
    payload = decoded.get("payload")
    if kind in ("subscribe", "complete"):
        operation_id = decoded.get("id")
        if not isinstance(operation_id, str) or not 0 < len(operation_id) <= MAX_ID_CHARS:
            return f"`id` must be a string of 1 to {MAX_ID_CHARS} characters"
    if kind != "subscribe":
        return None if payload is None or isinstance(payload, dict) else "`payload` must be an object"
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "`payload` must be an object with a string `query`"
    for key, expected in (("variables", dict), ("operationName", str), ("extensions", dict)):
        if payload.get(key) is not None and not isinstance(payload[key], expected):
            return f"`payload.{key}` must be {'a string' if expected is str else 'an object'}"
    return None


class _Unavailable(Exception):
    """The database could not be reached to check a connection_init's token."""


class OfficerSubscriptions:
    """The live subscriptions of each officer, over all their sockets: counted in this process, and, once
    the app's lifespan gives `url`, across every process too (db/subscription_slots.py: one advisory lock
    per slot, held on a connection of this process). If that connection cannot be had, the cap holds in
    this process alone, and it is logged."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.live: dict[int, int] = {}
        self.url: str | None = None
        self._slots: dict[int, list[int]] = {}
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def take(self, officer_id: int) -> bool:
        held = self.live.get(officer_id, 0)
        if held >= self.limit:
            return False
        self.live[officer_id] = held + 1  # reserved before waiting on the database
        if self.url is None:
            return True
        try:
            slot = await self._shared(
                # the slots this process holds, read under the lock (a new connection holds none)
                lambda conn: subscription_slots.take(
                    conn, officer_id, self.limit, list(self._slots.get(officer_id, ()))
                )
            )
        except Exception as error:  # the database: the cap of this process still holds
            _log.warning("subscription slots unavailable: %s", type(error).__name__)
            return True
        if slot is None:
            self._forget(officer_id)
            return False
        self._slots.setdefault(officer_id, []).append(slot)
        return True

    async def release(self, officer_id: int) -> None:
        self._forget(officer_id)
        slots = self._slots.get(officer_id)
        if not slots:
            return
        slot = slots.pop()
        if not slots:
            del self._slots[officer_id]
        with contextlib.suppress(Exception):  # a lost connection has let its slots go already
            await self._shared(lambda conn: subscription_slots.release(conn, officer_id, slot))

    def _forget(self, officer_id: int) -> None:
        held = self.live.get(officer_id, 0) - 1
        if held > 0:
            self.live[officer_id] = held
        else:
            self.live.pop(officer_id, None)

    async def _shared(self, step: Callable[[Any], Awaitable[Any]]) -> Any:
        async with self._lock:  # one statement at a time on the one connection
            if self._conn is None or self._conn.is_closed():
                assert self.url is not None
                self._slots.clear()  # a new connection holds none of the old one's slots
                self._conn = await subscription_slots.connect(self.url)
            try:
                return await step(self._conn)
            except Exception:
                with contextlib.suppress(Exception):
                    await self._conn.close()
                self._conn = None
                raise

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None


@dataclasses.dataclass(slots=True)
class Connection:
    """What one WebSocket knows: who signed in over it (set by connection_init) and from where."""

    lang: str
    request_id: str
    device_id: str | None
    client_ip: str | None
    viewer: Any = None
    connection_params: dict[str, Any] | None = None
    expires_at: datetime | None = None  # the access token's expiry

    def expired(self) -> bool:
        return self.expires_at is not None and datetime.now(UTC) >= self.expires_at


class SocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's ASGI socket adapter, telling the handler "the client is gone" for both ways Starlette
    says it. A send whose transport fails raises WebSocketDisconnect (translated by Strawberry); every
    later send on that socket, such as another subscription's event in flight at the same moment, raises
    Starlette's WebSocketDisconnected, which Strawberry does not translate and would log as a task's
    exception."""

    async def send_json(self, message: Any) -> None:
        try:
            await super().send_json(message)
        except StarletteSendAfterClose as gone:
            raise WebSocketDisconnected from gone


class _OperationHandler(TransportWSHandler[Connection, None]):
    """Strawberry's graphql-transport-ws handler, except that each operation gets a Context of its own
    (a session is used by one coroutine at a time), only subscriptions are accepted, messages of the wrong
    shape close the socket and the socket closes when its access token expires."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._expiry: asyncio.Task[None] | None = None

    async def send_message(self, message: Any) -> None:
        view: GraphQLWebSocket = self.view  # type: ignore[assignment]
        if not may_introspect(self.context.viewer, production=view.pipeline.production):
            # No "Did you mean" hints to anyone but admins in production (api.executor.without_suggestions)
            if message.get("type") == "error":
                message = {**message, "payload": [without_suggestions(e) for e in message["payload"]]}
            elif message.get("type") == "next" and message["payload"].get("errors"):
                payload = message["payload"]
                message = {
                    **message,
                    "payload": {**payload, "errors": [without_suggestions(e) for e in payload["errors"]]},
                }
        await super().send_message(message)

    async def handle_message(self, message: Any) -> None:
        problem = malformed(message)
        if problem is not None:
            _log.info("websocket message refused", extra={"reason": problem})
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except _Unavailable:
            # "Try again later": graphql-ws clients reconnect on it, as on a restart.
            await self.websocket.close(code=1013, reason="Database unavailable")
            return
        expires_at = self.context.expires_at
        if self.connection_acknowledged and expires_at is not None and self._expiry is None:
            self._expiry = asyncio.create_task(self._close_at_expiry(expires_at))

    async def _close_at_expiry(self, expires_at: datetime) -> None:
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))
        # Each subscription ends itself at this moment (resolvers.feed, with its last cursor): give them
        # a moment to say so, then close.
        tasks = [operation.task for operation in self.operations.values() if operation.task]
        if tasks:
            await asyncio.wait(tasks, timeout=EXPIRY_GRACE_S)
        _log.info("websocket closed: access token expired")
        with contextlib.suppress(Exception):  # the client may have gone already
            await self.websocket.close(code=4403, reason="Access token expired")

    async def shutdown(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
        await super().shutdown()

    async def run_operation(self, operation: Any) -> None:
        """One subscription through the pipeline's steps (api/pipeline.py): read (the message, checked by
        `malformed`; its variables here), authenticate (done at connection_init; the token's expiry here),
        safelist, prepare and limits, then execute by `Schema.stream`, which runs the schema's extensions."""
        view: GraphQLWebSocket = self.view  # type: ignore[assignment]
        pipeline = view.pipeline
        ctx = view.operation_context(self.context)
        holder: int | None = None
        try:
            problem = variables_problem(operation.variables)
            if problem is not None:
                await operation.send_initial_errors(
                    [GraphQLError(problem, extensions={"code": "BAD_USER_INPUT", "argument": "variables"})]
                )
                return
            if self.context.expired():
                await operation.send_initial_errors(
                    [GraphQLError(message("token_expired", ctx.lang), extensions={"code": "UNAUTHENTICATED"})]
                )
                return
            try:
                # The production safelist holds here as over HTTP.
                pipeline.safelist(operation.query, ctx.viewer, ctx.lang)
                # Depth, aliases, tokens and cost hold here as over HTTP (api/limits.py), checked on the
                # executor's cached shape before anything runs.
                prepared = pipeline.prepare(operation.query, operation.operation_name)
                if prepared.prepared.errors:
                    raise Refused(400, prepared.errors)
                if prepared.op is not None:  # an unknown operation name: the protocol handler answers it
                    pipeline.limits(prepared, operation.variables, ctx.viewer)
            except Refused as refused:
                await operation.send_initial_errors(refused.errors)
                return
            if not await view.per_officer.take(ctx.viewer.officer_id):
                limit = view.per_officer.limit
                await operation.send_initial_errors(
                    [
                        GraphQLError(
                            message("subscriptions_per_officer", ctx.lang, limit=limit),
                            extensions={
                                "code": "LIMIT_EXCEEDED",
                                "limit": "subscriptionsPerOfficer",
                                "max": limit,
                            },
                        )
                    ]
                )
                return
            holder = ctx.viewer.officer_id
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=ctx,
                operation_name=operation.operation_name,
                allowed_operation_types=(OperationType.SUBSCRIPTION,),
            )
            async with aclosing(result_source):
                await send_result_stream(self, operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except (OperationStreamClosed, WebSocketDisconnected):
            return  # the client went away (or the socket is closing): nothing to tell anyone
        except Exception as error:
            await self.handle_task_exception(error)
            try:
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            except Exception:  # noqa: S110 - the socket may be gone already; the error is logged above
                pass
            self.operations.pop(operation.id, None)
            raise
        finally:
            if holder is not None:
                await view.per_officer.release(holder)
            await ctx.close(commit=False)


class GraphQLWebSocket(GraphQL):
    """The WebSocket half of /graphql; `endpoint` (api.graphql_http.GraphQLEndpoint) lends it its pipeline
    (the database, the signing key, the safelist, the limits), so both halves run the same steps."""

    # Strawberry's view is typed for a context of None; this view's context is a Connection.
    graphql_transport_ws_handler_class = _OperationHandler  # type: ignore[assignment]
    websocket_adapter_class = SocketAdapter

    def __init__(self, schema: Any, endpoint: Any, *, max_subscriptions: int, per_officer: int = 20) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=max_subscriptions,
        )
        self.endpoint = endpoint
        self.pipeline: Pipeline = endpoint.pipeline
        self.hub: Any = None
        self.per_officer = OfficerSubscriptions(per_officer)

    def decode_json(self, data: str | bytes) -> object:
        """A frame's JSON, read by orjson (iterative, up to 1024 levels; the standard library's recursive
        reader overflows on deep nesting); a frame too long or too deep becomes a _Refused."""
        if len(data) > MAX_MESSAGE_CHARS:
            return _Refused(f"Message longer than {MAX_MESSAGE_CHARS} characters")
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as error:  # a json.JSONDecodeError: the handler closes with 4400
            if "depth" in str(error):
                return _Refused("Message nested deeper than 1024 levels")
            raise

    async def get_context(self, request, response) -> Connection:  # type: ignore[override]
        device = request.headers.get("x-device-id")
        return Connection(
            lang=pick_language(request.headers.get("accept-language")),
            request_id=request.scope.get("state", {}).get("request_id", ""),
            device_id=device[:128] if device else None,
            client_ip=request.client.host if request.client else None,
        )

    def operation_context(self, connection: Connection) -> Context:
        pipeline = self.pipeline
        return Context(
            sessionmaker=pipeline.sessionmaker,
            reader=pipeline.reader,
            lang=connection.lang,
            request_id=connection.request_id,
            production=pipeline.production,
            secret_key=pipeline.secret_key,
            device_id=connection.device_id,
            client_ip=connection.client_ip,
            viewer=connection.viewer,
            feed=self.hub,
            access_expires_at=connection.expires_at,
        )

    async def on_ws_connect(self, context: Connection):  # type: ignore[override]
        params = context.connection_params or {}
        for key, value in params.items():  # the payload's language wins over the upgrade request's
            if isinstance(value, str) and key.lower() == "accept-language":
                context.lang = pick_language(value[:200])
        authorization = params.get("Authorization", params.get("authorization"))
        token = bearer_token(authorization)
        if token is None:
            _log.info("websocket refused", extra={"reason": "no bearer token"})
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        ctx = self.operation_context(context)
        try:
            await authenticate(ctx, str(authorization))  # the pipeline's step, once for the socket
            context.viewer = ctx.viewer
            context.expires_at = access_expires_at(self.pipeline.secret_key, token)
            if context.viewer is not None and context.viewer.must_change_password:
                # a one-time password: only changePassword, over HTTP
                raise TokenError("the officer must change a one-time password first")
        except (Refused, TokenError) as refused:
            reason = refused.reason if isinstance(refused, Refused) else str(refused)
            _log.info("websocket refused", extra={"reason": reason})
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        except Exception as error:
            if not is_unavailable(error):
                raise
            _log.warning("websocket refused: database unavailable: %s", type(error).__name__)
            raise _Unavailable from None
        finally:
            await ctx.close(commit=False)
        _log.info("websocket signed in", extra={"officer_id": context.viewer.officer_id})
        return UNSET
