"""The one GraphQL pipeline (api/pipeline.py): HTTP runs the schema's extensions as WebSocket does, both
transports share one Pipeline, a benchmark's clock sees every step, and every middleware is pure ASGI."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import strawberry
from starlette.middleware.base import BaseHTTPMiddleware
from strawberry.extensions import SchemaExtension

from api.app import create_app
from api.graphql_http import GraphQLEndpoint
from api.graphql_ws import GraphQLWebSocket
from api.pipeline import STEPS, StepClock
from schema import make_schema

SEEN: list[str] = []


class Recorder(SchemaExtension):
    def on_operation(self):
        SEEN.append("operation")
        yield

    def on_execute(self):
        SEEN.append(f"execute {self.execution_context.operation_name}")
        yield

    def get_results(self):
        return {"recorder": {"hooks": list(SEEN)}}


class FieldHook(SchemaExtension):
    def resolve(self, _next, root, info, *args, **kwargs):
        return _next(root, info, *args, **kwargs)


def _schema_with(*extensions):
    class WithExtensions(strawberry.Schema):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, extensions=list(extensions), **kwargs)

    return make_schema(WithExtensions)


def _parts(app) -> tuple[GraphQLEndpoint, GraphQLWebSocket]:
    routes = {(type(r).__name__, r.path): r for r in app.routes}
    endpoint = routes[("Route", "/graphql")].endpoint.__self__
    websocket = routes[("WebSocketRoute", "/graphql")].app
    return endpoint, websocket


async def test_http_runs_the_schema_extensions_and_returns_their_results(sessionmaker, settings):
    # given
    SEEN.clear()
    app = create_app(settings, sessionmaker=sessionmaker, schema=_schema_with(Recorder))
    transport = httpx.ASGITransport(app=app)
    # when
    async with httpx.AsyncClient(transport=transport, base_url="http://markaz.test") as client:
        response = await client.post(
            "/graphql", json={"query": "query Governorates { governorates { code } }"}
        )
    # then
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    assert body["extensions"]["recorder"] == {"hooks": ["operation", "execute Governorates"]}
    assert body["extensions"]["cost"]["requested"] >= 1  # the pipeline's own extension stays


def test_extensions_hooking_into_field_resolution_are_refused_at_start(sessionmaker, settings):
    with pytest.raises(ValueError, match="FieldHook"):
        create_app(settings, sessionmaker=sessionmaker, schema=_schema_with(FieldHook))


def test_both_transports_share_one_pipeline(sessionmaker, settings):
    endpoint, websocket = _parts(create_app(settings, sessionmaker=sessionmaker))
    assert websocket.pipeline is endpoint.pipeline


async def test_a_clock_sees_every_step_of_a_request(sessionmaker, settings):
    # given
    app = create_app(settings, sessionmaker=sessionmaker)
    endpoint, _ = _parts(app)
    clock = endpoint.pipeline.clock = StepClock()
    transport = httpx.ASGITransport(app=app)
    # when
    async with httpx.AsyncClient(transport=transport, base_url="http://markaz.test") as client:
        for _ in range(3):
            response = await client.post("/graphql", json={"query": "{ governorates { code } }"})
            assert response.status_code == 200
    # then
    assert clock.requests == 3
    assert set(clock.spent) == set(STEPS)
    assert all(clock.spent[step] > 0 for step in ("read", "prepare", "execute", "render")), clock.spent


def test_every_middleware_is_pure_asgi(sessionmaker, settings):
    # BaseHTTPMiddleware costs a task and a stream per request and breaks streaming responses.
    from api.tracing import TracingMiddleware  # only with OTEL_EXPORTER_OTLP_ENDPOINT and the otel extra

    every = dataclasses.replace(settings, cors_origins=("https://app.example",), rate_limit=True)
    app = create_app(every, sessionmaker=sessionmaker)
    # compression, rate limit, CORS, security headers, metrics, request ids, client address
    classes = [middleware.cls for middleware in app.user_middleware]
    assert len(classes) == 7, classes
    for cls in [*classes, TracingMiddleware]:
        assert not issubclass(cls, BaseHTTPMiddleware), cls  # type: ignore[arg-type]
