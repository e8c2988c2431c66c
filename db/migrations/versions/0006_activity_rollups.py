"""Activity: an H3 cell on every located record, and rollups kept by triggers in the same transaction.

See db/models/activity.py for what the rollups hold and why. Rollup rows are deltas, only ever inserted
(no unique key, no upsert): two transactions writing records of the same cell, hour and station never
wait for each other's rollup rows, so concurrent sync batches cannot deadlock on them. Reads sum the rows;
`activity_compact()` merges the rows of each key now and then, which changes no sum.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:45:00
"""

import sqlalchemy as sa
from alembic import op

from db import cells, definitions

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The functions (db/sql/functions) and triggers (db/sql/triggers) this migration makes, in that order.
FUNCTIONS = (
    "activity_h3_parent",
    "activity_bucket",
    "activity_fold",
    "activity_compact",
    "activity_add",
    "activity_incident_row",
    "activity_engagement_row",
    "activity_fixes_insert",
    "activity_fixes_delete",
    "activity_metres",
    "activity_rebuild",
)
TRIGGERS = (
    "incidents.activity_incidents_written",
    "incidents.activity_incidents_moved",
    "engagements.activity_engagements_written",
    "engagements.activity_engagements_moved",
    "patrol_fixes.activity_fixes_inserted",
    "patrol_fixes.activity_fixes_deleted",
)


def upgrade() -> None:
    op.create_table(
        "activity_rollups",
        sa.Column("grain", sa.CHAR(1), nullable=False),
        sa.Column("res", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("layer", sa.SmallInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("governorate", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("minutes", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("meters", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("attendees", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("women", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("youth", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.create_index(
        "ix_activity_rollups_key",
        "activity_rollups",
        ["grain", "res", "bucket", "cell", "layer", "category", "sensitive", "station_id"],
        unique=False,
    )
    op.create_index(
        "ix_activity_rollups_governorate",
        "activity_rollups",
        ["grain", "res", "governorate", "bucket"],
        unique=False,
    )
    op.create_index(
        "ix_activity_rollups_station",
        "activity_rollups",
        ["grain", "res", "station_id", "bucket"],
        unique=False,
    )
    for table in ("incidents", "engagements", "patrol_fixes"):
        op.add_column(table, sa.Column("h3_cell", sa.BigInteger(), nullable=True))
    # The cells of rows written before this migration, computed in Python (PostgreSQL has no H3).
    cells.backfill_fine_cells(op.get_bind())
    for table in ("incidents", "engagements", "patrol_fixes"):
        op.alter_column(table, "h3_cell", nullable=False)
    definitions.install(op.execute, "0006", *(f"functions/{name}" for name in FUNCTIONS))
    # Existing rows, folded as the triggers would have (the benchmark's bulk load uses the same function).
    op.execute("SELECT activity_rebuild()")
    definitions.install(op.execute, "0006", *(f"triggers/{name}" for name in TRIGGERS))


def downgrade() -> None:
    for trigger in TRIGGERS:
        table, name = trigger.split(".")
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for function in (
        "activity_rebuild()",
        "activity_compact()",
        "activity_fixes_insert()",
        "activity_fixes_delete()",
        "activity_incident_row()",
        "activity_engagement_row()",
        "activity_add(smallint, bigint, timestamptz, text, boolean, bigint, bigint, bigint, bigint, bigint)",
        "activity_fold(smallint, bigint[], timestamptz[], text[], boolean[], bigint[], bigint[], "
        "double precision[], double precision[], bigint[], bigint[], bigint[])",
        "activity_metres(float8, float8, float8, float8)",
        'activity_bucket("char", timestamptz)',
        "activity_h3_parent(bigint, integer)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    for table in ("incidents", "engagements", "patrol_fixes"):
        op.drop_column(table, "h3_cell")
    op.drop_index("ix_activity_rollups_station", table_name="activity_rollups")
    op.drop_index("ix_activity_rollups_governorate", table_name="activity_rollups")
    op.drop_index("ix_activity_rollups_key", table_name="activity_rollups")
    op.drop_table("activity_rollups")
