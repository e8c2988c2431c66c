"""What a station publishes: priorities (published problems: the commander's public text in three
languages, no personal data) and community meetings (when, where, topic; never a household engagement);
citizens read both without signing in, at once (the HTTP cache revalidates); who may publish and
withdraw (each refusal)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.test_problems import _engagement, _incident, _open, _top_code, _world, gid, key_of

PUBLISH = """
mutation P($input: PublishPriorityInput!) {
  publishPriority(input: $input) {
    problem { id published publicPriority { id title titles { ar ku en } action stage } }
    errors { field code message }
  }
}"""
UNPUBLISH = """
mutation U($input: UnpublishPriorityInput!) {
  unpublishPriority(input: $input) { problem { id published publicPriority { id } } errors { field code } }
}"""
PUBLISH_MEETING = """
mutation M($input: PublishMeetingInput!) {
  publishMeeting(input: $input) {
    meeting { id startsAt endsAt place topic location { latitude longitude } withdrawn }
    errors { field code message }
  }
}"""
UNPUBLISH_MEETING = """
mutation W($input: UnpublishMeetingInput!) {
  unpublishMeeting(input: $input) { meeting { id withdrawn } errors { field code } }
}"""
COMMUNITY = """
query Community($id: ID!) {
  station(id: $id) {
    id
    publicPriorities { id title titles { ar ku en } action actions { ar ku en } stage publishedAt }
    upcomingMeetings { id startsAt endsAt place places { ar ku en } topic location { latitude longitude } }
  }
}"""
TITLE = {
    "ar": "سرقة الدراجات النارية قرب السوق القديم",
    "ku": "دزینی ماتۆڕسکیل لە نزیک بازاڕی کۆن",
    "en": "Motorcycle thefts near the old market",
}
ACTION = {
    "ar": "دوريات مسائية وإنارة الشارع مع البلدية",
    "ku": "پاسەوانیی ئێواران و ڕووناککردنەوەی شەقام لەگەڵ شارەوانی",
    "en": "Evening patrols, and street lights with the municipality",
}
PLACE = {"ar": "قاعة جامع النور", "ku": "هۆڵی مزگەوتی نوور", "en": "Al-Noor mosque hall"}
TOPIC = {"ar": "الأمان في السوق", "ku": "ئاسایش لە بازاڕ", "en": "Safety at the market"}


def _soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def _community(gql, world, lang: str = "en") -> dict:
    body = await gql(COMMUNITY, {"id": gid("Station", world.a)}, headers={"accept-language": lang})
    assert "errors" not in body, body
    return body["data"]["station"]


async def _publish(gql, world, who: str, problem: dict, **overrides) -> dict:
    values = {"problemId": problem["id"], "title": TITLE, "action": ACTION, **overrides}
    return await gql(PUBLISH, {"input": values}, headers=world.headers[who])


def _meeting_values(**overrides) -> dict:
    return {
        "clientId": str(uuid.uuid4()),
        "startsAt": _soon(days=3),
        "endsAt": _soon(days=3, hours=2),
        "place": PLACE,
        "topic": TOPIC,
        "location": {"latitude": 36.401234, "longitude": 43.204567},
        **overrides,
    }


# --- priorities -----------------------------------------------------------------------------------------


async def test_a_commander_publishes_a_priority_and_citizens_read_it_at_once(gql, sessionmaker):
    # given
    world = await _world(gql, sessionmaker)
    problem = await _open(gql, world)
    assert (await _community(gql, world))["publicPriorities"] == []
    # when
    body = await _publish(gql, world, "commander", problem)
    # then
    payload = body["data"]["publishPriority"]
    assert payload["errors"] == [] and payload["problem"]["published"] is True
    public = (await _community(gql, world))["publicPriorities"]
    assert [(p["title"], p["action"], p["stage"]) for p in public] == [
        (TITLE["en"], ACTION["en"], "SCANNING")
    ]
    assert public[0]["titles"] == TITLE and public[0]["actions"] == ACTION
    assert public[0]["id"] == gid("PublicPriority", key_of(problem["id"]))
    ar = (await _community(gql, world, "ar"))["publicPriorities"][0]
    assert (ar["title"], ar["action"]) == (TITLE["ar"], ACTION["ar"])
    # nothing of the officers' own text reaches the public
    assert "Residents say" not in str(public)
    audited = await _scalar(sessionmaker, "SELECT count(*) FROM audit_log WHERE action = 'publishPriority'")
    assert audited == 1
    # when: withdrawn
    body = await gql(UNPUBLISH, {"input": {"problemId": problem["id"]}}, headers=world.headers["commander"])
    assert body["data"]["unpublishPriority"]["problem"]["published"] is False
    assert (await _community(gql, world))["publicPriorities"] == []
    # withdrawing again changes nothing
    body = await gql(UNPUBLISH, {"input": {"problemId": problem["id"]}}, headers=world.headers["commander"])
    assert body["data"]["unpublishPriority"]["errors"] == []


async def _scalar(sessionmaker, sql: str, **params):
    async with sessionmaker() as session:
        return (await session.execute(text(sql), params)).scalar()


async def test_published_text_holds_no_personal_data(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    dv = await _incident(
        gql,
        world,
        category="DOMESTIC_VIOLENCE",
        description="At home.",
        people=[{"name": "Layla Hassan", "role": "VICTIM"}],
    )
    problem = await _open(gql, world, links=[{"kind": "INCIDENT", "id": dv}])
    badge = await _scalar(
        sessionmaker, "SELECT badge_number FROM officers WHERE id = :i", i=world.ids["officer"]
    )
    officer_name = await _scalar(
        sessionmaker, "SELECT name FROM officers WHERE id = :i", i=world.ids["officer"]
    )
    cases = [
        ({**TITLE, "en": "Call 0770 123 4567 for help"}, ACTION, ["title", "en"]),
        (TITLE, {**ACTION, "ar": "اتصل على ٠٧٧٠١٢٣٤٥٦٧"}, ["action", "ar"]),
        (TITLE, {**ACTION, "en": "Write to someone@example.org"}, ["action", "en"]),
        ({**TITLE, "en": f"Ask officer {badge}"}, ACTION, ["title", "en"]),
        (TITLE, {**ACTION, "en": f"{officer_name} leads the patrols"}, ["action", "en"]),
        (TITLE, {**ACTION, "en": "Support for layla hassan's family"}, ["action", "en"]),
        ({**TITLE, "ku": ""}, ACTION, ["title", "ku"]),
    ]
    for title, action, field in cases:
        body = await _publish(gql, world, "commander", problem, title=title, action=action)
        errors = body["data"]["publishPriority"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, "INVALID")], (field, errors)
    assert await _scalar(sessionmaker, "SELECT count(*) FROM problems WHERE published_at IS NOT NULL") == 0
    assert (await _community(gql, world))["publicPriorities"] == []


async def test_who_may_publish_and_withdraw_priorities(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    problem = await _open(gql, world)
    # the station's officers and the supervisor see the problem but may not publish: FORBIDDEN
    for who in ("officer", "colleague", "supervisor"):
        body = await _publish(gql, world, who, problem)
        assert _top_code(body) == "FORBIDDEN" and body["data"] is None, who
        body = await gql(UNPUBLISH, {"input": {"problemId": problem["id"]}}, headers=world.headers[who])
        assert _top_code(body) == "FORBIDDEN", who
    # another station's commander and officer, another governorate's supervisor: as a missing problem
    for who in ("commander_c", "other_station", "supervisor_basra"):
        body = await _publish(gql, world, who, problem)
        assert [e["code"] for e in body["data"]["publishPriority"]["errors"]] == ["NOT_FOUND"], who
    body = await _publish(gql, world, "citizen", problem)
    assert _top_code(body) == "UNAUTHENTICATED"
    assert await _scalar(sessionmaker, "SELECT count(*) FROM problems WHERE published_at IS NOT NULL") == 0
    # the commander and admins may
    for who in ("admin", "commander"):
        body = await _publish(gql, world, who, problem, title={**TITLE, "en": f"Thefts ({who})"})
        assert body["data"]["publishPriority"]["errors"] == [], who
    assert [p["title"] for p in (await _community(gql, world))["publicPriorities"]] == ["Thefts (commander)"]


# --- meetings -------------------------------------------------------------------------------------------


async def test_a_commander_publishes_a_meeting_and_citizens_see_it_until_withdrawn(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    values = _meeting_values()
    body = await gql(PUBLISH_MEETING, {"input": values}, headers=world.headers["commander"])
    payload = body["data"]["publishMeeting"]
    assert payload["errors"] == [], payload
    meeting = payload["meeting"]
    # a coarse point: about 100 m
    assert meeting["location"] == {"latitude": 36.401, "longitude": 43.205}
    # sent again: the same meeting, nothing more
    again = await gql(PUBLISH_MEETING, {"input": values}, headers=world.headers["commander"])
    assert again["data"]["publishMeeting"]["meeting"]["id"] == meeting["id"]
    later = await gql(
        PUBLISH_MEETING,
        {"input": _meeting_values(startsAt=_soon(days=10), endsAt=None)},
        headers=world.headers["commander"],
    )
    assert later["data"]["publishMeeting"]["errors"] == []
    shown = (await _community(gql, world))["upcomingMeetings"]
    assert [m["id"] for m in shown] == [meeting["id"], later["data"]["publishMeeting"]["meeting"]["id"]]
    assert (
        shown[0]["place"] == PLACE["en"] and shown[0]["places"] == PLACE and shown[0]["topic"] == TOPIC["en"]
    )
    assert (await _community(gql, world, "ku"))["upcomingMeetings"][0]["place"] == PLACE["ku"]
    # withdrawn: gone at once
    body = await gql(
        UNPUBLISH_MEETING, {"input": {"meetingId": meeting["id"]}}, headers=world.headers["commander"]
    )
    assert body["data"]["unpublishMeeting"]["meeting"]["withdrawn"] is True
    assert len((await _community(gql, world))["upcomingMeetings"]) == 1
    # a meeting over is no longer upcoming
    async with sessionmaker() as session:
        await session.execute(
            text(
                "UPDATE community_meetings SET starts_at = now() - interval '3 hours', "
                "ends_at = now() - interval '1 hour'"
            )
        )
        await session.commit()
    assert (await _community(gql, world))["upcomingMeetings"] == []


async def test_a_published_meeting_is_never_a_household_engagement_and_is_checked_whole(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    visit = await _engagement(gql, world, who="commander", kind="FAMILY_PROTECTION_FOLLOW_UP", followUps=[])
    other = await _engagement(gql, world, who="other_station", followUps=[])
    for kind in ("HOME_VISIT", "FAMILY_PROTECTION_FOLLOW_UP"):
        body = await gql(
            PUBLISH_MEETING, {"input": _meeting_values(kind=kind)}, headers=world.headers["commander"]
        )
        assert [(e["field"], e["code"]) for e in body["data"]["publishMeeting"]["errors"]] == [
            (["kind"], "INVALID")
        ]
    body = await gql(
        PUBLISH_MEETING,
        {"input": _meeting_values(engagementId=visit["id"])},
        headers=world.headers["commander"],
    )
    assert [(e["field"], e["code"]) for e in body["data"]["publishMeeting"]["errors"]] == [
        (["engagementId"], "INVALID")
    ]
    body = await gql(
        PUBLISH_MEETING,
        {
            "input": _meeting_values(
                startsAt=_soon(hours=-1),
                endsAt=_soon(hours=-3),
                place={**PLACE, "ar": " "},
                topic={**TOPIC, "en": "Call 07701234567"},
                location={"latitude": 99.0, "longitude": 43.2},
                engagementId=other["id"],
            )
        },
        headers=world.headers["commander"],
    )
    errors = {(".".join(e["field"]), e["code"]) for e in body["data"]["publishMeeting"]["errors"]}
    assert errors == {
        ("startsAt", "INVALID"),
        ("endsAt", "INVALID"),
        ("place.ar", "INVALID"),
        ("topic.en", "INVALID"),
        ("location.latitude", "INVALID"),
        ("engagementId", "NOT_FOUND"),
    }
    assert await _scalar(sessionmaker, "SELECT count(*) FROM community_meetings") == 0


async def test_who_may_publish_and_withdraw_meetings(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    station_a = gid("Station", world.a)
    for who in ("officer", "supervisor", "commander_c", "other_station"):
        body = await gql(
            PUBLISH_MEETING, {"input": _meeting_values(stationId=station_a)}, headers=world.headers[who]
        )
        assert _top_code(body) == "FORBIDDEN", who
    body = await gql(PUBLISH_MEETING, {"input": _meeting_values(stationId=station_a)}, headers={})
    assert _top_code(body) == "UNAUTHENTICATED"
    assert await _scalar(sessionmaker, "SELECT count(*) FROM community_meetings") == 0
    made = await gql(
        PUBLISH_MEETING, {"input": _meeting_values(stationId=station_a)}, headers=world.headers["admin"]
    )
    meeting = made["data"]["publishMeeting"]["meeting"]
    for who in ("officer", "supervisor"):
        body = await gql(
            UNPUBLISH_MEETING, {"input": {"meetingId": meeting["id"]}}, headers=world.headers[who]
        )
        assert _top_code(body) == "FORBIDDEN", who
    for who in ("commander_c", "other_station", "supervisor_basra"):
        body = await gql(
            UNPUBLISH_MEETING, {"input": {"meetingId": meeting["id"]}}, headers=world.headers[who]
        )
        assert [e["code"] for e in body["data"]["unpublishMeeting"]["errors"]] == ["NOT_FOUND"], who
    assert len((await _community(gql, world))["upcomingMeetings"]) == 1


# --- the HTTP cache ---------------------------------------------------------------------------------------


async def test_public_gets_of_what_a_station_publishes_revalidate_every_time(gql, client, sessionmaker):
    world = await _world(gql, sessionmaker)
    problem = await _open(gql, world)
    params = {"query": COMMUNITY, "variables": f'{{"id": "{gid("Station", world.a)}"}}'}
    accept = {"accept": "application/graphql-response+json", "accept-language": "en"}
    first = await client.get("/graphql", params=params, headers=accept)
    assert first.status_code == 200 and first.headers["cache-control"] == "public, no-cache"
    etag = first.headers["etag"]
    same = await client.get("/graphql", params=params, headers={**accept, "if-none-match": etag})
    assert same.status_code == 304
    # when the commander publishes, the next revalidation gets the new answer
    await _publish(gql, world, "commander", problem)
    fresh = await client.get("/graphql", params=params, headers={**accept, "if-none-match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    assert fresh.json()["data"]["station"]["publicPriorities"][0]["title"] == TITLE["en"]
    # the rest of the public station data is revalidated as well (a commander's updateStation shows at
    # once: tests/test_station_management.py); Iraq's governorates alone may be a minute old
    plain = await client.get(
        "/graphql",
        params={
            "query": "query S($id: ID!) { station(id: $id) { id name } }",
            "variables": params["variables"],
        },
        headers=accept,
    )
    assert plain.headers["cache-control"] == "public, no-cache"
    governorates = await client.get("/graphql", params={"query": "{ governorates { code } }"}, headers=accept)
    assert governorates.headers["cache-control"] == "public, max-age=60"


def test_personal_data_is_found_in_any_script_and_names_only_as_whole_words():
    from resolvers.station_publishing import personal_data

    names, badges = ["Omar Khalid", "Layla Hassan", "سارة محمود"], ["B00042"]
    assert personal_data("Call +964 770-123-4567", names, badges) == "a phone number"
    assert personal_data("اتصل ٠٧٧٠ ١٢٣ ٤٥٦٧", names, badges) == "a phone number"
    assert personal_data("officer b00042 leads it", names, badges) == "a badge number"
    assert personal_data("Help for LAYLA  HASSAN", names, badges) == "a person's name"
    assert personal_data("مساعدة سارة محمود", names, badges) == "a person's name"
    assert personal_data("Omar Khalidiya street lights", names, badges) is None
    assert personal_data("Patrols from 18:00 to 23:00 on 3 streets", names, badges) is None
    assert personal_data("مساعدة ساره محمود", names, badges) == "a person's name"  # taa marbuta folded


def test_what_revalidates_every_time():
    from graphql import OperationDefinitionNode, parse

    from api.http_cache import cache_control, is_public
    from mobile_contract import releases

    def control(document: str) -> str | None:
        (op,) = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
        return cache_control(op) if is_public(op) else None

    assert control("query { station(id: 1) { upcomingMeetings { id } } }") == "public, no-cache"
    assert control("query { stations { edges { node { publicPriorities { id } } } } }") == "public, no-cache"
    assert control("query { station(id: 1) { ...F } } fragment F on Station { id }") == "public, no-cache"
    assert control("query { station(id: 1) { id name phone } }") == "public, no-cache"
    assert control("query { publicHolidays(year: 2025) { key } }") == "public, no-cache"
    assert control("query { governorates { code } g: __typename }") == "public, max-age=60"
    assert control("query { governorates { code } station(id: 1) { id } }") == "public, no-cache"
    # Every operation the citizen app ships that reads stations is revalidated every time.
    shipped = {op.name: control(op.document) for op in releases.operations_of("citizen")}
    assert shipped["Governorates"] == "public, max-age=60"
    for name in ("NearestStations", "SearchStations", "Station", "StationCommunity"):
        assert shipped[name] == "public, no-cache", name
    assert not any(value == "public, max-age=60" for name, value in shipped.items() if name != "Governorates")
