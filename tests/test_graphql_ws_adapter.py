"""The live feed's socket adapter (api.graphql_ws.SocketAdapter) over Starlette's real WebSocket.

When a client's connection drops, the first send on its socket fails in the transport (uvicorn raises
an OSError); Starlette marks the socket closed and every later send, such as the next subscription's
event going out in the same moment, fails with Starlette's own "send after close" error. Both must reach
the graphql-transport-ws handler as Strawberry's WebSocketDisconnected, which it treats as "the client
left"; anything else is logged as an exception in a worker task (seen in CI on a dropped socket).
"""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocket
from strawberry.http.exceptions import WebSocketDisconnected

from api.app import create_app
from api.graphql_ws import GraphQLWebSocket, SocketAdapter


def _view(settings) -> GraphQLWebSocket:
    app = create_app(settings, sessionmaker=None)
    views = [route.app for route in app.routes if isinstance(getattr(route, "app", None), GraphQLWebSocket)]
    assert len(views) == 1, app.routes
    return views[0]


async def _dropping_socket(sent: list[dict]) -> WebSocket:
    """A Starlette WebSocket whose transport accepts the handshake, then fails every frame, as uvicorn's
    does once the peer's TCP connection is gone."""

    async def receive() -> dict:
        return {"type": "websocket.connect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "websocket.send":
            raise OSError("connection reset by peer")

    socket = WebSocket({"type": "websocket", "path": "/graphql", "headers": []}, receive, send)
    await socket.accept(subprotocol="graphql-transport-ws")
    return socket


async def test_every_send_on_a_dropped_socket_says_the_client_left(settings):
    # given a socket whose client's connection has just dropped
    sent: list[dict] = []
    socket = await _dropping_socket(sent)
    adapter = SocketAdapter(_view(settings), socket, socket)
    # when three subscriptions' events go out on it, one after the other
    for operation in ("1", "2", "3"):
        # then each send says the client left, never another error
        with pytest.raises(WebSocketDisconnected):
            await adapter.send_json({"id": operation, "type": "next", "payload": {"data": {}}})
    # and only the first reached the transport: Starlette refused the rest itself
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send"]


async def test_the_view_uses_the_adapter(settings):
    assert _view(settings).websocket_adapter_class is SocketAdapter
