"""Stations run through the API: updateStation, addStationClosure, removeStationClosure.

Who may (the station's commander, admins; refused for everyone else, each refusal), whole-input checks
naming every field, all or nothing, CONFLICT on a stale version, idempotency by clientId, the audit log,
and public answers that change at once: isOpen, nearestStations(openNow) through the open_weekly index,
and persisted GETs, whose ETag changes and whose 304 is never served for the old answer."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from mobile_contract import releases
from tests.factories import make_officer, make_station, sign_in, weekly
from tests.test_persisted import ACCEPT, get_params
from tests.test_stations_api import gid

UPDATE = """
mutation U($input: UpdateStationInput!) {
  updateStation(input: $input) {
    station {
      id version name names { ar ku en } address addresses { ar ku en } phone services alwaysOpen
      closesOnHolidays desks { service closesOnHolidays hasOwnHours }
      openingHours { weekday opens closes service }
    }
    currentVersion
    errors { field code message }
  }
}
"""
ADD = """
mutation A($input: AddStationClosureInput!) {
  addStationClosure(input: $input) {
    station { id version isOpen }
    closure { id startsAt endsAt reason reasons { ar ku en } services }
    currentVersion
    errors { field code message }
  }
}
"""
REMOVE = """
mutation R($input: RemoveStationClosureInput!) {
  removeStationClosure(input: $input) {
    station { id version isOpen closures { id } }
    currentVersion
    errors { field code message }
  }
}
"""
OPEN = """
query O($id: ID!, $service: StationService) {
  station(id: $id) { version isOpen desk: isOpen(service: $service) closures { id reason services } }
  nearestStations(near: {latitude: 36.35, longitude: 43.15}, openNow: true, first: 5) { station { id } }
}
"""
NOW_PLUS = lambda **delta: (datetime.now(UTC) + timedelta(**delta)).isoformat()  # noqa: E731


async def _setup(sessionmaker, **station):
    """A station, its commander, another station's commander, an officer, a supervisor and an admin."""
    async with sessionmaker() as session:
        mine = await make_station(session, **station)
        other = await make_station(session, latitude=36.2, longitude=43.0)
        badges = {
            "commander": (await make_officer(session, role="STATION_COMMANDER", station_id=mine))[1],
            "other": (await make_officer(session, role="STATION_COMMANDER", station_id=other))[1],
            "officer": (await make_officer(session, station_id=mine))[1],
            "supervisor": (await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)))[1],
            "admin": (await make_officer(session, role="ADMIN"))[1],
        }
        await session.commit()
    return mine, other, badges


async def _payload(gql, query, field, values, headers):
    body = await gql(query, {"input": values}, headers=headers)
    assert "errors" not in body, body
    return body["data"][field]


async def test_a_commander_changes_everything_their_station_says(gql, sessionmaker):
    # given
    station, _, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges["commander"])
    # when
    payload = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {
            "stationId": gid("Station", station),
            "expectedVersion": 1,
            "names": {"ar": "مركز شرطة الزهور", "en": "Al-Zuhour Police Station"},
            "addresses": {"ar": "شارع الجامعة", "ku": "شەقامی زانکۆ", "en": "University Street"},
            "phone": "+964 770 123 4567",
            "services": ["COMMUNITY_POLICING", "FAMILY_AND_CHILD_PROTECTION"],
            "alwaysOpen": False,
            "closesOnHolidays": False,
            "desksClosedOnHolidays": ["FAMILY_AND_CHILD_PROTECTION"],
            "openingHours": [{"weekday": d, "opens": "08:00", "closes": "20:00"} for d in range(1, 8)],
            "deskHours": [
                {
                    "service": "FAMILY_AND_CHILD_PROTECTION",
                    "periods": [{"weekday": 6, "opens": "08:00", "closes": "14:00"}],
                }
            ],
        },
        headers,
    )
    # then
    assert payload["errors"] == [] and payload["currentVersion"] == 2
    got = payload["station"]
    assert got["version"] == 2 and got["names"]["en"] == "Al-Zuhour Police Station"
    assert got["names"]["ku"] is not None  # a language not given is left as it was
    assert got["addresses"] == {"ar": "شارع الجامعة", "ku": "شەقامی زانکۆ", "en": "University Street"}
    assert got["address"] == "شارع الجامعة"  # the client's language (Arabic by default)
    assert got["phone"] == "+964 770 123 4567" and got["alwaysOpen"] is False
    assert got["desks"] == [
        {"service": "COMMUNITY_POLICING", "closesOnHolidays": False, "hasOwnHours": False},
        {"service": "FAMILY_AND_CHILD_PROTECTION", "closesOnHolidays": True, "hasOwnHours": True},
    ]
    assert len(got["openingHours"]) == 8
    async with sessionmaker() as session:
        found = await session.execute(
            text(
                "SELECT action, officer_id IS NOT NULL, before->>'version', after->>'version' FROM audit_log "
                "WHERE entity_type = 'Station' AND entity_id = :id"
            ),
            {"id": str(station)},
        )
        assert found.all() == [("updateStation", True, "1", "2")]
        # Searching by the new name finds it (the search key follows the names).
        key = await session.execute(text("SELECT search_key FROM stations WHERE id = :id"), {"id": station})
        assert "zuhour" in key.scalar_one()


@pytest.mark.parametrize("who", ["other", "officer", "supervisor"])
async def test_everyone_but_its_commander_and_admins_is_refused(gql, sessionmaker, who):
    # given
    station, _, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges[who])
    closure_id = await _closure_of(sessionmaker, station)
    station_id = gid("Station", station)
    attempts = [
        (UPDATE, {"stationId": station_id, "expectedVersion": 1, "phone": "1234"}),
        (
            ADD,
            {
                "stationId": station_id,
                "expectedVersion": 1,
                "startsAt": NOW_PLUS(hours=1),
                "endsAt": NOW_PLUS(hours=2),
                "reason": {"en": "x"},
            },
        ),
        (REMOVE, {"closureId": gid("StationClosure", closure_id), "expectedVersion": 1}),
    ]
    for query, values in attempts:
        # when
        body = await gql(query, {"input": values}, headers=headers)
        # then
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await _state(sessionmaker, station) == (1, 1)  # nothing written


async def test_citizens_are_asked_to_sign_in(gql, sessionmaker):
    station, _, _ = await _setup(sessionmaker)
    body = await gql(
        UPDATE, {"input": {"stationId": gid("Station", station), "expectedVersion": 1, "phone": "1"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_admin_runs_any_station(gql, sessionmaker):
    station, other, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges["admin"])
    for target in (station, other):
        payload = await _payload(
            gql,
            UPDATE,
            "updateStation",
            {"stationId": gid("Station", target), "expectedVersion": 1, "phone": "07701234567"},
            headers,
        )
        assert payload["errors"] == [] and payload["station"]["phone"] == "07701234567"


async def _closure_of(sessionmaker, station: int) -> int:
    async with sessionmaker() as session:
        found = await session.execute(
            text(
                "INSERT INTO station_closures (station_id, starts_at, ends_at, reason_en) "
                "VALUES (:s, now() + interval '1 day', now() + interval '2 days', 'Training') RETURNING id"
            ),
            {"s": station},
        )
        closure = found.scalar_one()
        await session.commit()
    return closure


async def _state(sessionmaker, station: int) -> tuple[int, int]:
    """(version, closures) of the station."""
    async with sessionmaker() as session:
        found = await session.execute(
            text(
                "SELECT version, (SELECT count(*) FROM station_closures WHERE station_id = s.id) "
                "FROM stations s WHERE id = :s"
            ),
            {"s": station},
        )
        version, closures = found.one()
    return version, closures


async def test_bad_input_is_named_field_by_field_and_nothing_is_written(gql, sessionmaker):
    # given
    station, _, badges = await _setup(
        sessionmaker, services=("COMMUNITY_POLICING",), always_open=False, hours=weekly("08:00", "14:00")
    )
    headers = await sign_in(gql, badges["commander"])
    # when: overlapping hours, a weekday and a time out of range, a desk the station does not offer,
    # no Arabic or English name left, a phone with letters
    payload = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {
            "stationId": gid("Station", station),
            "expectedVersion": 1,
            "names": {"ar": "", "en": ""},
            "phone": "call us",
            "openingHours": [
                {"weekday": 1, "opens": "08:00", "closes": "14:00"},
                {"weekday": 1, "opens": "13:00", "closes": "18:00"},
                {"weekday": 8, "opens": "08:00", "closes": "14:00"},
                {"weekday": 2, "opens": "25:00", "closes": "14:00"},
            ],
            "deskHours": [{"service": "TRAFFIC", "periods": []}],
            "desksClosedOnHolidays": ["JUVENILE_POLICE"],
        },
        headers,
    )
    # then
    fields = {".".join(e["field"] or []): e["code"] for e in payload["errors"]}
    assert fields == {
        "names": "INVALID",
        "phone": "INVALID",
        "openingHours.1": "INVALID",
        "openingHours.2.weekday": "INVALID",
        "openingHours.3": "INVALID",
        "deskHours.0.service": "INVALID",
        "desksClosedOnHolidays.0": "INVALID",
    }
    overlap = next(e for e in payload["errors"] if e["field"] == ["openingHours", "1"])
    assert "openingHours.0" in overlap["message"]
    assert payload["station"] is None and await _state(sessionmaker, station) == (1, 0)


async def test_a_phone_in_arabic_digits_is_kept_in_ascii_and_lists_are_bounded(gql, sessionmaker):
    station, _, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges["commander"])
    sid = gid("Station", station)
    payload = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {"stationId": sid, "expectedVersion": 1, "phone": "٠٧٧٠ ١٢٣ ٤٥٦٧"},
        headers,
    )
    assert payload["errors"] == [] and payload["station"]["phone"] == "0770 123 4567"
    many = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {
            "stationId": sid,
            "expectedVersion": 2,
            "services": ["TRAFFIC"] * 5000,
            "deskHours": [{"service": "TRAFFIC", "periods": []}] * 50,
        },
        headers,
    )
    assert sorted(e["field"][0] for e in many["errors"]) == ["deskHours", "services"]


async def test_hours_past_midnight_that_run_into_the_next_period_overlap(gql, sessionmaker):
    station, _, badges = await _setup(sessionmaker, always_open=False)
    headers = await sign_in(gql, badges["commander"])
    payload = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {
            "stationId": gid("Station", station),
            "expectedVersion": 1,
            "openingHours": [
                {"weekday": 7, "opens": "20:00", "closes": "02:00"},  # Sunday night into Monday
                {"weekday": 1, "opens": "01:00", "closes": "09:00"},
            ],
        },
        headers,
    )
    assert [e["field"] for e in payload["errors"]] == [["openingHours", "1"]]


async def test_an_always_open_station_keeps_no_hours_of_its_own_and_nothing_is_a_change(gql, sessionmaker):
    station, _, badges = await _setup(sessionmaker)  # always open
    headers = await sign_in(gql, badges["commander"])
    sid = gid("Station", station)
    hours = [{"weekday": 1, "opens": "08:00", "closes": "14:00"}]
    payload = await _payload(
        gql, UPDATE, "updateStation", {"stationId": sid, "expectedVersion": 1, "openingHours": hours}, headers
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["openingHours"], "INVALID")]
    payload = await _payload(gql, UPDATE, "updateStation", {"stationId": sid, "expectedVersion": 1}, headers)
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    bad_id = await _payload(
        gql, UPDATE, "updateStation", {"stationId": "nope", "expectedVersion": 1, "phone": "1"}, headers
    )
    assert [(e["field"], e["code"]) for e in bad_id["errors"]] == [(["stationId"], "INVALID")]
    missing = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {"stationId": gid("Station", 10**12), "expectedVersion": 1, "phone": "1"},
        headers,
    )
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [(["stationId"], "NOT_FOUND")]


async def test_a_stale_version_is_a_conflict_with_the_current_station(gql, sessionmaker):
    # given: the station changed since the commander loaded it
    station, _, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges["commander"])
    sid = gid("Station", station)
    first = await _payload(
        gql, UPDATE, "updateStation", {"stationId": sid, "expectedVersion": 1, "phone": "111"}, headers
    )
    assert first["errors"] == []
    # when
    stale = await _payload(
        gql, UPDATE, "updateStation", {"stationId": sid, "expectedVersion": 1, "phone": "222"}, headers
    )
    # then
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [(["expectedVersion"], "CONFLICT")]
    assert stale["currentVersion"] == 2 and stale["station"]["phone"] == "111"
    closure = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "startsAt": NOW_PLUS(hours=1),
            "endsAt": NOW_PLUS(hours=3),
            "reason": {"en": "x"},
        },
        headers,
    )
    assert [e["code"] for e in closure["errors"]] == ["CONFLICT"] and closure["currentVersion"] == 2
    assert await _state(sessionmaker, station) == (2, 0)


async def test_the_same_client_id_again_changes_nothing_more(gql, sessionmaker):
    station, _, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges["commander"])
    sid, client_id = gid("Station", station), str(uuid.uuid4())
    values = {"stationId": sid, "expectedVersion": 1, "phone": "333", "clientId": client_id}
    first = await _payload(gql, UPDATE, "updateStation", values, headers)
    again = await _payload(gql, UPDATE, "updateStation", values, headers)
    assert first["errors"] == again["errors"] == [] and again["station"]["version"] == 2
    other = await _payload(gql, UPDATE, "updateStation", {**values, "phone": "444"}, headers)
    assert [(e["field"], e["code"]) for e in other["errors"]] == [(["clientId"], "CONFLICT")]
    # A closure sent twice is added once, and the retry answers with it.
    closure = {
        "stationId": sid,
        "expectedVersion": 2,
        "startsAt": NOW_PLUS(days=1),
        "endsAt": NOW_PLUS(days=2),
        "reason": {"ar": "تدريب"},
        "clientId": str(uuid.uuid4()),
    }
    added = await _payload(gql, ADD, "addStationClosure", closure, headers)
    added_again = await _payload(gql, ADD, "addStationClosure", closure, headers)
    assert added["errors"] == added_again["errors"] == []
    assert added_again["closure"]["id"] == added["closure"]["id"]
    assert await _state(sessionmaker, station) == (3, 1)
    removal = {"closureId": added["closure"]["id"], "expectedVersion": 3, "clientId": str(uuid.uuid4())}
    removed = await _payload(gql, REMOVE, "removeStationClosure", removal, headers)
    removed_again = await _payload(gql, REMOVE, "removeStationClosure", removal, headers)
    assert removed["errors"] == removed_again["errors"] == [] and removed_again["station"]["version"] == 4
    assert await _state(sessionmaker, station) == (4, 0)


async def test_a_closure_closes_the_station_at_once_and_its_removal_opens_it(gql, sessionmaker):
    # given: an always-open station, found by nearestStations(openNow)
    station, _, badges = await _setup(sessionmaker, services=("COMMUNITY_POLICING", "TRAFFIC"))
    headers = await sign_in(gql, badges["commander"])
    sid = gid("Station", station)
    before = (await gql(OPEN, {"id": sid, "service": "TRAFFIC"}))["data"]
    assert before["station"]["isOpen"] and sid in [n["station"]["id"] for n in before["nearestStations"]]
    # when: the commander closes it from now
    added = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "startsAt": NOW_PLUS(minutes=-5),
            "endsAt": NOW_PLUS(hours=4),
            "reason": {"ar": "صيانة", "ku": "چاککردنەوە", "en": "Repairs"},
        },
        headers,
    )
    # then
    assert added["errors"] == [] and added["station"] == {"id": sid, "version": 2, "isOpen": False}
    assert added["closure"]["reasons"] == {"ar": "صيانة", "ku": "چاککردنەوە", "en": "Repairs"}
    assert added["closure"]["reason"] == "صيانة" and added["closure"]["services"] is None
    during = (await gql(OPEN, {"id": sid, "service": "TRAFFIC"}))["data"]
    assert during["station"]["isOpen"] is False and during["station"]["desk"] is False
    assert sid not in [n["station"]["id"] for n in during["nearestStations"]]
    assert [c["id"] for c in during["station"]["closures"]] == [added["closure"]["id"]]
    # when: it is removed
    removed = await _payload(
        gql,
        REMOVE,
        "removeStationClosure",
        {"closureId": added["closure"]["id"], "expectedVersion": 2},
        headers,
    )
    # then
    assert removed["errors"] == [] and removed["station"]["isOpen"] is True
    assert removed["station"]["closures"] == []
    after = (await gql(OPEN, {"id": sid, "service": "TRAFFIC"}))["data"]
    assert after["station"]["isOpen"] and sid in [n["station"]["id"] for n in after["nearestStations"]]
    async with sessionmaker() as session:
        actions = await session.execute(
            text(
                "SELECT action FROM audit_log WHERE entity_type = 'Station' AND entity_id = :id ORDER BY id"
            ),
            {"id": str(station)},
        )
        assert actions.scalars().all() == ["addStationClosure", "removeStationClosure"]


async def test_a_desk_closure_closes_only_that_desk(gql, sessionmaker):
    station, _, badges = await _setup(sessionmaker, services=("COMMUNITY_POLICING", "TRAFFIC"))
    headers = await sign_in(gql, badges["commander"])
    sid = gid("Station", station)
    added = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "startsAt": NOW_PLUS(minutes=-1),
            "endsAt": NOW_PLUS(hours=1),
            "services": ["TRAFFIC"],
            "reason": {"en": "Traffic officers at a checkpoint"},
        },
        headers,
    )
    assert added["errors"] == [] and added["closure"]["services"] == ["TRAFFIC"]
    now = (await gql(OPEN, {"id": sid, "service": "TRAFFIC"}))["data"]["station"]
    assert now["isOpen"] is True and now["desk"] is False


async def test_closures_are_checked_whole(gql, sessionmaker):
    station, _, badges = await _setup(sessionmaker, services=("COMMUNITY_POLICING",))
    headers = await sign_in(gql, badges["commander"])
    sid = gid("Station", station)
    # an end before the start, an unknown desk, no reason, a reason too long
    payload = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "startsAt": NOW_PLUS(days=2),
            "endsAt": NOW_PLUS(days=1),
            "services": ["TRAFFIC", "TRAFFIC"],
            "reason": {"en": "  ", "ar": "x" * 501},
        },
        headers,
    )
    fields = sorted(".".join(e["field"]) for e in payload["errors"])
    assert fields == ["endsAt", "reason.ar", "services.0", "services.1", "services.1"]
    # a closure in the past (and with no reason), or one that would last more than a year
    past = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "startsAt": NOW_PLUS(days=-3),
            "endsAt": NOW_PLUS(days=-2),
            "reason": {"en": " "},
        },
        headers,
    )
    assert sorted(".".join(e["field"]) for e in past["errors"]) == ["endsAt", "reason", "startsAt"]
    long = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "startsAt": NOW_PLUS(days=1),
            "endsAt": NOW_PLUS(days=400),
            "reason": {"en": "x"},
        },
        headers,
    )
    assert [e["field"] for e in long["errors"]] == [["endsAt"]]
    assert await _state(sessionmaker, station) == (1, 0)
    # a closure that is over is kept: it cannot be removed
    async with sessionmaker() as session:
        over = await session.execute(
            text(
                "INSERT INTO station_closures (station_id, starts_at, ends_at, reason) "
                "VALUES (:s, now() - interval '2 days', now() - interval '1 day', 'Past') RETURNING id"
            ),
            {"s": station},
        )
        over_id = over.scalar_one()
        await session.commit()
    refused = await _payload(
        gql,
        REMOVE,
        "removeStationClosure",
        {"closureId": gid("StationClosure", over_id), "expectedVersion": 1},
        headers,
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["closureId"], "INVALID")]
    gone = await _payload(
        gql,
        REMOVE,
        "removeStationClosure",
        {"closureId": gid("StationClosure", 10**12), "expectedVersion": 1},
        headers,
    )
    assert [e["code"] for e in gone["errors"]] == ["NOT_FOUND"]


async def test_new_hours_are_in_the_open_weekly_index_at_once(gql, sessionmaker):
    # given: an always-open station
    station, _, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges["commander"])
    sid = gid("Station", station)
    # when: its hours become one minute a week, at a time that is not now
    now = datetime.now(UTC).astimezone().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Baghdad"))
    weekday = (now + timedelta(days=3)).isoweekday()
    payload = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "alwaysOpen": False,
            "openingHours": [{"weekday": weekday, "opens": "10:00", "closes": "10:01"}],
        },
        headers,
    )
    assert payload["errors"] == []
    # then: the trigger recomputed open_weekly, and the open-now search (which tests it in SQL) skips it
    async with sessionmaker() as session:
        start = (weekday - 1) * 1440 + 600  # slot 0, the station itself: its one open minute
        weekly_minutes = await session.execute(
            text(
                "SELECT open_weekly @> CAST(:m AS int), open_weekly @> CAST(:after AS int), "
                "open_weekly @> CAST(:before AS int), open_weekly @> 0 FROM stations WHERE id = :s"
            ),
            {"s": station, "m": start, "after": start + 1, "before": start - 1},
        )
        assert weekly_minutes.one() == (True, False, False, False)
    found = (await gql(OPEN, {"id": sid, "service": None}))["data"]
    assert found["station"]["isOpen"] is False
    assert sid not in [n["station"]["id"] for n in found["nearestStations"]]


OPS = {(m.app, op.name): op for m in releases.load_all() for op in m.operations}


@pytest.mark.parametrize("name", ["NearestStations", "Station"])
async def test_a_persisted_get_has_a_new_etag_and_the_new_data_right_after_a_change(
    client, gql, sessionmaker, name
):
    # given: a citizen's cached answer
    station, _, badges = await _setup(sessionmaker)
    headers = await sign_in(gql, badges["commander"])
    operation = OPS[("citizen", name)]
    variables = (
        {"id": gid("Station", station)}
        if name == "Station"
        else {"near": {"latitude": 36.35, "longitude": 43.15}, "first": 3, "openNow": True}
    )
    params = get_params(operation.sha256, variables)
    first = await client.get("/graphql", params=params, headers=ACCEPT)
    # a shared cache may keep it, but asks every time: nothing serves the old station after a change
    assert first.status_code == 200 and first.headers["cache-control"] == "public, no-cache"
    etag = first.headers["etag"]
    assert (
        await client.get("/graphql", params=params, headers={**ACCEPT, "if-none-match": etag})
    ).status_code == 304
    # when: the commander changes the phone number
    payload = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {"stationId": gid("Station", station), "expectedVersion": 1, "phone": "+964 780 555 0101"},
        headers,
    )
    assert payload["errors"] == []
    # then: revalidating with the old ETag gets the new answer, not a 304
    again = await client.get("/graphql", params=params, headers={**ACCEPT, "if-none-match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag
    body = again.json()["data"]
    phones = (
        [body["station"]["phone"]]
        if name == "Station"
        else [
            n["station"]["phone"]
            for n in body["nearestStations"]
            if n["station"]["id"] == gid("Station", station)
        ]
    )
    assert phones == ["+964 780 555 0101"]
    # and a closure added now empties the open-now answer at once, under yet another ETag
    closed = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": gid("Station", station),
            "expectedVersion": 2,
            "startsAt": NOW_PLUS(minutes=-1),
            "endsAt": NOW_PLUS(hours=1),
            "reason": {"en": "x"},
        },
        headers,
    )
    assert closed["errors"] == []
    third = await client.get(
        "/graphql", params=params, headers={**ACCEPT, "if-none-match": again.headers["etag"]}
    )
    assert third.status_code == 200 and third.headers["etag"] not in (etag, again.headers["etag"])
    if name == "Station":
        assert third.json()["data"]["station"]["isOpen"] is False
    else:
        ids = [n["station"]["id"] for n in third.json()["data"]["nearestStations"]]
        assert gid("Station", station) not in ids
    # and the new answer is revalidated as the old one was: a 304 while nothing changes again
    assert third.headers["cache-control"] == "public, no-cache"
    fourth = await client.get(
        "/graphql", params=params, headers={**ACCEPT, "if-none-match": third.headers["etag"]}
    )
    assert fourth.status_code == 304 and fourth.headers["cache-control"] == "public, no-cache"


async def test_a_re_import_silent_on_closures_keeps_those_made_through_the_api(gql, sessionmaker):
    # given: a station imported from OpenStreetMap, then closed tomorrow by its commander
    from resolvers.station_export import same_as_stored, stored_records
    from resolvers.station_import import parse_geojson
    from resolvers.station_writer import write_stations
    from tests.test_station_import import collection, osm

    def parsed(feature: dict) -> list:
        result = parse_geojson(collection(feature))
        assert result.errors == []
        return [record for _, record in result.records]

    async with sessionmaker() as session:
        await write_stations(session, parsed(osm("node/77", opening_hours="24/7")))
        station = (
            await session.execute(text("SELECT id FROM stations WHERE external_id = 'node/77'"))
        ).scalar_one()
        _, badge = await make_officer(session, role="STATION_COMMANDER", station_id=station)
        await session.commit()
    headers = await sign_in(gql, badge)
    added = await _payload(
        gql,
        ADD,
        "addStationClosure",
        {
            "stationId": gid("Station", station),
            "expectedVersion": 1,
            "startsAt": NOW_PLUS(days=1),
            "endsAt": NOW_PLUS(days=2),
            "reason": {"en": "Training"},
        },
        headers,
    )
    assert added["errors"] == []
    # when: the same export is imported again (it says nothing of closures)
    again = parsed(osm("node/77", opening_hours="24/7"))
    async with sessionmaker() as session:
        stored = await stored_records(session, ["node/77"])
        assert same_as_stored(again[0], stored["node/77"])  # nothing to write
        await write_stations(session, parsed(osm("node/77", opening_hours="24/7", name__en="Renamed")))
        await session.commit()
    # then: the commander's closure is still there
    assert await _state(sessionmaker, station) == (3, 1)
    # and a file that states closures (even none) states them in full: Markaz's own export format
    from resolvers.station_export import geojson_feature

    stating = geojson_feature(dataclasses.replace(stored["node/77"], closures=()))
    assert stating["properties"]["closures"] == []
    async with sessionmaker() as session:
        await write_stations(session, parsed(stating))
        await session.commit()
    assert (await _state(sessionmaker, station))[1] == 0
