"""Community engagements and follow-up actions: logging, idempotency, validation, patrol links,
permissions on both sides, the issue-then-action loop (status changes, overdue), lists and nodes."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from schema.node import to_global_id
from tests.factories import age_arrivals, make_officer, make_station, sign_in, statements

LOG = """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) {
    engagement {
      id clientId kind location { latitude longitude } occurredAt durationMinutes
      attendees { total women youth } topics notes recordedAt receivedAt flags
      followUps { id description dueOn status overdue owner { id } }
      patrol { id } station { id } loggedBy { id }
    }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation Update($input: UpdateFollowUpActionInput!) {
  updateFollowUpAction(input: $input) {
    followUpAction { id status overdue engagement { id } }
    errors { field code message }
  }
}
"""
ENGAGEMENTS = """
query Engagements($filter: EngagementFilter, $first: Int, $after: String) {
  engagements(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id occurredAt } }
  }
}
"""
ACTIONS = """
query Actions($filter: FollowUpActionFilter, $first: Int, $after: String) {
  followUpActions(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id description dueOn status overdue } }
  }
}
"""
DETAILS = """
query Details($first: Int) {
  engagements(first: $first) {
    edges { node { id station { name } loggedBy { id } patrol { id }
                   followUps { id owner { id } engagement { id } } } }
  }
}
"""
START_PATROL = """
mutation Start($input: StartPatrolInput!) {
  startPatrol(input: $input) { patrol { id } errors { field code } }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Engagement { kind followUps { id } } } }"
COUNTS = [
    f"SELECT count(*) FROM {table}"  # noqa: S608 (fixed table names)
    for table in ("engagements", "follow_up_actions", "client_requests", "audit_log")
]
EAST_MOSUL = {"latitude": 36.3400, "longitude": 43.1500, "accuracyMeters": 12.0}


@dataclasses.dataclass
class World:
    """Two stations in Nineveh and one in Baghdad, with officers of every role (badges, ids)."""

    station: int
    neighbour: int
    baghdad: int
    officer: tuple[int, str]
    colleague: tuple[int, str]
    bystander: tuple[int, str]
    commander: tuple[int, str]
    outsider: tuple[int, str]
    supervisor: tuple[int, str]
    far_supervisor: tuple[int, str]
    admin: tuple[int, str]


async def _world(sessionmaker) -> World:
    async with sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI")
        neighbour = await make_station(session, governorate="IQ-NI")
        baghdad = await make_station(session, governorate="IQ-BG", latitude=33.31, longitude=44.36)
        world = World(
            station=station,
            neighbour=neighbour,
            baghdad=baghdad,
            officer=await make_officer(session, station_id=station),
            colleague=await make_officer(session, station_id=station, gender="FEMALE"),
            bystander=await make_officer(session, station_id=station),
            commander=await make_officer(session, role="STATION_COMMANDER", station_id=station),
            outsider=await make_officer(session, station_id=neighbour),
            supervisor=await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            far_supervisor=await make_officer(session, role="SUPERVISOR", governorates=("IQ-BG",)),
            admin=await make_officer(session, role="ADMIN"),
        )
        await session.commit()
    return world


def _key(global_id: str) -> str:
    """The database id inside a global ID ("Engagement:12" in base64)."""
    return base64.b64decode(global_id).decode().split(":", 1)[1]


def _gid(kind: str, key: int) -> str:
    return to_global_id(kind, key)


def _iso(at: datetime) -> str:
    return at.isoformat()


def _ago(**delta) -> datetime:
    return (datetime.now(UTC) - timedelta(**delta)).replace(microsecond=0)


def _today() -> date:
    """Today at the test stations (Asia/Baghdad, UTC+3 all year)."""
    return (datetime.now(UTC) + timedelta(hours=3)).date()


def _input(**overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "kind": "COMMUNITY_MEETING",
        "location": EAST_MOSUL,
        "occurredAt": _iso(_ago(hours=3)),
    }
    values.update(overrides)
    return values


async def _log(gql, headers, **overrides) -> dict:
    body = await gql(LOG, {"input": _input(**overrides)}, headers=headers)
    payload = body["data"]["logEngagement"]
    assert payload["errors"] == [], payload
    return payload["engagement"]


async def _counts(sessionmaker) -> list[int]:
    async with sessionmaker() as session:
        return [(await session.execute(text(sql))).scalar_one() for sql in COUNTS]


def _fields(payload: dict) -> dict[tuple[str, ...], str]:
    return {tuple(e["field"]): e["code"] for e in payload["errors"]}


# --- logging ----------------------------------------------------------------------------------------


async def test_log_engagement_with_follow_ups_on_a_patrol(gql, sessionmaker):
    # given an officer out on a patrol
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    started = await gql(
        START_PATROL,
        {"input": {"clientId": str(uuid.uuid4()), "startedAt": _iso(_ago(hours=4))}},
        headers=headers,
    )
    patrol = started["data"]["startPatrol"]["patrol"]
    due = _today() + timedelta(days=7)
    # when he logs a meeting with what was raised and what was promised
    engagement = await _log(
        gql,
        headers,
        kind="WOMEN_OUTREACH",
        durationMinutes=90,
        patrolId=patrol["id"],
        attendees={"total": 40, "women": 25, "youth": 10},
        topics=["  street lighting ", "school safety"],
        notes="Met at the community hall.",
        followUps=[
            {
                "description": "Ask the municipality about the lights",
                "dueOn": due.isoformat(),
                "ownerId": _gid("Officer", world.colleague[0]),
            },
            {"description": "Visit the school headmaster"},
        ],
    )
    # then it is stored as given, with its actions, station, patrol and author
    assert engagement["kind"] == "WOMEN_OUTREACH" and engagement["durationMinutes"] == 90
    assert engagement["attendees"] == {"total": 40, "women": 25, "youth": 10}
    assert engagement["topics"] == ["street lighting", "school safety"]
    assert engagement["notes"] == "Met at the community hall."
    assert engagement["station"]["id"] == _gid("Station", world.station)
    assert engagement["loggedBy"]["id"] == _gid("Officer", world.officer[0])
    assert engagement["patrol"]["id"] == patrol["id"]
    assert engagement["flags"] == []
    first, second = engagement["followUps"]
    assert (first["description"], first["dueOn"], first["status"], first["overdue"]) == (
        "Ask the municipality about the lights",
        due.isoformat(),
        "OPEN",
        False,
    )
    assert first["owner"]["id"] == _gid("Officer", world.colleague[0])
    assert second["owner"]["id"] == _gid("Officer", world.officer[0])  # default: the logging officer
    assert second["dueOn"] is None
    # and it is audited, and readable as a node
    async with sessionmaker() as session:
        audited = (
            await session.execute(
                text(
                    "SELECT count(*) FROM audit_log WHERE action = 'logEngagement' AND entity_type = "
                    "'Engagement' "
                    "AND entity_id = :id"
                ),
                {"id": _key(engagement["id"])},
            )
        ).scalar_one()
    assert audited == 1
    node = (await gql(NODE, {"id": engagement["id"]}, headers=headers))["data"]["node"]
    assert node["kind"] == "WOMEN_OUTREACH" and len(node["followUps"]) == 2


async def test_authenticity_flags_and_patrol_client_id(gql, sessionmaker):
    # given a patrol known to the phone only by its client id
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    patrol_client_id = str(uuid.uuid4())
    started = await gql(
        START_PATROL,
        {"input": {"clientId": patrol_client_id, "startedAt": _iso(_ago(hours=4))}},
        headers=headers,
    )
    # when an engagement names it so, from a mocked, imprecise location, synced two days late
    engagement = await _log(
        gql,
        headers,
        patrolClientId=patrol_client_id,
        occurredAt=_iso(_ago(days=2)),
        recordedAt=_iso(_ago(days=2)),
        location={"latitude": 36.34, "longitude": 43.15, "accuracyMeters": 250.0, "mocked": True},
    )
    # then it is linked and flagged
    assert engagement["patrol"]["id"] == started["data"]["startPatrol"]["patrol"]["id"]
    assert engagement["flags"] == ["LATE_SYNC", "POOR_GPS_ACCURACY", "MOCK_LOCATION"]
    assert engagement["attendees"] == {"total": 0, "women": 0, "youth": 0}


async def test_a_retry_returns_the_same_engagement_and_writes_nothing(gql, sessionmaker):
    # given a logged engagement
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    variables = {
        "input": _input(topics=["water supply dispute"], followUps=[{"description": "Call the mayor"}])
    }
    first = (await gql(LOG, variables, headers=headers))["data"]["logEngagement"]
    before = await _counts(sessionmaker)
    # when the phone sends it again
    again = (await gql(LOG, variables, headers=headers))["data"]["logEngagement"]
    # then the answer is the first engagement and nothing was written
    assert again["errors"] == [] and again["engagement"] == first["engagement"]
    assert await _counts(sessionmaker) == before


async def test_the_same_client_id_with_other_content_is_a_conflict(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    variables = {"input": _input(notes="first")}
    await gql(LOG, variables, headers=headers)
    before = await _counts(sessionmaker)
    changed = {"input": {**variables["input"], "notes": "second"}}
    payload = (await gql(LOG, changed, headers=headers))["data"]["logEngagement"]
    assert payload["engagement"] is None
    assert _fields(payload) == {("clientId",): "CONFLICT"}
    assert await _counts(sessionmaker) == before


async def test_every_problem_is_named_at_once(gql, sessionmaker):
    # given an officer and a colleague of another station
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    occurred = _ago(days=3)
    before = await _counts(sessionmaker)
    # when an engagement breaks every rule
    body = await gql(
        LOG,
        {
            "input": _input(
                occurredAt=_iso(occurred),
                recordedAt=_iso(_ago(days=-1)),
                location={"latitude": 91.0, "longitude": 43.15, "accuracyMeters": -1.0},
                durationMinutes=0,
                attendees={"total": 10, "women": 11, "youth": -1},
                topics=["  ", "x" * 201, "fine"],
                notes="n" * 4001,
                followUps=[
                    {"description": " "},
                    {"description": "ok", "dueOn": (occurred - timedelta(days=2)).date().isoformat()},
                    {"description": "ok", "dueOn": (_today() + timedelta(days=3 * 365)).isoformat()},
                    {"description": "ok", "ownerId": _gid("Officer", world.outsider[0])},
                    {"description": "ok", "ownerId": _gid("Station", world.station)},
                ],
            )
        },
        headers=headers,
    )
    # then each is reported with its field, and nothing is written
    payload = body["data"]["logEngagement"]
    assert payload["engagement"] is None
    assert _fields(payload) == {
        ("location", "latitude"): "INVALID",
        ("location", "accuracyMeters"): "INVALID",
        ("recordedAt",): "INVALID",
        ("durationMinutes",): "INVALID",
        ("attendees", "youth"): "INVALID",
        ("attendees", "women"): "INVALID",
        ("topics", "0"): "INVALID",
        ("topics", "1"): "INVALID",
        ("notes",): "INVALID",
        ("followUps", "0", "description"): "INVALID",
        ("followUps", "1", "dueOn"): "INVALID",
        ("followUps", "2", "dueOn"): "INVALID",
        ("followUps", "3", "ownerId"): "INVALID",
        ("followUps", "4", "ownerId"): "INVALID",
    }
    assert await _counts(sessionmaker) == before


async def test_limits_on_lists_and_durations(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    body = await gql(
        LOG,
        {
            "input": _input(
                durationMinutes=1441,
                topics=["t"] * 31,
                followUps=[{"description": "d"}] * 21,
                occurredAt=_iso(_ago(days=400)),
            )
        },
        headers=headers,
    )
    assert _fields(body["data"]["logEngagement"]) == {
        ("durationMinutes",): "INVALID",
        ("topics",): "INVALID",
        ("followUps",): "INVALID",
        ("occurredAt",): "INVALID",
    }


async def test_more_women_than_attendees_is_refused_in_the_callers_language(gql, sessionmaker):
    # given an officer whose phone speaks Arabic
    world = await _world(sessionmaker)
    headers = {**await sign_in(gql, world.officer[1]), "accept-language": "ar"}
    before = await _counts(sessionmaker)
    # when more women than attendees are counted
    body = await gql(LOG, {"input": _input(attendees={"total": 5, "women": 6, "youth": 5})}, headers=headers)
    # then the count is refused, in Arabic, and nothing is written (not even the client id)
    payload = body["data"]["logEngagement"]
    assert payload["engagement"] is None
    [error] = payload["errors"]
    assert error["field"] == ["attendees", "women"] and error["code"] == "INVALID"
    assert "لا يمكن أن يكون attendees.women أكثر من attendees.total" in error["message"]
    assert await _counts(sessionmaker) == before


async def test_unknown_patrols_are_not_found(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    by_id = await gql(LOG, {"input": _input(patrolId=_gid("Patrol", 987654321))}, headers=headers)
    assert _fields(by_id["data"]["logEngagement"]) == {("patrolId",): "NOT_FOUND"}
    by_client = await gql(LOG, {"input": _input(patrolClientId=str(uuid.uuid4()))}, headers=headers)
    assert _fields(by_client["data"]["logEngagement"]) == {("patrolClientId",): "NOT_FOUND"}
    both = await gql(
        LOG, {"input": _input(patrolId=_gid("Patrol", 1), patrolClientId=str(uuid.uuid4()))}, headers=headers
    )
    assert _fields(both["data"]["logEngagement"]) == {("patrolId",): "INVALID"}


async def test_a_patrol_of_another_station_is_refused(gql, sessionmaker):
    # given a supervisor's patrol at the neighbouring station
    world = await _world(sessionmaker)
    supervisor = await sign_in(gql, world.supervisor[1])
    started = await gql(
        START_PATROL,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "startedAt": _iso(_ago(hours=4)),
                "stationId": _gid("Station", world.neighbour),
                "officerIds": [_gid("Officer", world.outsider[0])],
            }
        },
        headers=supervisor,
    )
    patrol_id = started["data"]["startPatrol"]["patrol"]["id"]
    # when the supervisor links it to an engagement at another station, then it is refused
    body = await gql(
        LOG,
        {"input": _input(patrolId=patrol_id, stationId=_gid("Station", world.station))},
        headers=supervisor,
    )
    assert _fields(body["data"]["logEngagement"]) == {("patrolId",): "INVALID"}
    # and the officer of the first station does not see that patrol at all
    officer = await sign_in(gql, world.officer[1])
    body = await gql(LOG, {"input": _input(patrolId=patrol_id)}, headers=officer)
    assert _fields(body["data"]["logEngagement"]) == {("patrolId",): "NOT_FOUND"}


async def test_supervisors_name_the_station_or_a_patrol(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.supervisor[1])
    body = await gql(LOG, {"input": _input()}, headers=headers)
    assert _fields(body["data"]["logEngagement"]) == {("stationId",): "INVALID"}
    started = await gql(
        START_PATROL,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "startedAt": _iso(_ago(hours=4)),
                "stationId": _gid("Station", world.neighbour),
                "officerIds": [_gid("Officer", world.outsider[0])],
            }
        },
        headers=headers,
    )
    patrol_id = started["data"]["startPatrol"]["patrol"]["id"]
    engagement = await _log(gql, headers, patrolId=patrol_id, followUps=[{"description": "Write a report"}])
    assert engagement["station"]["id"] == _gid("Station", world.neighbour)
    assert engagement["followUps"][0]["owner"] is None  # a supervisor is no officer of the station


# --- permissions ------------------------------------------------------------------------------------


async def test_an_officer_cannot_log_at_another_station(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.outsider[1])
    before = await _counts(sessionmaker)
    body = await gql(LOG, {"input": _input(stationId=_gid("Station", world.station))}, headers=headers)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _counts(sessionmaker) == before


async def test_citizens_can_neither_log_nor_list(gql, sessionmaker):
    await _world(sessionmaker)
    for query, variables in ((LOG, {"input": _input()}), (ENGAGEMENTS, {}), (ACTIONS, {})):
        body = await gql(query, variables)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_engagements_are_listed_only_within_the_viewers_scope(gql, sessionmaker):
    # given an engagement at the Nineveh station
    world = await _world(sessionmaker)
    engagement = await _log(gql, await sign_in(gql, world.officer[1]))

    async def seen_by(badge: str) -> tuple[list[str], object]:
        headers = await sign_in(gql, badge)
        listed = (await gql(ENGAGEMENTS, {}, headers=headers))["data"]["engagements"]
        node = (await gql(NODE, {"id": engagement["id"]}, headers=headers))["data"]["node"]
        return [e["node"]["id"] for e in listed["edges"]], node

    # then its station, the governorate's supervisor and admins see it; others do not
    for who in (world.colleague, world.commander, world.supervisor, world.admin):
        ids, node = await seen_by(who[1])
        assert ids == [engagement["id"]] and node is not None, who
    for who in (world.outsider, world.far_supervisor):
        ids, node = await seen_by(who[1])
        assert ids == [] and node is None, who


# --- follow-up actions ------------------------------------------------------------------------------


async def test_the_owner_moves_an_action_along_and_an_unrelated_officer_cannot(gql, sessionmaker):
    # given an action owned by a colleague
    world = await _world(sessionmaker)
    engagement = await _log(
        gql,
        await sign_in(gql, world.officer[1]),
        followUps=[{"description": "Fix the lights", "ownerId": _gid("Officer", world.colleague[0])}],
    )
    action_id = engagement["followUps"][0]["id"]

    async def update(badge: str, status: str, **extra) -> dict:
        headers = await sign_in(gql, badge)
        return await gql(
            UPDATE, {"input": {"followUpActionId": action_id, "status": status, **extra}}, headers=headers
        )

    # when the owner starts and finishes it
    started = (await update(world.colleague[1], "IN_PROGRESS"))["data"]["updateFollowUpAction"]
    assert started["errors"] == [] and started["followUpAction"]["status"] == "IN_PROGRESS"
    assert started["followUpAction"]["engagement"]["id"] == engagement["id"]
    done = await update(
        world.colleague[1], "DONE", note="The municipality replaced two lamps.", clientId=str(uuid.uuid4())
    )
    assert done["data"]["updateFollowUpAction"]["followUpAction"]["status"] == "DONE"
    # then an officer of the station who does not own it is refused, and one of another station finds nothing
    refused = await update(world.bystander[1], "OPEN")
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hidden = (await update(world.outsider[1], "OPEN"))["data"]["updateFollowUpAction"]
    assert _fields(hidden) == {("followUpActionId",): "NOT_FOUND"}
    far = await update(world.far_supervisor[1], "OPEN")
    assert _fields(far["data"]["updateFollowUpAction"]) == {("followUpActionId",): "NOT_FOUND"}
    # while the commander, the governorate's supervisor and admins may reopen it
    for who, status in ((world.commander, "OPEN"), (world.supervisor, "IN_PROGRESS"), (world.admin, "DONE")):
        payload = (await update(who[1], status))["data"]["updateFollowUpAction"]
        assert payload["errors"] == [] and payload["followUpAction"]["status"] == status, who
    # and every change is audited, with its note
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text("SELECT after FROM audit_log WHERE action = 'updateFollowUpAction' ORDER BY id")
            )
        ).all()
    assert [r.after["status"] for r in rows] == ["IN_PROGRESS", "DONE", "OPEN", "IN_PROGRESS", "DONE"]
    assert rows[1].after["note"] == "The municipality replaced two lamps."
    # and the action is a node for those who see it
    query = "query N($id: ID!) { node(id: $id) { ... on FollowUpAction { status } } }"
    seen = await gql(query, {"id": action_id}, headers=await sign_in(gql, world.colleague[1]))
    assert seen["data"]["node"] == {"status": "DONE"}
    unseen = await gql(query, {"id": action_id}, headers=await sign_in(gql, world.outsider[1]))
    assert unseen["data"]["node"] is None


async def test_the_same_status_again_changes_nothing(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    engagement = await _log(gql, headers, followUps=[{"description": "Call back"}])
    variables = {
        "input": {
            "followUpActionId": engagement["followUps"][0]["id"],
            "status": "DONE",
            "clientId": str(uuid.uuid4()),
        }
    }
    await gql(UPDATE, variables, headers=headers)
    before = await _counts(sessionmaker)
    again = (await gql(UPDATE, variables, headers=headers))["data"]["updateFollowUpAction"]
    assert again["errors"] == [] and again["followUpAction"]["status"] == "DONE"
    plain = {"input": {**variables["input"], "clientId": None}}
    assert (await gql(UPDATE, plain, headers=headers))["data"]["updateFollowUpAction"]["errors"] == []
    assert await _counts(sessionmaker) == before


async def test_overdue_actions_are_those_past_due_and_not_done(gql, sessionmaker):
    # given an engagement ten days ago with actions due five days ago (one done), today and next week
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    today = _today()
    engagement = await _log(
        gql,
        headers,
        occurredAt=_iso(_ago(days=10)),
        followUps=[
            {"description": "late", "dueOn": (today - timedelta(days=5)).isoformat()},
            {"description": "late but done", "dueOn": (today - timedelta(days=5)).isoformat()},
            {"description": "today", "dueOn": today.isoformat()},
            {"description": "next week", "dueOn": (today + timedelta(days=7)).isoformat()},
            {"description": "whenever"},
        ],
    )
    done = engagement["followUps"][1]["id"]
    await gql(UPDATE, {"input": {"followUpActionId": done, "status": "DONE"}}, headers=headers)
    # when the loop is read
    overdue = (await gql(ACTIONS, {"filter": {"overdue": True}}, headers=headers))["data"]["followUpActions"]
    others = (await gql(ACTIONS, {"filter": {"overdue": False}}, headers=headers))["data"]["followUpActions"]
    # then only the late open one is overdue; the rest come soonest due first, undated last
    assert [e["node"]["description"] for e in overdue["edges"]] == ["late"]
    assert overdue["totalCount"] == 1 and overdue["edges"][0]["node"]["overdue"] is True
    assert [e["node"]["description"] for e in others["edges"]] == [
        "late but done",
        "today",
        "next week",
        "whenever",
    ]
    assert others["totalCount"] == 4
    # and the other filters narrow it
    mine = {
        "ownerId": _gid("Officer", world.officer[0]),
        "status": "OPEN",
        "stationId": _gid("Station", world.station),
    }
    listed = (await gql(ACTIONS, {"filter": mine}, headers=headers))["data"]["followUpActions"]
    assert listed["totalCount"] == 4
    colleague = {"ownerId": _gid("Officer", world.colleague[0])}
    assert (await gql(ACTIONS, {"filter": colleague}, headers=headers))["data"]["followUpActions"][
        "totalCount"
    ] == 0


async def test_follow_up_actions_page_through_in_due_order(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    today = _today()
    dated = [{"description": f"d{n}", "dueOn": (today + timedelta(days=n)).isoformat()} for n in (3, 1, 2)]
    await _log(gql, headers, followUps=[*dated, {"description": "none"}])
    seen, after = [], None
    while True:
        page = (await gql(ACTIONS, {"first": 1, "after": after}, headers=headers))["data"]["followUpActions"]
        seen += [e["node"]["description"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["d1", "d2", "d3", "none"]


# --- lists ------------------------------------------------------------------------------------------


async def test_engagements_page_newest_first_and_filter(gql, sessionmaker):
    # given three engagements of two kinds, one on a patrol
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    started = await gql(
        START_PATROL,
        {"input": {"clientId": str(uuid.uuid4()), "startedAt": _iso(_ago(days=4))}},
        headers=headers,
    )
    patrol_id = started["data"]["startPatrol"]["patrol"]["id"]
    # (home visits are ordered by their day, for everyone: resolvers/disclosure.py; two days apart, the
    # order is the same whatever the hour now)
    oldest = await _log(gql, headers, occurredAt=_iso(_ago(days=3)), kind="HOME_VISIT")
    middle = await _log(gql, headers, occurredAt=_iso(_ago(days=2)), kind="MARKET_WALK", patrolId=patrol_id)
    newest = await _log(gql, headers, occurredAt=_iso(_ago(hours=1)), kind="HOME_VISIT")
    # when read a page at a time
    first = (await gql(ENGAGEMENTS, {"first": 2}, headers=headers))["data"]["engagements"]
    rest = (await gql(ENGAGEMENTS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, headers=headers))[
        "data"
    ]["engagements"]
    # then newest first, with the total over every page
    everyone = [newest["id"], middle["id"], oldest["id"]]
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == everyone
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    assert not rest["pageInfo"]["hasNextPage"]

    async def ids(filter: dict) -> list[str]:
        page = (await gql(ENGAGEMENTS, {"filter": filter}, headers=headers))["data"]["engagements"]
        return [e["node"]["id"] for e in page["edges"]]

    assert await ids({"kinds": ["HOME_VISIT"]}) == [newest["id"], oldest["id"]]
    assert await ids({"patrolId": patrol_id}) == [middle["id"]]
    assert await ids({"from": _iso(_ago(days=2, hours=1)), "to": _iso(_ago(hours=2))}) == [middle["id"]]
    assert await ids({"stationId": _gid("Station", world.neighbour)}) == []
    assert await ids({"governorateId": _gid("Governorate", "IQ-NI")}) == everyone
    assert await ids({"governorateId": _gid("Governorate", "IQ-BG")}) == []


async def test_page_sizes_and_cursors_are_checked(gql, sessionmaker):
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    for variables in ({"first": 0}, {"first": 101}, {"after": "not-a-cursor"}):
        body = await gql(ENGAGEMENTS, variables, headers=headers)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables
        body = await gql(ACTIONS, variables, headers=headers)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables


async def test_listing_with_details_takes_the_same_statements_for_any_page(gql, sessionmaker):
    # given five engagements, each with two actions of two owners, on a patrol
    world = await _world(sessionmaker)
    headers = await sign_in(gql, world.officer[1])
    started = await gql(
        START_PATROL,
        {"input": {"clientId": str(uuid.uuid4()), "startedAt": _iso(_ago(days=1))}},
        headers=headers,
    )
    patrol_id = started["data"]["startPatrol"]["patrol"]["id"]
    for n in range(5):
        await _log(
            gql,
            headers,
            occurredAt=_iso(_ago(hours=n + 1)),
            patrolId=patrol_id,
            followUps=[
                {"description": "a"},
                {"description": "b", "ownerId": _gid("Officer", world.colleague[0])},
            ],
        )
    # when a page of one and a page of five are read with their details
    with statements(sessionmaker) as one:
        small = await gql(DETAILS, {"first": 1}, headers=headers)
    with statements(sessionmaker) as five:
        page = await gql(DETAILS, {"first": 5}, headers=headers)
    # then the details are there and cost no statement per engagement
    assert "errors" not in small and len(page["data"]["engagements"]["edges"]) == 5
    node = page["data"]["engagements"]["edges"][0]["node"]
    assert node["patrol"]["id"] == patrol_id and len(node["followUps"]) == 2
    assert node["followUps"][1]["owner"]["id"] == _gid("Officer", world.colleague[0])
    assert len(five) == len(one), five


# --- a household engagement off its case: nothing that would place it ----------------------------------

HOUSEHOLD_NODE = """
query Node($id: ID!) {
  node(id: $id) {
    ... on Engagement {
      generalised durationMinutes topics notes loggedBy { id } patrol { id }
      followUps { id description updatedAt }
    }
  }
}
"""
ON_PATROL = """
query OnPatrol($patrol: ID!) {
  engagements(filter: {patrolId: $patrol}, first: 50) { totalCount edges { node { id } } }
}
"""
HOUSEHOLD_ACTIONS = """
query Actions { followUpActions(first: 100) { totalCount edges { node { id description } } } }
"""
ACTION_NODE = "query A($id: ID!) { node(id: $id) { ... on FollowUpAction { id description } } }"


async def test_a_home_visits_patrol_officer_and_actions_are_only_for_its_case(gql, sessionmaker):
    """A family-protection follow-up logged on a patrol, with an action naming the house: off its case
    (the station's other officers, the supervisor) nothing ties it to the officer's exact patrol track or
    tells the house: not the patrol's list of engagements, not its officer, not its actions; on its case
    (its officer, the commander, an admin) all of it. The action's owner always sees their own action."""
    world = await _world(sessionmaker)
    officer = await sign_in(gql, world.officer[1])
    started = await gql(
        START_PATROL,
        {"input": {"clientId": str(uuid.uuid4()), "startedAt": _iso(_ago(hours=4))}},
        headers=officer,
    )
    patrol = started["data"]["startPatrol"]["patrol"]["id"]
    visit = await _log(
        gql,
        officer,
        kind="FAMILY_PROTECTION_FOLLOW_UP",
        durationMinutes=40,
        patrolId=patrol,
        topics=["the eldest daughter"],
        notes="Second visit.",
        followUps=[
            {"description": "Bring the referral to the house at number 7, Street 12"},
            {"description": "Call the school", "ownerId": _gid("Officer", world.bystander[0])},
        ],
    )
    actions = {a["description"]: a["id"] for a in visit["followUps"]}
    house, school = (
        actions["Bring the referral to the house at number 7, Street 12"],
        actions["Call the school"],
    )
    # a community meeting on the same patrol, which everyone may see tied to it
    meeting = await _log(gql, officer, patrolId=patrol, followUps=[{"description": "Fix the lights"}])
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)

    async def seen(who: tuple[int, str]) -> dict:
        headers = await sign_in(gql, who[1])
        node = (await gql(HOUSEHOLD_NODE, {"id": visit["id"]}, headers=headers))["data"]["node"]
        on_patrol = (await gql(ON_PATROL, {"patrol": patrol}, headers=headers))["data"]["engagements"]
        listed = (await gql(HOUSEHOLD_ACTIONS, headers=headers))["data"]["followUpActions"]
        nodes = {
            name: (await gql(ACTION_NODE, {"id": key}, headers=headers))["data"]["node"]
            for name, key in (("house", house), ("school", school))
        }
        return {
            "node": node,
            "on_patrol": {e["node"]["id"] for e in on_patrol["edges"]},
            "patrol_count": on_patrol["totalCount"],
            "listed": {e["node"]["id"] for e in listed["edges"]},
            "listed_count": listed["totalCount"],
            "action_nodes": {name: found is not None for name, found in nodes.items()},
        }

    # off the case: the colleague and the supervisor
    for who in (world.colleague, world.supervisor):
        view = await seen(who)
        node = view["node"]
        assert node["generalised"] is True, who
        assert (node["durationMinutes"], node["topics"], node["notes"]) == (None, [], None), node
        assert node["loggedBy"] is None and node["patrol"] is None, node
        assert node["followUps"] == [], node
        assert view["on_patrol"] == {meeting["id"]} and view["patrol_count"] == 1, view
        assert house not in view["listed"] and school not in view["listed"], view
        assert view["listed_count"] == len(view["listed"]), view
        assert view["action_nodes"] == {"house": False, "school": False}, view
    # the owner of one action, off the case otherwise: that action only
    view = await seen(world.bystander)
    assert [a["id"] for a in view["node"]["followUps"]] == [school], view
    assert school in view["listed"] and house not in view["listed"], view
    assert view["action_nodes"] == {"house": False, "school": True}, view
    # on the case: the officer who held it, the commander, an admin
    for who in (world.officer, world.commander, world.admin):
        view = await seen(who)
        node = view["node"]
        assert node["generalised"] is False and node["durationMinutes"] == 40, (who, node)
        assert node["topics"] == ["the eldest daughter"] and node["loggedBy"] is not None, node
        assert node["patrol"] == {"id": patrol}, node
        assert {a["id"] for a in node["followUps"]} == {house, school}, node
        assert view["on_patrol"] == {visit["id"], meeting["id"]}, view
        assert {house, school} <= view["listed"], view
        assert view["action_nodes"] == {"house": True, "school": True}, view
