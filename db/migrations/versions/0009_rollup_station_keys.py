"""Activity: the station indexes of both rollup tables end with the rest of the key.

Compaction (activity_compact) finds each fresh key's rows by the whole key. With the station indexes
ending at the bucket, PostgreSQL could pick one of them for that lookup and then read every row of the
station's month (thousands, at month grain) for each key; with the key completed, any index it picks
finds exactly the key's rows. Reads by station (station areas, officers' scope) use them as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 13:50:00
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_VALUES = ["incidents", "sensitive", "engagements", "patrol_minutes"]


def upgrade() -> None:
    op.drop_index("ix_activity_rollups_station", table_name="activity_rollups")
    op.create_index(
        "ix_activity_rollups_station",
        "activity_rollups",
        ["grain", "res", "station_id", "bucket", "cell", "layer", "category", "sensitive"],
    )
    op.drop_index("ix_activity_cells_station", table_name="activity_cells")
    op.create_index(
        "ix_activity_cells_station",
        "activity_cells",
        ["grain", "res", "station_id", "bucket", "cell"],
        postgresql_include=["governorate", *_VALUES],
    )


def downgrade() -> None:
    op.drop_index("ix_activity_cells_station", table_name="activity_cells")
    op.create_index(
        "ix_activity_cells_station",
        "activity_cells",
        ["grain", "res", "station_id", "bucket"],
        postgresql_include=["cell", "governorate", *_VALUES],
    )
    op.drop_index("ix_activity_rollups_station", table_name="activity_rollups")
    op.create_index(
        "ix_activity_rollups_station", "activity_rollups", ["grain", "res", "station_id", "bucket"]
    )
