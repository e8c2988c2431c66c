"""Stations run through the API, and Iraq's public holidays.

- `stations.version`: bumped by every change through the API (`updateStation`, a closure added or
  removed) and by a re-import, sent back as `expectedVersion` (1 for existing stations).
- `stations.address_ar`, `address_ku`, `address_en`: the address in each language (OpenStreetMap's
  `addr:*` tags, or `updateStation`); `address` stays the one address older imports gave.
- `stations.closes_on_holidays` and `holiday_closed_services`: the station closes on public holidays,
  or only these desks do (OpenStreetMap's `PH off`).
- `station_closures.reason_ar`, `reason_ku`, `reason_en`: a closure's reason in each language.
- `public_holidays`: an administrator's changes to the computed holidays (resolvers/holidays.py): a
  national holiday moved to the dates announced (moon sighting), or a one-off holiday.

`stations.open_weekly` needs nothing: its trigger (0008) already follows every write of the hours,
the always-open flag and the services, whoever makes it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stations", sa.Column("address_ar", sa.Text(), nullable=True))
    op.add_column("stations", sa.Column("address_ku", sa.Text(), nullable=True))
    op.add_column("stations", sa.Column("address_en", sa.Text(), nullable=True))
    op.add_column(
        "stations",
        sa.Column("closes_on_holidays", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "stations",
        sa.Column(
            "holiday_closed_services",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    op.add_column("stations", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.add_column("station_closures", sa.Column("reason_ar", sa.Text(), nullable=True))
    op.add_column("station_closures", sa.Column("reason_ku", sa.Text(), nullable=True))
    op.add_column("station_closures", sa.Column("reason_en", sa.Text(), nullable=True))
    op.create_table(
        "public_holidays",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("name_ar", sa.Text(), nullable=True),
        sa.Column("name_ku", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("national", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("changed_by_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_public_holidays_ends_on_or_after_starts")),
        sa.CheckConstraint("kind IN ('MOVED', 'ONE_OFF')", name=op.f("ck_public_holidays_kind_known")),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["officers.id"], name=op.f("fk_public_holidays_changed_by_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_holidays")),
        sa.UniqueConstraint("key", name=op.f("uq_public_holidays_key")),
    )
    op.create_index("ix_public_holidays_ends_on", "public_holidays", ["ends_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_public_holidays_ends_on", table_name="public_holidays")
    op.drop_table("public_holidays")
    for column in ("reason_en", "reason_ku", "reason_ar"):
        op.drop_column("station_closures", column)
    for column in ("version", "holiday_closed_services", "closes_on_holidays", "address_en", "address_ku"):
        op.drop_column("stations", column)
    op.drop_column("stations", "address_ar")
