"""The public map's months, frozen when first published.

A base number of the public map (one resolution-7 cell, one month, one governorate's stations, published
from 5) counted from the rollups at every question could move after the month was published: a late
report or a correction taking it from 5 to 4 or from 4 to 5, and the public map of two days, compared,
would tell the suppressed count. So the first time a completed month is published (a question of the
public map, or the server's periodic upkeep, api/compaction.py) its published base numbers, for every
governorate, are counted once and kept here with the fact that the month is frozen; the public map then
answers it from these rows only (db/activity.py, docs/privacy.md "The public map").

- `public_months`: one row per frozen month (its start in Baghdad). Its primary key is what makes two
  freezes of one month at once safe: the second's INSERT ... ON CONFLICT DO NOTHING waits for the first
  and then claims nothing, so it counts nothing and reads the first one's numbers.
- `public_base_numbers`: the published base numbers of frozen months; a suppressed one is never a row.

Months are frozen as they are asked, so the upgrade copies nothing.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_months",
        sa.Column("month", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_public_months")),
    )
    op.create_table(
        "public_base_numbers",
        sa.Column("month", sa.DateTime(timezone=True), nullable=False),
        sa.Column("governorate", sa.Text(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("n >= 5", name=op.f("ck_public_base_numbers_published")),
        sa.ForeignKeyConstraint(
            ["month"],
            ["public_months.month"],
            name=op.f("fk_public_base_numbers_month_public_months"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("month", "governorate", "cell", name=op.f("pk_public_base_numbers")),
    )


def downgrade() -> None:
    op.drop_table("public_base_numbers")
    op.drop_table("public_months")
