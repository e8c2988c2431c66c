"""Sign-in: tokens, expiry, refresh rotation and reuse detection, throttling, disabling, password change."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import text

from api.app import create_app
from api.config import Settings
from db.audit import KEY_INFO
from db.engine import make_engine, make_reader, make_sessionmaker
from resolvers import officers, throttle, tokens
from tests.conftest import AUDIT_INFO, GraphQL
from tests.factories import LOGIN, PASSWORD, make_officer, make_station, sign_in

ME = "query { me { badgeNumber role station { name } } }"
REFRESH = """
mutation R($token: String!) {
  refreshSession(input: {refreshToken: $token}) { accessToken refreshToken errors { code field } }
}
"""
LOGOUT = "mutation { logout(input: {}) { ok errors { code } } }"


async def _officer(sessionmaker, **kwargs):
    async with sessionmaker() as session:
        station = await make_station(session)
        officer_id, badge = await make_officer(session, station_id=station, **kwargs)
        await session.commit()
    return officer_id, badge


async def test_login_gives_tokens_and_me(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    headers = await sign_in(gql, badge)
    body = await gql(ME, headers=headers)
    assert body["data"]["me"]["badgeNumber"] == badge
    assert (await gql(ME))["data"]["me"] is None  # a citizen


async def test_wrong_password_and_unknown_badge_answer_alike(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    wrong = await gql(LOGIN, {"badge": badge, "password": "not the password"})
    unknown = await gql(LOGIN, {"badge": "NOBODY-1", "password": "not the password"})
    assert wrong["data"]["login"] == unknown["data"]["login"]
    assert wrong["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert wrong["data"]["login"]["accessToken"] is None


TRY = """
mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) {
    accessToken errors { code message retryAfterSeconds }
  }
}
"""


async def _try(
    gql, badge: str, password: str, *, address: str | None = None, device: str | None = None, lang: str = "en"
) -> dict:
    """One sign-in from an address (X-Forwarded-For, believed from the test's proxy) and device."""
    headers = {"accept-language": lang}
    if address:
        headers["x-forwarded-for"] = address
    if device:
        headers["x-device-id"] = device
    return (await gql(TRY, {"badge": badge, "password": password}, headers=headers))["data"]["login"]


def _code(result: dict) -> str:
    return result["errors"][0]["code"] if result["errors"] else "OK"


@pytest.fixture
def behind_proxy(sessionmaker, tmp_path) -> GraphQL:
    """The app behind a trusted proxy on loopback: each request may come from an address of its own."""
    settings = Settings.from_env(
        {
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_TRUSTED_PROXIES": "127.0.0.1",
            "MARKAZ_AUDIT_KEY": os.environ["MARKAZ_AUDIT_KEY"],
        }
    )
    app = create_app(settings, sessionmaker=sessionmaker)
    return GraphQL(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://markaz.test"))


async def test_failures_from_one_source_make_it_wait_and_the_right_password_works_after(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    for who in (badge, "GHOST-7"):
        # given five wrong passwords from one address: each is checked and refused alike
        tries = [_code(await _try(gql, who, "wrong password")) for _ in range(5)]
        assert tries == ["INVALID_CREDENTIALS"] * 5
        # then the next try, the right password too, must wait a second, said in the client's language
        refused = await _try(gql, who, PASSWORD, lang="ar")
        assert refused["accessToken"] is None
        assert refused["errors"][0]["code"] == "LIMIT_EXCEEDED"
        assert refused["errors"][0]["retryAfterSeconds"] == 1
        assert "ثانية" in refused["errors"][0]["message"]
    # and after the wait the right password works, and clears the record: five free tries again
    await asyncio.sleep(1.1)
    assert _code(await _try(gql, badge, PASSWORD)) == "OK"
    assert [_code(await _try(gql, badge, "wrong")) for _ in range(5)] == ["INVALID_CREDENTIALS"] * 5
    # each further failure doubles the wait
    await asyncio.sleep(1.1)
    assert _code(await _try(gql, badge, "wrong")) == "INVALID_CREDENTIALS"
    assert (await _try(gql, badge, PASSWORD))["errors"][0]["retryAfterSeconds"] == 2


async def test_a_strangers_guesses_never_keep_the_officer_out(behind_proxy, sessionmaker):
    gql = behind_proxy
    _, badge = await _officer(sessionmaker)
    # given the officer's phone, on which the officer signed in before
    assert _code(await _try(gql, badge, PASSWORD, address="198.51.100.7", device="phone-of-officer")) == "OK"
    # when a stranger guesses from one address until refused, inventing device ids as it goes
    tries = [
        _code(await _try(gql, badge, f"guess {i}", address="203.0.113.9", device=f"made-up-{i}"))
        for i in range(8)
    ]
    assert tries == ["INVALID_CREDENTIALS"] * 5 + ["LIMIT_EXCEEDED"] * 3
    # and from 20 more addresses, once each: the account is now under attack
    for i in range(20):
        assert _code(await _try(gql, badge, "guess", address=f"192.0.2.{i + 1}")) == "INVALID_CREDENTIALS"
    # then the officer's phone signs in, even from the stranger's own address
    assert _code(await _try(gql, badge, PASSWORD, address="203.0.113.9", device="phone-of-officer")) == "OK"
    # and so does the right password from any address with a clean record, a new phone's
    assert _code(await _try(gql, badge, PASSWORD, address="198.51.100.80", device="new-phone")) == "OK"
    # but an address that fails now gets no free tries left: its next waits half a minute
    assert _code(await _try(gql, badge, "guess", address="198.51.100.99")) == "INVALID_CREDENTIALS"
    waiting = await _try(gql, badge, PASSWORD, address="198.51.100.99")
    assert waiting["errors"][0]["code"] == "LIMIT_EXCEEDED"
    assert 25 <= waiting["errors"][0]["retryAfterSeconds"] <= 30


async def test_concurrent_guesses_get_no_more_tries_than_the_limit(
    committed_sessionmaker, database_url, settings
):
    # given the app as the server runs it, on a small pool whose statements time out after 300 ms
    engine = make_engine(database_url, pool_size=3, statement_timeout_ms=300)
    maker = make_sessionmaker(engine, audit_key=AUDIT_INFO[KEY_INFO])
    app = create_app(settings, sessionmaker=maker, reader=make_reader(engine))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m.test") as c:
            gql = GraphQL(c)
            _, badge = await _officer(committed_sessionmaker)
            # when forty wrong guesses arrive at once
            results = await asyncio.gather(*(_try(gql, badge, f"guess {i}") for i in range(40)))
            # then exactly the five free ones were checked, the rest refused, and none failed otherwise
            codes = sorted(_code(r) for r in results)
            assert codes == ["INVALID_CREDENTIALS"] * 5 + ["LIMIT_EXCEEDED"] * 35
            # and the right password, sent at once with more guesses after the wait, signs in
            await asyncio.sleep(1.1)
            right, *guesses = await asyncio.gather(
                _try(gql, badge, PASSWORD), *(_try(gql, badge, "guess") for _ in range(10))
            )
            if _code(right) != "OK":  # a guess came first and took the one try: a second more
                assert sum(_code(g) == "INVALID_CREDENTIALS" for g in guesses) == 1
                await asyncio.sleep(2.1)
                right = await _try(gql, badge, PASSWORD)
            assert _code(right) == "OK"
    finally:
        await engine.dispose()


def test_a_source_is_a_whole_ipv6_slash_64():
    assert throttle.address_key("2001:db8:1:2::1") == throttle.address_key("2001:db8:1:2:ffff::9")
    assert throttle.address_key("2001:db8:1:3::1") != throttle.address_key("2001:db8:1:2::1")
    assert throttle.address_key("::ffff:192.0.2.1") == throttle.address_key("192.0.2.1") == "ip:192.0.2.1"
    assert throttle.address_key(None) == throttle.address_key("not an address") == "ip:unknown"
    assert [throttle.wait_after(n) for n in (4, 5, 6, 14, 40)] == [0, 1, 2, 512, 900]
    assert [throttle.wait_after(n, under_attack=True) for n in (0, 1, 2, 9)] == [0, 30, 60, 900]


async def test_refresh_rotates_and_reuse_ends_the_session(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    first = (await gql(LOGIN, {"badge": badge, "password": PASSWORD}))["data"]["login"]
    second = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshSession"]
    assert second["errors"] == [] and second["refreshToken"] != first["refreshToken"]
    third = (await gql(REFRESH, {"token": second["refreshToken"]}))["data"]["refreshSession"]
    assert third["errors"] == []
    # the first token again: someone copied it; the whole session ends
    reuse = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshSession"]
    assert reuse["errors"][0]["code"] == "INVALID_CREDENTIALS"
    after = (await gql(REFRESH, {"token": third["refreshToken"]}))["data"]["refreshSession"]
    assert after["errors"][0]["code"] == "INVALID_CREDENTIALS"
    refused = await gql(ME, headers={"authorization": f"Bearer {third['accessToken']}"}, status=401)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_logout_ends_the_session(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    headers = await sign_in(gql, badge)
    assert (await gql(LOGOUT, headers=headers))["data"]["logout"] == {"ok": True, "errors": []}
    await gql(ME, headers=headers, status=401)


async def test_bad_tokens_are_refused(gql, sessionmaker, client):
    _, badge = await _officer(sessionmaker)
    good = (await sign_in(gql, badge))["authorization"].split()[1]
    claims = jwt.decode(good, options={"verify_signature": False})
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, _key(client), algorithm="HS256")
    forged = jwt.encode(claims, "another key of at least thirty-two characters", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (expired, forged, unsigned, "garbage", good[:-3] + "abc"):
        body = await gql(ME, headers={"authorization": f"Bearer {token}"}, status=401)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await gql(ME, headers={"authorization": f"Basic {good}"}, status=401)


def _key(client) -> str:
    routes = client._transport.app.routes  # the endpoint holds the key it signs with
    return next(r.endpoint.__self__.secret_key for r in routes if r.path == "/graphql")


async def test_disabling_an_officer_or_changing_the_password_ends_sessions(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    headers = await sign_in(gql, badge)
    async with sessionmaker() as session:
        assert await officers.reset_password(session, badge, "a brand new passphrase") == 1
        await session.commit()
    await gql(ME, headers=headers, status=401)
    old = await gql(LOGIN, {"badge": badge, "password": PASSWORD})
    assert old["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    headers = await sign_in(gql, badge, "a brand new passphrase")
    async with sessionmaker() as session:
        await officers.disable_officer(session, badge)
        await session.commit()
    await gql(ME, headers=headers, status=401)
    disabled = await gql(LOGIN, {"badge": badge, "password": "a brand new passphrase"})
    assert disabled["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_refresh_tokens_are_stored_hashed(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    login = (await gql(LOGIN, {"badge": badge, "password": PASSWORD}))["data"]["login"]
    async with sessionmaker() as session:
        stored = (await session.execute(text("SELECT token_hash FROM refresh_tokens"))).scalars().all()
        hashes = (await session.execute(text("SELECT password_hash FROM officers"))).scalars().all()
    assert tokens.refresh_hash(login["refreshToken"]) in stored
    assert login["refreshToken"].encode() not in stored
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_access_tokens_expire_after_fifteen_minutes():
    key = "k" * 40
    issued = datetime.now(UTC) - timedelta(minutes=16)
    token, expires = tokens.issue_access(
        key, officer_id=1, session_id=uuid.uuid4(), role="OFFICER", now=issued
    )
    assert expires - issued == timedelta(minutes=15)
    try:
        tokens.read_access(key, token)
    except tokens.TokenError:
        pass
    else:
        raise AssertionError("an expired token was accepted")
    fresh, _ = tokens.issue_access(key, officer_id=7, session_id=uuid.uuid4(), role="OFFICER")
    assert tokens.read_access(key, fresh)[0] == 7
