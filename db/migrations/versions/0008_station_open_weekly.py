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

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The services in slot order (resolvers.station_records.StationService, tested equal). A new service is
# appended here by the migration that adds it, which then recomputes every station.
SLOTS = (
    "COMMUNITY_POLICING",
    "FAMILY_AND_CHILD_PROTECTION",
    "JUVENILE_POLICE",
    "WOMEN_OFFICERS_DESK",
    "CRIME_REPORTING",
    "TRAFFIC",
    "CIVIL_DOCUMENTS",
)

FUNCTIONS = r"""
-- The weekly periods of one service (NULL: the station itself) as minutes of the week, as
-- resolvers/hours.py reads them: a period closing at or before it opens runs past midnight ("00:00"-"00:00"
-- is the whole day), and a Sunday period past midnight continues on Monday.
CREATE FUNCTION station_periods(p_hours jsonb, p_service text) RETURNS int4multirange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH spans AS (
    SELECT (p->>'weekday')::int * 1440 + o AS s,
           (p->>'weekday')::int * 1440 + CASE WHEN c <= o THEN c + 1440 ELSE c END AS e
    FROM jsonb_array_elements(p_hours) AS p,
         LATERAL (SELECT split_part(p->>'opens', ':', 1)::int * 60 + split_part(p->>'opens', ':', 2)::int AS o,
                         split_part(p->>'closes', ':', 1)::int * 60 + split_part(p->>'closes', ':', 2)::int AS c) t
    WHERE p->>'service' IS NOT DISTINCT FROM p_service
  )
  SELECT coalesce(range_agg(r), '{}'::int4multirange) FROM (
    SELECT int4range(s, least(e, 10080)) AS r FROM spans
    UNION ALL
    SELECT int4range(0, e - 10080) FROM spans WHERE e > 10080
  ) pieces
$$;

CREATE FUNCTION station_open_weekly(p_hours jsonb, p_always_open boolean, p_services text[])
RETURNS int4multirange LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  slots CONSTANT text[] := ARRAY[SLOTS];
  general int4multirange;
  own int4multirange;
  result int4multirange;
BEGIN
  general := CASE WHEN p_always_open THEN int4multirange(int4range(0, 10080))
                  ELSE station_periods(p_hours, NULL) END;
  result := general;
  FOR k IN 1 .. array_length(slots, 1) LOOP
    CONTINUE WHEN p_services IS NULL OR NOT (slots[k] = ANY(p_services));
    own := CASE WHEN jsonb_path_exists(p_hours, '$[*] ? (@.service == $s)', jsonb_build_object('s', slots[k]))
                THEN station_periods(p_hours, slots[k]) ELSE general END;
    result := result + coalesce((SELECT range_agg(int4range(lower(r) + k * 10080, upper(r) + k * 10080))
                                 FROM unnest(own) AS r), '{}'::int4multirange);
  END LOOP;
  RETURN result;
END $$;

CREATE FUNCTION stations_open_weekly() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.open_weekly := station_open_weekly(NEW.hours, NEW.always_open, NEW.services);
  RETURN NEW;
END $$;
""".replace("ARRAY[SLOTS]", "ARRAY[" + ", ".join(f"'{s}'" for s in SLOTS) + "]")

TRIGGER = """
CREATE TRIGGER stations_open_weekly BEFORE INSERT OR UPDATE OF hours, always_open, services ON stations
  FOR EACH ROW EXECUTE FUNCTION stations_open_weekly()
"""


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
    for statement in re.split(r"(?<=\$;)\n", FUNCTIONS):
        if statement.strip():
            op.execute(statement)
    op.execute(TRIGGER)
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
