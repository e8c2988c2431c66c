"""GraphQL over HTTP: media types, status codes, GET, health endpoints, request ids."""

from __future__ import annotations

import json

GQL = "application/graphql-response+json"
QUERY = "query G { governorates { code } }"


async def test_post_with_graphql_response_json(client):
    response = await client.post("/graphql", json={"query": QUERY}, headers={"accept": GQL})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GQL)
    assert len(response.json()["data"]["governorates"]) == 18


async def test_legacy_accept_gets_application_json(client):
    for accept in (None, "application/json", "*/*"):
        headers = {"accept": accept} if accept else {}
        response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")


async def test_unsupported_accept_is_406_and_content_type_415(client):
    csv = await client.post("/graphql", json={"query": QUERY}, headers={"accept": "text/csv"})
    assert csv.status_code == 406
    text = {"content-type": "text/plain", "accept": GQL}
    response = await client.post("/graphql", content=QUERY, headers=text)
    assert response.status_code == 415


async def test_parse_and_validation_errors_are_400_with_graphql_response_json_and_200_with_json(client):
    for query in ("query {", "query { noSuchField }"):
        strict = await client.post("/graphql", json={"query": query}, headers={"accept": GQL})
        assert strict.status_code == 400
        assert "data" not in strict.json() and strict.json()["errors"]
        legacy = await client.post("/graphql", json={"query": query}, headers={"accept": "application/json"})
        assert legacy.status_code == 200
        assert legacy.json()["errors"]


async def test_malformed_requests_are_400(client):
    for body in (
        b"{not json",
        b"[]",
        json.dumps({"query": 5}).encode(),
        json.dumps({}).encode(),
        json.dumps({"query": QUERY, "variables": [1]}).encode(),
    ):
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json", "accept": GQL}
        )
        assert response.status_code == 400, body


async def test_get_runs_queries_and_refuses_mutations(client):
    response = await client.get("/graphql", params={"query": QUERY}, headers={"accept": GQL})
    assert response.status_code == 200 and len(response.json()["data"]["governorates"]) == 18
    variables = json.dumps({"id": "U3RhdGlvbjox"})
    response = await client.get(
        "/graphql",
        params={"query": "query S($id: ID!) { station(id: $id) { id } }", "variables": variables},
        headers={"accept": GQL},
    )
    assert response.status_code == 200 and response.json()["data"] == {"station": None}
    params = {"query": "mutation { __typename }"}
    mutation = await client.get("/graphql", params=params, headers={"accept": GQL})
    assert mutation.status_code == 405
    assert "POST" in mutation.headers["allow"]


async def test_operation_name_selects_and_unknown_name_is_a_request_error(client):
    doc = "query A { governorates { code } } query B { governorates { name } }"
    ok = await client.post("/graphql", json={"query": doc, "operationName": "B"}, headers={"accept": GQL})
    assert ok.status_code == 200 and "name" in ok.json()["data"]["governorates"][0]
    missing = await client.post("/graphql", json={"query": doc}, headers={"accept": GQL})
    assert missing.status_code == 400


async def test_graphiql_in_development(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_request_id_is_echoed_or_made(client):
    given = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32


async def test_oversized_body_is_413(client):
    body = json.dumps({"query": QUERY, "variables": {"pad": "x" * (1 << 20)}})
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": GQL}
    )
    assert response.status_code == 413


async def test_graphiql_is_off_in_production_and_production_needs_a_key(sessionmaker, tmp_path):
    import httpx
    import pytest

    from api.app import create_app
    from api.config import Settings

    with pytest.raises(RuntimeError, match="MARKAZ_SECRET_KEY"):
        create_app(
            Settings.from_env({"MARKAZ_ENV": "production", "MARKAZ_DATA_DIR": str(tmp_path)}),
            sessionmaker=sessionmaker,
        )
    settings = Settings.from_env(
        {
            "MARKAZ_ENV": "production",
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_SECRET_KEY": "Zq8-rT2vLx9KmW4nPb7YcE1uHs6Dg3JfA5",
        }
    )
    app = create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m.test") as prod:
        page = await prod.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()
        assert page.status_code == 406
