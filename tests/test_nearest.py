"""nearestStations: exact geodesic order, filters that never shrink the answer, the index, bad input."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import asyncpg

from db import stations as repo
from resolvers import stations as logic
from resolvers.context import Context
from resolvers.geodesy import chord_m, geodesic_m
from resolvers.station_records import Closure
from tests.factories import ALL_SERVICES, make_station, make_stations, statements, station_record, weekly
from tests.test_stations_api import gid

NEAREST = """
query Nearest($near: GeoPointInput!, $first: Int, $openNow: Boolean, $at: DateTime,
              $services: [StationService!], $within: Float) {
  nearestStations(near: $near, first: $first, openNow: $openNow, at: $at, services: $services,
                  withinMeters: $within) {
    distanceMeters isOpen
    station { id name isModelStation location { latitude longitude } services }
  }
}
"""
EAST_MOSUL = {"latitude": 36.3800, "longitude": 43.1500}
CITIZEN = Path(__file__).parents[1] / "mobile_contract" / "operations" / "citizen"


async def test_nearest_orders_by_geodesic_distance_with_the_distance(gql, sessionmaker):
    # given three stations around East Mosul
    async with sessionmaker() as session:
        await make_stations(
            session,
            [
                station_record(names={"en": "Far"}, latitude=36.45, longitude=43.30),
                station_record(names={"en": "Near"}, latitude=36.382, longitude=43.152),
                station_record(names={"en": "Middle"}, latitude=36.36, longitude=43.10),
            ],
        )
        await session.commit()
    # when
    body = await gql(NEAREST, {"near": EAST_MOSUL, "first": 3}, headers={"accept-language": "en"})
    # then
    found = body["data"]["nearestStations"]
    assert [n["station"]["name"] for n in found][:1] == ["Near"]
    distances = [n["distanceMeters"] for n in found]
    assert distances == sorted(distances)
    first = found[0]["station"]["location"]
    here = (EAST_MOSUL["latitude"], EAST_MOSUL["longitude"])
    expected = geodesic_m(*here, first["latitude"], first["longitude"])
    assert abs(distances[0] - expected) < 1e-6


async def test_open_now_and_services_still_return_first_results(gql, sessionmaker):
    # given: the five nearest stations are closed at night; farther ones are open and offer the service
    at = "2026-11-29T23:30:00+03:00"  # a Sunday night in Baghdad time
    async with sessionmaker() as session:
        closed = [
            station_record(
                latitude=36.38 + i * 0.001,
                longitude=43.15,
                always_open=False,
                hours=weekly("08:00", "14:00"),
                services=ALL_SERVICES,
            )
            for i in range(5)
        ]
        desk = ("FAMILY_AND_CHILD_PROTECTION", "CRIME_REPORTING")
        open_ = [
            station_record(latitude=36.40 + i * 0.01, longitude=43.15, always_open=True, services=desk)
            for i in range(4)
        ]
        other = [station_record(latitude=36.385, longitude=43.15, always_open=True, services=("TRAFFIC",))]
        await make_stations(session, closed + open_ + other)
        await session.commit()
    # when
    body = await gql(
        NEAREST,
        {
            "near": EAST_MOSUL,
            "first": 3,
            "openNow": True,
            "at": at,
            "services": ["FAMILY_AND_CHILD_PROTECTION"],
        },
    )
    # then
    found = body["data"]["nearestStations"]
    assert len(found) == 3
    assert all(n["isOpen"] for n in found)
    assert all("FAMILY_AND_CHILD_PROTECTION" in n["station"]["services"] for n in found)
    latitudes = [n["station"]["location"]["latitude"] for n in found]
    assert latitudes == [36.40, 36.41, 36.42]


async def test_service_desk_hours_decide_open_now_for_that_service(gql, sessionmaker):
    # given an always-open station whose family-protection desk is staffed 08:00-14:00
    async with sessionmaker() as session:
        await make_station(
            session,
            latitude=36.381,
            longitude=43.151,
            always_open=True,
            services=("FAMILY_AND_CHILD_PROTECTION", "CRIME_REPORTING"),
            hours=weekly("08:00", "14:00", service="FAMILY_AND_CHILD_PROTECTION"),
        )
        await session.commit()
    variables = {
        "near": EAST_MOSUL,
        "first": 1,
        "openNow": True,
        "services": ["FAMILY_AND_CHILD_PROTECTION"],
        "within": 2000.0,
    }
    # when / then: at 10:00 the desk is open, at 15:00 it is not (the station still is)
    morning = await gql(NEAREST, {**variables, "at": "2026-11-30T10:00:00+03:00"})
    afternoon = await gql(NEAREST, {**variables, "at": "2026-11-30T15:00:00+03:00"})
    station_only = await gql(NEAREST, {**variables, "services": None, "at": "2026-11-30T15:00:00+03:00"})
    assert len(morning["data"]["nearestStations"]) == 1
    assert afternoon["data"]["nearestStations"] == []
    assert len(station_only["data"]["nearestStations"]) == 1


async def test_within_meters_limits_by_geodesic_distance(gql, sessionmaker):
    async with sessionmaker() as session:
        await make_stations(
            session, [station_record(latitude=36.38 + 0.009 * i, longitude=43.15) for i in range(1, 6)]
        )  # about 1 km apart, northwards
        await session.commit()
    body = await gql(NEAREST, {"near": EAST_MOSUL, "first": 10, "within": 2500.0})
    distances = [n["distanceMeters"] for n in body["data"]["nearestStations"]]
    assert len(distances) == 2
    assert all(d <= 2500 for d in distances)


async def test_the_search_walks_the_gist_index_whatever_the_filters(sessionmaker):
    # given enough stations, offering services about as often as real ones, for the planner to weigh
    rng = random.Random(3)
    async with sessionmaker() as session:
        await make_stations(
            session,
            [
                station_record(
                    latitude=rng.uniform(30, 37),
                    longitude=rng.uniform(39, 48),
                    services=tuple(s for s in ALL_SERVICES if rng.random() < 0.4) or ("TRAFFIC",),
                )
                for _ in range(400)
            ],
        )
        await session.execute(text("ANALYZE stations"))
        at = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        for extra in (
            {},
            {"services": ["TRAFFIC"]},
            {"within": 5000.0},
            {"governorate": "IQ-NI"},
            {"exclude_ids": [1, 2, 3]},
        ):
            # when the planner explains the very statement the search runs
            query = repo.nearest_query(
                "services" in extra, "within" in extra, "exclude_ids" in extra, "governorate" in extra
            )
            params = {"lat": 36.38, "lon": 43.15, "at": at, "limit": 13, **extra}
            compiled = query.compile(dialect=asyncpg.dialect())
            args = [params[name] for name in compiled.positiontup]
            plan = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN {compiled.string}", *args))
            # then it walks the k-nearest index and sorts nothing
            assert "ix_stations_ecef" in plan, (extra, plan)
            # (a station's own few closures, gathered in a subplan, may be sorted; newer servers do)
            walk = plan.split("SubPlan")[0]
            assert "Sort" not in walk and "Seq Scan on stations" not in plan, (extra, plan)


def test_chord_never_exceeds_geodesic():
    rng = random.Random(7)
    for _ in range(2000):
        a = (rng.uniform(-89, 89), rng.uniform(-180, 180))
        step = 10 ** rng.uniform(-6, 1.5)
        b = (a[0] + rng.uniform(-1, 1) * step, a[1] + rng.uniform(-1, 1) * step * 3)
        b = (max(-90.0, min(90.0, b[0])), (b[1] + 180) % 360 - 180)
        assert chord_m(*a, *b) <= geodesic_m(*a, *b) + 1e-6


_point = st.tuples(st.floats(34.0, 37.0), st.floats(42.0, 45.0))
_station = st.tuples(_point, st.sets(st.sampled_from(ALL_SERVICES[:3]), min_size=1), st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stations=st.lists(_station, min_size=1, max_size=40),
    query=_point,
    first=st.integers(1, 8),
    service=st.none() | st.sampled_from(ALL_SERVICES[:3]),
    open_now=st.booleans(),
    within=st.none() | st.floats(1_000, 200_000),
)
async def test_nearest_equals_brute_force_geodesic_ranking(
    sessionmaker, stations, query, first, service, open_now, within
):
    at = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 23:00 in Baghdad: day-shift stations are closed
    async with sessionmaker() as session:
        records = [
            station_record(
                latitude=lat,
                longitude=lon,
                services=tuple(sorted(services)),
                always_open=always,
                hours=() if always else weekly("08:00", "16:00"),
            )
            for (lat, lon), services, always in stations
        ]
        ids = await make_stations(session, records)
        ctx = Context(sessionmaker=sessionmaker, lang="en")
        ctx._session = session
        try:
            got = await logic.nearest(
                ctx,
                latitude=query[0],
                longitude=query[1],
                first=first,
                at=at,
                open_now=open_now,
                services=[service] if service else [],
                within_m=within,
            )
        finally:
            await session.rollback()
    expected = []
    for station_id, ((lat, lon), services, always) in zip(ids, stations, strict=True):
        distance = geodesic_m(query[0], query[1], lat, lon)
        if service and service not in services:
            continue
        if within is not None and distance > within:
            continue
        if open_now and not always:
            continue
        expected.append((distance, station_id))
    expected.sort()
    assert [n.station.id for n in got] == [i for _, i in expected[:first]]
    assert [round(n.distance_m, 6) for n in got] == [round(d, 6) for d, _ in expected[:first]]


async def test_bad_arguments_are_refused_naming_the_argument(gql):
    cases = [
        ({"near": {"latitude": 91, "longitude": 43}}, "near.latitude"),
        ({"near": {"latitude": 36, "longitude": -200}}, "near.longitude"),
        ({"near": EAST_MOSUL, "first": 0}, "first"),
        ({"near": EAST_MOSUL, "first": 100000}, "first"),
        ({"near": EAST_MOSUL, "within": -5.0}, "withinMeters"),
    ]
    for variables, argument in cases:
        body = await gql(NEAREST, variables, headers={"accept-language": "en"})
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}, error
        assert argument in error["message"]


async def test_unknown_service_and_malformed_datetime_are_request_errors(gql):
    unknown = await gql(NEAREST, {"near": EAST_MOSUL, "services": ["BAKERY"]}, status=400)
    assert "$services" in unknown["errors"][0]["message"] and "BAKERY" in unknown["errors"][0]["message"]
    assert "data" not in unknown
    for bad in ("yesterday", "2026-13-01T00:00:00+03:00", "2026-11-29T10:00:00"):
        body = await gql(NEAREST, {"near": EAST_MOSUL, "at": bad}, status=400)
        assert "$at" in body["errors"][0]["message"], body


async def test_errors_follow_accept_language(gql):
    body = await gql(NEAREST, {"near": {"latitude": 91, "longitude": 43}}, headers={"accept-language": "ar"})
    assert "بين" in body["errors"][0]["message"]


async def test_inline_bad_values_name_their_argument(gql):
    query = """{ nearestStations(near: {latitude: 36, longitude: "x"}, services: [BAKERY], at: "yesterday",
                 first: 1.5) { distanceMeters } }"""
    body = await gql(query, status=400)
    arguments = sorted(e["extensions"]["argument"] for e in body["errors"])
    assert arguments == ["at", "first", "near.longitude", "services"]
    assert all(e["message"].startswith(f"Argument '{e['extensions']['argument']}'") for e in body["errors"])


def test_geodesic_distance_is_geopys():
    from geopy.distance import geodesic

    rng = random.Random(11)
    for index in range(400):
        a = (rng.uniform(-89, 89), rng.uniform(-180, 180))
        b = (rng.uniform(-89, 89), rng.uniform(-180, 180))
        if index % 2:  # as near as stations and track fixes are
            b = (max(-89.0, min(89.0, a[0] + rng.uniform(-0.5, 0.5))), a[1] + rng.uniform(-0.5, 0.5))
        assert abs(geodesic_m(*a, *b) - geodesic(a, b).meters) < 1e-6


async def test_candidates_through_the_driver_equal_sqlalchemys(sessionmaker):
    # given stations with closures in force and not, hours, services, names in some languages
    now = datetime.now(UTC)
    from datetime import timedelta

    from resolvers.station_records import Closure

    async with sessionmaker() as session:
        await make_stations(
            session,
            [
                station_record(
                    latitude=36.38 + i * 0.002,
                    longitude=43.15,
                    services=ALL_SERVICES[: 1 + i % 7],
                    hours=weekly("08:00", "14:00") if i % 2 else (),
                    always_open=not i % 2,
                    names={"ar": f"م {i}"} if i % 3 == 0 else {"ar": f"م {i}", "en": f"S {i}"},
                    closures=(
                        Closure(
                            now - timedelta(hours=1),
                            now + timedelta(hours=1),
                            "x",
                            ("TRAFFIC",) if i % 4 == 1 else None,
                        ),
                    )
                    if i % 4 < 2
                    else (),
                )
                for i in range(12)
            ],
        )
        await session.commit()
    from db import statements

    async with sessionmaker() as session:
        for services, exclude, within in (
            ((), (), None),
            (["COMMUNITY_POLICING"], (), 5000.0),
            ((), (1, 2, 3), None),
        ):
            # when the same candidates are read by the driver and through SQLAlchemy
            fetched = await repo.nearest_candidates(
                session,
                latitude=36.38,
                longitude=43.15,
                at=now,
                services=services,
                within_m=within,
                limit=20,
                exclude_ids=exclude,
            )
            params = {"lat": 36.38, "lon": 43.15, "at": now, "limit": 20}
            if services:
                params["services"] = list(services)
            if within is not None:
                params["within"] = within
            if exclude:
                params["exclude_ids"] = list(exclude)
            query = repo.nearest_query(bool(services), within is not None, bool(exclude), False)
            expected = (await statements.execute(session, query, params)).all()
            # then they are the same rows, column by column
            assert fetched and [tuple(r) for r in fetched] == [tuple(r) for r in expected]
            assert fetched[0]._fields == tuple(expected[0]._fields)


async def test_the_citizens_query_reads_closures_once_with_the_search(gql, sessionmaker):
    # given: three always-open stations, one with a holiday ahead, one closed now until tomorrow
    now = datetime.now(UTC)
    holiday = Closure(now + timedelta(days=20), now + timedelta(days=21), "Eid")
    closed = Closure(now - timedelta(hours=2), now + timedelta(days=1), "Ashura")
    async with sessionmaker() as session:
        ids = await make_stations(
            session,
            [
                station_record(latitude=36.381, longitude=43.15, closures=(holiday,)),
                station_record(latitude=36.382, longitude=43.15, closures=(closed,)),
                station_record(latitude=36.383, longitude=43.15),
            ],
        )
        await session.commit()
    operation = (CITIZEN / "NearestStations.graphql").read_text()
    # when: the citizen app's own query, open now or not, for "now"
    with statements(sessionmaker) as seen:
        open_now = await gql(operation, {"near": EAST_MOSUL, "withinMeters": 1000.0})
        everything = await gql(operation, {"near": EAST_MOSUL, "withinMeters": 1000.0, "openNow": False})
    # then: each station's next change follows its closures, and no request read closures on its own:
    # the search's one statement brought them (SQLAlchemy's statements do not include it)
    assert not [s for s in seen if "station_closures" in s], seen
    found = {
        n["station"]["id"]: (n["isOpen"], n["station"]["nextChangeAt"])
        for n in everything["data"]["nearestStations"]
    }
    first, second, third = (found[gid("Station", i)] for i in ids)
    assert first == (True, holiday.starts_at.isoformat())
    assert second == (False, closed.ends_at.isoformat())
    assert third == (True, None)
    assert [n["station"]["id"] for n in open_now["data"]["nearestStations"]] == [
        gid("Station", ids[0]),
        gid("Station", ids[2]),
    ]
