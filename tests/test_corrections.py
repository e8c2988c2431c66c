"""Corrections of incidents and engagements: the history (before and after, officer, time, reason), the
audit entries, optimistic concurrency, idempotency by client id, who may correct (both sides), bad input
with nothing half-applied, how a sensitive incident's corrections are disclosed, and the rollups,
`disclosed_at` and the live feed's log following a category or place corrected."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import h3
from sqlalchemy import text

from db import activity_feed as feed_repo
from db.engine import make_reader
from resolvers import disclosure, feed, policy
from schema.node import to_global_id
from tests.conftest import GraphQL
from tests.factories import age_arrivals, make_officer, make_station, sign_in
from tests.test_activity import _brute_force, _rollups

EN = {"accept-language": "en"}
HERE = {"latitude": 36.40123, "longitude": 43.20456}
THERE = {"latitude": 36.43512, "longitude": 43.26101}  # some 6 km away: another resolution-7 cell
PEOPLE = [{"name": "Layla Hassan", "role": "VICTIM", "age": 31, "gender": "FEMALE", "phone": "0770 000 0000"}]

INCIDENT = """
fragment IncidentFields on Incident {
  id clientId category version sensitive detailsHidden description flags
  location { latitude longitude }
  people { name role age }
  corrections {
    version correctedAt reason fields detailsHidden correctedBy { id }
    descriptionBefore descriptionAfter categoryBefore categoryAfter
    peopleBefore { name role } peopleAfter { name role }
    locationBefore { latitude longitude } locationAfter { latitude longitude } sensitiveBefore sensitiveAfter
  }
}
"""
REPORT = (
    INCIDENT
    + """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { ...IncidentFields } errors { field code message } }
}
"""
)
CORRECT = (
    INCIDENT
    + """
mutation Correct($input: CorrectIncidentInput!) {
  correctIncident(input: $input) {
    incident { ...IncidentFields } currentVersion errors { field code message }
  }
}
"""
)
NODE = INCIDENT + "query Node($id: ID!) { node(id: $id) { ...IncidentFields } }"
ENGAGEMENT = """
fragment EngagementFields on Engagement {
  id version generalised notes topics attendees { total women youth }
  corrections {
    version correctedAt reason fields correctedBy { id }
    attendeesBefore { total women youth } attendeesAfter { total women youth }
    topicsBefore topicsAfter notesBefore notesAfter
  }
}
"""
LOG = (
    ENGAGEMENT
    + """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) { engagement { ...EngagementFields } errors { field code message } }
}
"""
)
CORRECT_ENGAGEMENT = (
    ENGAGEMENT
    + """
mutation Correct($input: CorrectEngagementInput!) {
  correctEngagement(input: $input) {
    engagement { ...EngagementFields } currentVersion errors { field code message }
  }
}
"""
)
ENGAGEMENT_NODE = ENGAGEMENT + "query Node($id: ID!) { node(id: $id) { ...EngagementFields } }"


def gid(type_name: str, key: object) -> str:
    return to_global_id(type_name, key)


def key_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def _world(gql, sessionmaker) -> SimpleNamespace:
    """Station A (Nineveh) with its commander, a reporter, an officer to assign, a colleague; a supervisor
    of Nineveh, an admin, and an officer of station B."""
    async with sessionmaker() as session:
        a = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        b = await make_station(session, governorate="IQ-NI", latitude=36.34, longitude=43.12)
        people = {
            "commander": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "reporter": await make_officer(session, station_id=a),
            "assignee": await make_officer(session, station_id=a, gender="FEMALE"),
            "colleague": await make_officer(session, station_id=a),
            "supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "admin": await make_officer(session, role="ADMIN"),
            "other_station": await make_officer(session, station_id=b),
        }
        await session.commit()
    world = SimpleNamespace(a=a, b=b, ids={}, headers={})
    for name, (officer_id, badge) in people.items():
        world.ids[name] = officer_id
        world.headers[name] = {**EN, **await sign_in(gql, badge)}
    return world


async def _report(gql, world, who="reporter", **overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "category": "THEFT",
        "location": HERE,
        "occurredAt": _ago(hours=3),
        "description": "A motorcycle taken from outside the market.",
        "people": [{"name": "Ahmed Salim", "role": "WITNESS"}],
        **overrides,
    }
    body = await gql(REPORT, {"input": values}, headers=world.headers[who])
    assert "errors" not in body and body["data"]["reportIncident"]["errors"] == [], body
    return {**body["data"]["reportIncident"]["incident"], "input": values}


async def _correct(gql, world, who, **values) -> dict:
    body = await gql(
        CORRECT, {"input": {"clientId": str(uuid.uuid4()), **values}}, headers=world.headers[who]
    )
    assert "errors" not in body, body
    return body["data"]["correctIncident"]


async def _scalar(sessionmaker, sql: str, **params):
    async with sessionmaker() as session:
        return (await session.execute(text(sql), params)).scalar()


async def _rollups_agree(session) -> bool:
    """The rollups equal a recount of the records (tests/test_activity.py's), with each incident sensitive
    as resolvers.policy decides (its category, or marked), as the rollup triggers count it."""
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0.0, 0.0])
    for key, values in (await _brute_force(session)).items():
        grain, res, bucket, cell, layer, category, sensitive, station = key
        if layer == 1:
            key = (
                grain,
                res,
                bucket,
                cell,
                layer,
                category,
                policy.is_sensitive(category, sensitive),
                station,
            )
        expected[key] = [a + b for a, b in zip(expected[key], values, strict=True)]
    return await _rollups(session) == {k: tuple(v) for k, v in expected.items() if v[0] or v[1] or v[2]}


async def _audit(sessionmaker, action: str, entity_id: int) -> list:
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT officer_id, before, after FROM audit_log WHERE action = :a AND entity_id = :e "
                "ORDER BY id"
            ),
            {"a": action, "e": str(entity_id)},
        )
        return list(rows.all())


# --- incidents ----------------------------------------------------------------------------------------


async def test_a_correction_changes_what_differs_and_keeps_who_what_when_and_why(gql, sessionmaker):
    # given
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    before = datetime.now(UTC)
    # when: the reporter corrects the description and the people, and gives the category as it is
    payload = await _correct(
        gql,
        world,
        "reporter",
        incidentId=incident["id"],
        expectedVersion=1,
        reason="Typed the wrong street; the victim was missing.",
        description="A motorcycle taken from outside the mosque.",
        people=[
            {"name": "Ahmed Salim", "role": "WITNESS"},
            {"name": "Omar Ali", "role": "VICTIM", "age": 40},
        ],
        category="THEFT",
    )
    # then
    assert payload["errors"] == [] and payload["currentVersion"] == 2
    corrected = payload["incident"]
    assert (
        corrected["version"] == 2
        and corrected["description"] == "A motorcycle taken from outside the mosque."
    )
    assert [p["name"] for p in corrected["people"]] == ["Ahmed Salim", "Omar Ali"]
    (change,) = corrected["corrections"]
    assert change["version"] == 2 and change["fields"] == [
        "DESCRIPTION",
        "PEOPLE",
    ]  # the category did not change
    assert change["reason"] == "Typed the wrong street; the victim was missing."
    assert change["correctedBy"] == {"id": gid("Officer", world.ids["reporter"])}
    assert change["detailsHidden"] is False
    assert before - timedelta(seconds=5) <= datetime.fromisoformat(change["correctedAt"]) <= datetime.now(UTC)
    assert change["descriptionBefore"] == "A motorcycle taken from outside the market."
    assert change["descriptionAfter"] == corrected["description"]
    assert change["peopleBefore"] == [{"name": "Ahmed Salim", "role": "WITNESS"}]
    assert change["peopleAfter"] == [
        {"name": "Ahmed Salim", "role": "WITNESS"},
        {"name": "Omar Ali", "role": "VICTIM"},
    ]
    assert change["categoryBefore"] is change["categoryAfter"] is None
    assert change["locationBefore"] is change["locationAfter"] is None
    # the audit entry: before and after, the fields, the history row; never the texts themselves
    (entry,) = await _audit(sessionmaker, "correctIncident", key_of(incident["id"]))
    officer_id, audit_before, audit_after = entry
    assert officer_id == world.ids["reporter"]
    assert audit_before["version"] == 1 and audit_after["version"] == 2
    assert audit_after["corrected"] == ["description", "people"]
    assert audit_before["content_sha256"] != audit_after["content_sha256"]
    assert "mosque" not in str(audit_after) and "Typed the wrong street" not in str(audit_after)
    assert len(audit_after["reason_sha256"]) == 64
    kept = await _scalar(
        sessionmaker, "SELECT id FROM incident_corrections WHERE incident_id = :i", i=key_of(incident["id"])
    )
    assert audit_after["correction"] == kept
    # and a second correction adds to the history, in order
    second = await _correct(
        gql,
        world,
        "commander",
        incidentId=incident["id"],
        expectedVersion=2,
        reason="Assault, not theft.",
        category="ASSAULT",
    )
    history = second["incident"]["corrections"]
    assert [(c["version"], c["fields"]) for c in history] == [
        (2, ["DESCRIPTION", "PEOPLE"]),
        (3, ["CATEGORY"]),
    ]
    assert (history[1]["categoryBefore"], history[1]["categoryAfter"]) == ("THEFT", "ASSAULT")
    assert history[1]["correctedBy"] == {"id": gid("Officer", world.ids["commander"])}


async def test_a_stale_version_is_a_conflict_and_changes_nothing(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    first = await _correct(
        gql,
        world,
        "reporter",
        incidentId=incident["id"],
        expectedVersion=1,
        reason="r",
        description="First fix.",
    )
    assert first["errors"] == []
    # when: another correction made against version 1
    stale = await _correct(
        gql,
        world,
        "commander",
        incidentId=incident["id"],
        expectedVersion=1,
        reason="r",
        description="Second fix.",
    )
    # then: CONFLICT on expectedVersion, with the incident as it is now
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [(["expectedVersion"], "CONFLICT")]
    assert stale["currentVersion"] == 2 and stale["incident"]["description"] == "First fix."
    assert "version 2" in stale["errors"][0]["message"]
    assert await _scalar(sessionmaker, "SELECT count(*) FROM incident_corrections") == 1
    assert len(await _audit(sessionmaker, "correctIncident", key_of(incident["id"]))) == 1


async def test_the_same_correction_again_changes_nothing_and_other_content_conflicts(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    values = {
        "clientId": str(uuid.uuid4()),
        "incidentId": incident["id"],
        "expectedVersion": 1,
        "reason": "Wrong place.",
        "location": THERE,
    }
    first = (await gql(CORRECT, {"input": values}, headers=world.headers["reporter"]))["data"][
        "correctIncident"
    ]
    again = (await gql(CORRECT, {"input": values}, headers=world.headers["reporter"]))["data"][
        "correctIncident"
    ]
    other = (
        await gql(CORRECT, {"input": {**values, "reason": "Other."}}, headers=world.headers["reporter"])
    )["data"]["correctIncident"]
    assert first["errors"] == [] and again["errors"] == [] and again["incident"] == first["incident"]
    assert again["incident"]["version"] == 2
    assert [(e["field"], e["code"]) for e in other["errors"]] == [(["clientId"], "CONFLICT")]
    assert await _scalar(sessionmaker, "SELECT count(*) FROM incident_corrections") == 1
    # the place moved, with its cell, and its flags are the new point's
    assert first["incident"]["location"] == {"latitude": THERE["latitude"], "longitude": THERE["longitude"]}
    cell = await _scalar(
        sessionmaker, "SELECT h3_cell FROM incidents WHERE id = :i", i=key_of(incident["id"])
    )
    assert cell == h3.str_to_int(h3.latlng_to_cell(THERE["latitude"], THERE["longitude"], 10))
    bad_gps = await _correct(
        gql,
        world,
        "reporter",
        incidentId=incident["id"],
        expectedVersion=2,
        reason="Nearer.",
        location={**HERE, "accuracyMeters": 500.0},
    )
    assert bad_gps["incident"]["flags"] == ["POOR_GPS_ACCURACY"]


async def test_bad_input_names_its_field_and_nothing_is_applied(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    reporter = world.headers["reporter"]
    cases = [
        ({"reason": "  ", "description": "x"}, [(["reason"], "INVALID")]),
        ({"reason": "r"}, [(["description"], "INVALID")]),  # nothing to correct
        ({"reason": "r", "description": ""}, [(["description"], "INVALID")]),
        ({"reason": "r" * 1001, "description": "x"}, [(["reason"], "INVALID")]),
        (
            {"reason": "r", "people": [{"name": "A", "role": "VICTIM", "age": 300}]},
            [(["people", "0", "age"], "INVALID")],
        ),
        (
            {"reason": "r", "location": {"latitude": 100, "longitude": 43}},
            [(["location", "latitude"], "INVALID")],
        ),
        (
            {"reason": "r", "category": "THEFT", "description": incident["input"]["description"]},
            [(["description"], "INVALID"), (["category"], "INVALID")],
        ),  # already so: nothing to correct
    ]
    for values, expected in cases:
        payload = await _correct(
            gql, world, "reporter", incidentId=incident["id"], expectedVersion=1, **values
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, values
        assert payload["incident"] is None
    # a value the schema does not know is refused before anything runs, naming where it is
    body = await gql(
        CORRECT,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "incidentId": incident["id"],
                "expectedVersion": 1,
                "reason": "r",
                "category": "ROBBERY",
            }
        },
        headers=reporter,
        status=400,
    )
    assert "data" not in body and "$input" in body["errors"][0]["message"]
    assert ".category" in body["errors"][0]["message"] and "ROBBERY" in body["errors"][0]["message"]
    # naming: a bad id, neither or both ways, a client id that reported nothing
    refs = [
        ({"incidentId": "nonsense"}, [(["incidentId"], "INVALID")]),
        ({}, [(["incidentId"], "INVALID")]),
        (
            {"incidentId": incident["id"], "incidentClientId": incident["clientId"]},
            [(["incidentId"], "INVALID")],
        ),
        ({"incidentClientId": str(uuid.uuid4())}, [(["incidentClientId"], "NOT_FOUND")]),
        ({"incidentId": gid("Incident", 10**9)}, [(["incidentId"], "NOT_FOUND")]),
    ]
    for ref, expected in refs:
        payload = await _correct(
            gql, world, "reporter", expectedVersion=1, reason="r", description="y", **ref
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, ref
    assert await _scalar(sessionmaker, "SELECT count(*) FROM incident_corrections") == 0
    assert (
        await _scalar(sessionmaker, "SELECT version FROM incidents WHERE id = :i", i=key_of(incident["id"]))
        == 1
    )
    assert len(await _audit(sessionmaker, "correctIncident", key_of(incident["id"]))) == 0
    assert (
        await _scalar(sessionmaker, "SELECT count(*) FROM client_requests WHERE kind = 'correctIncident'")
        == 0
    )
    # and by its client id it works
    ok = await _correct(
        gql,
        world,
        "reporter",
        incidentClientId=incident["clientId"],
        expectedVersion=1,
        reason="r",
        description="y",
    )
    assert ok["errors"] == [] and ok["incident"]["id"] == incident["id"]


async def test_who_may_correct_an_incident(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    assigned = await gql(
        "mutation A($input: AssignIncidentInput!) { assignIncident(input: $input) { errors { code } } }",
        {
            "input": {
                "incidentId": incident["id"],
                "officerIds": [gid("Officer", world.ids["assignee"])],
                "expectedVersion": 1,
            }
        },
        headers=world.headers["commander"],
    )
    assert assigned["data"]["assignIncident"]["errors"] == []
    version = 2
    # the people on its case may: its reporter, its assignee, the station's commander, an admin
    for who in ("reporter", "assignee", "commander", "admin"):
        payload = await _correct(
            gql,
            world,
            who,
            incidentId=incident["id"],
            expectedVersion=version,
            reason="r",
            description=f"By {who}.",
        )
        assert payload["errors"] == [], who
        version += 1
    # the station's other officers and a supervisor see it, and may not: FORBIDDEN
    for who in ("colleague", "supervisor"):
        body = await gql(
            CORRECT,
            {
                "input": {
                    "clientId": str(uuid.uuid4()),
                    "incidentId": incident["id"],
                    "expectedVersion": version,
                    "reason": "r",
                    "description": "No.",
                }
            },
            headers=world.headers[who],
        )
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
    # another station's officer may not see it: NOT_FOUND, the answer for an incident that does not exist
    payload = await _correct(
        gql,
        world,
        "other_station",
        incidentId=incident["id"],
        expectedVersion=version,
        reason="r",
        description="No.",
    )
    missing = await _correct(
        gql,
        world,
        "other_station",
        incidentId=gid("Incident", 10**9),
        expectedVersion=version,
        reason="r",
        description="No.",
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["incidentId"], "NOT_FOUND")]
    assert payload["errors"] == missing["errors"] and payload["incident"] is None
    assert (
        await _scalar(sessionmaker, "SELECT version FROM incidents WHERE id = :i", i=key_of(incident["id"]))
        == version
    )


async def test_a_category_corrected_into_a_sensitive_one_is_sensitive_everywhere(gql, sessionmaker):
    # given: a theft, in the rollups and the feed's log as a theft
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world, occurredAt="2026-11-20T10:15:00+03:00")
    key = key_of(incident["id"])

    async def state():
        async with sessionmaker() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT disclosed_at, (SELECT array_agg(category || ':' || sensitive) "
                        "FROM activity_events WHERE layer = 'INCIDENTS' AND record_id = i.id) AS events, "
                        "(SELECT sum(incidents) FROM activity_cells WHERE grain = 'd' AND res = 8) AS plain, "
                        "(SELECT sum(sensitive) FROM activity_cells WHERE grain = 'd' AND res = 8) AS secret "
                        "FROM incidents i WHERE id = :i"
                    ),
                    {"i": key},
                )
            ).one()
            assert await _rollups_agree(session)
            return row

    before = await state()
    assert before.disclosed_at == datetime.fromisoformat("2026-11-20T07:15:00+00:00")
    assert before.events == ["THEFT:false"] and (before.plain, before.secret) == (1, 0)
    # when: the reporter corrects it to domestic violence
    payload = await _correct(
        gql,
        world,
        "reporter",
        incidentId=incident["id"],
        expectedVersion=1,
        reason="She told us at the station.",
        category="DOMESTIC_VIOLENCE",
        description="Beaten by her husband at home.",
        people=PEOPLE,
    )
    assert payload["errors"] == [] and payload["incident"]["sensitive"] is True
    # then: the rollups count it sensitive (and still agree with the records), the lists order it by its
    # day, and the feed's log no longer holds it as a theft: a replay sends it only to its case
    after = await state()
    assert (after.plain, after.secret) == (0, 1)
    assert after.disclosed_at == disclosure.coarse_time(before.disclosed_at)
    assert after.events == ["DOMESTIC_VIOLENCE:true"]
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    # the colleague off its case sees it generalised, and its history as generalised too
    body = await gql(NODE, {"id": incident["id"]}, headers=world.headers["colleague"])
    seen = body["data"]["node"]
    assert seen["detailsHidden"] is True and seen["description"] is None
    (change,) = seen["corrections"]
    assert change["detailsHidden"] is True
    assert change["fields"] == ["DESCRIPTION", "CATEGORY", "PEOPLE", "SENSITIVE"]  # marked by its category
    assert change["reason"] is None and change["descriptionBefore"] is change["descriptionAfter"] is None
    assert change["categoryBefore"] is change["categoryAfter"] is None and change["peopleAfter"] is None
    assert change["correctedAt"] == disclosure.coarse_time(datetime.now(UTC)).isoformat()
    assert change["correctedBy"] == {"id": gid("Officer", world.ids["reporter"])}
    # the reporter sees everything, and the read is audited as a read of its details
    reads = len(await _audit(sessionmaker, "read_sensitive", key))
    mine = (await gql(NODE, {"id": incident["id"]}, headers=world.headers["reporter"]))["data"]["node"]
    assert mine["corrections"][0]["reason"] == "She told us at the station."
    assert mine["corrections"][0]["categoryBefore"] == "THEFT"
    assert len(await _audit(sessionmaker, "read_sensitive", key)) == reads + 1


async def test_the_history_of_a_place_off_the_case_is_its_coarse_cells(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world, category="CHILD_PROTECTION", description="A child left alone.")
    payload = await _correct(
        gql,
        world,
        "reporter",
        incidentId=incident["id"],
        expectedVersion=1,
        reason="GPS was off.",
        location=THERE,
    )
    assert payload["errors"] == []
    (mine,) = payload["incident"]["corrections"]
    assert mine["locationBefore"] == {"latitude": HERE["latitude"], "longitude": HERE["longitude"]}
    assert mine["locationAfter"] == {"latitude": THERE["latitude"], "longitude": THERE["longitude"]}
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    for who in ("colleague", "supervisor"):
        (seen,) = (await gql(NODE, {"id": incident["id"]}, headers=world.headers[who]))["data"]["node"][
            "corrections"
        ]
        coarse = [disclosure.coarse_point(p["latitude"], p["longitude"]) for p in (HERE, THERE)]
        assert (seen["locationBefore"], seen["locationAfter"]) == tuple(
            {"latitude": lat, "longitude": lon} for lat, lon in coarse
        ), who
        assert seen["fields"] == ["LOCATION"] and seen["detailsHidden"] is True


async def test_only_its_commander_or_an_admin_makes_an_incident_no_longer_sensitive(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(
        gql, world, category="DOMESTIC_VIOLENCE", description="Shouting heard.", people=PEOPLE
    )
    # a correction out of the sensitive category leaves it marked: still sensitive
    moved = await _correct(
        gql,
        world,
        "reporter",
        incidentId=incident["id"],
        expectedVersion=1,
        reason="A dispute between neighbours.",
        category="DISPUTE",
        people=[],
        description="Neighbours arguing over parking.",
    )
    assert moved["errors"] == [] and moved["incident"]["sensitive"] is True
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    assert (await gql(NODE, {"id": incident["id"]}, headers=world.headers["colleague"]))["data"]["node"][
        "detailsHidden"
    ]
    # the reporter may not lower it; nor may anyone while the category is sensitive
    body = await gql(
        CORRECT,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "incidentId": incident["id"],
                "expectedVersion": 2,
                "reason": "r",
                "sensitive": False,
            }
        },
        headers=world.headers["reporter"],
    )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    always = await _correct(
        gql,
        world,
        "commander",
        incidentId=incident["id"],
        expectedVersion=2,
        reason="r",
        sensitive=False,
        category="JUVENILE",
    )
    assert [(e["field"], e["code"]) for e in always["errors"]] == [(["sensitive"], "INVALID")]
    # the commander may
    payload = await _correct(
        gql,
        world,
        "commander",
        incidentId=incident["id"],
        expectedVersion=2,
        reason="Not family violence.",
        sensitive=False,
    )
    assert payload["errors"] == [] and payload["incident"]["sensitive"] is False
    assert payload["incident"]["corrections"][-1]["fields"] == ["SENSITIVE"]
    assert (
        payload["incident"]["corrections"][-1]["sensitiveBefore"],
        payload["incident"]["corrections"][-1]["sensitiveAfter"],
    ) == (True, False)
    seen = (await gql(NODE, {"id": incident["id"]}, headers=world.headers["colleague"]))["data"]["node"]
    # the incident is a dispute now, shown as any other; what it said as a domestic-violence report is not
    assert seen["detailsHidden"] is False and seen["description"] == "Neighbours arguing over parking."
    assert len(seen["corrections"]) == 2
    for change in seen["corrections"]:
        assert change["detailsHidden"] is True and change["reason"] is None
        assert change["descriptionBefore"] is change["peopleBefore"] is change["categoryBefore"] is None
    events = await _scalar(
        sessionmaker,
        "SELECT array_agg(category || ':' || sensitive) FROM activity_events "
        "WHERE record_id = :i AND layer = 'INCIDENTS'",
        i=key_of(incident["id"]),
    )
    assert events == ["DISPUTE:false"]
    async with sessionmaker() as session:
        assert await _rollups_agree(session)


# --- engagements -------------------------------------------------------------------------------------


async def _log(gql, world, who="reporter", **overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "kind": "COMMUNITY_MEETING",
        "location": HERE,
        "occurredAt": _ago(hours=2),
        "attendees": {"total": 30, "women": 12, "youth": 5},
        "topics": ["street lighting"],
        "notes": "The council promised lights.",
        **overrides,
    }
    body = await gql(LOG, {"input": values}, headers=world.headers[who])
    assert "errors" not in body and body["data"]["logEngagement"]["errors"] == [], body
    return {**body["data"]["logEngagement"]["engagement"], "input": values}


async def _correct_engagement(gql, world, who, **values) -> dict:
    body = await gql(
        CORRECT_ENGAGEMENT, {"input": {"clientId": str(uuid.uuid4()), **values}}, headers=world.headers[who]
    )
    assert "errors" not in body, body
    return body["data"]["correctEngagement"]


async def test_an_engagement_correction_keeps_its_history_and_the_rollups_follow(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    engagement = await _log(gql, world)
    assert engagement["version"] == 1 and engagement["corrections"] == []
    payload = await _correct_engagement(
        gql,
        world,
        "reporter",
        engagementId=engagement["id"],
        expectedVersion=1,
        reason="Counted twice.",
        attendees={"total": 25, "women": 12},
        topics=["street lighting", "water"],
        notes="",
    )
    assert payload["errors"] == [] and payload["currentVersion"] == 2
    corrected = payload["engagement"]
    assert corrected["version"] == 2 and corrected["notes"] is None
    assert corrected["attendees"] == {"total": 25, "women": 12, "youth": 0}
    (change,) = corrected["corrections"]
    assert change["fields"] == ["ATTENDEES", "TOPICS", "NOTES"] and change["reason"] == "Counted twice."
    assert change["attendeesBefore"] == {"total": 30, "women": 12, "youth": 5}
    assert change["attendeesAfter"] == {"total": 25, "women": 12, "youth": 0}
    assert (change["topicsBefore"], change["topicsAfter"]) == (
        ["street lighting"],
        ["street lighting", "water"],
    )
    assert (change["notesBefore"], change["notesAfter"]) == ("The council promised lights.", None)
    assert change["correctedBy"] == {"id": gid("Officer", world.ids["reporter"])}
    async with sessionmaker() as session:
        attendees = (
            await session.execute(
                text(
                    "SELECT sum(attendees), sum(women), sum(youth) FROM activity_rollups "
                    "WHERE layer = 2 AND grain = 'd' AND res = 10"
                )
            )
        ).one()
    assert tuple(attendees) == (25, 12, 0)
    (entry,) = await _audit(sessionmaker, "correctEngagement", key_of(engagement["id"]))
    assert entry.after["reason"] == "Counted twice." and entry.after["corrected"] == [
        "attendees",
        "notes",
        "topics",
    ]
    assert (entry.before["version"], entry.after["version"]) == (1, 2)
    # stale, bad input, unchanged: refused whole
    stale = await _correct_engagement(
        gql, world, "reporter", engagementId=engagement["id"], expectedVersion=1, reason="r", notes="x"
    )
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [(["expectedVersion"], "CONFLICT")]
    assert stale["currentVersion"] == 2 and stale["engagement"]["version"] == 2
    bad = await _correct_engagement(
        gql,
        world,
        "reporter",
        engagementId=engagement["id"],
        expectedVersion=2,
        reason="",
        attendees={"total": 5, "women": 9},
        topics=[""],
    )
    assert sorted(tuple(e["field"]) for e in bad["errors"]) == [
        ("attendees", "women"),
        ("reason",),
        ("topics", "0"),
    ]
    same = await _correct_engagement(
        gql,
        world,
        "reporter",
        engagementId=engagement["id"],
        expectedVersion=2,
        reason="r",
        topics=["street lighting", "water"],
    )
    assert [(e["field"], e["code"]) for e in same["errors"]] == [(["topics"], "INVALID")]
    nothing = await _correct_engagement(
        gql, world, "reporter", engagementId=engagement["id"], expectedVersion=2, reason="r"
    )
    assert [e["field"] for e in nothing["errors"]] == [["attendees"]]
    assert await _scalar(sessionmaker, "SELECT count(*) FROM engagement_corrections") == 1


async def test_who_may_correct_an_engagement_and_what_a_household_history_shows(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    visit = await _log(gql, world, kind="HOME_VISIT", notes="The father drinks.")
    version = 1
    for who in ("reporter", "commander", "admin"):
        payload = await _correct_engagement(
            gql,
            world,
            who,
            engagementId=visit["id"],
            expectedVersion=version,
            reason=f"by {who}",
            notes=f"Notes by {who}.",
        )
        assert payload["errors"] == [], who
        version += 1
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    for who in ("colleague", "supervisor"):
        body = await gql(
            CORRECT_ENGAGEMENT,
            {
                "input": {
                    "clientId": str(uuid.uuid4()),
                    "engagementId": visit["id"],
                    "expectedVersion": version,
                    "reason": "r",
                    "notes": "no",
                }
            },
            headers=world.headers[who],
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
    hidden = await _correct_engagement(
        gql, world, "other_station", engagementId=visit["id"], expectedVersion=version, reason="r", notes="no"
    )
    assert [(e["field"], e["code"]) for e in hidden["errors"]] == [(["engagementId"], "NOT_FOUND")]
    # the colleague, off the household's case, sees the history without notes, reasons or exact times
    seen = (await gql(ENGAGEMENT_NODE, {"id": visit["id"]}, headers=world.headers["colleague"]))["data"][
        "node"
    ]
    assert seen["generalised"] is True and len(seen["corrections"]) == 3
    assert {(c["reason"], c["notesBefore"], c["notesAfter"]) for c in seen["corrections"]} == {
        (None, None, None)
    }
    assert {c["correctedAt"] for c in seen["corrections"]} == {
        disclosure.coarse_time(datetime.now(UTC)).isoformat()
    }
    mine = (await gql(ENGAGEMENT_NODE, {"id": visit["id"]}, headers=world.headers["reporter"]))["data"][
        "node"
    ]
    assert [c["notesAfter"] for c in mine["corrections"]] == [
        "Notes by reporter.",
        "Notes by commander.",
        "Notes by admin.",
    ]


async def test_a_replay_of_the_feed_follows_a_correction_into_a_sensitive_category(
    committed_client, committed_sessionmaker, engine
):
    """The feed's replay after a cursor (resolvers.feed.follow) sends an event by what its log row says:
    after the correction, a theft that is now domestic violence goes to its case only."""
    gql = GraphQL(committed_client)
    world = await _world(gql, committed_sessionmaker)
    incident = await _report(gql, world)
    reader = make_reader(engine)

    async def replayed_to(role: str, station_id: int | None, governorates: tuple[str, ...] = ()) -> bool:
        officer = feed.Interest(
            viewer=policy.Viewer(
                officer_id=world.ids.get(role, 0),
                role={"commander": policy.COMMANDER, "supervisor": policy.SUPERVISOR}.get(
                    role, policy.OFFICER
                ),
                station_id=station_id,
                station_governorate="IQ-NI",
                governorates=frozenset(governorates),
                session_id=uuid.uuid4(),
            )
        )
        async with reader() as session:
            rows = await feed_repo.events_after(session, (0, 0), limit=1000)
        events = [feed.FeedEvent.from_row(r) for r in rows if r.record_id == key_of(incident["id"])]
        assert len(events) == 1
        return officer.accepts(events[0])

    assert await replayed_to("supervisor", None, ("IQ-NI",)) and await replayed_to("colleague", world.a)
    payload = await _correct(
        gql,
        world,
        "reporter",
        incidentId=incident["id"],
        expectedVersion=1,
        reason="r",
        category="CHILD_PROTECTION",
    )
    assert payload["errors"] == []
    assert not await replayed_to("supervisor", None, ("IQ-NI",))
    assert not await replayed_to("colleague", world.a)
    assert await replayed_to("commander", world.a) and await replayed_to("reporter", world.a)


async def test_two_corrections_from_the_same_version_at_once_one_wins(
    committed_client, committed_sessionmaker
):
    """On real, committing transactions: the conditional update lets one through, the other is CONFLICT;
    the same correction sent twice at once is applied once."""
    gql = GraphQL(committed_client)
    world = await _world(gql, committed_sessionmaker)
    incident = await _report(gql, world)

    def correction(description: str) -> dict:
        return {
            "clientId": str(uuid.uuid4()),
            "incidentId": incident["id"],
            "expectedVersion": 1,
            "reason": "r",
            "description": description,
        }

    answers = await asyncio.gather(
        gql(CORRECT, {"input": correction("By the reporter.")}, headers=world.headers["reporter"]),
        gql(CORRECT, {"input": correction("By the commander.")}, headers=world.headers["commander"]),
    )
    payloads = [a["data"]["correctIncident"] for a in answers]
    assert sorted(len(p["errors"]) for p in payloads) == [0, 1]
    (lost,) = [p for p in payloads if p["errors"]]
    assert lost["errors"][0]["code"] == "CONFLICT" and lost["currentVersion"] == 2
    same = correction("Sent twice.") | {"expectedVersion": 2}
    twice = await asyncio.gather(
        *(gql(CORRECT, {"input": same}, headers=world.headers["reporter"]) for _ in range(2))
    )
    assert [a["data"]["correctIncident"]["errors"] for a in twice] == [[], []]
    assert {a["data"]["correctIncident"]["incident"]["version"] for a in twice} == {3}
    async with committed_sessionmaker() as session:
        versions = (
            await session.execute(text("SELECT version FROM incident_corrections ORDER BY version"))
        ).scalars()
        assert list(versions) == [2, 3]
