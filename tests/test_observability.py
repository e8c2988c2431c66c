"""Observability: /metrics in Prometheus format (by operation and outcome, latency, the pool) and who may
read it; JSON logs with request id, operation and officer, never a password, token or sensitive text;
OpenTelemetry spans for requests and statements."""

from __future__ import annotations

import base64
import io
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.config import Settings
from api.logs import configure
from tests.conftest import GraphQL
from tests.factories import PASSWORD, make_officer, make_station, sign_in

GOVERNORATES = "query Governorates { governorates { code } }"


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_requests_by_operation_and_outcome(client, gql):
    # given
    await gql(GOVERNORATES)
    await gql(GOVERNORATES)
    await gql("query Broken { nope }", status=400)
    await gql("query Bad($n: Int) { stations(first: $n) { totalCount } }", {"n": 0})
    # when
    response = await client.get("/metrics")
    # then
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("markaz_requests_total", (("operation", "Governorates"), ("outcome", "ok")))] == 2
    # a document that does not validate is counted before its operation is known
    assert samples[("markaz_requests_total", (("operation", "anonymous"), ("outcome", "request_error")))] == 1
    assert samples[("markaz_requests_total", (("operation", "Bad"), ("outcome", "error")))] == 1
    assert samples[("markaz_request_duration_seconds_count", (("operation", "Governorates"),))] == 2
    bucket = ("markaz_request_duration_seconds_bucket", (("le", "0.05"), ("operation", "Governorates")))
    assert bucket in samples


ASSIGN = """mutation Assign($input: AssignIncidentInput!) {
  assignIncident(input: $input) { errors { code } } }"""


async def test_metrics_count_refusals_in_graphql_answers_as_refusals(client, gql, sessionmaker):
    """A resolver's UNAUTHENTICATED or FORBIDDEN comes in an HTTP 200 answer: it is counted as one."""
    async with sessionmaker() as session:
        station = await make_station(session)
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    officer = await sign_in(gql, badge)
    # a citizen asks for what needs a sign-in: 200, with UNAUTHENTICATED
    refused = await gql("query Patrols { patrols(first: 1) { totalCount } }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # an officer assigns (commanders, supervisors and admins only): 200, with FORBIDDEN
    incident = base64.b64encode(b"Incident:1").decode()
    variables = {"input": {"incidentId": incident, "officerIds": [], "expectedVersion": 1}}
    forbidden = await gql(ASSIGN, variables, headers=officer)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN", forbidden
    # a bad token is a 401, counted as before
    await gql(GOVERNORATES, headers={"authorization": "Bearer nonsense"}, status=401)
    samples = _samples((await client.get("/metrics")).text)

    def count(op: str, outcome: str) -> float | None:
        return samples.get(("markaz_requests_total", (("operation", op), ("outcome", outcome))))

    assert count("Patrols", "unauthenticated") == 1 and count("Patrols", "error") is None
    assert count("Assign", "forbidden") == 1 and count("Assign", "error") is None
    assert count("Governorates", "unauthenticated") == 1


async def test_metrics_show_the_database_pool(engine):
    from prometheus_client import generate_latest

    from api.metrics import Metrics

    metrics = Metrics()
    assert "markaz_db_pool" not in generate_latest(metrics.registry).decode()  # no engine yet: no gauges
    metrics.engine = engine
    async with engine.connect():
        samples = _samples(generate_latest(metrics.registry).decode())
        assert samples[("markaz_db_pool_checked_out", ())] >= 1
        assert samples[("markaz_db_pool_size", ())] == 5


async def test_operation_labels_are_bounded(client):
    from api.metrics import MAX_OPERATIONS

    app_metrics = client._transport.app.state.metrics  # type: ignore[attr-defined]
    for i in range(MAX_OPERATIONS + 20):
        app_metrics.observe(f"Op{i}", "ok", 0.001)
    text = (await client.get("/metrics")).text
    names = {labels for (name, labels) in _samples(text) if name == "markaz_requests_total"}
    assert len(names) == MAX_OPERATIONS + 1
    assert _samples(text)[("markaz_requests_total", (("operation", "other"), ("outcome", "ok")))] == 20


async def test_metrics_in_production_need_the_token_or_loopback(sessionmaker, tmp_path):
    base = {
        "MARKAZ_ENV": "production",
        "MARKAZ_DATA_DIR": str(tmp_path),
        "MARKAZ_SECRET_KEY": secrets.token_urlsafe(48),
    }
    token = secrets.token_urlsafe(24)
    with_token = create_app(
        Settings.from_env({**base, "MARKAZ_METRICS_TOKEN": token}), sessionmaker=sessionmaker
    )
    without = create_app(Settings.from_env(base), sessionmaker=sessionmaker)

    async def get(app, peer, **headers):
        transport = httpx.ASGITransport(app=app, client=(peer, 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://m.test") as c:
            return (await c.get("/metrics", headers=headers)).status_code

    assert await get(with_token, "203.0.113.5") == 401
    assert await get(with_token, "127.0.0.1", authorization="Bearer wrong") == 401
    assert await get(with_token, "203.0.113.5", authorization=f"Bearer {token}") == 200
    assert await get(without, "203.0.113.5") == 403
    assert await get(without, "127.0.0.1") == 200


@pytest.fixture
def captured_logs():
    """The app's real log configuration (JSON), writing to a buffer; the previous one restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure("INFO", "json")
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


REPORT = """
mutation ReportIncident($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id description } errors { field code message } }
}
"""


async def test_logs_carry_ids_and_never_secrets(captured_logs, sessionmaker, settings):
    # given: an app made after logging is configured, an officer, and secrets to look for
    app = create_app(settings, sessionmaker=sessionmaker)
    secret_text = f"She was beaten at home, marker {uuid.uuid4().hex}"
    victim = f"Layla-{uuid.uuid4().hex[:8]}"
    async with sessionmaker() as session:
        station = await make_station(session)
        officer_id, badge = await make_officer(session, station_id=station)
        await session.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m.test") as c:
        gql = GraphQL(c)
        # when: a failed and a good sign-in, and a sensitive incident reported
        await gql(
            "mutation L($b: String!, $p: String!) { login(input: {badgeNumber: $b, password: $p}) "
            "{ errors { code } } }",
            {"b": badge, "p": "wrong-" + PASSWORD},
        )
        headers = await sign_in(gql, badge)
        token = headers["authorization"].split()[1]
        at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        body = await gql(
            REPORT,
            {
                "input": {
                    "clientId": str(uuid.uuid4()),
                    "category": "DOMESTIC_VIOLENCE",
                    "occurredAt": at,
                    "location": {"latitude": 36.4, "longitude": 43.2},
                    "description": secret_text,
                    "people": [{"name": victim, "role": "VICTIM", "phone": "0770 123 4567"}],
                }
            },
            headers=headers,
        )
        assert body["data"]["reportIncident"]["errors"] == []
    # and code that logs carelessly, through structlog and the standard library
    structlog.get_logger("careless").info(
        "dump",
        variables={"password": PASSWORD, "input": {"description": secret_text, "people": [{"name": victim}]}},
        authorization=f"Bearer {token}",
    )
    logging.getLogger("careless").warning("retrying with token %s and password=%s", token, PASSWORD)
    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        logging.getLogger("careless").exception("failed")
    # then
    text = captured_logs.getvalue()
    lines = [orjson.loads(line) for line in text.splitlines() if line.strip()]
    for leak in (PASSWORD, token, secret_text, victim, "0770 123 4567"):
        assert leak not in text, leak
    requests = [line for line in lines if line.get("event") == "request"]
    assert [r["operation"] for r in requests] == ["L", "Login", "ReportIncident"]
    assert all(r["request_id"] and r["status"] == 200 for r in requests)
    assert requests[2]["officer_id"] == officer_id and "officer_id" not in requests[1]
    assert any(line["event"] == "dump" and line["variables"] == "[redacted]" for line in lines)


def test_redaction_of_nested_values_and_text():
    from api.logs import redact

    event = redact(
        None,
        "info",
        {
            "event": "login with password: hunter2 failed",
            "data": {"refresh_token": "abc", "Notes": "x", "ok": [{"phone": "1"}]},
            "sql": "[parameters: ('Layla', 'secret')] more",
        },
    )
    assert event["event"] == "login with password: [redacted] failed"
    assert event["data"] == {
        "refresh_token": "[redacted]",
        "Notes": "[redacted]",
        "ok": [{"phone": "[redacted]"}],
    }
    assert event["sql"] == "[parameters: redacted] more"


async def test_traces_have_a_span_per_request_with_statements_inside(
    committed_sessionmaker, engine, tmp_path
):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from sqlalchemy import event

    from api.tracing import TracingMiddleware, trace_statements

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    app = create_app(
        Settings.from_env({"MARKAZ_DATA_DIR": str(tmp_path)}), sessionmaker=committed_sessionmaker
    )
    traced = TracingMiddleware(app, tracer=tracer)
    listeners = trace_statements(engine, tracer)
    try:
        transport = httpx.ASGITransport(app=traced)
        async with httpx.AsyncClient(transport=transport, base_url="http://m.test") as c:
            response = await c.post(
                "/graphql", json={"query": "query Stations { stations(first: 2) { totalCount } }"}
            )
            assert response.status_code == 200
    finally:
        for name, listener in listeners:
            event.remove(engine.sync_engine, name, listener)
    spans = exporter.get_finished_spans()
    (request,) = [s for s in spans if s.kind.name == "SERVER"]
    assert request.name == "POST /graphql Stations"
    assert request.attributes["graphql.operation.name"] == "Stations"
    assert request.attributes["http.response.status_code"] == 200
    statements = [s for s in spans if s.kind.name == "CLIENT"]
    assert statements and all(s.parent.span_id == request.context.span_id for s in statements)
    assert any("stations" in s.attributes["db.statement"] for s in statements)
    assert all(s.attributes["db.system"] == "postgresql" for s in statements)


def test_tracing_is_off_without_an_endpoint():
    from api.tracing import tracer_provider

    assert tracer_provider(Settings.from_env({})) is None
