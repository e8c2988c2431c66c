"""An officer's own sign-ins: changePassword ends the other sessions (their tokens get 401 at once) and
keeps this one; wrong current passwords are throttled like sign-ins and audited; refused new passwords
name the field and cost no try; mySessions and endSession, for oneself only."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from resolvers import throttle
from schema.node import to_global_id
from tests.factories import LOGIN, PASSWORD, make_officer, make_station

EN = {"accept-language": "en"}
NEW_PASSWORD = "a quiet river under the bridge"
CHANGE = """
mutation Change($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    officer { id } endedSessions errors { field code message retryAfterSeconds }
  }
}
"""
SESSIONS = "query { mySessions { id deviceId signedInAt lastUsedAt expiresAt current endedAt } }"
END = """
mutation End($input: EndSessionInput!) {
  endSession(input: $input) { session { id current endedAt deviceId } errors { field code message } }
}
"""
ME = "query { me { id } }"
REFRESH = """
mutation R($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken errors { code } } }
"""


async def _officer(sessionmaker, **extra) -> tuple[int, str]:
    async with sessionmaker() as session:
        station = await make_station(session)
        found = await make_officer(session, station_id=station, **extra)
        await session.commit()
    return found


async def _sign_in(gql, badge: str, device: str, password: str = PASSWORD) -> dict:
    body = await gql(LOGIN, {"badge": badge, "password": password}, headers={"x-device-id": device})
    payload = body["data"]["login"]
    assert payload["errors"] == [], payload
    return {
        "headers": {**EN, "authorization": f"Bearer {payload['accessToken']}", "x-device-id": device},
        "refresh": payload["refreshToken"],
    }


async def _change(gql, who: dict, current: str, new: str) -> dict:
    body = await gql(
        CHANGE, {"input": {"currentPassword": current, "newPassword": new}}, headers=who["headers"]
    )
    assert "errors" not in body, body
    return body["data"]["changePassword"]


async def _status(client, who: dict) -> int:
    response = await client.post("/graphql", json={"query": ME}, headers=who["headers"])
    return response.status_code


async def _rows(sessionmaker, sql: str, **params) -> list:
    async with sessionmaker() as session:
        return list((await session.execute(text(sql), params)).all())


async def test_a_new_password_ends_every_other_session_and_keeps_this_one(gql, client, sessionmaker):
    # given: the officer signed in on a phone and a tablet
    officer_id, badge = await _officer(sessionmaker)
    phone = await _sign_in(gql, badge, "phone-1")
    tablet = await _sign_in(gql, badge, "tablet-7")
    # when: the phone changes the password
    payload = await _change(gql, phone, PASSWORD, NEW_PASSWORD)
    # then
    assert payload["errors"] == [] and payload["endedSessions"] == 1
    assert payload["officer"] == {"id": to_global_id("Officer", officer_id)}
    assert await _status(client, phone) == 200
    assert await _status(client, tablet) == 401  # at once, not when its token expires
    refreshed = await gql(REFRESH, {"t": tablet["refresh"]})
    assert refreshed["data"]["refreshSession"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    old = await gql(LOGIN, {"badge": badge, "password": PASSWORD})
    assert old["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await gql(LOGIN, {"badge": badge, "password": NEW_PASSWORD}))["data"]["login"]["errors"] == []
    (entry,) = await _rows(
        sessionmaker, "SELECT officer_id, device_id, after FROM audit_log WHERE action = 'changePassword'"
    )
    assert entry.officer_id == officer_id and entry.device_id == "phone-1"
    assert len(entry.after["endedSessions"]) == 1 and "password" not in str(entry.after).replace(
        "Password", ""
    )
    assert NEW_PASSWORD not in str(entry.after) and PASSWORD not in str(entry.after)


async def test_a_refused_new_password_names_the_field_and_costs_no_try(gql, sessionmaker):
    _, badge = await _officer(sessionmaker)
    me = await _sign_in(gql, badge, "phone-1")
    for new, words in (
        ("short one", "at least 15"),
        ("password1234567", "common"),
        (f"Officer {badge} 2024", "badge"),
        ("aaaaaaaaaaaaaaaaaaaa", "repeated"),
        (PASSWORD, "differ"),
    ):
        payload = await _change(gql, me, PASSWORD, new)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["newPassword"], "INVALID")], new
        assert words in payload["errors"][0]["message"], (new, payload["errors"][0]["message"])
        assert payload["officer"] is None and payload["endedSessions"] == 0
    assert await _rows(sessionmaker, "SELECT * FROM login_throttle WHERE failures > 0") == []
    assert await _rows(sessionmaker, "SELECT * FROM audit_log WHERE action = 'changePassword'") == []
    # in Arabic too
    body = await gql(
        CHANGE,
        {"input": {"currentPassword": PASSWORD, "newPassword": "short"}},
        headers={**me["headers"], "accept-language": "ar"},
    )
    assert "15" in body["data"]["changePassword"]["errors"][0]["message"]
    assert "newPassword" in body["data"]["changePassword"]["errors"][0]["message"]


async def test_wrong_current_passwords_are_throttled_like_sign_ins(gql, client, sessionmaker):
    officer_id, badge = await _officer(sessionmaker)
    me = await _sign_in(gql, badge, "phone-1")
    other = await _sign_in(gql, badge, "tablet-7")
    for _ in range(throttle.FREE_TRIES):
        payload = await _change(gql, me, "not my password at all", NEW_PASSWORD)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            (["currentPassword"], "INVALID_CREDENTIALS")
        ]
    # then even the right one waits, as at sign-in
    payload = await _change(gql, me, PASSWORD, NEW_PASSWORD)
    (error,) = payload["errors"]
    assert (error["field"], error["code"]) == (["currentPassword"], "LIMIT_EXCEEDED")
    assert error["retryAfterSeconds"] >= 1 and f"{error['retryAfterSeconds']} seconds" in error["message"]
    # nothing changed: the old password, and the other session, still stand
    assert await _status(client, other) == 200
    # and the phone's sign-in waits too: the same count
    signing_in = await gql(LOGIN, {"badge": badge, "password": PASSWORD}, headers={"x-device-id": "phone-1"})
    assert [e["code"] for e in signing_in["data"]["login"]["errors"]] == ["LIMIT_EXCEEDED"]
    failed = await _rows(
        sessionmaker, "SELECT officer_id, after FROM audit_log WHERE action = 'change_password_failed'"
    )
    assert len(failed) == throttle.FREE_TRIES and {f.officer_id for f in failed} == {officer_id}
    assert all("not my password" not in str(f.after) for f in failed)
    # the counts are the sign-in's: the officer's phone is the source
    rows = await _rows(sessionmaker, "SELECT source_key, failures FROM login_throttle WHERE failures > 0")
    assert [tuple(r) for r in rows] == [("device:phone-1", throttle.FREE_TRIES)]  # a refused try counts none


async def test_sessions_are_listed_and_ended_by_their_officer_only(gql, client, sessionmaker):
    officer_id, badge = await _officer(sessionmaker)
    _, someone = await _officer(sessionmaker)
    phone = await _sign_in(gql, badge, "phone-1")
    tablet = await _sign_in(gql, badge, "tablet-7")
    stranger = await _sign_in(gql, someone, "their-phone")
    listed = (await gql(SESSIONS, headers=phone["headers"]))["data"]["mySessions"]
    assert sorted((s["deviceId"], s["current"]) for s in listed) == [("phone-1", True), ("tablet-7", False)]
    assert all(s["endedAt"] is None and s["signedInAt"] <= s["lastUsedAt"] for s in listed)
    tablet_id = next(s["id"] for s in listed if s["deviceId"] == "tablet-7")
    # another officer's session is not found, as one that does not exist; nothing ends
    for session_id in (tablet_id, to_global_id("SignInSession", "nonsense"), "garbage"):
        body = await gql(END, {"input": {"sessionId": session_id}}, headers=stranger["headers"])
        errors = body["data"]["endSession"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(["sessionId"], "NOT_FOUND")], session_id
    assert await _status(client, tablet) == 200
    # its officer ends it: its tokens stop working at once, and it is no longer listed
    ended = (await gql(END, {"input": {"sessionId": tablet_id}}, headers=phone["headers"]))["data"][
        "endSession"
    ]
    assert ended["errors"] == [] and ended["session"]["id"] == tablet_id and ended["session"]["endedAt"]
    assert ended["session"]["current"] is False and ended["session"]["deviceId"] == "tablet-7"
    assert await _status(client, tablet) == 401
    assert [s["deviceId"] for s in (await gql(SESSIONS, headers=phone["headers"]))["data"]["mySessions"]] == [
        "phone-1"
    ]
    again = (await gql(END, {"input": {"sessionId": tablet_id}}, headers=phone["headers"]))["data"][
        "endSession"
    ]
    assert again["errors"] == [] and again["session"]["endedAt"] == ended["session"]["endedAt"]
    entries = await _rows(sessionmaker, "SELECT officer_id, after FROM audit_log WHERE action = 'endSession'")
    assert [(e.officer_id, e.after) for e in entries] == [
        (officer_id, {"device": "tablet-7", "current": False})
    ]
    # and ending one's own current session is signing out
    current = next(s["id"] for s in listed if s["current"])
    (await gql(END, {"input": {"sessionId": current}}, headers=phone["headers"]))["data"]["endSession"]
    assert await _status(client, phone) == 401
    # citizens have no sessions to list or end
    assert (await gql(SESSIONS))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await gql(END, {"input": {"sessionId": tablet_id}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await gql(CHANGE, {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _operation(name: str) -> str:
    return (
        Path(__file__).parent.parent / "mobile_contract" / "operations" / "officer" / f"{name}.graphql"
    ).read_text(encoding="utf-8")


async def test_the_officer_apps_operations_for_sign_ins(gql, client, sessionmaker):
    _, badge = await _officer(sessionmaker)
    phone = await _sign_in(gql, badge, "phone-1")
    lost = await _sign_in(gql, badge, "lost-phone")
    listed = (await gql(_operation("MySessions"), headers=phone["headers"]))["data"]["mySessions"]
    assert {s["deviceId"] for s in listed} == {"phone-1", "lost-phone"}
    lost_id = next(s["id"] for s in listed if s["deviceId"] == "lost-phone")
    ended = await gql(_operation("EndSession"), {"sessionId": lost_id}, headers=phone["headers"])
    assert ended["data"]["endSession"]["errors"] == [] and await _status(client, lost) == 401
    changed = await gql(
        _operation("ChangePassword"),
        {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        headers=phone["headers"],
    )
    assert changed["data"]["changePassword"] == {"endedSessions": 0, "errors": []}
