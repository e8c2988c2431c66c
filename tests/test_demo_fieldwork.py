"""The demo field-work data: every role, 90 days of activity around the model stations, reproducible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from resolvers.demo.fieldwork import seed_fieldwork
from resolvers.demo.stations import MODEL_STATIONS
from resolvers.station_writer import write_stations

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


async def _digest(session) -> list:
    return (
        await session.execute(
            text(
                "SELECT category, status, round(latitude::numeric, 6), occurred_at FROM incidents ORDER BY "
                "client_id"
            )
        )
    ).all()


async def test_demo_field_work_is_realistic_and_reproducible(sessionmaker):
    async with sessionmaker() as session:
        await write_stations(session, MODEL_STATIONS)
        runs = []
        for _ in range(2):
            savepoint = await session.begin_nested()
            credentials, counts = await seed_fieldwork(session, seed=7, scale=0.2, now=NOW)
            roles = {c.role for c in credentials}
            span = (
                await session.execute(
                    text(
                        "SELECT min(occurred_at), max(occurred_at), count(*) FILTER (WHERE sensitive), "
                        "count(*) "
                        "FROM incidents"
                    )
                )
            ).one()
            again = await seed_fieldwork(session, seed=7, scale=0.2, now=NOW)
            runs.append(await _digest(session))
            await savepoint.rollback()
    assert roles == {"OFFICER", "STATION_COMMANDER", "SUPERVISOR", "ADMIN"}
    assert counts["patrols"] > 0 and counts["engagements"] > 0 and counts["incidents"] > 0
    assert NOW - span[0] > timedelta(days=80) and span[1] <= NOW
    assert 0 < span[2] < span[3]  # sensitive categories keep a share, not all
    assert again[1] == {"patrols": 0, "engagements": 0, "incidents": 0}  # a second seed adds nothing
    assert runs[0] == runs[1] and len(runs[0]) == counts["incidents"]
