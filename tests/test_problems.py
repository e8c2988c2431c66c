"""Problems (SARA): the five stages and their transitions, links to engagements, incidents and follow-up
actions, optimistic concurrency, idempotency by client id, whole validation, syncFieldLog entries, the
audit log, who may (each refusal), and how a sensitive incident tied to a problem is listed."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import text

from schema.node import to_global_id
from tests.factories import make_officer, make_station, sign_in

EN = {"accept-language": "en"}
HERE = {"latitude": 36.40123, "longitude": 43.20456}
BASRA = {"latitude": 30.51, "longitude": 47.81}
AREA = {
    "type": "Polygon",
    "coordinates": [[[43.19, 36.39], [43.22, 36.39], [43.22, 36.41], [43.19, 36.41], [43.19, 36.39]]],
}

PROBLEM = """
fragment ProblemFields on Problem {
  id clientId title description language area categories topics priority stage allowedStages version
  openedAt responseStartedAt closedAt published
  station { id } owner { id } openedBy { id }
  engagements { id } incidents { id detailsHidden description } followUpActions { id }
}
"""
OPEN = (
    PROBLEM
    + """
mutation Open($input: OpenProblemInput!) {
  openProblem(input: $input) { problem { ...ProblemFields } currentVersion errors { field code message } }
}"""
)
UPDATE = (
    PROBLEM
    + """
mutation Update($input: UpdateProblemInput!) {
  updateProblem(input: $input) { problem { ...ProblemFields } currentVersion errors { field code message } }
}"""
)
LIST = (
    PROBLEM
    + """
query Problems($filter: ProblemFilter, $first: Int, $after: String) {
  problems(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { ...ProblemFields } } pageInfo { hasNextPage endCursor }
  }
}"""
)
NODE = PROBLEM + "query Node($id: ID!) { node(id: $id) { ...ProblemFields } }"
SYNC = """
mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) {
    results {
      clientId kind status currentVersion errors { field code } node { id ... on Problem { version stage } }
    }
    errors { code }
  }
}"""
REPORT = """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id } errors { field code } }
}"""
LOG = """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) { engagement { id followUps { id } } errors { field code } }
}"""


def gid(type_name: str, key: object) -> str:
    return to_global_id(type_name, key)


def key_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def _world(gql, sessionmaker) -> SimpleNamespace:
    """Stations A and B in Nineveh, C in Basra; at A two officers and the commander; a supervisor of each
    governorate, an admin, an officer of B, the commander of C."""
    async with sessionmaker() as session:
        a = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        b = await make_station(session, governorate="IQ-NI", latitude=36.34, longitude=43.12)
        c = await make_station(session, governorate="IQ-BA", latitude=30.50, longitude=47.80)
        people = {
            "officer": await make_officer(session, station_id=a),
            "colleague": await make_officer(session, station_id=a, gender="FEMALE"),
            "commander": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "other_station": await make_officer(session, station_id=b),
            "commander_c": await make_officer(session, role="STATION_COMMANDER", station_id=c),
            "supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "supervisor_basra": await make_officer(session, role="SUPERVISOR", governorates=("IQ-BA",)),
            "admin": await make_officer(session, role="ADMIN"),
        }
        await session.commit()
    world = SimpleNamespace(a=a, b=b, c=c, ids={}, headers={"citizen": EN})
    for name, (officer_id, badge) in people.items():
        world.ids[name] = officer_id
        world.headers[name] = {**EN, **await sign_in(gql, badge)}
    return world


async def _ok(gql, query: str, field: str, values: dict, headers: dict) -> dict:
    body = await gql(query, {"input": values}, headers=headers)
    assert "errors" not in body and body["data"][field]["errors"] == [], body
    return body["data"][field]


async def _incident(gql, world, who="officer", **overrides) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "category": "THEFT",
        "location": HERE,
        "occurredAt": _ago(hours=3),
        "description": "A motorcycle taken from outside the market.",
        **overrides,
    }
    return (await _ok(gql, REPORT, "reportIncident", values, world.headers[who]))["incident"]["id"]


async def _engagement(gql, world, who="officer", **overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "kind": "COMMUNITY_MEETING",
        "location": HERE,
        "occurredAt": _ago(hours=2),
        "attendees": {"total": 30, "women": 12, "youth": 8},
        "topics": ["motorcycle thefts"],
        "followUps": [{"description": "Ask the market's shops for camera footage."}],
        **overrides,
    }
    return (await _ok(gql, LOG, "logEngagement", values, world.headers[who]))["engagement"]


def _open_values(**overrides) -> dict:
    return {
        "clientId": str(uuid.uuid4()),
        "title": "Motorcycle thefts at the old market",
        "description": "Residents say motorcycles go missing every week outside the old market.",
        "categories": ["THEFT"],
        "topics": ["motorcycle thefts", "street lights"],
        "priority": "HIGH",
        **overrides,
    }


async def _open(gql, world, who="officer", **overrides) -> dict:
    return (await _ok(gql, OPEN, "openProblem", _open_values(**overrides), world.headers[who]))["problem"]


async def _update(gql, world, who, problem: dict, **values) -> dict:
    body = await gql(
        UPDATE,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "problemId": problem["id"],
                "expectedVersion": problem["version"],
                **values,
            }
        },
        headers=world.headers[who],
    )
    assert "errors" not in body, body
    return body["data"]["updateProblem"]


async def _scalar(sessionmaker, sql: str, **params):
    async with sessionmaker() as session:
        return (await session.execute(text(sql), params)).scalar()


# --- the five stages ----------------------------------------------------------------------------------


async def test_a_problem_goes_through_all_five_stages(gql, sessionmaker):
    # given: an engagement where residents raised it, an incident that shows it
    world = await _world(gql, sessionmaker)
    engagement = await _engagement(gql, world)
    incident = await _incident(gql, world)
    (action,) = engagement["followUps"]
    # when: the officer opens it, tied to both, in a drawn area
    problem = await _open(
        gql,
        world,
        area=AREA,
        links=[{"kind": "ENGAGEMENT", "id": engagement["id"]}, {"kind": "INCIDENT", "id": incident}],
    )
    # then
    assert problem["stage"] == "SCANNING" and problem["version"] == 1
    assert problem["allowedStages"] == ["ANALYSIS", "CLOSED"]
    assert problem["language"] == "EN" and problem["priority"] == "HIGH" and problem["area"] == AREA
    assert problem["station"]["id"] == gid("Station", world.a)
    assert problem["owner"]["id"] == problem["openedBy"]["id"] == gid("Officer", world.ids["officer"])
    assert [e["id"] for e in problem["engagements"]] == [engagement["id"]]
    assert [i["id"] for i in problem["incidents"]] == [incident]
    assert problem["responseStartedAt"] is None
    # when: through analysis to response (with the follow-up action as the response), then assessment
    problem = (await _update(gql, world, "officer", problem, stage="ANALYSIS"))["problem"]
    assert problem["stage"] == "ANALYSIS" and problem["version"] == 2
    before = datetime.now(UTC)
    problem = (
        await _update(
            gql,
            world,
            "commander",
            problem,
            stage="RESPONSE",
            addLinks=[{"kind": "FOLLOW_UP_ACTION", "id": action["id"]}],
        )
    )["problem"]
    assert problem["stage"] == "RESPONSE" and problem["version"] == 3
    started = datetime.fromisoformat(problem["responseStartedAt"])
    assert before - timedelta(seconds=5) <= started <= datetime.now(UTC) + timedelta(seconds=5)
    assert [a["id"] for a in problem["followUpActions"]] == [action["id"]]
    problem = (await _update(gql, world, "colleague", problem, stage="ASSESSMENT"))["problem"]
    assert problem["stage"] == "ASSESSMENT" and problem["allowedStages"] == ["ANALYSIS", "RESPONSE", "CLOSED"]
    problem = (await _update(gql, world, "officer", problem, stage="CLOSED"))["problem"]
    # then: closed, with its history in the audit log
    assert problem["stage"] == "CLOSED" and problem["version"] == 5 and problem["closedAt"] is not None
    assert datetime.fromisoformat(problem["responseStartedAt"]) == started
    stages = await _scalar(
        sessionmaker,
        "SELECT string_agg(after->>'stage', ',' ORDER BY id) FROM audit_log "
        "WHERE entity_type = 'Problem' AND entity_id = :e",
        e=str(key_of(problem["id"])),
    )
    assert stages == "SCANNING,ANALYSIS,RESPONSE,ASSESSMENT,CLOSED"
    # and a closed problem reopens in scanning
    reopened = (await _update(gql, world, "officer", problem, stage="SCANNING"))["problem"]
    assert reopened["stage"] == "SCANNING" and reopened["closedAt"] is None


async def test_a_stage_out_of_order_is_refused_and_nothing_else_applies(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    problem = await _open(gql, world)
    payload = await _update(gql, world, "officer", problem, stage="RESPONSE", title="A new title")
    assert payload["problem"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["stage"], "INVALID")]
    assert "ANALYSIS, CLOSED" in payload["errors"][0]["message"]
    stored = await _scalar(
        sessionmaker,
        "SELECT stage || ' ' || version || ' ' || title FROM problems WHERE id = :i",
        i=key_of(problem["id"]),
    )
    assert stored == "SCANNING 1 Motorcycle thefts at the old market"


async def test_a_stale_version_is_a_conflict_with_the_current_problem(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    problem = await _open(gql, world)
    await _update(gql, world, "officer", problem, stage="ANALYSIS")
    # when: the colleague's phone still holds version 1
    payload = await _update(gql, world, "colleague", problem, priority="LOW")
    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["expectedVersion"], "CONFLICT")]
    assert payload["currentVersion"] == 2 and payload["problem"]["version"] == 2
    assert payload["problem"]["priority"] == "HIGH"


async def test_opening_and_updating_are_idempotent_by_client_id(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    values = _open_values()
    first = await _ok(gql, OPEN, "openProblem", values, world.headers["officer"])
    again = await _ok(gql, OPEN, "openProblem", values, world.headers["officer"])
    assert again["problem"]["id"] == first["problem"]["id"]
    assert await _scalar(sessionmaker, "SELECT count(*) FROM problems WHERE station_id = :a", a=world.a) == 1
    # the same client id with other content
    body = await gql(OPEN, {"input": {**values, "title": "Another"}}, headers=world.headers["officer"])
    assert [e["code"] for e in body["data"]["openProblem"]["errors"]] == ["CONFLICT"]
    # an update sent twice moves the problem once
    update = {
        "clientId": str(uuid.uuid4()),
        "problemId": first["problem"]["id"],
        "expectedVersion": 1,
        "stage": "ANALYSIS",
    }
    one = await _ok(gql, UPDATE, "updateProblem", update, world.headers["officer"])
    two = await _ok(gql, UPDATE, "updateProblem", update, world.headers["officer"])
    assert one["problem"]["version"] == two["problem"]["version"] == 2
    assert (
        await _scalar(
            sessionmaker, "SELECT version FROM problems WHERE id = :i", i=key_of(first["problem"]["id"])
        )
        == 2
    )


async def test_an_input_is_checked_whole_and_nothing_is_stored(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    theirs = await _incident(gql, world, who="other_station")
    body = await gql(
        OPEN,
        {
            "input": _open_values(
                title="  ",
                description="x" * 4001,
                topics=["t"] * 21,
                area={"type": "Point", "coordinates": [43.2, 36.4]},
                ownerId=gid("Officer", world.ids["other_station"]),
                links=[
                    {"kind": "INCIDENT", "id": theirs},
                    {"kind": "ENGAGEMENT", "id": "bm90LWFuLWlk"},
                    {"kind": "FOLLOW_UP_ACTION"},
                ],
            )
        },
        headers=world.headers["officer"],
    )
    errors = {(".".join(e["field"]), e["code"]) for e in body["data"]["openProblem"]["errors"]}
    assert errors == {
        ("title", "INVALID"),
        ("description", "INVALID"),
        ("topics", "INVALID"),
        ("area", "INVALID"),
        ("ownerId", "INVALID"),
        ("links.0.id", "NOT_FOUND"),  # another station's incident: as a missing one
        ("links.1.id", "INVALID"),
        ("links.2.id", "INVALID"),
    }
    assert await _scalar(sessionmaker, "SELECT count(*) FROM problems") == 0
    assert await _scalar(sessionmaker, "SELECT count(*) FROM client_requests WHERE kind = 'openProblem'") == 0


async def test_links_are_added_and_removed_and_an_untied_one_cannot_be_removed(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    first, second = await _incident(gql, world), await _incident(gql, world)
    problem = await _open(gql, world, links=[{"kind": "INCIDENT", "id": first}])
    payload = await _update(
        gql,
        world,
        "officer",
        problem,
        addLinks=[{"kind": "INCIDENT", "id": second}, {"kind": "INCIDENT", "id": first}],
        removeLinks=[{"kind": "INCIDENT", "id": first}],
    )
    assert [i["id"] for i in payload["problem"]["incidents"]] == [second]
    payload = await _update(
        gql, world, "officer", payload["problem"], removeLinks=[{"kind": "INCIDENT", "id": first}]
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["removeLinks", "0"], "INVALID")]
    # an update with nothing in it is refused
    payload = await _update(gql, world, "officer", problem | {"version": 2})
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]


async def test_open_and_update_work_as_sync_entries(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    engagement_client_id, problem_client_id = str(uuid.uuid4()), str(uuid.uuid4())
    entries = [
        {
            "logEngagement": {
                "clientId": engagement_client_id,
                "kind": "MARKET_WALK",
                "location": HERE,
                "occurredAt": _ago(hours=5),
            }
        },
        # names the engagement and the problem by their client ids: made earlier in the same batch
        {
            "openProblem": _open_values(
                clientId=problem_client_id, links=[{"kind": "ENGAGEMENT", "clientId": engagement_client_id}]
            )
        },
        {
            "updateProblem": {
                "clientId": str(uuid.uuid4()),
                "problemClientId": problem_client_id,
                "expectedVersion": 1,
                "stage": "ANALYSIS",
            }
        },
        {
            "updateProblem": {
                "clientId": str(uuid.uuid4()),
                "problemClientId": problem_client_id,
                "expectedVersion": 1,
                "priority": "LOW",
            }
        },
        {
            "updateProblem": {
                "clientId": str(uuid.uuid4()),
                "problemClientId": problem_client_id,
                "expectedVersion": 2,
                "stage": "RESPONSE",
                "title": "",
            }
        },
    ]
    body = await gql(SYNC, {"input": {"entries": entries}}, headers=world.headers["officer"])
    results = body["data"]["syncFieldLog"]["results"]
    assert [r["status"] for r in results] == ["APPLIED", "APPLIED", "APPLIED", "CONFLICT", "REJECTED"]
    assert results[2]["node"] == {"id": results[1]["node"]["id"], "version": 2, "stage": "ANALYSIS"}
    assert results[3]["currentVersion"] == 2
    assert [e["field"] for e in results[4]["errors"]] == [["updateProblem", "title"]]
    problem_id = key_of(results[1]["node"]["id"])
    assert await _scalar(sessionmaker, "SELECT stage FROM problems WHERE id = :i", i=problem_id) == "ANALYSIS"
    assert (
        await _scalar(sessionmaker, "SELECT count(*) FROM problem_links WHERE problem_id = :i", i=problem_id)
        == 1
    )
    # the batch sent again: every applied entry a duplicate, nothing changed
    again = await gql(SYNC, {"input": {"entries": entries[:3]}}, headers=world.headers["officer"])
    assert [r["status"] for r in again["data"]["syncFieldLog"]["results"]] == ["DUPLICATE"] * 3
    assert await _scalar(sessionmaker, "SELECT version FROM problems WHERE id = :i", i=problem_id) == 2


async def test_the_list_filters_and_pages(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    made = [await _open(gql, world, priority=p) for p in ("LOW", "HIGH", "HIGH")]
    await _update(gql, world, "officer", made[0], stage="ANALYSIS")
    body = await gql(LIST, {"first": 2}, headers=world.headers["officer"])
    page = body["data"]["problems"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    assert [e["node"]["id"] for e in page["edges"]] == [made[2]["id"], made[1]["id"]]
    rest = await gql(
        LIST, {"first": 2, "after": page["pageInfo"]["endCursor"]}, headers=world.headers["officer"]
    )
    assert [e["node"]["id"] for e in rest["data"]["problems"]["edges"]] == [made[0]["id"]]
    body = await gql(
        LIST, {"filter": {"stages": ["SCANNING"], "priorities": ["HIGH"]}}, headers=world.headers["officer"]
    )
    assert body["data"]["problems"]["totalCount"] == 2
    body = await gql(LIST, {"after": "bad"}, headers=world.headers["officer"])
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- who may --------------------------------------------------------------------------------------------


def _top_code(body: dict) -> str | None:
    return body["errors"][0]["extensions"]["code"] if "errors" in body else None


async def test_who_may_open_update_and_read_problems(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    problem = await _open(gql, world)
    station_a = gid("Station", world.a)
    # the station's officers and commander, and admins, open and update
    for who in ("officer", "colleague", "commander", "admin"):
        made = await _open(
            gql, world, who=who, stationId=station_a, ownerId=gid("Officer", world.ids["officer"])
        )
        assert made["station"]["id"] == station_a
    current = problem
    for who in ("colleague", "commander", "admin"):
        current = (await _update(gql, world, who, current, topics=[who]))["problem"]
        assert current["topics"] == [who]
    # supervisors read within their scope, never write
    for who in ("supervisor", "admin", "commander"):
        body = await gql(NODE, {"id": problem["id"]}, headers=world.headers[who])
        assert body["data"]["node"]["id"] == problem["id"], who
    body = await gql(LIST, headers=world.headers["supervisor"])
    assert body["data"]["problems"]["totalCount"] == 5
    body = await gql(OPEN, {"input": _open_values(stationId=station_a)}, headers=world.headers["supervisor"])
    assert _top_code(body) == "FORBIDDEN" and body["data"] is None
    body = await gql(
        UPDATE,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "problemId": problem["id"],
                "expectedVersion": 4,
                "priority": "LOW",
            }
        },
        headers=world.headers["supervisor"],
    )
    assert _top_code(body) == "FORBIDDEN"
    # another station's officer, another governorate's supervisor and commander: nothing of A's
    for who in ("other_station", "supervisor_basra", "commander_c"):
        body = await gql(NODE, {"id": problem["id"]}, headers=world.headers[who])
        assert body["data"]["node"] is None, who
        body = await gql(LIST, headers=world.headers[who])
        assert body["data"]["problems"]["totalCount"] == 0, who
        body = await gql(OPEN, {"input": _open_values(stationId=station_a)}, headers=world.headers[who])
        assert _top_code(body) == "FORBIDDEN", who
        payload = await _update(gql, world, who, current, priority="LOW")
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], who
    # citizens: nothing
    body = await gql(LIST, headers=world.headers["citizen"])
    assert _top_code(body) == "UNAUTHENTICATED"
    body = await gql(NODE, {"id": problem["id"]}, headers=world.headers["citizen"])
    assert body["data"]["node"] is None
    for document, values in (
        (OPEN, _open_values(stationId=station_a)),
        (
            UPDATE,
            {
                "clientId": str(uuid.uuid4()),
                "problemId": problem["id"],
                "expectedVersion": 1,
                "priority": "LOW",
            },
        ),
    ):
        body = await gql(document, {"input": values}, headers=world.headers["citizen"])
        assert _top_code(body) == "UNAUTHENTICATED"
    assert (
        await _scalar(sessionmaker, "SELECT version FROM problems WHERE id = :i", i=key_of(problem["id"]))
        == 4
    )


# --- sensitive incidents --------------------------------------------------------------------------------


async def test_a_sensitive_incident_is_tied_and_listed_only_by_the_people_on_its_case(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    dv = await _incident(
        gql, world, category="DOMESTIC_VIOLENCE", description="Beaten at home; the neighbours called."
    )
    theft = await _incident(gql, world)
    problem = await _open(gql, world, links=[{"kind": "INCIDENT", "id": theft}])
    # off its case (the station's other officer, the supervisor): tying it is refused, nothing changes
    body = await gql(
        UPDATE,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "problemId": problem["id"],
                "expectedVersion": 1,
                "addLinks": [{"kind": "INCIDENT", "id": dv}],
            }
        },
        headers=world.headers["colleague"],
    )
    assert _top_code(body) == "FORBIDDEN"
    assert await _scalar(sessionmaker, "SELECT count(*) FROM problem_links") == 1
    # on its case (its reporter): tied
    payload = await _update(gql, world, "officer", problem, addLinks=[{"kind": "INCIDENT", "id": dv}])
    assert {i["id"] for i in payload["problem"]["incidents"]} == {theft, dv}
    listed = {i["id"]: i for i in payload["problem"]["incidents"]}
    assert listed[dv]["detailsHidden"] is False and "Beaten" in listed[dv]["description"]
    # listed to its case (reporter, commander, admin); left out for everyone else who sees the problem
    for who, seen in (
        ("officer", {theft, dv}),
        ("commander", {theft, dv}),
        ("admin", {theft, dv}),
        ("colleague", {theft}),
        ("supervisor", {theft}),
    ):
        body = await gql(NODE, {"id": problem["id"]}, headers=world.headers[who])
        assert {i["id"] for i in body["data"]["node"]["incidents"]} == seen, who
        body = await gql(LIST, headers=world.headers[who])
        (edge,) = body["data"]["problems"]["edges"]
        assert {i["id"] for i in edge["node"]["incidents"]} == seen, who
    # off its case, untying it is refused too
    payload_version = payload["problem"]["version"]
    body = await gql(
        UPDATE,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "problemId": problem["id"],
                "expectedVersion": payload_version,
                "removeLinks": [{"kind": "INCIDENT", "id": dv}],
            }
        },
        headers=world.headers["colleague"],
    )
    assert _top_code(body) == "FORBIDDEN"
    # a sensitive read by the people on its case is audited
    reads = await _scalar(
        sessionmaker,
        "SELECT count(*) FROM audit_log WHERE action = 'read_sensitive' AND entity_id = :e",
        e=str(key_of(dv)),
    )
    assert reads >= 1


async def test_a_household_engagement_is_tied_only_by_its_case(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    visit = await _engagement(gql, world, kind="HOME_VISIT", followUps=[])
    problem = await _open(gql, world, who="colleague")
    body = await gql(
        UPDATE,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "problemId": problem["id"],
                "expectedVersion": 1,
                "addLinks": [{"kind": "ENGAGEMENT", "id": visit["id"]}],
            }
        },
        headers=world.headers["colleague"],
    )
    assert _top_code(body) == "FORBIDDEN"
    payload = await _update(
        gql, world, "officer", problem, addLinks=[{"kind": "ENGAGEMENT", "id": visit["id"]}]
    )
    assert [e["id"] for e in payload["problem"]["engagements"]] == [visit["id"]]
    body = await gql(NODE, {"id": problem["id"]}, headers=world.headers["colleague"])
    assert body["data"]["node"]["engagements"] == []


async def test_the_list_reads_links_in_a_fixed_number_of_statements(gql, sessionmaker):
    from tests.factories import statements

    world = await _world(gql, sessionmaker)

    async def listed() -> int:
        with statements(sessionmaker) as seen:
            body = await gql(LIST, {"first": 50}, headers=world.headers["commander"])
        assert "errors" not in body, body
        return len(seen)

    for _ in range(2):
        engagement = await _engagement(gql, world)
        links = [
            {"kind": "INCIDENT", "id": await _incident(gql, world)},
            {"kind": "ENGAGEMENT", "id": engagement["id"]},
            {"kind": "FOLLOW_UP_ACTION", "id": engagement["followUps"][0]["id"]},
        ]
        await _open(gql, world, links=links)
    few = await listed()
    for _ in range(4):
        engagement = await _engagement(gql, world)
        links = [
            {"kind": "INCIDENT", "id": await _incident(gql, world)},
            {"kind": "ENGAGEMENT", "id": engagement["id"]},
            {"kind": "FOLLOW_UP_ACTION", "id": engagement["followUps"][0]["id"]},
        ]
        await _open(gql, world, links=links)
    assert await listed() == few


async def test_an_update_is_checked_whole_and_applies_nothing_when_one_field_is_wrong(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    theft = await _incident(gql, world)
    problem = await _open(gql, world)
    payload = await _update(
        gql,
        world,
        "officer",
        problem,
        stage="ASSESSMENT",
        title="x" * 201,
        ownerId=gid("Officer", world.ids["other_station"]),
        area=AREA,
        useStationArea=True,
        addLinks=[{"kind": "INCIDENT", "id": theft}, {"kind": "INCIDENT", "clientId": str(uuid.uuid4())}],
        priority="LOW",
    )
    errors = {(".".join(e["field"]), e["code"]) for e in payload["errors"]}
    assert errors == {
        ("stage", "INVALID"),
        ("title", "INVALID"),
        ("ownerId", "INVALID"),
        ("area", "INVALID"),
        ("addLinks.1.clientId", "NOT_FOUND"),
    }
    stored = await _scalar(
        sessionmaker,
        "SELECT version || ' ' || priority || ' ' || (SELECT count(*) FROM problem_links) FROM problems",
    )
    assert stored == "1 HIGH 0"
    # a drawn area too large to count is refused
    huge = {"type": "Polygon", "coordinates": [[[39, 29], [48, 29], [48, 37], [39, 37], [39, 29]]]}
    payload = await _update(gql, world, "officer", problem, area=huge)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["area"], "INVALID")]
