"""Rate limits: a token bucket per client address and per officer, 429 with Retry-After and a
GraphQL-shaped body, shared by processes through PostgreSQL or Redis (two app instances, one bucket).

The Redis tests start a `redis-server` of their own (Debian's redis-server package), or use
TEST_REDIS_URL; with neither they are skipped, saying why (in CI they fail instead)."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid

import httpx
import pytest

from api.app import create_app
from api.config import Settings
from api.ratelimit import RateLimiter
from db.rate_limits import PostgresBuckets
from db.redis_buckets import RedisBuckets
from tests.factories import make_officer, make_station, sign_in
from tests.servers import redis_for_tests

QUERY = {"query": "query G { governorates { code } }"}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_for_tests(tmp_path_factory.mktemp("redis")) as url:
        if url is None:
            reason = (
                "the Redis tests need redis-server on PATH (apt-get install redis-server) or TEST_REDIS_URL"
            )
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
        yield url


def _address() -> str:
    """A client address of the test's own, so no two tests (or runs) share a bucket."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


def _settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_RATE_LIMIT": "on",
            "MARKAZ_TRUSTED_PROXIES": "127.0.0.1",
            **env,
        }
    )


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m.test")


async def _ask(client: httpx.AsyncClient, address: str, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json=QUERY, headers={"x-forwarded-for": address, **headers})


@pytest.mark.parametrize("store", ["postgres", "redis"])
async def test_a_bucket_refuses_past_its_burst_and_refills(store, committed_sessionmaker, request):
    if store == "postgres":
        buckets = PostgresBuckets(committed_sessionmaker)
    else:
        buckets = RedisBuckets(request.getfixturevalue("redis_url"))
    limiter = RateLimiter(buckets, sync_interval=0)
    key = f"test:{uuid.uuid4()}"
    # when: a burst of 30, refilling at one token every two seconds (slow enough for a busy machine)
    waits = [await limiter.take(key, 0.5, 30) for _ in range(31)]
    # then: 30 pass, the 31st waits up to two seconds for the next token
    assert waits[:30] == [None] * 30
    assert waits[30] is not None and 0 < waits[30] <= 2.0
    await asyncio.sleep(waits[30] + 0.05)
    assert await limiter.take(key, 0.5, 30) is None  # the token that came back
    assert await limiter.take(key, 0.5, 30) is not None


async def _two_instances_share_a_bucket(tmp_path, committed_sessionmaker, **env: str):
    # given: two app instances (as two processes would be), one client address, a burst of 5
    settings = _settings(tmp_path, MARKAZ_RATE_CITIZEN="0.01", MARKAZ_RATE_CITIZEN_BURST="5", **env)
    one = create_app(settings, sessionmaker=committed_sessionmaker)
    two = create_app(settings, sessionmaker=committed_sessionmaker)
    address = _address()
    async with _client(one) as a, _client(two) as b:
        # when: three requests to the first, which then settles with the shared store
        assert [(await _ask(a, address)).status_code for _ in range(3)] == [200] * 3
        await one.state.rate_limiter.settle()
        # then: the second has two left of the shared five
        statuses = [(await _ask(b, address)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = await _ask(b, address, **{"accept-language": "en"})
        # and another address is not affected
        assert (await _ask(b, _address())).status_code == 200
    assert refused.status_code == 429
    retry = int(refused.headers["retry-after"])
    assert 1 <= retry <= 101  # a token a hundred seconds
    body = refused.json()
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry}
    assert "Too many requests" in body["errors"][0]["message"]


async def test_two_instances_share_a_bucket_in_postgres(tmp_path, committed_sessionmaker):
    await _two_instances_share_a_bucket(tmp_path, committed_sessionmaker)


async def test_two_instances_share_a_bucket_in_redis(tmp_path, committed_sessionmaker, redis_url):
    await _two_instances_share_a_bucket(tmp_path, committed_sessionmaker, REDIS_URL=redis_url)


async def test_exact_mode_asks_the_store_on_every_request(tmp_path, committed_sessionmaker):
    settings = _settings(
        tmp_path, MARKAZ_RATE_CITIZEN="0.01", MARKAZ_RATE_CITIZEN_BURST="4", MARKAZ_RATE_SYNC_MS="0"
    )
    one, two = (create_app(settings, sessionmaker=committed_sessionmaker) for _ in range(2))
    address = _address()
    async with _client(one) as a, _client(two) as b:
        statuses = [(await _ask(c, address)).status_code for c in (a, b, a, b, a, b)]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_officers_have_a_bucket_of_their_own_wherever_they_are(tmp_path, committed_sessionmaker):
    # given
    async with committed_sessionmaker() as session:
        station = await make_station(session)
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    settings = _settings(
        tmp_path, MARKAZ_RATE_OFFICER="0.01", MARKAZ_RATE_OFFICER_BURST="3", MARKAZ_RATE_SYNC_MS="0"
    )
    app = create_app(settings, sessionmaker=committed_sessionmaker)
    async with _client(app) as c:
        from tests.conftest import GraphQL

        login_address = _address()
        headers = await sign_in(GraphQL(c), badge) | {"x-forwarded-for": login_address}
        # when: the officer's requests come from three addresses
        statuses = [
            (await _ask(c, _address(), authorization=headers["authorization"])).status_code for _ in range(4)
        ]
        # then: one bucket of 3 for the officer; a citizen at the sign-in address still has its own
        assert statuses == [200, 200, 200, 429]
        assert (await _ask(c, login_address)).status_code == 200
        # a forged or expired token is counted against its address, then refused with 401
        forged = await _ask(c, _address(), authorization="Bearer not.a.token")
        assert forged.status_code == 401


async def test_rate_limits_are_off_in_development_unless_asked(tmp_path, committed_sessionmaker):
    assert Settings.from_env({}).rate_limit is False
    assert Settings.from_env({"MARKAZ_ENV": "production"}).rate_limit is True
    assert Settings.from_env({"MARKAZ_ENV": "production", "MARKAZ_RATE_LIMIT": "off"}).rate_limit is False
    app = create_app(
        Settings.from_env({"MARKAZ_DATA_DIR": str(tmp_path), "MARKAZ_RATE_CITIZEN_BURST": "1"}),
        sessionmaker=committed_sessionmaker,
    )
    async with _client(app) as c:
        assert [(await c.post("/graphql", json=QUERY)).status_code for _ in range(3)] == [200] * 3


async def test_a_store_that_fails_leaves_each_process_deciding_alone():
    limiter = RateLimiter(RedisBuckets("redis://127.0.0.1:9/0"), sync_interval=0.01)  # nothing listens
    key = f"test:{uuid.uuid4()}"
    started = time.monotonic()
    waits = [await limiter.take(key, 15, 3) for _ in range(4)]
    assert waits[:3] == [None] * 3 and waits[3] is not None
    assert time.monotonic() - started < 5


async def test_settling_reports_what_each_process_let_through(committed_sessionmaker):
    """Two limiters (two processes) in batched mode: after both settle, the shared level is what is
    left of the burst after both, and each learns it."""
    store = PostgresBuckets(committed_sessionmaker)
    one, two = RateLimiter(store, sync_interval=60), RateLimiter(store, sync_interval=60)
    key = f"test:{uuid.uuid4()}"
    assert [await one.take(key, 0.001, 10) for _ in range(4)] == [None] * 4
    assert [await two.take(key, 0.001, 10) for _ in range(3)] == [None] * 3
    await one.settle()
    await two.settle()
    # 10 - 4 - 3 = 3 left, shared: the last to settle learnt it, and lets three more through, not six
    assert [await two.take(key, 0.001, 10) for _ in range(3)] == [None] * 3
    assert (await two.take(key, 0.001, 10)) is not None
