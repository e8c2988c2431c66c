"""The live feed end to end: two real server processes sharing one database, a WebSocket client.

A mutation on one server reaches a subscriber on the other within a second; a client that reconnects
with a cursor receives exactly what it missed; supervisors see only their governorates; sensitive
incidents show only what the viewer may see; connections without a valid token are refused.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
import websockets

from resolvers.policy import COMMANDER, SUPERVISOR
from schema.node import to_global_id
from tests.factories import PASSWORD, make_officer, make_station
from tests.feed_support import FeedClient, Server, log_engagement, login, report_incident

BASRA = (30.5128, 47.838)
MOSUL = (36.34, 43.123)


@pytest.fixture(scope="module")
def servers(database_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("feed-servers")
    # One after the other: each runs the (idempotent) migration and reference data at start-up.
    first = Server(database_url, data)
    first.wait_ready()
    # The second allows 2 subscriptions per socket and has tighter query limits (the feed's own
    # document, depth 3 and cost 5, fits them).
    second = Server(
        database_url,
        data,
        MARKAZ_FEED_SUBSCRIPTIONS="2",
        MARKAZ_MAX_DEPTH="5",
        MARKAZ_MAX_ALIASES="3",
        MARKAZ_MAX_COST="20",
    )
    try:
        second.wait_ready()
        yield first, second
    finally:
        first.stop()
        second.stop()


@dataclasses.dataclass
class World:
    basra: int
    nineveh: int
    officer_ba: str
    officer_ni: str
    commander_ba: str
    supervisor_ba: str
    supervisor_ni: str


@pytest.fixture
async def world(committed_sessionmaker, servers) -> World:
    async with committed_sessionmaker() as session:
        basra = await make_station(session, governorate="IQ-BA", latitude=BASRA[0], longitude=BASRA[1])
        nineveh = await make_station(session, governorate="IQ-NI", latitude=MOSUL[0], longitude=MOSUL[1])
        badges = [
            (await make_officer(session, station_id=basra))[1],
            (await make_officer(session, station_id=nineveh))[1],
            (await make_officer(session, role=COMMANDER, station_id=basra))[1],
            (await make_officer(session, role=SUPERVISOR, governorates=("IQ-BA",)))[1],
            (await make_officer(session, role=SUPERVISOR, governorates=("IQ-NI",)))[1],
        ]
        await session.commit()
    tokens = await asyncio.gather(*(login(servers[0], badge, PASSWORD) for badge in badges))
    return World(basra, nineveh, *tokens)


async def accepted(client: FeedClient) -> None:
    assert await client.receive() == {"type": "connection_ack"}


async def next_event(client: FeedClient, operation: str, wait: float = 10.0) -> dict:
    message = await client.receive(wait)
    assert message["id"] == operation and message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["activityFeed"]


async def nothing_for(client: FeedClient, operation: str, seconds: float = 1.5) -> None:
    """Read whatever arrives for `seconds`; none of it may be for `operation`."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await client.receive(left)
        except TimeoutError:
            return
        assert message.get("id") != operation, message


def record_id(event: dict) -> str:
    return (event["incident"] or event["engagement"] or event["patrol"])["id"]


async def until_live(client: FeedClient, operation: str, write) -> str:
    """Write warm-up records until one arrives, so the subscription is surely registered; every warm-up
    written has arrived when this returns (the feed is in order). The cursor of the last one."""
    written: list[str] = []
    for _ in range(20):
        written.append(await write())
        try:
            event = await next_event(client, operation, wait=1.0)
        except TimeoutError:
            continue
        return (await read_until(client, operation, written[-1], event))["cursor"]
    raise AssertionError("the subscription never went live")


async def read_until(client: FeedClient, operation: str, wanted: str, event: dict | None = None) -> dict:
    """Read events until the one of record `wanted` (earlier ones are warm-ups)."""
    event = event or await next_event(client, operation)
    while record_id(event) != wanted:
        event = await next_event(client, operation)
    return event


async def test_a_mutation_on_one_server_reaches_a_subscriber_on_the_other_within_a_second(servers, world):
    first, second = servers
    # given a Basra supervisor following the feed on the second server
    client = await FeedClient.connect(second, world.supervisor_ba)
    await accepted(client)
    operation = await client.subscribe()
    await until_live(client, operation, lambda: log_engagement(first, world.officer_ba, world.basra, *BASRA))
    latencies = []
    for _ in range(3):
        # when an officer reports an incident through the first server
        incident = await report_incident(first, world.officer_ba, world.basra, *BASRA)
        answered = time.monotonic()
        event = await next_event(client, operation, wait=5.0)
        latencies.append(time.monotonic() - answered)
        # then it arrives on the second, within a second of the mutation's answer
        assert event["incident"]["id"] == incident
        assert event["layer"] == "INCIDENTS"
        assert event["station"]["id"] == to_global_id("Station", world.basra)
    print(f"feed delivery after the mutation's answer, across processes: {latencies}")
    assert max(latencies) < 1.0, latencies
    await client.close()


async def test_reconnecting_with_a_cursor_receives_exactly_the_missed_events(servers, world):
    first, second = servers
    client = await FeedClient.connect(second, world.supervisor_ba)
    await accepted(client)
    operation = await client.subscribe()
    cursor = await until_live(
        client, operation, lambda: log_engagement(first, world.officer_ba, world.basra, *BASRA)
    )
    # given the subscriber went away
    await client.close()
    # when records are written concurrently while it is away, some of them outside its scope
    writes = [report_incident(first, world.officer_ba, world.basra, *BASRA) for _ in range(6)]
    writes += [log_engagement(second, world.officer_ba, world.basra, *BASRA) for _ in range(4)]
    writes += [report_incident(first, world.officer_ni, world.nineveh, *MOSUL) for _ in range(3)]
    written = await asyncio.gather(*writes)
    missed = set(written[:10])
    # then, back with its last cursor (on the other server this time), it receives exactly those
    client = await FeedClient.connect(first, world.supervisor_ba)
    await accepted(client)
    operation = await client.subscribe({"after": cursor})
    received = [await next_event(client, operation) for _ in missed]
    ids = [record_id(event) for event in received]
    assert sorted(ids) == sorted(missed)
    assert len({event["cursor"] for event in received}) == len(received)
    with pytest.raises(TimeoutError):
        await client.receive(1.5)  # nothing more: no duplicate, nothing out of scope
    # and the feed goes on live after the replay
    incident = await report_incident(second, world.officer_ba, world.basra, *BASRA)
    assert (await next_event(client, operation))["incident"]["id"] == incident
    await client.close()


async def test_a_nineveh_supervisor_gets_nothing_of_basra(servers, world):
    first, second = servers
    client = await FeedClient.connect(second, world.supervisor_ni)
    await accepted(client)
    operation = await client.subscribe()
    await until_live(
        client, operation, lambda: log_engagement(first, world.officer_ni, world.nineveh, *MOSUL)
    )
    # when a Basra incident is written, then a Nineveh one
    await report_incident(first, world.officer_ba, world.basra, *BASRA)
    await log_engagement(first, world.officer_ba, world.basra, *BASRA)
    nineveh = await report_incident(first, world.officer_ni, world.nineveh, *MOSUL)
    # then the next event is Nineveh's: the feed is in order, so Basra's were left out, not delayed
    assert (await next_event(client, operation))["incident"]["id"] == nineveh
    # and asking for Basra by name is refused
    refused = await client.subscribe({"area": {"governorateId": to_global_id("Governorate", "IQ-BA")}})
    message = await client.receive()
    assert message["id"] == refused
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    if message["type"] == "next":
        assert await client.receive() == {"id": refused, "type": "complete"}
    # while a box drawn around Basra shows nothing of it either
    box = await client.subscribe({"area": {"bbox": {"south": 30, "west": 47, "north": 31, "east": 48.5}}})
    await report_incident(first, world.officer_ba, world.basra, *BASRA)
    await nothing_for(client, box)
    await client.close()


async def test_a_sensitive_incident_shows_only_what_each_viewer_may_see(servers, world):
    first, second = servers
    supervisor = await FeedClient.connect(second, world.supervisor_ba)
    commander = await FeedClient.connect(first, world.commander_ba)
    await accepted(supervisor)
    await accepted(commander)
    for client in (supervisor, commander):
        await client.subscribe({"layers": ["INCIDENTS"]})
    for client in (supervisor, commander):
        await until_live(client, "1", lambda: report_incident(first, world.officer_ba, world.basra, *BASRA))
    point = (30.51237, 47.83861)
    incident = await report_incident(
        first, world.officer_ba, world.basra, *point, category="DOMESTIC_VIOLENCE"
    )
    theft = await report_incident(first, world.officer_ba, world.basra, *point)
    # the commander, on the case, is sent it with its details and exact place, then the theft
    seen_by_commander = await next_event(commander, "1")
    assert seen_by_commander["incident"]["id"] == incident
    assert seen_by_commander["incident"]["description"] == "seen in a test"
    assert seen_by_commander["location"] == {"latitude": point[0], "longitude": point[1]}
    assert record_id(await next_event(commander, "1")) == theft
    # the supervisor, off the case, is not sent it at all (resolvers.disclosure): of the events up to the
    # theft written after it (the commander's warm-ups came first), none is the incident
    seen = [record_id(await next_event(supervisor, "1"))]
    while seen[-1] != theft:
        seen.append(record_id(await next_event(supervisor, "1")))
    assert incident not in seen
    # nor through a box around its exact place
    tight = {"bbox": {"south": 30.5123, "west": 47.8385, "north": 30.5124, "east": 47.8387}}
    operation = await supervisor.subscribe({"area": tight, "layers": ["INCIDENTS"]})
    await report_incident(first, world.officer_ba, world.basra, *point, category="DOMESTIC_VIOLENCE")
    theft = await report_incident(first, world.officer_ba, world.basra, *point)
    while (message := await supervisor.receive())["id"] != operation:
        pass
    assert message["payload"]["data"]["activityFeed"]["incident"]["id"] == theft
    await supervisor.close()
    await commander.close()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic b2ZmaWNlcjpwYXNz"},
        {"Authorization": 7},
    ],
)
async def test_a_connection_without_a_valid_token_is_refused(servers, payload):
    client = await FeedClient.connect(servers[1], None, payload)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.receive()
    assert closed.value.rcvd.code == 4403


async def test_a_subscription_before_the_connection_is_acknowledged_is_refused(servers):
    socket = await websockets.connect(servers[0].ws_url, subprotocols=["graphql-transport-ws"])
    client = FeedClient(socket)
    await client.subscribe()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.receive()
    assert closed.value.rcvd.code == 4401


async def test_an_ended_sign_in_is_refused(servers, world):
    logout = "mutation { logout(input: {}) { errors { code } } }"
    from tests.feed_support import post

    await post(servers[0], logout, token=world.supervisor_ba)
    client = await FeedClient.connect(servers[1], world.supervisor_ba)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.receive()
    assert closed.value.rcvd.code == 4403


async def test_subscriptions_per_connection_are_bounded_and_only_subscriptions_run(servers, world):
    client = await FeedClient.connect(servers[1], world.supervisor_ba)  # this server allows 2
    await accepted(client)
    await client.subscribe()
    await client.subscribe()
    third = await client.subscribe()
    message = await client.receive()
    assert message["id"] == third and message["type"] == "error"
    assert "limit" in message["payload"][0]["message"]
    await client.close()
    client = await FeedClient.connect(servers[0], world.supervisor_ba)
    await accepted(client)
    query = await client.subscribe(query="{ me { id } }")
    message = await client.receive()
    assert message["id"] == query and message["type"] in ("error", "next")
    assert "not allowed" in str(message["payload"])
    await client.close()


DEEP_FEED = (
    "subscription Deep { activityFeed { incident { station { governorate { capital { latitude } } } } } }"
)
ALIASED_FEED = (
    "subscription Aliased { activityFeed { ...F ... on ActivityEvent { ...F } } } "
    "fragment F on ActivityEvent { a: cursor b: layer }"
)
COSTLY_FEED = (
    "subscription Costly { activityFeed { cursor incident { id "
    "assignedOfficers { station { id } } statusHistory { toStatus } } } }"
)


@pytest.mark.parametrize(
    ("query", "limit", "value"),
    [(DEEP_FEED, "depth", 6), (ALIASED_FEED, "aliases", 4), (COSTLY_FEED, "cost", 42)],
)
async def test_subscriptions_are_held_to_the_query_limits(servers, world, query, limit, value):
    client = await FeedClient.connect(servers[1], world.supervisor_ba)
    await accepted(client)
    refused = await client.subscribe(query=query)
    message = await client.receive()
    assert message["id"] == refused and message["type"] == "error"
    assert message["payload"][0].get("extensions", {}).get("limit") == limit, message
    assert message["payload"][0]["extensions"]["value"] == value
    # The socket stays usable: the feed's own document, within the limits, still runs.
    allowed = await client.subscribe()
    await nothing_for(client, allowed, seconds=0.5)
    await client.close()


async def test_the_same_documents_run_where_the_limits_are_the_defaults(servers, world):
    client = await FeedClient.connect(servers[0], world.supervisor_ba)
    await accepted(client)
    for query in (DEEP_FEED, ALIASED_FEED, COSTLY_FEED):
        operation = await client.subscribe(query=query)
        await nothing_for(client, operation, seconds=0.3)
    await client.close()
