"""Activity: rollups equal a brute-force count of the raw rows; maps, timelines, summaries and coverage
gaps through the real app; totals equal list counts; scope and refusals; the public map's privacy."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from types import SimpleNamespace

import h3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from db import engagements as engagement_repo
from db import incidents as incident_repo
from db import patrols as patrol_repo
from resolvers import policy
from resolvers.activity_plan import BAGHDAD
from schema.node import to_global_id
from tests.factories import age_arrivals, make_officer, make_station, sign_in

MAP = """
query Map($area: AreaInput!, $from: DateTime!, $to: DateTime!, $resolution: Int, $layers: [ActivityLayer!],
          $categories: [IncidentCategory!]) {
  activityMap(area: $area, from: $from, to: $to, resolution: $resolution, layers: $layers,
              incidentCategories: $categories) {
    resolution from to
    cells { h3Index center { latitude longitude } incidents engagements patrolMinutes }
    totals { incidents engagements patrolMinutes sensitiveIncidentsWithheld }
    geojson
  }
}
"""
PUBLIC = """
query Public($area: AreaInput!, $from: DateTime!, $to: DateTime!, $resolution: Int) {
  publicSafetyMap(area: $area, from: $from, to: $to, resolution: $resolution) {
    resolution from to cells { h3Index incidents engagements patrolMinutes } totals { incidents }
  }
}
"""
INCIDENT_COUNT = """
query Count($filter: IncidentFilter) { incidents(filter: $filter, first: 1) { totalCount } }
"""
ENGAGEMENT_COUNT = """
query Count($filter: EngagementFilter) { engagements(filter: $filter, first: 1) { totalCount } }
"""
REPORT = """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id } errors { field code message } }
}
"""
LOG = """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) { engagement { id } errors { field code message } }
}
"""
START = """
mutation S($input: StartPatrolInput!) { startPatrol(input: $input) { patrol { id } errors { code } } }
"""
APPEND = """
mutation A($input: AppendPatrolTrackInput!) { appendPatrolTrack(input: $input) { errors { code message } } }
"""
EN = {"accept-language": "en"}
MOSUL = (36.34, 43.13)
BASRA = (30.51, 47.78)


def gid(kind: str, key: object) -> str:
    return to_global_id(kind, key)


def _parent_hex(at: tuple[float, float], res: int) -> str:
    """The cell a record at `at` is counted in at `res`: the parent of its resolution-10 cell."""
    return h3.cell_to_parent(h3.latlng_to_cell(*at, 10), res)


def hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


NOW = hour(datetime.now(UTC))


async def _world(gql, sessionmaker) -> SimpleNamespace:
    async with sessionmaker() as session:
        mosul = await make_station(session, governorate="IQ-NI", latitude=MOSUL[0], longitude=MOSUL[1])
        mosul_b = await make_station(session, governorate="IQ-NI", latitude=36.70, longitude=43.60)
        basra = await make_station(session, governorate="IQ-BA", latitude=BASRA[0], longitude=BASRA[1])
        people = {
            "officer": await make_officer(session, station_id=mosul),
            "woman": await make_officer(session, station_id=mosul, gender="FEMALE"),
            "commander": await make_officer(session, role="STATION_COMMANDER", station_id=mosul),
            "basra_officer": await make_officer(session, station_id=basra),
            "supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "basra_supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-BA",)),
            "admin": await make_officer(session, role="ADMIN"),
        }
        await session.commit()
    world = SimpleNamespace(mosul=mosul, mosul_b=mosul_b, basra=basra, ids={}, headers={})
    for name, (officer_id, badge) in people.items():
        world.ids[name] = officer_id
        world.headers[name] = {**EN, **await sign_in(gql, badge)}
    return world


async def _report(
    gql, headers, at: tuple[float, float], when: datetime, category: str = "THEFT", station: int | None = None
) -> None:
    values = {
        "clientId": str(uuid.uuid4()),
        "category": category,
        "location": {"latitude": at[0], "longitude": at[1]},
        "occurredAt": when.isoformat(),
        "description": "Reported for the activity tests.",
    }
    if station is not None:
        values["stationId"] = gid("Station", station)
    body = await gql(REPORT, {"input": values}, headers=headers)
    assert body.get("data") and body["data"]["reportIncident"]["errors"] == [], body["errors"][0]["message"]


async def _log(
    gql,
    headers,
    at: tuple[float, float],
    when: datetime,
    kind: str = "COMMUNITY_MEETING",
    attendees: dict | None = None,
) -> None:
    values = {
        "clientId": str(uuid.uuid4()),
        "kind": kind,
        "occurredAt": when.isoformat(),
        "location": {"latitude": at[0], "longitude": at[1]},
    }
    if attendees:
        values["attendees"] = attendees
    body = await gql(LOG, {"input": values}, headers=headers)
    assert body["data"]["logEngagement"]["errors"] == [], body


# --- rollups against brute force --------------------------------------------------------------------------

PAIRS = (("h", 10), ("d", 10), ("d", 8), ("m", 8), ("m", 6))
GAP = timedelta(minutes=15)


def _bucket(grain: str, at: datetime) -> datetime:
    if grain == "h":
        return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    local = at.astimezone(BAGHDAD)
    local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "m":
        local = local.replace(day=1)
    return local.astimezone(UTC)


def _parent(cell: int, res: int) -> int:
    return h3.str_to_int(h3.cell_to_parent(h3.int_to_str(cell), res))


async def _brute_force(session) -> dict[tuple, tuple[int, float, float]]:
    """The rollups, recomputed from the raw rows with the h3 library and Python's calendar. Patrols: the
    fixes with a step are the track; each owns the stretch to the next of its patrol: its minutes up to
    a gap of 15, and the next one's step in metres, whatever the gap."""
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0.0, 0.0])
    incidents = (
        await session.execute(
            text("SELECT latitude, longitude, occurred_at, category, sensitive, station_id FROM incidents")
        )
    ).all()
    for lat, lon, at, category, sensitive, station in incidents:
        cell = h3.str_to_int(h3.latlng_to_cell(lat, lon, 10))
        for grain, res in PAIRS:
            key = (grain, res, _bucket(grain, at), _parent(cell, res), 1, category, sensitive, station)
            expected[key][0] += 1
    engagements = (
        await session.execute(
            text("SELECT latitude, longitude, occurred_at, kind, station_id FROM engagements")
        )
    ).all()
    for lat, lon, at, kind, station in engagements:
        cell = h3.str_to_int(h3.latlng_to_cell(lat, lon, 10))
        for grain, res in PAIRS:
            household = kind in policy.HOUSEHOLD_KINDS
            key = (grain, res, _bucket(grain, at), _parent(cell, res), 2, kind, household, station)
            expected[key][0] += 1
    fixes = (
        await session.execute(
            text(
                "SELECT f.patrol_id, f.recorded_at, f.latitude, f.longitude, f.step_m, p.station_id "
                "FROM patrol_fixes f JOIN patrols p ON p.id = f.patrol_id WHERE f.step_m IS NOT NULL "
                "ORDER BY f.patrol_id, f.recorded_at"
            )
        )
    ).all()
    for this, following in pairwise(fixes):
        if this.patrol_id != following.patrol_id:
            continue
        gap = following.recorded_at - this.recorded_at
        minutes = gap.total_seconds() / 60 if gap <= GAP else 0.0
        cell = h3.str_to_int(h3.latlng_to_cell(this.latitude, this.longitude, 10))
        for grain, res in PAIRS:
            key = (
                grain,
                res,
                _bucket(grain, this.recorded_at),
                _parent(cell, res),
                3,
                "",
                False,
                this.station_id,
            )
            expected[key][1] += minutes
            expected[key][2] += following.step_m
    return {
        k: (v[0], round(v[1], 6), round(v[2], 3))
        for k, v in expected.items()
        if v[0] or abs(v[1]) > 1e-9 or abs(v[2]) > 1e-6
    }


async def _rollups(session) -> dict[tuple, tuple[int, float, float]]:
    # Rows are deltas: a key's count is the sum of its rows.
    rows = (
        await session.execute(
            text(
                "SELECT grain, res, bucket, cell, layer, category, sensitive, station_id, sum(n) AS n, "
                "sum(minutes) AS minutes, sum(meters) AS meters FROM activity_rollups "
                "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 "
                "HAVING sum(n) <> 0 OR abs(sum(minutes)) > 1e-9 OR abs(sum(meters)) > 1e-6"
            )
        )
    ).all()
    return {tuple(r[:8]): (int(r.n), round(r.minutes, 6), round(r.meters, 3)) for r in rows}


def _as_cell_totals(
    rollups: dict[tuple, tuple[int, float, float]],
) -> dict[tuple, tuple[int, int, int, int, float]]:
    """What activity_cells must hold, from the rollups' keys: per (grain, res, bucket, cell, station),
    incidents not sensitive and sensitive, engagements not sensitive and sensitive, patrol minutes."""
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    for (grain, res, bucket, cell, layer, _category, sensitive, station), (n, minutes, _) in rollups.items():
        row = totals[(grain, res, bucket, cell, station)]
        if layer == 1:
            row[1 if sensitive else 0] += n
        elif layer == 2:
            row[3 if sensitive else 2] += n
        else:
            row[4] += minutes
    return {
        k: (v[0], v[1], v[2], v[3], round(v[4], 6))
        for k, v in totals.items()
        if v[:4] != [0, 0, 0, 0] or abs(v[4]) > 1e-9
    }


async def _cell_totals(session) -> dict[tuple, tuple[int, int, int, int, float]]:
    rows = (
        await session.execute(
            text(
                "SELECT grain, res, bucket, cell, station_id, sum(incidents) AS i, sum(sensitive) AS s, "
                "sum(engagements) AS e, sum(sensitive_engagements) AS se, sum(patrol_minutes) AS m "
                "FROM activity_cells GROUP BY 1, 2, 3, 4, 5 "
                "HAVING sum(incidents) <> 0 OR sum(sensitive) <> 0 OR sum(engagements) <> 0 "
                "OR sum(sensitive_engagements) <> 0 OR abs(sum(patrol_minutes)) > 1e-9"
            )
        )
    ).all()
    return {tuple(r[:5]): (int(r.i), int(r.s), int(r.e), int(r.se), round(r.m, 6)) for r in rows}


_points = st.tuples(st.floats(36.30, 36.40), st.floats(43.05, 43.20))
_times = st.integers(0, 24 * 90).map(lambda h: datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=37 * h))
_writes = st.lists(
    st.one_of(
        st.tuples(
            st.just("incident"),
            _points,
            _times,
            st.sampled_from(["THEFT", "ASSAULT", "DOMESTIC_VIOLENCE"]),
            st.booleans(),
        ),
        st.tuples(
            st.just("engagement"),
            _points,
            _times,
            st.sampled_from(["HOME_VISIT", "MARKET_WALK"]),
            st.integers(0, 30),
        ),
        # fixes with their steps as stored (None: left out of the track); the rollups sum whatever is stored
        st.tuples(
            st.just("fixes"),
            st.integers(0, 1),
            st.lists(
                st.tuples(st.integers(0, 240), _points, st.none() | st.floats(0, 3000)),
                min_size=1,
                max_size=8,
            ),
        ),
        # one statement changing the steps of several stored fixes: the kept ones left out, the others kept
        st.tuples(st.just("refix"), st.integers(0, 1), st.integers(1, 4), st.floats(0, 3000)),
        st.tuples(
            st.just("drop"), st.integers(0, 1)
        ),  # a patrol deleted, its track with it (a new one follows)
        st.tuples(st.just("move"), st.integers(0, 20), _points),
        st.tuples(st.just("delete"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=_writes)
async def test_rollups_equal_a_brute_force_count_after_random_writes(sessionmaker, writes) -> None:
    async with sessionmaker() as session:
        # given: two stations, an officer, two patrols (fixes arrive in any order, in batches)
        savepoint = await session.begin_nested()
        stations = [
            await make_station(session, governorate="IQ-NI"),
            await make_station(session, governorate="IQ-DA", latitude=36.86, longitude=42.98),
        ]
        officer, _ = await make_officer(session, station_id=stations[0])
        start = datetime(2026, 6, 1, tzinfo=UTC)

        async def new_patrol(i: int) -> int:
            return (
                await patrol_repo.insert_patrol(
                    session,
                    {
                        "client_id": uuid.uuid4(),
                        "station_id": stations[i],
                        "started_by_id": officer,
                        "officer_ids": [officer],
                        "started_at": start,
                    },
                )
            ).id

        patrols = [await new_patrol(i) for i in range(2)]
        incident_ids: list[int] = []
        # when
        for write in writes:
            kind = write[0]
            if kind == "incident":
                _, (lat, lon), at, category, marked = write
                row = await incident_repo.insert_incident(
                    session,
                    {
                        "client_id": uuid.uuid4(),
                        "station_id": stations[len(incident_ids) % 2],
                        "category": category,
                        "sensitive": marked or category == "DOMESTIC_VIOLENCE",
                        "latitude": lat,
                        "longitude": lon,
                        "occurred_at": at,
                        "description": "x",
                    },
                )
                incident_ids.append(row.id)
            elif kind == "engagement":
                _, (lat, lon), at, engagement_kind, total = write
                await engagement_repo.insert_engagement(
                    session,
                    {
                        "client_id": uuid.uuid4(),
                        "station_id": stations[total % 2],
                        "officer_id": officer,
                        "kind": engagement_kind,
                        "latitude": lat,
                        "longitude": lon,
                        "occurred_at": at,
                        "attendees_total": total,
                        "attendees_women": total // 2,
                        "attendees_youth": total // 3,
                    },
                )
            elif kind == "fixes":
                _, which, fixes = write
                await patrol_repo.insert_fixes(
                    session,
                    [
                        {
                            "patrol_id": patrols[which],
                            "recorded_at": start + timedelta(minutes=m),
                            "latitude": lat,
                            "longitude": lon,
                            "step_m": step,
                        }
                        for m, (lat, lon), step in fixes
                    ],
                )
            elif kind == "refix":
                _, which, every, step = write
                await session.execute(
                    text(
                        "UPDATE patrol_fixes SET step_m = CASE WHEN step_m IS NULL THEN CAST(:step AS "
                        "float8) "
                        "END "
                        "WHERE patrol_id = :p AND extract(epoch FROM recorded_at)::bigint / 60 % :every = 0"
                    ),
                    {"p": patrols[which], "every": every, "step": step},
                )
            elif kind == "drop":
                await session.execute(text("DELETE FROM patrols WHERE id = :p"), {"p": patrols[write[1]]})
                patrols[write[1]] = await new_patrol(write[1])
            elif kind == "move" and incident_ids:  # a correction of place and time (no app does it yet)
                _, n, (lat, lon) = write
                await session.execute(
                    text(
                        "UPDATE incidents SET latitude = :lat, longitude = :lon, h3_cell = :cell, "
                        "occurred_at = occurred_at + interval '1 day' WHERE id = :id"
                    ),
                    {
                        "lat": lat,
                        "lon": lon,
                        "cell": h3.str_to_int(h3.latlng_to_cell(lat, lon, 10)),
                        "id": incident_ids[n % len(incident_ids)],
                    },
                )
            elif kind == "delete" and incident_ids:
                await session.execute(
                    text("DELETE FROM incidents WHERE id = :id"),
                    {"id": incident_ids.pop(write[1] % len(incident_ids))},
                )
        if writes[-1][0] == "fixes":  # removing fixes (a patrol deleted) is folded as well
            await session.execute(
                text(
                    "DELETE FROM patrol_fixes WHERE patrol_id = :p AND recorded_at IN "
                    "(SELECT recorded_at FROM patrol_fixes WHERE patrol_id = :p ORDER BY recorded_at LIMIT 2)"
                ),
                {"p": patrols[writes[-1][1]]},
            )
        # then
        expected = await _brute_force(session)
        assert await _rollups(session) == expected
        assert await _cell_totals(session) == _as_cell_totals(expected)
        # and merging the delta rows changes no sum, and leaves one row per key and none fresh
        await session.execute(text("SELECT activity_compact(3)"))  # a small chunk: keys left fresh
        assert await _rollups(session) == expected
        assert await _cell_totals(session) == _as_cell_totals(expected)
        while await session.scalar(text("SELECT activity_compact(1000)")):
            pass
        assert await _rollups(session) == expected
        assert await _cell_totals(session) == _as_cell_totals(expected)
        assert (
            await session.scalar(
                text(
                    "SELECT (SELECT count(*) FROM activity_rollups WHERE fresh) "
                    "+ (SELECT count(*) FROM activity_cells WHERE fresh)"
                )
            )
            == 0
        )
        assert (
            await session.scalar(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM activity_cells "
                    "GROUP BY grain, res, bucket, cell, station_id "
                    "HAVING count(*) > 1) d"
                )
            )
            == 0
        )
        await savepoint.rollback()


async def test_rollups_follow_the_real_mutations(gql, sessionmaker) -> None:
    # given
    world = await _world(gql, sessionmaker)
    headers = world.headers["officer"]
    # when: incidents, engagements and a patrol with its track, through the API
    for i in range(4):
        await _report(
            gql,
            headers,
            (MOSUL[0] + i / 500, MOSUL[1]),
            NOW - timedelta(hours=5 * i),
            category=["THEFT", "ASSAULT", "DOMESTIC_VIOLENCE", "THEFT"][i],
        )
    await _log(gql, headers, MOSUL, NOW - timedelta(hours=2), attendees={"total": 10, "women": 4, "youth": 2})
    started = NOW - timedelta(hours=3)
    body = await gql(
        START, {"input": {"clientId": str(uuid.uuid4()), "startedAt": started.isoformat()}}, headers=headers
    )
    patrol_id = body["data"]["startPatrol"]["patrol"]["id"]
    fixes = [
        {
            "latitude": MOSUL[0] + k / 2000,
            "longitude": MOSUL[1],
            "recordedAt": (started + timedelta(minutes=2 * k)).isoformat(),
        }
        for k in range(1, 12)
    ]
    for batch in (fixes[6:], fixes[:6]):  # the later fixes first: the track is filled in behind them
        body = await gql(APPEND, {"input": {"patrolId": patrol_id, "fixes": batch}}, headers=headers)
        assert body["data"]["appendPatrolTrack"]["errors"] == [], body
    # then
    async with sessionmaker() as session:
        rollups, expected = await _rollups(session), await _brute_force(session)
    assert rollups == expected
    assert any(key[4] == 3 for key in rollups)  # the patrol was counted


# --- maps through the API -----------------------------------------------------------------------------------


async def test_map_totals_equal_the_lists_and_cells_add_up(gql, sessionmaker) -> None:
    # given
    world = await _world(gql, sessionmaker)
    officer = world.headers["officer"]
    for i in range(6):
        await _report(
            gql,
            officer,
            (MOSUL[0] + i / 100, MOSUL[1] + i / 100),
            NOW - timedelta(days=i, hours=1),
            category="THEFT" if i % 2 else "ASSAULT",
        )
    for i in range(3):
        await _log(gql, officer, (MOSUL[0], MOSUL[1] + i / 50), NOW - timedelta(days=2 * i, hours=3))
    await _report(gql, world.headers["basra_officer"], BASRA, NOW - timedelta(hours=2))
    start, end = NOW - timedelta(days=30), NOW + timedelta(hours=1)
    supervisor = world.headers["supervisor"]
    for categories in (None, ["THEFT"]):
        # when
        body = await gql(
            MAP,
            {
                "area": {"governorateId": gid("Governorate", "IQ-NI")},
                "from": start.isoformat(),
                "to": end.isoformat(),
                "resolution": 8,
                "categories": categories,
            },
            headers=supervisor,
        )
        listed = await gql(
            INCIDENT_COUNT,
            {
                "filter": {
                    "governorateId": gid("Governorate", "IQ-NI"),
                    "categories": categories,
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                }
            },
            headers=supervisor,
        )
        engagements = await gql(
            ENGAGEMENT_COUNT,
            {
                "filter": {
                    "governorateId": gid("Governorate", "IQ-NI"),
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                }
            },
            headers=supervisor,
        )
        # then
        found = body["data"]["activityMap"]
        expected = 3 if categories else 6
        assert found["totals"]["incidents"] == listed["data"]["incidents"]["totalCount"] == expected
        assert found["totals"]["engagements"] == engagements["data"]["engagements"]["totalCount"] == 3
        assert sum(c["incidents"] for c in found["cells"]) == found["totals"]["incidents"]
        assert sum(c["engagements"] for c in found["cells"]) == 3
        assert {f["properties"]["h3Index"] for f in found["geojson"]["features"]} == {
            c["h3Index"] for c in found["cells"]
        }
        for cell in found["cells"]:
            assert h3.get_resolution(cell["h3Index"]) == 8
            lat, lon = h3.cell_to_latlng(cell["h3Index"])
            assert abs(lat - cell["center"]["latitude"]) < 1e-9
            assert abs(lon - cell["center"]["longitude"]) < 1e-9
    ring = found["geojson"]["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7


async def test_the_same_counts_at_every_resolution_and_period_split(gql, sessionmaker) -> None:
    # given: incidents spread over three months, so months, days and hours all answer part of it
    world = await _world(gql, sessionmaker)
    for i in range(12):
        await _report(
            gql,
            world.headers["officer"],
            (MOSUL[0] + i / 300, MOSUL[1]),
            NOW - timedelta(days=7 * i, hours=i),
        )
    start = hour(NOW - timedelta(days=90, hours=5))
    for resolution in (5, 6, 7, 8, 9, 10):
        # when
        body = await gql(
            MAP,
            {
                "area": {"stationId": gid("Station", world.mosul)},
                "from": start.isoformat(),
                "to": (NOW + timedelta(hours=1)).isoformat(),
                "resolution": resolution,
            },
            headers=world.headers["admin"],
        )
        # then
        found = body["data"]["activityMap"]
        assert found["totals"]["incidents"] == 12, resolution
        assert sum(c["incidents"] for c in found["cells"]) == 12


async def test_a_drawn_area_counts_the_cells_whose_centres_are_inside(gql, sessionmaker) -> None:
    world = await _world(gql, sessionmaker)
    inside, outside = (36.345, 43.135), (36.50, 43.40)
    await _report(gql, world.headers["officer"], inside, NOW - timedelta(hours=3))
    await _report(gql, world.headers["officer"], outside, NOW - timedelta(hours=3), station=world.mosul)
    box = {"south": 36.30, "west": 43.10, "north": 36.40, "east": 43.20}
    polygon = {
        "type": "Polygon",
        "coordinates": [[[43.10, 36.30], [43.20, 36.30], [43.20, 36.40], [43.10, 36.40], [43.10, 36.30]]],
    }
    for area in ({"bbox": box}, {"polygon": polygon}):
        body = await gql(
            MAP,
            {
                "area": area,
                "from": (NOW - timedelta(days=1)).isoformat(),
                "to": (NOW + timedelta(hours=1)).isoformat(),
                "resolution": 8,
            },
            headers=world.headers["supervisor"],
        )
        found = body["data"]["activityMap"]
        assert found["totals"]["incidents"] == 1, area
        # a record is in the resolution-8 parent of its resolution-10 cell
        assert [c["h3Index"] for c in found["cells"]] == [_parent_hex(inside, 8)]


async def test_sensitive_incidents_are_placed_coarsely_unless_one_may_read_them(gql, sessionmaker) -> None:
    # given: a domestic-violence report and a theft yesterday (in Baghdad), asked about over that whole day:
    # off the case, a sensitive record counts only in a period that holds its whole day (resolvers/disclosure)
    world = await _world(gql, sessionmaker)
    yesterday = (NOW.astimezone(BAGHDAD) - timedelta(days=1)).replace(hour=0)
    at = (yesterday + timedelta(hours=10)).astimezone(UTC)
    await _report(gql, world.headers["officer"], MOSUL, at, category="DOMESTIC_VIOLENCE")
    await _report(gql, world.headers["officer"], MOSUL, at, category="THEFT")
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    variables = {
        "area": {"stationId": gid("Station", world.mosul)},
        "from": yesterday.isoformat(),
        "to": (yesterday + timedelta(days=1)).isoformat(),
    }

    async def totals(who: str, resolution: int) -> tuple[int, int, int]:
        body = await gql(MAP, {**variables, "resolution": resolution}, headers=world.headers[who])
        found = body["data"]["activityMap"]
        return (
            found["totals"]["incidents"],
            sum(c["incidents"] for c in found["cells"]),
            found["totals"]["sensitiveIncidentsWithheld"],
        )

    # then: everyone counts both; only the commander and admins see the sensitive one in a fine cell
    assert await totals("supervisor", 9) == (2, 1, 1)
    assert await totals("officer", 10) == (2, 1, 1)
    assert await totals("supervisor", 7) == (2, 2, 0)
    assert await totals("commander", 10) == (2, 2, 0)
    assert await totals("admin", 9) == (2, 2, 0)


# --- scope and refusals -------------------------------------------------------------------------------------


async def test_a_nineveh_supervisor_sees_nothing_of_basra(gql, sessionmaker) -> None:
    # given
    world = await _world(gql, sessionmaker)
    await _report(gql, world.headers["basra_officer"], BASRA, NOW - timedelta(hours=2))
    await _log(gql, world.headers["basra_officer"], BASRA, NOW - timedelta(hours=2))
    period = {"from": (NOW - timedelta(days=2)).isoformat(), "to": (NOW + timedelta(hours=1)).isoformat()}
    supervisor = world.headers["supervisor"]
    # when / then: asking for Basra by name is refused
    for area in ({"governorateId": gid("Governorate", "IQ-BA")}, {"stationId": gid("Station", world.basra)}):
        body = await gql(MAP, {"area": area, **period}, headers=supervisor)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert body["data"] is None
    # a box over Basra, or over all of Iraq, holds nothing of Basra for them
    for box in (
        {"south": 30.4, "west": 47.6, "north": 30.6, "east": 47.9},
        {"south": 29.0, "west": 38.7, "north": 37.45, "east": 48.65},
    ):
        body = await gql(MAP, {"area": {"bbox": box}, **period, "resolution": 5}, headers=supervisor)
        assert body["data"]["activityMap"]["totals"] == {
            "incidents": 0,
            "engagements": 0,
            "patrolMinutes": 0.0,
            "sensitiveIncidentsWithheld": 0,
        }
    # while Basra's supervisor sees it
    body = await gql(
        MAP,
        {"area": {"governorateId": gid("Governorate", "IQ-BA")}, **period},
        headers=world.headers["basra_supervisor"],
    )
    assert body["data"]["activityMap"]["totals"]["incidents"] == 1
    # an officer sees their station only, and not another station of their governorate
    body = await gql(
        MAP,
        {"area": {"stationId": gid("Station", world.mosul_b)}, **period},
        headers=world.headers["officer"],
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_citizens_and_bad_arguments_are_refused(gql, sessionmaker) -> None:
    world = await _world(gql, sessionmaker)
    area = {"governorateId": gid("Governorate", "IQ-NI")}
    good = {"area": area, "from": (NOW - timedelta(days=1)).isoformat(), "to": NOW.isoformat()}
    body = await gql(MAP, good, headers=EN)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    cases = [
        ({"resolution": 11}, "resolution"),
        ({"resolution": 4}, "resolution"),
        ({"from": (NOW - timedelta(minutes=30)).isoformat()}, "from"),
        ({"to": (NOW - timedelta(days=2)).isoformat()}, "to"),
        ({"from": (NOW - timedelta(days=2000)).isoformat()}, "to"),
        ({"area": {"bbox": {"south": 37, "west": 43, "north": 36, "east": 44}}}, "area.bbox.north"),
        ({"area": {"governorateId": gid("Governorate", "IQ-ZZ")}}, "area.governorateId"),
        (
            {
                "area": {"bbox": {"south": 29.0, "west": 38.7, "north": 37.45, "east": 48.65}},
                "resolution": 10,
            },
            "area",
        ),
    ]
    for change, argument in cases:
        body = await gql(MAP, {**good, **change}, headers=world.headers["supervisor"])
        expected = {"code": "BAD_USER_INPUT", "argument": argument}
        assert body["errors"][0]["extensions"] == expected, (change, body)


# --- the public map -----------------------------------------------------------------------------------------


async def test_the_public_map_is_coarse_monthly_and_suppresses_small_counts(gql, sessionmaker) -> None:
    # given: last month, 6 thefts in one res-7 cell, 3 in another, 6 domestic-violence cases in the first
    world = await _world(gql, sessionmaker)
    this_month = NOW.astimezone(BAGHDAD).replace(day=1, hour=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    busy, quiet = (36.3401, 43.1302), (36.45, 43.30)
    when = (last_month + timedelta(days=3, hours=10)).astimezone(UTC)
    async with sessionmaker() as session:
        for at, category, count in ((busy, "THEFT", 6), (quiet, "THEFT", 3), (busy, "DOMESTIC_VIOLENCE", 6)):
            for _ in range(count):
                await incident_repo.insert_incident(
                    session,
                    {
                        "client_id": uuid.uuid4(),
                        "station_id": world.mosul,
                        "category": category,
                        "sensitive": category == "DOMESTIC_VIOLENCE",
                        "latitude": at[0],
                        "longitude": at[1],
                        "occurred_at": when,
                        "description": "x",
                    },
                )
        await session.commit()
    await _report(gql, world.headers["officer"], busy, NOW - timedelta(hours=1))  # this month: not shown yet
    area = {"bbox": {"south": 36.2, "west": 43.0, "north": 36.6, "east": 43.5}}
    variables = {"area": area, "from": (last_month - timedelta(days=40)).isoformat(), "to": NOW.isoformat()}
    # when: no token at all
    body = await gql(PUBLIC, variables, headers=EN)
    # then
    found = body["data"]["publicSafetyMap"]
    assert found["resolution"] == 7
    assert found["cells"] == [
        {"h3Index": _parent_hex(busy, 7), "incidents": 6, "engagements": 0, "patrolMinutes": 0.0}
    ]
    assert found["totals"]["incidents"] == 6  # the suppressed cell is in no total either
    assert datetime.fromisoformat(found["to"]) == this_month
    assert datetime.fromisoformat(found["from"]).astimezone(BAGHDAD).day == 1
    # finer than resolution 7 is refused
    body = await gql(PUBLIC, {**variables, "resolution": 8}, headers=EN)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "resolution"}
    # and the supervisors' map stays closed to citizens
    assert (await gql(MAP, variables, headers=EN))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lat=st.floats(-80, 80), lon=st.floats(-179.9, 179.9), res=st.integers(0, 10))
async def test_the_sql_parent_is_h3s_parent(sessionmaker, lat, lon, res) -> None:
    cell = h3.latlng_to_cell(lat, lon, 10)
    async with sessionmaker() as session:
        parent = (
            await session.execute(
                text("SELECT activity_h3_parent(:c, :r)"), {"c": h3.str_to_int(cell), "r": res}
            )
        ).scalar_one()
    assert h3.int_to_str(parent) == h3.cell_to_parent(cell, res)
    assert Counter(g for g, _ in PAIRS) == Counter({"h": 1, "d": 2, "m": 2})
