"""Compiled operations (schema/compiled) answer exactly as ordinary execution does.

Every query operation the apps ship (mobile_contract/operations/**, globbed: a new one joins by itself)
and those of the /map page run through two apps on the same database, one compiling operations and one
executing field by field, as each kind of viewer, with realistic variables and broken ones. The status,
`data` and `errors` (in order) must be equal, and the compiled app must have answered from its compiled
operation, not handed the request over. Mutations are never compiled, and still work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, OperationType, parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from api import map_page
from api.app import create_app
from resolvers.demo.fieldwork import DEMO_PASSWORD, seed_fieldwork
from resolvers.demo.stations import MODEL_STATIONS, generate_stations
from resolvers.station_writer import write_stations
from schema import build_schema
from schema.compiled import CompiledOperation, make_plan
from schema.node import to_global_id
from tests.conftest import GraphQL
from tests.factories import make_feedback, make_officer, sign_in

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "mobile_contract" / "operations").rglob("*.graphql"))


def _operation(document: str) -> OperationDefinitionNode:
    return next(d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode))


def _documents() -> dict[str, str]:
    found = {f"{p.parent.name}/{p.stem}": p.read_text(encoding="utf-8") for p in SHIPPED}
    found.update({f"map/{name}": text_ for name, text_ in map_page.operations().items()})
    return found


DOCUMENTS = _documents()
QUERIES = sorted(k for k, v in DOCUMENTS.items() if _operation(v).operation == OperationType.QUERY)
# mutations and subscriptions (the map page's Feed): ordinary execution
NOT_QUERIES = sorted(k for k, v in DOCUMENTS.items() if _operation(v).operation != OperationType.QUERY)

# Documents beyond the shipped ones, for what the shipped ones do not use (yet): fragments with type
# conditions on interfaces and unions, @include/@skip, aliases and merged fields, __typename, errors in
# one of several root fields, and nulls that bubble up.
EXTRA = {
    "fragments": """
      query Fragments($id: ID!, $ids: [ID!]!) {
        node(id: $id) { __typename id ...StationPart ... on Node { id } }
        nodes(ids: $ids) { __typename ... on Station { name } ...IncidentPart ... on Engagement { kind } }
      }
      fragment StationPart on Station { name location { latitude } governorate { code ...Gov } }
      fragment Gov on Governorate { name }
      fragment IncidentPart on Incident { category status station { id name } }
    """,
    "directives": """
      query Directives($near: GeoPointInput!, $withPhone: Boolean!, $noHours: Boolean = false) {
        nearestStations(near: $near, first: 3) {
          distanceMeters
          station {
            id
            phone @include(if: $withPhone)
            ... on Station @skip(if: $noHours) { openingHours { weekday opens } nextChangeAt }
            name @skip(if: true)
            address @include(if: false)
          }
        }
      }
    """,
    "aliases": """
      query Aliases($near: GeoPointInput!) {
        here: nearestStations(near: $near, first: 2) { d: distanceMeters station { n: name id } }
        again: nearestStations(near: $near, first: 2, openNow: false) {
          station { id id name } station { location { longitude } } __typename
        }
        governorates { __typename code c: code }
      }
    """,
    "errors": """
      query Errors($bad: ID!, $worse: ID!) {
        a: station(id: $bad) { id }
        b: station(id: $worse) { id }
        governorates { code }
      }
    """,
    "bubbling": """
      query Bubbling($first: Int) {
        governorates { code }
        stations(first: $first) { totalCount edges { node { id } } }
      }
    """,
    "nested errors": """
      query Nested($id: ID!, $ids: [ID!]!) {
        node(id: $id) { id }
        nodes(ids: $ids) { id }
      }
    """,
}


@dataclass
class World:
    """The demo data, and what the variables of the operations point at."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    station: str = ""
    governorate: str = ""
    sensitive_incident: str = ""
    incident: str = ""
    engagement: str = ""
    patrol: str = ""
    officer: str = ""
    commanded_station: str = ""
    center: tuple[float, float] = (36.34, 43.13)


@pytest.fixture
async def apps(sessionmaker, settings):
    """The same app twice on the same database: compiling operations, and executing field by field."""
    made = [create_app(settings, sessionmaker=sessionmaker, plans=plans) for plans in (True, False)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://markaz.test")
        for app in made
    ]
    try:
        yield made, clients
    finally:
        for c in clients:
            await c.aclose()


@pytest.fixture
async def world(apps, sessionmaker) -> World:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    async with sessionmaker() as session:
        await write_stations(session, MODEL_STATIONS)
        await write_stations(session, generate_stations(40, seed=3))
        credentials, _ = await seed_fieldwork(session, seed=7, scale=0.08, now=now)
        # a sensitive incident, an officer on its case and one of the same station off it
        row = (
            await session.execute(
                text(
                    "SELECT id, station_id, assigned_officer_ids, reported_by_id FROM incidents "
                    "WHERE sensitive ORDER BY id LIMIT 1"
                )
            )
        ).one()
        on_case_id = row.reported_by_id
        await session.execute(
            text("UPDATE incidents SET assigned_officer_ids = ARRAY[:o]::bigint[] WHERE id = :i"),
            {"o": on_case_id, "i": row.id},
        )
        badge_on = await session.scalar(
            text("SELECT badge_number FROM officers WHERE id = :i"), {"i": on_case_id}
        )
        _, badge_off = await make_officer(session, role="OFFICER", station_id=row.station_id)
        plain = (
            await session.execute(text("SELECT id FROM incidents WHERE NOT sensitive ORDER BY id LIMIT 1"))
        ).one()
        engagement = await session.scalar(
            text(
                "SELECT e.id FROM engagements e JOIN follow_up_actions f ON f.engagement_id = e.id "
                "ORDER BY e.id LIMIT 1"
            )
        )
        patrol = await session.scalar(text("SELECT id FROM patrols ORDER BY id LIMIT 1"))
        station = await session.scalar(text("SELECT id FROM stations WHERE id = :i"), {"i": row.station_id})
        by_role = {c.role: c.badge for c in credentials}
        commanded = await session.scalar(
            text("SELECT station_id FROM officers WHERE badge_number = :b"),
            {"b": by_role["STATION_COMMANDER"]},
        )
        # feedback with comments at the commander's station, in the last completed month
        last_month = (now.replace(day=1) - timedelta(days=1)).date()
        for day, comment in ((3, "The desk was quick"), (17, None), (20, "A long wait at the gate")):
            on = last_month.replace(day=min(day, last_month.day))
            await make_feedback(session, station_id=commanded, on=on, comment=comment)
        await session.commit()
    gql = GraphQL(apps[1][1])
    headers = {"anonymous": {}}
    headers["officer on the case"] = await sign_in(gql, badge_on, DEMO_PASSWORD)
    from tests.factories import PASSWORD

    headers["officer off the case"] = await sign_in(gql, badge_off, PASSWORD)
    for role, name in (("SUPERVISOR", "supervisor"), ("ADMIN", "admin"), ("STATION_COMMANDER", "commander")):
        headers[name] = await sign_in(gql, by_role[role], DEMO_PASSWORD)
    return World(
        headers=headers,
        station=to_global_id("Station", station),
        governorate=to_global_id("Governorate", "IQ-NI"),
        sensitive_incident=to_global_id("Incident", row.id),
        incident=to_global_id("Incident", plain.id),
        engagement=to_global_id("Engagement", engagement),
        patrol=to_global_id("Patrol", patrol),
        officer=to_global_id("Officer", on_case_id),
        commanded_station=to_global_id("Station", commanded),
    )


def _window(days: int = 30) -> dict[str, str]:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)  # activity asks whole hours
    return {"from": (now - timedelta(days=days)).isoformat(), "to": now.isoformat()}


def _months() -> dict[str, str]:
    first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (first - timedelta(days=80)).replace(day=1)
    return {"from": start.isoformat(), "to": first.isoformat()}


def variable_sets(name: str, w: World) -> list[dict[str, Any] | None]:
    """Realistic variables for each operation, then missing and invalid ones."""
    near = {"latitude": w.center[0], "longitude": w.center[1]}
    mosul = {"bbox": {"south": 36.2, "west": 43.0, "north": 36.5, "east": 43.3}}
    by_governorate = {"governorateId": w.governorate}
    op = name.split("/")[-1]
    sets: list[dict[str, Any] | None] = {
        "NearestStations": [
            {"near": near},
            {"near": near, "first": 10, "openNow": False},
            {"near": near, "services": ["FAMILY_AND_CHILD_PROTECTION"], "withinMeters": 20000.0},
            {"near": near, "first": 0},
            {"near": {"latitude": 91, "longitude": 43}},
            {"near": near, "services": ["NOT_A_SERVICE"]},
        ],
        "SearchStations": [
            {"search": "موصل"},
            {"governorateId": w.governorate, "first": 5},
            {"services": ["TRAFFIC"], "first": 3, "after": "bad cursor"},
            {"first": 500},
        ],
        "Station": [{"id": w.station}, {"id": "not an id"}, {"id": to_global_id("Station", 999999)}],
        "Governorates": [None],
        "PublicSafetyMap": [
            {"area": by_governorate, **_months()},
            {"area": mosul, **_months(), "resolution": 6},
            {"area": mosul, **_months(), "resolution": 9},
        ],
        "EngagementHistory": [{"id": w.engagement}, {"id": w.incident}, {"id": "bad"}],
        "IncidentHistory": [{"id": w.sensitive_incident}, {"id": w.incident}, {"id": w.engagement}],
        "FollowUpActions": [
            {},
            {"first": 5, "filter": {"overdue": True}},
            {"filter": {"ownerId": w.officer}},
        ],
        "MyFollowUpActions": [{"filter": {"subjects": ["ENGAGEMENT", "INCIDENT"]}}, {"first": 3}],
        "MyIncidents": [{}, {"first": 2}, {"after": "nope"}],
        "Me": [None],
        "MySessions": [None],
        "ActivityMap": [
            {"area": mosul, **_window()},
            {"area": by_governorate, **_window(60), "layers": ["INCIDENTS"], "resolution": 7},
            {"area": mosul, **_window(), "resolution": 2},
        ],
        "ActivitySummary": [{"area": by_governorate, **_window(60)}, {"area": mosul, **_window(7)}],
        "ActivityTimeline": [
            {"area": mosul, **_window()},
            {"area": by_governorate, **_window(60), "bucket": "WEEK", "layers": ["ENGAGEMENTS"]},
        ],
        "CoverageGaps": [{"area": mosul}, {"area": by_governorate, "days": 7, "resolution": 7}],
        "Engagements": [{}, {"first": 3, "filter": {"stationId": w.station}}],
        "Incidents": [{}, {"first": 5, "filter": {"categories": ["DOMESTIC_VIOLENCE"]}}],
        "Patrols": [{}, {"first": 2, "filter": {"status": "ENDED"}}],
        "Stations": [{"governorateId": None}, {"governorateId": w.governorate}],
        "FeedbackComments": [
            {"stationId": w.commanded_station, **_months()},
            {"stationId": w.commanded_station, **_months(), "first": 1},
            {"stationId": w.station, **_months()},
            {"stationId": w.commanded_station, "from": _months()["to"], "to": _months()["from"]},
        ],
        "FeedbackLink": [{"stationId": w.commanded_station}, {"stationId": w.station}, {"stationId": "bad"}],
    }.get(op, [{}])
    # and what a broken client sends: nothing, and a value of the wrong type for each variable
    broken: list[dict[str, Any] | None] = [{}]
    definitions = _operation(DOCUMENTS[name]).variable_definitions or ()
    if definitions:
        broken.append({d.variable.name.value: {"not": ["what", "it", "wants"]} for d in definitions})
    return [*sets, *broken]


async def both(apps, document: str, variables: dict | None, headers: dict) -> tuple[int, dict]:
    """(status, body) of the compiling app, which must equal the other's."""
    answers = []
    for client in apps[1]:
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"accept": "application/graphql-response+json", "accept-language": "en", **headers},
        )
        answers.append((response.status_code, _without_request_ids(response.json())))
    assert answers[0] == answers[1], json.dumps(answers, indent=1, ensure_ascii=False)[:4000]
    return answers[0]


def _without_request_ids(body: dict) -> dict:
    """The body less each error's requestId (one per request, so never equal between two requests)."""
    for error in body.get("errors") or ():
        (error.get("extensions") or {}).pop("requestId", None)
    return body


def compiled(apps, document: str) -> CompiledOperation:
    executor = apps[0][0].state.executor
    op = _operation(document)
    plan = executor.prepare(document).plans.get(op.name.value if op.name else None)
    assert isinstance(plan, CompiledOperation), "the operation was not compiled"
    return plan


@pytest.mark.parametrize("name", QUERIES)
def test_every_shipped_query_compiles(name):
    document = parse(DOCUMENTS[name])
    assert make_plan(build_schema(), _operation(DOCUMENTS[name]), document) is not None


@pytest.mark.parametrize("name", NOT_QUERIES)
def test_mutations_and_subscriptions_are_not_compiled(name):
    document = parse(DOCUMENTS[name])
    assert make_plan(build_schema(), _operation(DOCUMENTS[name]), document) is None


async def test_every_shipped_query_answers_as_ordinary_execution(apps, world):
    """The heart of it: every operation, every viewer, every set of variables."""
    for name in QUERIES:
        document = DOCUMENTS[name]
        for headers in world.headers.values():
            for variables in variable_sets(name, world):
                await both(apps, document, variables, headers)
        plan = compiled(apps, document)
        assert plan.answered > 0 and plan.handed_over == 0, name


async def test_answers_hold_data_for_the_viewers_they_are_for(apps, world):
    """Not only errors alike: the compiled answers carry data (the differential test is not vacuous)."""
    checks = {
        "citizen/NearestStations": ("anonymous", {"near": {"latitude": 36.34, "longitude": 43.13}}),
        "citizen/Station": ("anonymous", {"id": world.station}),
        "officer/IncidentHistory": ("officer on the case", {"id": world.sensitive_incident}),
        "officer/EngagementHistory": ("admin", {"id": world.engagement}),
        "supervisor/Incidents": ("supervisor", {}),
        "supervisor/Patrols": ("admin", {}),
        "officer/Me": ("officer off the case", None),
        "supervisor/FeedbackComments": ("commander", {"stationId": world.commanded_station, **_months()}),
        "supervisor/FeedbackLink": ("commander", {"stationId": world.commanded_station}),
    }
    for name, (viewer, variables) in checks.items():
        status, body = await both(apps, DOCUMENTS[name], variables, world.headers[viewer])
        assert status == 200 and "errors" not in body and body["data"], (name, body)
        assert any(v for v in body["data"].values()), (name, body)


async def test_sensitive_details_are_hidden_off_the_case_in_both(apps, world):
    query = DOCUMENTS["officer/IncidentHistory"]
    _, on = await both(apps, query, {"id": world.sensitive_incident}, world.headers["officer on the case"])
    _, off = await both(apps, query, {"id": world.sensitive_incident}, world.headers["officer off the case"])
    assert on["data"]["node"] is not None and on["data"]["node"]["detailsHidden"] is False
    assert off["data"]["node"] is None or off["data"]["node"]["detailsHidden"] is True


@pytest.mark.parametrize("what", sorted(EXTRA))
async def test_fragments_directives_aliases_and_errors_answer_as_ordinary_execution(apps, world, what):
    document = EXTRA[what]
    near = {"latitude": 36.34, "longitude": 43.13}
    variables = {
        "fragments": [
            {"id": world.station, "ids": [world.station, world.incident, world.engagement, world.patrol]},
            {"id": world.sensitive_incident, "ids": [world.sensitive_incident, "bad"]},
            {"id": "bad", "ids": []},
        ],
        "directives": [
            {"near": near, "withPhone": True},
            {"near": near, "withPhone": False, "noHours": True},
            {"near": near, "withPhone": True, "noHours": False},
            {"near": near},
            {"near": near, "withPhone": "yes"},
        ],
        "aliases": [{"near": near}],
        "errors": [
            {"bad": "not an id", "worse": "also not"},
            {"bad": world.station, "worse": "no"},
            {"bad": world.incident, "worse": world.station},
        ],
        "bubbling": [{"first": 1000}, {"first": 0}, {"first": 2}, {}],
        "nested errors": [
            {"id": world.station, "ids": ["a", "b", world.station]},
            {"id": "x", "ids": [world.station] * 3},
        ],
    }[what]
    for headers in (
        world.headers["anonymous"],
        world.headers["supervisor"],
        world.headers["officer off the case"],
    ):
        for given_ in variables:
            await both(apps, document, given_, headers)
    plan = compiled(apps, document)
    assert plan.answered > 0 and plan.handed_over == 0
    if what == "directives":
        assert len(plan.trees) == 2  # one tree per combination of the @skip/@include variables seen


async def test_mutations_run_through_ordinary_execution(apps, world):
    executor = apps[0][0].state.executor
    login = DOCUMENTS["officer/Login"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=apps[0][0]), base_url="http://m.test"
    ) as c:
        gql = GraphQL(c)
        variables = {"badgeNumber": "nobody", "password": "wrong password"}
        body = await gql(login, variables)
        assert body["data"]["login"]["accessToken"] is None or body["data"]["login"]["errors"]
    assert executor.prepare(login).plans.get("Login") is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # to the metre: a latitude of 1e-237 underflows in markaz_ecef (an error of its own, not of execution)
    latitude=st.floats(min_value=-100, max_value=100, allow_nan=False).map(lambda x: round(x, 5)),
    longitude=st.floats(min_value=-200, max_value=200, allow_nan=False).map(lambda x: round(x, 5)),
    first=st.one_of(st.none(), st.integers(min_value=-3, max_value=120)),
    open_now=st.one_of(st.none(), st.booleans()),
    services=st.one_of(
        st.none(), st.lists(st.sampled_from(["TRAFFIC", "FAMILY_AND_CHILD_PROTECTION", "JUVENILE_POLICE"]))
    ),
    within=st.one_of(st.none(), st.floats(min_value=-10, max_value=1e6, allow_nan=False).map(round)),
)
async def test_random_variables_answer_alike(
    apps, world, latitude, longitude, first, open_now, services, within
):
    variables = {
        "near": {"latitude": latitude, "longitude": longitude},
        "first": first,
        "openNow": open_now,
        "services": services,
        "withinMeters": within,
    }
    await both(apps, DOCUMENTS["citizen/NearestStations"], variables, {})


async def _statements_of(
    apps, sessionmaker, index: int, document: str, variables, headers
) -> tuple[int, dict]:
    from tests.factories import statements

    with statements(sessionmaker) as seen:
        response = await apps[1][index].post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"accept": "application/graphql-response+json", **headers},
        )
    # the audit log's batch (one, for every sensitive record read) is not a read of the operation's
    return len(
        [q for q in seen if "audit_log" not in q and "pg_advisory_xact_lock" not in q]
    ), response.json()


# Statements an operation may take at most (authentication's own included): loaders batch each level, so
# no operation's count grows with its page.
MAX_STATEMENTS = 12
# The working set reads its log position, the snapshot of the officer's scope and five kinds of node
# (stations, incidents, follow-ups, patrols, officers), each one batch: a fixed number all the same.
MAX_STATEMENTS_OF = {"officer/DeviceChanges": 24}


async def test_round_trips_are_those_of_ordinary_execution_and_do_not_grow_with_the_page(
    apps, world, sessionmaker
):
    for name in QUERIES:
        document = DOCUMENTS[name]
        variables = variable_sets(name, world)[0]
        headers = world.headers["anonymous" if name.startswith("citizen/") else "admin"]
        if name.endswith(("/Me", "/MySessions", "/MyIncidents", "/MyFollowUpActions")):
            headers = world.headers["officer on the case"]
        if name.endswith("/FeedbackComments"):  # its commander's only: an admin is refused
            headers = world.headers["commander"]
        await both(apps, document, variables, headers)  # warm: what the process caches (governorates) is read
        compiled_count, compiled_body = await _statements_of(
            apps, sessionmaker, 0, document, variables, headers
        )
        ordinary_count, ordinary_body = await _statements_of(
            apps, sessionmaker, 1, document, variables, headers
        )
        assert compiled_body == ordinary_body or "errors" in compiled_body, name
        assert compiled_count == ordinary_count, (name, compiled_count, ordinary_count)
        assert compiled_count <= MAX_STATEMENTS_OF.get(name, MAX_STATEMENTS), (name, compiled_count)
    for name, filter_ in (
        ("supervisor/Incidents", None),
        ("supervisor/Engagements", None),
        ("supervisor/Patrols", None),
        ("supervisor/FollowUpActions", None),
    ):
        counts = []
        for first in (5, 12, 40):
            count, body = await _statements_of(
                apps,
                sessionmaker,
                0,
                DOCUMENTS[name],
                {"first": first, "filter": filter_},
                world.headers["admin"],
            )
            assert "errors" not in body, body
            counts.append(count)
        assert counts[0] == counts[1] == counts[2], (name, counts)
