"""The audit log: writes and sign-ins are recorded, the chain verifies, and tampering is detected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from resolvers import audit
from tests.factories import make_officer, make_station, sign_in


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
        rows = (await session.execute(text(
            "SELECT action, officer_id, prev_hash, hash FROM audit_log ORDER BY id"))).all()
        result = await audit.verify(session)
    assert [r.action for r in rows[-3:]] == ["login"] * 3
    assert all(r.officer_id is not None for r in rows[-3:])
    assert rows[-1].prev_hash == rows[-2].hash
    assert result.first_bad_id is None and result.entries == len(rows)


async def test_the_database_refuses_to_change_or_delete_entries(gql, sessionmaker):
    await _some_entries(gql, sessionmaker)
    async with sessionmaker() as session:
        for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
            savepoint = await session.begin_nested()
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await savepoint.rollback()


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_log SET after = '{\"session\": \"forged\"}' WHERE id = (SELECT max(id) - 1 FROM audit_log)",
    "DELETE FROM audit_log WHERE id = (SELECT max(id) - 1 FROM audit_log)",
])
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
    body = await gql(report, {"input": {"clientId": str(uuid.uuid4()), "category": "DOMESTIC_VIOLENCE",
                                        "location": {"latitude": 36.35, "longitude": 43.15},
                                        "occurredAt": occurred, "description": "A private matter."}},
                     headers=headers)
    incident_id = body["data"]["reportIncident"]["incident"]["id"]
    # when the reporting officer reads its description with a query (no transaction of its own)
    read = await gql("query Q($id: ID!) { node(id: $id) { ... on Incident { description } } }",
                     {"id": incident_id}, headers=headers)
    # then the read is answered and audited, and the chain still verifies
    assert read["data"]["node"]["description"] == "A private matter."
    async with committed_sessionmaker() as session:
        reads = (await session.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'read_sensitive' AND entity_type = 'Incident'"
        ))).scalar()
        assert reads >= 1
        assert (await audit.verify(session)).first_bad_id is None
