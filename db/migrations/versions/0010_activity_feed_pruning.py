"""The live feed's log is pruned: events older than the retention go, and the horizon says how far.

Without it the log grew with every record for ever. `activity_feed_prune(before, n)` removes the oldest
positions committed before `before`, up to n positions a call, with their events, and raises the horizon
(`activity_feed_horizon.position`: every position at or below it may be gone) in the same transaction. A
subscriber resuming from a cursor at or below the horizon may have missed events, so it is told to
reload instead (resolvers/feed.py): never a silent gap. Positions are taken in order and committed_at
grows with them, so the removed positions are always the oldest ones.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 16:05:00
"""

import sqlalchemy as sa
from alembic import op

from db import definitions

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_feed_horizon",
        sa.Column("one", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("one", name=op.f("ck_activity_feed_horizon_one_row")),
        sa.PrimaryKeyConstraint("one", name=op.f("pk_activity_feed_horizon")),
    )
    op.execute("INSERT INTO activity_feed_horizon DEFAULT VALUES")
    definitions.install(op.execute, "0010", "functions/activity_feed_prune")


def downgrade() -> None:
    op.execute("DROP FUNCTION activity_feed_prune(timestamptz, integer)")
    op.drop_table("activity_feed_horizon")
