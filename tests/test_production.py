"""MARKAZ_ENV=production: GraphiQL off, introspection for admins only, unexpected errors masked, CORS from
configuration, security headers, and no start without a real signing key; development stays open."""

from __future__ import annotations

import logging
import secrets
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from api.config import Settings
from api.security import key_problem
from tests.conftest import GraphQL
from tests.factories import PASSWORD, make_officer, make_station

# Production runs only the apps' shipped operations for non-admins (api/persisted.py): sign in with
# the shipped Login operation itself.
LOGIN = (Path(__file__).parent.parent / "mobile_contract/operations/officer/Login.graphql").read_text()

KEY = secrets.token_urlsafe(48)
INTROSPECTION = "query Schema { __schema { queryType { name } types { name } } }"
TYPE = 'query T { __type(name: "Station") { name fields { name } } }'
INCIDENTS = "query Incidents { incidents(first: 3) { edges { node { id } } } }"
GQL = "application/graphql-response+json"


def production(tmp_path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "MARKAZ_ENV": "production",
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_SECRET_KEY": KEY,
            "MARKAZ_RATE_LIMIT": "off",
            **extra,
        }
    )


async def sign_in(gql: GraphQL, badge: str) -> dict[str, str]:
    body = await gql(LOGIN, {"badgeNumber": badge, "password": PASSWORD})
    return {"authorization": f"Bearer {body['data']['login']['accessToken']}"}


@pytest.fixture
async def prod(sessionmaker, tmp_path):
    app = create_app(
        production(tmp_path, MARKAZ_CORS_ORIGINS="https://map.markaz.example"), sessionmaker=sessionmaker
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://m.test") as c:
        yield c


@pytest.mark.parametrize("key", [None, "short-key", "p" * 40, "changeme-" * 5, "abcd" * 10, "0123456789" * 4])
def test_production_refuses_to_start_without_a_real_key(key, tmp_path):
    env = {"MARKAZ_ENV": "production", "MARKAZ_DATA_DIR": str(tmp_path)}
    if key:
        env["MARKAZ_SECRET_KEY"] = key
    with pytest.raises(RuntimeError, match="MARKAZ_SECRET_KEY"):
        create_app(Settings.from_env(env))


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(32),
        secrets.token_hex(16),
        secrets.token_hex(32),
        "correct horse battery staple on a quiet street",
    ],
)
def test_random_keys_are_real(key):
    assert key_problem(key) is None


async def test_graphiql_is_off_in_production(prod):
    page = await prod.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 406 and "graphiql" not in page.text.lower()
    # nor are its files (api/graphiql_page.py) served
    assert (await prod.get("/graphiql/graphiql.js")).status_code == 404
    assert (await prod.get("/graphiql/vendor/graphiql.min.js")).status_code == 404


async def test_introspection_is_refused_to_citizens_and_officers_in_production(prod, sessionmaker):
    # given
    async with sessionmaker() as session:
        station = await make_station(session)
        _, badge = await make_officer(session, role="STATION_COMMANDER", station_id=station)
        await session.commit()
    gql = GraphQL(prod)
    officer = await sign_in(gql, badge)
    for query in (INTROSPECTION, TYPE):
        for headers in ({}, officer):
            # when
            response = await prod.post("/graphql", json={"query": query}, headers={"accept": GQL, **headers})
            # then: refused, by the safelist (403) before the introspection rule (400) would
            assert response.status_code in (400, 403)
            code = response.json()["errors"][0]["extensions"]["code"]
            assert code in ("FORBIDDEN", "OPERATION_NOT_ALLOWED")
            assert "data" not in response.json()


def test_introspection_rule_itself():
    """The rule, apart from the safelist: admins only in production, everyone in development."""
    from api.limits import Limits, check_request
    from resolvers.policy import Viewer

    shape = _shape_of(INTROSPECTION)
    viewers = {
        role: Viewer(
            officer_id=1,
            role=role,
            station_id=1,
            station_governorate="NI",
            governorates=frozenset(),
            session_id=uuid.uuid4(),
        )
        for role in ("OFFICER", "STATION_COMMANDER", "SUPERVISOR", "ADMIN")
    }
    for role, viewer in [*viewers.items(), ("citizen", None)]:
        _, refused = check_request(shape, None, Limits(), viewer=viewer, production=True)
        assert (refused is None) == (role == "ADMIN"), role
        if refused is not None:
            assert refused.extensions == {"code": "FORBIDDEN"}
        _, refused = check_request(shape, None, Limits(), viewer=viewer, production=False)
        assert refused is None
    typename = _shape_of("query { __typename }")
    _, refused = check_request(typename, None, Limits(), viewer=None, production=True)
    assert refused is None


def _shape_of(query: str):
    from graphql import parse

    from api.limits import Limits, shape_of
    from schema import build_schema
    from schema.strawberry_internals import graphql_schema

    document = parse(query)
    return shape_of(graphql_schema(build_schema()), document, document.definitions[0], Limits())


async def test_introspection_is_open_to_admins_in_production(prod, sessionmaker):
    async with sessionmaker() as session:
        _, badge = await make_officer(session, role="ADMIN")
        await session.commit()
    gql = GraphQL(prod)
    admin = await sign_in(gql, badge)
    body = await gql(INTROSPECTION, headers=admin)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_is_open_in_development(gql):
    body = await gql(INTROSPECTION)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def _break_the_incidents_table(sessionmaker) -> None:
    """A real database failure: the table the query reads is gone (inside the test's rolled-back
    transaction, so nothing outlives the test)."""
    async with sessionmaker() as session:
        await session.execute(text("ALTER TABLE incidents RENAME TO incidents_gone_for_this_test"))
        await session.commit()


async def test_unexpected_errors_are_masked_in_production_and_logged_in_full(prod, sessionmaker, caplog):
    # given: an admin (who may send any document in production), and a database that fails
    async with sessionmaker() as session:
        _, badge = await make_officer(session, role="ADMIN")
        await session.commit()
    admin = await sign_in(GraphQL(prod), badge)
    await _break_the_incidents_table(sessionmaker)
    # when
    with caplog.at_level(logging.ERROR, logger="markaz.graphql"):
        response = await prod.post(
            "/graphql", json={"query": INCIDENTS}, headers={"accept": GQL, "accept-language": "en", **admin}
        )
    # then
    body = response.json()
    error = body["errors"][0]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert request_id in error["message"]
    for leak in ("FROM incidents", "SELECT", "Traceback", "asyncpg", "does not exist", "sqlalchemy"):
        assert leak not in response.text
    logged = "\n".join(r.getMessage() + str(r.exc_info[1] if r.exc_info else "") for r in caplog.records)
    assert "FROM incidents" in logged and caplog.records[0].request_id == request_id


async def test_unexpected_errors_show_in_development(gql, sessionmaker):
    async with sessionmaker() as session:
        _, badge = await make_officer(session, role="ADMIN")
        await session.commit()
    admin = await sign_in(gql, badge)
    await _break_the_incidents_table(sessionmaker)
    body = await gql(INCIDENTS, headers=admin)
    assert "incidents" in body["errors"][0]["message"]


async def test_cors_allows_configured_origins_only(prod):
    allowed = await prod.options(
        "/graphql",
        headers={
            "origin": "https://map.markaz.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://map.markaz.example"
    refused = await prod.options(
        "/graphql", headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
    )
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    simple = await prod.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in simple.headers


async def test_no_cors_without_configuration(client):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://map.markaz.example"}
    )
    assert "access-control-allow-origin" not in response.headers


async def test_security_headers_in_production(prod):
    response = await prod.post("/graphql", json={"query": "{ __typename }"})
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "unpkg" not in csp
    health = await prod.get("/healthz")
    assert health.headers["x-frame-options"] == "DENY"


async def test_development_policy_allows_no_other_origin_and_sends_no_hsts(client):
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    # GraphiQL's files are vendored (api/graphiql_page.py): scripts from this server only, none inline.
    assert "script-src 'self';" in csp and "unpkg" not in csp and "frame-ancestors 'none'" in csp
    assert "strict-transport-security" not in page.headers


async def test_trusted_proxy_addresses(sessionmaker, tmp_path):
    """X-Forwarded-For is believed only from a configured proxy, and read from the right."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from api.security import ClientAddress, trusted_networks

    async def who(request: Request):
        return JSONResponse({"client": request.client.host})

    from starlette.applications import Starlette

    inner = Starlette(routes=[Route("/who", who)])

    async def ask(networks, peer, forwarded=None):
        app = ClientAddress(inner, networks=trusted_networks(networks))
        transport = httpx.ASGITransport(app=app, client=(peer, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://m.test") as c:
            headers = {"x-forwarded-for": forwarded} if forwarded else {}
            return (await c.get("/who", headers=headers)).json()["client"]

    # a peer that is not a trusted proxy: its header is ignored
    assert await ask(("10.0.0.0/8",), "203.0.113.9", "198.51.100.1") == "203.0.113.9"
    # no proxies configured: never believed
    assert await ask((), "10.0.0.5", "198.51.100.1") == "10.0.0.5"
    # a trusted proxy: the nearest untrusted hop, not what the client wrote at the left
    assert await ask(("10.0.0.0/8",), "10.0.0.5", "1.2.3.4, 198.51.100.7, 10.0.0.9") == "198.51.100.7"
    # garbage from the proxy: the proxy's own address
    assert await ask(("10.0.0.5",), "10.0.0.5", "not-an-ip") == "10.0.0.5"
    with pytest.raises(ValueError, match="MARKAZ_TRUSTED_PROXIES"):
        trusted_networks(("nonsense",))


async def test_a_page_with_its_own_policy_keeps_it(client):
    """The /map page sends a stricter policy of its own; the app's default is not added beside it."""
    page = await client.get("/map")
    assert page.status_code == 200
    policies = page.headers.get_list("content-security-policy")
    assert len(policies) == 1 and "form-action 'none'" in policies[0]
    assert page.headers.get_list("x-content-type-options") == ["nosniff"]
    assert page.headers["x-frame-options"] == "DENY"  # what the page does not set is still added
