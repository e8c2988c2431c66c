"""OpenTelemetry traces, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (needs the `otel` extra): a span per
HTTP request, with the GraphQL operation name, and a child span per SQL statement.

    provider = tracer_provider(settings)             # None: tracing off, nothing imported
    app.add_middleware(TracingMiddleware, tracer=provider.get_tracer("markaz"))
    trace_statements(engine, tracer)                  # SQLAlchemy events, statement text only

Statement spans carry the SQL text without its parameters (which may hold incident text or password
hashes). Spans go out in batches from a background thread, off the request path.
"""

from __future__ import annotations

from typing import Any

from api.metrics import StatusWatch


def tracer_provider(settings: Any) -> Any:
    """An SDK tracer provider exporting over OTLP/HTTP to the configured endpoint, or None."""
    if not settings.otel_endpoint:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise RuntimeError("OTEL_EXPORTER_OTLP_ENDPOINT is set: install markaz[otel]") from None
    endpoint = settings.otel_endpoint.rstrip("/")
    provider = TracerProvider(resource=Resource.create({"service.name": "markaz"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
    return provider


class TracingMiddleware:
    """One server span per HTTP request (not health checks), named after the operation once known."""

    def __init__(self, app: Any, *, tracer: Any) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/healthz", "/readyz", "/metrics"):
            await self.app(scope, receive, send)
            return
        from opentelemetry.trace import SpanKind, Status, StatusCode

        name = f"{scope['method']} {scope['path']}"
        with self.tracer.start_as_current_span(name, kind=SpanKind.SERVER) as span:
            watch = StatusWatch(send)
            try:
                await self.app(scope, receive, watch)
            finally:
                status = watch.status
                state = scope.get("state") or {}
                span.set_attribute("http.request.method", scope["method"])
                span.set_attribute("url.path", scope["path"])
                span.set_attribute("http.response.status_code", status)
                if state.get("request_id"):
                    span.set_attribute("markaz.request_id", state["request_id"])
                if state.get("operation_name"):
                    span.set_attribute("graphql.operation.name", state["operation_name"])
                    span.update_name(f"{scope['method']} {scope['path']} {state['operation_name']}")
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))


def trace_statements(engine: Any, tracer: Any) -> list[tuple[str, Any]]:
    """A client span around every statement the engine runs (SQLAlchemy's cursor events, which run in
    the request's context, so each span is a child of its request's). Returns the listeners."""
    from opentelemetry.trace import SpanKind
    from sqlalchemy import event

    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany) -> None:
        name = statement.split(None, 1)[0].upper() if statement else "SQL"
        span = tracer.start_span(name, kind=SpanKind.CLIENT)
        span.set_attribute("db.system", "postgresql")
        span.set_attribute("db.statement", statement[:2000])
        conn.info.setdefault("markaz_spans", []).append(span)

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _end(conn, cursor, statement, parameters, context, executemany) -> None:
        spans = conn.info.get("markaz_spans")
        if spans:
            spans.pop().end()

    @event.listens_for(sync_engine, "handle_error")
    def _failed(context) -> None:
        spans = context.connection.info.get("markaz_spans") if context.connection is not None else None
        if spans:
            from opentelemetry.trace import Status, StatusCode

            span = spans.pop()
            span.set_status(Status(StatusCode.ERROR, type(context.original_exception).__name__))
            span.end()

    return [("before_cursor_execute", _start), ("after_cursor_execute", _end), ("handle_error", _failed)]
