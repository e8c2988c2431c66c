"""Station queries: names by Accept-Language, forgiving search, connections, node/nodes, hours fields."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from resolvers.station_records import Closure
from tests.factories import make_station, make_stations, station_record, weekly

STATION = """
query S($id: ID!, $at: DateTime) {
  station(id: $id) {
    id name names { ar ku en } isOpen(at: $at) nextChangeAt(at: $at)
    governorate { code name }
    openingHours { weekday opens closes service }
    closures { startsAt endsAt reason services }
  }
}
"""
STATIONS = """
query L($first: Int, $after: String, $search: String, $gov: ID, $model: Boolean,
        $services: [StationService!]) {
  stations(first: $first, after: $after, search: $search, governorateId: $gov, modelOnly: $model,
           services: $services) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } }
  }
}
"""


def gid(kind: str, key: object) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


async def test_name_follows_accept_language_with_fallback(gql, sessionmaker):
    async with sessionmaker() as session:
        names = {"ar": "مركز الثقافة", "ku": "بنکەی سەقافە", "en": "Al-Thaqafa"}
        full = await make_station(session, names=names)
        arabic_only = await make_station(session, names={"ar": "مركز النور"})
        await session.commit()
    for lang, expected in (
        ("en", "Al-Thaqafa"),
        ("ku", "بنکەی سەقافە"),
        ("ar", "مركز الثقافة"),
        ("fr, en;q=0.5", "Al-Thaqafa"),
        ("de", "مركز الثقافة"),
        ("ckb-IQ", "بنکەی سەقافە"),
    ):
        body = await gql(STATION, {"id": gid("Station", full)}, headers={"accept-language": lang})
        assert body["data"]["station"]["name"] == expected, lang
    body = await gql(STATION, {"id": gid("Station", arabic_only)}, headers={"accept-language": "en"})
    assert body["data"]["station"]["name"] == "مركز النور"
    assert body["data"]["station"]["names"] == {"ar": "مركز النور", "ku": None, "en": None}


async def test_search_forgives_arabic_spelling_variants(gql, sessionmaker):
    async with sessionmaker() as session:
        await make_station(session, names={"ar": "مركز شرطة الإسكندرية الجديدة", "en": "New Iskandariya"})
        await make_station(session, names={"ar": "مركز شرطة المُصطفى", "en": "Al-Mustafa"})
        await make_station(session, names={"ar": "مركز شرطة الهدى", "en": "Al-Huda"})
        await session.commit()
    # hamza on the alef, taa marbuta as haa, diacritics, alef maqsura as yaa, English in any case
    for query, expected in (
        ("الاسكندريه", "New Iskandariya"),
        ("الأسكندرية", "New Iskandariya"),
        ("المصطفي", "Al-Mustafa"),
        ("المصطفى", "Al-Mustafa"),
        ("الهدي", "Al-Huda"),
        ("ISKANDARIYA", "New Iskandariya"),
        ("mustafa", "Al-Mustafa"),
    ):
        body = await gql(STATIONS, {"search": query, "first": 10}, headers={"accept-language": "en"})
        names = [e["node"]["name"] for e in body["data"]["stations"]["edges"]]
        assert names == [expected], (query, names)


async def test_connection_pages_with_cursor_and_total_count(gql, sessionmaker):
    async with sessionmaker() as session:
        await make_stations(
            session, [station_record(governorate="IQ-DQ", latitude=31.05, longitude=46.25) for _ in range(5)]
        )
        await session.commit()
    seen, after = [], None
    while True:
        body = await gql(STATIONS, {"first": 2, "after": after, "gov": gid("Governorate", "IQ-DQ")})
        page = body["data"]["stations"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 5


async def test_bad_cursor_and_bad_ids_name_the_argument(gql):
    body = await gql(STATIONS, {"first": 2, "after": "nonsense"})
    assert body["errors"][0]["extensions"]["argument"] == "after"
    body = await gql(STATION, {"id": "!!"})
    assert body["errors"][0]["extensions"]["argument"] == "id"
    body = await gql(STATION, {"id": gid("Governorate", "IQ-NI")})
    assert body["errors"][0]["extensions"]["argument"] == "id"


async def test_node_and_nodes_resolve_any_type_in_order(gql, sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(session, names={"en": "Nodey"})
        await session.commit()
    query = """query N($ids: [ID!]!, $id: ID!) {
      node(id: $id) { __typename id ... on Station { name } }
      nodes(ids: $ids) { __typename ... on Governorate { code } ... on Station { name } }
    }"""
    ids = [gid("Governorate", "IQ-BA"), gid("Station", station), gid("Station", 999999999)]
    body = await gql(query, {"id": gid("Station", station), "ids": ids}, headers={"accept-language": "en"})
    assert body["data"]["node"]["name"] == "Nodey"
    assert body["data"]["nodes"] == [
        {"__typename": "Governorate", "code": "IQ-BA"},
        {"__typename": "Station", "name": "Nodey"},
        None,
    ]


async def test_nodes_names_the_unparsable_id_by_index_and_value(gql, sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(session)
        await session.commit()
    query = "query N($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    ids = [gid("Station", station), gid("Governorate", "IQ-BA"), "not-an-id!", gid("Station", 1)]
    body = await gql(query, {"ids": ids}, headers={"accept-language": "en"})
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "ids[2]"}
    assert error["message"] == 'ids[2] is not a valid id: "not-an-id!".'
    # A long bad id is quoted cut short; an id of an unknown type is not unparsable: null, as documented.
    body = await gql(query, {"ids": [gid("Station", station), "x" * 5000]}, headers={"accept-language": "ar"})
    error = body["errors"][0]
    assert error["extensions"]["argument"] == "ids[1]" and "x" * 40 + "…" in error["message"]
    assert len(error["message"]) < 200
    body = await gql(query, {"ids": [gid("Nothing", 1)]})
    assert body["data"] == {"nodes": [None]} and "errors" not in body


async def test_open_now_fields_use_the_station_time_zone_and_closures(gql, sessionmaker):
    now = datetime.now(UTC)
    async with sessionmaker() as session:
        station = await make_station(
            session,
            always_open=False,
            hours=weekly("20:00", "02:00"),  # evening shift past midnight
            closures=(Closure(now + timedelta(days=30), now + timedelta(days=31), "Eid al-Adha"),),
        )
        await session.commit()
    # 01:59 Baghdad time (22:59 UTC) is inside the shift; 02:00 is not.
    open_ = await gql(STATION, {"id": gid("Station", station), "at": "2026-12-01T22:59:00+00:00"})
    closed = await gql(STATION, {"id": gid("Station", station), "at": "2026-12-01T23:00:00+00:00"})
    assert open_["data"]["station"]["isOpen"] is True
    assert open_["data"]["station"]["nextChangeAt"].startswith("2026-12-01T23:00:00")
    assert closed["data"]["station"]["isOpen"] is False
    assert closed["data"]["station"]["nextChangeAt"].startswith("2026-12-02T17:00:00")
    station_data = closed["data"]["station"]
    monday = {"weekday": 1, "opens": "20:00", "closes": "02:00", "service": None}
    assert station_data["openingHours"][0] == monday
    assert station_data["closures"][0]["reason"] == "Eid al-Adha"
    assert station_data["governorate"]["code"] == "IQ-NI"


async def test_inactive_stations_are_not_listed_or_found_nearest(gql, sessionmaker):
    async with sessionmaker() as session:
        await make_station(
            session, names={"en": "Closed for good"}, active=False, latitude=36.3801, longitude=43.1501
        )
        await session.commit()
    body = await gql(STATIONS, {"search": "closed for good"})
    assert body["data"]["stations"]["totalCount"] == 0
    near = await gql("""{ nearestStations(near: {latitude: 36.3801, longitude: 43.1501}, first: 1,
                          withinMeters: 10) { station { name } } }""")
    assert near["data"]["nearestStations"] == []


async def test_is_open_and_next_change_in_the_past_see_the_closures_of_then(gql, sessionmaker):
    # given: an always-open station closed for ten days two years ago, and again for a day next month
    now = datetime.now(UTC)
    old = Closure(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC), "renovation")
    ahead = Closure(now + timedelta(days=30), now + timedelta(days=31), "Eid")
    async with sessionmaker() as session:
        station = await make_station(
            session, always_open=True, closures=(old, ahead), latitude=35.1, longitude=44.1
        )
        await session.commit()
    query = """query S($id: ID!, $at: DateTime) {
      station(id: $id) { isOpen(at: $at) nextChangeAt(at: $at) }
      nearestStations(near: {latitude: 35.1, longitude: 44.1}, at: $at, openNow: true, withinMeters: 100) {
        isOpen }
    }"""
    # when: asked about a day during the old closure, and the week before it
    during = await gql(query, {"id": gid("Station", station), "at": "2024-03-05T12:00:00+03:00"})
    before = await gql(query, {"id": gid("Station", station), "at": "2024-02-23T00:00:00Z"})
    # then: closed then, and open again when it ended; before it, its start is the next change
    assert during["data"]["station"] == {"isOpen": False, "nextChangeAt": "2024-03-11T00:00:00+00:00"}
    assert during["data"]["nearestStations"] == []
    assert before["data"]["station"] == {"isOpen": True, "nextChangeAt": "2024-03-01T00:00:00+00:00"}
    assert before["data"]["nearestStations"] == [{"isOpen": True}]


async def test_next_change_of_an_always_open_station_is_a_closure_weeks_ahead(gql, sessionmaker):
    # given: an always-open station with a closure a month ahead, and one with a closure of two months
    now = datetime.now(UTC)
    ahead = Closure(now + timedelta(days=30), now + timedelta(days=32), "Eid al-Adha")
    long = Closure(now - timedelta(days=1), now + timedelta(days=60), "rebuilding")
    async with sessionmaker() as session:
        open_ = await make_station(session, always_open=True, closures=(ahead,))
        closed = await make_station(session, always_open=True, closures=(long,))
        await session.commit()
    # when
    first = await gql(STATION, {"id": gid("Station", open_)})
    second = await gql(STATION, {"id": gid("Station", closed)})
    # then: the closure's start, and the long one's end (not "never")
    assert first["data"]["station"]["isOpen"] is True
    assert datetime.fromisoformat(first["data"]["station"]["nextChangeAt"]) == ahead.starts_at
    assert second["data"]["station"]["isOpen"] is False
    assert datetime.fromisoformat(second["data"]["station"]["nextChangeAt"]) == long.ends_at


async def test_closures_lists_those_in_force_now_or_coming_only(gql, sessionmaker):
    # given: closures over since a few hours, in force, coming, and over years ago
    now = datetime.now(UTC)
    over = Closure(now - timedelta(hours=12), now - timedelta(hours=11), "over this morning")
    long_over = Closure(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC), "over")
    in_force = Closure(now - timedelta(hours=1), now + timedelta(hours=1), "in force", ("TRAFFIC",))
    coming = Closure(now + timedelta(days=400), now + timedelta(days=401), "coming")
    async with sessionmaker() as session:
        station = await make_station(
            session, services=("TRAFFIC", "CRIME_REPORTING"), closures=(coming, over, long_over, in_force)
        )
        await session.commit()
    # when
    body = await gql(STATION, {"id": gid("Station", station)})
    # then: in start order, nothing over (the field used to keep a day of the past)
    assert [c["reason"] for c in body["data"]["station"]["closures"]] == ["in force", "coming"]
    assert body["data"]["station"]["closures"][0]["services"] == ["TRAFFIC"]
