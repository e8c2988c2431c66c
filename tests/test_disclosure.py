"""The disclosure rule (resolvers/disclosure.py, docs/privacy.md), tried as an attacker would.

- Off the case, a sensitive record is known only by its resolution-7 cell and its day: moving it anywhere
  in that cell and day changes no answer of maps, timelines, summaries, coverage gaps, lists or nodes, for
  any area (down to a few metres), period (down to an hour), resolution, layer and category (hypothesis).
- The people on the case still see it exactly; the tests show both sides.
- The public map is made of published base numbers only: every number it shows equals the sum of the
  base numbers (one resolution-7 cell, one month, one governorate's stations; at least 5 each) it holds,
  so no two answers can be subtracted to reveal a suppressed count (hypothesis, against a brute force).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import h3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from db import activity as activity_repo
from db import engagements as engagement_repo
from db import incidents as incident_repo
from resolvers import activity, policy
from resolvers.activity_plan import BAGHDAD
from schema.node import to_global_id
from tests.conftest import GraphQL
from tests.factories import make_officer, make_station, sign_in

EN = {"accept-language": "en"}
CENTRE = (36.360, 43.160)  # east Mosul
REGION = 0.03  # records fall within this many degrees of CENTRE
DAY0 = datetime(2026, 10, 10, tzinfo=BAGHDAD)  # records happen on the three days from here

MAP = """
query M($area: AreaInput!, $from: DateTime!, $to: DateTime!, $res: Int!, $layers: [ActivityLayer!],
        $categories: [IncidentCategory!]) {
  activityMap(area: $area, from: $from, to: $to, resolution: $res, layers: $layers,
              incidentCategories: $categories) {
    cells { h3Index incidents engagements }
    totals { incidents engagements sensitiveIncidentsWithheld sensitiveEngagementsWithheld }
  }
}"""
TIMELINE = """
query T($area: AreaInput!, $from: DateTime!, $to: DateTime!, $res: Int!, $bucket: TimeBucket!,
        $layers: [ActivityLayer!], $categories: [IncidentCategory!]) {
  activityTimeline(area: $area, from: $from, to: $to, resolution: $res, bucket: $bucket, layers: $layers,
                   incidentCategories: $categories) { start incidents engagements }
}"""
SUMMARY = """
query S($area: AreaInput!, $from: DateTime!, $to: DateTime!, $res: Int!) {
  activitySummary(area: $area, from: $from, to: $to, resolution: $res) {
    incidents incidentsByCategory { category count } incidentsByStatus { status count }
    engagements engagementsByKind { kind count } attendees womenAttendeeShare youthAttendeeShare
    activeOfficers womenOfficersEngagementShare
    changes { window layer incidentCategory engagementKind current previous }
  }
}"""
GAPS = """
query G($area: AreaInput!, $to: DateTime!, $res: Int!) {
  coverageGaps(area: $area, days: 7, to: $to, resolution: $res) {
    cells { h3Index incidents } totals { incidents }
  }
}"""
INCIDENTS = """
query I($from: DateTime, $to: DateTime, $categories: [IncidentCategory!]) {
  incidents(filter: {from: $from, to: $to, categories: $categories}, first: 100) {
    totalCount
    edges { cursor node { id category detailsHidden occurredAt reportedAt description
                          location { latitude longitude } locationPrecisionMeters
                          statusHistory { changedAt } } }
  }
}"""
ENGAGEMENTS = """
query E($from: DateTime, $to: DateTime) {
  engagements(filter: {from: $from, to: $to}, first: 100) {
    totalCount
    edges { cursor node { id kind generalised occurredAt receivedAt notes location { latitude longitude }
                          locationPrecisionMeters patrol { id } } }
  }
}"""

INCIDENT_CATEGORIES = ("THEFT", "ASSAULT", "DOMESTIC_VIOLENCE", "CHILD_PROTECTION", "DISPUTE")
ENGAGEMENT_KINDS = ("HOME_VISIT", "FAMILY_PROTECTION_FOLLOW_UP", "COMMUNITY_MEETING", "MARKET_WALK")


def gid(kind: str, key: object) -> str:
    return to_global_id(kind, key)


async def _world(gql, sessionmaker) -> SimpleNamespace:
    """Two stations of Nineveh near CENTRE; an officer of A who reports everything, a colleague of A, A's
    commander, a supervisor of Nineveh and an admin. Made once per test (hypothesis runs many examples)."""
    found = getattr(sessionmaker, "disclosure_world", None)
    if found is not None:
        return found
    async with sessionmaker() as session:
        a = await make_station(session, governorate="IQ-NI", latitude=CENTRE[0], longitude=CENTRE[1])
        b = await make_station(session, governorate="IQ-NI", latitude=CENTRE[0] + 0.02, longitude=CENTRE[1])
        people = {
            "reporter": await make_officer(session, station_id=a),
            "colleague": await make_officer(session, station_id=a),
            "commander": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "admin": await make_officer(session, role="ADMIN"),
        }
        await session.commit()
    world = SimpleNamespace(stations=(a, b), ids={}, headers={})
    for name, (officer_id, badge) in people.items():
        world.ids[name] = officer_id
        world.headers[name] = {**EN, **await sign_in(gql, badge)}
    sessionmaker.disclosure_world = world  # the fixture's own, so never another test's
    return world


def _fine(lat: float, lon: float) -> int:
    return h3.str_to_int(h3.latlng_to_cell(lat, lon, 10))


async def _incident(session, station: int, category: str, point: tuple, at: datetime, **fields):
    """One incident of `station` at `point`, happened at `at`, as the repository stores it; `fields` adds
    to or overrides what these tests leave alone (a sensitive category is sensitive, unmarked)."""
    lat, lon = point
    values = {
        "client_id": uuid.uuid4(),
        "station_id": station,
        "category": category,
        "sensitive": policy.is_sensitive(category, False),
        "latitude": lat,
        "longitude": lon,
        "occurred_at": at,
        "description": "x",
    }
    return await incident_repo.insert_incident(session, {**values, **fields})


async def _engagement(session, station: int, officer: int, kind: str, point: tuple, at: datetime, **fields):
    """One engagement held by `officer` of `station` at `point`, at `at`; `fields` adds to it."""
    lat, lon = point
    values = {
        "client_id": uuid.uuid4(),
        "station_id": station,
        "officer_id": officer,
        "kind": kind,
        "latitude": lat,
        "longitude": lon,
        "occurred_at": at,
    }
    return await engagement_repo.insert_engagement(session, {**values, **fields})


async def _write(session, world, records) -> list[tuple[str, int, tuple, datetime]]:
    """Insert the records; (table, id, point, time) of each."""
    written = []
    for i, (table, kind, (lat, lon), at) in enumerate(records):
        station = world.stations[i % 2]
        if table == "incidents":
            row = await _incident(
                session,
                station,
                kind,
                (lat, lon),
                at,
                sensitive=policy.is_sensitive(kind, i % 5 == 4),
                reported_at=at,  # it arrived on its day, in the past (arrivals_held_from)
                reported_by_id=world.ids["reporter"],
            )
        else:
            row = await _engagement(
                session,
                station,
                world.ids["reporter"],
                kind,
                (lat, lon),
                at,
                received_at=at,
                notes="at number 7",
                attendees_total=4,
                attendees_women=2,
                attendees_youth=1,
            )
        written.append((table, row.id, (lat, lon), at))
    return written


def _elsewhere_in_cell_and_day(
    point: tuple[float, float], at: datetime, rng: random.Random
) -> tuple[tuple[float, float], datetime]:
    """Another place in the same resolution-7 cell and another instant of the same day in Baghdad."""
    cell7 = h3.cell_to_parent(h3.latlng_to_cell(*point, 10), 7)
    child = rng.choice(sorted(h3.cell_to_children(cell7, 10)))
    day = at.astimezone(BAGHDAD).replace(hour=0, minute=0, second=0, microsecond=0)
    return h3.cell_to_latlng(child), (day + timedelta(seconds=rng.randrange(24 * 3600))).astimezone(UTC)


async def _move(session, written, rng: random.Random) -> int:
    """Move every sensitive record within its cell and day; how many moved."""
    moved = 0
    for table, key, point, at in written:
        sensitive = await session.scalar(
            text(
                "SELECT markaz_sensitive_incident(category, sensitive) FROM incidents WHERE id = :id"
                if table == "incidents"
                else "SELECT markaz_sensitive_engagement(kind) FROM engagements WHERE id = :id"
            ),
            {"id": key},
        )
        if not sensitive:
            continue
        (lat, lon), when = _elsewhere_in_cell_and_day(point, at, rng)
        await session.execute(
            text(
                f"UPDATE {table} SET latitude = :lat, longitude = :lon, "  # noqa: S608
                "h3_cell = :cell, occurred_at = :at WHERE id = :id"
            ),
            {"lat": lat, "lon": lon, "cell": _fine(lat, lon), "at": when, "id": key},
        )
        moved += 1
    return moved


# --- strategies -------------------------------------------------------------------------------------

_offsets = st.floats(-REGION, REGION, allow_nan=False)
_points = st.tuples(_offsets, _offsets).map(
    lambda d: (round(CENTRE[0] + d[0], 6), round(CENTRE[1] + d[1], 6))
)
_instants = st.integers(0, 3 * 24 * 60 - 1).map(lambda m: (DAY0 + timedelta(minutes=m)).astimezone(UTC))
_records = st.lists(
    st.one_of(
        st.tuples(st.just("incidents"), st.sampled_from(INCIDENT_CATEGORIES), _points, _instants),
        st.tuples(st.just("engagements"), st.sampled_from(ENGAGEMENT_KINDS), _points, _instants),
    ),
    min_size=1,
    max_size=14,
)


@st.composite
def _areas(draw) -> dict:
    """Drawn areas from a few metres to kilometres across, a station, or the governorate."""
    kind = draw(st.sampled_from(["bbox", "bbox", "polygon", "station", "governorate"]))
    if kind in ("station", "governorate"):
        return {kind: None}
    lat, lon = draw(_points)
    half = 10 ** draw(st.floats(-4.5, -1.6))  # 3 m to 2.8 km
    if kind == "bbox":
        return {"bbox": {"south": lat - half, "west": lon - half, "north": lat + half, "east": lon + half}}
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half / 2],
        [lon, lat + half],
        [lon - half, lat - half],
    ]
    return {"polygon": {"type": "Polygon", "coordinates": [ring]}}


@st.composite
def _questions(draw) -> tuple[str, str, dict]:
    area = draw(_areas())
    start = (DAY0 - timedelta(days=1) + timedelta(hours=draw(st.integers(0, 4 * 24)))).astimezone(UTC)
    end = start + timedelta(hours=draw(st.sampled_from([1, 2, 5, 11, 24, 30, 48, 72, 96])))
    res = draw(st.integers(5, 10))
    layers = draw(
        st.one_of(st.none(), st.lists(st.sampled_from(["INCIDENTS", "ENGAGEMENTS"]), min_size=1, unique=True))
    )
    categories = draw(
        st.one_of(st.none(), st.lists(st.sampled_from(INCIDENT_CATEGORIES), min_size=1, unique=True))
    )
    viewer = draw(st.sampled_from(["supervisor", "colleague"]))
    which = draw(
        st.sampled_from(
            ["map", "map", "timeline", "summary", "gaps", "incidents", "incidents", "engagements"]
        )
    )
    period = {"from": start.isoformat(), "to": end.isoformat()}
    if which == "map":
        return viewer, MAP, {"area": area, **period, "res": res, "layers": layers, "categories": categories}
    if which == "timeline":
        bucket = draw(st.sampled_from(["HOUR", "DAY", "WEEK"]))
        return (
            viewer,
            TIMELINE,
            {
                "area": area,
                **period,
                "res": res,
                "bucket": bucket,
                "layers": layers,
                "categories": categories,
            },
        )
    if which == "summary":
        return viewer, SUMMARY, {"area": area, **period, "res": res}
    if which == "gaps":
        return viewer, GAPS, {"area": area, "to": end.isoformat(), "res": res}
    if which == "incidents":
        return viewer, INCIDENTS, {**period, "categories": categories}
    return viewer, ENGAGEMENTS, period


def _resolve(area: dict, world) -> dict:
    if "station" in area:
        return {"stationId": gid("Station", world.stations[0])}
    if "governorate" in area:
        return {"governorateId": gid("Governorate", "IQ-NI")}
    return area


async def _ask(gql, world, questions) -> list:
    answers = []
    for viewer, query, variables in questions:
        if "area" in variables:
            variables = {**variables, "area": _resolve(variables["area"], world)}
        body = await gql(query, variables, headers=world.headers[viewer])
        if body.get("errors"):
            # a refusal (an area too large for the resolution, a bucket count) is an answer too, and it
            # must not depend on where the sensitive records are either
            answers.append(("errors", [e.get("extensions", {}).get("code") for e in body["errors"]]))
        else:
            answers.append(body["data"])
    return answers


# --- off the case, a sensitive record is its cell and its day -------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=_records, questions=st.lists(_questions(), min_size=6, max_size=12), seed=st.integers(0, 2**16)
)
async def test_moving_a_sensitive_record_within_its_cell_and_day_changes_no_answer(
    gql, sessionmaker, records, questions, seed
) -> None:
    world = await _world(gql, sessionmaker)
    async with sessionmaker() as session:
        written = await _write(session, world, records)
        await session.commit()
    try:
        before = await _ask(gql, world, questions)
        async with sessionmaker() as session:
            await _move(session, written, random.Random(seed))
            await session.commit()
        after = await _ask(gql, world, questions)
        for question, was, now in zip(questions, before, after, strict=True):
            assert was == now, question
    finally:
        async with sessionmaker() as session:
            await session.execute(text("DELETE FROM incidents"))
            await session.execute(text("DELETE FROM engagements"))
            await session.commit()


async def test_both_sides_of_one_domestic_violence_report(gql, sessionmaker) -> None:
    """The attack of the review, in seven questions and more, against one domestic-violence report: the
    supervisor and a colleague learn its cell and day and nothing finer; the case's people see it exactly."""
    world = await _world(gql, sessionmaker)
    point = (36.36512, 43.16387)
    at = (DAY0 + timedelta(hours=14, minutes=20)).astimezone(UTC)
    async with sessionmaker() as session:
        ((_, key, _, _),) = await _write(session, world, [("incidents", "DOMESTIC_VIOLENCE", point, at)])
        await incident_repo.insert_status_change(
            session,
            {
                "incident_id": key,
                "from_status": None,
                "to_status": "REPORTED",
                "version": 1,
                "changed_by_id": world.ids["reporter"],
            },
        )
        await session.commit()
    fine = h3.latlng_to_cell(*point, 10)
    cell7 = h3.cell_to_parent(fine, 7)
    day = {
        "from": DAY0.astimezone(UTC).isoformat(),
        "to": (DAY0 + timedelta(days=1)).astimezone(UTC).isoformat(),
    }
    hour = {"from": (at - timedelta(minutes=20)).isoformat(), "to": (at + timedelta(minutes=40)).isoformat()}
    tight = {
        "bbox": {
            "south": point[0] - 0.0003,
            "west": point[1] - 0.0003,
            "north": point[0] + 0.0003,
            "east": point[1] + 0.0003,
        }
    }
    whole_cell = {
        "bbox": {
            "south": point[0] - 0.03,
            "west": point[1] - 0.03,
            "north": point[0] + 0.03,
            "east": point[1] + 0.03,
        }
    }

    async def ask(viewer, query, variables):
        body = await gql(query, variables, headers=world.headers[viewer])
        assert "errors" not in body, body
        return next(iter(body["data"].values()))

    station = {"stationId": gid("Station", world.stations[0])}
    for viewer in ("supervisor", "colleague"):
        # a fine map of the station places nothing, and says one was withheld
        found = await ask(
            viewer, MAP, {"area": station, **day, "res": 10, "categories": ["DOMESTIC_VIOLENCE"]}
        )
        assert found["cells"] == [] and found["totals"]["incidents"] == 1, viewer
        assert found["totals"]["sensitiveIncidentsWithheld"] == 1, viewer
        # at resolution 7 it is in its coarse cell
        found = await ask(viewer, MAP, {"area": station, **day, "res": 7})
        assert [c["h3Index"] for c in found["cells"]] == [cell7], viewer
        # a tight box around the exact place holds nothing, whatever the resolution
        for res in (7, 8, 10):
            found = await ask(viewer, MAP, {"area": tight, **day, "res": res})
            assert found["totals"]["incidents"] == 0, (viewer, res)
        # an area holding the whole coarse cell holds it
        found = await ask(viewer, MAP, {"area": whole_cell, **day, "res": 8})
        assert found["totals"]["incidents"] == 1 and found["totals"]["sensitiveIncidentsWithheld"] == 1
        # the hour it happened in holds nothing; its day does
        assert (await ask(viewer, MAP, {"area": station, **hour, "res": 7}))["totals"]["incidents"] == 0
        timeline = await ask(viewer, TIMELINE, {"area": station, **day, "res": 8, "bucket": "HOUR"})
        assert sum(p["incidents"] for p in timeline) == 0, viewer
        summary = await ask(viewer, SUMMARY, {"area": station, **hour, "res": 8})
        assert summary["incidents"] == 0 and summary["incidentsByStatus"] == [], viewer
        summary = await ask(viewer, SUMMARY, {"area": station, **day, "res": 8})
        assert summary["incidentsByCategory"] == [{"category": "DOMESTIC_VIOLENCE", "count": 1}], viewer
        # listed at its cell's centre and its day, also when asked for the hour
        listed = (await ask(viewer, INCIDENTS, hour))["edges"]
        assert listed == [], viewer
        (edge,) = (await ask(viewer, INCIDENTS, day))["edges"]
        node = edge["node"]
        assert node["detailsHidden"] is True and node["description"] is None
        assert (node["location"]["latitude"], node["location"]["longitude"]) == h3.cell_to_latlng(cell7)
        assert datetime.fromisoformat(node["occurredAt"]) == DAY0
        assert all(
            datetime.fromisoformat(c["changedAt"]).astimezone(BAGHDAD).hour == 0
            for c in node["statusHistory"]
        )
    # the case's people: the reporter lists it exactly, the commander maps it in its fine cell
    (edge,) = (await ask("reporter", INCIDENTS, hour))["edges"]
    assert edge["node"]["location"] == {"latitude": point[0], "longitude": point[1]}
    assert datetime.fromisoformat(edge["node"]["occurredAt"]) == at
    for viewer in ("commander", "admin"):
        found = await ask(viewer, MAP, {"area": tight, **hour, "res": 10})
        assert found["cells"] == [{"h3Index": fine, "incidents": 1, "engagements": 0}], viewer
        assert found["totals"]["sensitiveIncidentsWithheld"] == 0
    # moving it within its cell and day changes the commander's fine map, and nothing the others see
    supervisor_view = [
        await ask("supervisor", MAP, {"area": station, **day, "res": 7}),
        await ask("supervisor", INCIDENTS, day),
    ]
    async with sessionmaker() as session:
        await _move(session, [("incidents", key, point, at)], random.Random(3))
        await session.commit()
    assert (await ask("commander", MAP, {"area": tight, **hour, "res": 10}))["cells"] == []
    assert supervisor_view == [
        await ask("supervisor", MAP, {"area": station, **day, "res": 7}),
        await ask("supervisor", INCIDENTS, day),
    ]


async def test_home_visits_are_placed_only_for_their_case(gql, sessionmaker) -> None:
    """A family-protection follow-up at a household: the supervisor gets its cell and day, no notes and no
    patrol; the officer who held it gets all of it."""
    world = await _world(gql, sessionmaker)
    point = (36.35777, 43.15123)
    at = (DAY0 + timedelta(hours=9, minutes=5)).astimezone(UTC)
    async with sessionmaker() as session:
        await _write(session, world, [("engagements", "FAMILY_PROTECTION_FOLLOW_UP", point, at)])
        await session.commit()
    day = {
        "from": DAY0.astimezone(UTC).isoformat(),
        "to": (DAY0 + timedelta(days=1)).astimezone(UTC).isoformat(),
    }
    seen = {}
    for viewer in ("supervisor", "colleague", "reporter", "commander"):
        body = await gql(ENGAGEMENTS, day, headers=world.headers[viewer])
        (edge,) = body["data"]["engagements"]["edges"]
        seen[viewer] = edge["node"]
    cell7 = h3.cell_to_parent(h3.latlng_to_cell(*point, 10), 7)
    for viewer in ("supervisor", "colleague"):
        node = seen[viewer]
        assert node["generalised"] is True and node["notes"] is None and node["patrol"] is None
        assert (node["location"]["latitude"], node["location"]["longitude"]) == h3.cell_to_latlng(cell7)
        assert datetime.fromisoformat(node["occurredAt"]) == DAY0
        assert datetime.fromisoformat(node["receivedAt"]).astimezone(BAGHDAD).hour == 0
    for viewer in ("reporter", "commander"):
        node = seen[viewer]
        assert node["generalised"] is False and node["notes"] == "at number 7"
        assert node["location"] == {"latitude": point[0], "longitude": point[1]}
    # and on maps: the supervisor's fine map withholds it, the commander's places it
    station = {"stationId": gid("Station", world.stations[0])}
    body = await gql(MAP, {"area": station, **day, "res": 9}, headers=world.headers["supervisor"])
    assert body["data"]["activityMap"]["cells"] == []
    assert body["data"]["activityMap"]["totals"]["sensitiveEngagementsWithheld"] == 1
    body = await gql(MAP, {"area": station, **day, "res": 9}, headers=world.headers["commander"])
    assert [c["engagements"] for c in body["data"]["activityMap"]["cells"]] == [1]


async def test_the_sql_and_python_lists_of_sensitive_records_agree(sessionmaker) -> None:
    from schema.engagements import EngagementKind
    from schema.incidents import IncidentCategory

    async with sessionmaker() as session:
        for category in IncidentCategory:
            for marked in (False, True):
                in_sql = await session.scalar(
                    text("SELECT markaz_sensitive_incident(:c, :m)"), {"c": category.value, "m": marked}
                )
                assert in_sql is policy.is_sensitive(category.value, marked), category
        for kind in EngagementKind:
            in_sql = await session.scalar(text("SELECT markaz_sensitive_engagement(:k)"), {"k": kind.value})
            assert in_sql is policy.is_household(kind.value), kind


# --- the public map: sums of published base numbers -----------------------------------------------

PUBLIC = """
query P($area: AreaInput!, $from: DateTime!, $to: DateTime!, $res: Int!) {
  publicSafetyMap(area: $area, from: $from, to: $to, resolution: $res) {
    from to cells { h3Index incidents } totals { incidents }
  }
}"""
MONTHS = [datetime(2026, m, 1, tzinfo=BAGHDAD) for m in (6, 7, 8, 9)]  # completed months


def _month_of(at: datetime) -> datetime:
    local = at.astimezone(BAGHDAD)
    return datetime(local.year, local.month, 1, tzinfo=BAGHDAD)


# A few resolution-7 cells around CENTRE, and a handful of incidents in each: counts around the threshold.
_public_cells = st.lists(
    st.tuples(
        _points,
        st.integers(0, 8),
        st.sampled_from(MONTHS),
        st.integers(0, 1),
        st.sampled_from(["THEFT", "THEFT", "ASSAULT", "DOMESTIC_VIOLENCE"]),
    ),
    min_size=1,
    max_size=10,
)


@st.composite
def _public_questions(draw) -> dict:
    kind = draw(st.sampled_from(["bbox", "polygon", "governorate"]))
    if kind == "governorate":
        area = {"governorateId": gid("Governorate", "IQ-NI")}
    else:
        area = draw(_areas().filter(lambda a: "bbox" in a or "polygon" in a))
    first = draw(st.integers(0, len(MONTHS) - 1))
    last = draw(st.integers(first, len(MONTHS)))
    start = MONTHS[first] + timedelta(days=draw(st.sampled_from([0, 0, 3])))
    end = MONTHS[last] if last < len(MONTHS) else datetime(2026, 10, 1, tzinfo=BAGHDAD)
    if end <= start:
        end = start + timedelta(days=40)
    return {"area": area, "from": start.isoformat(), "to": end.isoformat(), "res": draw(st.integers(5, 7))}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(groups=_public_cells, questions=st.lists(_public_questions(), min_size=3, max_size=6))
async def test_every_public_number_is_a_sum_of_published_base_numbers(
    gql, sessionmaker, groups, questions
) -> None:
    world = await _world(gql, sessionmaker)
    rng = random.Random(7)
    records = []
    for point, n, month, station, category in groups:
        cell7 = h3.cell_to_parent(h3.latlng_to_cell(*point, 10), 7)
        for _ in range(n):
            child = rng.choice(sorted(h3.cell_to_children(cell7, 10)))
            at = (month + timedelta(days=rng.randrange(28), minutes=rng.randrange(1440))).astimezone(UTC)
            records.append((category, h3.cell_to_latlng(child), at, station))
    async with sessionmaker() as session:
        for category, point, at, station in records:
            await _incident(session, world.stations[station], category, point, at)
        await session.commit()
    try:
        # the base numbers, by brute force: per (cell of resolution 7, month, governorate), incidents that
        # are not sensitive; published from 5 (both stations are Nineveh's)
        base: dict[tuple[str, datetime], int] = defaultdict(int)
        for category, (lat, lon), at, _ in records:
            if not policy.is_sensitive(category, False):
                base[(h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 10), 7), _month_of(at))] += 1
        published = {key: n for key, n in base.items() if n >= 5}
        for question in questions:
            body = await gql(PUBLIC, question)
            assert "errors" not in body, body
            found = body["data"]["publicSafetyMap"]
            start, end = datetime.fromisoformat(found["from"]), datetime.fromisoformat(found["to"])
            area = question["area"]
            if "governorateId" in area:
                held = {cell for cell, _ in published}
            else:
                shape = (
                    h3.LatLngPoly(
                        [
                            (area["bbox"]["south"], area["bbox"]["west"]),
                            (area["bbox"]["south"], area["bbox"]["east"]),
                            (area["bbox"]["north"], area["bbox"]["east"]),
                            (area["bbox"]["north"], area["bbox"]["west"]),
                        ]
                    )
                    if "bbox" in area
                    else h3.geo_to_h3shape(area["polygon"])
                )
                held = set(h3.h3shape_to_cells(shape, 7))
            expected: dict[str, int] = defaultdict(int)
            for (cell, month), n in published.items():
                if cell in held and start <= month < end:
                    expected[h3.cell_to_parent(cell, question["res"])] += n
            assert {c["h3Index"]: c["incidents"] for c in found["cells"]} == dict(expected), question
            assert found["totals"]["incidents"] == sum(expected.values())
    finally:
        # the next example's world: no incidents, and no month frozen (the months asked above were
        # frozen with this example's numbers, and would be answered from them from now on)
        async with sessionmaker() as session:
            await session.execute(text("DELETE FROM incidents"))
            await session.execute(text("DELETE FROM public_months"))
            await session.commit()


async def _thefts(session, station: int, cell: str, month: datetime, n: int) -> list:
    """`n` thefts of `station` at the centre of `cell` (resolution 7), on the 4th of `month`."""
    point = h3.cell_to_latlng(cell)
    return [
        await _incident(
            session, station, "THEFT", point, (month + timedelta(days=3, hours=i)).astimezone(UTC)
        )
        for i in range(n)
    ]


async def _frozen_months(session) -> list[datetime]:
    """The frozen months of the tests' year (a test server's upkeep may have frozen last month)."""
    sql = "SELECT month FROM public_months WHERE month < :end ORDER BY 1"
    end = datetime(2026, 10, 1, tzinfo=BAGHDAD)
    return list((await session.execute(text(sql), {"end": end})).scalars())


async def test_a_coarse_cell_minus_its_children_reveals_nothing(gql, sessionmaker) -> None:
    """The review's differencing attack: a resolution-6 cell minus its shown resolution-7 children, and
    three months minus the first two, both give 0, not the hidden count."""
    world = await _world(gql, sessionmaker)
    shown, hidden = h3.latlng_to_cell(*CENTRE, 7), None
    parent = h3.cell_to_parent(shown, 6)
    hidden = next(c for c in sorted(h3.cell_to_children(parent, 7)) if c != shown)
    async with sessionmaker() as session:
        for cell, month, n in (
            (shown, MONTHS[0], 7),
            (hidden, MONTHS[0], 3),
            (shown, MONTHS[1], 6),
            (shown, MONTHS[2], 2),
        ):
            await _thefts(session, world.stations[0], cell, month, n)
        await session.commit()
    lat, lon = h3.cell_to_latlng(parent)
    area = {"bbox": {"south": lat - 0.2, "west": lon - 0.2, "north": lat + 0.2, "east": lon + 0.2}}

    async def total(start: datetime, end: datetime, res: int) -> dict[str, int]:
        body = await gql(PUBLIC, {"area": area, "from": start.isoformat(), "to": end.isoformat(), "res": res})
        return {c["h3Index"]: c["incidents"] for c in body["data"]["publicSafetyMap"]["cells"]}

    june = await total(MONTHS[0], MONTHS[1], 6)
    june_children = await total(MONTHS[0], MONTHS[1], 7)
    assert june[parent] - sum(n for c, n in june_children.items() if h3.cell_to_parent(c, 6) == parent) == 0
    assert june_children == {shown: 7}
    three = await total(MONTHS[0], MONTHS[3], 7)
    two = await total(MONTHS[0], MONTHS[2], 7)
    assert three[shown] - two[shown] == 0  # August's 2 are suppressed in every sum


# --- the public map: a published month is kept as first published -----------------------------------

CORRECT = """
mutation C($input: CorrectIncidentInput!) {
  correctIncident(input: $input) { errors { field code message } }
}"""


def _public_questions_of(start: datetime, end: datetime) -> list[dict]:
    lat, lon = CENTRE
    box = {"bbox": {"south": lat - 0.2, "west": lon - 0.2, "north": lat + 0.2, "east": lon + 0.2}}
    return [
        {"area": area, "from": start.isoformat(), "to": end.isoformat(), "res": res}
        for area in (box, {"governorateId": gid("Governorate", "IQ-NI")})
        for res in (5, 6, 7)
    ]


async def test_a_published_month_is_answered_as_first_published(gql, sessionmaker) -> None:
    """Comparing the public map of two days: once July is published, a late report in a published cell,
    a late report lifting a suppressed cell to 5, and a correction moving a report out of a published
    cell of 5 (into a suppressed one of 4) change the rollups and the officers' maps, and no public
    answer. August, published only afterwards, is counted as it is when first asked."""
    world = await _world(gql, sessionmaker)
    x, y, z, w = sorted(h3.grid_ring(h3.latlng_to_cell(*CENTRE, 7), 1))[:4]
    july, august, september = MONTHS[1], MONTHS[2], MONTHS[3]
    async with sessionmaker() as session:
        for cell, n in ((x, 5), (y, 4), (w, 4)):
            await _thefts(session, world.stations[0], cell, july, n)
        moved, *_ = await _thefts(session, world.stations[0], z, july, 5)
        await _thefts(session, world.stations[0], x, august, 5)
        await session.commit()
    questions = _public_questions_of(MONTHS[0], august)  # June and July: August is not asked yet

    async def public() -> list[dict]:
        answers = []
        for question in questions:
            body = await gql(PUBLIC, question)
            assert "errors" not in body, body
            answers.append(body["data"]["publicSafetyMap"])
        return answers

    published = await public()
    assert {c["h3Index"]: c["incidents"] for c in published[2]["cells"]} == {x: 5, z: 5}
    assert published[2]["totals"]["incidents"] == 10

    # when: a late report in x, one that lifts y to 5, and z's report moved to w by a correction
    async with sessionmaker() as session:
        await _thefts(session, world.stations[0], x, july, 1)
        await _thefts(session, world.stations[0], y, july, 1)
        await _thefts(session, world.stations[0], x, august, 1)  # August is not published yet
        await session.commit()
    lat, lon = h3.cell_to_latlng(w)
    body = await gql(
        CORRECT,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "incidentId": gid("Incident", moved.id),
                "expectedVersion": moved.version,
                "reason": "The report placed it in the wrong street.",
                "location": {"latitude": lat, "longitude": lon},
            }
        },
        headers=world.headers["commander"],
    )
    assert body["data"]["correctIncident"]["errors"] == [], body

    # then: July's base numbers are now x 6, y 5, z 4, w 5 (the admin's map counts them exactly) ...
    admin_map = await gql(
        MAP,
        {**questions[2], "from": july.isoformat(), "res": 7, "layers": ["INCIDENTS"]},
        headers=world.headers["admin"],
    )
    assert {c["h3Index"]: c["incidents"] for c in admin_map["data"]["activityMap"]["cells"]} == {
        x: 6,
        y: 5,
        z: 4,
        w: 5,
    }
    # ... and every public answer is the same as before: July as it was first published
    assert await public() == published
    async with sessionmaker() as session:
        stored = (
            await session.execute(
                text("SELECT cell, n FROM public_base_numbers WHERE month = :m"), {"m": july.astimezone(UTC)}
            )
        ).all()
    assert {h3.int_to_str(cell): n for cell, n in stored} == {x: 5, z: 5}
    # August, published now for the first time, holds its late report; then it is kept too
    for question in _public_questions_of(august, september):
        body = await gql(PUBLIC, question)
        if question["res"] == 7:
            assert {c["h3Index"]: c["incidents"] for c in body["data"]["publicSafetyMap"]["cells"]} == {x: 6}
    async with sessionmaker() as session:
        await _thefts(session, world.stations[0], x, august, 1)
        await session.commit()
    body = await gql(PUBLIC, _public_questions_of(august, september)[2])
    assert body["data"]["publicSafetyMap"]["totals"]["incidents"] == 6


async def test_the_upkeep_freezes_the_month_that_ended(gql, sessionmaker) -> None:
    """The server's upkeep freezes the month that ended last as it was then, before anyone asks; a
    month still running is not frozen (nor answered)."""
    world = await _world(gql, sessionmaker)
    cell = h3.latlng_to_cell(*CENTRE, 7)
    july = MONTHS[1]
    async with sessionmaker() as session:
        await _thefts(session, world.stations[0], cell, july, 5)
        await _thefts(session, world.stations[0], cell, MONTHS[2], 5)
        await session.commit()
    just_after = datetime(2026, 8, 1, 0, 1, tzinfo=BAGHDAD)
    assert await activity.freeze_last_public_month(sessionmaker, now=just_after) == [july.astimezone(UTC)]
    assert await activity.freeze_last_public_month(sessionmaker, now=just_after) == []  # once
    async with sessionmaker() as session:
        await _thefts(session, world.stations[0], cell, july, 1)  # reported on 1 August
        await session.commit()
    body = await gql(PUBLIC, _public_questions_of(july, MONTHS[2])[2])
    assert body["data"]["publicSafetyMap"]["cells"] == [{"h3Index": cell, "incidents": 5}]
    async with sessionmaker() as session:
        months = await _frozen_months(session)
    assert months == [july.astimezone(UTC)]  # August, running on 1 August, was not frozen


async def test_two_freezes_of_one_month_at_once_store_it_once(committed_sessionmaker, committed_client):
    """Two first questions about a month at once: the first to claim it stores its base numbers, the
    other waits for that transaction, stores nothing and reads them. Real commits, separate connections."""
    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=CENTRE[0], longitude=CENTRE[1])
        cell = h3.latlng_to_cell(*CENTRE, 7)
        await _thefts(session, station, cell, MONTHS[1], 6)
        await session.commit()
    july = MONTHS[1].astimezone(UTC)
    async with committed_sessionmaker() as first:
        frozen = await activity_repo.freeze_public_months(
            first, [july], excluded=sorted(policy.SENSITIVE_CATEGORIES), minimum=5
        )
        assert frozen == [july]
        second = asyncio.create_task(activity.freeze_public_months(committed_sessionmaker, [july]))
        await asyncio.sleep(0.5)
        assert not second.done()  # waiting on the first one's claim of July
        async with committed_sessionmaker() as late:  # reported while the first is freezing
            await _thefts(late, station, cell, MONTHS[1], 1)
            await late.commit()
        await first.commit()
    assert await second == []
    async with committed_sessionmaker() as session:
        stored = (
            await session.execute(
                text("SELECT month, cell, n FROM public_base_numbers WHERE month = :m"), {"m": july}
            )
        ).all()
    assert [(m, h3.int_to_str(c), n) for m, c, n in stored] == [(july, cell, 6)]
    # and questions at once, through the app's autocommit readers, read the stored numbers
    gql = GraphQL(committed_client)
    bodies = await asyncio.gather(*(gql(PUBLIC, q) for q in _public_questions_of(MONTHS[0], MONTHS[2])))
    assert all("errors" not in body for body in bodies), bodies
    assert bodies[2]["data"]["publicSafetyMap"]["cells"] == [{"h3Index": cell, "incidents": 6}]
    async with committed_sessionmaker() as session:
        months = await _frozen_months(session)
    assert months == [MONTHS[0].astimezone(UTC), july]  # June once, by one of them


@pytest.mark.parametrize("area", [{"stationId": "U3RhdGlvbjox"}])
async def test_the_public_map_is_asked_by_place(gql, area) -> None:
    body = await gql(
        PUBLIC, {"area": area, "from": MONTHS[0].isoformat(), "to": MONTHS[1].isoformat(), "res": 7}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


CELL_INCIDENTS = """
query C($cell: String!, $from: DateTime, $to: DateTime) {
  incidents(filter: {cell: $cell, from: $from, to: $to}, first: 100) {
    totalCount edges { node { id category detailsHidden } }
  }
}"""


async def test_a_clicked_hexagon_lists_a_sensitive_record_only_in_its_coarse_cell(gql, sessionmaker) -> None:
    """The /map page lists a clicked hexagon's records (`incidents(filter: {cell})`): off the case, a
    domestic-violence report is in its resolution-7 cell and coarser ones, never in a finer cell (which
    would place it to about 60 m by clicking); on the case, and for a theft beside it, any cell."""
    world = await _world(gql, sessionmaker)
    point, beside = (36.36512, 43.16387), (36.36530, 43.16395)
    at = (DAY0 + timedelta(hours=9)).astimezone(UTC)
    async with sessionmaker() as session:
        written = await _write(  # records alternate between stations A and B: both of these are A's
            session,
            world,
            [
                ("incidents", "DOMESTIC_VIOLENCE", point, at),
                ("incidents", "THEFT", beside, at),
                ("incidents", "THEFT", beside, at),
            ],
        )
        await session.commit()
    sensitive, _, theft = (gid("Incident", key) for _, key, _, _ in written)
    day = {
        "from": DAY0.astimezone(UTC).isoformat(),
        "to": (DAY0 + timedelta(days=1)).astimezone(UTC).isoformat(),
    }
    fine = h3.latlng_to_cell(*point, 10)

    async def listed(viewer: str, res: int, cell: str | None = None) -> set[str]:
        body = await gql(
            CELL_INCIDENTS,
            {"cell": cell or h3.cell_to_parent(fine, res), **day},
            headers=world.headers[viewer],
        )
        assert "errors" not in body, body
        found = body["data"]["incidents"]
        assert found["totalCount"] == len(found["edges"])
        return {e["node"]["id"] for e in found["edges"]}

    theft_cell = h3.latlng_to_cell(*beside, 10)
    for viewer in ("supervisor", "colleague"):
        for res in (8, 9, 10):
            assert sensitive not in await listed(viewer, res), (viewer, res)
        assert theft in await listed(viewer, 10, theft_cell), viewer
        for res in (5, 6, 7):
            assert sensitive in await listed(viewer, res), (viewer, res)
    for viewer in ("reporter", "commander", "admin"):
        for res in (7, 8, 10):
            assert sensitive in await listed(viewer, res), (viewer, res)
    # a cell that is no cell, or finer than maps draw, is refused naming the field
    for bad in (
        "8a2a1072b59ffff" + "f",
        "not-a-cell",
        h3.cell_to_parent(fine, 4),
        h3.latlng_to_cell(*point, 11),
    ):
        body = await gql(CELL_INCIDENTS, {"cell": bad, **day}, headers=world.headers["supervisor"])
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.cell"}, body


MEDIAN = """
query S($area: AreaInput!, $from: DateTime!, $to: DateTime!) {
  activitySummary(area: $area, from: $from, to: $to, resolution: 7) { incidents medianHoursToResolve }
}"""


async def test_the_median_time_to_resolve_has_no_sensitive_case_off_it(gql, sessionmaker) -> None:
    """A theft resolved in 2 hours and a domestic-violence report resolved in 10, on one day at station A:
    off the case the median is the theft's alone (the report's exact times would move it, and a small area
    would then time its resolution); the commander's median is of both."""
    world = await _world(gql, sessionmaker)
    reported = (DAY0 + timedelta(hours=9)).astimezone(UTC)
    async with sessionmaker() as session:
        for category, hours in (("THEFT", 2), ("DOMESTIC_VIOLENCE", 10)):
            await _incident(
                session,
                world.stations[0],
                category,
                CENTRE,
                reported,
                reported_at=reported,
                resolved_at=reported + timedelta(hours=hours),
                status="RESOLVED",
                reported_by_id=world.ids["reporter"],
            )
        await session.commit()
    variables = {
        "area": {"stationId": gid("Station", world.stations[0])},
        "from": DAY0.astimezone(UTC).isoformat(),
        "to": (DAY0 + timedelta(days=1)).astimezone(UTC).isoformat(),
    }
    seen = {}
    for viewer in ("supervisor", "colleague", "commander", "admin"):
        body = await gql(MEDIAN, variables, headers=world.headers[viewer])
        assert body.get("errors") is None, body
        seen[viewer] = body["data"]["activitySummary"]
    for viewer in ("supervisor", "colleague"):
        # counted, as summaries count it, but not in the median
        assert seen[viewer] == {"incidents": 2, "medianHoursToResolve": 2.0}, (viewer, seen[viewer])
    for viewer in ("commander", "admin"):
        assert seen[viewer] == {"incidents": 2, "medianHoursToResolve": 6.0}, (viewer, seen[viewer])


ARRIVALS = """
query A($area: AreaInput!, $from: DateTime!, $to: DateTime!, $cell: String!) {
  activityMap(area: $area, from: $from, to: $to, resolution: 7) {
    cells { h3Index incidents engagements } totals { incidents engagements }
  }
  activityTimeline(area: $area, from: $from, to: $to, resolution: 7, bucket: DAY) {
    start incidents engagements
  }
  activitySummary(area: $area, from: $from, to: $to, resolution: 7) { incidents engagements }
  incidents(filter: {from: $from, to: $to}, first: 100) { totalCount edges { node { id } } }
  engagements(filter: {from: $from, to: $to}, first: 100) { totalCount edges { node { id } } }
  inCell: incidents(filter: {cell: $cell}, first: 100) { edges { node { id } } }
}"""
NODE = "query N($id: ID!) { node(id: $id) { id } }"


async def test_a_sensitive_record_is_shown_off_its_case_once_its_arrival_day_has_ended(gql, sessionmaker):
    """Two domestic-violence reports and two home visits of the day before yesterday: one of each arrived
    then, one of each arrives now (a late report). Asked again and again, the supervisor's and the station's
    other officers' answers must not change the moment the late ones arrive, or the arrival would time
    them: off the case only the records whose arrival day has ended are in any answer (map, timeline,
    summary, lists, a clicked cell, node); on the case all four are listed at once, and counted at once by
    those who count exactly (the commander, an admin)."""
    world = await _world(gql, sessionmaker)
    today = datetime.now(UTC).astimezone(BAGHDAD).replace(hour=0, minute=0, second=0, microsecond=0)
    occurred = (today - timedelta(days=2) + timedelta(hours=10)).astimezone(UTC)
    ids: dict[str, str] = {}
    async with sessionmaker() as session:
        for name, arrived in (("then", occurred + timedelta(hours=1)), ("now", None)):
            arrival = {} if arrived is None else {"reported_at": arrived}
            incident = await _incident(
                session,
                world.stations[0],
                "DOMESTIC_VIOLENCE",
                CENTRE,
                occurred,
                reported_by_id=world.ids["reporter"],
                **arrival,
            )
            received = {} if arrived is None else {"received_at": arrived}
            visit = await _engagement(
                session,
                world.stations[0],
                world.ids["reporter"],
                "HOME_VISIT",
                CENTRE,
                occurred,
                attendees_total=3,
                **received,
            )
            ids[f"incident {name}"] = gid("Incident", incident.id)
            ids[f"visit {name}"] = gid("Engagement", visit.id)
        await session.commit()
    cell7 = h3.cell_to_parent(h3.latlng_to_cell(*CENTRE, 10), 7)
    variables = {
        "area": {"stationId": gid("Station", world.stations[0])},
        "from": (today - timedelta(days=3)).astimezone(UTC).isoformat(),
        "to": (today + timedelta(days=1)).astimezone(UTC).isoformat(),
        "cell": cell7,
    }

    async def answers(viewer: str) -> dict:
        body = await gql(ARRIVALS, variables, headers=world.headers[viewer])
        assert body.get("errors") is None, body
        data = body["data"]
        found = {}
        for name, key in ids.items():
            node = await gql(NODE, {"id": key}, headers=world.headers[viewer])
            found[name] = node["data"]["node"] is not None
        return {
            "map": (data["activityMap"]["totals"]["incidents"], data["activityMap"]["totals"]["engagements"]),
            "cells": sorted((c["incidents"], c["engagements"]) for c in data["activityMap"]["cells"]),
            "timeline": sum(b["incidents"] + b["engagements"] for b in data["activityTimeline"]),
            "summary": (data["activitySummary"]["incidents"], data["activitySummary"]["engagements"]),
            "incidents": {e["node"]["id"] for e in data["incidents"]["edges"]},
            "incidents total": data["incidents"]["totalCount"],
            "engagements": {e["node"]["id"] for e in data["engagements"]["edges"]},
            "in cell": {e["node"]["id"] for e in data["inCell"]["edges"]},
            "nodes": found,
        }

    for viewer in ("supervisor", "colleague"):
        seen = await answers(viewer)
        assert seen["map"] == (1, 1) and seen["cells"] == [(1, 1)], (viewer, seen)
        assert seen["timeline"] == 2 and seen["summary"] == (1, 1), (viewer, seen)
        assert seen["incidents"] == {ids["incident then"]} and seen["incidents total"] == 1, (viewer, seen)
        assert seen["engagements"] == {ids["visit then"]}, (viewer, seen)
        assert seen["in cell"] == {ids["incident then"]}, (viewer, seen)
        assert seen["nodes"] == {
            "incident then": True,
            "visit then": True,
            "incident now": False,
            "visit now": False,
        }, (viewer, seen)
    for viewer in ("reporter", "commander", "admin"):
        seen = await answers(viewer)
        if viewer != "reporter":  # an officer's maps count every sensitive record generalised, own or not
            assert seen["map"] == (2, 2) and seen["summary"] == (2, 2), (viewer, seen)
        assert seen["incidents"] == {ids["incident then"], ids["incident now"]}, (viewer, seen)
        assert seen["engagements"] == {ids["visit then"], ids["visit now"]}, (viewer, seen)
        assert all(seen["nodes"].values()), (viewer, seen)
