"""Disclosure: which records are sensitive is known to SQL, household engagements count as sensitive, and
every record carries the time everyone may see.

- `markaz_sensitive_incident(category, marked)` and `markaz_sensitive_engagement(kind)` say which records
  the disclosure rule (resolvers/disclosure.py, docs/privacy.md) protects; a test holds them equal to the
  Python lists.
- The rollups mark household engagements (home visits, family-protection follow-ups) sensitive, and the map
  rollup (activity_cells) counts them apart (`sensitive_engagements`), as it already did sensitive incidents:
  viewers not on the case get them only generalised to their resolution-7 cell and their day, read from the
  rollups' sensitive rows through a partial index of their own.
- `disclosed_at` on incidents and engagements: the occurrence time, or for a sensitive record the start of
  its day in Baghdad. Lists are ordered and paged by it for everyone, so a record's place in a list never
  times it more finely than a day; an index per station serves the lists.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 21:00:00
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PAIRS = """(VALUES ('h'::"char", 10::smallint), ('d', 10), ('d', 8), ('m', 8), ('m', 6)) AS g(grain, res)"""

CLASSES = r"""
-- Which records the disclosure rule protects (resolvers/disclosure.py holds the same lists; a test
-- compares them). Immutable: generated columns and index expressions use them.
CREATE FUNCTION markaz_sensitive_incident(p_category text, p_marked boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(p_marked, false) OR p_category IN ('DOMESTIC_VIOLENCE', 'CHILD_PROTECTION', 'JUVENILE')
$$;

CREATE FUNCTION markaz_sensitive_engagement(p_kind text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_kind IN ('HOME_VISIT', 'FAMILY_PROTECTION_FOLLOW_UP')
$$;
"""

# The functions of 0007 (fold, add, compact) and 0006 (the row triggers), with the pieces this migration
# changes left as {placeholders}: the upgrade fills in the new pieces, the downgrade the old ones.
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
                              engagements{se_column}, patrol_minutes)
  SELECT grain, res, bucket, cell, station_id, min(governorate),
         CASE WHEN p_layer = 1 THEN coalesce(sum(n) FILTER (WHERE NOT sensitive), 0) ELSE 0 END,
         CASE WHEN p_layer = 1 THEN coalesce(sum(n) FILTER (WHERE sensitive), 0) ELSE 0 END,
{fold_engagements}         CASE WHEN p_layer = 3 THEN sum(minutes) ELSE 0 END
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
                              engagements{se_column}, patrol_minutes)
  SELECT grain, res, bucket, cell, p_station, governorate,
         CASE WHEN p_layer = 1 AND NOT p_sensitive THEN p_n ELSE 0 END,
         CASE WHEN p_layer = 1 AND p_sensitive THEN p_n ELSE 0 END,
{add_engagements}, 0
  FROM d;
END $$;

CREATE OR REPLACE FUNCTION activity_incident_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM activity_add(1::smallint, OLD.h3_cell, OLD.occurred_at, OLD.category,
                         {incident_old}, OLD.station_id, -1, 0, 0, 0);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM activity_add(1::smallint, NEW.h3_cell, NEW.occurred_at, NEW.category,
                         {incident_new}, NEW.station_id, 1, 0, 0, 0);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION activity_engagement_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM activity_add(2::smallint, OLD.h3_cell, OLD.occurred_at, OLD.kind, {engagement_old},
                         OLD.station_id, -1, -OLD.attendees_total, -OLD.attendees_women, -OLD.attendees_youth);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM activity_add(2::smallint, NEW.h3_cell, NEW.occurred_at, NEW.kind, {engagement_new},
                         NEW.station_id, 1, NEW.attendees_total, NEW.attendees_women, NEW.attendees_youth);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION activity_compact(p_limit integer DEFAULT 50000) RETURNS bigint
LANGUAGE plpgsql AS $$
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
                                engagements{se_column}, patrol_minutes, fresh)
    SELECT grain, res, bucket, cell, station_id, min(governorate), sum(incidents), sum(sensitive),
           sum(engagements){se_sum}, sum(patrol_minutes), false
    FROM moved GROUP BY 1, 2, 3, 4, 5
    HAVING sum(incidents) <> 0 OR sum(sensitive) <> 0 OR sum(engagements) <> 0{se_nonzero}
        OR abs(sum(patrol_minutes)) > 1e-9
  )
  SELECT count(*) FILTER (WHERE fresh) INTO taken_cells FROM moved;
  RETURN taken + taken_cells;
END $$;
""".replace("PAIRS", PAIRS)

NEW = {
    "se_column": ", sensitive_engagements",
    "fold_engagements": "         CASE WHEN p_layer = 2 THEN coalesce(sum(n) FILTER (WHERE NOT sensitive), 0) ELSE 0 END,\n"
    "         CASE WHEN p_layer = 2 THEN coalesce(sum(n) FILTER (WHERE sensitive), 0) ELSE 0 END,\n",
    "add_engagements": "         CASE WHEN p_layer = 2 AND NOT p_sensitive THEN p_n ELSE 0 END,\n"
    "         CASE WHEN p_layer = 2 AND p_sensitive THEN p_n ELSE 0 END",
    "se_sum": ", sum(sensitive_engagements)",
    "se_nonzero": " OR sum(sensitive_engagements) <> 0",
    "incident_old": "markaz_sensitive_incident(OLD.category, OLD.sensitive)",
    "incident_new": "markaz_sensitive_incident(NEW.category, NEW.sensitive)",
    "engagement_old": "markaz_sensitive_engagement(OLD.kind)",
    "engagement_new": "markaz_sensitive_engagement(NEW.kind)",
}
OLD = {
    "se_column": "",
    "fold_engagements": "         CASE WHEN p_layer = 2 THEN sum(n) ELSE 0 END,\n",
    "add_engagements": "         CASE WHEN p_layer = 2 THEN p_n ELSE 0 END",
    "se_sum": "",
    "se_nonzero": "",
    "incident_old": "OLD.sensitive",
    "incident_new": "NEW.sensitive",
    "engagement_old": "false",
    "engagement_new": "false",
}

# activity_rebuild() folds incidents and engagements with the same sensitivity as the row triggers.
REBUILD_EDITS = (
    (
        "array_agg(category),\n             array_agg(sensitive)",
        "array_agg(category),\n             array_agg(markaz_sensitive_incident(category, sensitive))",
    ),
    (
        "array_agg(kind),\n             array_agg(false)",
        "array_agg(kind),\n             array_agg(markaz_sensitive_engagement(kind))",
    ),
)
REBUILD = """
DO $do$ BEGIN
  EXECUTE replace(pg_get_functiondef('activity_rebuild()'::regprocedure), $old${old}$old$, $new${new}$new$);
END $do$
"""

_OLD_VALUES = ["incidents", "sensitive", "engagements", "patrol_minutes"]
_VALUES = ["incidents", "sensitive", "engagements", "sensitive_engagements", "patrol_minutes"]
_DISCLOSED = {
    "incidents": "CASE WHEN markaz_sensitive_incident(category, sensitive) THEN activity_bucket('d', occurred_at) "
    "ELSE occurred_at END",
    "engagements": "CASE WHEN markaz_sensitive_engagement(kind) THEN activity_bucket('d', occurred_at) "
    "ELSE occurred_at END",
}


def _cell_indexes(values: list[str]) -> None:
    for name in ("place", "governorate", "station"):
        op.drop_index(f"ix_activity_cells_{name}", table_name="activity_cells")
    op.create_index(
        "ix_activity_cells_place",
        "activity_cells",
        ["grain", "res", "cell", "bucket"],
        postgresql_include=["station_id", "governorate", *values],
    )
    op.create_index(
        "ix_activity_cells_governorate",
        "activity_cells",
        ["grain", "res", "governorate", "bucket"],
        postgresql_include=["cell", "station_id", *values],
    )
    op.create_index(
        "ix_activity_cells_station",
        "activity_cells",
        ["grain", "res", "station_id", "bucket", "cell"],
        postgresql_include=["governorate", *values],
    )


def _statements(sql: str) -> list[str]:
    # asyncpg prepares each statement, and a prepared statement holds one command: one at a time.
    return [s for s in re.split(r"(?<=\$;)\n", sql) if s.strip()]


def upgrade() -> None:
    for statement in _statements(CLASSES):
        op.execute(statement)
    op.add_column(
        "activity_cells",
        sa.Column("sensitive_engagements", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    _cell_indexes(_VALUES)
    op.create_index(
        "ix_activity_rollups_sensitive",
        "activity_rollups",
        ["grain", "res", "bucket"],
        postgresql_where=sa.text("sensitive"),
        postgresql_include=[
            "cell",
            "layer",
            "category",
            "station_id",
            "governorate",
            "n",
            "attendees",
            "women",
            "youth",
        ],
    )
    for table, expression in _DISCLOSED.items():
        op.add_column(
            table,
            sa.Column(
                "disclosed_at",
                sa.DateTime(timezone=True),
                sa.Computed(expression, persisted=True),
                nullable=False,
            ),
        )
        op.create_index(f"ix_{table}_station_id_disclosed_at", table, ["station_id", "disclosed_at", "id"])
    for statement in _statements(FUNCTIONS.format(**NEW)):
        op.execute(statement)
    for old, new in REBUILD_EDITS:
        op.execute(REBUILD.format(old=old, new=new))
    # Existing records folded again with their sensitivity as it is now decided.
    op.execute("SELECT activity_rebuild()")


def downgrade() -> None:
    for old, new in REBUILD_EDITS:
        op.execute(REBUILD.format(old=new, new=old))
    for statement in _statements(FUNCTIONS.format(**OLD)):
        op.execute(statement)
    for table in _DISCLOSED:
        op.drop_index(f"ix_{table}_station_id_disclosed_at", table_name=table)
        op.drop_column(table, "disclosed_at")
    op.drop_index("ix_activity_rollups_sensitive", table_name="activity_rollups")
    _cell_indexes(_OLD_VALUES)
    op.drop_column("activity_cells", "sensitive_engagements")
    op.execute("DROP FUNCTION markaz_sensitive_engagement(text)")
    op.execute("DROP FUNCTION markaz_sensitive_incident(text, boolean)")
    op.execute("SELECT activity_rebuild()")
