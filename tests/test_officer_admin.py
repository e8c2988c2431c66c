"""Officer administration through the API: createOfficer (a one-time password the officer must change
before anything else), updateOfficer, resetOfficerPassword, unlockOfficer and the `officers` list. Who
may (resolvers.policy): an admin any account but their own; a station commander the OFFICER accounts of
their own station, never a higher role nor another station; everyone else refused. Each refusal is
tested, each act audited."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from schema.node import to_global_id
from tests.factories import LOGIN, PASSWORD, make_officer, make_station, sign_in

EN = {"accept-language": "en"}
NEW_PASSWORD = "a quiet river under the bridge"
OFFICER_FIELDS = "id badgeNumber role active version mustChangePassword station { id } governorates { code }"
CREATE = f"""
mutation Create($input: CreateOfficerInput!) {{
  createOfficer(input: $input) {{
    officer {{ {OFFICER_FIELDS} }} oneTimePassword errors {{ field code message }}
  }}
}}"""
UPDATE = f"""
mutation Update($input: UpdateOfficerInput!) {{
  updateOfficer(input: $input) {{
    officer {{ {OFFICER_FIELDS} }} currentVersion errors {{ field code message }}
  }}
}}"""
RESET = f"""
mutation Reset($input: ResetOfficerPasswordInput!) {{
  resetOfficerPassword(input: $input) {{
    officer {{ {OFFICER_FIELDS} }} oneTimePassword endedSessions errors {{ field code message }}
  }}
}}"""
UNLOCK = """
mutation Unlock($input: UnlockOfficerInput!) {
  unlockOfficer(input: $input) { officer { id } errors { field code message } }
}"""
LIST = """
query List($filter: OfficerFilter, $first: Int, $after: String) {
  officers(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id badgeNumber role } } pageInfo { hasNextPage endCursor }
  }
}"""
CHANGE = """
mutation Change($input: ChangePasswordInput!) {
  changePassword(input: $input) { officer { id } errors { code } }
}
"""
LOGIN_FLAG = """
mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) { accessToken mustChangePassword errors { code } }
}"""


class World:
    """Stations A and B in Nineveh, C in Basra; an admin, A's commander and officer, B's officer and
    commander, a Nineveh supervisor; each signed in."""

    def __init__(self, gql: Any, sessionmaker: Any) -> None:
        self.gql, self.sessionmaker = gql, sessionmaker
        self.ids: dict[str, int] = {}
        self.badges: dict[str, str] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.stations: dict[str, int] = {}

    async def build(self) -> World:
        async with self.sessionmaker() as session:
            for name, gov in (("A", "IQ-NI"), ("B", "IQ-NI"), ("C", "IQ-BA")):
                self.stations[name] = await make_station(session, governorate=gov)
            for who, role, station, govs in (
                ("admin", "ADMIN", None, ()),
                ("cmdA", "STATION_COMMANDER", "A", ()),
                ("offA", "OFFICER", "A", ()),
                ("offA2", "OFFICER", "A", ()),
                ("offB", "OFFICER", "B", ()),
                ("cmdB", "STATION_COMMANDER", "B", ()),
                ("offC", "OFFICER", "C", ()),
                ("supNI", "SUPERVISOR", None, ("IQ-NI",)),
            ):
                self.ids[who], self.badges[who] = await make_officer(
                    session,
                    role=role,
                    station_id=self.stations[station] if station else None,
                    governorates=govs,
                )
            await session.commit()
        for who in self.ids:
            self.headers[who] = {**EN, **await sign_in(self.gql, self.badges[who])}
        self.headers["citizen"] = dict(EN)
        return self

    def gid(self, who: str) -> str:
        return to_global_id("Officer", self.ids[who])

    def station(self, name: str) -> str:
        return to_global_id("Station", self.stations[name])

    async def call(self, document: str, variables: dict, who: str) -> dict:
        return await self.gql(document, variables, headers=self.headers[who])

    async def version(self, who: str) -> int:
        return int(await self.scalar("SELECT version FROM officers WHERE id = :i", i=self.ids[who]))

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.sessionmaker() as session:
            return (await session.execute(text(sql), params)).scalar()

    async def audited(self, action: str, officer_id: int) -> list[Any]:
        async with self.sessionmaker() as session:
            rows = await session.execute(
                text("SELECT * FROM audit_log WHERE action = :a AND entity_id = :e ORDER BY id"),
                {"a": action, "e": str(officer_id)},
            )
            return list(rows)


@pytest.fixture
async def w(gql, sessionmaker) -> World:
    return await World(gql, sessionmaker).build()


def _new(role: str = "OFFICER", **extra: Any) -> dict:
    badge = f"N{uuid.uuid4().hex[:8]}"
    return {
        "clientId": str(uuid.uuid4()),
        "badgeNumber": badge,
        "name": f"New {badge}",
        "role": role,
        **extra,
    }


def _code(body: dict) -> str | None:
    errors = body.get("errors") or ()
    return errors[0]["extensions"]["code"] if errors else None


# --- createOfficer ------------------------------------------------------------------------------------


async def test_a_new_officer_must_change_the_one_time_password_before_anything_else(w: World) -> None:
    # given: the admin makes an officer of station A
    body = await w.call(CREATE, {"input": _new(stationId=w.station("A"))}, "admin")
    payload = body["data"]["createOfficer"]
    assert payload["errors"] == [], payload
    officer, password = payload["officer"], payload["oneTimePassword"]
    assert officer["mustChangePassword"] is True and officer["version"] == 1 and len(password) >= 15
    # when: the officer signs in with it
    login = (await w.gql(LOGIN_FLAG, {"badge": officer["badgeNumber"], "password": password}))["data"][
        "login"
    ]
    # then: signed in, told to change it; only changePassword, logout and me may run
    assert login["errors"] == [] and login["mustChangePassword"] is True
    headers = {**EN, "authorization": f"Bearer {login['accessToken']}"}
    assert (await w.gql("query { me { id mustChangePassword } }", headers=headers))["data"]["me"] == {
        "id": officer["id"],
        "mustChangePassword": True,
    }
    refused = await w.gql("query { incidents(first: 1) { totalCount } }", headers=headers)
    assert refused["data"] is None and _code(refused) == "PASSWORD_CHANGE_REQUIRED"
    mixed = await w.gql("query { me { id } stations(first: 1) { totalCount } }", headers=headers)
    assert _code(mixed) == "PASSWORD_CHANGE_REQUIRED"
    # when: the password is changed
    changed = await w.gql(
        CHANGE, {"input": {"currentPassword": password, "newPassword": NEW_PASSWORD}}, headers=headers
    )
    assert changed["data"]["changePassword"]["errors"] == []
    # then: the same session works as any other
    open_now = await w.gql("query { incidents(first: 1) { totalCount } }", headers=headers)
    assert "errors" not in open_now, open_now
    assert (await w.gql("query { me { mustChangePassword } }", headers=headers))["data"]["me"] == {
        "mustChangePassword": False
    }
    # and the act is in the audit log, by the admin, without any password
    entries = await w.audited("officer_created", int(await w.scalar("SELECT max(id) FROM officers")))
    assert len(entries) == 1 and entries[0].officer_id == w.ids["admin"]
    assert password not in str(entries[0].after) and "password_hash" not in str(entries[0].after)


async def test_the_same_client_id_makes_one_account_and_gives_the_password_once(w: World) -> None:
    given = _new(stationId=w.station("A"))
    first = (await w.call(CREATE, {"input": given}, "admin"))["data"]["createOfficer"]
    again = (await w.call(CREATE, {"input": given}, "admin"))["data"]["createOfficer"]
    assert again["errors"] == [] and again["officer"]["id"] == first["officer"]["id"]
    assert first["oneTimePassword"] and again["oneTimePassword"] is None
    assert (
        await w.scalar("SELECT count(*) FROM officers WHERE badge_number = :b", b=given["badgeNumber"]) == 1
    )
    other = (await w.call(CREATE, {"input": {**given, "name": "Someone Else"}}, "admin"))["data"]
    assert [e["code"] for e in other["createOfficer"]["errors"]] == ["CONFLICT"]


async def test_create_is_validated_whole_and_names_each_field(w: World) -> None:
    bad = {
        **_new(),
        "badgeNumber": w.badges["offA"],
        "name": "  ",
        "governorateIds": ["R292ZXJub3JhdGU6SVEtTkk="],
    }
    payload = (await w.call(CREATE, {"input": bad}, "admin"))["data"]["createOfficer"]
    fields = {tuple(e["field"]): e["code"] for e in payload["errors"]}
    assert fields == {
        ("name",): "INVALID",
        ("governorateIds",): "INVALID",
        ("stationId",): "INVALID",
        ("badgeNumber",): "CONFLICT",
    }, payload
    supervisor = (await w.call(CREATE, {"input": _new("SUPERVISOR", stationId=w.station("A"))}, "admin"))[
        "data"
    ]
    fields = {tuple(e["field"]) for e in supervisor["createOfficer"]["errors"]}
    assert fields == {("stationId",), ("governorateIds",)}
    unknown = _new(stationId=to_global_id("Station", 999_999_999))
    codes = [
        (e["field"], e["code"])
        for e in (await w.call(CREATE, {"input": unknown}, "admin"))["data"]["createOfficer"]["errors"]
    ]
    assert codes == [(["stationId"], "NOT_FOUND")]
    assert await w.scalar("SELECT count(*) FROM officers") == len(w.ids)


async def test_a_commander_makes_officers_of_their_own_station_only(w: World) -> None:
    # allowed: an OFFICER, by default at the commander's station
    made = (await w.call(CREATE, {"input": _new()}, "cmdA"))["data"]["createOfficer"]
    assert made["errors"] == [] and made["officer"]["station"]["id"] == w.station("A")
    # refused: a higher role, another station
    for given in (_new("STATION_COMMANDER"), _new("SUPERVISOR", governorateIds=[]), _new("ADMIN")):
        body = await w.call(CREATE, {"input": given}, "cmdA")
        assert _code(body) == "FORBIDDEN" and body["data"] is None, body
    body = await w.call(CREATE, {"input": _new(stationId=w.station("B"))}, "cmdA")
    assert _code(body) == "FORBIDDEN" and "stationId" in body["errors"][0]["message"]
    assert await w.scalar("SELECT count(*) FROM officers") == len(w.ids) + 1


@pytest.mark.parametrize("who", ["offA", "supNI"])
async def test_officers_and_supervisors_may_not_administer(w: World, who: str) -> None:
    for document, variables in (
        (CREATE, {"input": _new(stationId=w.station("A"))}),
        (UPDATE, {"input": {"officerId": w.gid("offA2"), "expectedVersion": 1, "active": False}}),
        (RESET, {"input": {"clientId": str(uuid.uuid4()), "officerId": w.gid("offA2")}}),
        (UNLOCK, {"input": {"officerId": w.gid("offA2")}}),
    ):
        body = await w.call(document, variables, who)
        assert body["data"] is None and _code(body) == "FORBIDDEN", body
    assert await w.scalar("SELECT bool_and(active) FROM officers")


async def test_citizens_are_unauthenticated(w: World) -> None:
    body = await w.call(CREATE, {"input": _new(stationId=w.station("A"))}, "citizen")
    assert _code(body) == "UNAUTHENTICATED"
    assert _code(await w.call(LIST, {}, "citizen")) == "UNAUTHENTICATED"


# --- updateOfficer ------------------------------------------------------------------------------------


def _update(w: World, who: str, version: int = 1, **changes: Any) -> dict:
    return {"input": {"officerId": w.gid(who), "expectedVersion": version, **changes}}


async def test_a_commander_disables_an_officer_of_their_station_and_the_sessions_end(
    w: World, client
) -> None:
    payload = (await w.call(UPDATE, _update(w, "offA", active=False), "cmdA"))["data"]["updateOfficer"]
    assert (
        payload["errors"] == []
        and payload["officer"]["active"] is False
        and payload["officer"]["version"] == 2
    )
    response = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=w.headers["offA"])
    assert response.status_code == 401
    entries = await w.audited("officer_updated", w.ids["offA"])
    assert entries[0].before["active"] is True and entries[0].after["active"] is False
    assert entries[0].officer_id == w.ids["cmdA"]


async def test_a_commander_is_refused_each_step_beyond_their_officers(w: World) -> None:
    # raising an officer, moving one to another station, editing a commander or themselves: FORBIDDEN
    for variables, who in (
        (_update(w, "offA", role="STATION_COMMANDER"), "cmdA"),
        (_update(w, "offA", role="SUPERVISOR", governorateIds=[]), "cmdA"),
        (_update(w, "offA", stationId=w.station("B")), "cmdA"),
        (_update(w, "cmdA", active=False), "cmdA"),
    ):
        body = await w.call(UPDATE, variables, who)
        assert body["data"] is None and _code(body) == "FORBIDDEN", (variables, body)
    # another station's officer is not theirs to know of: NOT_FOUND, as a missing one
    payload = (await w.call(UPDATE, _update(w, "offB", active=False), "cmdA"))["data"]["updateOfficer"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["officerId"], "NOT_FOUND")]
    assert await w.scalar("SELECT bool_and(active) FROM officers") is True
    assert await w.scalar("SELECT max(version) FROM officers") == 1


async def test_an_admin_changes_a_role_and_the_station_goes_with_it(w: World) -> None:
    gov = to_global_id("Governorate", "IQ-NI")
    payload = (await w.call(UPDATE, _update(w, "offA", role="SUPERVISOR", governorateIds=[gov]), "admin"))[
        "data"
    ]["updateOfficer"]
    assert payload["errors"] == [], payload
    assert payload["officer"]["role"] == "SUPERVISOR" and payload["officer"]["station"] is None
    assert payload["officer"]["governorates"] == [{"code": "IQ-NI"}]
    # a supervisor without governorates, or given a station, is refused naming the field
    bad = (await w.call(UPDATE, _update(w, "offA2", role="SUPERVISOR"), "admin"))["data"]["updateOfficer"]
    assert [e["field"] for e in bad["errors"]] == [["governorateIds"]]
    # an admin may not change their own account here
    assert _code(await w.call(UPDATE, _update(w, "admin", active=False), "admin")) == "FORBIDDEN"


async def test_a_stale_version_is_a_conflict_and_changes_nothing(w: World) -> None:
    first = (await w.call(UPDATE, _update(w, "offA", active=False), "admin"))["data"]["updateOfficer"]
    assert first["errors"] == []
    stale = (await w.call(UPDATE, _update(w, "offA", active=True), "admin"))["data"]["updateOfficer"]
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"] and stale["currentVersion"] == 2
    assert await w.scalar("SELECT active FROM officers WHERE id = :i", i=w.ids["offA"]) is False


# --- resetOfficerPassword, unlockOfficer --------------------------------------------------------------


async def test_a_reset_ends_sessions_and_gives_a_one_time_password_once(w: World, client) -> None:
    client_id = str(uuid.uuid4())
    variables = {"input": {"clientId": client_id, "officerId": w.gid("offA")}}
    payload = (await w.call(RESET, variables, "cmdA"))["data"]["resetOfficerPassword"]
    assert payload["errors"] == [] and payload["endedSessions"] == 1
    assert payload["officer"]["mustChangePassword"] is True
    password = payload["oneTimePassword"]
    assert (
        await client.post("/graphql", json={"query": "{ me { id } }"}, headers=w.headers["offA"])
    ).status_code == 401
    old = (await w.gql(LOGIN, {"badge": w.badges["offA"], "password": PASSWORD}))["data"]["login"]
    assert [e["code"] for e in old["errors"]] == ["INVALID_CREDENTIALS"]
    new = (await w.gql(LOGIN_FLAG, {"badge": w.badges["offA"], "password": password}))["data"]["login"]
    assert new["errors"] == [] and new["mustChangePassword"] is True
    # the same request again resets nothing more and gives no password
    again = (await w.call(RESET, variables, "cmdA"))["data"]["resetOfficerPassword"]
    assert again["errors"] == [] and again["oneTimePassword"] is None
    assert len(await w.audited("officer_password_reset", w.ids["offA"])) == 1
    # refused: another station's officer (NOT_FOUND), a commander (FORBIDDEN)
    other = {"input": {"clientId": str(uuid.uuid4()), "officerId": w.gid("offB")}}
    assert [
        e["code"] for e in (await w.call(RESET, other, "cmdA"))["data"]["resetOfficerPassword"]["errors"]
    ] == ["NOT_FOUND"]
    commander = {"input": {"clientId": str(uuid.uuid4()), "officerId": w.gid("cmdB")}}
    assert _code(await w.call(RESET, commander, "cmdB")) == "FORBIDDEN"
    codes = [
        e["code"] for e in (await w.call(RESET, commander, "cmdA"))["data"]["resetOfficerPassword"]["errors"]
    ]
    assert codes == ["NOT_FOUND"]


async def test_unlock_forgets_the_failed_sign_ins(w: World) -> None:
    for _ in range(3):
        await w.gql(LOGIN, {"badge": w.badges["offA"], "password": "not the password at all"})
    key = w.badges["offA"].casefold()
    assert await w.scalar("SELECT count(*) FROM login_throttle WHERE badge_key = :k", k=key) > 0
    payload = (await w.call(UNLOCK, {"input": {"officerId": w.gid("offA")}}, "cmdA"))["data"]["unlockOfficer"]
    assert payload["errors"] == []
    assert await w.scalar("SELECT count(*) FROM login_throttle WHERE badge_key = :k", k=key) == 0
    assert len(await w.audited("officer_unlocked", w.ids["offA"])) == 1
    # refused: a commander unlocking another station's officer, or a commander
    payload = (await w.call(UNLOCK, {"input": {"officerId": w.gid("offB")}}, "cmdA"))["data"]["unlockOfficer"]
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    assert _code(await w.call(UNLOCK, {"input": {"officerId": w.gid("cmdA")}}, "cmdA")) == "FORBIDDEN"


async def test_a_commander_may_not_act_on_another_commander_of_their_own_station(w: World) -> None:
    # given: a second commander at station A, with failed sign-ins on record (something to unlock)
    async with w.sessionmaker() as session:
        second, badge = await make_officer(session, role="STATION_COMMANDER", station_id=w.stations["A"])
        await session.commit()
    w.ids["cmdA2"], w.badges["cmdA2"] = second, badge
    w.headers["cmdA2"] = {**EN, **await sign_in(w.gql, badge)}
    for _ in range(3):
        await w.gql(LOGIN, {"badge": badge, "password": "not the password at all"})
    key = badge.casefold()
    throttled = await w.scalar("SELECT count(*) FROM login_throttle WHERE badge_key = :k", k=key)
    assert throttled > 0
    # when: A's first commander changes the second's role (even down to OFFICER) or active flag, resets
    # the password or unlocks the account; and the second does the same to the first
    for actor, target in (("cmdA", "cmdA2"), ("cmdA2", "cmdA")):
        for document, variables in (
            (UPDATE, _update(w, target, role="OFFICER")),
            (UPDATE, _update(w, target, active=False)),
            (RESET, {"input": {"clientId": str(uuid.uuid4()), "officerId": w.gid(target)}}),
            (UNLOCK, {"input": {"officerId": w.gid(target)}}),
        ):
            body = await w.call(document, variables, actor)
            # then: FORBIDDEN, naming the account (a colleague's account is visible, so not NOT_FOUND)
            assert body["data"] is None and _code(body) == "FORBIDDEN", (actor, document, body)
            assert "officerId" in body["errors"][0]["message"], body
    # and nothing changed: both still commanders, active, at version 1, their passwords as they were,
    # the failed sign-ins still counted, no session ended, and nothing audited
    for who in ("cmdA", "cmdA2"):
        row = await w.scalar(
            "SELECT row(role, active, version, must_change_password)::text FROM officers WHERE id = :i",
            i=w.ids[who],
        )
        assert row == "(STATION_COMMANDER,t,1,f)", (who, row)
        me = await w.gql("query { me { id } }", headers=w.headers[who])
        assert me["data"]["me"]["id"] == w.gid(who), me
    assert await w.scalar("SELECT count(*) FROM login_throttle WHERE badge_key = :k", k=key) == throttled
    for action in ("officer_updated", "officer_password_reset", "officer_unlocked"):
        for who in ("cmdA", "cmdA2"):
            assert await w.audited(action, w.ids[who]) == [], (action, who)
    # while an admin may: the same reset by the admin goes through
    done = await w.call(
        RESET, {"input": {"clientId": str(uuid.uuid4()), "officerId": w.gid("cmdA2")}}, "admin"
    )
    assert done["data"]["resetOfficerPassword"]["errors"] == [], done


# --- officers -----------------------------------------------------------------------------------------


async def _listed(w: World, who: str, **filter: Any) -> set[str]:
    body = await w.call(LIST, {"filter": filter or None, "first": 100}, who)
    assert "errors" not in body, body
    return {e["node"]["badgeNumber"] for e in body["data"]["officers"]["edges"]}


async def test_the_officers_list_is_each_ones_scope(w: World) -> None:
    b = w.badges
    assert await _listed(w, "admin") == set(b.values())
    assert await _listed(w, "cmdA") == {b["cmdA"], b["offA"], b["offA2"]}
    assert await _listed(w, "supNI") == {b[k] for k in ("cmdA", "offA", "offA2", "offB", "cmdB", "supNI")}
    assert await _listed(w, "admin", roles=["STATION_COMMANDER"]) == {b["cmdA"], b["cmdB"]}
    assert await _listed(w, "admin", search=b["offC"].lower()) == {b["offC"]}
    assert await _listed(w, "cmdA", stationId=w.station("B")) == set()
    for who in ("offA", "offC"):
        assert _code(await w.call(LIST, {}, who)) == "FORBIDDEN"


async def test_the_officers_list_pages(w: World) -> None:
    seen, after = [], None
    while True:
        page = (await w.call(LIST, {"first": 3, "after": after}, "admin"))["data"]["officers"]
        seen += [e["node"]["badgeNumber"] for e in page["edges"]]
        assert page["totalCount"] == len(w.ids)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(w.badges.values()) and len(seen) == len(set(seen))


async def test_a_one_time_password_opens_nothing_else_on_any_path(w: World, client) -> None:
    # given: a new supervisor signed in with the one-time password
    gov = to_global_id("Governorate", "IQ-NI")
    made = (await w.call(CREATE, {"input": _new("SUPERVISOR", governorateIds=[gov])}, "admin"))["data"]
    officer, password = made["createOfficer"]["officer"], made["createOfficer"]["oneTimePassword"]
    login = await w.gql(
        """mutation L($badge: String!, $password: String!) {
          login(input: {badgeNumber: $badge, password: $password}) {
            accessToken refreshToken errors { code }
          }
        }""",
        {"badge": officer["badgeNumber"], "password": password},
    )
    tokens = login["data"]["login"]
    headers = {**EN, "authorization": f"Bearer {tokens['accessToken']}"}
    # then: the export endpoint refuses it, and a fragment at the root is not looked into but refused
    response = await client.get(
        "/exports/activity",
        params={
            "format": "csv",
            "from": "2026-01-01T00:00:00+03:00",
            "to": "2026-02-01T00:00:00+03:00",
            "resolution": "8",
            "governorateId": gov,
        },
        headers=headers,
    )
    assert "PASSWORD_CHANGE_REQUIRED" in response.text and response.status_code != 200
    fragment = await w.gql("query { ... on Query { incidents(first: 1) { totalCount } } }", headers=headers)
    assert _code(fragment) == "PASSWORD_CHANGE_REQUIRED"
    # while the session may still renew its tokens (it stays as restricted)
    refreshed = await w.gql(
        "mutation R($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken errors { code } } "
        "}",
        {"t": tokens["refreshToken"]},
        headers=headers,
    )
    assert refreshed["data"]["refreshSession"]["errors"] == []
    again = {**EN, "authorization": f"Bearer {refreshed['data']['refreshSession']['accessToken']}"}
    assert _code(await w.gql("query { officers(first: 1) { totalCount } }", headers=again)) == (
        "PASSWORD_CHANGE_REQUIRED"
    )
