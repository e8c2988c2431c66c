"""Opening hours at any instant, through the API: `isOpen(at:)`, `nextChangeAt(at:)` and
`nearestStations(at:, openNow: true, services:)` agree with one another and with a brute force (the naive
model of tests/test_hours.py, and geodesic distances), for stations with weekly hours, always-open flags,
desk hours and closures (of the station or of some desks) spread over past and future years, each in its
own time zone, at instants decades before or after today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from resolvers.geodesy import geodesic_m
from resolvers.hours import Schedule
from resolvers.station_records import Period
from tests.factories import make_stations, station_record
from tests.test_hours import (
    _EPOCH,
    _QUARTER,
    _SPAN_QUARTERS,
    FIRST_YEAR,
    _hhmm,
    closures_over_years_st,
    instants_around_st,
    model_is_open,
    model_next_change,
)
from tests.test_stations_api import gid

SERVICES = ("FAMILY_AND_CHILD_PROTECTION", "WOMEN_OFFICERS_DESK", "TRAFFIC")
# Iraq's own zone most often (its minute is worked out in Python for the SQL filter), and others, with
# DST or half hours, that the SQL filter converts itself. All whole quarter hours from 1950 on.
ZONES = [
    "Asia/Baghdad",
    "Asia/Baghdad",
    "Asia/Tehran",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
]
CENTRE = {"latitude": 30.2, "longitude": 46.9}  # open desert, away from every other test's stations
SEARCHES = {
    "all": (False, ()),
    "open": (True, ()),
    "desk": (True, SERVICES[:1]),
    "two": (True, SERVICES[:2]),
    "traffic": (True, SERVICES[2:]),
}


@st.composite
def periods_st(draw: st.DrawFn) -> Period:
    opens = draw(st.integers(0, 95)) * 15
    closes = draw(st.integers(0, 96)) * 15
    if closes == opens and opens != 0:
        closes = 1440
    return Period(
        draw(st.integers(0, 6)), _hhmm(opens), _hhmm(closes), draw(st.sampled_from([None, None, *SERVICES]))
    )


@st.composite
def world_st(draw: st.DrawFn) -> tuple[list[dict], list[datetime]]:
    """A few stations around one instant (decades away, or today), and instants to ask about."""
    if draw(st.integers(0, 4)):
        base = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) + _QUARTER * draw(st.integers(0, _SPAN_QUARTERS))
    else:
        base = _EPOCH + (datetime.now(UTC) - _EPOCH) // _QUARTER * _QUARTER
    stations = []
    for _ in range(draw(st.integers(1, 4))):
        services = sorted(draw(st.sets(st.sampled_from(SERVICES))))
        stations.append(
            {
                "latitude": CENTRE["latitude"] + draw(st.floats(-0.1, 0.1)),
                "longitude": CENTRE["longitude"] + draw(st.floats(-0.1, 0.1)),
                "services": tuple(services),
                "always_open": draw(st.booleans()),
                "hours": tuple(draw(st.lists(periods_st(), max_size=6))),
                "timezone": draw(st.sampled_from(ZONES)),
                "closures": draw(closures_over_years_st(services or list(SERVICES), base)),
            }
        )
    closures = tuple(c for s in stations for c in s["closures"])
    return stations, draw(st.lists(instants_around_st(base, closures), min_size=1, max_size=3))


def _fields(at: str) -> str:
    """isOpen and nextChangeAt of the station and of each desk at `at`, by alias."""
    fields = [f"open: isOpen(at: {at}) next: nextChangeAt(at: {at})"]
    fields += [
        f"open_{i}: isOpen(at: {at}, service: {s}) next_{i}: nextChangeAt(at: {at}, service: {s})"
        for i, s in enumerate(SERVICES)
    ]
    return " ".join(fields)


def _search(alias: str, open_now: bool, services: tuple[str, ...]) -> str:
    return (
        f"{alias}: nearestStations(near: $near, at: $at, first: 10, withinMeters: 60000, "
        f"openNow: {str(open_now).lower()}, services: [{', '.join(services)}]) "
        "{ isOpen station { id } }"
    )


QUERY = (
    "query Q($ids: [ID!]!, $at: DateTime, $near: GeoPointInput!) {\n"
    f"  nodes(ids: $ids) {{ ... on Station {{ id {_fields('$at')} }} }}\n"
    + "".join(f"  {_search(alias, *search)}\n" for alias, search in SEARCHES.items())
    + "}"
)


def _literal(instant: datetime) -> str:
    return f'"{instant.isoformat()}"'


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=world_st())
async def test_is_open_next_change_and_nearest_agree_at_any_instant(gql, sessionmaker, world):
    stations, instants = world
    async with sessionmaker() as session:
        ids = await make_stations(session, [station_record(**s) for s in stations])
        await session.commit()
    try:
        schedules = {
            i: Schedule(s["timezone"], s["always_open"], s["services"], s["hours"], s["closures"])
            for i, s in zip(ids, stations, strict=True)
        }
        for at in instants:
            await _check_at(gql, ids, stations, schedules, at)
    finally:
        async with sessionmaker() as session:
            await session.execute(text("DELETE FROM stations WHERE id = ANY(:ids)"), {"ids": ids})
            await session.commit()


async def _check_at(gql, ids, stations, schedules, at: datetime) -> None:
    # when: one request for every station's fields and every search, at `at`
    body = await gql(QUERY, {"ids": [gid("Station", i) for i in ids], "at": at.isoformat(), "near": CENTRE})
    assert "errors" not in body, body["errors"]
    data = body["data"]
    answers = {node["id"]: node for node in data["nodes"]}
    # then: each station's isOpen and nextChangeAt, for itself and each desk, are the brute force's
    flips: list[tuple[str, str, bool, datetime]] = []  # (station, service, open at `at`, next change)
    for station_id in ids:
        node, schedule = answers[gid("Station", station_id)], schedules[station_id]
        for suffix, service in (("", None), *((f"_{i}", s) for i, s in enumerate(SERVICES))):
            expected_open = model_is_open(schedule, at, service)
            expected_next = model_next_change(schedule, at, service)
            got_next = node["next" + suffix] and datetime.fromisoformat(node["next" + suffix])
            assert (node["open" + suffix], got_next) == (expected_open, expected_next), (station_id, service)
            if got_next:
                flips.append((gid("Station", station_id), service, expected_open, got_next))
    # and every search finds the stations open for its services by the brute force, nearest first, as
    # open as the stations' own isOpen says
    by_distance = sorted(
        ids,
        key=lambda i: (
            geodesic_m(
                CENTRE["latitude"],
                CENTRE["longitude"],
                stations[ids.index(i)]["latitude"],
                stations[ids.index(i)]["longitude"],
            ),
            i,
        ),
    )
    for alias, (open_now, services) in SEARCHES.items():

        def opens(station_id: int, services: tuple[str, ...] = services) -> bool:
            wanted = services or (None,)
            return all(model_is_open(schedules[station_id], at, s) for s in wanted)

        def offers(station_id: int, services: tuple[str, ...] = services) -> bool:
            return set(services) <= set(stations[ids.index(station_id)]["services"])

        expected = [
            (opens(i), gid("Station", i)) for i in by_distance if offers(i) and (opens(i) or not open_now)
        ]
        assert [(n["isOpen"], n["station"]["id"]) for n in data[alias]] == expected, alias
        for is_open, station in expected:  # as the station's own fields say
            fields = answers[station]
            own = [fields[f"open_{SERVICES.index(s)}"] for s in services] if services else [fields["open"]]
            assert is_open == all(own), (alias, station)
    # and at each next change the API's isOpen has just flipped, a second earlier not yet (a dozen flips a
    # request: two aliases each, under the limit of 30)
    for first in range(0, len(flips), 12):
        chunk = flips[first : first + 12]
        checks = []
        for n, (station, service, _, flip) in enumerate(chunk):
            desk = f", service: {service}" if service else ""
            before = (
                f"before: isOpen(at: {_literal(flip - timedelta(seconds=1))}{desk})"
                if flip - timedelta(seconds=1) >= at
                else ""
            )
            fields = f"isOpen(at: {_literal(flip)}{desk}) {before}"
            checks.append(f'c{n}: node(id: "{station}") {{ ... on Station {{ {fields} }} }}')
        body = await gql("{ " + " ".join(checks) + " }")
        assert "errors" not in body, body["errors"]
        for n, (_, _, was_open, _) in enumerate(chunk):
            answer = body["data"][f"c{n}"]
            assert answer["isOpen"] is (not was_open), chunk[n]
            assert answer.get("before", was_open) is was_open, chunk[n]
