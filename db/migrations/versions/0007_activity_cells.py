"""Activity: per-cell totals for maps (activity_cells), and compaction of both rollup tables.

activity_rollups keys its rows by category, sensitivity and station so that summaries and filtered maps
can be answered; a map without a category filter needs none of that but the station (for scope), and
reading the detailed rows made a governorate's year hundreds of thousands of rows. activity_cells keeps,
per (grain, resolution, bucket, cell, station), the four numbers a map shows, written by the same
functions as activity_rollups in the same statement, so both are always equal in what they count.

Both tables take deltas (rows only inserted, `fresh`); `activity_compact(n)` merges the keys of up to n
fresh rows into one row each (sums unchanged), and the server runs it every minute
(api/compaction.py), so the rows of a key stay one plus what was written since. Covering indexes let
maps read the cells by index alone, one range of the index per stretch and area.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:40:00
"""

import importlib.util
import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PAIRS = """(VALUES ('h'::"char", 10::smallint), ('d', 10), ('d', 8), ('m', 8), ('m', 6)) AS g(grain, res)"""

# Each function writes both tables from one set of delta rows, in one statement.
FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION activity_fold(p_layer smallint, p_cells bigint[], p_ats timestamptz[],
                              p_categories text[], p_sensitive boolean[], p_stations bigint[], p_n bigint[],
                              p_minutes double precision[], p_meters double precision[],
                              p_attendees bigint[], p_women bigint[], p_youth bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH d AS (
    SELECT g.grain, g.res, activity_bucket(g.grain, x.at) AS bucket, activity_h3_parent(x.cell, g.res) AS cell,
           x.category, x.sensitive, x.station_id, min(s.governorate_code) AS governorate, sum(x.n) AS n,
           sum(x.minutes) AS minutes, sum(x.meters) AS meters, sum(x.attendees) AS attendees,
           sum(x.women) AS women, sum(x.youth) AS youth
    FROM unnest(p_cells, p_ats, p_categories, p_sensitive, p_stations, p_n, p_minutes, p_meters, p_attendees,
                p_women, p_youth)
         AS x(cell, at, category, sensitive, station_id, n, minutes, meters, attendees, women, youth)
    JOIN stations s ON s.id = x.station_id
    CROSS JOIN PAIRS
    GROUP BY 1, 2, 3, 4, 5, 6, 7
  ), detailed AS (
    INSERT INTO activity_rollups (grain, res, bucket, cell, layer, category, sensitive, station_id,
                                  governorate, n, minutes, meters, attendees, women, youth)
    SELECT grain, res, bucket, cell, p_layer, category, sensitive, station_id, governorate, n, minutes, meters,
           attendees, women, youth FROM d
  )
  INSERT INTO activity_cells (grain, res, bucket, cell, station_id, governorate, incidents, sensitive,
                              engagements, patrol_minutes)
  SELECT grain, res, bucket, cell, station_id, min(governorate),
         CASE WHEN p_layer = 1 THEN coalesce(sum(n) FILTER (WHERE NOT sensitive), 0) ELSE 0 END,
         CASE WHEN p_layer = 1 THEN coalesce(sum(n) FILTER (WHERE sensitive), 0) ELSE 0 END,
         CASE WHEN p_layer = 2 THEN sum(n) ELSE 0 END,
         CASE WHEN p_layer = 3 THEN sum(minutes) ELSE 0 END
  FROM d GROUP BY 1, 2, 3, 4, 5;
END $$;

CREATE OR REPLACE FUNCTION activity_add(p_layer smallint, p_cell bigint, p_at timestamptz, p_category text,
                             p_sensitive boolean, p_station bigint, p_n bigint, p_attendees bigint,
                             p_women bigint, p_youth bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH d AS (
    SELECT g.grain, g.res, activity_bucket(g.grain, p_at) AS bucket, activity_h3_parent(p_cell, g.res) AS cell,
           s.governorate_code AS governorate
    FROM PAIRS
    JOIN stations s ON s.id = p_station
  ), detailed AS (
    INSERT INTO activity_rollups (grain, res, bucket, cell, layer, category, sensitive, station_id,
                                  governorate, n, attendees, women, youth)
    SELECT grain, res, bucket, cell, p_layer, p_category, p_sensitive, p_station, governorate, p_n,
           p_attendees, p_women, p_youth FROM d
  )
  INSERT INTO activity_cells (grain, res, bucket, cell, station_id, governorate, incidents, sensitive,
                              engagements, patrol_minutes)
  SELECT grain, res, bucket, cell, p_station, governorate,
         CASE WHEN p_layer = 1 AND NOT p_sensitive THEN p_n ELSE 0 END,
         CASE WHEN p_layer = 1 AND p_sensitive THEN p_n ELSE 0 END,
         CASE WHEN p_layer = 2 THEN p_n ELSE 0 END, 0
  FROM d;
END $$;

-- Merge the rows of the keys of up to p_limit fresh rows of each table into one row per key (sums
-- unchanged; a key whose sums are all zero goes). Readers see the rows before or after, never a mix (one
-- statement per table, one transaction); writers only insert, so nobody waits for it, and the rows they
-- commit meanwhile stay fresh for the next run. One run at a time (the advisory lock). Returns the fresh
-- rows it took from both tables; fewer than p_limit means neither had more.
CREATE FUNCTION activity_compact(p_limit integer DEFAULT 50000) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE taken bigint; taken_cells bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('activity_compact'));
  WITH keys AS (
    SELECT DISTINCT grain, res, bucket, cell, layer, category, sensitive, station_id
    FROM (SELECT * FROM activity_rollups WHERE fresh LIMIT p_limit) f
  ), moved AS (
    DELETE FROM activity_rollups r USING keys k
    WHERE r.grain = k.grain AND r.res = k.res AND r.bucket = k.bucket AND r.cell = k.cell AND r.layer = k.layer
      AND r.category = k.category AND r.sensitive = k.sensitive AND r.station_id = k.station_id
    RETURNING r.*
  ), summed AS (
    INSERT INTO activity_rollups (grain, res, bucket, cell, layer, category, sensitive, station_id, governorate,
                                  n, minutes, meters, attendees, women, youth, fresh)
    SELECT grain, res, bucket, cell, layer, category, sensitive, station_id, min(governorate), sum(n),
           sum(minutes), sum(meters), sum(attendees), sum(women), sum(youth), false
    FROM moved GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    HAVING sum(n) <> 0 OR abs(sum(minutes)) > 1e-9 OR abs(sum(meters)) > 1e-6 OR sum(attendees) <> 0
  )
  SELECT count(*) FILTER (WHERE fresh) INTO taken FROM moved;
  WITH keys AS (
    SELECT DISTINCT grain, res, bucket, cell, station_id
    FROM (SELECT * FROM activity_cells WHERE fresh LIMIT p_limit) f
  ), moved AS (
    DELETE FROM activity_cells c USING keys k
    WHERE c.grain = k.grain AND c.res = k.res AND c.cell = k.cell AND c.bucket = k.bucket
      AND c.station_id = k.station_id
    RETURNING c.*
  ), summed AS (
    INSERT INTO activity_cells (grain, res, bucket, cell, station_id, governorate, incidents, sensitive,
                                engagements, patrol_minutes, fresh)
    SELECT grain, res, bucket, cell, station_id, min(governorate), sum(incidents), sum(sensitive),
           sum(engagements), sum(patrol_minutes), false
    FROM moved GROUP BY 1, 2, 3, 4, 5
    HAVING sum(incidents) <> 0 OR sum(sensitive) <> 0 OR sum(engagements) <> 0
        OR abs(sum(patrol_minutes)) > 1e-9
  )
  SELECT count(*) FILTER (WHERE fresh) INTO taken_cells FROM moved;
  RETURN taken + taken_cells;
END $$;
""".replace("PAIRS", PAIRS)


def _old_functions() -> str:
    """0006's activity_fold, activity_add and activity_compact(), for the downgrade."""
    path = Path(__file__).with_name("0006_activity_rollups.py")
    spec = importlib.util.spec_from_file_location("markaz_migration_0006", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    kept = []
    for statement in re.split(r"(?<=\$;)\n", module.FUNCTIONS):
        body = statement.strip()
        if (
            body.startswith(
                (
                    "-- Add signed",
                    "CREATE FUNCTION activity_fold",
                    "-- One record's delta",
                    "CREATE FUNCTION activity_add",
                    "-- Merge the delta rows",
                )
            )
            or "CREATE FUNCTION activity_compact()" in body
        ):
            kept.append(
                body.replace(
                    "CREATE FUNCTION activity_fold", "CREATE OR REPLACE FUNCTION activity_fold"
                ).replace("CREATE FUNCTION activity_add", "CREATE OR REPLACE FUNCTION activity_add")
            )
    return "\n".join(kept)


# The function's own text, edited in place (pg_get_functiondef gives CREATE OR REPLACE).
REBUILD = """
DO $do$ BEGIN
  EXECUTE replace(pg_get_functiondef('activity_rebuild()'::regprocedure), '{old}', '{new}');
END $do$
"""

# The map totals of every key, from the detailed rollups (which hold the same deltas).
BACKFILL = """
INSERT INTO activity_cells (grain, res, bucket, cell, station_id, governorate, incidents, sensitive, engagements,
                            patrol_minutes, fresh)
SELECT grain, res, bucket, cell, station_id, min(governorate),
       coalesce(sum(n) FILTER (WHERE layer = 1 AND NOT sensitive), 0),
       coalesce(sum(n) FILTER (WHERE layer = 1 AND sensitive), 0),
       coalesce(sum(n) FILTER (WHERE layer = 2), 0), coalesce(sum(minutes) FILTER (WHERE layer = 3), 0), false
FROM activity_rollups GROUP BY 1, 2, 3, 4, 5
"""

_VALUES = ["incidents", "sensitive", "engagements", "patrol_minutes"]
# Vacuumed after every 1% of new or deleted rows (not PostgreSQL's 20%): index-only scans need pages
# marked all-visible, and compaction deletes and inserts all day.
_STORAGE = "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01"


def upgrade() -> None:
    op.create_table(
        "activity_cells",
        sa.Column("grain", sa.CHAR(1), nullable=False),
        sa.Column("res", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("governorate", sa.Text(), nullable=False),
        sa.Column("incidents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sensitive", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("engagements", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("patrol_minutes", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("fresh", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.create_index(
        "ix_activity_cells_place",
        "activity_cells",
        ["grain", "res", "cell", "bucket"],
        postgresql_include=["station_id", "governorate", *_VALUES],
    )
    op.create_index(
        "ix_activity_cells_governorate",
        "activity_cells",
        ["grain", "res", "governorate", "bucket"],
        postgresql_include=["cell", "station_id", *_VALUES],
    )
    op.create_index(
        "ix_activity_cells_station",
        "activity_cells",
        ["grain", "res", "station_id", "bucket"],
        postgresql_include=["cell", "governorate", *_VALUES],
    )
    op.create_index(
        "ix_activity_cells_fresh",
        "activity_cells",
        ["grain", "res", "cell", "bucket", "station_id"],
        postgresql_where=sa.text("fresh"),
    )
    op.add_column(
        "activity_rollups", sa.Column("fresh", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.create_index(
        "ix_activity_rollups_fresh",
        "activity_rollups",
        ["grain", "res", "bucket", "cell", "layer", "category", "sensitive", "station_id"],
        postgresql_where=sa.text("fresh"),
    )
    op.execute(f"ALTER TABLE activity_cells SET ({_STORAGE})")
    op.execute(f"ALTER TABLE activity_rollups SET ({_STORAGE})")
    op.execute(BACKFILL)
    op.execute("DROP FUNCTION activity_compact()")
    # asyncpg prepares each statement, and a prepared statement holds one command: one at a time.
    for statement in re.split(r"(?<=\$;)\n", FUNCTIONS):
        if statement.strip():
            op.execute(statement)
    # activity_rebuild() (0006) now empties both tables before folding every record again.
    op.execute(
        REBUILD.format(old="TRUNCATE activity_rollups;", new="TRUNCATE activity_rollups, activity_cells;")
    )


def downgrade() -> None:
    op.execute(
        REBUILD.format(new="TRUNCATE activity_rollups;", old="TRUNCATE activity_rollups, activity_cells;")
    )
    op.execute("DROP FUNCTION activity_compact(integer)")
    for statement in re.split(r"(?<=\$;)\n", _old_functions()):
        if statement.strip():
            op.execute(statement)
    op.drop_index("ix_activity_rollups_fresh", table_name="activity_rollups")
    op.drop_column("activity_rollups", "fresh")
    op.execute(
        "ALTER TABLE activity_rollups RESET (autovacuum_vacuum_scale_factor, "
        "autovacuum_vacuum_insert_scale_factor)"
    )
    op.drop_table("activity_cells")
