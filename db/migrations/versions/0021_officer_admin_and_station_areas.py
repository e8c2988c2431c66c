"""Officers administered through the API, the audit log read through it, and station areas.

- `officers.version` (bumped by every change to an account, for `expectedVersion`) and
  `officers.must_change_password` (set by a one-time password from createOfficer or
  resetOfficerPassword; while set, the officer may only change it: resolvers/officer_admin.py).
- Indexes for the audit log's questions: the entries about one subject (who read this case), and the
  entries by one officer, newest first.
- `station_areas`: each station's beat as GeoJSON, with its bounding box; the GiST index on the box
  finds the few areas that may hold a point, an exact test decides (resolvers/station_areas.py).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("officers", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.add_column(
        "officers",
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["entity_type", "entity_id", "id"])
    op.create_index("ix_audit_log_officer_id", "audit_log", ["officer_id", "id"])
    op.create_table(
        "station_areas",
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("geometry", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("west", sa.Double(), nullable=False),
        sa.Column("south", sa.Double(), nullable=False),
        sa.Column("east", sa.Double(), nullable=False),
        sa.Column("north", sa.Double(), nullable=False),
        sa.Column("vertices", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("west <= east AND south <= north", name=op.f("ck_station_areas_bbox_ordered")),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_station_areas_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_station_areas")),
    )
    op.execute(
        "CREATE INDEX ix_station_areas_bbox ON station_areas "
        "USING gist (box(point(west, south), point(east, north)))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_station_areas_bbox")
    op.drop_table("station_areas")
    op.drop_index("ix_audit_log_officer_id", table_name="audit_log")
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_column("officers", "must_change_password")
    op.drop_column("officers", "version")
