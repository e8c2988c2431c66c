"""Patrols: start, track batches (resent, late, impossible), end; idempotency, bad input, permissions."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from resolvers.geodesy import geodesic_m
from resolvers.mutation_errors import Collector
from resolvers.patrols import TrackFix, extend_walk, walk_track
from schema.node import to_global_id
from tests.factories import make_officer, make_station, sign_in, statements

START = """
mutation Start($input: StartPatrolInput!) {
  startPatrol(input: $input) {
    patrol {
      id clientId status startedAt endedAt distanceMeters durationSeconds fixCount flaggedFixCount
      track lastPosition { latitude longitude } plannedArea flags
      station { id } officers { id } startedBy { id }
    }
    errors { field code message }
  }
}
"""
APPEND = """
mutation Append($input: AppendPatrolTrackInput!) {
  appendPatrolTrack(input: $input) {
    patrol { id status distanceMeters durationSeconds fixCount flaggedFixCount track flags
             lastPosition { latitude longitude } }
    errors { field code message }
  }
}
"""
END = """
mutation End($input: EndPatrolInput!) {
  endPatrol(input: $input) {
    patrol { id status endedAt distanceMeters durationSeconds }
    errors { field code message }
  }
}
"""
PATROLS = """
query Patrols($filter: PatrolFilter, $first: Int, $after: String) {
  patrols(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id startedAt } }
  }
}
"""
COUNTS = [
    f"SELECT count(*) FROM {table}"  # noqa: S608 (fixed table names)
    for table in ("patrols", "patrol_fixes", "client_requests", "audit_log")
]
DETAILS = """
query Details($first: Int) {
  patrols(first: $first) {
    edges { node { id durationSeconds track lastPosition { latitude } station { name } officers { id }
                   startedBy { id } } }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Patrol { status fixCount } } }"

# East Mosul, walking north-east along a street.
SQUARE = [[43.1, 36.3], [43.2, 36.3], [43.2, 36.4], [43.1, 36.3]]
PATH = [(36.3400, 43.1500), (36.3409, 43.1510), (36.3418, 43.1519), (36.3427, 43.1530), (36.3436, 43.1541)]


def _t0() -> datetime:
    return (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)


def _iso(at: datetime) -> str:
    return at.isoformat()


def _fix(lat: float, lon: float, at: datetime, **extra) -> dict:
    return {"latitude": lat, "longitude": lon, "recordedAt": _iso(at), "accuracyMeters": 5.0, **extra}


def _length(points) -> float:
    return sum(geodesic_m(*a, *b) for a, b in itertools.pairwise(points))


async def _station_officer(sessionmaker, governorate: str = "IQ-NI", **officer) -> tuple[int, int, str]:
    async with sessionmaker() as session:
        station = await make_station(session, governorate=governorate)
        officer_id, badge = await make_officer(session, station_id=station, **officer)
        await session.commit()
    return station, officer_id, badge


async def _count(sessionmaker, sql: str, **params) -> int:
    async with sessionmaker() as session:
        return (await session.execute(text(sql), params)).scalar_one()


async def _start(gql, headers, started_at: datetime, **extra) -> dict:
    variables = {"input": {"clientId": str(uuid.uuid4()), "startedAt": _iso(started_at), **extra}}
    body = await gql(START, variables, headers=headers)
    payload = body["data"]["startPatrol"]
    assert payload["errors"] == [], payload
    return payload["patrol"]


async def _append(gql, headers, patrol_id: str, fixes: list[dict], **extra) -> dict:
    body = await gql(APPEND, {"input": {"patrolId": patrol_id, "fixes": fixes, **extra}}, headers=headers)
    return body["data"]["appendPatrolTrack"] if body.get("data") else body


async def test_start_append_end_measures_the_track_geodesically(gql, sessionmaker):
    # given an officer signed in at his station
    station, officer_id, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    # when he starts a patrol at the first point, sends the rest of the walk, and ends it
    patrol = await _start(
        gql, headers, t0, location={"latitude": PATH[0][0], "longitude": PATH[0][1], "accuracyMeters": 5.0}
    )
    fixes = [_fix(lat, lon, t0 + timedelta(minutes=i)) for i, (lat, lon) in enumerate(PATH) if i]
    appended = await _append(gql, headers, patrol["id"], fixes)
    end = {"patrolId": patrol["id"], "endedAt": _iso(t0 + timedelta(minutes=30))}
    ended = (await gql(END, {"input": end}, headers=headers))["data"]["endPatrol"]
    # then the patrol is stored with its station, officers, track and geodesic distance
    assert patrol["status"] == "ACTIVE" and patrol["fixCount"] == 1 and patrol["track"] is None
    assert patrol["station"]["id"] == to_global_id("Station", station)
    assert patrol["officers"] == [{"id": to_global_id("Officer", officer_id)}]
    assert patrol["startedBy"] == {"id": to_global_id("Officer", officer_id)}
    assert patrol["lastPosition"] == {"latitude": PATH[0][0], "longitude": PATH[0][1]}
    assert appended["errors"] == []
    track = appended["patrol"]
    assert track["fixCount"] == 5 and track["flaggedFixCount"] == 0 and track["flags"] == []
    assert abs(track["distanceMeters"] - _length(PATH)) < 1e-6
    assert track["track"] == {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in PATH]}
    assert track["lastPosition"] == {"latitude": PATH[-1][0], "longitude": PATH[-1][1]}
    assert track["durationSeconds"] == 4 * 60  # while under way: to the last fix
    assert ended["errors"] == []
    assert ended["patrol"]["status"] == "ENDED" and ended["patrol"]["durationSeconds"] == 30 * 60
    assert abs(ended["patrol"]["distanceMeters"] - _length(PATH)) < 1e-6
    # and every write is in the audit log, without the track itself
    actions = await _audit(sessionmaker, patrol["id"])
    assert [a for a, _ in actions] == ["startPatrol", "appendPatrolTrack", "endPatrol"]
    assert all("coordinates" not in str(after) for _, after in actions)


async def _audit(sessionmaker, global_id: str) -> list[tuple[str, dict]]:
    from base64 import b64decode

    key = b64decode(global_id).decode().split(":")[1]
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT action, after FROM audit_log WHERE entity_type = 'Patrol' AND entity_id = :k "
                    "ORDER BY id"
                ),
                {"k": key},
            )
        ).all()
    return [(r.action, r.after) for r in rows]


async def test_resent_and_out_of_order_fixes_give_the_same_track(gql, sessionmaker):
    # given a patrol with fixes 0, 2 and 4 of the walk
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0)
    at = [t0 + timedelta(minutes=i) for i in range(len(PATH))]
    first = await _append(gql, headers, patrol["id"], [_fix(*PATH[i], at[i]) for i in (4, 0, 2)])
    assert abs(first["patrol"]["distanceMeters"] - _length([PATH[0], PATH[2], PATH[4]])) < 1e-6
    # when 2 is resent (with other coordinates) together with the late 1 and 3
    second = await _append(
        gql, headers, patrol["id"], [_fix(36.0, 43.0, at[2]), _fix(*PATH[3], at[3]), _fix(*PATH[1], at[1])]
    )
    # then the resent fix is ignored and the late ones take their places in time order
    assert second["errors"] == []
    assert second["patrol"]["fixCount"] == 5
    assert abs(second["patrol"]["distanceMeters"] - _length(PATH)) < 1e-6
    assert second["patrol"]["track"]["coordinates"] == [[lon, lat] for lat, lon in PATH]
    # and the whole batch again changes nothing
    again = await _append(gql, headers, patrol["id"], [_fix(*PATH[3], at[3]), _fix(*PATH[1], at[1])])
    assert again["errors"] == [] and again["patrol"] == second["patrol"]
    assert await _count(sessionmaker, "SELECT count(*) FROM patrol_fixes") == 5


async def test_a_fix_implying_an_impossible_speed_is_flagged_and_left_out(gql, sessionmaker):
    # given a patrol walking north
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0)
    # when one fix jumps 10 km away for a second (10 km in 60 s is 600 km/h)
    jump = (36.43, 43.15)
    fixes = [
        _fix(*PATH[0], t0),
        _fix(*PATH[1], t0 + timedelta(minutes=1)),
        _fix(*jump, t0 + timedelta(minutes=2)),
        _fix(*PATH[2], t0 + timedelta(minutes=3)),
    ]
    result = await _append(gql, headers, patrol["id"], fixes)
    # then it is stored, flagged, and counted out of the distance and the track
    stored = result["patrol"]
    assert stored["fixCount"] == 4 and stored["flaggedFixCount"] == 1
    assert stored["flags"] == ["IMPOSSIBLE_SPEED"]
    assert abs(stored["distanceMeters"] - _length(PATH[:3])) < 1e-6
    assert [jump[1], jump[0]] not in stored["track"]["coordinates"]
    assert len(stored["track"]["coordinates"]) == 3
    flags = await _count(sessionmaker, "SELECT flags FROM patrol_fixes WHERE latitude = :lat", lat=jump[0])
    assert flags == ["IMPOSSIBLE_SPEED"]


async def test_a_mocked_fix_is_stored_flagged_and_left_out_of_the_track(gql, sessionmaker):
    # given a patrol walking north
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0)
    # when the phone reports a mocked position between two real ones, and last
    made_up = (36.3500, 43.1700)
    fixes = [
        _fix(*PATH[0], t0),
        _fix(*made_up, t0 + timedelta(minutes=1), mocked=True),
        _fix(*PATH[1], t0 + timedelta(minutes=2)),
        _fix(*made_up, t0 + timedelta(minutes=3), mocked=True),
    ]
    stored = (await _append(gql, headers, patrol["id"], fixes))["patrol"]
    # then both are stored and flagged, and nothing of the track, its distance or the last position is theirs
    assert stored["fixCount"] == 4 and stored["flaggedFixCount"] == 2 and stored["flags"] == ["MOCK_LOCATION"]
    assert abs(stored["distanceMeters"] - _length(PATH[:2])) < 1e-6
    assert stored["track"]["coordinates"] == [[lon, lat] for lat, lon in PATH[:2]]
    assert stored["lastPosition"] == {"latitude": PATH[1][0], "longitude": PATH[1][1]}
    # and a fix after them walks on from the last real one
    after = await _append(gql, headers, patrol["id"], [_fix(*PATH[2], t0 + timedelta(minutes=4))])
    assert abs(after["patrol"]["distanceMeters"] - _length(PATH[:3])) < 1e-6


async def test_a_late_fix_can_move_the_impossible_speed_flag(gql, sessionmaker):
    # given fixes A then B 30 s later 3 km away: B looks impossible (100 m/s)
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0 - timedelta(minutes=1))
    far = (36.3670, 43.1500)  # 3 km north of PATH[0]
    first = await _append(
        gql, headers, patrol["id"], [_fix(*PATH[0], t0), _fix(*far, t0 + timedelta(seconds=30))]
    )
    assert first["patrol"]["flaggedFixCount"] == 1 and first["patrol"]["distanceMeters"] == 0
    # when a late fix shows the phone was at B's place 30 s before A
    late = await _append(gql, headers, patrol["id"], [_fix(*far, t0 - timedelta(seconds=30))])
    # then A is the jump now: it is flagged instead of B, and the track stays where the phone stayed
    assert late["patrol"]["flaggedFixCount"] == 1 and late["patrol"]["distanceMeters"] == 0
    async with sessionmaker() as session:
        flags = dict(
            (
                await session.execute(
                    text("SELECT latitude, flags FROM patrol_fixes WHERE recorded_at = ANY(:at)"),
                    {"at": [t0, t0 + timedelta(seconds=30)]},
                )
            ).all()
        )
    assert flags == {PATH[0][0]: ["IMPOSSIBLE_SPEED"], far[0]: []}


def test_walk_track_keeps_the_first_fix_and_allows_for_accuracy():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    a, b = (36.34, 43.15), (36.3427, 43.15)  # 300 m apart
    # 300 m in 5 s is 60 m/s: impossible with exact fixes, possible when each may be 20 m off
    exact = walk_track([TrackFix(t0, *a, 0.0), TrackFix(t0 + timedelta(seconds=5), *b, 0.0)])
    loose = walk_track([TrackFix(t0, *a, 20.0), TrackFix(t0 + timedelta(seconds=5), *b, 20.0)])
    assert exact.impossible == {t0 + timedelta(seconds=5)} and exact.distance_m == 0
    assert loose.impossible == frozenset() and abs(loose.distance_m - geodesic_m(*a, *b)) < 1e-9


_steps = st.lists(
    st.tuples(
        st.floats(-0.002, 0.002),
        st.floats(-0.002, 0.002),
        st.integers(1, 600),
        st.none() | st.floats(0, 200),
        st.sampled_from([()] * 5 + [("MOCK_LOCATION",)]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(steps=_steps, seed=st.randoms())
def test_walk_track_ignores_arrival_order_and_measures_every_possible_step(steps, seed):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    fixes, lat, lon, at = [], 36.34, 43.15, t0
    for d_lat, d_lon, seconds, accuracy, flags in steps:
        lat, lon, at = lat + d_lat, lon + d_lon, at + timedelta(seconds=seconds)
        fixes.append(TrackFix(at, lat, lon, accuracy, flags))
    walked = walk_track(fixes)
    shuffled = list(fixes)
    seed.shuffle(shuffled)
    assert walk_track(shuffled) == walked
    # kept: neither mocked (never even tried) nor impossible; the first fix not mocked always is
    real = [f for f in fixes if not f.flags]
    kept = [f for f in real if f.recorded_at not in walked.impossible]
    assert kept[:1] == real[:1] and walked.impossible <= {f.recorded_at for f in real}
    assert abs(walked.distance_m - _length([(f.latitude, f.longitude) for f in kept])) < 1e-6
    # the steps the rollups sum: one per kept fix, from the kept fix before it, adding up to the distance
    assert list(walked.steps) == [f.recorded_at for f in kept]
    assert all(walked.steps[f.recorded_at] == 0 for f in kept[:1])
    for a, b in itertools.pairwise(kept):  # every kept step is possible, and is what the walk stored
        slack = (a.accuracy_m or 0) + (b.accuracy_m or 0)
        seconds = (b.recorded_at - a.recorded_at).total_seconds()
        step = geodesic_m(a.latitude, a.longitude, b.latitude, b.longitude)
        assert step - slack <= 55 * seconds and walked.steps[b.recorded_at] == step
    assert abs(sum(walked.steps.values()) - walked.distance_m) <= 1e-9 * max(1.0, walked.distance_m)


async def test_retrying_start_returns_the_same_patrol_and_writes_nothing(gql, sessionmaker):
    # given a patrol started once
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    variables = {
        "input": {
            "clientId": str(uuid.uuid4()),
            "startedAt": _iso(_t0()),
            "location": {"latitude": 36.34, "longitude": 43.15},
        }
    }
    first = (await gql(START, variables, headers=headers))["data"]["startPatrol"]
    counts = [await _count(sessionmaker, sql) for sql in COUNTS]
    # when the phone sends it again, and then the same clientId with other content
    again = (await gql(START, variables, headers=headers))["data"]["startPatrol"]
    other = {"input": {**variables["input"], "location": {"latitude": 36.35, "longitude": 43.15}}}
    clash = (await gql(START, other, headers=headers))["data"]["startPatrol"]
    # then the retry gets the same patrol and nothing new is written; the clash is a CONFLICT
    assert again == first
    assert [await _count(sessionmaker, sql) for sql in COUNTS] == counts
    assert clash["patrol"] is None
    assert [(e["field"], e["code"]) for e in clash["errors"]] == [(["clientId"], "CONFLICT")]


async def test_bad_input_names_the_field(gql, sessionmaker):
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0)
    fixes = [_fix(*PATH[i], t0 + timedelta(minutes=i)) for i in range(4)]
    fixes[3]["latitude"] = 91
    cases = [
        (APPEND, {"patrolId": patrol["id"], "fixes": fixes}, ["fixes", "3", "latitude"], "INVALID"),
        (APPEND, {"patrolId": patrol["id"], "fixes": []}, ["fixes"], "INVALID"),
        (APPEND, {"patrolId": patrol["id"], "fixes": [_fix(*PATH[0], t0)] * 1001}, ["fixes"], "INVALID"),
        (
            APPEND,
            {"patrolId": to_global_id("Patrol", 987654321), "fixes": [_fix(*PATH[0], t0)]},
            ["patrolId"],
            "NOT_FOUND",
        ),
        (
            APPEND,
            {"patrolClientId": str(uuid.uuid4()), "fixes": [_fix(*PATH[0], t0)]},
            ["patrolClientId"],
            "NOT_FOUND",
        ),
        (APPEND, {"fixes": [_fix(*PATH[0], t0)]}, ["patrolId"], "INVALID"),
        (
            APPEND,
            {"patrolId": patrol["id"], "fixes": [_fix(*PATH[0], t0 - timedelta(minutes=1))]},
            ["fixes", "0", "recordedAt"],
            "INVALID",
        ),
        (
            APPEND,
            {"patrolId": patrol["id"], "fixes": [_fix(*PATH[0], t0, accuracyMeters=-1.0)]},
            ["fixes", "0", "accuracyMeters"],
            "INVALID",
        ),
        (
            START,
            {"clientId": str(uuid.uuid4()), "startedAt": _iso(datetime.now(UTC) + timedelta(days=2))},
            ["startedAt"],
            "INVALID",
        ),
        (
            START,
            {
                "clientId": str(uuid.uuid4()),
                "startedAt": _iso(t0),
                "officerIds": [to_global_id("Officer", 0)],
            },
            ["officerIds", "0"],
            "INVALID",
        ),
        (
            START,
            {"clientId": str(uuid.uuid4()), "startedAt": _iso(t0), "stationId": "not-an-id"},
            ["stationId"],
            "INVALID",
        ),
        (
            START,
            {
                "clientId": str(uuid.uuid4()),
                "startedAt": _iso(t0),
                "plannedArea": {
                    "type": "Polygon",
                    "coordinates": [[[43.1, 36.3], [43.2, 36.3], [43.2, 36.4]]],
                },
            },
            ["plannedArea", "coordinates", "0"],
            "INVALID",
        ),
        (
            START,
            {
                "clientId": str(uuid.uuid4()),
                "startedAt": _iso(t0),
                "plannedArea": {
                    "type": "Polygon",
                    "coordinates": [[[43.1, 36.3], [43.2, 96.3], [43.2, 36.4], [43.1, 36.3]]],
                },
            },
            ["plannedArea", "coordinates", "0", "1", "1"],
            "INVALID",
        ),
        (
            START,
            {"clientId": str(uuid.uuid4()), "startedAt": _iso(t0), "plannedArea": {"type": "Point"}},
            ["plannedArea"],
            "INVALID",
        ),
        (END, {"patrolId": patrol["id"], "endedAt": _iso(t0 - timedelta(minutes=1))}, ["endedAt"], "INVALID"),
    ]
    for operation, sent, field, code in cases:
        body = await gql(operation, {"input": sent}, headers={**headers, "accept-language": "en"})
        (payload,) = body["data"].values()
        assert payload["patrol"] is None, sent
        assert [(e["field"], e["code"]) for e in payload["errors"]][:1] == [(field, code)], payload
        assert ".".join(field) in payload["errors"][0]["message"]
    assert await _count(sessionmaker, "SELECT count(*) FROM patrol_fixes") == 0
    assert await _count(sessionmaker, "SELECT count(*) FROM patrols") == 1


async def test_one_bad_fix_rejects_the_whole_batch(gql, sessionmaker):
    # given a patrol with one fix stored
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0, location={"latitude": PATH[0][0], "longitude": PATH[0][1]})
    # when a batch of good fixes carries one with a longitude out of range
    fixes = [_fix(*PATH[i], t0 + timedelta(minutes=i)) for i in range(1, 5)]
    fixes[2]["longitude"] = 181
    result = await _append(gql, headers, patrol["id"], fixes)
    # then nothing of it is stored
    assert [e["field"] for e in result["errors"]] == [["fixes", "2", "longitude"]]
    assert await _count(sessionmaker, "SELECT count(*) FROM patrol_fixes") == 1
    assert await _count(sessionmaker, "SELECT fix_count FROM patrols") == 1


async def test_ending_is_idempotent_and_late_fixes_before_the_end_are_accepted(gql, sessionmaker):
    # given an ended patrol
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0)
    end = {"patrolId": patrol["id"], "endedAt": _iso(t0 + timedelta(minutes=10))}
    first = (await gql(END, {"input": end}, headers=headers))["data"]["endPatrol"]
    # when it is ended again, at the same and at another instant, and fixes arrive late
    retry = {**end, "clientId": str(uuid.uuid4())}  # a second device's end, sent twice
    again = (await gql(END, {"input": retry}, headers=headers))["data"]["endPatrol"]
    resent = (await gql(END, {"input": retry}, headers=headers))["data"]["endPatrol"]
    other = (
        await gql(END, {"input": {**end, "endedAt": _iso(t0 + timedelta(minutes=11))}}, headers=headers)
    )["data"]["endPatrol"]
    late = await _append(
        gql, headers, patrol["id"], [_fix(*PATH[0], t0), _fix(*PATH[1], t0 + timedelta(minutes=9))]
    )
    after = await _append(gql, headers, patrol["id"], [_fix(*PATH[2], t0 + timedelta(minutes=12))])
    # then the same end is a success that changes nothing, another end is a CONFLICT, and only fixes
    # recorded before the end are taken
    assert first["errors"] == [] and again == first and resent == first
    assert [(e["field"], e["code"]) for e in other["errors"]] == [(["endedAt"], "CONFLICT")]
    assert late["errors"] == [] and late["patrol"]["fixCount"] == 2 and late["patrol"]["status"] == "ENDED"
    assert [(e["field"], e["code"]) for e in after["errors"]] == [(["patrolId"], "INVALID")]
    assert await _count(sessionmaker, "SELECT version FROM patrols") == 3  # start, end, one append


async def test_updates_can_name_the_patrol_by_its_client_id(gql, sessionmaker):
    # given a patrol the phone knows only by its own id (started offline)
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    client_id = str(uuid.uuid4())
    await gql(START, {"input": {"clientId": client_id, "startedAt": _iso(t0)}}, headers=headers)
    batch = {"clientId": str(uuid.uuid4()), "patrolClientId": client_id, "fixes": [_fix(*PATH[0], t0)]}
    # when it appends and ends naming it so, the append twice with the same batch id
    appended = (await gql(APPEND, {"input": batch}, headers=headers))["data"]["appendPatrolTrack"]
    replayed = (await gql(APPEND, {"input": batch}, headers=headers))["data"]["appendPatrolTrack"]
    end = {"patrolClientId": client_id, "endedAt": _iso(t0 + timedelta(hours=1))}
    ended = (await gql(END, {"input": end}, headers=headers))["data"]["endPatrol"]
    # then both apply to that patrol
    assert appended["errors"] == [] and appended["patrol"]["fixCount"] == 1
    assert replayed == appended
    assert ended["errors"] == [] and ended["patrol"]["status"] == "ENDED"


async def test_authenticity_flags_of_the_start_and_of_fixes(gql, sessionmaker):
    # given an officer whose phone clock runs 5 minutes fast and reports a mock, imprecise location
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    now = datetime.now(UTC)
    # when he starts a patrol
    patrol = await _start(
        gql,
        headers,
        now - timedelta(minutes=30),
        recordedAt=_iso(now + timedelta(minutes=5)),
        location={"latitude": 36.34, "longitude": 43.15, "accuracyMeters": 250.0, "mocked": True},
    )
    # then the patrol carries the flags, and its starting fix counts as flagged
    assert patrol["flags"] == ["CLOCK_SKEW", "POOR_GPS_ACCURACY", "MOCK_LOCATION"]
    assert patrol["flaggedFixCount"] == 1
    # and a clean patrol gets mock-location from a mocked fix of its track, but not poor accuracy
    clean = await _start(gql, headers, now - timedelta(minutes=30))
    assert clean["flags"] == []
    result = await _append(
        gql,
        headers,
        clean["id"],
        [
            _fix(36.34, 43.15, now - timedelta(minutes=20), accuracyMeters=500.0),
            _fix(36.341, 43.15, now - timedelta(minutes=19), mocked=True),
        ],
    )
    assert result["patrol"]["flags"] == ["MOCK_LOCATION"] and result["patrol"]["flaggedFixCount"] == 2


async def test_patrols_of_another_station_are_neither_writable_nor_visible(gql, sessionmaker):
    # given a patrol at station A (Nineveh), an officer of station B (Baghdad), and supervisors
    _, _, badge_a = await _station_officer(sessionmaker, "IQ-NI")
    _, _, badge_b = await _station_officer(sessionmaker, "IQ-BG")
    async with sessionmaker() as session:
        _, nineveh = await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",))
        _, baghdad = await make_officer(session, role="SUPERVISOR", governorates=("IQ-BG",))
        await session.commit()
    t0 = _t0()
    patrol = await _start(gql, await sign_in(gql, badge_a), t0)
    officer_b = await sign_in(gql, badge_b)
    # when the officer of B appends to it, ends it, reads it and lists patrols
    appended = await gql(
        APPEND, {"input": {"patrolId": patrol["id"], "fixes": [_fix(*PATH[0], t0)]}}, headers=officer_b
    )
    ended = await gql(END, {"input": {"patrolId": patrol["id"], "endedAt": _iso(t0)}}, headers=officer_b)
    node = await gql(NODE, {"id": patrol["id"]}, headers=officer_b)
    listed = await gql(PATROLS, headers=officer_b)
    # then writes find no such patrol (as for a missing one: it is not there for him); the Nineveh
    # supervisor sees it
    for body, name in ((appended, "appendPatrolTrack"), (ended, "endPatrol")):
        assert "errors" not in body, body
        assert [e["code"] for e in body["data"][name]["errors"]] == ["NOT_FOUND"]
    assert node["data"]["node"] is None
    assert listed["data"]["patrols"]["totalCount"] == 0 and listed["data"]["patrols"]["edges"] == []
    supervisor = await gql(PATROLS, headers=await sign_in(gql, nineveh))
    assert [e["node"]["id"] for e in supervisor["data"]["patrols"]["edges"]] == [patrol["id"]]
    elsewhere = await gql(PATROLS, headers=await sign_in(gql, baghdad))
    assert elsewhere["data"]["patrols"]["totalCount"] == 0
    assert await _count(sessionmaker, "SELECT count(*) FROM patrol_fixes") == 0


async def test_citizens_are_unauthenticated(gql, sessionmaker):
    start = {"input": {"clientId": str(uuid.uuid4()), "startedAt": _iso(_t0())}}
    for operation, variables in ((PATROLS, {}), (START, start)):
        body = await gql(operation, variables)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_supervisors_start_patrols_for_officers_of_a_station_they_oversee(gql, sessionmaker):
    # given a station with two officers, and a supervisor of its governorate
    station, officer_id, _ = await _station_officer(sessionmaker)
    async with sessionmaker() as session:
        partner_id, _ = await make_officer(session, station_id=station)
        _, badge = await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",))
        await session.commit()
    headers = await sign_in(gql, badge)
    officers = [to_global_id("Officer", officer_id), to_global_id("Officer", partner_id)]
    area = {"type": "MultiPolygon", "coordinates": [[SQUARE]]}
    # when the supervisor starts one without a station, and then with it
    base = {"startedAt": _iso(_t0()), "officerIds": officers, "plannedArea": area}
    missing = await gql(START, {"input": {"clientId": str(uuid.uuid4()), **base}}, headers=headers)
    patrol = await _start(
        gql, headers, _t0(), officerIds=officers, plannedArea=area, stationId=to_global_id("Station", station)
    )
    # then the station is required of him, and the patrol has both officers and the area
    assert [e["field"] for e in missing["data"]["startPatrol"]["errors"]] == [["stationId"]]
    assert [o["id"] for o in patrol["officers"]] == officers
    assert patrol["plannedArea"] == area


async def test_patrols_page_newest_first_with_filters(gql, sessionmaker):
    # given three patrols started an hour apart, one of them ended
    station, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    ids = [(await _start(gql, headers, t0 - timedelta(hours=h)))["id"] for h in (2, 0, 1)]
    await gql(
        END,
        {"input": {"patrolId": ids[0], "endedAt": _iso(t0 - timedelta(hours=1, minutes=30))}},
        headers=headers,
    )
    # when listed two at a time, and filtered
    page = (await gql(PATROLS, {"first": 2}, headers=headers))["data"]["patrols"]
    rest = await gql(PATROLS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, headers=headers)
    at_station = {"status": "ACTIVE", "stationId": to_global_id("Station", station)}
    active = (await gql(PATROLS, {"filter": at_station}, headers=headers))["data"]["patrols"]
    recent = (await gql(PATROLS, {"filter": {"from": _iso(t0 - timedelta(minutes=70))}}, headers=headers))[
        "data"
    ]["patrols"]
    too_many = await gql(PATROLS, {"first": 101}, headers=headers)
    # then
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    assert [e["node"]["id"] for e in page["edges"]] == [ids[1], ids[2]]
    assert [e["node"]["id"] for e in rest["data"]["patrols"]["edges"]] == [ids[0]]
    assert not rest["data"]["patrols"]["pageInfo"]["hasNextPage"]
    assert [e["node"]["id"] for e in active["edges"]] == [ids[1], ids[2]] and active["totalCount"] == 2
    assert [e["node"]["id"] for e in recent["edges"]] == [ids[1], ids[2]]
    assert too_many["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_a_track_sent_in_order_equals_the_same_track_sent_backwards(gql, sessionmaker):
    """Batches after the stored track go on from its last kept fix and add to the patrol's counts;
    batches before it walk the whole track again. Both must end with the same patrol and fixes."""
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0() - timedelta(hours=1)
    rng = random.Random(11)
    for _ in range(4):
        # given a walk with jumps (impossible speeds), poor accuracy and a mocked fix, in batches of 1-6
        lat, lon, fixes = 36.34, 43.15, []
        for i in range(rng.randint(8, 30)):
            jump = rng.random() < 0.15
            step = (0.05, 0.0) if jump else (rng.uniform(-2e-4, 3e-4), rng.uniform(-2e-4, 3e-4))
            lat, lon = lat + step[0], lon + step[1]
            extra = {"accuracyMeters": rng.choice([4.0, 12.0, 150.0]), "mocked": rng.random() < 0.05}
            fixes.append(_fix(lat, lon, t0 + timedelta(seconds=30 * i + rng.randint(0, 20)), **extra))
            if jump:
                lat -= 0.05
        cuts = sorted(rng.sample(range(1, len(fixes)), k=min(4, len(fixes) - 1)))
        batches = [fixes[a:b] for a, b in itertools.pairwise([0, *cuts, len(fixes)])]
        # when one patrol gets them in order and another from the last batch to the first
        forward, backward = await _start(gql, headers, t0), await _start(gql, headers, t0)
        for batch in batches:
            ahead = await _append(gql, headers, forward["id"], batch)
        for batch in reversed(batches):
            behind = await _append(gql, headers, backward["id"], batch)
        # then both patrols are the same, fix for fix
        assert ahead["errors"] == [] and behind["errors"] == []
        one, other = ahead["patrol"], behind["patrol"]
        assert abs(one.pop("distanceMeters") - other.pop("distanceMeters")) < 1e-6
        assert {**one, "id": None} == {**other, "id": None}
        async with sessionmaker() as session:
            stored = [
                (
                    await session.execute(
                        text(
                            "SELECT array_agg(flags::text || coalesce(step_m::text, '-') ORDER BY "
                            "recorded_at) "
                            "FROM patrol_fixes "
                            "WHERE patrol_id = (SELECT id FROM patrols WHERE client_id = :c)"
                        ),
                        {"c": p["clientId"]},
                    )
                ).scalar_one()
                for p in (forward, backward)
            ]
        assert stored[0] == stored[1] and len(stored[0]) == len(fixes)


async def test_an_append_takes_the_same_statements_whatever_its_size(gql, sessionmaker):
    # given a patrol
    _, _, badge = await _station_officer(sessionmaker)
    headers = await sign_in(gql, badge)
    t0 = _t0()
    patrol = await _start(gql, headers, t0)
    # when a batch of 2 fixes and a batch of 600 are appended
    with statements(sessionmaker) as small:
        await _append(
            gql, headers, patrol["id"], [_fix(*PATH[0], t0 + timedelta(seconds=i)) for i in range(2)]
        )
    with statements(sessionmaker) as big:
        result = await _append(
            gql, headers, patrol["id"], [_fix(*PATH[0], t0 + timedelta(seconds=10 + i)) for i in range(600)]
        )
    # then both take the same few statements
    assert result["patrol"]["fixCount"] == 602
    assert len(big) == len(small) <= 16, big


async def test_listing_patrols_with_their_details_takes_the_same_statements_for_any_page(gql, sessionmaker):
    # given five patrols with tracks, of two officers
    station, _, badge = await _station_officer(sessionmaker)
    async with sessionmaker() as session:
        partner_id, _ = await make_officer(session, station_id=station)
        await session.commit()
    headers = await sign_in(gql, badge)
    t0 = _t0()
    for n in range(5):
        patrol = await _start(
            gql, headers, t0 + timedelta(minutes=n), officerIds=[to_global_id("Officer", partner_id)]
        )
        await _append(
            gql, headers, patrol["id"], [_fix(*PATH[i], t0 + timedelta(minutes=n + i)) for i in range(3)]
        )
    # when a page of one and a page of five are read with station, officers, track and position
    with statements(sessionmaker) as one:
        first = await gql(DETAILS, {"first": 1}, headers=headers)
    with statements(sessionmaker) as five:
        page = await gql(DETAILS, {"first": 5}, headers=headers)
    # then the details are there and cost no statement per patrol
    assert "errors" not in first and len(page["data"]["patrols"]["edges"]) == 5
    node = page["data"]["patrols"]["edges"][0]["node"]
    assert node["officers"] == [{"id": to_global_id("Officer", partner_id)}]
    assert len(node["track"]["coordinates"]) == 3 and node["lastPosition"]["latitude"] == PATH[2][0]
    assert len(five) == len(one), five


def test_planned_area_checks_report_the_first_problem():
    from resolvers.patrols import check_area

    ring = [[43.0 + i * 0.001, 36.0] for i in range(1001)] + [[43.0, 36.0]]
    errors = Collector("en")
    assert check_area(errors, ("plannedArea",), {"type": "Polygon", "coordinates": [ring]}) is None
    assert [e.field for e in errors.errors] == [("plannedArea",)]
    with_altitude = {"type": "Polygon", "coordinates": [[[43.1, 36.3, 12.0], *SQUARE[1:]]]}
    clean = check_area(Collector("en"), ("plannedArea",), with_altitude)
    assert clean == {"type": "Polygon", "coordinates": [SQUARE]}


def _fixes(draw_points, start):
    return [
        TrackFix(start + timedelta(seconds=t), lat, lon, acc, ("MOCK_LOCATION",) if mocked else ())
        for t, lat, lon, acc, mocked in draw_points
    ]


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(
        st.tuples(
            st.integers(1, 10_000),
            st.floats(36.0, 36.2),
            st.floats(43.0, 43.2),
            st.none() | st.floats(0, 50),
            st.booleans(),
        ),
        min_size=2,
        max_size=40,
        unique_by=lambda p: p[0],
    ),
    cut=st.integers(1, 39),
)
def test_extending_a_walk_equals_walking_the_whole_track(points, cut):
    fixes = sorted(_fixes(points, datetime(2026, 11, 29, tzinfo=UTC)), key=lambda f: f.recorded_at)
    stored, new = fixes[:cut], fixes[cut:]
    whole = walk_track(fixes)
    extended = extend_walk(stored, walk_track(stored), new)
    assert extended.impossible == whole.impossible
    assert extended.steps == whole.steps  # the same numbers, computed from the same two fixes
    assert abs(extended.distance_m - whole.distance_m) < 1e-6 * max(1.0, whole.distance_m)
