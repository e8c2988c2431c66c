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

import sqlalchemy as sa
from alembic import op

from db import definitions

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The functions this migration changes (db/sql/functions): the rollups count household engagements as
# sensitive (and the map rollup apart), the row triggers and activity_rebuild() decide sensitivity with
# markaz_sensitive_*. The downgrade puts back each one's version before this one.
CHANGED = (
    "functions/activity_fold",
    "functions/activity_add",
    "functions/activity_incident_row",
    "functions/activity_engagement_row",
    "functions/activity_compact",
    "functions/activity_rebuild",
)
CLASSES = ("functions/markaz_sensitive_incident", "functions/markaz_sensitive_engagement")

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


def upgrade() -> None:
    definitions.install(op.execute, "0011", *CLASSES)
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
    definitions.install(op.execute, "0011", *CHANGED)
    # Existing records folded again with their sensitivity as it is now decided.
    op.execute("SELECT activity_rebuild()")


def downgrade() -> None:
    definitions.install_previous(op.execute, "0011", *CHANGED)
    for table in _DISCLOSED:
        op.drop_index(f"ix_{table}_station_id_disclosed_at", table_name=table)
        op.drop_column(table, "disclosed_at")
    op.drop_index("ix_activity_rollups_sensitive", table_name="activity_rollups")
    _cell_indexes(_OLD_VALUES)
    op.drop_column("activity_cells", "sensitive_engagements")
    op.execute("DROP FUNCTION markaz_sensitive_engagement(text)")
    op.execute("DROP FUNCTION markaz_sensitive_incident(text, boolean)")
    op.execute("SELECT activity_rebuild()")
