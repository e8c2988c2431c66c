"""Citizens' feedback: the anonymous survey (submitFeedback), its summary of published base numbers
(feedbackSummary) from both sides of the threshold, a differencing attempt, and who may read what."""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from api.app import create_app
from resolvers import feedback as logic
from schema.node import to_global_id
from tests.factories import make_feedback, make_officer, make_station, sign_in

SUBMIT = """
mutation Submit($input: SubmitFeedbackInput!) {
  submitFeedback(input: $input) { accepted duplicate errors { field code message retryAfterSeconds } }
}
"""
SUMMARY = """
query Summary($stationId: ID, $governorateId: ID, $from: DateTime!, $to: DateTime!) {
  feedbackSummary(stationId: $stationId, governorateId: $governorateId, from: $from, to: $to) {
    minimumCount
    total { responses meanRating treatedWithRespectShare wouldComeBackShare feltSafeReportingShare }
    byMonth { month figures { responses meanRating } }
    byStation { stationId figures { responses } }
    byService { service figures { responses meanRating } }
    women { responses meanRating feltSafeReportingShare }
    others { responses meanRating }
  }
}
"""
COMMENTS = """
query Comments($stationId: ID!, $from: DateTime!, $to: DateTime!) {
  feedbackComments(stationId: $stationId, from: $from, to: $to) { month comment }
}
"""
WHOLE_YEAR = {"from": "2026-01-01T00:00:00+03:00", "to": "2026-12-01T00:00:00+03:00"}


def answer(station_id: int, **overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "stationId": to_global_id("Station", station_id),
        "service": "CRIME_REPORTING",
        "rating": 4,
        "treatedWithRespect": True,
        "wouldComeBack": True,
        "feltSafeReporting": False,
        "gender": "FEMALE",
        "comment": "The officer at the desk listened.",
    }
    values.update(overrides)
    return values


async def stored(
    sessionmaker, station_id: int, month: date, n: int, on: date | None = None, **values
) -> None:
    """n answers of one station in one month (spread over its days, or all `on` one), written as
    submitFeedback writes them."""
    async with sessionmaker() as session:
        for i in range(n):
            day = on or month.replace(day=1 + i % 27)
            await make_feedback(session, station_id=station_id, on=day, **values)
        await session.commit()


async def people(sessionmaker, governorate: str = "IQ-NI"):
    async with sessionmaker() as session:
        station = await make_station(session, governorate=governorate)
        other = await make_station(session, governorate=governorate)
        _, commander = await make_officer(session, role="STATION_COMMANDER", station_id=station)
        _, officer = await make_officer(session, role="OFFICER", station_id=station)
        _, supervisor = await make_officer(session, role="SUPERVISOR", governorates=(governorate,))
        _, outsider = await make_officer(session, role="SUPERVISOR", governorates=("IQ-BG",))
        _, other_commander = await make_officer(session, role="STATION_COMMANDER", station_id=other)
        await session.commit()
    return station, other, commander, officer, supervisor, outsider, other_commander


async def test_a_citizen_submits_once_and_nothing_names_them(gql, sessionmaker) -> None:
    # given a station and an answer
    async with sessionmaker() as session:
        station = await make_station(session)
        await session.commit()
    given = answer(station)
    # when a citizen sends it twice (a retry), without signing in
    first = (await gql(SUBMIT, {"input": given}))["data"]["submitFeedback"]
    again = (await gql(SUBMIT, {"input": given}))["data"]["submitFeedback"]
    # then it is stored once, and the row keeps no address, device or time of day
    assert first == {"accepted": True, "duplicate": False, "errors": []}
    assert again == {"accepted": True, "duplicate": True, "errors": []}
    async with sessionmaker() as session:
        rows = (await session.execute(text("SELECT * FROM feedback_responses"))).mappings().all()
    assert len(rows) == 1
    assert set(rows[0]) == {
        "id", "client_id", "content_hash", "station_id", "service", "rating", "respected", "would_return",
        "safe_reporting", "gender", "comment", "submitted_on",
    }  # fmt: skip
    assert isinstance(rows[0]["submitted_on"], date)


async def test_bad_feedback_is_refused_by_field(gql, sessionmaker) -> None:
    async with sessionmaker() as session:
        station = await make_station(session)
        await session.commit()
    # an unknown station
    body = await gql(SUBMIT, {"input": answer(999_999)})
    errors = body["data"]["submitFeedback"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["stationId"], "NOT_FOUND")]
    # a NUL anywhere is refused by the transport; other control characters name the field
    body = await gql(SUBMIT, {"input": answer(station, comment="hello\x00there")}, status=400)
    assert "NUL" in body["errors"][0]["message"]
    # a rating out of range, a control character in the comment, a comment too long
    body = await gql(SUBMIT, {"input": answer(station, rating=9, comment="hello\x07there")})
    errors = body["data"]["submitFeedback"]["errors"]
    assert {(tuple(e["field"]), e["code"]) for e in errors} == {
        (("rating",), "INVALID"),
        (("comment",), "INVALID"),
    }
    body = await gql(SUBMIT, {"input": answer(station, comment="x" * 1001)})
    assert body["data"]["submitFeedback"]["errors"][0]["field"] == ["comment"]
    # the same clientId with other answers is a clash, not a duplicate
    given = answer(station)
    await gql(SUBMIT, {"input": given})
    body = await gql(SUBMIT, {"input": {**given, "rating": 1}})
    assert body["data"]["submitFeedback"]["errors"][0]["code"] == "CONFLICT"
    # a wrong type of id is a field error too
    body = await gql(SUBMIT, {"input": answer(station, stationId="not-an-id")})
    assert body["data"]["submitFeedback"]["errors"][0]["field"] == ["stationId"]


@pytest.fixture
def limited_app(sessionmaker, tmp_path):
    """The app with its rate limits on (they are off in development otherwise), and its secret key."""
    import os

    from api.config import Settings
    from api.security import secret_key

    limited = Settings.from_env(
        {
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_ENV": "development",
            "MARKAZ_AUDIT_KEY": os.environ["MARKAZ_AUDIT_KEY"],
            "MARKAZ_RATE_LIMIT": "on",
            "MARKAZ_RATE_SYNC_MS": "0",
        }
    )
    return create_app(limited, sessionmaker=sessionmaker), secret_key(limited)


def from_address(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://markaz.test")


@pytest.fixture
async def limited_client(limited_app):
    async with from_address(limited_app[0], "127.0.0.1") as c:
        yield c


async def test_a_flood_from_one_source_is_refused(limited_client, sessionmaker) -> None:
    async with sessionmaker() as session:
        station = await make_station(session)
        await session.commit()
    outcomes = []
    for _ in range(12):
        response = await limited_client.post(
            "/graphql", json={"query": SUBMIT, "variables": {"input": answer(station)}}
        )
        outcomes.append(response.json()["data"]["submitFeedback"])
    assert [o["accepted"] for o in outcomes[:10]] == [True] * 10
    refused = outcomes[10]["errors"][0]
    assert refused["code"] == "LIMIT_EXCEEDED" and refused["retryAfterSeconds"] >= 1
    # the bucket's key is the address, kept in the limiter's store only, never with an answer
    async with sessionmaker() as session:
        count = (await session.execute(text("SELECT count(*) FROM feedback_responses"))).scalar()
    assert count == 10


async def test_the_station_token_is_checked_when_sent_and_optional_for_apps(
    gql, sessionmaker, settings
) -> None:
    from api.security import secret_key

    async with sessionmaker() as session:
        station = await make_station(session)
        other = await make_station(session)
        await session.commit()
    key = secret_key(settings)
    # with the station's own token (an app that read the QR code): stored
    body = await gql(SUBMIT, {"input": answer(station, stationToken=logic.station_token(key, station))})
    assert body["data"]["submitFeedback"] == {"accepted": True, "duplicate": False, "errors": []}
    # another station's token, a guess, an empty one: refused on stationToken, nothing stored
    for wrong in (logic.station_token(key, other), "guess", ""):
        body = await gql(SUBMIT, {"input": answer(station, stationToken=wrong)})
        errors = body["data"]["submitFeedback"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(["stationToken"], "INVALID")], wrong
    # without one (an app that did not read the code, as citizen-1.2.0 sends it): stored
    body = await gql(SUBMIT, {"input": answer(station)})
    assert body["data"]["submitFeedback"] == {"accepted": True, "duplicate": False, "errors": []}
    async with sessionmaker() as session:
        count = (await session.execute(text("SELECT count(*) FROM feedback_responses"))).scalar()
    assert count == 2


async def test_answers_without_the_token_are_held_per_station_from_all_sources(
    limited_app, sessionmaker
) -> None:
    app, key = limited_app
    async with sessionmaker() as session:
        station = await make_station(session)
        other = await make_station(session)
        await session.commit()

    async def send(address: str, given: dict) -> dict:
        async with from_address(app, address) as c:
            response = await c.post("/graphql", json={"query": SUBMIT, "variables": {"input": given}})
        return response.json()["data"]["submitFeedback"]

    # given a flood without the token, spread over three addresses (each within its own limit of 10)
    outcomes = [await send(f"198.51.100.{i % 3 + 1}", answer(station)) for i in range(24)]
    # then the station takes 20 such answers at once, from all of them together, and refuses the rest
    assert [o["accepted"] for o in outcomes] == [True] * logic.TOKENLESS_BURST + [False] * 4
    refused = outcomes[-1]["errors"][0]
    assert refused["field"] == ["stationToken"] and refused["code"] == "LIMIT_EXCEEDED"
    assert refused["retryAfterSeconds"] >= 1
    # while an answer with the station's token (the QR code) still goes in, and another station is not held
    with_token = answer(station, stationToken=logic.station_token(key, station))
    assert (await send("203.0.113.9", with_token))["accepted"] is True
    assert (await send("203.0.113.9", answer(other)))["accepted"] is True
    async with sessionmaker() as session:
        count = (await session.execute(text("SELECT count(*) FROM feedback_responses"))).scalar()
    assert count == logic.TOKENLESS_BURST + 2


async def test_the_summary_publishes_only_bases_of_five_or_more(gql, sessionmaker) -> None:
    station, _other, commander, *_ = await people(sessionmaker)
    # given five answers in March (published), four in April (suppressed)
    await stored(sessionmaker, station, date(2026, 3, 1), 5, rating=5)
    await stored(sessionmaker, station, date(2026, 4, 1), 4, rating=1, respected=False)
    headers = await sign_in(gql, commander)
    variables = {"stationId": to_global_id("Station", station), **WHOLE_YEAR}
    summary = (await gql(SUMMARY, variables, headers=headers))["data"]["feedbackSummary"]
    # then March is counted, April is counted as nothing
    assert summary["minimumCount"] == 5
    assert summary["total"]["responses"] == 5
    assert summary["total"]["meanRating"] == 5.0
    assert summary["total"]["treatedWithRespectShare"] == 1.0
    assert summary["byMonth"] == [{"month": "2026-03-01", "figures": {"responses": 5, "meanRating": 5.0}}]
    # and a fifth April answer publishes April
    await stored(sessionmaker, station, date(2026, 4, 1), 1, rating=1, respected=False)
    summary = (await gql(SUMMARY, variables, headers=headers))["data"]["feedbackSummary"]
    assert summary["total"]["responses"] == 10
    assert summary["total"]["meanRating"] == 3.0
    assert [m["month"] for m in summary["byMonth"]] == ["2026-03-01", "2026-04-01"]


async def test_differences_of_summaries_reveal_no_small_part(gql, sessionmaker) -> None:
    station, other, _commander, _officer, supervisor, *_ = await people(sessionmaker)
    # given a month of seven answers: six about crime reporting, one woman's about family protection
    march = date(2026, 3, 1)
    await stored(sessionmaker, station, march, 6, rating=4, gender="MALE")
    await stored(sessionmaker, station, march, 1, rating=1, safe_reporting=False, gender="FEMALE",
                 service="FAMILY_AND_CHILD_PROTECTION")  # fmt: skip
    # and a station next to it with three answers
    await stored(sessionmaker, other, march, 3, rating=2)
    headers = await sign_in(gql, supervisor)
    station_id = to_global_id("Station", station)
    month = {"from": "2026-03-01T00:00:00+03:00", "to": "2026-04-01T00:00:00+03:00"}
    one = (await gql(SUMMARY, {"stationId": station_id, **month}, headers=headers))["data"]["feedbackSummary"]
    governorate = (
        await gql(SUMMARY, {"governorateId": to_global_id("Governorate", "IQ-NI"), **month}, headers=headers)
    )["data"]["feedbackSummary"]
    # then the station's month is published whole, but neither split that has a part under five
    assert one["total"]["responses"] == 7
    assert one["byService"] == [] and one["women"] is None and one["others"] is None
    # a total minus its services is then the whole total, never the one answer
    assert one["total"]["responses"] - sum(s["figures"]["responses"] for s in one["byService"]) in (0, 7)
    # the governorate minus the station reveals nothing of the station of three (counted as nothing)
    assert governorate["total"]["responses"] - one["total"]["responses"] == 0
    assert [s["stationId"] for s in governorate["byStation"]] == [station_id]
    # a period ending mid-month counts no part of that month, so days cannot be subtracted
    partial = {"from": "2026-03-01T00:00:00+03:00", "to": "2026-03-20T00:00:00+03:00"}
    cut = (await gql(SUMMARY, {"stationId": station_id, **partial}, headers=headers))["data"][
        "feedbackSummary"
    ]
    assert cut["total"]["responses"] == 0
    # given enough women and enough others, and enough of each service, the splits show
    await stored(
        sessionmaker, station, march, 4, rating=3, gender="FEMALE", service="FAMILY_AND_CHILD_PROTECTION"
    )
    one = (await gql(SUMMARY, {"stationId": station_id, **month}, headers=headers))["data"]["feedbackSummary"]
    assert one["women"]["responses"] == 5 and one["others"]["responses"] == 6
    assert {s["service"]: s["figures"]["responses"] for s in one["byService"]} == {
        "CRIME_REPORTING": 6,
        "FAMILY_AND_CHILD_PROTECTION": 5,
    }
    assert one["women"]["meanRating"] == pytest.approx((1 + 4 * 3) / 5)


async def test_who_may_read_the_summary_and_the_comments(gql, sessionmaker) -> None:
    station, _other, commander, officer, supervisor, outsider, other_commander = await people(sessionmaker)
    await stored(sessionmaker, station, date(2026, 3, 1), 5, comment="Ahmed at the desk was rude")
    variables = {"stationId": to_global_id("Station", station), **WHOLE_YEAR}
    # allowed: the station's commander, the governorate's supervisor
    for badge in (commander, supervisor):
        body = await gql(SUMMARY, variables, headers=await sign_in(gql, badge))
        assert body["data"]["feedbackSummary"]["total"]["responses"] == 5
    # refused: a citizen, the station's officer, a supervisor elsewhere, another station's commander
    refusals = {}
    for name, headers in (
        ("citizen", {}),
        ("officer", await sign_in(gql, officer)),
        ("outsider", await sign_in(gql, outsider)),
        ("other commander", await sign_in(gql, other_commander)),
    ):
        body = await gql(SUMMARY, variables, headers=headers)
        refusals[name] = body["errors"][0]["extensions"]["code"]
    assert refusals == {
        "citizen": "UNAUTHENTICATED",
        "officer": "FORBIDDEN",
        "outsider": "FORBIDDEN",
        "other commander": "FORBIDDEN",
    }
    # comments: the station's commander reads them, by month only; the supervisor may not
    comments = {"stationId": to_global_id("Station", station), **WHOLE_YEAR}
    body = await gql(COMMENTS, comments, headers=await sign_in(gql, commander))
    assert (
        body["data"]["feedbackComments"]
        == [{"month": "2026-03-01", "comment": "Ahmed at the desk was rude"}] * 5
    )
    for badge in (supervisor, officer, other_commander):
        body = await gql(COMMENTS, comments, headers=await sign_in(gql, badge))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(COMMENTS, comments)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_comments_are_read_by_whole_completed_months_never_by_day(gql, sessionmaker) -> None:
    from datetime import timedelta

    from resolvers import activity_plan
    from resolvers.field_checks import now_utc

    station, _other, commander, *_ = await people(sessionmaker)
    # given two comments of one March, sent on the 3rd and the 20th, one of February, one of this month
    await stored(sessionmaker, station, date(2026, 3, 1), 1, on=date(2026, 3, 3), comment="Zaid was kind")
    await stored(sessionmaker, station, date(2026, 3, 1), 1, on=date(2026, 3, 20), comment="A long wait")
    await stored(sessionmaker, station, date(2026, 2, 1), 1, on=date(2026, 2, 14), comment="February")
    today = activity_plan.day_floor(now_utc()).date()
    await stored(sessionmaker, station, today.replace(day=1), 1, on=today, comment="Running month")
    headers = await sign_in(gql, commander)
    station_id = to_global_id("Station", station)

    async def comments(start: date, end: date) -> list[dict]:
        variables = {
            "stationId": station_id,
            "from": f"{start}T00:00:00+03:00",
            "to": f"{end}T00:00:00+03:00",
        }
        body = await gql(COMMENTS, variables, headers=headers)
        assert "errors" not in body, body
        return body["data"]["feedbackComments"]

    march = [
        {"month": "2026-03-01", "comment": "A long wait"},
        {"month": "2026-03-01", "comment": "Zaid was kind"},
    ]  # by month, then by text: the order tells nothing of the days either
    # when the commander asks for one day, either day: nothing, a period is whole months only
    assert await comments(date(2026, 3, 3), date(2026, 3, 4)) == []
    assert await comments(date(2026, 3, 20), date(2026, 3, 21)) == []
    # every period from a day of March to a day of April holds the same: the whole of March
    for first in range(1, 32, 3):
        for last in range(1, 31, 7):
            got = await comments(date(2026, 3, first), date(2026, 4, last))
            assert got == march, (first, last)
    # so no two questions tell the 3rd from the 20th: any period holds both comments or neither
    for day in range(1, 32, 2):
        for days in (1, 7, 17, 31):
            start = date(2026, 3, day)
            got = {c["comment"] for c in await comments(start, start + timedelta(days=days))}
            assert got in (set(), {"A long wait", "Zaid was kind"}), (day, days)
    # a longer period: whole months, newest first; the running month is never read, even up to tomorrow
    tomorrow = today + timedelta(days=1)
    assert await comments(date(2026, 1, 1), tomorrow) == [
        *march,
        {"month": "2026-02-01", "comment": "February"},
    ]
    assert await comments(today, tomorrow) == []
    # and the period is bounded as the summary's is
    body = await gql(
        COMMENTS,
        {"stationId": station_id, "from": "2026-03-05T00:00:00+03:00", "to": "2026-03-01T00:00:00+03:00"},
        headers=headers,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- the base numbers' rule, on random answers (pure logic) --------------------------------------------


_ROWS = st.lists(
    st.tuples(
        st.integers(1, 3),  # station
        st.integers(1, 3),  # month
        st.sampled_from(["CRIME_REPORTING", "TRAFFIC", "OTHER"]),
        st.booleans(),  # a woman's answers
        st.integers(1, 7),  # how many
        st.integers(1, 5),  # their rating
    ),
    max_size=30,
)


def _rows(drawn):
    merged: dict[tuple, list[int]] = {}
    for station, month, service, female, n, rating in drawn:
        key = (station, date(2026, month, 1), service, female)
        got = merged.setdefault(key, [0, 0])
        got[0] += n
        got[1] += n * rating
    return [
        SimpleNamespace(
            station_id=s,
            month=m,
            service=v,
            female=f,
            n=n,
            rating_sum=r,
            respected_yes=n,
            return_yes=0,
            safe_yes=n,
        )
        for (s, m, v, f), (n, r) in merged.items()
    ]


@given(_ROWS)
def test_every_figure_is_a_sum_of_published_bases_and_no_difference_isolates_fewer_than_five(drawn) -> None:
    rows = _rows(drawn)
    found = logic.bases(rows)
    summary = logic.summarise(found, None, None)  # type: ignore[arg-type]
    published = [b for b in found if b.total.responses >= 5]
    # the total, each month and each station are sums of whole published bases
    assert summary.total.responses == sum(b.total.responses for b in published)
    for month, figures in summary.by_month.items():
        assert figures.responses == sum(b.total.responses for b in published if b.month == month)
    # each base is split whole or not at all: total minus its shown parts is 0 or the whole base (>= 5)
    for base in published:
        shown = sum(f.responses for f in base.services.values()) if base.services_published else 0
        assert base.total.responses - shown in (0, base.total.responses)
        assert not base.services_published or all(f.responses >= 5 for f in base.services.values())
        assert not base.genders_published or min(base.women.responses, base.others.responses) >= 5
    # so the summary's parts never leave a remainder under five
    services = sum(f.responses for f in summary.by_service.values())
    remainder = summary.total.responses - services
    assert remainder == 0 or remainder >= 5
    if summary.women is not None:
        assert summary.women.responses >= 5 and summary.others is not None and summary.others.responses >= 5
        rest = summary.total.responses - summary.women.responses - summary.others.responses
        assert rest == 0 or rest >= 5
