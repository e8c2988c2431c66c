"""Query limits, checked before execution: depth, tokens, fields, aliases (through fragments too) and the
cost budget, reported in `extensions.cost`; every shipped mobile operation within them; body and batch
sizes; the PostgreSQL statement timeout."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, parse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from api.config import Settings
from api.limits import MAX_PAGE, Limits, shape_of
from db.engine import make_engine
from schema import build_schema
from schema.strawberry_internals import graphql_schema
from tests.conftest import GraphQL

OPERATIONS = sorted((Path(__file__).parent.parent / "mobile_contract" / "operations").rglob("*.graphql"))
SCHEMA = graphql_schema(build_schema())
LIMITS = Limits()


def _shape(source: str):
    document = parse(source)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return shape_of(SCHEMA, document, operation, LIMITS)


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_mobile_operation_is_within_the_default_limits_at_its_largest(path):
    """The largest variables an app may send: pages of 100, a sync batch of 500 entries."""
    shape = _shape(path.read_text(encoding="utf-8"))
    largest = {"first": MAX_PAGE, "input": {"entries": [{}] * 500}}
    assert shape.depth <= LIMITS.max_depth and shape.aliases <= LIMITS.max_aliases
    assert shape.cost(largest) <= LIMITS.max_cost, shape.cost(largest)


def test_connections_cost_by_first_and_nested_lists_multiply():
    small = _shape("query { stations(first: 10) { edges { node { id } } } }").cost(None)
    large = _shape("query { stations(first: 100) { edges { node { id } } } }").cost(None)
    assert large > small * 9
    # variables are read at request time; the operation's defaults when absent
    shape = _shape("query Q($n: Int = 10) { stations(first: $n) { edges { node { id } } } }")
    assert shape.cost(None) == small and shape.cost({"n": 100}) == large
    # each edge's follow-ups (up to 20) and their owners multiply the page
    flat = _shape("query { engagements(first: 10) { edges { node { id } } } }").cost(None)
    nested = _shape("query { engagements(first: 10) { edges { node { id followUps { owner { id } } } } } }")
    assert nested.cost(None) >= flat + 10 * 20 * 2
    # scalars are free, and so is __typename
    assert _shape("query { __typename governorates { code } }").cost(None) == _shape(
        "query { governorates { code name } }"
    ).cost(None)


def test_a_sync_batch_costs_by_its_entries():
    shape = _shape(
        "mutation S($input: SyncFieldLogInput!) { syncFieldLog(input: $input) { results { node { id } } } }"
    )
    assert shape.cost({"input": {"entries": [{}] * 500}}) > shape.cost({"input": {"entries": [{}]}}) + 900


DEEP = "query Deep { me { station { governorate { capital { latitude } } } } }"


async def _app(sessionmaker, tmp_path, **env):
    settings = Settings.from_env({"MARKAZ_DATA_DIR": str(tmp_path), "MARKAZ_RATE_LIMIT": "off", **env})
    app = create_app(settings, sessionmaker=sessionmaker)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m.test")


async def test_depth_limit(sessionmaker, tmp_path):
    async with await _app(sessionmaker, tmp_path, MARKAZ_MAX_DEPTH="4") as c:
        gql = GraphQL(c)
        body = await gql(DEEP, status=400)
        assert body["errors"][0]["extensions"] == {
            "code": "LIMIT_EXCEEDED",
            "limit": "depth",
            "value": 5,
            "max": 4,
        }
        assert "depth is 5; the limit is 4" in body["errors"][0]["message"]
        # through a fragment: the same depth
        hidden = (
            "query Deep { me { ...S } } fragment S on Officer { station { governorate { capital "
            "{ latitude } } } }"
        )
        assert (await gql(hidden, status=400))["errors"][0]["extensions"]["value"] == 5
        # at the limit: runs
        ok = await gql("query Ok { me { station { governorate { code } } } }")
        assert ok["data"] == {"me": None}


async def test_alias_limit_counts_every_use_of_a_fragment(sessionmaker, tmp_path):
    async with await _app(sessionmaker, tmp_path, MARKAZ_MAX_ALIASES="5") as c:
        gql = GraphQL(c)
        three = "fragment F on Query { a: __typename b: __typename c: __typename }"
        body = await gql("query A { ...F x: governorates { code } } " + three)
        assert body["data"]["c"] == "Query" and len(body["data"]["x"]) == 18  # 4 aliases: runs
        body = await gql("query A { ...F ... { ...F } } " + three, status=400)
        assert body["errors"][0]["extensions"] == {
            "code": "LIMIT_EXCEEDED",
            "limit": "aliases",
            "value": 6,
            "max": 5,
        }


async def test_token_limit(sessionmaker, tmp_path):
    async with await _app(sessionmaker, tmp_path, MARKAZ_MAX_TOKENS="50") as c:
        gql = GraphQL(c)
        query = "query Many { " + " ".join(f"a{i}: __typename" for i in range(20)) + " }"
        body = await gql(query, status=400)
        assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "tokens", "max": 50}


async def test_fragments_that_double_stop_at_the_fields_limit(gql):
    """Each fragment uses the next twice: 2^40 fields from a few hundred tokens."""
    levels = 40
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    query = "query Boom { ...F0 } " + fragments + f" fragment F{levels} on Query {{ __typename }}"
    body = await gql(query, status=400)
    assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "fields", "max": 2000}


async def test_cost_limit_is_checked_before_execution_and_reported(sessionmaker, tmp_path):
    async with await _app(sessionmaker, tmp_path, MARKAZ_MAX_COST="100") as c:
        gql = GraphQL(c)
        query = "query S($n: Int) { stations(first: $n) { edges { node { id location { latitude } } } } }"
        ok = await gql(query, {"n": 10})
        assert ok["extensions"]["cost"] == {"requested": 21, "limit": 100}
        refused = await gql(query, {"n": 100}, status=400)
        assert "data" not in refused
        assert refused["errors"][0]["extensions"] == {
            "code": "LIMIT_EXCEEDED",
            "limit": "cost",
            "value": 201,
            "max": 100,
        }
        assert refused["errors"][0]["message"] == "The operation's cost is 201; the limit is 100."


async def test_plain_json_clients_get_limits_with_200(client):
    response = await client.post(
        "/graphql",
        json={
            "query": "query { ...F0 } "
            + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
            + " fragment F30 on Query { __typename }"
        },
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200 and response.json()["errors"][0]["extensions"]["limit"] == "fields"


async def test_body_size_limit(client):
    response = await client.post(
        "/graphql",
        content=b'{"query": "' + b" " * (1 << 20) + b'{__typename}"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    ok = await client.post(
        "/graphql",
        content=b'{"query": "' + b" " * 1000 + b'{__typename}"}',
        headers={"content-type": "application/json"},
    )
    assert ok.status_code == 200


async def test_batch_sizes(gql):
    """syncFieldLog's 500 entries and the 1 MiB body are tested in tests/test_sync.py
    (test_more_than_500_entries_are_refused_whole, test_a_body_over_one_mebibyte_is_refused_with_413)."""
    ids = ["U3RhdGlvbjox"] * 100
    assert "errors" not in await gql("query N($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    nodes = await gql("query N($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [*ids, ids[0]]})
    assert nodes["errors"][0]["extensions"]["argument"] == "ids"


async def test_statement_timeout_is_set_on_every_connection(database_url):
    engine = make_engine(database_url, pool_size=1, statement_timeout_ms=200)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW statement_timeout"))).scalar() == "200ms"
            with pytest.raises(DBAPIError, match="statement timeout"):
                await conn.execute(text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()


async def test_statement_timeout_comes_from_settings(tmp_path):
    assert Settings.from_env({"MARKAZ_STATEMENT_TIMEOUT_MS": "2500"}).statement_timeout_ms == 2500
    assert Settings.from_env({}).statement_timeout_ms == 10_000
    with pytest.raises(ValueError, match="MARKAZ_STATEMENT_TIMEOUT_MS"):
        Settings.from_env({"MARKAZ_STATEMENT_TIMEOUT_MS": "soon"})


async def test_a_page_out_of_range_is_refused_by_its_resolver_not_by_cost(gql):
    query = "query S($n: Int) { stations(first: $n) { edges { node { id closures { reason } } } } }"
    for n in (0, 101, 10**6):
        body = await gql(query, {"n": n})
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}
