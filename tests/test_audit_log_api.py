"""auditLog through the API: admins read all of it; supervisors the entries about their governorates'
stations; anyone else is refused. It answers "who read this sensitive case, and when", and keeps the
disclosure rule: to a supervisor (off the case) an entry about a sensitive incident shows who, what and
the day, never its content (the exact place, the description) nor its time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schema.node import to_global_id
from tests.factories import make_officer, make_station, sign_in

EN = {"accept-language": "en"}
HERE = {"latitude": 36.40123, "longitude": 43.20456}
SECRET = "Beaten by her husband at home; the neighbours called."
REPORT = """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id } errors { field code } }
}"""
LOG = """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) { engagement { id } errors { code } }
}
"""
READ = "query Read($id: ID!) { node(id: $id) { ... on Incident { description location { latitude } } } }"
READ_ENGAGEMENT = "query Read($id: ID!) { node(id: $id) { ... on Engagement { notes } } }"
AUDIT = """
query Audit($filter: AuditFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    edges {
      cursor node { at action subjectType subjectId deviceId before after detailsWithheld actor { id } }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
async def w(gql, sessionmaker) -> dict:
    async with sessionmaker() as session:
        a = await make_station(session, governorate="IQ-NI")
        c = await make_station(session, governorate="IQ-BA", latitude=30.51, longitude=47.81)
        people = {
            "offA": await make_officer(session, station_id=a),
            "cmdA": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "offC": await make_officer(session, station_id=c),
            "supNI": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "supBA": await make_officer(session, role="SUPERVISOR", governorates=("IQ-BA",)),
            "admin": await make_officer(session, role="ADMIN"),
        }
        await session.commit()
    headers = {
        k: {**EN, **await sign_in(gql, badge), "x-device-id": f"{k}-phone"}
        for k, (_, badge) in people.items()
    }
    when = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    body = await gql(
        REPORT,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "category": "DOMESTIC_VIOLENCE",
                "location": HERE,
                "occurredAt": when,
                "description": SECRET,
            }
        },
        headers=headers["offA"],
    )
    dv = body["data"]["reportIncident"]["incident"]["id"]
    body = await gql(
        REPORT,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "category": "THEFT",
                "location": HERE,
                "occurredAt": when,
                "description": "A bicycle taken from the market.",
            }
        },
        headers=headers["offA"],
    )
    theft = body["data"]["reportIncident"]["incident"]["id"]
    return {"headers": headers, "ids": {k: v[0] for k, v in people.items()}, "dv": dv, "theft": theft}


async def _log(gql, w: dict, who: str, **filter) -> dict:
    body = await gql(AUDIT, {"filter": filter or None, "first": 100}, headers=w["headers"][who])
    assert "errors" not in body, body
    return body["data"]["auditLog"]


async def test_who_read_a_sensitive_case_and_when(gql, w: dict) -> None:
    # given: the commander (on the case) reads the domestic-violence report's details
    assert (await gql(READ, {"id": w["dv"]}, headers=w["headers"]["cmdA"]))["data"]["node"][
        "description"
    ] == SECRET
    # when: an admin asks who read it
    entries = (await _log(gql, w, "admin", subjectId=w["dv"], actions=["read_sensitive"]))["edges"]
    # then: the commander, from their phone, at the exact time
    readers = [(e["node"]["actor"]["id"], e["node"]["deviceId"]) for e in entries]
    assert (to_global_id("Officer", w["ids"]["cmdA"]), "cmdA-phone") in readers
    assert all(not e["node"]["detailsWithheld"] for e in entries)
    at = datetime.fromisoformat(entries[0]["node"]["at"])
    assert abs((datetime.now(UTC) - at).total_seconds()) < 120
    # and the report's own entry holds its exact place, for the admin (on every case)
    everything = (await _log(gql, w, "admin", subjectId=w["dv"]))["edges"]
    assert any(e["node"]["after"] and e["node"]["after"]["latitude"] == HERE["latitude"] for e in everything)


async def test_a_supervisor_sees_who_read_it_but_not_where_or_what(gql, w: dict) -> None:
    await gql(READ, {"id": w["dv"]}, headers=w["headers"]["cmdA"])
    entries = (await _log(gql, w, "supNI", subjectId=w["dv"]))["edges"]
    actions = [e["node"]["action"] for e in entries]
    assert "read_sensitive" in actions and "reportIncident" in actions[0:1], actions  # oldest first
    for edge in entries:
        node = edge["node"]
        assert node["detailsWithheld"] is True and node["before"] is None and node["after"] is None
        at = datetime.fromisoformat(node["at"]).astimezone(UTC)
        assert (at.hour, at.minute) == (21, 0)  # the start of a day in Baghdad
        assert str(HERE["latitude"]) not in str(edge) and SECRET not in str(edge)
    # the non-sensitive incident's entries are whole, with their exact time
    theft = (await _log(gql, w, "supNI", subjectId=w["theft"]))["edges"]
    assert theft and all(not e["node"]["detailsWithheld"] for e in theft)
    assert any(e["node"]["after"] and e["node"]["after"]["latitude"] == HERE["latitude"] for e in theft)


async def test_a_supervisors_unfiltered_log_leaves_the_withheld_entries_out(gql, w: dict) -> None:
    await gql(READ, {"id": w["dv"]}, headers=w["headers"]["cmdA"])
    edges = (await _log(gql, w, "supNI"))["edges"]
    subjects = {e["node"]["subjectId"] for e in edges}
    assert w["theft"] in subjects and w["dv"] not in subjects
    assert all(not e["node"]["detailsWithheld"] for e in edges)
    # the admin's holds both
    assert {w["theft"], w["dv"]} <= {e["node"]["subjectId"] for e in (await _log(gql, w, "admin"))["edges"]}


async def test_a_supervisor_reads_only_their_governorates(gql, w: dict) -> None:
    assert (await _log(gql, w, "supBA", subjectId=w["dv"]))["edges"] == []
    assert (await _log(gql, w, "supBA", subjectId=w["theft"]))["edges"] == []
    own = (await _log(gql, w, "supBA"))["edges"]
    officers = {to_global_id("Officer", w["ids"][k]) for k in ("offC", "supBA")}
    assert own and {e["node"]["subjectId"] for e in own} <= officers  # their sign-ins


@pytest.mark.parametrize("who", ["offA", "cmdA", "offC"])
async def test_officers_and_commanders_are_refused(gql, w: dict, who: str) -> None:
    body = await gql(AUDIT, {}, headers=w["headers"][who])
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_citizens_are_unauthenticated(gql, w: dict) -> None:
    body = await gql(AUDIT, {}, headers=EN)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_log_pages_and_filters_by_actor_and_time(gql, w: dict) -> None:
    actor = to_global_id("Officer", w["ids"]["offA"])
    seen, after = [], None
    while True:
        body = await gql(
            AUDIT, {"filter": {"actorId": actor}, "first": 1, "after": after}, headers=w["headers"]["admin"]
        )
        page = body["data"]["auditLog"]
        seen += [e["node"]["action"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen.count("reportIncident") == 2 and "login" in seen
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert (await _log(gql, w, "admin", actorId=actor, **{"from": future}))["edges"] == []
    bad = await gql(AUDIT, {"after": "not a cursor"}, headers=w["headers"]["admin"])
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_reads_of_a_household_engagement_are_audited(gql, w: dict) -> None:
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    body = await gql(
        LOG,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "kind": "HOME_VISIT",
                "location": HERE,
                "occurredAt": when,
                "notes": "Second visit.",
            }
        },
        headers=w["headers"]["offA"],
    )
    engagement = body["data"]["logEngagement"]["engagement"]["id"]
    # on the case: the commander reads the notes, and that is audited; off the case it is generalised
    assert (await gql(READ_ENGAGEMENT, {"id": engagement}, headers=w["headers"]["cmdA"]))["data"]["node"][
        "notes"
    ]
    entries = (await _log(gql, w, "admin", subjectId=engagement, actions=["read_household"]))["edges"]
    assert [e["node"]["actor"]["id"] for e in entries] == [to_global_id("Officer", w["ids"]["cmdA"])]
    supervisor = (await _log(gql, w, "supNI", subjectId=engagement))["edges"]
    assert supervisor and all(e["node"]["detailsWithheld"] for e in supervisor)
