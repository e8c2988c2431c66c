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

import sqlalchemy as sa
from alembic import op

from db import definitions

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Each function writes both tables from one set of delta rows, in one statement; activity_rebuild()
# empties both tables before folding every record again. activity_compact() becomes activity_compact(n).
FUNCTIONS = ("functions/activity_fold", "functions/activity_add", "functions/activity_rebuild")

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
    definitions.install(op.execute, "0007", *FUNCTIONS, "functions/activity_compact")


def downgrade() -> None:
    op.execute("DROP FUNCTION activity_compact(integer)")
    definitions.install_previous(op.execute, "0007", *FUNCTIONS, "functions/activity_compact")
    op.drop_index("ix_activity_rollups_fresh", table_name="activity_rollups")
    op.drop_column("activity_rollups", "fresh")
    op.execute(
        "ALTER TABLE activity_rollups RESET (autovacuum_vacuum_scale_factor, "
        "autovacuum_vacuum_insert_scale_factor)"
    )
    op.drop_table("activity_cells")
