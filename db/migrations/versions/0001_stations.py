"""Governorates, stations, closures, and the k-nearest index.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db import definitions

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS cube")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    cube_schema = (
        op.get_bind()
        .exec_driver_sql("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'cube'")
        .scalar_one()
    )
    op.execute(definitions.definition("functions/markaz_ecef", "0001").sql(cube_schema=cube_schema))
    op.create_table(
        "governorates",
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("name_ar", sa.Text(), nullable=False),
        sa.Column("name_ku", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_governorates"),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("governorate_code", sa.String(8), nullable=False),
        sa.Column("name_ar", sa.Text(), nullable=True),
        sa.Column("name_ku", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("search_key", sa.Text(), nullable=False),
        sa.Column("is_model_station", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("services", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("always_open", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("timezone", sa.Text(), server_default=sa.text("'Asia/Baghdad'"), nullable=False),
        sa.Column("hours", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name="ck_stations_latitude_range"),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name="ck_stations_longitude_range"),
        sa.ForeignKeyConstraint(
            ["governorate_code"], ["governorates.code"], name="fk_stations_governorate_code_governorates"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stations"),
        sa.UniqueConstraint("external_id", name="uq_stations_external_id"),
    )
    op.create_index("ix_stations_governorate_code", "stations", ["governorate_code"])
    op.create_index(
        "ix_stations_search_key_trgm",
        "stations",
        ["search_key"],
        postgresql_using="gin",
        postgresql_ops={"search_key": "gin_trgm_ops"},
    )
    op.execute("CREATE INDEX ix_stations_ecef ON stations USING gist (markaz_ecef(latitude, longitude))")
    op.create_table(
        "station_closures",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("services", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name="ck_station_closures_ends_after_starts"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            ondelete="CASCADE",
            name="fk_station_closures_station_id_stations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_station_closures"),
    )
    op.create_index("ix_station_closures_station_id_ends_at", "station_closures", ["station_id", "ends_at"])


def downgrade() -> None:
    op.drop_table("station_closures")
    op.drop_table("stations")
    op.drop_table("governorates")
    op.execute("DROP FUNCTION markaz_ecef(double precision, double precision)")
