"""Patrol totals agree with patrols: a summary's kilometres are the sum of its patrols' distances, and
maps count patrol minutes over the same kept fixes, through the real app.

A fix is kept unless it is flagged IMPOSSIBLE_SPEED or MOCK_LOCATION. Each kept fix owns the stretch to
the next kept fix of its patrol: its minutes (up to a gap of 15) and its metres, credited to its cell.

Tolerances. A summary's metres and a patrol's distance add the very same float64 steps, only in other
orders and groupings (the rollups are deltas, a late fix subtracts a stretch and adds two); the error
of such sums is at most about n·ε·Σ|step| (n steps, ε = 1.1e-16), under 1e-12 of the total for these
tracks, so the rollups are held to 1e-9 of it. Anything else shows far above that: the old haversine
was off the geodesic by up to 0.5%, and a jump or a mocked fix adds whole kilometres. Through the API
the numbers are rounded (kilometres to the metre, minutes to 0.01, hours to 0.01), so those checks
allow half a unit of the rounding.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from datetime import timedelta

import h3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from resolvers.geodesy import geodesic_m
from tests.factories import make_officer, make_station, sign_in
from tests.test_activity import EN, MAP, NOW, gid
from tests.test_activity_summary import GAPS, SUMMARY, TIMELINE

START = """
mutation S($input: StartPatrolInput!) { startPatrol(input: $input) { patrol { id } errors { code } } }
"""
APPEND = """
mutation A($input: AppendPatrolTrackInput!) {
  appendPatrolTrack(input: $input) { patrol { id } errors { field code } }
}
"""
PATROLS = """
query P { patrols(first: 100) { edges { node { id clientId distanceMeters track } } } }
"""
REPORT = """
mutation R($input: ReportIncidentInput!) { reportIncident(input: $input) { errors { code } } }
"""
LEFT_OUT = {"IMPOSSIBLE_SPEED", "MOCK_LOCATION"}
GAP = timedelta(minutes=15)
BASE = (36.34, 43.15)
BEGIN = NOW - timedelta(hours=12)  # every track starts here; the period asked is [BEGIN, NOW + 1h)
RESOLUTION = 8


async def _officer(gql, sessionmaker) -> tuple[int, dict]:
    """A station of its own (so earlier examples do not count) and its officer, signed in."""
    async with sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=BASE[0], longitude=BASE[1])
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    return station, {**EN, **await sign_in(gql, badge)}


async def _start(gql, headers, location: dict | None = None) -> str:
    values = {"clientId": str(uuid.uuid4()), "startedAt": BEGIN.isoformat()}
    if location is not None:
        values["location"] = location
    body = await gql(START, {"input": values}, headers=headers)
    assert body["data"]["startPatrol"]["errors"] == [], body
    return body["data"]["startPatrol"]["patrol"]["id"]


async def _append(gql, headers, patrol: str, fixes: list[dict]) -> None:
    body = await gql(APPEND, {"input": {"patrolId": patrol, "fixes": fixes}}, headers=headers)
    assert body["data"]["appendPatrolTrack"]["errors"] == [], body


def _fix(at, lat: float, lon: float, accuracy: float | None = 5.0, mocked: bool = False) -> dict:
    return {
        "latitude": lat,
        "longitude": lon,
        "recordedAt": at.isoformat(),
        "accuracyMeters": accuracy,
        "mocked": mocked,
    }


async def _kept(sessionmaker, station: int) -> dict[int, list]:
    """Per patrol of the station, its fixes not flagged IMPOSSIBLE_SPEED or MOCK_LOCATION, in time order
    (read from the flags the app stored, not from how it marks them for the rollups)."""
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT f.patrol_id, f.recorded_at, f.latitude, f.longitude, f.flags FROM patrol_fixes f "
                    "JOIN patrols p ON p.id = f.patrol_id WHERE p.station_id = :s ORDER BY 1, 2"
                ),
                {"s": station},
            )
        ).all()
    kept: dict[int, list] = defaultdict(list)
    for row in rows:
        if not LEFT_OUT & set(row.flags):
            kept[row.patrol_id].append(row)
    return kept


def _expected_minutes(kept: dict[int, list]) -> dict[str, float]:
    """Patrol minutes per map cell: each kept fix's stretch to the next, up to a gap of 15 minutes."""
    minutes: dict[str, float] = defaultdict(float)
    for track in kept.values():
        for this, following in itertools.pairwise(track):
            gap = following.recorded_at - this.recorded_at
            if gap <= GAP:
                cell = h3.cell_to_parent(h3.latlng_to_cell(this.latitude, this.longitude, 10), RESOLUTION)
                minutes[cell] += gap.total_seconds() / 60
    return minutes


async def _check_totals(gql, sessionmaker, station: int, headers: dict) -> None:
    """The summary's kilometres are the patrols' distances; maps, timelines and hours count the minutes
    of the kept fixes; and each patrol's distance is the geodesic length of its own track."""
    area = {"stationId": gid("Station", station)}
    period = {"from": BEGIN.isoformat(), "to": (NOW + timedelta(hours=1)).isoformat()}
    patrols = [e["node"] for e in (await gql(PATROLS, headers=headers))["data"]["patrols"]["edges"]]
    kept = await _kept(sessionmaker, station)
    # each patrol: its track is its kept fixes, and its distance their geodesic length
    async with sessionmaker() as session:
        keys = dict(
            (
                await session.execute(
                    text("SELECT client_id::text, id FROM patrols WHERE station_id = :s"), {"s": station}
                )
            ).all()
        )
    for patrol in patrols:
        track = kept.get(keys[patrol["clientId"]], [])
        if len(track) > 1:
            assert patrol["track"]["coordinates"] == [[r.longitude, r.latitude] for r in track]
        else:
            assert patrol["track"] is None
        length = sum(
            geodesic_m(a.latitude, a.longitude, b.latitude, b.longitude) for a, b in itertools.pairwise(track)
        )
        assert abs(patrol["distanceMeters"] - length) <= 1e-9 * max(1.0, length)
    distance = sum(p["distanceMeters"] for p in patrols)
    # the rollups hold the same metres, to float64 summation error
    async with sessionmaker() as session:
        meters, minutes = (
            await session.execute(
                text(
                    "SELECT coalesce(sum(meters), 0), coalesce(sum(minutes), 0) FROM activity_rollups "
                    "WHERE layer = 3 AND grain = 'm' AND res = 6 AND station_id = :s"
                ),
                {"s": station},
            )
        ).one()
    assert abs(meters - distance) <= 1e-9 * max(1.0, distance), (meters, distance)
    expected = _expected_minutes(kept)
    total = sum(expected.values())
    assert abs(minutes - total) <= 1e-9 * max(1.0, total), (minutes, total)
    # and the API shows them, rounded
    summary = (await gql(SUMMARY, {"area": area, **period}, headers=headers))["data"]["activitySummary"]
    assert abs(summary["patrolKilometers"] * 1000 - distance) <= 0.5 + 1e-9 * distance
    assert abs(summary["patrolHours"] - total / 60) <= 0.005 + 1e-9
    found = (await gql(MAP, {"area": area, **period, "resolution": RESOLUTION}, headers=headers))["data"]
    cells = {c["h3Index"]: c["patrolMinutes"] for c in found["activityMap"]["cells"] if c["patrolMinutes"]}
    assert set(cells) == {cell for cell, m in expected.items() if round(m, 2) > 0}
    for cell, shown in cells.items():
        assert abs(shown - expected[cell]) <= 0.005 + 1e-9, cell
    assert abs(found["activityMap"]["totals"]["patrolMinutes"] - total) <= 0.005 + 1e-9
    points = (await gql(TIMELINE, {"area": area, **period, "bucket": "DAY"}, headers=headers))["data"]
    assert abs(sum(p["patrolMinutes"] for p in points["activityTimeline"]) - total) <= 0.005 * 2 + 1e-9


# A walk near BASE (never farther than 0.0075° from it), with jumps 0.05° away that come back and
# mocked positions 0.02° away: positions of the three kinds never coincide.
_fix_drawn = st.tuples(
    st.one_of(st.integers(1, 120), st.integers(121, 1500)),  # seconds since the previous fix
    st.sampled_from(["walk"] * 6 + ["jump", "mocked"]),
    st.floats(-3e-4, 3e-4),
    st.floats(-3e-4, 3e-4),
    st.none() | st.floats(0, 50),  # accuracy
)
_patrol_drawn = st.tuples(
    st.lists(_fix_drawn, min_size=1, max_size=25),
    st.sampled_from([None, "walk", "mocked"]),  # the start's location
    st.lists(st.integers(1, 24), max_size=3),  # where the track is cut into batches
    st.randoms(use_true_random=False),  # the order the batches arrive in, and which one is sent twice
)


def _track(drawn: list) -> list[dict]:
    at, lat, lon, fixes = BEGIN, *BASE, []
    for seconds, kind, d_lat, d_lon, accuracy in drawn:
        at += timedelta(seconds=seconds)
        lat, lon = lat + d_lat, lon + d_lon
        if kind == "jump":
            fixes.append(_fix(at, lat + 0.05, lon, accuracy))
        else:
            fixes.append(_fix(at, lat + (0.02 if kind == "mocked" else 0), lon, accuracy, kind == "mocked"))
    return fixes


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(_patrol_drawn, min_size=1, max_size=3), drop=st.booleans())
async def test_summary_kilometres_and_map_minutes_come_from_the_patrols_kept_fixes(
    gql, sessionmaker, drawn, drop
) -> None:
    # given: patrols with jumps, mocked fixes and gaps, their batches sent out of order, one twice
    station, headers = await _officer(gql, sessionmaker)
    for fixes_drawn, start, cuts, rng in drawn:
        location = (
            None
            if start is None
            else {
                "latitude": BASE[0] + (0.02 if start == "mocked" else 0),
                "longitude": BASE[1],
                "mocked": start == "mocked",
            }
        )
        patrol = await _start(gql, headers, location)
        fixes = _track(fixes_drawn)
        bounds = sorted({c for c in cuts if c < len(fixes)})
        batches = [fixes[a:b] for a, b in itertools.pairwise([0, *bounds, len(fixes)])]
        rng.shuffle(batches)
        for batch in [*batches, rng.choice(batches)]:
            await _append(gql, headers, patrol, batch)
    # then
    await _check_totals(gql, sessionmaker, station, headers)
    if drop and len(drawn) > 1:  # and after a patrol is deleted, its track with it, the rest still agree
        async with sessionmaker() as session:
            await session.execute(
                text("DELETE FROM patrols WHERE id = (SELECT min(id) FROM patrols WHERE station_id = :s)"),
                {"s": station},
            )
            await session.commit()
        await _check_totals(gql, sessionmaker, station, headers)


async def test_a_jump_and_a_mocked_fix_count_no_distance_and_no_minutes(gql, sessionmaker) -> None:
    # given a walk north, a fix 10 km away a minute later, then the walk again, a mocked fix 2 km east
    station, headers = await _officer(gql, sessionmaker)
    t = BEGIN + timedelta(minutes=5)
    walk = [(36.3400, 43.1500), (36.3409, 43.1510), (36.3418, 43.1519), (36.3427, 43.1530)]
    jump, mocked = (36.43, 43.15), (36.3418, 43.1719)
    patrol = await _start(gql, headers)
    # when it arrives late half first, the jump in the later batch, the mocked fix in the earlier one
    await _append(
        gql,
        headers,
        patrol,
        [
            _fix(t + timedelta(minutes=2), *jump),
            _fix(t + timedelta(minutes=3), *walk[2]),
            _fix(t + timedelta(minutes=6), *walk[3]),
        ],
    )
    await _append(
        gql,
        headers,
        patrol,
        [
            _fix(t, *walk[0]),
            _fix(t + timedelta(minutes=1), *walk[1]),
            _fix(t + timedelta(minutes=4), *mocked, mocked=True),
        ],
    )
    # then the distance is the walk's, and the summary's kilometres are exactly it
    await _check_totals(gql, sessionmaker, station, headers)
    length = sum(geodesic_m(*a, *b) for a, b in itertools.pairwise(walk))
    node = (await gql(PATROLS, headers=headers))["data"]["patrols"]["edges"][0]["node"]
    assert abs(node["distanceMeters"] - length) < 1e-6
    # and neither the jump's nor the mocked fix's cell has patrol minutes: 1 + 2 + 3 minutes, from the walk
    area = {"stationId": gid("Station", station)}
    period = {"from": BEGIN.isoformat(), "to": (NOW + timedelta(hours=1)).isoformat()}
    body = await gql(MAP, {"area": area, **period, "resolution": 10}, headers=headers)
    found = body["data"]["activityMap"]
    cells = {c["h3Index"]: c["patrolMinutes"] for c in found["cells"]}
    expected: dict[str, float] = defaultdict(float)
    for at, minutes in zip(walk, (1.0, 2.0, 3.0), strict=False):  # the last: to walk[3], past the mocked fix
        expected[h3.latlng_to_cell(*at, 10)] += minutes
    assert cells == expected and found["totals"]["patrolMinutes"] == 6.0
    assert h3.latlng_to_cell(*jump, 10) not in cells and h3.latlng_to_cell(*mocked, 10) not in cells


async def test_a_place_only_a_mocked_fix_visited_is_still_a_coverage_gap(gql, sessionmaker) -> None:
    # given an incident, and a patrol whose only fix near it is mocked
    station, headers = await _officer(gql, sessionmaker)
    place, elsewhere = (36.3700, 43.1700), (36.3400, 43.1500)
    body = await gql(
        REPORT,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "category": "THEFT",
                "occurredAt": (NOW - timedelta(hours=3)).isoformat(),
                "location": {"latitude": place[0], "longitude": place[1]},
                "stationId": gid("Station", station),
                "description": "A theft nobody patrolled.",
            }
        },
        headers=headers,
    )
    assert body["data"]["reportIncident"]["errors"] == []
    patrol = await _start(gql, headers)
    t = BEGIN + timedelta(minutes=5)
    await _append(
        gql,
        headers,
        patrol,
        [
            _fix(t, *elsewhere),
            _fix(t + timedelta(minutes=2), *place, mocked=True),
            _fix(t + timedelta(minutes=4), *elsewhere),
        ],
    )
    # when
    gaps = (
        await gql(
            GAPS,
            {
                "area": {"stationId": gid("Station", station)},
                "days": 28,
                "to": (NOW + timedelta(hours=1)).isoformat(),
                "resolution": RESOLUTION,
            },
            headers=headers,
        )
    )["data"]["coverageGaps"]
    # then the mocked visit covers nothing
    cell = h3.cell_to_parent(h3.latlng_to_cell(*place, 10), RESOLUTION)
    assert [c["h3Index"] for c in gaps["cells"]] == [cell]
    assert gaps["cells"][0]["patrolMinutes"] == 0
