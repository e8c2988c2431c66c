"""The SQL form of weekly opening hours (stations.open_weekly, migration 0008) against resolvers/hours.py,
which stays the authority: the nearest-open search may only skip stations Python would call closed."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from db import definitions
from db.stations import DEFAULT_TIMEZONE, SERVICE_SLOTS, nearest_candidates, open_slots
from resolvers import hours, station_records
from resolvers.station_records import Period, StationService
from tests.factories import make_station, make_stations, station_record

SERVICES = [s.value for s in StationService]
ZONES = ["Asia/Baghdad", "Asia/Tehran", "Europe/London", "America/New_York"]


def test_the_slots_are_the_services_in_order_here_in_the_migration_and_in_its_sql():
    path = Path(__file__).parents[1] / "db" / "migrations" / "versions" / "0008_station_open_weekly.py"
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    newest = next(d for d in definitions.newest() if d.name == "station_open_weekly")
    in_sql = re.search(r"slots CONSTANT text\[\] := ARRAY\[([^\]]*)\]", newest.sql())
    assert in_sql is not None
    assert SERVICE_SLOTS == tuple(SERVICES) == module.SLOTS == tuple(re.findall(r"'(\w+)'", in_sql[1]))
    assert DEFAULT_TIMEZONE == station_records.DEFAULT_TIMEZONE
    assert open_slots([]) == [0]
    assert open_slots(["FAMILY_AND_CHILD_PROTECTION", "CIVIL_DOCUMENTS"]) == [2, 7]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def periods(draw) -> Period:
    opens = draw(st.integers(0, 1439))
    closes = draw(st.integers(0, 1440).filter(lambda c: c != opens or c == 0))
    if opens == closes:
        opens = closes = 0  # "00:00"-"00:00": the whole day
    service = draw(st.none() | st.sampled_from(SERVICES))
    return Period(draw(st.integers(0, 6)), _hhmm(opens), _hhmm(closes), service)


_stations = st.fixed_dictionaries(
    {
        "hours": st.lists(periods(), max_size=6).map(tuple),
        "always_open": st.booleans(),
        "services": st.lists(st.sampled_from(SERVICES), unique=True, max_size=4).map(tuple),
        "timezone": st.sampled_from(ZONES),
    }
)
_instants = st.lists(
    st.integers(0, 60 * 24 * 400).map(lambda m: datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=m)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(station=_stations, instants=_instants)
async def test_the_sql_weekly_hours_agree_with_python(sessionmaker, station, instants):
    async with sessionmaker() as session:
        savepoint = await session.begin_nested()
        station_id = await make_station(session, **station)
        schedule = hours.Schedule(
            station["timezone"], station["always_open"], station["services"], station["hours"]
        )
        # the instants drawn, and each minute at which some period opens or closes in the station's zone
        for period in station["hours"][:3]:
            for at in instants[:2]:
                local = at.astimezone(schedule._zone)
                monday = local - timedelta(days=local.weekday(), hours=local.hour, minutes=local.minute)
                edge = monday + timedelta(days=period.weekday, minutes=hours.parse_hhmm(period.opens))
                instants = [*instants, edge.astimezone(UTC), edge.astimezone(UTC) - timedelta(minutes=1)]
        for service in (None, *SERVICES):
            slot = open_slots([service] if service else [])[0]
            found = (
                (
                    await session.execute(
                        text(
                            "SELECT s.open_weekly @> (CAST(:slot AS int) * 10080 "
                            "  + (extract(isodow FROM timezone(s.timezone, a))::int - 1) * 1440 "
                            "  + extract(hour FROM timezone(s.timezone, a))::int * 60 "
                            "  + extract(minute FROM timezone(s.timezone, a))::int) "
                            "FROM unnest(CAST(:instants AS timestamptz[])) WITH ORDINALITY AS u(a, n) "
                            "JOIN stations s ON s.id = :id ORDER BY n"
                        ),
                        {"slot": slot, "instants": instants, "id": station_id},
                    )
                )
                .scalars()
                .all()
            )
            assert found == [hours.is_open(schedule, at, service) for at in instants], service
        await savepoint.rollback()


async def test_the_search_skips_closed_stations_in_sql_and_python_still_decides(sessionmaker):
    # given: ten stations in a row, the nearer half with a family desk closed at 15:00 Baghdad time, and
    # one of the open ones closed for the day by a closure (which only Python knows about)
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)  # a Tuesday, 15:00 in Baghdad
    desk = "FAMILY_AND_CHILD_PROTECTION"
    async with sessionmaker() as session:
        closed_desk = tuple(Period(d, "08:00", "14:00", desk) for d in range(7))
        ids = await make_stations(
            session,
            [
                station_record(
                    latitude=36.30 + i / 100,
                    longitude=43.10,
                    services=(desk,),
                    always_open=True,
                    hours=closed_desk if i < 5 else (),
                )
                for i in range(10)
            ],
        )
        await session.execute(
            text(
                "INSERT INTO station_closures (station_id, starts_at, ends_at, reason) "
                "VALUES (:id, :s, :e, 'holiday')"
            ),
            {"id": ids[5], "s": at - timedelta(hours=5), "e": at + timedelta(hours=5)},
        )
        # when
        rows = await nearest_candidates(
            session, latitude=36.30, longitude=43.10, at=at, services=[desk], limit=20, open_now=True
        )
        everything = await nearest_candidates(
            session, latitude=36.30, longitude=43.10, at=at, services=[desk], limit=20
        )
    # then: the SQL skipped the closed desks but not the closure (Python's to decide)
    assert [r.id for r in rows] == ids[5:]
    assert [r.id for r in everything] == ids


async def test_the_open_filter_keeps_the_walk_on_the_k_nearest_index(sessionmaker):
    from sqlalchemy.dialects.postgresql import asyncpg

    from db.stations import nearest_query

    async with sessionmaker() as session:
        await make_stations(
            session,
            [
                station_record(
                    latitude=30 + i / 50, longitude=43 + i / 70, services=("TRAFFIC", "CRIME_REPORTING")
                )
                for i in range(400)
            ],
        )
        await session.execute(text("ANALYZE stations"))
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        compiled = nearest_query(True, False, True, False, 2, "TRAFFIC").compile(dialect=asyncpg.dialect())
        params = {
            "lat": 36.38,
            "lon": 43.15,
            "at": datetime(2026, 12, 1, 12, tzinfo=UTC),
            "limit": 13,
            "services": ["TRAFFIC", "CRIME_REPORTING"],
            "exclude_ids": [1],
            "slot0": 6,
            "slot1": 5,
            "zone_minute": 1 * 1440 + 15 * 60,
        }
        plan = "\n".join(
            r[0]
            for r in await raw.fetch(
                f"EXPLAIN {compiled.string}", *[params[name] for name in compiled.positiontup]
            )
        )
    # the walk is on TRAFFIC's own index (slot 6): no station without the service is visited
    assert "ix_stations_ecef_6" in plan and "open_weekly" in plan, plan
    # (a station's own closures, gathered in a subplan, may be sorted: there are a handful of them)
    walk = plan.split("SubPlan")[0]
    assert "Sort" not in walk and "Seq Scan on stations" not in plan, plan
