"""Stations: their weekly hours as one int4multirange, so the nearest-open search filters in SQL.

`openNow` used to be decided in Python for every candidate the k-nearest walk returned; late in the day,
when few family-protection desks are open, a request read 60 or more candidates (and decoded each
one's hours) to find five open ones. Now the walk itself skips stations closed at that minute of their
week, and Python's evaluation (resolvers/hours.py) still decides every station returned, so the SQL
only has to never exclude a station Python would call open. Closures are left to Python (they only
close), so the filter is a superset: tested equal to Python's weekly hours by hypothesis.

`open_weekly` holds minutes of the week in the station's local wall time (Monday 00:00 = 0), one block
of 10,080 minutes per slot: slot 0 the station itself, slot k the k-th service of SLOTS, holding that
desk's own hours, or the station's when it has none, or nothing when the station does not offer it.
A trigger computes it from `hours`, `always_open` and `services`, whoever writes them.

And one k-nearest index per service (partial: the active stations offering it), so the walk for "open
now with a family-protection desk" passes only stations that have one: fewer than half of them do.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 13:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db import definitions

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The services in slot order (resolvers.station_records.StationService, and the slots array of
# db/sql/functions/station_open_weekly: tested equal). A new service is appended by the migration that
# adds it, with a new version of station_open_weekly, and that migration then recomputes every station.
SLOTS = (
    "COMMUNITY_POLICING",
    "FAMILY_AND_CHILD_PROTECTION",
    "JUVENILE_POLICE",
    "WOMEN_OFFICERS_DESK",
    "CRIME_REPORTING",
    "TRAFFIC",
    "CIVIL_DOCUMENTS",
)


def upgrade() -> None:
    op.add_column(
        "stations",
        sa.Column(
            "open_weekly",
            postgresql.INT4MULTIRANGE(),
            server_default=sa.text("'{}'::int4multirange"),
            nullable=False,
        ),
    )
    definitions.install(
        op.execute,
        "0008",
        "functions/station_periods",
        "functions/station_open_weekly",
        "functions/stations_open_weekly",
        "triggers/stations.stations_open_weekly",
    )
    op.execute("UPDATE stations SET open_weekly = station_open_weekly(hours, always_open, services)")
    for slot, service in enumerate(SLOTS, start=1):
        op.execute(
            f"CREATE INDEX ix_stations_ecef_{slot} ON stations USING gist (markaz_ecef(latitude, longitude)) "
            f"WHERE active AND services @> ARRAY['{service}']::text[]"
        )


def downgrade() -> None:
    for slot in range(1, len(SLOTS) + 1):
        op.execute(f"DROP INDEX ix_stations_ecef_{slot}")
    op.execute("DROP TRIGGER stations_open_weekly ON stations")
    op.execute("DROP FUNCTION stations_open_weekly()")
    op.execute("DROP FUNCTION station_open_weekly(jsonb, boolean, text[])")
    op.execute("DROP FUNCTION station_periods(jsonb, text)")
    op.drop_column("stations", "open_weekly")
