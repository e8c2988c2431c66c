"""Activity timelines, summaries with CompStat changes, and coverage gaps, through the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from sqlalchemy import text

from resolvers.activity_plan import BAGHDAD
from tests.test_activity import MOSUL, NOW, _log, _report, _world, gid

TIMELINE = """
query T($area: AreaInput!, $from: DateTime!, $to: DateTime!, $bucket: TimeBucket, $layers: [ActivityLayer!]) {
  activityTimeline(area: $area, from: $from, to: $to, bucket: $bucket, layers: $layers) {
    start incidents engagements patrolMinutes
  }
}
"""
SUMMARY = """
query S($area: AreaInput!, $from: DateTime!, $to: DateTime!) {
  activitySummary(area: $area, from: $from, to: $to) {
    from to incidents incidentsByCategory { category count } incidentsByStatus { status count }
    medianHoursToResolve engagements engagementsByKind { kind count } attendees womenAttendeeShare
    youthAttendeeShare patrolHours patrolKilometers activeOfficers womenOfficersEngagementShare
    changes { window layer incidentCategory engagementKind current previous changePercent }
  }
}
"""
GAPS = """
query G($area: AreaInput!, $days: Int, $to: DateTime, $resolution: Int) {
  coverageGaps(area: $area, days: $days, to: $to, resolution: $resolution) {
    cells { h3Index incidents engagements patrolMinutes } totals { incidents }
  }
}
"""


async def test_a_daily_timeline_lists_every_day_and_adds_up(gql, sessionmaker) -> None:
    # given
    world = await _world(gql, sessionmaker)
    for days_ago in (0, 1, 1, 3):
        await _report(gql, world.headers["officer"], MOSUL, NOW - timedelta(days=days_ago, hours=1))
    start = NOW.astimezone(BAGHDAD).replace(hour=0) - timedelta(days=4)
    end = NOW + timedelta(hours=1)
    # when
    body = await gql(
        TIMELINE,
        {
            "area": {"stationId": gid("Station", world.mosul)},
            "from": start.isoformat(),
            "to": end.isoformat(),
            "bucket": "DAY",
        },
        headers=world.headers["commander"],
    )
    points = body["data"]["activityTimeline"]
    # then: one point per Baghdad day from the first, none missing, summing to the incidents
    starts = [datetime.fromisoformat(p["start"]).astimezone(BAGHDAD) for p in points]
    assert all(s.hour == 0 for s in starts)
    assert all(b - a == timedelta(days=1) for a, b in pairwise(starts))
    assert sum(p["incidents"] for p in points) == 4
    hourly = await gql(
        TIMELINE,
        {
            "area": {"stationId": gid("Station", world.mosul)},
            "from": (NOW - timedelta(days=4)).isoformat(),
            "to": end.isoformat(),
            "bucket": "HOUR",
        },
        headers=world.headers["commander"],
    )
    assert len(hourly["data"]["activityTimeline"]) == 4 * 24 + 1
    assert sum(p["incidents"] for p in hourly["data"]["activityTimeline"]) == 4


async def test_the_summary_counts_people_and_compares_periods(gql, sessionmaker) -> None:
    # given: this 28-day period 3 thefts and an assault, the 28 days before 2 thefts; two engagements
    world = await _world(gql, sessionmaker)
    for days_ago, category in (
        (1, "THEFT"),
        (2, "THEFT"),
        (3, "THEFT"),
        (4, "ASSAULT"),
        (30, "THEFT"),
        (31, "THEFT"),
    ):
        await _report(gql, world.headers["officer"], MOSUL, NOW - timedelta(days=days_ago), category=category)
    await _log(
        gql,
        world.headers["officer"],
        MOSUL,
        NOW - timedelta(days=2),
        attendees={"total": 10, "women": 4, "youth": 5},
    )
    await _log(
        gql,
        world.headers["woman"],
        MOSUL,
        NOW - timedelta(days=3),
        kind="WOMEN_OUTREACH",
        attendees={"total": 10, "women": 8, "youth": 0},
    )
    async with sessionmaker() as session:  # one theft resolved 6 hours after it was reported
        await session.execute(
            text(
                "UPDATE incidents SET status = 'RESOLVED', resolved_at = reported_at + interval '6 hours' "
                "WHERE id = (SELECT min(id) FROM incidents)"
            )
        )
        await session.commit()
    end = NOW + timedelta(hours=1)
    # when
    body = await gql(
        SUMMARY,
        {
            "area": {"governorateId": gid("Governorate", "IQ-NI")},
            "from": (end - timedelta(days=28)).isoformat(),
            "to": end.isoformat(),
        },
        headers=world.headers["supervisor"],
    )
    summary = body["data"]["activitySummary"]
    # then
    assert summary["incidents"] == 4
    assert summary["incidentsByCategory"] == [
        {"category": "ASSAULT", "count": 1},
        {"category": "THEFT", "count": 3},
    ]
    assert {s["status"]: s["count"] for s in summary["incidentsByStatus"]} in (
        {"REPORTED": 4},
        {"REPORTED": 3, "RESOLVED": 1},
    )
    assert summary["engagements"] == 2 and summary["attendees"] == 20
    assert summary["womenAttendeeShare"] == 0.6 and summary["youthAttendeeShare"] == 0.25
    assert summary["womenOfficersEngagementShare"] == 0.5
    assert summary["activeOfficers"] == 2
    changes = {(c["window"], c["layer"], c["incidentCategory"]): c for c in summary["changes"]}
    thefts = changes[("LAST_28_DAYS", "INCIDENTS", "THEFT")]
    assert (thefts["current"], thefts["previous"], thefts["changePercent"]) == (3, 2, 50.0)
    assert changes[("LAST_28_DAYS", "INCIDENTS", "ASSAULT")]["changePercent"] is None  # nothing before
    assert changes[("LAST_28_DAYS", "INCIDENTS", None)]["current"] == 4
    assert ("YEAR_TO_DATE", "INCIDENTS", None) in changes
    # Basra's supervisor may not ask
    body = await gql(
        SUMMARY,
        {
            "area": {"governorateId": gid("Governorate", "IQ-NI")},
            "from": (end - timedelta(days=28)).isoformat(),
            "to": end.isoformat(),
        },
        headers=world.headers["basra_supervisor"],
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_median_time_to_resolve(gql, sessionmaker) -> None:
    world = await _world(gql, sessionmaker)
    for days_ago in (1, 2, 3):
        await _report(gql, world.headers["officer"], MOSUL, NOW - timedelta(days=days_ago))
    async with sessionmaker() as session:
        await session.execute(
            text(
                "UPDATE incidents SET status = 'RESOLVED', resolved_at = reported_at + "
                "(CASE id % 3 WHEN 0 THEN 2 WHEN 1 THEN 4 ELSE 9 END) * interval '1 hour'"
            )
        )
        await session.commit()
    end = NOW + timedelta(hours=1)
    body = await gql(
        SUMMARY,
        {
            "area": {"stationId": gid("Station", world.mosul)},
            "from": (end - timedelta(days=7)).isoformat(),
            "to": end.isoformat(),
        },
        headers=world.headers["commander"],
    )
    assert body["data"]["activitySummary"]["medianHoursToResolve"] == 4.0


async def test_coverage_gaps_are_cells_with_incidents_and_no_presence(gql, sessionmaker) -> None:
    # given: incidents in two places; an engagement in the first only
    world = await _world(gql, sessionmaker)
    covered, forgotten = MOSUL, (36.37, 43.17)
    await _report(gql, world.headers["officer"], covered, NOW - timedelta(days=2), station=world.mosul)
    await _report(gql, world.headers["officer"], forgotten, NOW - timedelta(days=2), station=world.mosul)
    await _report(gql, world.headers["officer"], forgotten, NOW - timedelta(days=3), station=world.mosul)
    await _log(gql, world.headers["officer"], covered, NOW - timedelta(days=1))
    # when
    body = await gql(
        GAPS,
        {
            "area": {"governorateId": gid("Governorate", "IQ-NI")},
            "days": 28,
            "to": (NOW + timedelta(hours=1)).isoformat(),
            "resolution": 8,
        },
        headers=world.headers["supervisor"],
    )
    gaps = body["data"]["coverageGaps"]
    # then
    import h3

    assert [c["h3Index"] for c in gaps["cells"]] == [h3.cell_to_parent(h3.latlng_to_cell(*forgotten, 10), 8)]
    assert gaps["totals"]["incidents"] == 2
    refused = await gql(
        GAPS,
        {"area": {"governorateId": gid("Governorate", "IQ-NI")}, "days": 0},
        headers=world.headers["supervisor"],
    )
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "days"}
    assert datetime.now(UTC) > NOW
