"""Incidents: reporting and the automatic station, idempotency, transitions and optimistic concurrency,
assignment, who sees a sensitive incident's details (and the audit of it), bad input."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import h3
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import incidents as repo
from resolvers import incidents as logic
from resolvers import policy
from resolvers.context import Context
from resolvers.mutation_errors import MutationFailed
from schema.node import to_global_id
from tests.factories import age_arrivals, make_officer, make_station, sign_in

INCIDENT = """
fragment IncidentFields on Incident {
  id clientId category status version sensitive detailsHidden description occurredAt resolvedAt
  location { latitude longitude } locationPrecisionMeters
  people { name role age gender phone }
  station { id } reportedBy { id } assignedOfficers { id } flags
  statusHistory { fromStatus toStatus version changedBy { id } note }
}
"""
REPORT = (
    INCIDENT
    + """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) {
    incident { ...IncidentFields } currentVersion errors { field code message }
  }
}
"""
)
UPDATE = (
    INCIDENT
    + """
mutation Update($input: UpdateIncidentStatusInput!) {
  updateIncidentStatus(input: $input) {
    incident { ...IncidentFields } currentVersion errors { field code message }
  }
}
"""
)
ASSIGN = (
    INCIDENT
    + """
mutation Assign($input: AssignIncidentInput!) {
  assignIncident(input: $input) {
    incident { ...IncidentFields } currentVersion errors { field code message }
  }
}
"""
)
NODE = (
    INCIDENT
    + """
query Node($id: ID!) { node(id: $id) { ...IncidentFields } }
"""
)
LIST = (
    INCIDENT
    + """
query List($filter: IncidentFilter, $first: Int, $after: String) {
  incidents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ...IncidentFields } }
  }
}
"""
)
SYNC = """
mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) { results { status errors { field code } node { id } } errors { code } }
}
"""
# A point in Nineveh, east of Mosul.
HERE = {"latitude": 36.40123, "longitude": 43.20456}
EN = {"accept-language": "en"}


def gid(type_name: str, key: object) -> str:
    return to_global_id(type_name, key)


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def report_input(**overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "category": "THEFT",
        "location": HERE,
        "occurredAt": _ago(hours=1),
        "description": "A motorcycle taken from outside the market.",
    }
    values.update(overrides)
    return values


async def report(gql, headers, **overrides) -> dict:
    body = await gql(REPORT, {"input": report_input(**overrides)}, headers={**EN, **headers})
    assert "errors" not in body, body
    return body["data"]["reportIncident"]


async def update(gql, headers, **values) -> dict:
    body = await gql(UPDATE, {"input": values}, headers={**EN, **headers})
    assert "errors" not in body, body
    return body["data"]["updateIncidentStatus"]


async def incident_count(sessionmaker) -> int:
    async with sessionmaker() as session:
        return (await session.execute(text("SELECT count(*) FROM incidents"))).scalar_one()


async def _world(gql, sessionmaker) -> SimpleNamespace:
    """Two stations in Nineveh (A, B), one in Baghdad, and people with every relation to station A."""
    async with sessionmaker() as session:
        a = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        b = await make_station(session, governorate="IQ-NI", latitude=36.34, longitude=43.12)
        bg = await make_station(session, governorate="IQ-BG", latitude=33.31, longitude=44.36)
        people = {
            "commander": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "reporter": await make_officer(session, station_id=a),
            "assignee": await make_officer(session, station_id=a, gender="FEMALE"),
            "colleague": await make_officer(session, station_id=a),
            "admin": await make_officer(session, role="ADMIN"),
            "supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "other_station": await make_officer(session, station_id=b),
            "other_supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-BG",)),
        }
        await session.commit()
    world = SimpleNamespace(a=a, b=b, bg=bg, ids={}, headers={})
    for name, (officer_id, badge) in people.items():
        world.ids[name] = officer_id
        world.headers[name] = await sign_in(gql, badge)
    return world


async def test_report_at_a_given_station(gql, sessionmaker):
    # given
    world = await _world(gql, sessionmaker)
    # when
    payload = await report(
        gql,
        world.headers["reporter"],
        stationId=gid("Station", world.a),
        location={**HERE, "accuracyMeters": 250.0},
        people=[{"name": "Ahmed Salim", "role": "WITNESS", "age": 40, "gender": "MALE"}],
    )
    # then
    assert payload["errors"] == []
    incident = payload["incident"]
    assert incident["status"] == "REPORTED" and incident["version"] == 1 == payload["currentVersion"]
    assert incident["station"]["id"] == gid("Station", world.a)
    assert incident["reportedBy"]["id"] == gid("Officer", world.ids["reporter"])
    assert incident["sensitive"] is False and incident["detailsHidden"] is False
    assert incident["location"] == {"latitude": HERE["latitude"], "longitude": HERE["longitude"]}
    assert incident["locationPrecisionMeters"] == 250.0
    assert incident["flags"] == ["POOR_GPS_ACCURACY"]
    assert incident["people"] == [
        {"name": "Ahmed Salim", "role": "WITNESS", "age": 40, "gender": "MALE", "phone": None}
    ]
    assert incident["statusHistory"] == [
        {
            "fromStatus": None,
            "toStatus": "REPORTED",
            "version": 1,
            "changedBy": {"id": gid("Officer", world.ids["reporter"])},
            "note": None,
        }
    ]
    async with sessionmaker() as session:
        actions = (
            await session.execute(
                text(
                    "SELECT action, entity_id, after->>'status' FROM audit_log WHERE entity_type = "
                    "'Incident' "
                    "AND entity_id = :id"
                ),
                {"id": _key_of(incident["id"])},
            )
        ).all()
    assert [tuple(r) for r in actions] == [("reportIncident", _key_of(incident["id"]), "REPORTED")]


async def test_without_station_id_an_officers_report_is_their_own_stations(gql, sessionmaker):
    # given: HERE is nearer station A (9 km) than B (10 km), both in Nineveh
    world = await _world(gql, sessionmaker)
    # when: an officer of B, and A's commander from a point nearer B, report without stationId
    of_b = await report(gql, world.headers["other_station"])
    near_b = await report(gql, world.headers["commander"], location={"latitude": 36.34, "longitude": 43.121})
    # then: each goes to the reporter's own station, not the nearest (which B's officer may not write to)
    assert of_b["errors"] == [] and of_b["incident"]["station"]["id"] == gid("Station", world.b)
    assert near_b["errors"] == [] and near_b["incident"]["station"]["id"] == gid("Station", world.a)
    # the same through the offline queue
    entry = {"reportIncident": report_input()}
    body = await gql(SYNC, {"input": {"entries": [entry]}}, headers={**EN, **world.headers["other_station"]})
    (result,) = body["data"]["syncFieldLog"]["results"]
    assert result["status"] == "APPLIED", result
    synced = await gql(NODE, {"id": result["node"]["id"]}, headers=world.headers["other_station"])
    assert synced["data"]["node"]["station"]["id"] == gid("Station", world.b)


async def test_an_officer_whose_station_was_closed_must_give_station_id(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    async with sessionmaker() as session:
        await session.execute(text("UPDATE stations SET active = false WHERE id = :id"), {"id": world.b})
        await session.commit()
    before = await incident_count(sessionmaker)
    payload = await report(gql, world.headers["other_station"])
    assert payload["incident"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["stationId"], "NOT_FOUND")]
    assert await incident_count(sessionmaker) == before


async def test_supervisors_and_admins_get_the_nearest_active_station_in_its_governorate(gql, sessionmaker):
    # given: around HERE (Nineveh), an inactive station 1 km away, an Erbil station 6 km away,
    # and the Nineveh station A 9 km away; supervisors and admins have no station of their own
    world = await _world(gql, sessionmaker)
    async with sessionmaker() as session:
        await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.19, active=False)
        await make_station(session, governorate="IQ-AR", latitude=36.40, longitude=43.27)
        await session.commit()
    for who in ("supervisor", "admin"):
        # when
        payload = await report(gql, world.headers[who])
        # then
        assert payload["errors"] == [], who
        assert payload["incident"]["station"]["id"] == gid("Station", world.a), who
    # a supervisor's nearest station outside their governorates is refused, not filed elsewhere
    before = await incident_count(sessionmaker)
    body = await gql(REPORT, {"input": report_input()}, headers=world.headers["other_supervisor"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await incident_count(sessionmaker) == before


async def test_no_automatic_station_outside_iraq_or_where_the_governorate_has_none(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    before = await incident_count(sessionmaker)
    paris, basra = {"latitude": 48.85, "longitude": 2.35}, {"latitude": 30.5, "longitude": 47.8}
    for point in (paris, basra):  # outside Iraq; a governorate without stations
        payload = await report(gql, world.headers["admin"], location=point)
        assert payload["incident"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["stationId"], "INVALID")]
        assert "stationId" in payload["errors"][0]["message"]
    assert await incident_count(sessionmaker) == before


async def test_reporting_at_a_station_not_yours_is_forbidden(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    before = await incident_count(sessionmaker)
    body = await gql(
        REPORT, {"input": report_input(stationId=gid("Station", world.b))}, headers=world.headers["reporter"]
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await incident_count(sessionmaker) == before


async def test_a_retry_returns_the_same_incident_and_other_content_conflicts(gql, sessionmaker):
    # given
    world = await _world(gql, sessionmaker)
    values = report_input(stationId=gid("Station", world.a))
    first = await report(gql, world.headers["reporter"], **values)
    count = await incident_count(sessionmaker)
    # when: the same request again, and the same client id with other content
    again = await report(gql, world.headers["reporter"], **values)
    other = await report(gql, world.headers["reporter"], **{**values, "description": "Something else."})
    # then
    assert again["errors"] == [] and again["incident"] == first["incident"]
    assert other["incident"] is None
    assert [(e["field"], e["code"]) for e in other["errors"]] == [(["clientId"], "CONFLICT")]
    assert await incident_count(sessionmaker) == count


async def test_allowed_transitions_and_history(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = (await report(gql, world.headers["reporter"]))["incident"]
    who = world.headers["colleague"]
    version = 1
    for status in ("IN_PROGRESS", "RESOLVED", "IN_PROGRESS", "RESOLVED", "CLOSED"):
        payload = await update(
            gql, who, incidentId=incident["id"], status=status, expectedVersion=version, note=f"to {status}"
        )
        assert payload["errors"] == [], payload
        version += 1
        assert payload["incident"]["status"] == status and payload["incident"]["version"] == version
        assert (payload["incident"]["resolvedAt"] is None) == (status == "IN_PROGRESS")
    history = payload["incident"]["statusHistory"]
    assert [(h["fromStatus"], h["toStatus"], h["version"]) for h in history] == [
        (None, "REPORTED", 1),
        ("REPORTED", "IN_PROGRESS", 2),
        ("IN_PROGRESS", "RESOLVED", 3),
        ("RESOLVED", "IN_PROGRESS", 4),
        ("IN_PROGRESS", "RESOLVED", 5),
        ("RESOLVED", "CLOSED", 6),
    ]
    assert history[-1]["note"] == "to CLOSED"
    assert history[-1]["changedBy"]["id"] == gid("Officer", world.ids["colleague"])


async def test_refused_transitions_name_the_status(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    who = world.headers["reporter"]
    incident = (await report(gql, who))["incident"]
    refused = [("REPORTED", "RESOLVED"), ("REPORTED", "REPORTED")]
    for current, target in refused:
        payload = await update(gql, who, incidentId=incident["id"], status=target, expectedVersion=1)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["status"], "INVALID")], current
        assert payload["incident"] is None
    closed = await update(gql, who, incidentId=incident["id"], status="CLOSED", expectedVersion=1)
    for target in ("REPORTED", "ASSIGNED", "IN_PROGRESS", "RESOLVED"):
        payload = await update(gql, who, incidentId=incident["id"], status=target, expectedVersion=2)
        assert [e["field"] for e in payload["errors"]] == [["status"]]
    node = await gql(NODE, {"id": incident["id"]}, headers=who)
    assert node["data"]["node"]["version"] == closed["incident"]["version"] == 2


async def test_a_stale_version_is_a_conflict_showing_the_current_incident(gql, sessionmaker):
    # given an incident someone moved to version 2
    world = await _world(gql, sessionmaker)
    incident = (await report(gql, world.headers["reporter"]))["incident"]
    await update(
        gql, world.headers["colleague"], incidentId=incident["id"], status="IN_PROGRESS", expectedVersion=1
    )
    # when another officer sends a change made on version 1
    payload = await update(
        gql, world.headers["reporter"], incidentId=incident["id"], status="CLOSED", expectedVersion=1
    )
    # then
    (error,) = payload["errors"]
    assert (error["field"], error["code"]) == (["expectedVersion"], "CONFLICT")
    assert "version 2" in error["message"]
    assert payload["currentVersion"] == 2
    assert payload["incident"]["version"] == 2 and payload["incident"]["status"] == "IN_PROGRESS"


async def test_updates_are_idempotent_by_client_id_and_naturally(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    who = world.headers["reporter"]
    incident = (await report(gql, who))["incident"]
    # by client id
    change = {
        "incidentId": incident["id"],
        "status": "IN_PROGRESS",
        "expectedVersion": 1,
        "clientId": str(uuid.uuid4()),
    }
    first = await update(gql, who, **change)
    again = await update(gql, who, **change)
    assert first["errors"] == again["errors"] == []
    assert again["incident"]["version"] == first["incident"]["version"] == 2
    # without: the same change resent after it was applied changes nothing and is no conflict
    resolve = {"incidentClientId": incident["clientId"], "status": "RESOLVED", "expectedVersion": 2}
    assert (await update(gql, who, **resolve))["incident"]["version"] == 3
    resent = await update(gql, who, **resolve)
    assert resent["errors"] == [] and resent["incident"]["version"] == 3
    # but the same change from another officer is a conflict
    assert (await update(gql, world.headers["colleague"], **resolve))["errors"][0]["code"] == "CONFLICT"
    # and a client id reused for other content is one too
    clash = await update(gql, who, **{**change, "status": "CLOSED"})
    assert [(e["field"], e["code"]) for e in clash["errors"]] == [(["clientId"], "CONFLICT")]


async def test_an_update_names_the_incident_exactly_once(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    who = world.headers["reporter"]
    incident = (await report(gql, who))["incident"]
    both = await update(
        gql,
        who,
        incidentId=incident["id"],
        incidentClientId=incident["clientId"],
        status="CLOSED",
        expectedVersion=1,
    )
    neither = await update(gql, who, status="CLOSED", expectedVersion=1)
    unknown = await update(gql, who, incidentClientId=str(uuid.uuid4()), status="CLOSED", expectedVersion=1)
    assert [e["field"] for e in both["errors"]] == [["incidentId"]]
    assert [e["field"] for e in neither["errors"]] == [["incidentId"]]
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [(["incidentClientId"], "NOT_FOUND")]


async def test_another_station_may_not_change_the_incident(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = (await report(gql, world.headers["reporter"]))["incident"]
    change = {"incidentId": incident["id"], "status": "CLOSED", "expectedVersion": 1}
    body = await gql(UPDATE, {"input": change}, headers=world.headers["other_station"])
    # as if there were no such incident: another station's officer must not learn that it exists
    assert "errors" not in body, body
    assert [e["code"] for e in body["data"]["updateIncidentStatus"]["errors"]] == ["NOT_FOUND"]


async def test_two_updates_from_the_same_version_cannot_both_win(engine):
    """Two requests at once, each with its own connection and transaction, as in production.

    The HTTP test client cannot show this: the test fixture runs every request on one shared connection
    (to roll the test back), which serializes them. So this runs the logic itself in two contexts on two
    connections, commits for real, and cleans up afterwards.
    """
    # given a committed station, officer and incident at version 1
    async with AsyncSession(engine, expire_on_commit=False) as session:
        station = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        officer_id, _ = await make_officer(session, station_id=station)
        row = await repo.insert_incident(
            session,
            {
                "client_id": uuid.uuid4(),
                "station_id": station,
                "category": "THEFT",
                "latitude": 36.4,
                "longitude": 43.2,
                "occurred_at": datetime.now(UTC),
                "description": "x",
                "reported_by_id": officer_id,
            },
        )
        await session.commit()
    viewer = policy.Viewer(
        officer_id=officer_id,
        role="OFFICER",
        station_id=station,
        station_governorate="IQ-NI",
        governorates=frozenset(),
        session_id=uuid.uuid4(),
    )

    async def attempt(status: str):
        ctx = Context(
            sessionmaker=async_sessionmaker(engine, expire_on_commit=False), lang="en", viewer=viewer
        )
        change = SimpleNamespace(
            incident_id=gid("Incident", row.id),
            incident_client_id=None,
            status=status,
            expected_version=1,
            note=None,
            client_id=None,
        )
        try:
            applied = await logic.update_incident_status(ctx, change)
            await asyncio.sleep(0.2)  # hold the row lock a while, as a slow request would
        except MutationFailed as failure:
            await ctx.close(commit=False)
            return failure
        ctx.audit.clear()  # the audit log is append-only: leave nothing behind in the shared database
        await ctx.close(commit=True)
        return applied

    try:
        # when
        results = await asyncio.gather(attempt("IN_PROGRESS"), attempt("CLOSED"))
        # then
        won = [r for r in results if not isinstance(r, MutationFailed)]
        lost = [r for r in results if isinstance(r, MutationFailed)]
        assert len(won) == 1 and len(lost) == 1
        assert won[0].row.version == 2
        assert lost[0].current_version == 2 and lost[0].errors[0].code == "CONFLICT"
        assert lost[0].errors[0].field == ("expectedVersion",)
        async with AsyncSession(engine) as session:
            stored = (await repo.incidents_by_ids(session, [row.id]))[row.id]
            history = (await repo.status_changes_for(session, [row.id]))[row.id]
        assert stored.version == 2 and stored.status == won[0].row.status
        assert [h.version for h in history] == [2]
    finally:
        async with AsyncSession(engine) as session:
            await session.execute(text("DELETE FROM incidents WHERE id = :i"), {"i": row.id})
            await session.execute(text("DELETE FROM officers WHERE id = :i"), {"i": officer_id})
            await session.execute(text("DELETE FROM stations WHERE id = :i"), {"i": station})
            await session.commit()


async def test_the_conditional_update_matches_only_the_expected_version(sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(session)
        row = await repo.insert_incident(
            session,
            {
                "client_id": uuid.uuid4(),
                "station_id": station,
                "category": "THEFT",
                "latitude": 36.4,
                "longitude": 43.2,
                "occurred_at": datetime.now(UTC),
                "description": "x",
            },
        )
        first = await repo.update_if_version(session, row.id, 1, {"status": "CLOSED"})
        second = await repo.update_if_version(session, row.id, 1, {"status": "IN_PROGRESS"})
        await session.rollback()
    assert first is not None and first.version == 2 and first.status == "CLOSED"
    assert second is None


async def test_commanders_assign_and_plain_officers_may_not(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = (await report(gql, world.headers["reporter"]))["incident"]
    assignee = gid("Officer", world.ids["assignee"])
    # a plain officer
    body = await gql(
        ASSIGN,
        {"input": {"incidentId": incident["id"], "officerIds": [assignee], "expectedVersion": 1}},
        headers=world.headers["colleague"],
    )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # an officer of another station cannot be assigned
    body = await gql(
        ASSIGN,
        {
            "input": {
                "incidentId": incident["id"],
                "expectedVersion": 1,
                "officerIds": [gid("Officer", world.ids["other_station"])],
            }
        },
        headers=world.headers["commander"],
    )
    assert [(e["field"], e["code"]) for e in body["data"]["assignIncident"]["errors"]] == [
        (["officerIds", "0"], "INVALID")
    ]
    # the commander
    body = await gql(
        ASSIGN,
        {"input": {"incidentId": incident["id"], "officerIds": [assignee], "expectedVersion": 1}},
        headers=world.headers["commander"],
    )
    payload = body["data"]["assignIncident"]
    assert payload["errors"] == []
    assert payload["incident"]["status"] == "ASSIGNED" and payload["incident"]["version"] == 2
    assert payload["incident"]["assignedOfficers"] == [{"id": assignee}]
    assert payload["incident"]["statusHistory"][-1]["toStatus"] == "ASSIGNED"
    # and the assigned officer finds it
    mine = await gql(LIST, {"filter": {"assignedToMe": True}}, headers=world.headers["assignee"])
    assert [e["node"]["id"] for e in mine["data"]["incidents"]["edges"]] == [incident["id"]]
    # a stale assignment is a conflict
    body = await gql(
        ASSIGN,
        {
            "input": {
                "incidentId": incident["id"],
                "expectedVersion": 1,
                "officerIds": [gid("Officer", world.ids["colleague"])],
            }
        },
        headers=world.headers["supervisor"],
    )
    assert body["data"]["assignIncident"]["currentVersion"] == 2
    assert body["data"]["assignIncident"]["errors"][0]["code"] == "CONFLICT"


async def test_the_sensitive_matrix(gql, sessionmaker):
    # given a domestic-violence report at station A, assigned to one officer
    world = await _world(gql, sessionmaker)
    people = [
        {"name": "Layla Hassan", "role": "VICTIM", "age": 31, "gender": "FEMALE", "phone": "0770 000 0000"}
    ]
    reported = await report(
        gql,
        world.headers["reporter"],
        category="DOMESTIC_VIOLENCE",
        people=people,
        description="Beaten by her husband at home.",
    )
    incident = reported["incident"]
    assert incident["sensitive"] is True
    await gql(
        ASSIGN,
        {
            "input": {
                "incidentId": incident["id"],
                "expectedVersion": 1,
                "officerIds": [gid("Officer", world.ids["assignee"])],
            }
        },
        headers=world.headers["commander"],
    )
    # then
    for name in ("commander", "reporter", "assignee", "admin"):
        for node in await _seen_by(gql, world.headers[name], incident["id"]):
            assert node["detailsHidden"] is False, name
            assert node["description"] == "Beaten by her husband at home.", name
            assert node["people"][0]["name"] == "Layla Hassan", name
            assert node["location"] == HERE, name
    for name in ("colleague", "supervisor"):
        for node in await _seen_by(gql, world.headers[name], incident["id"]):
            assert node["detailsHidden"] is True and node["sensitive"] is True, name
            assert node["description"] is None and node["people"] is None, name
            # the centre of its resolution-7 cell, and the start of its day in Baghdad (resolvers.disclosure)
            cell = h3.latlng_to_cell(HERE["latitude"], HERE["longitude"], 7)
            assert tuple(node["location"].values()) == h3.cell_to_latlng(cell), name
            assert 1000 < node["locationPrecisionMeters"] < 1600, name
            day = datetime.fromisoformat(incident["occurredAt"]).astimezone(ZoneInfo("Asia/Baghdad"))
            day = day.replace(hour=0, minute=0, second=0, microsecond=0)
            assert node["category"] == "DOMESTIC_VIOLENCE", name
            assert datetime.fromisoformat(node["occurredAt"]) == day, name
    for name in ("other_station", "other_supervisor"):
        assert await _seen_by(gql, world.headers[name], incident["id"]) == [], name
    citizen = await gql(LIST, {})
    assert citizen["data"] is None and citizen["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql(NODE, {"id": incident["id"]}))["data"]["node"] is None


async def _seen_by(gql, headers, incident_id) -> list[dict]:
    """The incident as the viewer gets it from node(id:) and from the list; [] when neither shows it."""
    node = (await gql(NODE, {"id": incident_id}, headers=headers))["data"]["node"]
    listed = [
        e["node"]
        for e in (await gql(LIST, {}, headers=headers))["data"]["incidents"]["edges"]
        if e["node"]["id"] == incident_id
    ]
    assert (node is None) == (listed == [])
    return [] if node is None else [node, *listed]


async def test_marked_sensitive_and_ordinary_incidents(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    marked = (await report(gql, world.headers["reporter"], sensitive=True))["incident"]
    juvenile = await report(gql, world.headers["reporter"], category="JUVENILE", sensitive=False)
    ordinary = juvenile["incident"]
    theft = (await report(gql, world.headers["reporter"]))["incident"]
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    assert (marked["sensitive"], ordinary["sensitive"], theft["sensitive"]) == (True, True, False)
    seen = {
        i: (await gql(NODE, {"id": i}, headers=world.headers["colleague"]))["data"]["node"]
        for i in (marked["id"], ordinary["id"], theft["id"])
    }
    assert seen[marked["id"]]["description"] is None and seen[ordinary["id"]]["description"] is None
    assert seen[theft["id"]]["description"] == theft["description"]


async def test_reading_a_sensitive_incident_is_audited(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = (await report(gql, world.headers["reporter"], category="CHILD_PROTECTION"))["incident"]
    key = _key_of(incident["id"])

    async def reads() -> list[tuple]:
        async with sessionmaker() as session:
            return [
                tuple(r)
                for r in (
                    await session.execute(
                        text(
                            "SELECT officer_id, entity_type FROM audit_log WHERE action = 'read_sensitive' "
                            "AND entity_id = :id ORDER BY id"
                        ),
                        {"id": key},
                    )
                ).all()
            ]

    before = await reads()
    # when the commander reads the details (twice in one request: node and list), a colleague only the outline
    for name in ("commander", "colleague"):
        await gql(
            "query Both($id: ID!) { node(id: $id) { ... on Incident { description } } "
            "incidents { edges { node { description people { name } } } } }",
            {"id": incident["id"]},
            headers=world.headers[name],
        )
    # then one entry for the commander's request, none for the colleague's
    assert (await reads())[len(before) :] == [(world.ids["commander"], "Incident")]


def _key_of(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def test_the_list_is_newest_first_in_pages_within_scope(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    made = []
    for hours, category in ((5, "THEFT"), (1, "FRAUD"), (3, "THEFT")):
        made.append(
            (await report(gql, world.headers["reporter"], occurredAt=_ago(hours=hours), category=category))[
                "incident"
            ]["id"]
        )
    elsewhere = await report(
        gql, world.headers["other_station"], location={"latitude": 36.34, "longitude": 43.12}
    )
    assert elsewhere["errors"] == []
    who = world.headers["commander"]
    first = (await gql(LIST, {"first": 2}, headers=who))["data"]["incidents"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    rest = (await gql(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}, headers=who))["data"]
    order = [e["node"]["id"] for e in first["edges"] + rest["incidents"]["edges"]]
    assert order == [made[1], made[2], made[0]]
    assert rest["incidents"]["pageInfo"]["hasNextPage"] is False
    thefts = await gql(LIST, {"filter": {"categories": ["THEFT"], "from": _ago(hours=4)}}, headers=who)
    assert [e["node"]["id"] for e in thefts["data"]["incidents"]["edges"]] == [made[2]]
    # a supervisor sees both stations; filtering by another station never widens an officer's scope
    assert (await gql(LIST, {}, headers=world.headers["supervisor"]))["data"]["incidents"]["totalCount"] == 4
    narrowed = await gql(LIST, {"filter": {"stationId": gid("Station", world.b)}}, headers=who)
    assert narrowed["data"]["incidents"]["totalCount"] == 0
    for first_ in (0, 101):
        body = await gql(LIST, {"first": first_}, headers=who)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}
    for after in ("garbage", gid("StationCursor", 3), gid("IncidentCursor", "x.1")):
        body = await gql(LIST, {"after": after}, headers=who)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_bad_input_names_the_field(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    who = {**EN, **world.headers["reporter"]}
    unknown = await gql(
        REPORT, {"input": report_input(category="BURGLARY_OF_THE_MOON")}, headers=who, status=400
    )
    assert "$input" in unknown["errors"][0]["message"] and "category" in unknown["errors"][0]["message"]
    cases = [
        ({"location": {"latitude": 91, "longitude": 43.2}}, ["location", "latitude"]),
        ({"description": "   "}, ["description"]),
        ({"description": "x" * 4001}, ["description"]),
        ({"occurredAt": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, ["occurredAt"]),
        ({"people": [{"name": "", "role": "VICTIM"}]}, ["people", "0", "name"]),
        ({"people": [{"name": "A", "role": "VICTIM", "age": 121}]}, ["people", "0", "age"]),
        ({"stationId": "not an id"}, ["stationId"]),
    ]
    for overrides, field in cases:
        body = await gql(REPORT, {"input": report_input(**overrides)}, headers=who)
        payload = body["data"]["reportIncident"]
        assert payload["incident"] is None
        assert [e["field"] for e in payload["errors"]] == [field], (overrides, payload)
        assert payload["errors"][0]["code"] == "INVALID"
    # every problem at once
    everything = report_input(description="", location={"latitude": 91, "longitude": 200})
    payload = (await gql(REPORT, {"input": everything}, headers=who))["data"]["reportIncident"]
    assert sorted(e["field"] for e in payload["errors"]) == [
        ["description"],
        ["location", "latitude"],
        ["location", "longitude"],
    ]
    long_note = await update(
        gql, who, incidentId=gid("Incident", 1), status="CLOSED", expectedVersion=1, note="n" * 2001
    )
    assert [e["field"] for e in long_note["errors"]] == [["note"]]


async def test_citizens_cannot_report(gql):
    body = await gql(REPORT, {"input": report_input()})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_transition_table_is_the_documented_one():
    allowed = {(a, b) for a, targets in logic.TRANSITIONS.items() for b in targets}
    assert allowed == {
        ("REPORTED", "ASSIGNED"),
        ("REPORTED", "IN_PROGRESS"),
        ("REPORTED", "CLOSED"),
        ("ASSIGNED", "IN_PROGRESS"),
        ("ASSIGNED", "REPORTED"),
        ("ASSIGNED", "CLOSED"),
        ("IN_PROGRESS", "RESOLVED"),
        ("IN_PROGRESS", "ASSIGNED"),
        ("RESOLVED", "CLOSED"),
        ("RESOLVED", "IN_PROGRESS"),
    }


def test_cursor_keys_round_trip():
    import pytest

    from resolvers.errors import InputError
    from schema.node import parse_time_cursor, time_cursor, to_global_id

    at = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
    assert parse_time_cursor(time_cursor("IncidentCursor", at, 42), "en", "IncidentCursor") == (at, 42)
    for bad in (
        to_global_id("IncidentCursor", "x_1"),
        to_global_id("IncidentCursor", "1"),
        time_cursor("PatrolCursor", at, 42),
        "nonsense",
    ):
        with pytest.raises(InputError):
            parse_time_cursor(bad, "en", "IncidentCursor")


async def test_the_list_costs_the_same_number_of_queries_for_more_incidents(gql, sessionmaker, engine):
    world = await _world(gql, sessionmaker)
    who = world.headers["commander"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    async def queries_for_a_page() -> int:
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            statements.clear()
            body = await gql(LIST, {"first": 50}, headers=who)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert "errors" not in body, body
        return len(statements)

    async def assigned_incidents(n: int) -> None:
        for _ in range(n):
            incident = (await report(gql, world.headers["reporter"]))["incident"]
            await gql(
                ASSIGN,
                {
                    "input": {
                        "incidentId": incident["id"],
                        "expectedVersion": 1,
                        "officerIds": [gid("Officer", world.ids["assignee"])],
                    }
                },
                headers=who,
            )

    await assigned_incidents(2)
    few = await queries_for_a_page()
    await assigned_incidents(6)
    assert await queries_for_a_page() == few
