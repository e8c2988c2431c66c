"""Hostile input over HTTP: each gets a clear error naming what is wrong, at a bounded cost, never a 500.

Deeply nested variables (POST, GET); another station's records (and officers) answered exactly as missing
ones, so that nobody learns they exist; in production, invalid documents and variables that do not coerce
tell no one but admins the schema's names ("Did you mean ...?"). The WebSocket's share is in
tests/test_feed_abuse.py, exports' in tests/test_export_bounds.py.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from api.app import create_app
from tests.conftest import GraphQL
from tests.factories import make_officer, make_station
from tests.factories import sign_in as sign_in_dev
from tests.test_permissions import REPORT as REPORT_INCIDENT
from tests.test_permissions import START_PATROL, _ago, _ok, _records_of, gid
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
    response = await client.post(
        "/graphql", content=body_with(depth), headers={"content-type": "application/json", "accept": GQL}
    )
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
    response = await client.post(
        "/graphql", content=body_with(31), headers={"content-type": "application/json", "accept": GQL}
    )
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
        people = {
            role: (await make_officer(session, role=role, station_id=None if role == "ADMIN" else station))[1]
            for role in ("OFFICER", "STATION_COMMANDER", "ADMIN")
        }
        await session.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://m.test") as client:
        gql = GraphQL(client)
        headers = {role: await sign_in(gql, badge) for role, badge in people.items()}
        headers["bad token"] = {"authorization": "Bearer not-a-token"}
        headers["citizen"] = {}
        yield client, headers


async def _post(client, query: str, headers: dict, variables: dict | None = None) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"accept": GQL, "accept-language": "en", **headers},
    )


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
    return {
        "input": {
            "clientId": str(uuid.uuid4()),
            "category": category,
            "description": "x",
            "occurredAt": "2026-01-01T10:00:00+03:00",
            "location": {"latitude": 36.3, "longitude": 43.1},
        }
    }


@pytest.mark.parametrize(
    ("who", "hinted"), [("OFFICER", False), ("STATION_COMMANDER", False), ("ADMIN", True)]
)
async def test_in_production_variables_that_do_not_coerce_are_hinted_to_admins_only(prod_people, who, hinted):
    client, headers = prod_people
    response = await _post(client, REPORT, headers[who], _report("THEFTT"))
    assert response.status_code == 400, response.text
    message = response.json()["errors"][0]["message"]
    assert "'THEFTT' does not exist in 'IncidentCategory' enum" in message  # the error itself is kept
    assert ("Did you mean the enum value 'THEFT'?" in message) == hinted, message


# --- another station's record is answered as a missing one --------------------------------------------

NOBODY = 2_000_000_000  # a key no record has
PAIRS = {  # mutation: (input type, the input naming `ref`)
    "updateIncidentStatus": (
        "UpdateIncidentStatusInput",
        lambda ref: {"incidentId": ref, "status": "CLOSED", "expectedVersion": 1},
    ),
    "assignIncident": (
        "AssignIncidentInput",
        lambda ref: {"incidentId": ref, "officerIds": [gid("Officer", NOBODY)], "expectedVersion": 1},
    ),
    "appendPatrolTrack": (
        "AppendPatrolTrackInput",
        lambda ref: {
            "patrolId": ref,
            "fixes": [
                {"latitude": 36.40, "longitude": 43.10, "accuracyMeters": 6.0, "recordedAt": _ago(minutes=20)}
            ],
        },
    ),
    "endPatrol": ("EndPatrolInput", lambda ref: {"patrolId": ref, "endedAt": _ago(minutes=10)}),
    "updateFollowUpAction": (
        "UpdateFollowUpActionInput",
        lambda ref: {"followUpActionId": ref, "status": "DONE"},
    ),
}
KINDS = {
    "updateIncidentStatus": ("theft", "Incident"),
    "assignIncident": ("theft", "Incident"),
    "appendPatrolTrack": ("patrol", "Patrol"),
    "endPatrol": ("patrol", "Patrol"),
    "updateFollowUpAction": ("followUp", "FollowUpAction"),
}


def _mutation(field: str, input_type: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {field}(input: $input) "
        "{ errors { field code message } } }"
    )


async def _two_stations(gql, sessionmaker) -> SimpleNamespace:
    """Station A's records, made by its officer; station B's officer and commander, who may not see them."""
    async with sessionmaker() as session:
        a = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        b = await make_station(session, governorate="IQ-NI", latitude=36.34, longitude=43.12)
        people = {
            "offA": await make_officer(session, station_id=a),
            "cmdA": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "offB": await make_officer(session, station_id=b),
            "cmdB": await make_officer(session, role="STATION_COMMANDER", station_id=b),
        }
        await session.commit()
    headers = {
        name: {**await sign_in_dev(gql, badge), "accept-language": "en"}
        for name, (_, badge) in people.items()
    }
    records = await _records_of(
        gql, headers["offA"], a, place={"latitude": 36.40, "longitude": 43.10}, dv=False
    )
    return SimpleNamespace(a=a, ids={n: i for n, (i, _) in people.items()}, headers=headers, records=records)


@pytest.mark.parametrize("field", PAIRS)
@pytest.mark.parametrize("who", ["offB", "cmdB"])
async def test_another_stations_record_is_answered_as_a_missing_one(gql, sessionmaker, field, who):
    world = await _two_stations(gql, sessionmaker)
    input_type, values = PAIRS[field]
    name, kind = KINDS[field]
    query = _mutation(field, input_type)
    theirs = await gql(query, {"input": values(world.records[name])}, headers=world.headers[who])
    missing = await gql(query, {"input": values(gid(kind, NOBODY))}, headers=world.headers[who])
    if field == "assignIncident" and who == "offB":  # officers assign nothing: refused before any lookup
        assert theirs == missing and theirs["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        return
    assert theirs == missing, (theirs, missing)
    assert [e["code"] for e in theirs["data"][field]["errors"]] == ["NOT_FOUND"]
    # and the same by the node query: nothing, in both cases
    seen = [
        await gql("query N($id: ID!) { node(id: $id) { id } }", {"id": ref}, headers=world.headers[who])
        for ref in (world.records[name], gid(kind, NOBODY))
    ]
    assert seen[0] == seen[1] and seen[0]["data"] == {"node": None}


async def test_a_client_id_of_another_stations_record_is_answered_as_an_unknown_one(gql, sessionmaker):
    world = await _two_stations(gql, sessionmaker)
    incident, patrol = uuid.uuid4(), uuid.uuid4()
    await _ok(
        gql,
        REPORT_INCIDENT,
        "reportIncident",
        {
            "clientId": str(incident),
            "category": "THEFT",
            "location": {"latitude": 36.40, "longitude": 43.10},
            "occurredAt": _ago(hours=1),
            "description": "x",
            "stationId": gid("Station", world.a),
        },
        world.headers["offA"],
    )
    await _ok(
        gql,
        START_PATROL,
        "startPatrol",
        {"clientId": str(patrol), "startedAt": _ago(hours=1)},
        world.headers["offA"],
    )
    for field, values, key in (
        (
            "updateIncidentStatus",
            lambda k: {"incidentClientId": k, "status": "CLOSED", "expectedVersion": 1},
            incident,
        ),
        ("endPatrol", lambda k: {"patrolClientId": k, "endedAt": _ago(minutes=10)}, patrol),
    ):
        query = _mutation(field, PAIRS[field][0])
        theirs = await gql(query, {"input": values(str(key))}, headers=world.headers["offB"])
        unknown = await gql(query, {"input": values(str(uuid.uuid4()))}, headers=world.headers["offB"])
        assert theirs == unknown and [e["code"] for e in theirs["data"][field]["errors"]] == ["NOT_FOUND"]


async def test_another_stations_officer_is_answered_as_an_unknown_one(gql, sessionmaker):
    world = await _two_stations(gql, sessionmaker)
    other, nobody = gid("Officer", world.ids["offB"]), gid("Officer", NOBODY)
    # assigning A's incident (by A's commander) to B's officer, or to nobody
    query = _mutation("assignIncident", "AssignIncidentInput")
    answers = [
        await gql(
            query,
            {"input": {"incidentId": world.records["theft"], "officerIds": [officer], "expectedVersion": 1}},
            headers=world.headers["cmdA"],
        )
        for officer in (other, nobody)
    ]
    assert answers[0] == answers[1] and answers[0]["data"]["assignIncident"]["errors"], answers
    # a follow-up action at A owned by B's officer, or by nobody
    query = _mutation("logEngagement", "LogEngagementInput")
    answers = [
        await gql(
            query,
            {
                "input": {
                    "clientId": str(uuid.uuid4()),
                    "kind": "COMMUNITY_MEETING",
                    "occurredAt": _ago(hours=2),
                    "location": {"latitude": 36.40, "longitude": 43.10},
                    "followUps": [{"description": "Street lights.", "ownerId": owner}],
                }
            },
            headers=world.headers["offA"],
        )
        for owner in (other, nobody)
    ]
    assert answers[0] == answers[1] and answers[0]["data"]["logEngagement"]["errors"], answers


@pytest.mark.parametrize(
    "query",
    [
        "query($p: GeoPointInput!) { nearestStations(near: $p) { station { id } } }",
        "query($p: GeoPointInput!) { locateStation(near: $p) { id } }",
    ],
)
async def test_a_subnormal_coordinate_is_answered_not_a_500(gql, query):
    # 5e-237 is a valid float in range, but PostgreSQL's trigonometry refuses it as an underflow
    body = await gql(query, {"p": {"latitude": 5e-237, "longitude": 1e-300}})
    assert "errors" not in body, body
