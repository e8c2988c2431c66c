"""Execution plans (schema/plans.py) answer exactly as ordinary execution does: the same data, the same
errors and statuses, the same language, for citizens and officers alike; and they are only made for
operations they can answer."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from graphql import parse

from api.app import create_app
from resolvers.context import Context
from resolvers.lang import pick_language
from resolvers.station_records import Closure
from schema import build_schema
from schema.plans import make_plan
from tests.conftest import GraphQL
from tests.factories import ALL_SERVICES, make_officer, make_stations, sign_in, station_record, weekly

BENCH = """query Nearest($near: GeoPointInput!) {
  nearestStations(near: $near, first: 5, openNow: true, services: [FAMILY_AND_CHILD_PROTECTION]) {
    distanceMeters isOpen station { id name phone location { latitude longitude } }
  }
}"""
EVERY_PLAIN_FIELD = """query All($near: GeoPointInput!, $first: Int, $openNow: Boolean, $at: DateTime,
                      $services: [StationService!], $within: Float) {
  found: nearestStations(near: $near, first: $first, openNow: $openNow, at: $at, services: $services,
                         withinMeters: $within) {
    __typename
    metres: distanceMeters
    isOpen
    station {
      __typename id name names { ar ku en } isModelStation location { latitude longitude __typename }
      address phone services alwaysOpen timezone
    }
  }
}"""
NOT_PLANNED = {
    "a field with a resolver": """query { nearestStations(near: {latitude: 36.38, longitude: 43.15}) {
        station { name governorate { code name } } } }""",
    "a fragment": """query { nearestStations(near: {latitude: 36.38, longitude: 43.15}) {
        station { ...S } } } fragment S on Station { id name }""",
    "an inline fragment": """query { nearestStations(near: {latitude: 36.38, longitude: 43.15}) {
        station { ... on Station { id } } } }""",
    "a directive": """query($x: Boolean!) { nearestStations(near: {latitude: 36.38, longitude: 43.15}) {
        distanceMeters @include(if: $x) } }""",
    "two root fields": """query { nearestStations(near: {latitude: 36.38, longitude: 43.15}) {
        distanceMeters } governorates { code } }""",
    "a key given twice": """query { nearestStations(near: {latitude: 36.38, longitude: 43.15}) {
        station { id id } } }""",
    "another root field": """query { governorates { code name } }""",
    "a field with arguments below the root": """query {
        nearestStations(near: {latitude: 36.38, longitude: 43.15}) {
        station { isOpen(service: TRAFFIC) } } }""",
}
EAST_MOSUL = (36.38, 43.15)


@pytest.fixture
async def apps(sessionmaker, settings):
    """The same app twice, on the same database: with execution plans, and without (ordinary execution)."""
    clients = []
    for plans in (True, False):
        transport = httpx.ASGITransport(app=create_app(settings, sessionmaker=sessionmaker, plans=plans))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://markaz.test"))
    try:
        yield clients
    finally:
        for c in clients:
            await c.aclose()


@pytest.fixture
async def stations(sessionmaker):
    """Stations around East Mosul: some always open, some with day hours, one with a family desk of its
    own hours, one with a closure in force, names missing in some languages, phones and addresses or not."""
    now = datetime.now(UTC)
    rng = random.Random(5)
    records = []
    for i in range(30):
        lat = EAST_MOSUL[0] + rng.uniform(-0.05, 0.05)
        lon = EAST_MOSUL[1] + rng.uniform(-0.05, 0.05)
        kind = i % 5
        names = {"ar": f"مركز {i}", "en": f"Station {i}"} if kind else {"ar": f"مركز {i}"}
        services = ALL_SERVICES if kind != 2 else ("TRAFFIC",)
        records.append(
            station_record(
                names=names,
                latitude=lat,
                longitude=lon,
                services=services,
                always_open=kind in (0, 1),
                hours=weekly("08:00", "14:00") if kind == 3 else (),
                phone=f"+964 770 000 {i:04d}" if kind != 4 else None,
                address=None if kind == 1 else f"Street {i}",
                is_model_station=i == 7,
                closures=(Closure(now - timedelta(hours=1), now + timedelta(hours=5), "repairs", None),)
                if i == 4
                else (),
            )
        )
    records.append(
        station_record(
            names={"en": "Desk"},
            latitude=36.381,
            longitude=43.151,
            always_open=True,
            services=ALL_SERVICES,
            hours=weekly("08:00", "09:00", service="FAMILY_AND_CHILD_PROTECTION"),
        )
    )
    async with sessionmaker() as session:
        await make_stations(session, records)
        await session.commit()


async def both(apps, query: str, variables: dict | None, headers: dict | None = None):
    """(status, body) from the app with plans and from the one without; they must be equal."""
    answers = []
    for client in apps:
        sent = {"accept": "application/graphql-response+json", **(headers or {})}
        body = {"query": query, "variables": variables}
        response = await client.post("/graphql", json=body, headers=sent)
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    return answers[0]


def plan_for(query: str):
    document = parse(query)
    return make_plan(build_schema(), document.definitions[0])


def test_plans_are_made_for_the_citizens_nearest_query_and_plain_fields():
    assert plan_for(BENCH) is not None
    assert plan_for(EVERY_PLAIN_FIELD) is not None


@pytest.mark.parametrize("what", sorted(NOT_PLANNED))
def test_no_plan_for_what_a_plan_cannot_answer(what):
    assert plan_for(NOT_PLANNED[what]) is None


@pytest.mark.parametrize("lang", ["ar", "ku", "en", "fr, en;q=0.5"])
async def test_plans_answer_as_ordinary_execution(apps, stations, sessionmaker, lang):
    rng = random.Random(lang)
    at_times = [None, "2026-11-29T10:30:00+03:00", "2026-11-29T23:30:00+03:00", "2026-11-29T08:30:00+03:00"]
    for index in range(12):
        near = {
            "latitude": EAST_MOSUL[0] + rng.uniform(-0.04, 0.04),
            "longitude": EAST_MOSUL[1] + rng.uniform(-0.04, 0.04),
        }
        variables = {
            "near": near,
            "first": rng.choice([None, 1, 3, 10, 40]),
            "openNow": rng.choice([None, True, False]),
            "at": at_times[index % len(at_times)],
            "services": rng.choice(
                [None, [], ["FAMILY_AND_CHILD_PROTECTION"], ["TRAFFIC", "JUVENILE_POLICE"]]
            ),
            "within": rng.choice([None, 2500.0, 100000.0]),
        }
        status, body = await both(apps, EVERY_PLAIN_FIELD, variables, {"accept-language": lang})
        assert status == 200 and "errors" not in body, body
        # and the plan itself answered (it did not hand the request over to ordinary execution)
        ctx = Context(sessionmaker=sessionmaker, lang=pick_language(lang))
        try:
            planned = await plan_for(EVERY_PLAIN_FIELD).run(variables, ctx)
        finally:
            await ctx.close(commit=False)
        assert planned is not None and planned.errors is None
    status, body = await both(
        apps, BENCH, {"near": {"latitude": 36.38, "longitude": 43.15}}, {"accept-language": lang}
    )
    assert status == 200 and body["data"]["nearestStations"]


@pytest.mark.parametrize(
    "variables",
    [
        {"near": {"latitude": 91, "longitude": 43.15}},
        {"near": {"latitude": 36.38, "longitude": -200}},
        {"near": {"latitude": 36.38, "longitude": 43.15}, "first": 0},
        {"near": {"latitude": 36.38, "longitude": 43.15}, "first": 100000},
        {"near": {"latitude": 36.38, "longitude": 43.15}, "within": -1.0},
        {"near": {"latitude": 36.38, "longitude": 43.15}, "services": ["NOT_A_SERVICE"]},
        {"near": {"latitude": 36.38, "longitude": 43.15}, "at": "yesterday"},
        {"near": {"latitude": "north", "longitude": 43.15}},
        {"near": None},
        {},
    ],
)
async def test_plans_give_the_errors_of_ordinary_execution(apps, stations, sessionmaker, variables):
    for lang in ("ar", "en"):
        _, body = await both(apps, EVERY_PLAIN_FIELD, variables, {"accept-language": lang})
        assert body.get("errors"), body
    ctx = Context(sessionmaker=sessionmaker, lang="en")
    try:
        assert await plan_for(EVERY_PLAIN_FIELD).run(variables, ctx) is None  # handed over
    finally:
        await ctx.close(commit=False)


@pytest.mark.parametrize("what", sorted(NOT_PLANNED))
async def test_operations_without_a_plan_answer_as_before(apps, stations, what):
    await both(apps, NOT_PLANNED[what], {"x": True} if "$x" in NOT_PLANNED[what] else None)


async def test_officers_and_bad_tokens_are_treated_alike(apps, stations, sessionmaker):
    async with sessionmaker() as session:
        _, badge = await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",))
        await session.commit()
    signed_in = await sign_in(GraphQL(apps[0]), badge)
    variables = {"near": {"latitude": 36.38, "longitude": 43.15}}
    headers = {**signed_in, "accept-language": "en"}
    status, body = await both(apps, BENCH, variables, headers)
    assert status == 200 and body["data"]["nearestStations"]
    status, body = await both(apps, BENCH, variables, {"authorization": "Bearer not-a-token"})
    assert status == 401
