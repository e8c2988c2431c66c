"""The audit log: writes, sign-ins (failed ones too), refresh-token reuse and account administration are
recorded; the keyed chain verifies against its anchors; rewriting, deleting and truncating are detected."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from prometheus_client import generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.audit_anchors import AuditAnchors, anchor_now, read
from api.metrics import Metrics
from db.audit import GENESIS
from db.engine import make_engine, make_sessionmaker
from db.migrate import upgrade_async
from resolvers import audit, officers
from tests import test_cli
from tests.conftest import AUDIT_INFO
from tests.factories import LOGIN, PASSWORD, make_officer, make_station, sign_in

fresh_database = test_cli.fresh_database


async def _some_entries(gql, sessionmaker) -> None:
    async with sessionmaker() as session:
        station = await make_station(session)
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    for _ in range(3):
        await sign_in(gql, badge)


async def test_sign_ins_are_audited_and_the_chain_verifies(gql, sessionmaker):
    await _some_entries(gql, sessionmaker)
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text("SELECT action, officer_id, prev_hash, hash FROM audit_log ORDER BY id")
            )
        ).all()
        result = await audit.verify(session)
    assert [r.action for r in rows[-3:]] == ["login"] * 3
    assert all(r.officer_id is not None for r in rows[-3:])
    assert rows[-1].prev_hash == rows[-2].hash
    assert result.ok and result.first_bad_id is None and result.entries == len(rows)


async def test_the_database_refuses_to_change_or_delete_entries(gql, sessionmaker):
    await _some_entries(gql, sessionmaker)
    async with sessionmaker() as session:
        for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
            savepoint = await session.begin_nested()
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await savepoint.rollback()


@pytest.mark.parametrize(
    "tamper",
    [
        'UPDATE audit_log SET after = \'{"session": "forged"}\' WHERE id = (SELECT max(id) - 1 FROM '
        "audit_log)",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) - 1 FROM audit_log)",
    ],
)
async def test_an_edited_or_deleted_entry_is_detected(gql, sessionmaker, tamper):
    await _some_entries(gql, sessionmaker)
    async with sessionmaker() as session:
        # someone with the rights to drop the trigger (a database superuser) edits the log
        await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await session.execute(text(tamper))
        result = await audit.verify(session)
    assert result.first_bad_id is not None
    assert result.reason


async def test_a_sensitive_read_on_an_autocommit_reader_is_audited(committed_client, committed_sessionmaker):
    # given a domestic-violence incident reported by an officer, through the app as the server runs it
    from tests.conftest import GraphQL

    gql = GraphQL(committed_client)
    async with committed_sessionmaker() as session:
        station = await make_station(session)
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    headers = await sign_in(gql, badge)
    report = """mutation R($input: ReportIncidentInput!) { reportIncident(input: $input) {
        incident { id } errors { code } } }"""
    import uuid

    occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = await gql(
        report,
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "category": "DOMESTIC_VIOLENCE",
                "location": {"latitude": 36.35, "longitude": 43.15},
                "occurredAt": occurred,
                "description": "A private matter.",
            }
        },
        headers=headers,
    )
    incident_id = body["data"]["reportIncident"]["incident"]["id"]
    # when the reporting officer reads its description with a query (no transaction of its own)
    read = await gql(
        "query Q($id: ID!) { node(id: $id) { ... on Incident { description } } }",
        {"id": incident_id},
        headers=headers,
    )
    # then the read is answered and audited, and the chain still verifies
    assert read["data"]["node"]["description"] == "A private matter."
    async with committed_sessionmaker() as session:
        reads = (
            await session.execute(
                text(
                    "SELECT count(*) FROM audit_log WHERE action = 'read_sensitive' AND entity_type = "
                    "'Incident'"
                )
            )
        ).scalar()
        assert reads >= 1
        assert (await audit.verify(session)).first_bad_id is None


# --- the keyed chain and its anchors -------------------------------------------------------------------


async def _entries(session, last: int) -> list:
    query = text("SELECT * FROM audit_log ORDER BY id DESC LIMIT :n")
    rows = (await session.execute(query, {"n": last})).all()
    return rows[::-1]


def _changed(row, **values) -> SimpleNamespace:
    return SimpleNamespace(**{**row._asdict(), **values})


async def _rewrite(session, rows: list, start: int, link, *, key_id=..., **values) -> None:
    """Rewrite rows[start] with `values` and every later row's link, by `link(prev_hash, row)`, as someone
    with the rights to drop the trigger would, to make the links agree again."""
    await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    prev = rows[start - 1].hash
    for i, row in enumerate(rows[start:]):
        new = _changed(row, prev_hash=prev, **(values if i == 0 else {}))
        new.hash = link(prev, new)
        new.key_id = row.key_id if key_id is ... else key_id
        await session.execute(
            text(
                "UPDATE audit_log SET after = CAST(:after AS jsonb), prev_hash = :prev, hash = :hash, "
                "key_id = :kid WHERE id = :id"
            ),
            {"after": json.dumps(new.after), "prev": prev, "hash": new.hash, "kid": new.key_id, "id": row.id},
        )
        prev = new.hash


async def test_a_good_chain_verifies_against_its_anchors(gql, sessionmaker, tmp_path):
    path = tmp_path / "anchors.jsonl"
    await _some_entries(gql, sessionmaker)
    first = await anchor_now(sessionmaker, path)
    await _some_entries(gql, sessionmaker)
    second = await anchor_now(sessionmaker, path)
    assert await anchor_now(sessionmaker, path, unless_at=second.id) is None  # the head did not move
    anchors = read(path)
    assert [(a.id, a.hash) for a in anchors] == [(first.id, first.hash), (second.id, second.hash)]
    async with sessionmaker() as session:
        result = await audit.verify(session, anchors=anchors)
        keys = set((await session.execute(text("SELECT DISTINCT key_id FROM audit_log"))).scalars())
    assert result.ok, result.reason
    assert result.anchors_checked == 2 and result.last_id == second.id and result.unkeyed == 0
    assert keys == {audit.key_id(AUDIT_INFO["markaz.audit_key"])}


async def test_truncating_the_newest_entries_is_found_by_the_anchor(gql, sessionmaker, tmp_path):
    path = tmp_path / "anchors.jsonl"
    await _some_entries(gql, sessionmaker)
    anchor = await anchor_now(sessionmaker, path)
    async with sessionmaker() as session:
        # someone with the rights to drop the trigger removes the newest two entries
        await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await session.execute(text("DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log)"))
        ends = (await session.execute(text("SELECT max(id) FROM audit_log"))).scalar()
        alone = await audit.verify(session)
        result = await audit.verify(session, anchors=read(path))
    # what is left is a chain that verifies on its own: only the anchor can tell
    assert alone.ok
    assert not result.ok and result.first_bad_id is None
    assert result.reason == f"truncated: anchor at id {anchor.id} ({anchor.at}), table ends at id {ends}"


async def test_an_entry_that_differs_from_its_anchor_or_is_gone_is_found(gql, sessionmaker, tmp_path):
    path = tmp_path / "anchors.jsonl"
    await _some_entries(gql, sessionmaker)
    anchor = await anchor_now(sessionmaker, path)
    await _some_entries(gql, sessionmaker)
    async with sessionmaker() as session:
        rows = await _entries(session, 6)
        at = next(i for i, r in enumerate(rows) if r.id == anchor.id)
        # even rewritten with the key (someone who holds it), the anchored entry no longer matches
        mac = audit._Mac(AUDIT_INFO["markaz.audit_key"])
        await _rewrite(session, rows, at, mac.link, after={"session": "forged"})
        result = await audit.verify(session, anchors=read(path))
    assert result.first_bad_id == anchor.id
    assert result.reason == f"differs from its anchor of {anchor.at}: the chain was rewritten"


@pytest.mark.parametrize("unkeyed", [False, True], ids=["keeping its key id", "as an unkeyed entry"])
async def test_an_entry_rewritten_with_a_recomputed_plain_sha256_is_found(gql, sessionmaker, unkeyed):
    await _some_entries(gql, sessionmaker)
    async with sessionmaker() as session:
        rows = await _entries(session, 4)
        # the rewrite a plain SHA-256 chain could not tell from the real thing: content changed, every
        # later link recomputed
        await _rewrite(
            session,
            rows,
            2,
            audit.plain_hash,
            after={"session": "forged"},
            **({"key_id": None} if unkeyed else {}),
        )
        result = await audit.verify(session)
    assert result.first_bad_id == rows[2].id
    assert ("unkeyed" if unkeyed else "HMAC does not match") in result.reason


async def test_an_entry_rewritten_by_someone_without_the_key_is_found(gql, sessionmaker):
    await _some_entries(gql, sessionmaker)
    guess = audit.chain_key("a key the forger made up, as long as a real one")
    async with sessionmaker() as session:
        rows = await _entries(session, 4)
        savepoint = await session.begin_nested()
        await _rewrite(session, rows, 2, audit._Mac(guess).link, after={"session": "forged"})
        under_our_id = await audit.verify(session)
        await savepoint.rollback()
        # and naming the forger's own key does not help either
        await _rewrite(
            session, rows, 2, audit._Mac(guess).link, key_id=audit.key_id(guess), after={"session": "forged"}
        )
        under_its_own = await audit.verify(session)
    assert under_our_id.first_bad_id == rows[2].id and "HMAC does not match" in under_our_id.reason
    assert under_its_own.first_bad_id == rows[2].id and "neither the configured key" in under_its_own.reason


async def test_a_chain_keyed_before_a_rotation_verifies_with_the_old_key(gql, sessionmaker):
    await _some_entries(gql, sessionmaker)
    new_key = audit.chain_key("the key after the rotation, long enough to be one")
    async with sessionmaker() as session:
        session.info["markaz.audit_key"] = new_key
        await audit.flush(session, [audit.entry("test", "Nothing", 1)])
        without_old = await audit.verify(session)
        with_old = await audit.verify(session, old_keys=[AUDIT_INFO["markaz.audit_key"]])
    assert not without_old.ok and "MARKAZ_AUDIT_OLD_KEYS" in without_old.reason
    assert with_old.ok, with_old.reason


async def test_a_chain_from_before_the_keyed_one_still_verifies(fresh_database):
    # given a database at 0010 whose audit log the old code wrote: plain SHA-256 links, no key
    url = fresh_database
    engine = make_engine(url, pool_size=2)
    try:
        await upgrade_async(url, "0010")
        prev, at = GENESIS, datetime(2026, 6, 1, tzinfo=UTC)
        async with engine.begin() as conn:
            for i in range(3):
                row = SimpleNamespace(
                    at=at + timedelta(minutes=i),
                    officer_id=None,
                    device_id=None,
                    request_id=None,
                    action="login",
                    entity_type="Officer",
                    entity_id=str(i),
                    before=None,
                    after={"session": str(i)},
                )
                digest = audit.plain_hash(prev, row)
                await conn.execute(
                    text(
                        "INSERT INTO audit_log (at, action, entity_type, entity_id, after, prev_hash, hash) "
                        "VALUES (:at, 'login', 'Officer', :e, CAST(:after AS jsonb), :prev, :hash)"
                    ),
                    {
                        "at": row.at,
                        "e": row.entity_id,
                        "after": json.dumps(row.after),
                        "prev": prev,
                        "hash": digest,
                    },
                )
                prev = digest
        # when the keyed chain's migration runs and new entries are written after them
        await upgrade_async(url)
        maker = make_sessionmaker(engine, audit_key=AUDIT_INFO["markaz.audit_key"])
        async with maker() as session:
            await audit.flush(
                session, [audit.entry("login", "Officer", 9), audit.entry("logout", "Officer", 9)]
            )
            await session.commit()
        # then the whole chain verifies, the old entries by their plain links
        async with maker() as session:
            result = await audit.verify(session)
            assert result.ok, result.reason
            assert (result.entries, result.unkeyed) == (5, 3)
            # and an old entry rewritten with its links recomputed breaks the first keyed entry's link
            rows = await _entries(session, 5)
            await _rewrite(session, rows[:3], 1, audit.plain_hash, after={"session": "forged"})
            tampered = await audit.verify(session)
            assert tampered.first_bad_id == rows[3].id
            assert tampered.reason == "the entry before it was changed or removed"
    finally:
        await engine.dispose()


async def test_the_server_anchors_its_head_in_the_log_a_file_and_metrics(gql, sessionmaker, tmp_path, caplog):
    path = tmp_path / "anchors.jsonl"
    anchors = AuditAnchors(path, every_seconds=3600)
    anchors.sessionmaker = sessionmaker
    metrics = Metrics()
    metrics.registry.register(anchors)
    await _some_entries(gql, sessionmaker)
    with caplog.at_level(logging.INFO, logger="markaz.audit"):
        await anchors.start()  # anchors at once
        try:
            head = anchors.last
            assert await anchors.run_once() is None  # nothing new: no new line
            await _some_entries(gql, sessionmaker)
        finally:
            await anchors.stop()  # and once more on the way out
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["id"] for line in lines] == [head.id, anchors.last.id] and anchors.last.id > head.id
    logged = [(r.audit_anchor_id, r.audit_anchor_hash) for r in caplog.records if r.msg == "audit anchor"]
    assert logged == [(line["id"], line["hash"]) for line in lines]
    exposed = generate_latest(metrics.registry).decode()
    assert f"markaz_audit_anchor_id {float(anchors.last.id)}" in exposed
    assert anchors.last.hash not in exposed


# --- what is audited ---------------------------------------------------------------------------------------


async def test_failed_sign_ins_are_audited_with_the_badge_as_typed_never_the_password(gql, sessionmaker):
    async with sessionmaker() as session:
        officer_id, badge = await make_officer(session, station_id=await make_station(session))
        await session.commit()
    await gql(
        LOGIN, {"badge": f" {badge}  ", "password": "hunter2-wrong"}, headers={"x-device-id": "phone-7"}
    )
    await gql(LOGIN, {"badge": "X" * 500, "password": "hunter2-wrong"})
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT *, audit_log::text AS whole FROM audit_log WHERE action = 'login_failed' "
                    "ORDER BY id"
                )
            )
        ).all()
        assert (await audit.verify(session)).ok
    wrong, unknown = rows[-2:]
    assert (wrong.entity_id, wrong.device_id) == (str(officer_id), "phone-7")
    assert wrong.after == {"badge": f" {badge}  ", "address": "127.0.0.1", "reason": "wrong password"}
    assert unknown.entity_id is None
    assert (unknown.after["badge"], unknown.after["reason"]) == ("X" * 64, "unknown badge")
    assert not any("hunter2" in row.whole for row in rows)


async def test_refresh_token_reuse_is_audited(gql, sessionmaker):
    async with sessionmaker() as session:
        officer_id, badge = await make_officer(session, station_id=await make_station(session))
        await session.commit()
    first = (await gql(LOGIN, {"badge": badge, "password": PASSWORD}))["data"]["login"]
    refresh = "mutation R($t: String!) { refreshSession(input: {refreshToken: $t}) { errors { code } } }"
    assert (await gql(refresh, {"t": first["refreshToken"]}))["data"]["refreshSession"]["errors"] == []
    reused = await gql(refresh, {"t": first["refreshToken"]}, headers={"x-device-id": "thief"})
    assert reused["data"]["refreshSession"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    async with sessionmaker() as session:
        row = (
            await session.execute(
                text("SELECT * FROM audit_log WHERE action = 'refresh_token_reused' ORDER BY id DESC LIMIT 1")
            )
        ).one()
        revoked = (
            await session.execute(
                text("SELECT revoked_reason FROM auth_sessions WHERE id = :s"),
                {"s": uuid.UUID(row.entity_id)},
            )
        ).scalar()
    assert (row.entity_type, row.device_id, row.after["officer"]) == ("AuthSession", "thief", officer_id)
    assert revoked == "refresh token reused"


async def test_account_changes_are_audited_with_who_made_them(sessionmaker):
    async with sessionmaker() as session:
        officer_id = await officers.add_officer(
            session,
            badge="ADM-1",
            name="An Admin",
            role="ADMIN",
            password="a long admin passphrase",
            by="test admin",
        )
        await officers.reset_password(session, "ADM-1", "another long passphrase", by="test admin")
        await officers.disable_officer(session, "ADM-1", by="test admin")
        rows = (
            await session.execute(
                text(
                    "SELECT action, entity_id, before, after, audit_log::text AS whole FROM audit_log "
                    "WHERE entity_type = 'Officer' AND entity_id = :id ORDER BY id"
                ),
                {"id": str(officer_id)},
            )
        ).all()
        assert (await audit.verify(session)).ok
    assert [r.action for r in rows] == ["account_added", "password_reset", "account_disabled"]
    assert all(r.after["by"] == "test admin" and r.after["badge"] == "ADM-1" for r in rows)
    assert rows[0].after["role"] == "ADMIN" and rows[2].before["active"] is True
    assert not any("passphrase" in r.whole or "argon2" in r.whole for r in rows)


async def test_the_commands_audit_accounts_and_verify_against_the_anchor(fresh_database, tmp_path):
    def run(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        env = test_cli._env(database_url=fresh_database, data_dir=tmp_path)
        if password:
            env["MARKAZ_PASSWORD"] = password
        return subprocess.run(
            [*test_cli.MARKAZ, *args],
            cwd=test_cli.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # given accounts administered with the commands
    added = await asyncio.to_thread(
        run,
        "users",
        "add",
        "--badge",
        "CLI-1",
        "--name",
        "Cli Admin",
        "--role",
        "ADMIN",
        password="a long admin passphrase",
    )
    assert added.returncode == 0, test_cli._report(added)
    changed = await asyncio.to_thread(
        run, "users", "reset-password", "--badge", "CLI-1", password="another long passphrase"
    )
    disabled = await asyncio.to_thread(run, "users", "disable", "--badge", "CLI-1")
    assert changed.returncode == disabled.returncode == 0, test_cli._report(disabled)
    conn = await asyncpg.connect(fresh_database)
    try:
        rows = await conn.fetch("SELECT action, after FROM audit_log ORDER BY id")
        assert [r["action"] for r in rows] == ["account_added", "password_reset", "account_disabled"]
        assert all(json.loads(r["after"])["by"].startswith("markaz users ") for r in rows)
        # when the head is anchored and the chain verified
        anchored = await asyncio.to_thread(run, "audit", "anchor")
        assert anchored.returncode == 0 and "anchored at id" in anchored.stdout, test_cli._report(anchored)
        intact = await asyncio.to_thread(run, "audit", "verify")
        assert intact.returncode == 0, test_cli._report(intact)
        assert "audit log intact: 3 entries" in intact.stdout and "1 matched" in intact.stdout
        # then the newest entry removed is found, in one line
        last = await conn.fetchval("SELECT max(id) FROM audit_log")
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        await conn.execute("DELETE FROM audit_log WHERE id = $1", last)
        truncated = await asyncio.to_thread(run, "audit", "verify")
        assert truncated.returncode == 1, test_cli._report(truncated)
        anchor = read(tmp_path / "audit-anchors.jsonl")[0]
        assert truncated.stderr.strip().splitlines() == [
            f"audit log TAMPERED: truncated: anchor at id {last} ({anchor.at}), table ends at id {last - 1} "
            "(2 entries read)"
        ]
        # and an anchor file that is not one is named, with its line
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"id": 1, "hash": "x", "at": "now"}\nnot json\n{}\n')
        refused = await asyncio.to_thread(run, "audit", "verify", "--anchors", str(bad))
        assert refused.returncode == 2 and refused.stderr.strip() == (
            f"markaz audit verify: {bad}: line 2 is not an anchor"
        ), test_cli._report(refused)
    finally:
        await conn.close()


async def test_a_running_server_anchors_what_it_appends(committed_sessionmaker, database_url, tmp_path):
    from tests.feed_support import Server, login

    # given a server anchoring every second, and an officer who signs in (an entry appended)
    async with committed_sessionmaker() as session:
        _, badge = await make_officer(session, station_id=await make_station(session))
        await session.commit()
    server = Server(database_url, tmp_path, MARKAZ_AUDIT_ANCHOR_SECONDS="1", MARKAZ_LOG_LEVEL="INFO")
    try:
        await asyncio.to_thread(server.wait_ready)
        await login(server, badge, PASSWORD)
        async with committed_sessionmaker() as session:
            head = (
                await session.execute(text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"))
            ).one()
        # then within a few seconds the head is anchored: in the file, in the log and on /metrics
        path = tmp_path / "audit-anchors.jsonl"
        for _ in range(50):
            if path.exists() and any(a.id >= head.id for a in read(path)):
                break
            await asyncio.sleep(0.2)
        assert (head.id, head.hash) in {(a.id, a.hash) for a in read(path)}
        async with httpx.AsyncClient() as client:
            exposed = (await client.get(server.url + "/metrics")).text
        anchored = float(exposed.split("\nmarkaz_audit_anchor_id ")[1].split()[0])
        assert anchored >= head.id and head.hash not in exposed
    finally:
        server.stop()
    logged = [json.loads(line) for line in server.log.read_text().splitlines() if '"audit anchor"' in line]
    assert (head.id, head.hash) in {(line["audit_anchor_id"], line["audit_anchor_hash"]) for line in logged}
