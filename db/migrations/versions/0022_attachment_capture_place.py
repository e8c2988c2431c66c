"""Where a photo was taken, kept as fields of its attachment (the stored image carries no GPS).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attachments", sa.Column("taken_latitude", sa.Double(), nullable=True))
    op.add_column("attachments", sa.Column("taken_longitude", sa.Double(), nullable=True))
    op.create_check_constraint(
        op.f("ck_attachments_taken_place_whole"),
        "attachments",
        "(taken_latitude IS NULL) = (taken_longitude IS NULL)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_attachments_taken_place_whole"), "attachments", type_="check")
    op.drop_column("attachments", "taken_longitude")
    op.drop_column("attachments", "taken_latitude")
