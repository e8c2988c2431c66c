"""Iraq's public holidays: the computed dates against published calendars, moves and one-offs by admins
(refused for everyone else), and stations and desks that close on holidays in isOpen, nextChangeAt and
nearestStations(openNow)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from resolvers import holidays
from tests.factories import make_officer, make_station, sign_in, weekly
from tests.test_stations_api import gid

BAGHDAD = ZoneInfo("Asia/Baghdad")

# Published dates (first day), each from the Umm al-Qura calendar as Saudi Arabia announced it and as
# Iraq's government kept it, and the Iraqi press reported:
#   Eid al-Fitr 1444 2023-04-21, 1445 2024-04-10, 1446 2025-03-30 (Iraq's holiday 30 March - 2 April);
#   Eid al-Adha 1444 2023-06-28, 1445 2024-06-16, 1446 2025-06-06;
#   Islamic New Year 1446 2024-07-07, 1447 2025-06-26; Ashura 1446 2024-07-16;
#   Eid al-Ghadir 1445 2024-06-24 ("Al-Ghadeer Day will be observed on June 24 this year", 964media,
#   2024, when the Official Holidays Law was ratified); the Prophet's Birthday 1446 2024-09-15.
PUBLISHED = {
    "eid-al-fitr-1444": "2023-04-21",
    "eid-al-fitr-1445": "2024-04-10",
    "eid-al-fitr-1446": "2025-03-30",
    "eid-al-adha-1444": "2023-06-28",
    "eid-al-adha-1445": "2024-06-16",
    "eid-al-adha-1446": "2025-06-06",
    "islamic-new-year-1446": "2024-07-07",
    "islamic-new-year-1447": "2025-06-26",
    "ashura-1446": "2024-07-16",
    "eid-al-ghadir-1445": "2024-06-24",
    "mawlid-1446": "2024-09-15",
}


@pytest.mark.parametrize(("key", "first_day"), sorted(PUBLISHED.items()))
def test_the_hijri_dates_are_those_published(key, first_day):
    holiday = holidays.computed_by_key(key)
    assert holiday is not None and holiday.starts_on.isoformat() == first_day
    listed = {h.key: h for h in holidays.computed_holidays(holiday.starts_on.year)}
    assert listed[key] == holiday


def test_a_year_lists_the_laws_holidays_with_their_lengths():
    found = {
        h.key: (h.starts_on.isoformat(), h.ends_on.isoformat(), h.national)
        for h in holidays.computed_holidays(2025)
    }
    assert found == {
        "new-year-2025": ("2025-01-01", "2025-01-01", True),
        "army-day-2025": ("2025-01-06", "2025-01-06", True),
        "remembrance-day-2025": ("2025-03-16", "2025-03-16", True),
        "nowruz-2025": ("2025-03-21", "2025-03-21", True),
        "eid-al-fitr-1446": ("2025-03-30", "2025-04-01", True),  # 1-3 Shawwal
        "labour-day-2025": ("2025-05-01", "2025-05-01", True),
        "eid-al-adha-1446": ("2025-06-06", "2025-06-09", True),  # 10-13 Dhu al-Hijjah
        "eid-al-ghadir-1446": ("2025-06-14", "2025-06-14", True),
        "islamic-new-year-1447": ("2025-06-26", "2025-06-26", True),
        "ashura-1447": ("2025-07-05", "2025-07-05", True),
        "mawlid-1447": ("2025-09-04", "2025-09-04", True),
        "christmas-2025": ("2025-12-25", "2025-12-25", False),  # the law's holiday for Christians
    }


def test_a_gregorian_year_can_hold_two_islamic_new_years():
    keys = [h.key for h in holidays.computed_holidays(2008) if h.key.startswith("islamic-new-year")]
    assert keys == ["islamic-new-year-1429", "islamic-new-year-1430"]


def test_years_outside_the_tables_are_refused():
    for year in (holidays.FIRST_YEAR - 1, holidays.LAST_YEAR + 1):
        with pytest.raises(ValueError):
            holidays.computed_holidays(year)
    assert holidays.computed_holidays(holidays.FIRST_YEAR) and holidays.computed_holidays(holidays.LAST_YEAR)
    assert holidays.computed_by_key("eid-al-fitr-1600") is None and holidays.computed_by_key("nowruz") is None


def test_a_moved_holiday_wins_and_one_offs_join():
    moved = holidays.Change("eid-al-fitr-1446", "MOVED", date(2025, 3, 31), date(2025, 4, 2), {})
    one_off = holidays.Change(
        "one-off-2025-12-10", "ONE_OFF", date(2025, 12, 10), date(2025, 12, 10), {"en": "Victory Day"}
    )
    found = {h.key: h for h in holidays.holidays_of_year(2025, [moved, one_off])}
    assert (found["eid-al-fitr-1446"].starts_on, found["eid-al-fitr-1446"].moved) == (date(2025, 3, 31), True)
    assert found["one-off-2025-12-10"].kind == holidays.ONE_OFF


HOLIDAYS = """
query H($year: Int!) {
  publicHolidays(year: $year) { key kind startsOn endsOn name names { ar ku en } national moved hijriDate }
}
"""
MOVE = """
mutation M($input: MovePublicHolidayInput!) {
  movePublicHoliday(input: $input) { holiday { key startsOn endsOn moved } errors { field code message } }
}
"""
SET = """
mutation S($input: SetPublicHolidayInput!) {
  setPublicHoliday(input: $input) { holiday { key kind startsOn endsOn name national } errors { field code } }
}
"""
REMOVE = """
mutation R($input: RemovePublicHolidayInput!) {
  removePublicHoliday(input: $input) { holiday { key startsOn moved } errors { field code } }
}
"""
STATION = """
query S($id: ID!, $at: DateTime!) {
  station(id: $id) {
    closesOnHolidays isOpen(at: $at) nextChangeAt(at: $at)
    family: isOpen(at: $at, service: FAMILY_AND_CHILD_PROTECTION)
  }
  nearestStations(near: {latitude: 36.35, longitude: 43.15}, openNow: true, at: $at, first: 5) {
    station { id }
  }
}
"""


def _at(*args: int) -> str:
    return datetime(*args, tzinfo=BAGHDAD).isoformat()


async def _admin(gql, sessionmaker, role: str = "ADMIN") -> dict[str, str]:
    """Headers of a signed-in officer of `role` (an admin by default)."""
    async with sessionmaker() as session:
        if role == "SUPERVISOR":
            _, badge = await make_officer(session, role=role, governorates=("IQ-NI",))
        elif role == "ADMIN":
            _, badge = await make_officer(session, role=role)
        else:
            _, badge = await make_officer(session, role=role, station_id=await make_station(session))
        await session.commit()
    return await sign_in(gql, badge)


async def test_public_holidays_are_public_and_by_date(gql):
    body = await gql(HOLIDAYS, {"year": 2024}, headers={"accept-language": "en"})
    listed = body["data"]["publicHolidays"]
    assert [h["startsOn"] for h in listed] == sorted(h["startsOn"] for h in listed)
    fitr = next(h for h in listed if h["key"] == "eid-al-fitr-1445")
    assert fitr == {
        "key": "eid-al-fitr-1445",
        "kind": "ISLAMIC",
        "startsOn": "2024-04-10",
        "endsOn": "2024-04-12",
        "name": "Eid al-Fitr",
        "names": {"ar": "عيد الفطر", "ku": "جەژنی ڕەمەزان", "en": "Eid al-Fitr"},
        "national": True,
        "moved": False,
        "hijriDate": "1445-10-01",
    }
    bad = await gql(HOLIDAYS, {"year": 1900})
    assert bad["data"] is None and bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_admin_moves_a_holiday_and_the_moved_date_wins(gql, sessionmaker):
    headers = await _admin(gql, sessionmaker)
    moved = await gql(MOVE, {"input": {"key": "eid-al-fitr-1446", "startsOn": "2025-03-31"}}, headers=headers)
    assert moved["data"]["movePublicHoliday"] == {
        "holiday": {
            "key": "eid-al-fitr-1446",
            "startsOn": "2025-03-31",
            "endsOn": "2025-04-02",
            "moved": True,
        },
        "errors": [],
    }
    listed = {h["key"]: h for h in (await gql(HOLIDAYS, {"year": 2025}))["data"]["publicHolidays"]}
    assert (listed["eid-al-fitr-1446"]["startsOn"], listed["eid-al-fitr-1446"]["moved"]) == (
        "2025-03-31",
        True,
    )
    back = await gql(REMOVE, {"input": {"key": "eid-al-fitr-1446"}}, headers=headers)
    assert back["data"]["removePublicHoliday"]["holiday"] == {
        "key": "eid-al-fitr-1446",
        "startsOn": "2025-03-30",
        "moved": False,
    }
    async with sessionmaker() as session:
        found = await session.execute(
            text(
                "SELECT action FROM audit_log WHERE entity_type = 'PublicHoliday' "
                "AND entity_id = 'eid-al-fitr-1446' ORDER BY id"
            )
        )
        assert found.scalars().all() == ["movePublicHoliday", "removePublicHoliday"]


async def test_holiday_changes_are_checked(gql, sessionmaker):
    headers = await _admin(gql, sessionmaker)

    async def errors(query: str, field: str, values: dict) -> list:
        body = await gql(query, {"input": values}, headers=headers)
        return [(e["field"], e["code"]) for e in body["data"][field]["errors"]]

    assert await errors(MOVE, "movePublicHoliday", {"key": "no-such-2025", "startsOn": "2025-01-01"}) == [
        (["key"], "INVALID")
    ]
    assert await errors(MOVE, "movePublicHoliday", {"key": "eid-al-fitr-1446", "startsOn": "2025-05-01"}) == [
        (["startsOn"], "INVALID")
    ]
    assert await errors(
        MOVE,
        "movePublicHoliday",
        {"key": "eid-al-fitr-1446", "startsOn": "2025-03-31", "endsOn": "2025-03-29"},
    ) == [(["endsOn"], "INVALID")]
    assert await errors(
        SET, "setPublicHoliday", {"key": "nowruz-2025", "startsOn": "2025-03-22", "names": {"en": "x"}}
    ) == [(["key"], "INVALID")]
    assert await errors(
        SET, "setPublicHoliday", {"startsOn": "2025-03-22", "endsOn": "2025-04-22", "names": {"ku": "x"}}
    ) == [
        (["endsOn"], "INVALID"),
        (["names"], "INVALID"),
    ]
    assert await errors(REMOVE, "removePublicHoliday", {"key": "nowruz-2025"}) == [(["key"], "NOT_FOUND")]
    async with sessionmaker() as session:
        assert (await session.execute(text("SELECT count(*) FROM public_holidays"))).scalar_one() == 0


@pytest.mark.parametrize("role", ["OFFICER", "STATION_COMMANDER", "SUPERVISOR"])
async def test_only_admins_change_holidays(gql, sessionmaker, role):
    headers = await _admin(gql, sessionmaker, role)
    for query, values in (
        (MOVE, {"key": "eid-al-fitr-1446", "startsOn": "2025-03-31"}),
        (SET, {"startsOn": "2025-12-10", "names": {"en": "Victory Day"}}),
        (REMOVE, {"key": "eid-al-fitr-1446"}),
    ):
        body = await gql(query, {"input": values}, headers=headers)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(SET, {"input": {"startsOn": "2025-12-10", "names": {"en": "Victory Day"}}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_stations_that_close_on_holidays_follow_them(gql, sessionmaker):
    # given: an always-open station that closes on holidays, one that does not, and one whose family
    # desk alone closes on them
    async with sessionmaker() as session:
        closing = await make_station(session, closes_on_holidays=True)
        staying = await make_station(session, longitude=43.16)
        desk = await make_station(
            session, longitude=43.17, services=("COMMUNITY_POLICING", "FAMILY_AND_CHILD_PROTECTION")
        )
        await session.execute(
            text(
                "UPDATE stations SET holiday_closed_services = '{FAMILY_AND_CHILD_PROTECTION}' WHERE id = :s"
            ),
            {"s": desk},
        )
        await session.commit()

    async def seen(station: int, at: str) -> tuple[dict, list]:
        data = (await gql(STATION, {"id": gid("Station", station), "at": at}))["data"]
        return data["station"], [n["station"]["id"] for n in data["nearestStations"]]

    # the day before Nowruz 2025, at noon: open, and it closes at midnight
    station, nearest = await seen(closing, _at(2025, 3, 20, 12))
    assert station["isOpen"] is True and station["closesOnHolidays"] is True
    assert datetime.fromisoformat(station["nextChangeAt"]) == datetime(2025, 3, 21, tzinfo=BAGHDAD)
    assert gid("Station", closing) in nearest
    # on Nowruz: closed until the midnight after, and not among the stations open now
    station, nearest = await seen(closing, _at(2025, 3, 21, 10))
    assert station["isOpen"] is False
    assert datetime.fromisoformat(station["nextChangeAt"]) == datetime(2025, 3, 22, tzinfo=BAGHDAD)
    assert gid("Station", closing) not in nearest and gid("Station", staying) in nearest
    assert (await seen(staying, _at(2025, 3, 21, 10)))[0]["isOpen"] is True
    # the desk: closed on the holiday, the station around it open
    station, nearest = await seen(desk, _at(2025, 3, 21, 10))
    assert (station["isOpen"], station["family"]) == (True, False)
    assert (await seen(desk, _at(2025, 3, 20, 10)))[0]["family"] is True
    # Christmas is the Christians' holiday: it closes no station
    assert (await seen(closing, _at(2025, 12, 25, 10)))[0]["isOpen"] is True


async def test_a_moved_holiday_moves_the_closures_and_a_one_off_adds_one(gql, sessionmaker):
    # given: a station open 08:00-20:00 every day that closes on holidays
    async with sessionmaker() as session:
        station = await make_station(
            session, always_open=False, hours=weekly("08:00", "20:00"), closes_on_holidays=True
        )
        await session.commit()
    headers = await _admin(gql, sessionmaker)

    async def open_at(*when: int) -> bool:
        return (await gql(STATION, {"id": gid("Station", station), "at": _at(*when)}))["data"]["station"][
            "isOpen"
        ]

    assert await open_at(2025, 3, 30, 10) is False and await open_at(2025, 4, 2, 10) is True
    # when: the moon is sighted a day later
    await gql(MOVE, {"input": {"key": "eid-al-fitr-1446", "startsOn": "2025-03-31"}}, headers=headers)
    # then
    assert await open_at(2025, 3, 30, 10) is True and await open_at(2025, 4, 2, 10) is False
    # and a one-off holiday declared by the Council of Ministers closes it too
    assert await open_at(2025, 12, 10, 10) is True
    made = await gql(
        SET,
        {"input": {"startsOn": "2025-12-10", "names": {"ar": "يوم النصر", "en": "Victory Day"}}},
        headers=headers,
    )
    assert made["data"]["setPublicHoliday"]["holiday"] == {
        "key": "one-off-2025-12-10",
        "kind": "ONE_OFF",
        "startsOn": "2025-12-10",
        "endsOn": "2025-12-10",
        "name": "يوم النصر",
        "national": True,
    }
    assert await open_at(2025, 12, 10, 10) is False and await open_at(2025, 12, 11, 10) is True


async def test_a_holiday_flag_set_through_the_api_counts_at_once(gql, sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(session)
        _, badge = await make_officer(session, role="STATION_COMMANDER", station_id=station)
        await session.commit()
    headers = await sign_in(gql, badge)
    at = _at(2025, 5, 1, 9)  # Labour Day
    assert (await gql(STATION, {"id": gid("Station", station), "at": at}))["data"]["station"][
        "isOpen"
    ] is True
    body = await gql(
        """mutation U($input: UpdateStationInput!) { updateStation(input: $input) { errors { field } } }""",
        {"input": {"stationId": gid("Station", station), "expectedVersion": 1, "closesOnHolidays": True}},
        headers=headers,
    )
    assert body["data"]["updateStation"]["errors"] == []
    assert (await gql(STATION, {"id": gid("Station", station), "at": at}))["data"]["station"][
        "isOpen"
    ] is False


async def test_an_openstreetmap_station_with_ph_off_closes_on_holidays(gql, sessionmaker):
    # given: an Overpass feature with opening_hours "...; PH off" and addr:* tags in two languages
    from resolvers.station_import import parse_geojson
    from resolvers.station_writer import write_stations
    from tests.test_station_import import collection, osm

    feature = osm(
        "node/4242",
        opening_hours="Mo-Su 08:00-20:00; PH off",
        addr__street="Al-Jamia Street",
        **{"addr__street__ar": "شارع الجامعة"},
    )
    parsed = parse_geojson(collection(feature))
    assert parsed.errors == [], parsed.errors
    ((_, record),) = parsed.records
    async with sessionmaker() as session:
        await write_stations(session, [record])
        found = await session.execute(
            text("SELECT id, closes_on_holidays FROM stations WHERE external_id = :e"),
            {"e": record.external_id},
        )
        station, closes = found.one()
        await session.commit()
    # then: stored, and closed on Army Day though its hours say open
    assert closes is True
    at = _at(2025, 1, 6, 10)
    assert (await gql(STATION, {"id": gid("Station", station), "at": at}))["data"]["station"][
        "isOpen"
    ] is False
    assert (await gql(STATION, {"id": gid("Station", station), "at": _at(2025, 1, 7, 10)}))["data"][
        "station"
    ]["isOpen"] is True


def test_closures_for_a_holiday_are_its_days_in_the_stations_zone():
    nowruz = holidays.computed_by_key("nowruz-2025")
    assert nowruz is not None
    (closure,) = holidays.closures_for([nowruz], timezone="Asia/Baghdad", whole_station=True, desks=())
    assert closure.starts_at.astimezone(UTC) == datetime(2025, 3, 20, 21, tzinfo=UTC)
    assert closure.ends_at.astimezone(UTC) == datetime(2025, 3, 21, 21, tzinfo=UTC)
    assert closure.services is None
    (desk,) = holidays.closures_for([nowruz], timezone="Asia/Baghdad", whole_station=False, desks=["TRAFFIC"])
    assert desk.services == ("TRAFFIC",)
    assert holidays.closures_for([nowruz], timezone="Asia/Baghdad", whole_station=False, desks=()) == []


async def test_instants_far_from_the_holiday_tables_are_answered(gql, sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(session, closes_on_holidays=True)
        await session.commit()
    for at in (
        "1900-01-01T12:00:00Z",
        "1924-12-31T12:00:00Z",
        "2076-12-31T12:00:00Z",
        "2199-12-31T00:00:00Z",
    ):
        body = await gql(STATION, {"id": gid("Station", station), "at": at})
        assert "errors" not in body and body["data"]["station"]["isOpen"] is True, (at, body)


async def test_a_get_of_the_holidays_is_revalidated_and_a_move_changes_its_etag(client, gql, sessionmaker):
    import json

    headers = await _admin(gql, sessionmaker)
    params = {"query": HOLIDAYS, "variables": json.dumps({"year": 2025})}
    accept = {"accept": "application/graphql-response+json"}
    first = await client.get("/graphql", params=params, headers=accept)
    # revalidated every time: an administrator's move shows at once, shared caches included
    assert first.status_code == 200 and first.headers["cache-control"] == "public, no-cache"
    etag = first.headers["etag"]
    same = await client.get("/graphql", params=params, headers={**accept, "if-none-match": etag})
    assert same.status_code == 304 and same.headers["cache-control"] == "public, no-cache"
    await gql(MOVE, {"input": {"key": "ashura-1447", "startsOn": "2025-07-06"}}, headers=headers)
    again = await client.get("/graphql", params=params, headers={**accept, "if-none-match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag
    ashura = next(h for h in again.json()["data"]["publicHolidays"] if h["key"] == "ashura-1447")
    assert (ashura["startsOn"], ashura["moved"]) == ("2025-07-06", True)
