"""The permission matrix: who may read and write what, through the real app (resolvers/policy.py decides).

How to read MATRIX below: one row per operation, one column per role, and in each cell the outcome that
role must get. Every cell is its own test (`test_permission[<operation>-<role>]`): the row's check runs
the operation as that role, names what it observed with one of the words below, and the test compares
that word with the cell. Writes are rolled back after each cell, so every cell starts from the same world.

The world (built once for the module, rolled back at its end): stations A and B in Nineveh, C in Basra.
  offA  officer of A (male), who made A's records     offA2  another officer of A (female), assigned nothing
  cmdA  commander of A    offB  officer of B          cmdC   commander of C
  supNI supervisor of Nineveh    supBA supervisor of Basra    admin    citizen = a request without a token
Records, all made through the mutations: at A by offA a patrol, an engagement with a follow-up action
(owned by offA), a THEFT incident and a DOMESTIC_VIOLENCE one (sensitive, with people); at C by cmdC the
same minus the DOMESTIC_VIOLENCE one, as a control: an out-of-scope list must be empty for A's records
and still show the viewer's own.

Outcomes:
  A, C, AC, -   a list shows exactly the records of station A, of C, of both, or none (checked by id)
  OK            a read shows the record; a write is applied (payload errors == [], stored)
  NO            node(id) is null (in the `dv` rows: and the incidents list leaves it out)
  SELF / NULL   `me` is the signed-in officer with their role / null
  PUBLIC        the station data, the same for everyone
  DETAILS       the sensitive incident with its description, people and exact place (node and list); of
                its citizen's report, what the citizen wrote, where, and their contact
  HIDDEN        ... with detailsHidden, sensitive, no description or people, the place its H3 cell's centre;
                of its citizen's report, no description, status notes or contact, the same centre
  FORBIDDEN     top-level error extensions.code FORBIDDEN, data null, nothing stored
  UNAUTH        top-level error UNAUTHENTICATED, nothing stored (in the `dv` rows: the list refused and
                node(id) null)
  NOT_FOUND     payload error NOT_FOUND (the record is not yours to see: the answer for a missing one),
                nothing stored
  APPLIED / REJECTED   syncFieldLog's result for the entry: stored / REJECTED with code FORBIDDEN and
                nothing stored, no top-level error
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from api.app import create_app
from api.config import Settings
from schema.node import to_global_id
from tests.conftest import GraphQL
from tests.factories import PASSWORD, age_arrivals, make_officer, make_station, sign_in
from tests.test_attach_media import PDF, png_with_text, upload

MATRIX = """
operation            offA      offA2     cmdA      offB      cmdC      supNI     supBA     admin     citizen
# reads: lists (whose records appear), node(id) of each record, me, public station data
incidents            A         A         A         -         C         A         C         AC        UNAUTH
patrols              A         A         A         -         C         A         C         AC        UNAUTH
engagements          A         A         A         -         C         A         C         AC        UNAUTH
followUpActions      A         A         A         -         C         A         C         AC        UNAUTH
serviceRequests      A         A         A         -         C         A         C         AC        UNAUTH
node(patrol A)       OK        OK        OK        NO        NO        OK        NO        OK        NO
node(engagement A)   OK        OK        OK        NO        NO        OK        NO        OK        NO
node(followUp A)     OK        OK        OK        NO        NO        OK        NO        OK        NO
node(theft A)        OK        OK        OK        NO        NO        OK        NO        OK        NO
node(dv A)           OK        OK        OK        NO        NO        OK        NO        OK        NO
node(serviceRequest A) OK      OK        OK        NO        NO        OK        NO        OK        NO
node(records C)      NO        NO        NO        NO        OK        NO        OK        OK        NO
node(photo A)        OK        OK        OK        NO        NO        OK        NO        OK        NO
node(dv photo A)     OK        NO        OK        NO        NO        NO        NO        OK        NO
me                   SELF      SELF      SELF      SELF      SELF      SELF      SELF      SELF      NULL
nearestStations      PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC
stations             PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC
station              PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC
# the DOMESTIC_VIOLENCE incident's details; then again once cmdA has assigned it to offA2
dv details           DETAILS   HIDDEN    DETAILS   NO        NO        HIDDEN    NO        DETAILS   UNAUTH
dv, offA2 assigned   DETAILS   DETAILS   DETAILS   NO        NO        HIDDEN    NO        DETAILS   UNAUTH
# a citizen's report accepted for the DOMESTIC_VIOLENCE incident follows its case (node and list)
serviceRequest(dv)   DETAILS   HIDDEN    DETAILS   NO        NO        HIDDEN    NO        DETAILS   UNAUTH
# writes at station A (the incident ones on the THEFT incident; assigning it to offA2; the patrol ones on
# A's patrol). A record one may not see is NOT_FOUND, as a missing one is, never FORBIDDEN (which would
# say it exists); FORBIDDEN is for what one may see but not do, or a role that may not do it at all.
reportIncident       OK        OK        OK        FORBIDDEN FORBIDDEN OK        FORBIDDEN OK        UNAUTH
updateIncidentStatus OK        OK        OK        NOT_FOUND NOT_FOUND OK        NOT_FOUND OK        UNAUTH
assignIncident       FORBIDDEN FORBIDDEN OK        FORBIDDEN NOT_FOUND OK        NOT_FOUND OK        UNAUTH
startPatrol          OK        OK        OK        FORBIDDEN FORBIDDEN OK        FORBIDDEN OK        UNAUTH
appendPatrolTrack    OK        OK        OK        NOT_FOUND NOT_FOUND OK        NOT_FOUND OK        UNAUTH
endPatrol            OK        OK        OK        NOT_FOUND NOT_FOUND OK        NOT_FOUND OK        UNAUTH
logEngagement        OK        OK        OK        FORBIDDEN FORBIDDEN OK        FORBIDDEN OK        UNAUTH
syncFieldLog         APPLIED   APPLIED   APPLIED   REJECTED  REJECTED  APPLIED   REJECTED  APPLIED   UNAUTH
updateFollowUpAction OK        FORBIDDEN OK        NOT_FOUND NOT_FOUND OK        NOT_FOUND OK        UNAUTH
# corrections are for the people on the record's case (the THEFT incident, the engagement, both offA's);
# follow-up actions for whoever may write the record, to a sensitive incident only its case
correctIncident      OK        FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
correctEngagement    OK        FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
addFollowUpAction    OK        OK        OK        NOT_FOUND NOT_FOUND OK        NOT_FOUND OK        UNAUTH
addFollowUpAction(dv) OK       FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
syncFieldLog(correct) APPLIED  REJECTED  APPLIED   REJECTED  REJECTED  REJECTED  REJECTED  APPLIED   UNAUTH
# photos and documents: to a record one may write; to a sensitive incident, only its case
attachMedia          OK        OK        OK        NOT_FOUND NOT_FOUND OK        NOT_FOUND OK        UNAUTH
attachMedia(dv)      OK        FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
# one's own sign-ins: a new password of one's own; one's sessions listed; ending offA's other session
changePassword       OK        OK        OK        OK        OK        OK        OK        OK        UNAUTH
mySessions           SELF      SELF      SELF      SELF      SELF      SELF      SELF      SELF      UNAUTH
endSession           OK        NOT_FOUND NOT_FOUND NOT_FOUND NOT_FOUND NOT_FOUND NOT_FOUND NOT_FOUND UNAUTH
# a citizen's Open311 report in station A's triage: its officers and commander triage it, supervisors read
updateServiceRequest OK        OK        OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
# ... and accepted for the DOMESTIC_VIOLENCE incident: its triage is for the people on its case
updateServiceRequest(dv) OK    FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
# problems (SARA): the station's officers and commander write, supervisors read; the commander publishes
problems             A         A         A         -         C         A         C         AC        UNAUTH
node(problem A)      OK        OK        OK        NO        NO        OK        NO        OK        NO
openProblem          OK        OK        OK        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
updateProblem        OK        OK        OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
syncFieldLog(problem) APPLIED  APPLIED   APPLIED   REJECTED  REJECTED  REJECTED  REJECTED  APPLIED   UNAUTH
publishPriority      FORBIDDEN FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
unpublishPriority    FORBIDDEN FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
publishMeeting       FORBIDDEN FORBIDDEN OK        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
unpublishMeeting     FORBIDDEN FORBIDDEN OK        NOT_FOUND NOT_FOUND FORBIDDEN NOT_FOUND OK        UNAUTH
# running station A (its commander, admins); Iraq's public holidays (read by all, changed by admins)
updateStation        FORBIDDEN FORBIDDEN OK        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
addStationClosure    FORBIDDEN FORBIDDEN OK        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
removeStationClosure FORBIDDEN FORBIDDEN OK        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
publicHolidays       PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC    PUBLIC
movePublicHoliday    FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
setPublicHoliday     FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
removePublicHoliday  FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
# officer administration (an OFFICER account at A; the others on offA2), and the audit log (whose entries
# about A's and C's THEFT incidents appear)
officers             FORBIDDEN FORBIDDEN A         FORBIDDEN C         A         C         AC        UNAUTH
createOfficer        FORBIDDEN FORBIDDEN OK        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN OK        UNAUTH
updateOfficer        FORBIDDEN FORBIDDEN OK        FORBIDDEN NOT_FOUND FORBIDDEN FORBIDDEN OK        UNAUTH
resetOfficerPassword FORBIDDEN FORBIDDEN OK        FORBIDDEN NOT_FOUND FORBIDDEN FORBIDDEN OK        UNAUTH
unlockOfficer        FORBIDDEN FORBIDDEN OK        FORBIDDEN NOT_FOUND FORBIDDEN FORBIDDEN OK        UNAUTH
auditLog             FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN A         C         AC        UNAUTH
"""


def _parse(table: str) -> tuple[tuple[str, ...], dict[str, dict[str, str]]]:
    """The roles (header) and {operation: {role: outcome}}; an operation's name may contain spaces."""
    lines = [line for line in table.strip().splitlines() if line.strip() and not line.startswith("#")]
    roles = tuple(lines[0].split()[1:])
    rows = {}
    for line in lines[1:]:
        words = line.split()
        name, cells = " ".join(words[: -len(roles)]), words[-len(roles) :]
        assert name not in rows, name
        rows[name] = dict(zip(roles, cells, strict=True))
    return roles, rows


ROLES, EXPECTED = _parse(MATRIX)
OFFICERS = [r for r in ROLES if r != "citizen"]

# Where things happen: station A's incidents are at HERE, C's near Basra.
HERE = {"latitude": 36.40123, "longitude": 43.20456}
# The centre of HERE's resolution-7 cell: all anyone off the case sees of where (resolvers.disclosure).
_CELL7 = h3.latlng_to_cell(HERE["latitude"], HERE["longitude"], 7)
HERE_COARSE = dict(zip(("latitude", "longitude"), h3.cell_to_latlng(_CELL7), strict=True))
BASRA = {"latitude": 30.51, "longitude": 47.81}
DV_TEXT = "Beaten by her husband at home; the neighbours called."
DV_REQUEST_TEXT = "Shouting and a woman crying at house 7, every night."
DV_PEOPLE = [
    {"name": "Layla Hassan", "role": "VICTIM", "age": 31, "gender": "FEMALE", "phone": "0770 000 0000"}
]

INCIDENT_FIELDS = """
  id sensitive detailsHidden description location { latitude longitude } locationPrecisionMeters
  people { name role age gender phone }
"""
REPORT = """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id station { id } } errors { field code } }
}"""
UPDATE_STATUS = """
mutation Update($input: UpdateIncidentStatusInput!) {
  updateIncidentStatus(input: $input) { incident { id status version } errors { field code } }
}"""
ASSIGN = """
mutation Assign($input: AssignIncidentInput!) {
  assignIncident(input: $input) { incident { id status version } errors { field code } }
}"""
START_PATROL = """
mutation Start($input: StartPatrolInput!) {
  startPatrol(input: $input) { patrol { id station { id } } errors { field code } }
}"""
APPEND_TRACK = """
mutation Append($input: AppendPatrolTrackInput!) {
  appendPatrolTrack(input: $input) { patrol { id } errors { field code } }
}"""
END_PATROL = """
mutation End($input: EndPatrolInput!) {
  endPatrol(input: $input) { patrol { id } errors { field code } }
}"""
LOG_ENGAGEMENT = """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) { engagement { id station { id } followUps { id } } errors { field code } }
}"""
SYNC = """
mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) { results { status errors { code } node { id } } errors { code } }
}"""
UPDATE_FOLLOW_UP = """
mutation Follow($input: UpdateFollowUpActionInput!) {
  updateFollowUpAction(input: $input) { followUpAction { id status } errors { field code } }
}"""
OPEN_PROBLEM = """
mutation Open($input: OpenProblemInput!) {
  openProblem(input: $input) { problem { id station { id } } errors { field code } }
}"""
UPDATE_PROBLEM = """
mutation Update($input: UpdateProblemInput!) {
  updateProblem(input: $input) { problem { id version } errors { field code } }
}"""
PUBLISH_PRIORITY = """
mutation Publish($input: PublishPriorityInput!) {
  publishPriority(input: $input) { problem { id published } errors { field code } }
}"""
UNPUBLISH_PRIORITY = """
mutation Unpublish($input: UnpublishPriorityInput!) {
  unpublishPriority(input: $input) { problem { id published } errors { field code } }
}"""
PUBLISH_MEETING = """
mutation Meeting($input: PublishMeetingInput!) {
  publishMeeting(input: $input) { meeting { id } errors { field code } }
}"""
UNPUBLISH_MEETING = """
mutation Withdraw($input: UnpublishMeetingInput!) {
  unpublishMeeting(input: $input) { meeting { id withdrawn } errors { field code } }
}"""
CREATE_OFFICER = """
mutation C($input: CreateOfficerInput!) {
  createOfficer(input: $input) { officer { id } oneTimePassword errors { field code } }
}"""
UPDATE_OFFICER = """
mutation U($input: UpdateOfficerInput!) {
  updateOfficer(input: $input) { officer { active } errors { field code } }
}
"""
RESET_OFFICER_PASSWORD = """
mutation R($input: ResetOfficerPasswordInput!) {
  resetOfficerPassword(input: $input) { oneTimePassword errors { field code } }
}"""
UNLOCK_OFFICER = """
mutation L($input: UnlockOfficerInput!) {
  unlockOfficer(input: $input) { officer { id } errors { field code } }
}
"""
LISTS = {
    name: f"query {{ {name}(first: 100) {{ edges {{ node {{ id }} }} }} }}"
    for name in ("incidents", "patrols", "engagements", "followUpActions", "serviceRequests", "problems")
}
NODE = "query Node($id: ID!) { node(id: $id) { id } }"
INCIDENT_NODE = f"query Node($id: ID!) {{ node(id: $id) {{ ... on Incident {{ {INCIDENT_FIELDS} }} }} }}"
INCIDENT_LIST = f"query {{ incidents(first: 100) {{ edges {{ node {{ {INCIDENT_FIELDS} }} }} }} }}"
ME = "query { me { id role } }"
NEAREST = """
query Near($near: GeoPointInput!) { nearestStations(near: $near, first: 5) { station { id } } }"""
STATIONS = "query { stations(first: 100) { totalCount edges { node { id } } } }"
STATION = "query Station($id: ID!) { station(id: $id) { id governorate { code } } }"


def gid(type_name: str, key: object) -> str:
    return to_global_id(type_name, key)


def _key(global_id: str) -> int:
    """The database id inside one of our global IDs."""
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


# --- the world --------------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    gql: GraphQL
    conn: AsyncConnection
    stations: dict[str, int]  # "A", "B", "C" -> id
    officers: dict[str, int]  # role column -> officer id
    headers: dict[str, dict[str, str]]  # role column -> request headers (the citizen's: none)
    records: dict[str, dict[str, str]]  # station letter -> record name -> global ID

    def ids(self, names: tuple[str, ...], stations: str) -> set[str]:
        """Global IDs of the records of those names at the stations given ("A", "C", "AC", "-")."""
        return {self.records[s][n] for s in stations.strip("-") for n in names if n in self.records[s]}

    async def scalar(self, sql: str, **params: Any) -> Any:
        return (await self.conn.execute(text(sql), params)).scalar()


async def _ok(gql: GraphQL, query: str, field: str, values: dict, headers: dict) -> dict:
    body = await gql(query, {"input": values}, headers=headers)
    assert "errors" not in body and body["data"][field]["errors"] == [], body
    return body["data"][field]


async def _records_of(gql: GraphQL, headers: dict, station: int, *, place: dict, dv: bool) -> dict[str, str]:
    """A patrol, an engagement with one follow-up action (owned by its logger), a THEFT incident and,
    when `dv`, a DOMESTIC_VIOLENCE incident with people: made by the officer signed in with `headers`."""
    station_id = gid("Station", station)
    patrol = await _ok(
        gql, START_PATROL, "startPatrol", {"clientId": str(uuid.uuid4()), "startedAt": _ago(hours=3)}, headers
    )
    engagement = await _ok(
        gql,
        LOG_ENGAGEMENT,
        "logEngagement",
        {
            "clientId": str(uuid.uuid4()),
            "kind": "COMMUNITY_MEETING",
            "location": place,
            "occurredAt": _ago(hours=2),
            "followUps": [{"description": "Ask the council for street lights."}],
        },
        headers,
    )
    theft = await _ok(
        gql,
        REPORT,
        "reportIncident",
        {
            "clientId": str(uuid.uuid4()),
            "category": "THEFT",
            "location": place,
            "occurredAt": _ago(hours=1),
            "description": "A motorcycle taken from outside the market.",
            "stationId": station_id,
        },
        headers,
    )
    made = {"patrol": patrol["patrol"], "engagement": engagement["engagement"], "theft": theft["incident"]}
    if dv:
        made["dv"] = (
            await _ok(
                gql,
                REPORT,
                "reportIncident",
                {
                    "clientId": str(uuid.uuid4()),
                    "category": "DOMESTIC_VIOLENCE",
                    "location": HERE,
                    "occurredAt": _ago(hours=1),
                    "description": DV_TEXT,
                    "people": DV_PEOPLE,
                    "stationId": station_id,
                },
                headers,
            )
        )["incident"]
    problem = await _ok(
        gql,
        OPEN_PROBLEM,
        "openProblem",
        {
            "clientId": str(uuid.uuid4()),
            "title": "Motorcycle thefts at the market",
            "description": "Raised at the community meeting.",
            "categories": ["THEFT"],
            "links": [
                {"kind": "ENGAGEMENT", "id": engagement["engagement"]["id"]},
                {"kind": "INCIDENT", "id": theft["incident"]["id"]},
            ],
        },
        headers,
    )
    made["problem"] = problem["problem"]
    assert {r["station"]["id"] for r in made.values()} == {station_id}
    (follow_up,) = engagement["engagement"]["followUps"]
    photos = {}
    for record, name in (("theft", "photo"), ("dv", "dvPhoto")):
        if record in made:
            values = {
                "clientId": str(uuid.uuid4()),
                "uploadId": await upload(gql.client, headers, png_with_text()),
                "incidentId": made[record]["id"],
            }
            photos[name] = (await _ok(gql, ATTACH_MEDIA, "attachMedia", values, headers))["attachment"]["id"]
    return {**{name: r["id"] for name, r in made.items()}, "followUp": follow_up["id"], **photos}


async def _accounts(maker: async_sessionmaker) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """The three stations and the eight accounts: ({letter: station id}, {role: (officer id, badge)})."""
    async with maker() as session:
        stations = {
            letter: await make_station(session, governorate=code, latitude=lat, longitude=lon)
            for letter, code, lat, lon in (
                ("A", "IQ-NI", 36.40, 43.10),
                ("B", "IQ-NI", 36.34, 43.12),
                ("C", "IQ-BA", 30.50, 47.80),
            )
        }
        a, b, c = stations["A"], stations["B"], stations["C"]
        accounts = {
            "offA": await make_officer(session, station_id=a, gender="MALE"),
            "offA2": await make_officer(session, station_id=a, gender="FEMALE"),
            "cmdA": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "offB": await make_officer(session, station_id=b),
            "cmdC": await make_officer(session, role="STATION_COMMANDER", station_id=c),
            "supNI": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "supBA": await make_officer(session, role="SUPERVISOR", governorates=("IQ-BA",)),
            "admin": await make_officer(session, role="ADMIN"),
        }
        await session.commit()
    assert sorted(accounts) == sorted(OFFICERS)
    return stations, accounts


@pytest.fixture(scope="module")
async def world(engine, tmp_path_factory) -> Any:
    """The world of the module docstring, on one connection whose transaction is rolled back at the end."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        maker = async_sessionmaker(
            bind=conn,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
            class_=AsyncSession,
        )
        # tests/test_security.py asks for every field of the schema in one document, with an alias each:
        # far past the query limits a client gets, which tests/test_limits.py covers.
        settings = Settings.from_env(
            {
                "MARKAZ_DATA_DIR": str(tmp_path_factory.mktemp("permissions")),
                "MARKAZ_ENV": "development",
                "MARKAZ_MAX_ALIASES": "100000",
                "MARKAZ_MAX_DEPTH": "100",
                "MARKAZ_MAX_COST": "100000000",
            }
        )
        transport = httpx.ASGITransport(app=create_app(settings, sessionmaker=maker))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://markaz.test") as client:
                gql = GraphQL(client)
                stations, accounts = await _accounts(maker)
                headers = {role: await sign_in(gql, badge) for role, (_, badge) in accounts.items()}
                headers["citizen"] = {}
                records = {
                    "A": await _records_of(gql, headers["offA"], stations["A"], place=HERE, dv=True),
                    "C": await _records_of(gql, headers["cmdC"], stations["C"], place=BASRA, dv=False),
                }
                for letter, place in (("A", HERE), ("C", BASRA)):
                    records[letter]["serviceRequest"] = await _service_request(conn, stations[letter], place)
                records["A"]["dvServiceRequest"] = await _service_request(
                    conn, stations["A"], HERE, incident=records["A"]["dv"]
                )
                await age_arrivals(maker)  # seen off its case as on a later day
                yield World(
                    gql=gql,
                    conn=conn,
                    stations=stations,
                    headers=headers,
                    records=records,
                    officers={role: officer_id for role, (officer_id, _) in accounts.items()},
                )
        finally:
            await outer.rollback()


@pytest.fixture
async def w(world: World) -> Any:
    """The world, with whatever a cell writes undone afterwards."""
    savepoint = await world.conn.begin_nested()
    try:
        yield world
    finally:
        await savepoint.rollback()


# --- observing an outcome -----------------------------------------------------------------------------


def _top_level(body: dict) -> str | None:
    """The code of a top-level error (data null; UNAUTHENTICATED as UNAUTH), or None when there is none."""
    if "errors" not in body:
        return None
    codes = {e.get("extensions", {}).get("code") for e in body["errors"]}
    if len(codes) != 1 or body.get("data") is not None:
        return f"odd errors: {body}"
    code = codes.pop()
    return "UNAUTH" if code == "UNAUTHENTICATED" else code


def _list_check(name: str, *records: str) -> Callable[[World, str], Awaitable[str]]:
    async def check(w: World, role: str) -> str:
        body = await w.gql(LISTS[name], headers=w.headers[role])
        if (code := _top_level(body)) is not None:
            return code
        listed = [e["node"]["id"] for e in body["data"][name]["edges"]]
        for label in ("-", "A", "C", "AC"):
            if len(listed) == len(set(listed)) and set(listed) == w.ids(records, label):
                return label
        names = {i: f"{s}.{n}" for s, made in w.records.items() for n, i in made.items()}
        return f"listed {sorted(names.get(i, i) for i in listed)}"

    return check


def _node_check(station: str, names: tuple[str, ...]) -> Callable[[World, str], Awaitable[str]]:
    async def check(w: World, role: str) -> str:
        seen = []
        for name in names:
            wanted = w.records[station][name]
            body = await w.gql(NODE, {"id": wanted}, headers=w.headers[role])
            assert "errors" not in body, body
            node = body["data"]["node"]
            assert node is None or node["id"] == wanted, body
            seen.append(node is not None)
        if all(seen) or not any(seen):
            return "OK" if all(seen) else "NO"
        return f"mixed {dict(zip(names, seen, strict=True))}"

    return check


async def check_me(w: World, role: str) -> str:
    body = await w.gql(ME, headers=w.headers[role])
    assert "errors" not in body, body
    me = body["data"]["me"]
    if me is None:
        return "NULL"
    roles = {"off": "OFFICER", "cmd": "STATION_COMMANDER", "sup": "SUPERVISOR", "adm": "ADMIN"}
    if role != "citizen" and me == {"id": gid("Officer", w.officers[role]), "role": roles[role[:3]]}:
        return "SELF"
    return f"me {me}"


async def check_nearest(w: World, role: str) -> str:
    body = await w.gql(NEAREST, {"near": {"latitude": 36.40, "longitude": 43.10}}, headers=w.headers[role])
    found = [n["station"]["id"] for n in body["data"]["nearestStations"]] if "errors" not in body else body
    nearest_first = [gid("Station", w.stations[s]) for s in "ABC"]
    return "PUBLIC" if found == nearest_first else f"nearest {found}"


async def check_stations(w: World, role: str) -> str:
    body = await w.gql(STATIONS, headers=w.headers[role])
    if "errors" in body:
        return f"errors {body['errors']}"
    page = body["data"]["stations"]
    listed = {e["node"]["id"] for e in page["edges"]}
    everything = {gid("Station", i) for i in w.stations.values()}
    return "PUBLIC" if listed == everything and page["totalCount"] == 3 else f"stations {page}"


async def check_station(w: World, role: str) -> str:
    wanted = gid("Station", w.stations["C"])
    body = await w.gql(STATION, {"id": wanted}, headers=w.headers[role])
    expected = {"station": {"id": wanted, "governorate": {"code": "IQ-BA"}}}
    return "PUBLIC" if body.get("data") == expected and "errors" not in body else f"station {body}"


def _incident_view(node: dict) -> str:
    if (
        not node["detailsHidden"]
        and node["sensitive"]
        and node["description"] == DV_TEXT
        and node["people"] == DV_PEOPLE
        and node["location"] == HERE
        and node["locationPrecisionMeters"] == 0
    ):
        return "DETAILS"
    if (
        node["detailsHidden"]
        and node["sensitive"]
        and node["description"] is None
        and node["people"] is None
        and node["location"] == HERE_COARSE
        and 1000 < node["locationPrecisionMeters"] < 1600
    ):
        return "HIDDEN"
    return f"view {node}"


async def _seen_by(
    w: World, role: str, name: str, queries: tuple[str, str, str], view: Callable[[dict], str]
) -> str:
    """How station A's record `name` looks to `role` by node(id) and in its list (which must agree):
    `queries` are the node query, the list query and the list's field; `view` names what a node shows."""
    node_query, list_query, field = queries
    wanted = w.records["A"][name]
    body = await w.gql(node_query, {"id": wanted}, headers=w.headers[role])
    assert "errors" not in body, body
    node = body["data"]["node"]
    by_node = "NO" if node is None else view(node)
    body = await w.gql(list_query, headers=w.headers[role])
    if (code := _top_level(body)) is not None:
        by_list = code
    else:
        listed = [e["node"] for e in body["data"][field]["edges"] if e["node"]["id"] == wanted]
        by_list = "NO" if not listed else view(listed[0])
    if by_list == "UNAUTH" and by_node == "NO":
        return "UNAUTH"
    return by_node if by_node == by_list else f"node {by_node} / list {by_list}"


async def _dv_seen_by(w: World, role: str) -> str:
    """How the DOMESTIC_VIOLENCE incident looks to `role` by node(id) and in the list (which must agree)."""
    return await _seen_by(w, role, "dv", (INCIDENT_NODE, INCIDENT_LIST, "incidents"), _incident_view)


async def check_dv_assigned(w: World, role: str) -> str:
    await _ok(
        w.gql,
        ASSIGN,
        "assignIncident",
        {
            "incidentId": w.records["A"]["dv"],
            "officerIds": [gid("Officer", w.officers["offA2"])],
            "expectedVersion": 1,
        },
        w.headers["cmdA"],
    )
    return await _dv_seen_by(w, role)


async def _write(
    w: World, role: str, query: str, field: str, values: dict, stored: str, done: Callable[[dict], bool]
) -> str:
    """Run a write as `role`: OK when the payload is clean, `done(payload)` and the SQL `stored` (a count
    or a state) changed; the error code when refused and `stored` did not change."""
    before = await w.scalar(stored, a=w.stations["A"])
    body = await w.gql(query, {"input": values}, headers=w.headers[role])
    changed = await w.scalar(stored, a=w.stations["A"]) != before
    if (code := _top_level(body)) is not None:
        return code if not changed else f"{code}, yet stored"
    payload = body["data"][field]
    if not payload["errors"]:
        return "OK" if changed and done(payload) else f"applied? {payload} (stored changed: {changed})"
    codes = {e["code"] for e in payload["errors"]}
    if len(codes) == 1 and not changed:
        return codes.pop()
    return f"payload {payload} (stored changed: {changed})"


INCIDENTS_AT_A = "SELECT count(*) FROM incidents WHERE station_id = :a"


async def check_report(w: World, role: str) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "category": "THEFT",
        "location": HERE,
        "occurredAt": _ago(minutes=5),
        "description": "A phone snatched in the street.",
        "stationId": gid("Station", w.stations["A"]),
    }
    return await _write(
        w,
        role,
        REPORT,
        "reportIncident",
        values,
        INCIDENTS_AT_A,
        lambda p: p["incident"]["station"]["id"] == gid("Station", w.stations["A"]),
    )


def _theft_state(w: World) -> str:
    """SQL for the THEFT incident's "status version assignees"."""
    return (
        "SELECT status || ' ' || version || ' ' || array_to_string(assigned_officer_ids, ',') "  # noqa: S608
        f"FROM incidents WHERE id = {_key(w.records['A']['theft'])} AND station_id = :a"
    )


async def check_update_status(w: World, role: str) -> str:
    values = {"incidentId": w.records["A"]["theft"], "status": "IN_PROGRESS", "expectedVersion": 1}
    return await _write(
        w,
        role,
        UPDATE_STATUS,
        "updateIncidentStatus",
        values,
        _theft_state(w),
        lambda p: (p["incident"]["status"], p["incident"]["version"]) == ("IN_PROGRESS", 2),
    )


async def check_assign(w: World, role: str) -> str:
    values = {
        "incidentId": w.records["A"]["theft"],
        "officerIds": [gid("Officer", w.officers["offA2"])],
        "expectedVersion": 1,
    }
    state = _theft_state(w)
    outcome = await _write(
        w,
        role,
        ASSIGN,
        "assignIncident",
        values,
        state,
        lambda p: (p["incident"]["status"], p["incident"]["version"]) == ("ASSIGNED", 2),
    )
    if outcome == "OK":
        assert await w.scalar(state, a=w.stations["A"]) == f"ASSIGNED 2 {w.officers['offA2']}"
    return outcome


async def check_start_patrol(w: World, role: str) -> str:
    station = gid("Station", w.stations["A"])
    values = {
        "clientId": str(uuid.uuid4()),
        "stationId": station,
        "startedAt": _ago(minutes=5),
        "officerIds": [gid("Officer", w.officers["offA"])],
    }
    return await _write(
        w,
        role,
        START_PATROL,
        "startPatrol",
        values,
        "SELECT count(*) FROM patrols WHERE station_id = :a",
        lambda p: p["patrol"]["station"]["id"] == station,
    )


async def check_append_track(w: World, role: str) -> str:
    patrol = w.records["A"]["patrol"]
    values = {
        "clientId": str(uuid.uuid4()),
        "patrolId": patrol,
        "fixes": [{**HERE, "accuracyMeters": 6.0, "recordedAt": _ago(minutes=20)}],
    }
    return await _write(
        w,
        role,
        APPEND_TRACK,
        "appendPatrolTrack",
        values,
        f"SELECT count(*) FROM patrol_fixes WHERE patrol_id = {_key(patrol)}",  # noqa: S608
        lambda p: p["patrol"]["id"] == patrol,
    )


async def check_end_patrol(w: World, role: str) -> str:
    patrol = w.records["A"]["patrol"]
    values = {"clientId": str(uuid.uuid4()), "patrolId": patrol, "endedAt": _ago(minutes=10)}
    return await _write(
        w,
        role,
        END_PATROL,
        "endPatrol",
        values,
        f"SELECT count(ended_at) FROM patrols WHERE id = {_key(patrol)}",  # noqa: S608
        lambda p: p["patrol"]["id"] == patrol,
    )


async def check_log_engagement(w: World, role: str) -> str:
    station = gid("Station", w.stations["A"])
    values = {
        "clientId": str(uuid.uuid4()),
        "kind": "MARKET_WALK",
        "location": HERE,
        "occurredAt": _ago(minutes=30),
        "stationId": station,
    }
    return await _write(
        w,
        role,
        LOG_ENGAGEMENT,
        "logEngagement",
        values,
        "SELECT count(*) FROM engagements WHERE station_id = :a",
        lambda p: p["engagement"]["station"]["id"] == station,
    )


async def check_sync(w: World, role: str) -> str:
    entry = {
        "reportIncident": {
            "clientId": str(uuid.uuid4()),
            "category": "FRAUD",
            "location": HERE,
            "occurredAt": _ago(hours=6),
            "description": "A fake fuel coupon sold at the market.",
            "stationId": gid("Station", w.stations["A"]),
        }
    }
    before = await w.scalar(INCIDENTS_AT_A, a=w.stations["A"])
    body = await w.gql(SYNC, {"input": {"entries": [entry]}}, headers=w.headers[role])
    changed = await w.scalar(INCIDENTS_AT_A, a=w.stations["A"]) != before
    if (code := _top_level(body)) is not None:
        return code if not changed else f"{code}, yet stored"
    payload = body["data"]["syncFieldLog"]
    (result,) = payload["results"]
    if payload["errors"] == [] and result["status"] == "APPLIED" and result["errors"] == [] and changed:
        return "APPLIED"
    if (
        payload["errors"] == []
        and result["status"] == "REJECTED"
        and not changed
        and [e["code"] for e in result["errors"]] == ["FORBIDDEN"]
        and result["node"] is None
    ):
        return "REJECTED"
    return f"sync {payload} (stored changed: {changed})"


async def check_update_follow_up(w: World, role: str) -> str:
    action = w.records["A"]["followUp"]
    values = {"followUpActionId": action, "status": "DONE"}
    return await _write(
        w,
        role,
        UPDATE_FOLLOW_UP,
        "updateFollowUpAction",
        values,
        f"SELECT status FROM follow_up_actions WHERE id = {_key(action)}",  # noqa: S608
        lambda p: p["followUpAction"] == {"id": action, "status": "DONE"},
    )


UPDATE_SERVICE_REQUEST = """
mutation Update($input: UpdateServiceRequestInput!) {
  updateServiceRequest(input: $input) { serviceRequest { id triage } errors { field code } }
}"""


async def _service_request(
    conn: AsyncConnection, station: int, place: dict, incident: str | None = None
) -> str:
    """A citizen's Open311 report in the station's triage (as api/open311.py stores one); with `incident`,
    accepted for that incident."""
    made = await conn.execute(
        text(
            "INSERT INTO service_requests (token, service_code, station_id, description, latitude, "
            "longitude, contact_phone, triage, incident_id, status_notes) VALUES (:token, "
            ":code, :station, :text, :lat, :lon, '07700000000', :triage, :incident, :notes) RETURNING id"
        ),
        {
            "token": uuid.uuid4(),
            "code": "street_lighting" if incident is None else "suspicious_activity",
            "station": station,
            "text": "The lamp is out." if incident is None else DV_REQUEST_TEXT,
            "lat": place["latitude"],
            "lon": place["longitude"],
            "triage": "NEW" if incident is None else "ACCEPTED",
            "incident": None if incident is None else _key(incident),
            "notes": None if incident is None else "An officer will call you back.",
        },
    )
    return gid("ServiceRequest", made.scalar_one())


SERVICE_REQUEST_FIELDS = """
  id detailsHidden incidentId description statusNotes location { latitude longitude } contact { phone }
"""
SERVICE_REQUEST_NODE = (
    f"query Node($id: ID!) {{ node(id: $id) {{ ... on ServiceRequest {{ {SERVICE_REQUEST_FIELDS} }} }} }}"
)
SERVICE_REQUEST_LIST = (
    f"query {{ serviceRequests(first: 100) {{ edges {{ node {{ {SERVICE_REQUEST_FIELDS} }} }} }} }}"
)


def _service_request_view(node: dict) -> str:
    if (
        not node["detailsHidden"]
        and node["description"] == DV_REQUEST_TEXT
        and node["statusNotes"] == "An officer will call you back."
        and node["location"] == HERE
        and node["contact"] == {"phone": "07700000000"}
    ):
        return "DETAILS"
    if (
        node["detailsHidden"]
        and node["description"] is None
        and node["statusNotes"] is None
        and node["location"] == HERE_COARSE
        and node["contact"] is None
    ):
        return "HIDDEN"
    return f"view {node}"


async def check_dv_service_request(w: World, role: str) -> str:
    """How the report accepted for the DOMESTIC_VIOLENCE incident looks by node(id) and in the list."""
    queries = (SERVICE_REQUEST_NODE, SERVICE_REQUEST_LIST, "serviceRequests")
    return await _seen_by(w, role, "dvServiceRequest", queries, _service_request_view)


def _update_service_request_check(name: str, triage: str) -> Callable[[World, str], Awaitable[str]]:
    """Triage station A's report `name` (`serviceRequest`, new; `dvServiceRequest`, accepted for the
    DOMESTIC_VIOLENCE incident) into `triage`."""

    async def check(w: World, role: str) -> str:
        request = w.records["A"][name]
        values = {
            "serviceRequestId": request,
            "expectedVersion": 1,
            "triage": triage,
            "statusNotes": "On it.",
        }
        return await _write(
            w,
            role,
            UPDATE_SERVICE_REQUEST,
            "updateServiceRequest",
            values,
            f"SELECT triage FROM service_requests WHERE id = {_key(request)}",  # noqa: S608
            lambda p: p["serviceRequest"] == {"id": request, "triage": triage},
        )

    return check


CORRECT_INCIDENT = """
mutation Correct($input: CorrectIncidentInput!) {
  correctIncident(input: $input) { incident { id version description } errors { field code } }
}"""
CORRECT_ENGAGEMENT = """
mutation Correct($input: CorrectEngagementInput!) {
  correctEngagement(input: $input) { engagement { id version notes } errors { field code } }
}"""
ADD_FOLLOW_UP = """
mutation Add($input: AddFollowUpActionInput!) {
  addFollowUpAction(input: $input) { followUpAction { id subjectKind } errors { field code } }
}"""
CHANGE_PASSWORD = """
mutation Change($input: ChangePasswordInput!) {
  changePassword(input: $input) { officer { id } endedSessions errors { field code } }
}"""
ATTACH_MEDIA = """
mutation Attach($input: AttachMediaInput!) {
  attachMedia(input: $input) { attachment { id } errors { field code } }
}"""
MY_SESSIONS = "query { mySessions { id current } }"
END_SESSION = """
mutation End($input: EndSessionInput!) {
  endSession(input: $input) { session { id endedAt } errors { field code } }
}"""


async def check_correct_incident(w: World, role: str) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "incidentId": w.records["A"]["theft"],
        "expectedVersion": 1,
        "reason": "The wrong market.",
        "description": "A motorcycle taken from outside the old market.",
    }
    return await _write(
        w,
        role,
        CORRECT_INCIDENT,
        "correctIncident",
        values,
        f"SELECT version FROM incidents WHERE id = {_key(w.records['A']['theft'])}",  # noqa: S608
        lambda p: p["incident"]["version"] == 2 and "old market" in p["incident"]["description"],
    )


async def check_correct_engagement(w: World, role: str) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "engagementId": w.records["A"]["engagement"],
        "expectedVersion": 1,
        "reason": "Forgot the notes.",
        "notes": "Residents asked for street lights.",
    }
    return await _write(
        w,
        role,
        CORRECT_ENGAGEMENT,
        "correctEngagement",
        values,
        f"SELECT version FROM engagements WHERE id = {_key(w.records['A']['engagement'])}",  # noqa: S608
        lambda p: p["engagement"]["version"] == 2 and p["engagement"]["notes"].startswith("Residents"),
    )


def _add_follow_up_check(incident: str) -> Callable[[World, str], Awaitable[str]]:
    async def check(w: World, role: str) -> str:
        values = {
            "clientId": str(uuid.uuid4()),
            "incidentId": w.records["A"][incident],
            "description": "Ask the shop owners for camera footage.",
        }
        return await _write(
            w,
            role,
            ADD_FOLLOW_UP,
            "addFollowUpAction",
            values,
            f"SELECT count(*) FROM follow_up_actions WHERE incident_id = {_key(w.records['A'][incident])}",  # noqa: S608
            lambda p: p["followUpAction"]["subjectKind"] == "INCIDENT",
        )

    return check


def _attach_media_check(incident: str) -> Callable[[World, str], Awaitable[str]]:
    async def check(w: World, role: str) -> str:
        headers = w.headers[role]
        values = {
            "clientId": str(uuid.uuid4()),
            "uploadId": await upload(w.gql.client, headers, PDF) if headers else uuid.uuid4().hex,
            "incidentId": w.records["A"][incident],
        }
        return await _write(
            w,
            role,
            ATTACH_MEDIA,
            "attachMedia",
            values,
            f"SELECT count(*) FROM attachments WHERE incident_id = {_key(w.records['A'][incident])}",  # noqa: S608
            lambda p: p["attachment"]["id"] is not None,
        )

    return check


async def check_sync_correct(w: World, role: str) -> str:
    entry = {
        "correctIncident": {
            "clientId": str(uuid.uuid4()),
            "incidentId": w.records["A"]["theft"],
            "expectedVersion": 1,
            "reason": "Synced from the phone.",
            "description": "Taken at night.",
        }
    }
    state = f"SELECT version FROM incidents WHERE id = {_key(w.records['A']['theft'])}"  # noqa: S608
    before = await w.scalar(state)
    body = await w.gql(SYNC, {"input": {"entries": [entry]}}, headers=w.headers[role])
    changed = await w.scalar(state) != before
    if (code := _top_level(body)) is not None:
        return code if not changed else f"{code}, yet stored"
    (result,) = body["data"]["syncFieldLog"]["results"]
    codes = [e["code"] for e in result["errors"]]
    if result["status"] == "APPLIED" and changed and not codes:
        return "APPLIED"
    # off the case: FORBIDDEN; another station's: NOT_FOUND, as for a missing incident
    if result["status"] == "REJECTED" and not changed and codes in (["FORBIDDEN"], ["NOT_FOUND"]):
        return "REJECTED"
    return f"sync {result} (stored changed: {changed})"


NEW_PASSWORD = "a quiet river under the old bridge"


async def check_change_password(w: World, role: str) -> str:
    officer = w.officers.get(role, 0)
    state = f"SELECT password_hash FROM officers WHERE id = {officer}"  # noqa: S608
    before = await w.scalar(state)
    body = await w.gql(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
        headers=w.headers[role],
    )
    changed = await w.scalar(state) != before
    if (code := _top_level(body)) is not None:
        return code if not changed else f"{code}, yet stored"
    payload = body["data"]["changePassword"]
    if payload["errors"] == [] and changed and payload["officer"] == {"id": gid("Officer", officer)}:
        return "OK"
    return f"payload {payload} (stored changed: {changed})"


async def check_my_sessions(w: World, role: str) -> str:
    body = await w.gql(MY_SESSIONS, headers=w.headers[role])
    if (code := _top_level(body)) is not None:
        return code
    listed = body["data"]["mySessions"]
    mine = await w.scalar(
        "SELECT count(*) FROM auth_sessions WHERE officer_id = :o AND revoked_at IS NULL", o=w.officers[role]
    )
    return "SELF" if len(listed) == mine and [s["current"] for s in listed].count(True) == 1 else f"{listed}"


async def check_end_session(w: World, role: str) -> str:
    """offA's other session (on a second phone), ended by `role`."""
    spare = uuid.uuid4()
    await w.conn.execute(
        text(
            "INSERT INTO auth_sessions (id, officer_id, device_id, expires_at) "
            "VALUES (:id, :o, 'second-phone', now() + interval '1 day')"
        ),
        {"id": spare, "o": w.officers["offA"]},
    )
    return await _write(
        w,
        role,
        END_SESSION,
        "endSession",
        {"sessionId": gid("SignInSession", spare)},
        f"SELECT count(revoked_at) FROM auth_sessions WHERE id = '{spare}'",  # noqa: S608
        lambda p: p["session"]["id"] == gid("SignInSession", spare) and p["session"]["endedAt"] is not None,
    )


PROBLEM_STATE = "SELECT version || ' ' || coalesce(published_at::text, '-') FROM problems WHERE id = {}"


async def check_open_problem(w: World, role: str) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "stationId": gid("Station", w.stations["A"]),
        "ownerId": gid("Officer", w.officers["offA"]),
        "title": "Street lights out on the market road",
        "description": "Raised by shopkeepers.",
    }
    return await _write(
        w,
        role,
        OPEN_PROBLEM,
        "openProblem",
        values,
        "SELECT count(*) FROM problems WHERE station_id = :a",
        lambda p: p["problem"]["station"]["id"] == gid("Station", w.stations["A"]),
    )


async def check_update_problem(w: World, role: str) -> str:
    problem = w.records["A"]["problem"]
    values = {"clientId": str(uuid.uuid4()), "problemId": problem, "expectedVersion": 1, "stage": "ANALYSIS"}
    return await _write(
        w,
        role,
        UPDATE_PROBLEM,
        "updateProblem",
        values,
        PROBLEM_STATE.format(_key(problem)),
        lambda p: p["problem"]["version"] == 2,
    )


async def check_sync_problem(w: World, role: str) -> str:
    problem = w.records["A"]["problem"]
    entry = {
        "updateProblem": {
            "clientId": str(uuid.uuid4()),
            "problemId": problem,
            "expectedVersion": 1,
            "priority": "URGENT",
        }
    }
    state = PROBLEM_STATE.format(_key(problem))
    before = await w.scalar(state)
    body = await w.gql(SYNC, {"input": {"entries": [entry]}}, headers=w.headers[role])
    changed = await w.scalar(state) != before
    if (code := _top_level(body)) is not None:
        return code if not changed else f"{code}, yet stored"
    (result,) = body["data"]["syncFieldLog"]["results"]
    codes = [e["code"] for e in result["errors"]]
    if result["status"] == "APPLIED" and changed and not codes:
        return "APPLIED"
    if result["status"] == "REJECTED" and not changed and codes in (["FORBIDDEN"], ["NOT_FOUND"]):
        return "REJECTED"
    return f"sync {result} (stored changed: {changed})"


_PUBLIC = {
    "title": {"ar": "سرقات السوق", "ku": "دزییەکانی بازاڕ", "en": "Thefts at the market"},
    "action": {"ar": "دوريات مسائية", "ku": "پاسەوانیی ئێواران", "en": "Evening patrols"},
}


async def check_publish_priority(w: World, role: str) -> str:
    problem = w.records["A"]["problem"]
    return await _write(
        w,
        role,
        PUBLISH_PRIORITY,
        "publishPriority",
        {"problemId": problem, **_PUBLIC},
        PROBLEM_STATE.format(_key(problem)),
        lambda p: p["problem"]["published"] is True,
    )


async def check_unpublish_priority(w: World, role: str) -> str:
    problem = w.records["A"]["problem"]
    await _ok(
        w.gql, PUBLISH_PRIORITY, "publishPriority", {"problemId": problem, **_PUBLIC}, w.headers["cmdA"]
    )
    return await _write(
        w,
        role,
        UNPUBLISH_PRIORITY,
        "unpublishPriority",
        {"problemId": problem},
        PROBLEM_STATE.format(_key(problem)),
        lambda p: p["problem"]["published"] is False,
    )


def _meeting(station: str) -> dict:
    return {
        "clientId": str(uuid.uuid4()),
        "stationId": station,
        "startsAt": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "place": {"ar": "قاعة البلدية", "ku": "هۆڵی شارەوانی", "en": "The municipality hall"},
        "topic": {"ar": "الأمان في السوق", "ku": "ئاسایش لە بازاڕ", "en": "Safety at the market"},
        "location": HERE,
    }


async def check_publish_meeting(w: World, role: str) -> str:
    return await _write(
        w,
        role,
        PUBLISH_MEETING,
        "publishMeeting",
        _meeting(gid("Station", w.stations["A"])),
        "SELECT count(*) FROM community_meetings WHERE station_id = :a",
        lambda p: p["meeting"]["id"] is not None,
    )


async def check_unpublish_meeting(w: World, role: str) -> str:
    made = await _ok(
        w.gql, PUBLISH_MEETING, "publishMeeting", _meeting(gid("Station", w.stations["A"])), w.headers["cmdA"]
    )
    meeting = made["meeting"]["id"]
    return await _write(
        w,
        role,
        UNPUBLISH_MEETING,
        "unpublishMeeting",
        {"meetingId": meeting},
        f"SELECT count(unpublished_at) FROM community_meetings WHERE id = {_key(meeting)}",  # noqa: S608
        lambda p: p["meeting"]["withdrawn"] is True,
    )


UPDATE_STATION = """
mutation U($input: UpdateStationInput!) {
  updateStation(input: $input) { station { id version phone } errors { field code message } }
}
"""
ADD_CLOSURE = """
mutation A($input: AddStationClosureInput!) {
  addStationClosure(input: $input) { station { id version } closure { id } errors { field code message } }
}
"""
REMOVE_CLOSURE = """
mutation R($input: RemoveStationClosureInput!) {
  removeStationClosure(input: $input) { station { id version } errors { field code message } }
}
"""
PUBLIC_HOLIDAYS = "query H { publicHolidays(year: 2025) { key startsOn endsOn name } }"
MOVE_HOLIDAY = """
mutation M($input: MovePublicHolidayInput!) {
  movePublicHoliday(input: $input) { holiday { key startsOn moved } errors { field code message } }
}
"""
SET_HOLIDAY = """
mutation S($input: SetPublicHolidayInput!) {
  setPublicHoliday(input: $input) { holiday { key startsOn } errors { field code message } }
}
"""
REMOVE_HOLIDAY = """
mutation X($input: RemovePublicHolidayInput!) {
  removePublicHoliday(input: $input) { holiday { key } errors { field code message } }
}
"""
STATION_A_VERSION = "SELECT version || ' ' || coalesce(phone, '') FROM stations WHERE id = :a"
HOLIDAY_CHANGES = (
    "SELECT coalesce(string_agg(key || ' ' || starts_on, ',' ORDER BY key), '') FROM public_holidays"
)


async def check_update_station(w: World, role: str) -> str:
    values = {
        "stationId": gid("Station", w.stations["A"]),
        "expectedVersion": 1,
        "phone": "+964 770 000 0001",
    }
    return await _write(
        w,
        role,
        UPDATE_STATION,
        "updateStation",
        values,
        STATION_A_VERSION,
        lambda p: p["station"]["version"] == 2 and p["station"]["phone"] == "+964 770 000 0001",
    )


async def check_add_closure(w: World, role: str) -> str:
    values = {
        "stationId": gid("Station", w.stations["A"]),
        "expectedVersion": 1,
        "startsAt": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "endsAt": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "reason": {"en": "Repairs to the building."},
    }
    return await _write(
        w,
        role,
        ADD_CLOSURE,
        "addStationClosure",
        values,
        "SELECT count(*) FROM station_closures WHERE station_id = :a",
        lambda p: p["station"]["version"] == 2 and p["closure"]["id"] is not None,
    )


async def check_remove_closure(w: World, role: str) -> str:
    closure = await w.scalar(
        "INSERT INTO station_closures (station_id, starts_at, ends_at, reason_en) "
        "VALUES (:a, now() + interval '1 day', now() + interval '2 days', 'Training day') RETURNING id",
        a=w.stations["A"],
    )
    values = {"closureId": gid("StationClosure", closure), "expectedVersion": 1}
    return await _write(
        w,
        role,
        REMOVE_CLOSURE,
        "removeStationClosure",
        values,
        "SELECT count(*) FROM station_closures WHERE station_id = :a",
        lambda p: p["station"]["version"] == 2,
    )


async def check_public_holidays(w: World, role: str) -> str:
    body = await w.gql(PUBLIC_HOLIDAYS, headers=w.headers[role])
    if (code := _top_level(body)) is not None:
        return code
    found = {h["key"]: h["startsOn"] for h in body["data"]["publicHolidays"]}
    return "PUBLIC" if found.get("eid-al-fitr-1446") == "2025-03-30" else f"odd holidays: {found}"


async def check_move_holiday(w: World, role: str) -> str:
    return await _write(
        w,
        role,
        MOVE_HOLIDAY,
        "movePublicHoliday",
        {"key": "eid-al-fitr-1446", "startsOn": "2025-03-31"},
        HOLIDAY_CHANGES,
        lambda p: p["holiday"] == {"key": "eid-al-fitr-1446", "startsOn": "2025-03-31", "moved": True},
    )


async def check_set_holiday(w: World, role: str) -> str:
    values = {"key": "victory-day-2025", "startsOn": "2025-12-10", "names": {"en": "Victory Day"}}
    return await _write(
        w,
        role,
        SET_HOLIDAY,
        "setPublicHoliday",
        values,
        HOLIDAY_CHANGES,
        lambda p: p["holiday"] == {"key": "victory-day-2025", "startsOn": "2025-12-10"},
    )


async def check_remove_holiday(w: World, role: str) -> str:
    await w.conn.execute(
        text(
            "INSERT INTO public_holidays (key, kind, starts_on, ends_on, name_en) "
            "VALUES ('one-off-2025-11-20', 'ONE_OFF', '2025-11-20', '2025-11-20', 'Census day')"
        )
    )
    return await _write(
        w,
        role,
        REMOVE_HOLIDAY,
        "removePublicHoliday",
        {"key": "one-off-2025-11-20"},
        HOLIDAY_CHANGES,
        lambda p: p["holiday"] is None,
    )


async def check_officers(w: World, role: str) -> str:
    body = await w.gql("query { officers(first: 100) { edges { node { id } } } }", headers=w.headers[role])
    if (code := _top_level(body)) is not None:
        return code
    seen = {e["node"]["id"] for e in body["data"]["officers"]["edges"]}
    at = {"A": {"offA", "offA2", "cmdA"}, "C": {"cmdC"}}
    found = "".join(s for s, names in at.items() if {gid("Officer", w.officers[n]) for n in names} <= seen)
    return found or "-"


async def check_create_officer(w: World, role: str) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "badgeNumber": f"P{uuid.uuid4().hex[:8]}",
        "name": "A New Officer",
        "role": "OFFICER",
        "stationId": gid("Station", w.stations["A"]),
    }
    stored = "SELECT count(*) FROM officers WHERE station_id = :a"
    return await _write(
        w, role, CREATE_OFFICER, "createOfficer", values, stored, lambda p: p["oneTimePassword"]
    )


async def check_update_officer(w: World, role: str) -> str:
    values = {"officerId": gid("Officer", w.officers["offA2"]), "expectedVersion": 1, "active": False}
    stored = f"SELECT active FROM officers WHERE id = {w.officers['offA2']}"  # noqa: S608
    return await _write(
        w, role, UPDATE_OFFICER, "updateOfficer", values, stored, lambda p: not p["officer"]["active"]
    )


async def check_reset_officer_password(w: World, role: str) -> str:
    values = {"clientId": str(uuid.uuid4()), "officerId": gid("Officer", w.officers["offA2"])}
    stored = f"SELECT password_hash FROM officers WHERE id = {w.officers['offA2']}"  # noqa: S608
    return await _write(
        w,
        role,
        RESET_OFFICER_PASSWORD,
        "resetOfficerPassword",
        values,
        stored,
        lambda p: p["oneTimePassword"],
    )


async def check_unlock_officer(w: World, role: str) -> str:
    badge = await w.scalar(f"SELECT badge_number FROM officers WHERE id = {w.officers['offA2']}")  # noqa: S608
    await w.conn.execute(
        text("INSERT INTO login_throttle (badge_key, source_key, failures) VALUES (:b, 'ip:192.0.2.1', 9)"),
        {"b": badge.casefold()},
    )
    stored = f"SELECT count(*) FROM login_throttle WHERE badge_key = '{badge.casefold()}'"  # noqa: S608
    values = {"officerId": gid("Officer", w.officers["offA2"])}
    return await _write(w, role, UNLOCK_OFFICER, "unlockOfficer", values, stored, lambda p: p["officer"])


async def check_audit_log(w: World, role: str) -> str:
    found = ""
    for station in ("A", "C"):
        body = await w.gql(
            "query A($s: ID!) { auditLog(filter: {subjectId: $s}) { edges { node { action } } } }",
            {"s": w.records[station]["theft"]},
            headers=w.headers[role],
        )
        if (code := _top_level(body)) is not None:
            return code
        if any(e["node"]["action"] == "reportIncident" for e in body["data"]["auditLog"]["edges"]):
            found += station
    return found or "-"


CHECKS: dict[str, Callable[[World, str], Awaitable[str]]] = {
    "incidents": _list_check("incidents", "theft", "dv"),
    "patrols": _list_check("patrols", "patrol"),
    "engagements": _list_check("engagements", "engagement"),
    "followUpActions": _list_check("followUpActions", "followUp"),
    "serviceRequests": _list_check("serviceRequests", "serviceRequest", "dvServiceRequest"),
    "node(patrol A)": _node_check("A", ("patrol",)),
    "node(engagement A)": _node_check("A", ("engagement",)),
    "node(followUp A)": _node_check("A", ("followUp",)),
    "node(theft A)": _node_check("A", ("theft",)),
    "node(dv A)": _node_check("A", ("dv",)),
    "node(serviceRequest A)": _node_check("A", ("serviceRequest",)),
    "node(records C)": _node_check(
        "C", ("patrol", "engagement", "followUp", "theft", "serviceRequest", "problem", "photo")
    ),
    "node(photo A)": _node_check("A", ("photo",)),
    "node(dv photo A)": _node_check("A", ("dvPhoto",)),
    "me": check_me,
    "nearestStations": check_nearest,
    "stations": check_stations,
    "station": check_station,
    "dv details": _dv_seen_by,
    "dv, offA2 assigned": check_dv_assigned,
    "serviceRequest(dv)": check_dv_service_request,
    "reportIncident": check_report,
    "updateIncidentStatus": check_update_status,
    "assignIncident": check_assign,
    "startPatrol": check_start_patrol,
    "appendPatrolTrack": check_append_track,
    "endPatrol": check_end_patrol,
    "logEngagement": check_log_engagement,
    "syncFieldLog": check_sync,
    "updateFollowUpAction": check_update_follow_up,
    "correctIncident": check_correct_incident,
    "correctEngagement": check_correct_engagement,
    "addFollowUpAction": _add_follow_up_check("theft"),
    "addFollowUpAction(dv)": _add_follow_up_check("dv"),
    "syncFieldLog(correct)": check_sync_correct,
    "attachMedia": _attach_media_check("theft"),
    "attachMedia(dv)": _attach_media_check("dv"),
    "changePassword": check_change_password,
    "mySessions": check_my_sessions,
    "endSession": check_end_session,
    "updateServiceRequest": _update_service_request_check("serviceRequest", "ACCEPTED"),
    "updateServiceRequest(dv)": _update_service_request_check("dvServiceRequest", "RESOLVED"),
    "problems": _list_check("problems", "problem"),
    "node(problem A)": _node_check("A", ("problem",)),
    "openProblem": check_open_problem,
    "updateProblem": check_update_problem,
    "syncFieldLog(problem)": check_sync_problem,
    "publishPriority": check_publish_priority,
    "unpublishPriority": check_unpublish_priority,
    "publishMeeting": check_publish_meeting,
    "unpublishMeeting": check_unpublish_meeting,
    "updateStation": check_update_station,
    "addStationClosure": check_add_closure,
    "removeStationClosure": check_remove_closure,
    "publicHolidays": check_public_holidays,
    "movePublicHoliday": check_move_holiday,
    "setPublicHoliday": check_set_holiday,
    "removePublicHoliday": check_remove_holiday,
    "officers": check_officers,
    "createOfficer": check_create_officer,
    "updateOfficer": check_update_officer,
    "resetOfficerPassword": check_reset_officer_password,
    "unlockOfficer": check_unlock_officer,
    "auditLog": check_audit_log,
}


def test_the_matrix_is_complete():
    assert ROLES == ("offA", "offA2", "cmdA", "offB", "cmdC", "supNI", "supBA", "admin", "citizen")
    assert list(EXPECTED) == list(CHECKS)


@pytest.mark.parametrize(("operation", "role"), [(o, r) for o in EXPECTED for r in ROLES])
async def test_permission(w: World, operation: str, role: str):
    assert await CHECKS[operation](w, role) == EXPECTED[operation][role]
