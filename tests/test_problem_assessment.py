"""The assessment of a problem: before and after figures from the rollups over equal whole-day periods
around the day its response began, in its area (drawn, or the station's) and categories, with women's
and youth shares of the engagements; equal to activitySummary's over the same periods; a sensitive
incident counted exactly by a viewer on every case and by its generalised key by anyone else (both ways).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from resolvers import activity_plan
from tests.factories import age_arrivals
from tests.test_problems import (
    LIST,
    NODE,
    UPDATE,
    _engagement,
    _incident,
    _ok,
    _open,
    _update,
    _world,
    gid,
    key_of,
)

ASSESS = """
query Assess($id: ID!, $days: Int) {
  node(id: $id) {
    ... on Problem {
      assessment(days: $days) {
        responseStartedAt days drawnArea incidentChangePercent
        before { ...Figures } after { ...Figures }
      }
    }
  }
}
fragment Figures on ProblemFigures {
  from to incidents incidentsByCategory { category count } engagements attendees womenAttendees
  youthAttendees womenAttendeeShare youthAttendeeShare
}
"""
SUMMARY = """
query S($area: AreaInput!, $from: DateTime!, $to: DateTime!) {
  activitySummary(area: $area, from: $from, to: $to, resolution: 8) {
    incidentsByCategory { category count } engagements attendees womenAttendeeShare youthAttendeeShare
  }
}
"""
# A small box around HERE: far less than HERE's resolution-7 cell (about 1.2 km across).
SMALL = {
    "type": "Polygon",
    "coordinates": [
        [[43.200, 36.397], [43.209, 36.397], [43.209, 36.405], [43.200, 36.405], [43.200, 36.397]]
    ],
}
CATEGORIES = ["THEFT", "DOMESTIC_VIOLENCE"]


def _days() -> tuple[datetime, datetime]:
    """Today's start in Baghdad and the pivot, ten days before: the day the response began."""
    today = activity_plan.day_floor(datetime.now(UTC)).astimezone(UTC)
    return today, today - timedelta(days=10)


async def _records(gql, world, pivot: datetime) -> None:
    """Before the pivot: three thefts and a meeting of 20 (5 women, 2 young); after it: a theft, an
    assault (not the problem's category), a domestic violence incident (sensitive) and two meetings of 30
    (15 women, 10 young) and 10 (5 women, 5 young). All at HERE, at noon of their day."""
    before, after = (
        pivot - timedelta(days=5) + timedelta(hours=9),
        pivot + timedelta(days=5) + timedelta(hours=9),
    )
    for at in (before, before + timedelta(days=1), before + timedelta(days=2)):
        await _incident(gql, world, occurredAt=at.isoformat())
    await _incident(gql, world, occurredAt=after.isoformat())
    await _incident(gql, world, category="ASSAULT", occurredAt=after.isoformat())
    await _incident(
        gql, world, category="DOMESTIC_VIOLENCE", occurredAt=after.isoformat(), description="Beaten at home."
    )
    for at, attendees in (
        (before, {"total": 20, "women": 5, "youth": 2}),
        (after, {"total": 30, "women": 15, "youth": 10}),
        (after + timedelta(days=1), {"total": 10, "women": 5, "youth": 5}),
    ):
        await _engagement(gql, world, occurredAt=at.isoformat(), attendees=attendees, followUps=[])


async def _in_response(gql, sessionmaker, world, pivot: datetime, **overrides) -> dict:
    """A problem of THEFT and DOMESTIC_VIOLENCE taken to RESPONSE, its response begun on the pivot's day
    (the test moves the moment back, as ten days of waiting would)."""
    problem = await _open(gql, world, categories=CATEGORIES, **overrides)
    problem = (await _update(gql, world, "officer", problem, stage="ANALYSIS"))["problem"]
    problem = (await _update(gql, world, "officer", problem, stage="RESPONSE"))["problem"]
    async with sessionmaker() as session:
        await session.execute(
            text("UPDATE problems SET response_started_at = :at WHERE id = :i"),
            {"at": pivot + timedelta(hours=9, minutes=17), "i": key_of(problem["id"])},
        )
        await session.commit()
    return problem


async def _assessment(gql, world, who: str, problem: dict, days: int | None = None) -> dict:
    body = await gql(ASSESS, {"id": problem["id"], "days": days}, headers=world.headers[who])
    assert "errors" not in body, body
    return body["data"]["node"]["assessment"]


async def _summary(gql, world, who: str, area: dict, start: str, end: str) -> dict:
    body = await gql(SUMMARY, {"area": area, "from": start, "to": end}, headers=world.headers[who])
    assert "errors" not in body, body
    summary = body["data"]["activitySummary"]
    summary["incidentsByCategory"] = [
        c for c in summary["incidentsByCategory"] if c["category"] in CATEGORIES
    ]
    return summary


def _as_summary(figures: dict) -> dict:
    return {
        "incidentsByCategory": figures["incidentsByCategory"],
        "engagements": figures["engagements"],
        "attendees": figures["attendees"],
        "womenAttendeeShare": figures["womenAttendeeShare"],
        "youthAttendeeShare": figures["youthAttendeeShare"],
    }


async def test_no_assessment_before_the_response_and_days_are_bounded(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    problem = await _open(gql, world)
    assert await _assessment(gql, world, "officer", problem) is None
    body = await gql(ASSESS, {"id": problem["id"], "days": 0}, headers=world.headers["officer"])
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # a response begun today: periods of no days, nothing counted
    problem = (await _update(gql, world, "officer", problem, stage="ANALYSIS"))["problem"]
    problem = (await _update(gql, world, "officer", problem, stage="RESPONSE"))["problem"]
    found = await _assessment(gql, world, "officer", problem)
    assert found["days"] == 0 and found["before"]["incidents"] == found["after"]["incidents"] == 0


async def test_the_figures_before_and_after_match_the_activity_data(gql, sessionmaker):
    # given
    world = await _world(gql, sessionmaker)
    today, pivot = _days()
    await _records(gql, world, pivot)
    problem = await _in_response(gql, sessionmaker, world, pivot)
    # when: the commander (on every case of the station) assesses it
    found = await _assessment(gql, world, "commander", problem)
    # then: ten whole days each side of the day the response began
    assert found["days"] == 10 and found["drawnArea"] is False
    before, after = found["before"], found["after"]
    assert datetime.fromisoformat(before["from"]) == pivot - timedelta(days=10)
    assert datetime.fromisoformat(before["to"]) == datetime.fromisoformat(after["from"]) == pivot
    assert datetime.fromisoformat(after["to"]) == today
    assert before["incidentsByCategory"] == [{"category": "THEFT", "count": 3}]
    assert after["incidentsByCategory"] == [
        {"category": "DOMESTIC_VIOLENCE", "count": 1},
        {"category": "THEFT", "count": 1},
    ]
    assert (before["incidents"], after["incidents"], found["incidentChangePercent"]) == (3, 2, -33.3)
    assert (
        before["engagements"],
        before["attendees"],
        before["womenAttendees"],
        before["youthAttendees"],
    ) == (
        1,
        20,
        5,
        2,
    )
    assert (after["engagements"], after["attendees"], after["womenAttendees"], after["youthAttendees"]) == (
        2,
        40,
        20,
        15,
    )
    assert (before["womenAttendeeShare"], after["womenAttendeeShare"]) == (0.25, 0.5)
    assert (before["youthAttendeeShare"], after["youthAttendeeShare"]) == (0.1, 0.375)
    # and they are activitySummary's, for the station, over the same periods
    area = {"stationId": gid("Station", world.a)}
    for side in (before, after):
        assert _as_summary(side) == await _summary(gql, world, "commander", area, side["from"], side["to"])
    # a shorter comparison: the three days each side
    short = await _assessment(gql, world, "commander", problem, days=3)
    assert short["days"] == 3 and short["before"]["incidents"] == 1 and short["after"]["incidents"] == 0


async def test_a_sensitive_incident_counts_exactly_on_its_case_and_generalised_off_it(gql, sessionmaker):
    # given: the problem drawn as a small box around HERE, smaller than the domestic violence incident's
    # resolution-7 cell
    world = await _world(gql, sessionmaker)
    _, pivot = _days()
    await _records(gql, world, pivot)
    drawn = await _in_response(gql, sessionmaker, world, pivot, area=SMALL)
    scoped = await _in_response(gql, sessionmaker, world, pivot)
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    # the commander counts it exactly: it happened in the box
    exact = await _assessment(gql, world, "commander", drawn)
    assert exact["drawnArea"] and exact["after"]["incidents"] == 2
    # off its case (the station's other officer, the supervisor) it exists only as its cell and day: the
    # box does not hold the whole cell, so it is not counted there...
    for who in ("colleague", "supervisor"):
        off = await _assessment(gql, world, who, drawn)
        assert off["after"]["incidentsByCategory"] == [{"category": "THEFT", "count": 1}], who
        assert off["before"] == exact["before"], who
        # ... exactly as activitySummary counts it for them over the same box and days
        for side in ("before", "after"):
            figures = off[side]
            summary = await _summary(gql, world, who, {"polygon": SMALL}, figures["from"], figures["to"])
            assert _as_summary(figures) == summary, (who, side)
        # ... while the station's area holds its cell, and the period its whole day: counted
        whole = await _assessment(gql, world, who, scoped)
        assert whole["after"]["incidents"] == 2, who
    # the incident itself is never listed to them through the problem
    body = await gql(LIST, headers=world.headers["colleague"])
    assert all(not e["node"]["incidents"] for e in body["data"]["problems"]["edges"])
    body = await gql(NODE, {"id": drawn["id"]}, headers=world.headers["supervisor"])
    assert body["data"]["node"]["incidents"] == []


async def test_the_assessment_is_for_those_who_see_the_problem(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    _, pivot = _days()
    problem = await _in_response(gql, sessionmaker, world, pivot)
    for who in ("other_station", "supervisor_basra", "commander_c"):
        body = await gql(ASSESS, {"id": problem["id"]}, headers=world.headers[who])
        assert body["data"]["node"] is None, who
    body = await gql(ASSESS, {"id": problem["id"]}, headers=world.headers["citizen"])
    assert body["data"]["node"] is None
    # and an officer's own records count like anyone's (an officer is not on every case of the station)
    values = {
        "clientId": str(uuid.uuid4()),
        "problemId": problem["id"],
        "expectedVersion": 3,
        "stage": "ASSESSMENT",
    }
    await _ok(gql, UPDATE, "updateProblem", values, world.headers["officer"])
    found = await _assessment(gql, world, "officer", problem)
    assert found["days"] == 10


async def test_a_closed_problem_is_assessed_up_to_the_day_it_closed(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    _, pivot = _days()
    await _records(gql, world, pivot)
    problem = await _in_response(gql, sessionmaker, world, pivot)
    async with sessionmaker() as session:
        await session.execute(
            text("UPDATE problems SET stage = 'CLOSED', closed_at = :at WHERE id = :i"),
            {"at": pivot + timedelta(days=4, hours=20), "i": key_of(problem["id"])},
        )
        await session.commit()
    found = await _assessment(gql, world, "commander", problem)
    # four whole days after (the fifth, the day it closed, is not whole): the records of day five are out;
    # four days before too: two of the three thefts
    assert found["days"] == 4
    assert datetime.fromisoformat(found["after"]["to"]) == pivot + timedelta(days=4)
    assert (found["before"]["incidents"], found["after"]["incidents"]) == (2, 0)
    assert found["before"]["engagements"] == found["after"]["engagements"] == 0
