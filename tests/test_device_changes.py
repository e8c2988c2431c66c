"""deviceChanges: the officer's offline working set, incrementally (docs/device-sync.md).

The writes go straight to the database (any write path feeds the change log: it is written by triggers),
the syncs through the real app, on real commits. The property test plays a phone: it applies every page
to a local dict, keeps its copy at every cursor, and checks that syncing on from ANY of them after more
writes ends with exactly what a fresh full sync gives, and that nothing outside the officer's scope was
ever named.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.app import create_app
from api.compaction import Compactor
from db.cells import fine_cell
from db.engine import make_engine, make_reader
from resolvers import ids
from tests.conftest import AUDIT_INFO, GraphQL
from tests.factories import make_officer, make_station, sign_in

OPERATION = (
    Path(__file__).parent.parent / "mobile_contract" / "operations" / "officer" / "DeviceChanges.graphql"
).read_text()
EN = {"accept-language": "en"}


# --- writes, straight to the database ---------------------------------------------------------------


async def new_incident(
    session: Any,
    station_id: int,
    *,
    category: str = "THEFT",
    sensitive: bool = False,
    assigned: tuple[int, ...] = (),
    reported_by: int | None = None,
    latitude: float = 36.3412,
    longitude: float = 43.1377,
) -> int:
    return (
        await session.execute(
            text(
                "INSERT INTO incidents (client_id, station_id, category, sensitive, latitude, longitude, "
                "h3_cell, occurred_at, description, assigned_officer_ids, reported_by_id) VALUES (:c, :s, "
                ":cat, :sens, :lat, :lon, :cell, now() - interval '1 hour', 'what happened', :a, :r) "
                "RETURNING id"
            ),
            {
                "c": uuid.uuid4(),
                "s": station_id,
                "cat": category,
                "sens": sensitive,
                "lat": latitude,
                "lon": longitude,
                "cell": fine_cell(latitude, longitude),
                "a": list(assigned),
                "r": reported_by,
            },
        )
    ).scalar_one()


async def new_follow_up(session: Any, incident_id: int, owner_id: int) -> int:
    return (
        await session.execute(
            text(
                "INSERT INTO follow_up_actions (incident_id, description, owner_id) "
                "VALUES (:i, 'visit again', :o) RETURNING id"
            ),
            {"i": incident_id, "o": owner_id},
        )
    ).scalar_one()


async def new_patrol(session: Any, station_id: int, officer_ids: tuple[int, ...]) -> int:
    return (
        await session.execute(
            text(
                "INSERT INTO patrols (client_id, station_id, started_by_id, officer_ids, started_at) "
                "VALUES (:c, :s, :b, :o, now()) RETURNING id"
            ),
            {"c": uuid.uuid4(), "s": station_id, "b": officer_ids[0], "o": list(officer_ids)},
        )
    ).scalar_one()


async def write(sessionmaker: Any, sql: str, **params: Any) -> None:
    async with sessionmaker() as session:
        await session.execute(text(sql), params)
        await session.commit()


# --- the phone ----------------------------------------------------------------------------------------


def key(global_id: str) -> tuple[str, int]:
    parsed = ids.parse_global_id(global_id)
    assert parsed is not None
    return parsed[0], int(parsed[1])


async def page(gql: GraphQL, headers: dict, after: str | None, first: int | None = None) -> dict:
    variables: dict[str, Any] = {"after": after}
    if first is not None:
        variables["first"] = first
    body = await gql(OPERATION, variables, headers=headers)
    assert "errors" not in body, body
    return body["data"]["deviceChanges"]


class Phone:
    """The officer's copy: global id -> node, changed only by the pages it applies."""

    def __init__(self, gql: GraphQL, headers: dict) -> None:
        self.gql, self.headers = gql, headers
        self.held: dict[str, dict] = {}
        self.cursor: str | None = None
        self.named: set[str] = set()  # every id any answer named, UPSERT or REMOVE
        self.kept: list[tuple[str | None, dict[str, dict]]] = [(None, {})]  # (cursor, copy) after each page

    def copy(self) -> Phone:
        other = Phone(self.gql, self.headers)
        other.held, other.cursor = dict(self.held), self.cursor
        return other

    async def sync(self, first: int | None = None) -> int:
        pages = 0
        while True:
            answer = await page(self.gql, self.headers, self.cursor, first)
            pages += 1
            if answer["fullResync"]:
                self.held = {}
            for change in answer["changes"]:
                self.named.add(change["id"])
                if change["op"] == "UPSERT":
                    assert change["node"]["id"] == change["id"]
                    self.held[change["id"]] = change["node"]
                else:
                    assert change["node"] is None
                    self.held.pop(change["id"], None)
            self.cursor = answer["cursor"]
            self.kept.append((self.cursor, dict(self.held)))
            if not answer["hasMore"]:
                return pages


async def fresh(gql: GraphQL, headers: dict) -> dict[str, dict]:
    phone = Phone(gql, headers)
    await phone.sync()
    return phone.held


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def cgql(committed_client) -> GraphQL:
    return GraphQL(committed_client)


async def world(committed_sessionmaker: Any) -> dict[str, Any]:
    async with committed_sessionmaker() as session:
        home = await make_station(session, governorate="IQ-NI")
        other = await make_station(session, governorate="IQ-NI")
        far = await make_station(session, governorate="IQ-BA", latitude=30.5, longitude=47.8)
        me, my_badge = await make_officer(session, station_id=home)
        colleague, _ = await make_officer(session, station_id=home)
        stranger, _ = await make_officer(session, station_id=other)
        await session.commit()
    return {
        "home": home,
        "other": other,
        "far": far,
        "me": me,
        "badge": my_badge,
        "colleague": colleague,
        "stranger": stranger,
    }


def gid(type_name: str, key: int) -> str:
    return ids.global_id(type_name, key)


# --- scope, both sides ---------------------------------------------------------------------------------


async def test_the_whole_set_is_the_officers_scope_and_nothing_else(committed_sessionmaker, cgql) -> None:
    w = await world(committed_sessionmaker)
    async with committed_sessionmaker() as session:
        mine = await new_incident(session, w["home"])
        theirs = await new_incident(session, w["other"])
        assigned_elsewhere = await new_incident(session, w["other"], assigned=(w["me"],))
        closed_long_ago = await new_incident(session, w["home"])
        my_action = await new_follow_up(session, mine, w["me"])
        their_action = await new_follow_up(session, mine, w["colleague"])
        my_patrol = await new_patrol(session, w["home"], (w["me"], w["colleague"]))
        their_patrol = await new_patrol(session, w["other"], (w["stranger"],))
        await session.execute(
            text("UPDATE incidents SET status = 'CLOSED' WHERE id = :i"), {"i": closed_long_ago}
        )
        await session.execute(
            text("UPDATE incidents SET closed_at = now() - interval '8 days' WHERE id = :i"),
            {"i": closed_long_ago},
        )
        await session.commit()
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    held = await fresh(cgql, headers)
    assert set(held) == {
        gid("Station", w["home"]),
        gid("Station", w["other"]),
        gid("Station", w["far"]),
        gid("Officer", w["me"]),
        gid("Officer", w["colleague"]),
        gid("Incident", mine),
        gid("FollowUpAction", my_action),
        gid("Patrol", my_patrol),
    }
    for outside in (
        gid("Incident", theirs),
        gid("Incident", assigned_elsewhere),  # assigned, but at a station an officer may not read
        gid("Incident", closed_long_ago),
        gid("FollowUpAction", their_action),
        gid("Patrol", their_patrol),
        gid("Officer", w["stranger"]),
    ):
        assert outside not in held
    assert held[gid("Station", w["home"])]["__typename"] == "Station"


async def test_sensitive_incidents_are_generalised_off_the_case_and_exact_on_it(
    committed_sessionmaker, cgql
) -> None:
    w = await world(committed_sessionmaker)
    async with committed_sessionmaker() as session:
        off_case = await new_incident(session, w["home"], category="DOMESTIC_VIOLENCE")
        on_case = await new_incident(session, w["home"], category="DOMESTIC_VIOLENCE", assigned=(w["me"],))
        await session.commit()
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    held = await fresh(cgql, headers)
    hidden, shown = held[gid("Incident", off_case)], held[gid("Incident", on_case)]
    assert hidden["detailsHidden"] is True and hidden["description"] is None
    assert hidden["locationPrecisionMeters"] > 1000  # its resolution-7 cell, not the house
    assert (hidden["location"]["latitude"], hidden["location"]["longitude"]) != (36.3412, 43.1377)
    assert hidden["occurredAt"] != shown["occurredAt"]  # both happened at once: one is given as its day
    assert shown["detailsHidden"] is False and shown["description"] == "what happened"
    assert (shown["location"]["latitude"], shown["location"]["longitude"]) == (36.3412, 43.1377)
    # Its details reached a phone: the read is audited, as any read of a sensitive case's details.
    async with committed_sessionmaker() as session:
        audited = (
            (
                await session.execute(
                    text(
                        "SELECT entity_id FROM audit_log WHERE action = 'read_sensitive' AND entity_type = "
                        "'Incident' AND officer_id = :o"
                    ),
                    {"o": w["me"]},
                )
            )
            .scalars()
            .all()
        )
    assert str(on_case) in audited and str(off_case) not in audited
    # Taken off the case: the next sync sends it again, generalised.
    phone = Phone(cgql, headers)
    await phone.sync()
    await write(
        committed_sessionmaker, "UPDATE incidents SET assigned_officer_ids = '{}' WHERE id = :i", i=on_case
    )
    await phone.sync()
    assert phone.held[gid("Incident", on_case)]["detailsHidden"] is True
    assert phone.held[gid("Incident", on_case)]["description"] is None


async def test_a_citizen_may_not_sync_and_every_role_syncs_its_own_scope(
    committed_sessionmaker, cgql
) -> None:
    w = await world(committed_sessionmaker)
    body = await cgql(OPERATION, {}, headers=EN)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with committed_sessionmaker() as session:
        _, supervisor = await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",))
        _, commander = await make_officer(session, role="STATION_COMMANDER", station_id=w["other"])
        mine = await new_incident(session, w["home"])
        theirs = await new_incident(session, w["other"], category="CHILD_PROTECTION")
        await session.commit()
    held = await fresh(cgql, {**EN, **await sign_in(cgql, supervisor)})
    assert gid("Incident", mine) not in held and gid("Incident", theirs) not in held  # no station of theirs
    assert gid("Station", w["far"]) in held  # the directory is everyone's
    held = await fresh(cgql, {**EN, **await sign_in(cgql, commander)})
    assert gid("Incident", theirs) in held and gid("Incident", mine) not in held
    assert held[gid("Incident", theirs)]["detailsHidden"] is False  # a commander is on the station's cases
    assert gid("Officer", w["stranger"]) in held and gid("Officer", w["me"]) not in held


# --- what leaves ----------------------------------------------------------------------------------------


async def test_what_leaves_the_set_is_removed_and_only_what_could_be_held(
    committed_sessionmaker, cgql
) -> None:
    w = await world(committed_sessionmaker)
    async with committed_sessionmaker() as session:
        kept = await new_incident(session, w["home"])
        closing = await new_incident(session, w["home"])
        moving = await new_incident(session, w["home"])
        action = await new_follow_up(session, kept, w["me"])
        patrol = await new_patrol(session, w["home"], (w["me"],))
        await session.commit()
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    phone = Phone(cgql, headers)
    await phone.sync()
    async with committed_sessionmaker() as session:
        elsewhere = await new_incident(session, w["other"])  # never in scope: never named
        await session.execute(
            text("UPDATE incidents SET station_id = :s WHERE id = :i"), {"s": w["other"], "i": moving}
        )
        await session.execute(text("UPDATE incidents SET status = 'CLOSED' WHERE id = :i"), {"i": closing})
        await session.execute(
            text("UPDATE follow_up_actions SET status = 'DONE' WHERE id = :i"), {"i": action}
        )
        await session.execute(
            text("UPDATE patrols SET status = 'ENDED', ended_at = now() WHERE id = :i"), {"i": patrol}
        )
        await session.execute(text("UPDATE stations SET active = false WHERE id = :s"), {"s": w["far"]})
        await session.execute(
            text("UPDATE incidents SET description = 'moved on' WHERE id = :i"), {"i": elsewhere}
        )
        await session.commit()
    answer = await page(cgql, headers, phone.cursor)
    ops = {c["id"]: c["op"] for c in answer["changes"]}
    assert ops == {
        gid("Incident", moving): "REMOVE",
        gid("Incident", closing): "UPSERT",  # closed: kept a week, with its new status
        gid("FollowUpAction", action): "REMOVE",
        gid("Patrol", patrol): "REMOVE",
        gid("Station", w["far"]): "REMOVE",
    }
    assert gid("Incident", elsewhere) not in ops
    # Closed more than a week ago: it leaves.
    await write(
        committed_sessionmaker,
        "UPDATE incidents SET closed_at = now() - interval '8 days' WHERE id = :i",
        i=closing,
    )
    answer = await page(cgql, headers, answer["cursor"])
    assert [(c["op"], c["id"]) for c in answer["changes"]] == [("REMOVE", gid("Incident", closing))]
    # Nothing changed: nothing sent, and the cursor stays small.
    again = await page(cgql, headers, answer["cursor"])
    assert again["changes"] == [] and again["hasMore"] is False and len(again["cursor"]) < 40


async def test_a_closed_incident_leaves_when_its_week_is_up_without_any_write(
    committed_sessionmaker, cgql
) -> None:
    w = await world(committed_sessionmaker)
    async with committed_sessionmaker() as session:
        closing = await new_incident(session, w["home"])
        await session.execute(text("UPDATE incidents SET status = 'CLOSED' WHERE id = :i"), {"i": closing})
        await session.execute(
            text(
                "UPDATE incidents SET closed_at = now() - interval '7 days' + interval '2 seconds' "
                "WHERE id = :i"
            ),
            {"i": closing},
        )
        await session.commit()
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    phone = Phone(cgql, headers)
    await phone.sync()
    assert gid("Incident", closing) in phone.held
    await asyncio.sleep(2.5)
    answer = await page(cgql, headers, phone.cursor)
    assert [(c["op"], c["id"]) for c in answer["changes"]] == [("REMOVE", gid("Incident", closing))]


async def test_a_transfer_removes_the_old_station_and_brings_the_new_one(
    committed_sessionmaker, cgql
) -> None:
    w = await world(committed_sessionmaker)
    async with committed_sessionmaker() as session:
        old = await new_incident(session, w["home"])
        new = await new_incident(session, w["other"])
        await session.commit()
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    phone = Phone(cgql, headers)
    await phone.sync()
    await write(
        committed_sessionmaker, "UPDATE officers SET station_id = :s WHERE id = :o", s=w["other"], o=w["me"]
    )
    answer = await page(cgql, headers, phone.cursor)
    ops = {c["id"]: c["op"] for c in answer["changes"]}
    assert ops[gid("Incident", old)] == "REMOVE" and ops[gid("Officer", w["colleague"])] == "REMOVE"
    assert ops[gid("Incident", new)] == "UPSERT" and ops[gid("Officer", w["stranger"])] == "UPSERT"
    assert not any(key(i)[0] == "Station" for i in ops)  # the directory is everyone's: untouched


async def test_a_write_that_commits_late_is_not_skipped(committed_sessionmaker, cgql) -> None:
    """Positions are given at commit: a transaction that began first and commits last still comes after
    the cursor a phone took in between."""
    w = await world(committed_sessionmaker)
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    phone = Phone(cgql, headers)
    await phone.sync()
    async with committed_sessionmaker() as early:
        slow = await new_incident(early, w["home"])  # written first, committed last
        async with committed_sessionmaker() as later:
            quick = await new_incident(later, w["home"])
            await later.commit()
        await phone.sync()
        assert gid("Incident", quick) in phone.held and gid("Incident", slow) not in phone.held
        await early.commit()
    await phone.sync()
    assert gid("Incident", slow) in phone.held
    assert phone.held == await fresh(cgql, headers)


# --- cursors --------------------------------------------------------------------------------------------


async def test_paging_with_small_pages_gives_the_same_set(committed_sessionmaker, cgql) -> None:
    w = await world(committed_sessionmaker)
    async with committed_sessionmaker() as session:
        for _ in range(7):
            await make_station(session)
        for _ in range(5):
            await new_incident(session, w["home"])
        await session.commit()
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    whole = await fresh(cgql, headers)
    phone = Phone(cgql, headers)
    pages = await phone.sync(first=2)
    assert phone.held == whole and pages >= len(whole) // 2
    # A write between two pages of one sync: the sync stays consistent, the next one brings the write.
    phone = Phone(cgql, headers)
    answer = await page(cgql, headers, None, 3)
    for change in answer["changes"]:
        phone.held[change["id"]] = change["node"]
    async with committed_sessionmaker() as session:
        late = await new_incident(session, w["home"])
        await session.commit()
    phone.cursor = answer["cursor"]
    await phone.sync(first=3)
    await phone.sync(first=3)
    assert gid("Incident", late) in phone.held
    assert phone.held == await fresh(cgql, headers)


async def test_a_cursor_survives_a_restart(committed_sessionmaker, cgql, database_url, settings) -> None:
    w = await world(committed_sessionmaker)
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    phone = Phone(cgql, headers)
    await phone.sync()
    async with committed_sessionmaker() as session:
        late = await new_incident(session, w["home"])
        await session.commit()
    # Another engine and app: nothing of the first process is needed to resume.
    engine = make_engine(database_url, pool_size=2)
    try:
        maker = async_sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=AUDIT_INFO)
        app = create_app(settings, sessionmaker=maker, reader=make_reader(engine))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://markaz.test"
        ) as c:
            answer = await page(GraphQL(c), headers, phone.cursor)
    finally:
        await engine.dispose()
    assert [(c["op"], c["id"]) for c in answer["changes"]] == [("UPSERT", gid("Incident", late))]


async def test_a_cursor_past_the_retention_asks_for_a_full_resync(committed_sessionmaker, cgql) -> None:
    w = await world(committed_sessionmaker)
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    phone = Phone(cgql, headers)
    await phone.sync()
    stale = phone.cursor
    async with committed_sessionmaker() as session:
        await new_incident(session, w["home"])
        await session.commit()
    await write(
        committed_sessionmaker, "UPDATE device_commits SET committed_at = committed_at - interval '31 days'"
    )
    # The server's own upkeep prunes the log (api/compaction.py), as every process does in the background.
    assert await Compactor(committed_sessionmaker, every_seconds=0).prune_device_log() > 0
    answer = await page(cgql, headers, stale)
    assert answer["fullResync"] is True
    rebuilt = Phone(cgql, headers)
    rebuilt.held = {c["id"]: c["node"] for c in answer["changes"]}
    rebuilt.cursor = answer["cursor"]
    if answer["hasMore"]:
        await rebuilt.sync()
    assert rebuilt.held == await fresh(cgql, headers)


async def test_bad_cursors_and_pages_name_their_argument(committed_sessionmaker, cgql) -> None:
    w = await world(committed_sessionmaker)
    headers = {**EN, **await sign_in(cgql, w["badge"])}
    for bad in ("", "nonsense", "ZDEuOTk5OTk5OTk5OTkuMQ", "a" * 500, gid("Station", 1)):
        body = await cgql(OPERATION, {"after": bad}, headers=headers)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["extensions"]["argument"] == "after" and "after" in error["message"]
    for first in (0, -1, 1001, 10**9):
        body = await cgql(OPERATION, {"first": first}, headers=headers)
        error = body["errors"][0]
        assert error["extensions"]["argument"] == "first" and "first" in error["message"], body


# --- the property ---------------------------------------------------------------------------------------

INCIDENT_CATEGORIES = ("THEFT", "DOMESTIC_VIOLENCE", "DISPUTE")
operations = st.one_of(
    st.tuples(
        st.just("incident"), st.integers(0, 2), st.sampled_from(INCIDENT_CATEGORIES), st.integers(0, 3)
    ),
    st.tuples(st.just("close"), st.integers(0, 30)),
    st.tuples(st.just("age"), st.integers(0, 30)),
    st.tuples(st.just("reopen"), st.integers(0, 30)),
    st.tuples(st.just("assign"), st.integers(0, 30), st.integers(0, 3)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 2)),
    st.tuples(st.just("edit"), st.integers(0, 30)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("transfer"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("station"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("action"), st.integers(0, 30), st.integers(0, 2)),
    st.tuples(st.just("done"), st.integers(0, 30)),
    st.tuples(st.just("patrol"), st.integers(0, 2)),
    st.tuples(st.just("end"), st.integers(0, 30)),
    st.tuples(st.just("sync"), st.sampled_from([1, 2, 5, 500])),
)


class Property:
    def __init__(self, sessionmaker: Any, gql: GraphQL) -> None:
        self.sessionmaker, self.gql = sessionmaker, gql

    async def setup(self) -> None:
        async with self.sessionmaker() as session:
            self.stations = [await make_station(session, governorate="IQ-NI") for _ in range(3)]
            self.officers = []
            self.badges = []
            for station in self.stations:
                officer, badge = await make_officer(session, station_id=station)
                self.officers.append(officer)
                self.badges.append(badge)
            await session.commit()
        self.me = self.officers[0]
        self.headers = {**EN, **await sign_in(self.gql, self.badges[0])}

    async def _ids(self, table: str) -> list[int]:
        async with self.sessionmaker() as session:
            rows = await session.execute(text(f"SELECT id FROM {table} ORDER BY id"))  # noqa: S608
            return [r[0] for r in rows]

    async def apply(self, op: tuple) -> None:
        name = op[0]
        incidents = await self._ids("incidents")
        pick = (lambda i: incidents[i % len(incidents)]) if incidents else None
        async with self.sessionmaker() as session:
            run = session.execute
            if name == "incident":
                chosen = tuple(self.officers[i] for i in range(3) if op[3] & (1 << i))
                await new_incident(session, self.stations[op[1]], category=op[2], assigned=chosen)
            elif name == "transfer":
                await run(
                    text("UPDATE officers SET station_id = :s WHERE id = :o"),
                    {"s": self.stations[op[2]], "o": self.officers[op[1]]},
                )
            elif name == "station":
                await run(
                    text("UPDATE stations SET active = :a, phone = :p WHERE id = :s"),
                    {"a": op[2], "s": self.stations[op[1]], "p": str(uuid.uuid4())[:8]},
                )
            elif name == "patrol":
                await new_patrol(session, self.stations[op[1]], (self.officers[op[1]], self.me))
            elif name == "end":
                patrols = await self._ids("patrols")
                if patrols:
                    await run(
                        text("UPDATE patrols SET status = 'ENDED' WHERE id = :i"),
                        {"i": patrols[op[1] % len(patrols)]},
                    )
            elif name == "done":
                actions = await self._ids("follow_up_actions")
                if actions:
                    await run(
                        text("UPDATE follow_up_actions SET status = 'DONE' WHERE id = :i"),
                        {"i": actions[op[1] % len(actions)]},
                    )
            elif pick is not None:
                target = pick(op[1])
                statements = {
                    "close": ("UPDATE incidents SET status = 'CLOSED' WHERE id = :i", {}),
                    "age": (
                        "UPDATE incidents SET closed_at = now() - interval '9 days' "
                        "WHERE id = :i AND status = 'CLOSED'",
                        {},
                    ),
                    "reopen": ("UPDATE incidents SET status = 'IN_PROGRESS' WHERE id = :i", {}),
                    "edit": ("UPDATE incidents SET description = :d WHERE id = :i", {"d": str(uuid.uuid4())}),
                    "delete": ("DELETE FROM incidents WHERE id = :i", {}),
                }
                if name == "assign":
                    chosen = [self.officers[i] for i in range(3) if op[2] & (1 << i)]
                    await run(
                        text("UPDATE incidents SET assigned_officer_ids = :a WHERE id = :i"),
                        {"a": chosen, "i": target},
                    )
                elif name == "move":
                    await run(
                        text("UPDATE incidents SET station_id = :s WHERE id = :i"),
                        {"s": self.stations[op[2]], "i": target},
                    )
                elif name == "action":
                    await new_follow_up(session, target, self.officers[op[2]])
                elif name in statements:
                    sql, extra = statements[name]
                    await run(text(sql), {"i": target, **extra})
            await session.commit()

    async def in_scope(self) -> set[str]:
        """What may be named to the officer now, worked out from the tables by the rules as written."""
        async with self.sessionmaker() as session:
            station = (
                await session.execute(text("SELECT station_id FROM officers WHERE id = :o"), {"o": self.me})
            ).scalar_one()
            found = {
                gid("Station", r[0])
                for r in await session.execute(text("SELECT id FROM stations WHERE active"))
            }
            found |= {
                gid("Officer", r[0])
                for r in await session.execute(
                    text("SELECT id FROM officers WHERE station_id = :s AND active"), {"s": station}
                )
            }
            found |= {
                gid("Incident", r[0])
                for r in await session.execute(
                    text(
                        "SELECT id FROM incidents WHERE station_id = :s AND "
                        "(closed_at IS NULL OR closed_at > now() - interval '7 days')"
                    ),
                    {"s": station},
                )
            }
            found |= {
                gid("FollowUpAction", r[0])
                for r in await session.execute(
                    text(
                        "SELECT id FROM follow_up_actions WHERE owner_id = :o "
                        "AND status IN ('OPEN', 'IN_PROGRESS')"
                    ),
                    {"o": self.me},
                )
            }
            found |= {
                gid("Patrol", r[0])
                for r in await session.execute(
                    text("SELECT id FROM patrols WHERE :o = ANY(officer_ids) AND status = 'ACTIVE'"),
                    {"o": self.me},
                )
            }
        return found

    async def run(self, program: list[tuple]) -> None:
        phone = Phone(self.gql, self.headers)
        await phone.sync()
        ever = await self.in_scope()
        assert set(phone.held) == ever
        for op in program:
            if op[0] == "sync":
                await phone.sync(first=op[1])
            else:
                await self.apply(op)
            ever |= await self.in_scope()
        expected = await fresh(self.gql, self.headers)
        assert set(expected) == await self.in_scope()
        # From every copy the phone ever kept (after any page of any sync), syncing on gives the same set.
        for cursor, held in phone.kept:
            other = phone.copy()
            other.cursor, other.held = cursor, dict(held)
            await other.sync(first=3)  # ends the sync that cursor was in (pinned to its moment)...
            await other.sync(first=3)  # ...and the next one comes to now
            assert other.held == expected, cursor
            assert other.named <= ever
        assert phone.named <= ever, phone.named - ever


@pytest.mark.usefixtures("committed_sessionmaker")
def test_any_writes_then_any_cursor_gives_the_fresh_set(database_url, settings) -> None:
    """A property over a world kept across examples (each a program of writes and syncs)."""

    async def start() -> tuple[Any, Any, Any]:
        engine = make_engine(database_url, pool_size=3)
        maker = async_sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=AUDIT_INFO)
        app = create_app(settings, sessionmaker=maker, reader=make_reader(engine))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://markaz.test")
        checker = Property(maker, GraphQL(client))
        await checker.setup()
        return engine, client, checker

    with asyncio.Runner() as runner:
        engine, client, checker = runner.run(start())
        try:

            @settings_for_property
            @given(st.lists(operations, min_size=1, max_size=14))
            def check(program: list[tuple]) -> None:
                runner.run(checker.run(program))

            check()
        finally:
            runner.run(client.aclose())
            runner.run(engine.dispose())


settings_for_property = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
