"""bench/postgraphile/nearest_stations.sql, the SQL function PostGraphile answers the citizens' query with
in bench/nearest.py, against resolvers/hours.py: its `nextChangeAt` must be Markaz's, or the head-to-head
would compare different answers. bench/nearest.py checks the whole answers agree on sample points, but
only at the hour it runs; this draws hours, closures and instants. No Node needed: the SQL alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvers import hours
from resolvers.station_records import Closure, Period, StationService
from tests.test_open_weekly import periods  # weekly periods as Markaz accepts them

SQL = Path(__file__).parents[1] / "bench" / "postgraphile" / "nearest_stations.sql"
SERVICES = [s.value for s in StationService]
# Zones of one UTC offset all year: the function leaves daylight saving to resolvers/hours.py (it says so).
ZONES = ["Asia/Baghdad", "Asia/Kolkata"]


@pytest.fixture
async def pgbench(database_url: str):
    """A connection with the benchmark's schemas made inside a transaction that is rolled back."""
    conn = await asyncpg.connect(database_url)
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(SQL.read_text())
        yield conn
    finally:
        await transaction.rollback()
        await conn.close()


_AT = st.integers(0, 60 * 24 * 365).map(lambda m: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=m))


@st.composite
def closures(draw, at: datetime) -> Closure:
    """Around `at`, as the demo's holidays: begun up to three days before, or starting in the next two weeks;
    the station's own or a desk's; some back to back or overlapping, as drawn."""
    starts = at + timedelta(minutes=draw(st.integers(-3 * 1440, 14 * 1440)))
    ends = starts + timedelta(minutes=draw(st.integers(1, 4 * 1440)))
    services = draw(st.none() | st.tuples(st.sampled_from(SERVICES)))
    return Closure(starts, ends, "holiday", services)


@st.composite
def cases(draw):
    at = draw(_AT)
    station = {
        "timezone": draw(st.sampled_from(ZONES)),
        "always_open": draw(st.booleans()),
        "services": tuple(draw(st.lists(st.sampled_from(SERVICES), unique=True, max_size=4))),
        "periods": tuple(draw(st.lists(periods(), max_size=6))),
    }
    return station, draw(st.lists(closures(at), max_size=4)), at


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
async def test_next_change_is_markaz_s(pgbench, case):
    station, closures_drawn, at = case
    ahead = [c for c in closures_drawn if c.ends_at > at]  # what the nearest search reads with a station
    schedule = hours.Schedule(
        station["timezone"], station["always_open"], station["services"], station["periods"], ahead
    )
    expected = hours.next_change(schedule, at)
    hours_json = json.dumps(
        [
            {"weekday": p.weekday, "opens": p.opens, "closes": p.closes, "service": p.service}
            for p in station["periods"]
        ]
    )
    found = await pgbench.fetchval(
        """
        SELECT pgbench_private.next_change(
          station_open_weekly($1::jsonb, $2, $3) * '{[0,10080)}'::int4multirange, $4,
          (SELECT coalesce(range_agg(tstzrange(s, e)), '{}'::tstzmultirange)
             FROM unnest($5::timestamptz[], $6::timestamptz[]) AS c(s, e)),
          $7)
        """,
        hours_json,
        station["always_open"],
        list(station["services"]),
        station["timezone"],
        [c.starts_at for c in ahead if c.services is None],
        [c.ends_at for c in ahead if c.services is None],
        at,
    )
    assert found == expected


async def test_a_week_s_edges(pgbench):
    # Open Sunday 20:00 to Monday 02:00 (past midnight and past the week's end), and 08:00-15:00 on Monday.
    periods = (Period(6, "20:00", "02:00"), Period(0, "08:00", "15:00"))
    hours_json = json.dumps([{"weekday": p.weekday, "opens": p.opens, "closes": p.closes} for p in periods])
    sunday_night = datetime(2026, 12, 6, 19, 30, tzinfo=UTC)  # 22:30 in Baghdad: open until 02:00
    monday_noon = datetime(2026, 12, 7, 9, tzinfo=UTC)  # 12:00: open until 15:00
    monday_evening = datetime(2026, 12, 7, 13, tzinfo=UTC)  # 16:00: closed until Sunday 20:00
    for at in (sunday_night, monday_noon, monday_evening):
        schedule = hours.Schedule("Asia/Baghdad", False, (), periods)
        found = await pgbench.fetchval(
            "SELECT pgbench_private.next_change(station_open_weekly($1::jsonb, false, '{}')"
            " * '{[0,10080)}'::int4multirange, 'Asia/Baghdad', '{}', $2)",
            hours_json,
            at,
        )
        assert found == hours.next_change(schedule, at)
    assert found == datetime(2026, 12, 13, 17, tzinfo=UTC)  # Sunday 20:00 in Baghdad
