"""Prometheus metrics at /metrics: requests by operation and outcome, latency, the database pool.

    metrics = Metrics()                    # one registry per app (tests make many apps)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    metrics.engine = database.engine       # pool gauges, read at scrape time

prometheus-client rather than a writer of our own: the text format has escaping and histogram rules
that are easy to get subtly wrong, and the library is small, pure Python and what scrapers are tested
against. It costs a few microseconds a request (one counter, one histogram observation).

Operation names come from clients, so the label set is bounded: the first `MAX_OPERATIONS` names seen
get their own label, later ones count as `other` (a client inventing names cannot grow memory).

Exposure: in development /metrics is open. In production it answers a bearer token
(`MARKAZ_METRICS_TOKEN`), or without one configured, loopback clients only (a scraper on the host or a
sidecar), since the counts tell an outsider which operations exist and how busy the service is.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import Response

MAX_OPERATIONS = 200
_OUTCOMES = {
    400: "request_error",
    401: "unauthenticated",
    403: "forbidden",
    404: "request_error",
    405: "request_error",
    406: "request_error",
    413: "request_error",
    415: "request_error",
    429: "rate_limited",
    503: "unavailable",
}


class _PoolCollector:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self):
        engine = self.metrics.engine
        if engine is None:
            return
        pool = engine.sync_engine.pool
        for name, help_text, read in (
            ("markaz_db_pool_size", "Connections the pool keeps.", "size"),
            ("markaz_db_pool_checked_out", "Connections in use by requests.", "checkedout"),
            ("markaz_db_pool_checked_in", "Idle connections in the pool.", "checkedin"),
            ("markaz_db_pool_overflow", "Connections open beyond the pool's size.", "overflow"),
        ):
            reader = getattr(pool, read, None)
            if reader is not None:
                yield GaugeMetricFamily(name, help_text, value=float(reader()))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "markaz_requests",
            "GraphQL requests by operation name and outcome.",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "markaz_request_duration_seconds",
            "Time to answer a GraphQL request.",
            ["operation"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.engine: Any = None
        self.registry.register(_PoolCollector(self))
        self._operations: set[str] = set()

    def observe(self, operation: str | None, outcome: str, seconds: float) -> None:
        if not operation:
            label = "anonymous"
        elif operation in self._operations:
            label = operation
        elif len(self._operations) < MAX_OPERATIONS:
            self._operations.add(operation)
            label = operation
        else:
            label = "other"
        self.requests.labels(label, outcome).inc()
        self.latency.labels(label).observe(seconds)


class StatusWatch:
    """An ASGI `send` that passes every message on and keeps the status of the response; 500 until one
    starts (an app that raised before answering). Shared by the metrics and tracing middlewares."""

    __slots__ = ("send", "status")

    def __init__(self, send: Any) -> None:
        self.send = send
        self.status = 500

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)


# Error codes of a GraphQL answer (HTTP 200 with `errors`) that are counted as what they are rather than as
# `error`, the first that any of its errors carries: a resolver's refusal is a refusal however it arrives.
_CODE_OUTCOMES = (
    ("UNAUTHENTICATED", "unauthenticated"),
    ("FORBIDDEN", "forbidden"),
    ("INTERNAL_SERVER_ERROR", "server_error"),
)


def outcome_of(status: int, state: dict[str, Any]) -> str:
    """ok, error (a GraphQL answer with errors), or what refused the request (by status, or by the
    code of an error in a GraphQL answer)."""
    if status in (200, 304):
        answer = state.get("graphql_answer")
        if answer is None:
            return "ok" if status == 304 else "request_error"
        if answer[1]:
            return "ok"
        codes = state.get("graphql_error_codes") or ()
        return next((outcome for code, outcome in _CODE_OUTCOMES if code in codes), "error")
    if status >= 500:
        return _OUTCOMES.get(status, "server_error")
    return _OUTCOMES.get(status, "request_error")


class MetricsMiddleware:
    """Counts and times every request to /graphql over HTTP."""

    def __init__(self, app: Any, *, metrics: Metrics, path: str = "/graphql") -> None:
        self.app = app
        self.metrics = metrics
        self.path = path

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            state = scope.get("state") or {}
            self.metrics.observe(
                state.get("operation_name"), outcome_of(watch.status, state), time.perf_counter() - started
            )


def _loopback(request: Request) -> bool:
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def metrics_endpoint(metrics: Metrics, *, production: bool, token: str | None):
    async def serve(request: Request) -> Response:
        if token is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, f"Bearer {token}".encode()):
                return Response("Unauthorized.", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        elif production and not _loopback(request):
            return Response("Forbidden.", status_code=403)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return serve
