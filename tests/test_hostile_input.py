"""Hostile input over HTTP: each gets a clear error naming what is wrong, at a bounded cost, never a 500.

Deeply nested variables (POST, GET); in production, invalid documents and variables that do not coerce
tell no one but admins the schema's names ("Did you mean ...?"). The WebSocket's share is in
tests/test_feed_abuse.py, exports' in tests/test_export_bounds.py.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from tests.conftest import GraphQL
from tests.factories import make_officer, make_station
from tests.test_production import production, sign_in

GQL = "application/graphql-response+json"
QUERY = "query G { governorates { code } }"


def nested(depth: int) -> str:
    """A JSON array `depth` levels deep, [[[...]]], as text (json.dumps itself recurses)."""
    return "[" * depth + "]" * depth


def body_with(depth: int) -> str:
    """A request body whose variables hold a value `depth` levels deep."""
    return '{"query": ' + json.dumps(QUERY) + ', "variables": {"x": ' + nested(depth) + "}}"


@pytest.mark.parametrize("depth", [40, 900, 5000])
async def test_deeply_nested_variables_are_refused_naming_variables(client, depth):
    # 40: beyond the documented 32; 900: deep enough to overflow a recursive walk; 5000: beyond what
    # orjson reads at all (1024)
    response = await client.post("/graphql", content=body_with(depth),
                                 headers={"content-type": "application/json", "accept": GQL})
    assert response.status_code == 400, response.text
    assert "`variables`" in response.json()["errors"][0]["message"]
    assert "32" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("depth", [40, 900])
async def test_deeply_nested_variables_in_a_get_are_refused_naming_variables(client, depth):
    params = {"query": QUERY, "variables": '{"x": ' + nested(depth) + "}"}
    response = await client.get("/graphql", params=params, headers={"accept": GQL})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"] == "`variables` may nest at most 32 levels deep."


async def test_variables_as_deep_as_allowed_still_run(client):
    # the variables object is level 1, so a value 31 levels deep inside it is level 32
    response = await client.post("/graphql", content=body_with(31),
                                 headers={"content-type": "application/json", "accept": GQL})
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["governorates"]) == 18


# --- production: no "Did you mean" to anyone but admins ----------------------------------------------

MISSPELT = "query Q { incidnts(first: 1) { edges { node { id } } } }"
SPELT = "query Q { incidents(first: 1) { edges { node { id } } } }"
OPERATIONS = Path(__file__).parent.parent / "mobile_contract/operations"
REPORT = (OPERATIONS / "officer/ReportIncident.graphql").read_text()  # a released operation


@pytest.fixture
async def prod_people(sessionmaker, tmp_path):
    app = create_app(production(tmp_path), sessionmaker=sessionmaker)
    async with sessionmaker() as session:
        station = await make_station(session)
        people = {role: (await make_officer(session, role=role,
                                            station_id=None if role == "ADMIN" else station))[1]
                  for role in ("OFFICER", "STATION_COMMANDER", "ADMIN")}
        await session.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://m.test") as client:
        gql = GraphQL(client)
        headers = {role: await sign_in(gql, badge) for role, badge in people.items()}
        headers["bad token"] = {"authorization": "Bearer not-a-token"}
        headers["citizen"] = {}
        yield client, headers


async def _post(client, query: str, headers: dict, variables: dict | None = None) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}},
                             headers={"accept": GQL, "accept-language": "en", **headers})


@pytest.mark.parametrize("who", ["citizen", "bad token", "OFFICER", "STATION_COMMANDER"])
async def test_in_production_an_invalid_document_tells_a_non_admin_nothing_of_the_schema(prod_people, who):
    client, headers = prod_people
    misspelt = await _post(client, MISSPELT, headers[who])
    assert "Did you mean" not in misspelt.text and "incidents" not in misspelt.text, misspelt.text
    # the answer is the one a valid document outside the released apps gets: nothing to tell them apart
    spelt = await _post(client, SPELT, headers[who])
    assert misspelt.status_code == spelt.status_code and misspelt.status_code in (401, 403)
    assert misspelt.json() == spelt.json()


async def test_in_production_an_admin_still_gets_the_hints(prod_people):
    client, headers = prod_people
    response = await _post(client, MISSPELT, headers["ADMIN"])
    assert response.status_code == 400
    assert "Did you mean 'incidents'?" in response.json()["errors"][0]["message"]


def _report(category: str) -> dict:
    return {"input": {"clientId": str(uuid.uuid4()), "category": category, "description": "x",
                      "occurredAt": "2026-01-01T10:00:00+03:00",
                      "location": {"latitude": 36.3, "longitude": 43.1}}}


@pytest.mark.parametrize(("who", "hinted"),
                         [("OFFICER", False), ("STATION_COMMANDER", False), ("ADMIN", True)])
async def test_in_production_variables_that_do_not_coerce_are_hinted_to_admins_only(prod_people, who, hinted):
    client, headers = prod_people
    response = await _post(client, REPORT, headers[who], _report("THEFTT"))
    assert response.status_code == 400, response.text
    message = response.json()["errors"][0]["message"]
    assert "'THEFTT' does not exist in 'IncidentCategory' enum" in message  # the error itself is kept
    assert ("Did you mean the enum value 'THEFT'?" in message) == hinted, message
