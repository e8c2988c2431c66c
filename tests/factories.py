"""Plain async factories for test data."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.station_records import Period, StationRecord
from resolvers.station_writer import write_stations

_numbers = itertools.count(1)
ALL_SERVICES = (
    "COMMUNITY_POLICING",
    "FAMILY_AND_CHILD_PROTECTION",
    "JUVENILE_POLICE",
    "WOMEN_OFFICERS_DESK",
    "CRIME_REPORTING",
    "TRAFFIC",
    "CIVIL_DOCUMENTS",
)


def station_record(**overrides: Any) -> StationRecord:
    n = next(_numbers)
    values: dict[str, Any] = {
        "names": {"ar": f"مركز اختبار {n}", "ku": f"بنکەی تاقیکردنەوە {n}", "en": f"Test Station {n}"},
        "governorate": "IQ-NI",
        "latitude": 36.35,
        "longitude": 43.15,
        "external_id": f"test-{n}",
        "services": ("COMMUNITY_POLICING", "CRIME_REPORTING"),
        "always_open": True,
    }
    values.update(overrides)
    return StationRecord(**values)


async def make_stations(session: AsyncSession, records: list[StationRecord]) -> list[int]:
    """Write the records and return their ids, in order."""
    await write_stations(session, records)
    return [await _id_of(session, record.external_id) for record in records]


async def _id_of(session: AsyncSession, external_id: str | None) -> int:
    from sqlalchemy import text

    return (
        await session.execute(text("SELECT id FROM stations WHERE external_id = :e"), {"e": external_id})
    ).scalar_one()


async def make_station(session: AsyncSession, **overrides: Any) -> int:
    return (await make_stations(session, [station_record(**overrides)]))[0]


def weekly(opens: str, closes: str, days=range(7), service: str | None = None) -> tuple[Period, ...]:
    return tuple(Period(d, opens, closes, service) for d in days)


PASSWORD = "correct horse battery"


async def make_officer(
    session: AsyncSession,
    *,
    role: str = "OFFICER",
    station_id: int | None = None,
    governorates: tuple[str, ...] = (),
    gender: str = "MALE",
    badge: str | None = None,
    password: str = PASSWORD,
) -> tuple[int, str]:
    """An officer account; returns (id, badge number)."""
    from resolvers.officers import add_officer

    badge = badge or f"B{next(_numbers):05d}"
    officer_id = await add_officer(
        session,
        badge=badge,
        name=f"Officer {badge}",
        role=role,
        password=password,
        gender=gender,
        station_id=station_id,
        governorates=governorates,
    )
    return officer_id, badge


async def make_feedback(session: AsyncSession, *, station_id: int, on: Any, **overrides: Any) -> None:
    """One anonymous answer of a station, sent on the day `on`, stored as submitFeedback stores it."""
    import uuid

    from db.feedback import insert_feedback

    values = {
        "client_id": uuid.uuid4(),
        "content_hash": "x",
        "station_id": station_id,
        "service": "CRIME_REPORTING",
        "rating": 4,
        "respected": True,
        "would_return": True,
        "safe_reporting": True,
        "gender": None,
        "comment": None,
        "submitted_on": on,
        **overrides,
    }
    await insert_feedback(session, values)


LOGIN = """
mutation Login($badge: String!, $password: String!) {
  login(input: {badgeNumber: $badge, password: $password}) {
    accessToken refreshToken expiresAt officer { id role } errors { field code message }
  }
}
"""


async def sign_in(gql, badge: str, password: str = PASSWORD) -> dict[str, str]:
    """Headers of a signed-in officer (for gql(..., headers=...))."""
    body = await gql(LOGIN, {"badge": badge, "password": password})
    payload = body["data"]["login"]
    assert payload["errors"] == [], payload
    return {"authorization": f"Bearer {payload['accessToken']}"}


@contextlib.contextmanager
def statements(sessionmaker) -> Iterator[list[str]]:
    """The SQL statements SQLAlchemy runs on the test's connection inside the block (transaction control
    sent straight to the driver, like savepoints, is not among them)."""
    seen: list[str] = []
    connection = sessionmaker.kw["bind"].sync_connection

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


async def age_arrivals(sessionmaker: Any) -> None:
    """Make every sensitive record now stored look as if it had arrived a day earlier, committed.

    Off its case a sensitive record is shown only once the day it arrived on has ended
    (resolvers.disclosure.arrivals_held_from); a test that looks at one off its case, made a moment ago,
    asks as on a later day. Only the arrival moves (incidents.reported_at, engagements.received_at):
    the rollups, the feed and the places do not depend on it."""
    from sqlalchemy import text as sql

    async with sessionmaker() as session:
        await session.execute(
            sql(
                "UPDATE incidents SET reported_at = reported_at - interval '1 day' "
                "WHERE markaz_sensitive_incident(category, sensitive)"
            )
        )
        await session.execute(
            sql(
                "UPDATE engagements SET received_at = received_at - interval '1 day' "
                "WHERE markaz_sensitive_engagement(kind)"
            )
        )
        await session.commit()
