"""Sign-in: tokens, expiry, refresh rotation and reuse detection, lockout, disabling, password change."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import text

from resolvers import officers, tokens
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


async def test_repeated_failures_slow_down_then_lock_even_for_unknown_badges(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    for who in (badge, "GHOST-7"):
        started = time.monotonic()
        codes = []
        for _ in range(5):
            body = await gql(LOGIN, {"badge": who, "password": "wrong password"})
            codes.append(body["data"]["login"]["errors"][0]["code"])
        assert time.monotonic() - started > 0.6  # 0 + 0.2 + 0.4 + 0.8 ... seconds of delay
        assert codes == ["INVALID_CREDENTIALS"] * 5
        locked = await gql(LOGIN, {"badge": who, "password": PASSWORD})
        assert locked["data"]["login"]["errors"][0]["code"] == "LIMIT_EXCEEDED"
        assert locked["data"]["login"]["accessToken"] is None


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
    token, expires = tokens.issue_access(key, officer_id=1, session_id=uuid.uuid4(), role="OFFICER",
                                         now=issued)
    assert expires - issued == timedelta(minutes=15)
    try:
        tokens.read_access(key, token)
    except tokens.TokenError:
        pass
    else:
        raise AssertionError("an expired token was accepted")
    fresh, _ = tokens.issue_access(key, officer_id=7, session_id=uuid.uuid4(), role="OFFICER")
    assert tokens.read_access(key, fresh)[0] == 7
