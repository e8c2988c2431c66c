"""Abuse of the live feed's WebSocket, against `markaz serve` in a process of its own and a real client.

Frames of the wrong shape close the socket with 4400 and a short reason, never a trace in the log;
variables nested too deep are refused for that subscription; an officer's live subscriptions are capped
over all their sockets; a subscription ends when its access token does, and resumes on a new socket with
a fresh token from its last cursor; the language of the answers follows connection_init's payload; in
production, errors name nothing of the schema but to admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import websockets

from resolvers import tokens
from resolvers.messages import message
from resolvers.policy import ADMIN, SUPERVISOR
from tests.factories import PASSWORD, make_officer, make_station
from tests.feed_support import SECRET, FeedClient, Server, log_engagement, login, post, report_incident
from tests.test_activity_feed import accepted, next_event, nothing_for, record_id, until_live

BASRA = (30.5128, 47.838)
ROOT = Path(__file__).resolve().parent.parent
SHIPPED_LOGIN = (ROOT / "mobile_contract/operations/officer/Login.graphql").read_text()
MAP_FEED = (ROOT / "api/static/map/operations/Feed.graphql").read_text()
PER_SOCKET, PER_OFFICER = 3, 4


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("feed-abuse")
    running = Server(
        database_url,
        data,
        MARKAZ_FEED_SUBSCRIPTIONS=str(PER_SOCKET),
        MARKAZ_FEED_SUBSCRIPTIONS_PER_OFFICER=str(PER_OFFICER),
    )
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@dataclasses.dataclass
class World:
    station: int
    officer: str
    supervisor: str


@pytest.fixture
async def world(committed_sessionmaker, server) -> World:
    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-BA", latitude=BASRA[0], longitude=BASRA[1])
        officer = (await make_officer(session, station_id=station))[1]
        supervisor = (await make_officer(session, role=SUPERVISOR, governorates=("IQ-BA",)))[1]
        await session.commit()
    return World(station, await login(server, officer, PASSWORD), await login(server, supervisor, PASSWORD))


def no_trace_in(server: Server) -> None:
    log = server.log.read_text()
    assert "Traceback" not in log and "Exception in" not in log, log[-3000:]


def errors_of(received: dict) -> list[dict]:
    """The errors a refused subscription was answered with (an `error`, or a `next` holding errors)."""
    return received["payload"] if received["type"] == "error" else received["payload"]["errors"]


async def closed_with(client: FeedClient) -> websockets.frames.Close:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await client.receive()
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd


QUERY = "subscription { activityFeed { cursor } }"
BAD_FRAMES = {
    "not JSON": "not json{",
    "an array": "[1, 2]",
    "a string": '"subscribe"',
    "null": "null",
    "no type": "{}",
    "a number as type": '{"type": 5}',
    "an unknown type": '{"type": "nope"}',
    "a long unknown type": json.dumps({"type": "x" * 500}),
    "subscribe without id": json.dumps({"type": "subscribe", "payload": {"query": QUERY}}),
    "subscribe without payload": '{"type": "subscribe", "id": "1"}',
    "payload not an object": '{"type": "subscribe", "id": "1", "payload": 5}',
    "query not a string": '{"type": "subscribe", "id": "1", "payload": {"query": 5}}',
    "variables not an object": json.dumps(
        {"type": "subscribe", "id": "1", "payload": {"query": QUERY, "variables": [1]}}
    ),
    "operationName not a string": json.dumps(
        {"type": "subscribe", "id": "1", "payload": {"query": QUERY, "operationName": {}}}
    ),
    "an object as id": json.dumps({"type": "subscribe", "id": {}, "payload": {"query": QUERY}}),
    "a long id": json.dumps({"type": "subscribe", "id": "i" * 200, "payload": {"query": QUERY}}),
    "complete without id": '{"type": "complete"}',
    "complete with a list as id": '{"type": "complete", "id": ["1"]}',
    "ping with a number payload": '{"type": "ping", "payload": 7}',
    "binary": b"\x00\x01 binary",
    "nested beyond JSON's reach": "[" * 100_000 + "]" * 100_000,
    "longer than allowed": json.dumps({"type": "ping", "payload": {"pad": "x" * 300_000}}),
}


@pytest.mark.parametrize("frame", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_a_frame_of_the_wrong_shape_closes_the_socket_with_4400(server, world, frame):
    client = await FeedClient.connect(server, world.supervisor)
    await accepted(client)
    await client.socket.send(frame)
    close = await closed_with(client)
    assert close.code == 4400, close
    assert 0 < len(close.reason.encode()) <= 123, close  # a close frame's reason holds 123 bytes
    assert "x" * 20 not in close.reason and "i" * 20 not in close.reason  # the client's text is not echoed
    no_trace_in(server)


async def test_a_frame_of_the_wrong_shape_before_connection_init_closes_too(server):
    socket = await websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"])
    client = FeedClient(socket)
    await client.socket.send("[1]")
    assert (await closed_with(client)).code == 4400
    no_trace_in(server)


async def test_a_frame_beyond_the_servers_reach_is_not_read(server, world):
    client = await FeedClient.connect(server, world.supervisor)
    await accepted(client)
    await client.socket.send(json.dumps({"type": "ping", "payload": {"pad": "x" * (2 << 20)}}))
    assert (await closed_with(client)).code == 1009  # "message too big", before it is read whole
    no_trace_in(server)
    # and the server goes on serving
    client = await FeedClient.connect(server, world.supervisor)
    await accepted(client)
    await client.close()


async def test_deeply_nested_variables_are_refused_for_that_subscription(server, world):
    client = await FeedClient.connect(server, world.supervisor)
    await accepted(client)
    deep = json.loads("[" * 40 + "]" * 40)
    refused = await client.subscribe({"layers": None, "x": deep})
    received = await client.receive()
    assert received["id"] == refused and received["type"] == "error", received
    assert received["payload"][0]["message"] == "`variables` may nest at most 32 levels deep."
    assert received["payload"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "variables"}
    # the socket stays usable
    operation = await client.subscribe()
    await until_live(client, operation, lambda: log_engagement(server, world.officer, world.station, *BASRA))
    await client.close()
    no_trace_in(server)


async def _live(client: FeedClient, server: Server, world: World, count: int) -> list[str]:
    """Start `count` subscriptions on the socket and wait until each receives events."""
    operations = [await client.subscribe() for _ in range(count)]
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    while seen != set(operations):  # a subscription registers a little after it is asked for
        assert time.monotonic() < deadline, f"live: {seen} of {operations}"
        written = await log_engagement(server, world.officer, world.station, *BASRA)
        with contextlib.suppress(TimeoutError):
            while True:
                received = await client.receive(1.0)
                assert received["type"] == "next" and "errors" not in received["payload"], received
                if record_id(received["payload"]["data"]["activityFeed"]) == written:
                    seen.add(received["id"])
    return operations


async def _answer(client: FeedClient, operation: str, server: Server, world: World) -> dict:
    """The first message for `operation` (its refusal, or its first event), writing until one comes."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        await log_engagement(server, world.officer, world.station, *BASRA)
        with contextlib.suppress(TimeoutError):
            while True:
                received = await client.receive(1.0)
                if received.get("id") == operation:
                    return received
    raise AssertionError(f"nothing for {operation}")


async def test_an_officers_live_subscriptions_are_capped_over_all_their_sockets(server, world):
    first = await FeedClient.connect(server, world.supervisor)
    second = await FeedClient.connect(server, world.supervisor)
    await accepted(first)
    await accepted(second)
    held = await _live(first, server, world, PER_SOCKET)
    await _live(second, server, world, PER_OFFICER - PER_SOCKET)
    # when the officer asks for one more, on the socket that has room for it
    refused = await second.subscribe()
    received = await second.receive()
    assert received["id"] == refused and received["type"] == "error", received
    error = received["payload"][0]
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "subscriptionsPerOfficer",
        "max": PER_OFFICER,
    }
    assert error["message"] == message("subscriptions_per_officer", "ar", limit=PER_OFFICER)
    # while another officer, alone on a socket, is not held to the first one's count
    other = await FeedClient.connect(server, world.officer)
    await accepted(other)
    operation = await other.subscribe()
    await until_live(other, operation, lambda: log_engagement(server, world.officer, world.station, *BASRA))
    await other.close()
    # ending one subscription makes room again
    await first.send({"id": held[0], "type": "complete"})
    received = await _answer(second, await second.subscribe(), server, world)
    if received["type"] == "error":  # the ended one may take a moment to let go
        await asyncio.sleep(1.0)
        received = await _answer(second, await second.subscribe(), server, world)
    assert received["type"] == "next", received
    # and so does closing a socket: its subscriptions are let go
    await first.close()
    third = await FeedClient.connect(server, world.supervisor)
    await accepted(third)
    received = await _answer(third, await third.subscribe(), server, world)
    if received["type"] == "error":
        await asyncio.sleep(1.0)
        received = await _answer(third, await third.subscribe(), server, world)
    assert received["type"] == "next", received
    await second.close()
    await third.close()
    no_trace_in(server)


def _expiring(token: str, seconds: float) -> str:
    """An access token for the same sign-in as `token`, expiring `seconds` from now."""
    officer_id, session_id = tokens.read_access(SECRET, token)
    now = datetime.now(UTC) - tokens.ACCESS_TTL + timedelta(seconds=seconds)
    return tokens.issue_access(
        SECRET, officer_id=officer_id, session_id=session_id, role=SUPERVISOR, now=now
    )[0]


async def test_a_subscription_ends_when_its_token_expires_and_resumes_with_a_fresh_one(server, world):
    # given a supervisor following the feed with a token about to expire
    client = await FeedClient.connect(server, _expiring(world.supervisor, 4))
    await accepted(client)
    operation = await client.subscribe()
    cursor = await until_live(
        client, operation, lambda: log_engagement(server, world.officer, world.station, *BASRA)
    )
    # when it expires, the subscription ends with UNAUTHENTICATED and the last cursor it was sent
    started = time.monotonic()
    received = await client.receive(wait=10)
    assert received["id"] == operation, received
    error = errors_of(received)[0]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "lastCursor": cursor}, received
    assert error["message"] == message("token_expired", "ar")
    assert time.monotonic() - started < 6
    if received["type"] == "next":
        assert await client.receive() == {"id": operation, "type": "complete"}
    # and the socket is closed with a code a graphql-ws client reconnects on
    close = await closed_with(client)
    assert (close.code, close.reason) == (4403, "Access token expired")
    # while the client is away, records are written
    missed = {await report_incident(server, world.officer, world.station, *BASRA) for _ in range(3)}
    # then, connected again with a fresh token, it resumes from its cursor and misses nothing
    client = await FeedClient.connect(server, world.supervisor)
    await accepted(client)
    operation = await client.subscribe({"after": cursor})
    got = {record_id(await next_event(client, operation)) for _ in missed}
    assert got == missed
    await nothing_for(client, operation, seconds=1.0)
    await client.close()
    no_trace_in(server)


async def test_a_token_expired_at_connection_init_is_refused(server, world):
    client = await FeedClient.connect(server, _expiring(world.supervisor, -1))
    assert (await closed_with(client)).code == 4403


@pytest.mark.parametrize(
    ("header", "payload", "lang"),
    [
        (None, {}, "ar"),
        ("en", {}, "en"),
        ("ar", {"Accept-Language": "en"}, "en"),
        ("en", {"accept-language": "ku-IQ"}, "ku"),
        ("ku", {"ACCEPT-LANGUAGE": 5}, "ku"),  # not text: the header's
    ],
)
async def test_answers_follow_the_language_of_connection_init(server, world, header, payload, lang):
    headers = {"Accept-Language": header} if header else {}
    socket = await websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], additional_headers=headers
    )
    client = FeedClient(socket)
    await client.send(
        {"type": "connection_init", "payload": {"Authorization": f"Bearer {world.supervisor}", **payload}}
    )
    await accepted(client)
    operation = await client.subscribe({"after": "not-a-cursor"})
    received = await client.receive()
    assert received["id"] == operation
    assert errors_of(received)[0]["message"] == message("bad_cursor", lang, field="after")
    await client.close()


@pytest.fixture(scope="module")
def production_server(database_url, tmp_path_factory):
    running = Server(
        database_url,
        tmp_path_factory.mktemp("feed-abuse-production"),
        MARKAZ_ENV="production",
        MARKAZ_RATE_LIMIT="off",
    )
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


async def _shipped_login(server: Server, badge: str) -> str:
    body = await post(server, SHIPPED_LOGIN, {"badgeNumber": badge, "password": PASSWORD})
    return body["data"]["login"]["accessToken"]


@pytest.mark.parametrize(("role", "hinted"), [(SUPERVISOR, False), (ADMIN, True)])
async def test_in_production_a_subscriptions_errors_hint_at_names_to_admins_only(
    production_server, committed_sessionmaker, role, hinted
):
    async with committed_sessionmaker() as session:
        governorates = ("IQ-BA",) if role == SUPERVISOR else ()
        _, badge = await make_officer(session, role=role, governorates=governorates)
        await session.commit()
    client = await FeedClient.connect(production_server, await _shipped_login(production_server, badge))
    await accepted(client)
    # the map page's released feed operation, with an area of a misspelt field
    operation = await client.subscribe({"area": {"governorat": "x"}}, query=MAP_FEED)
    received = await client.receive()
    assert received["id"] == operation
    text = errors_of(received)[0]["message"]
    assert "'AreaInput' not to include unknown field 'governorat'" in text, text
    assert ("Did you mean 'governorateId'?" in text) == hinted, text
    await client.close()
