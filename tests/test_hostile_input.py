"""Hostile input over HTTP: each gets a clear error naming what is wrong, at a bounded cost, never a 500.

Deeply nested variables (POST, GET), ... (the WebSocket's share is in tests/test_feed_abuse.py).
"""

from __future__ import annotations

import json

import pytest

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
