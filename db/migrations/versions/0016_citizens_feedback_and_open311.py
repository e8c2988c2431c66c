"""Citizens' voice: anonymous feedback after a visit or a meeting, and Open311 non-emergency reports.

- `feedback_responses`: one row per survey answer (submitFeedback), kept without anything that names
  its sender: no address, no device id, the day but not the time. `client_id` makes a resent answer a
  duplicate; `content_hash` tells a resend from another answer under the same id.
- `service_requests`: Open311 GeoReport v2 requests, each in the triage of the station it was routed
  to, with its public status (`open`/`closed`, `status_notes`) and the station's decision (`triage`).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_responses",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("respected", sa.Boolean(), nullable=True),
        sa.Column("would_return", sa.Boolean(), nullable=True),
        sa.Column("safe_reporting", sa.Boolean(), nullable=True),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_feedback_responses_rating_range")),
        sa.CheckConstraint(
            "gender IS NULL OR gender IN ('FEMALE', 'MALE')", name=op.f("ck_feedback_responses_gender_known")
        ),
        sa.CheckConstraint(
            "char_length(comment) <= 1000", name=op.f("ck_feedback_responses_comment_bounded")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_feedback_responses_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_responses")),
        sa.UniqueConstraint("client_id", name=op.f("uq_feedback_responses_client_id")),
    )
    op.create_index(
        "ix_feedback_responses_station_id_submitted_on",
        "feedback_responses",
        ["station_id", "submitted_on"],
        unique=False,
    )
    op.create_table(
        "service_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("service_code", sa.Text(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'open'"), nullable=False),
        sa.Column("triage", sa.Text(), server_default=sa.text("'NEW'"), nullable=False),
        sa.Column("status_notes", sa.Text(), nullable=True),
        sa.Column("duplicate_of_id", sa.BigInteger(), nullable=True),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("address_string", sa.Text(), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("contact_email", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=True),
        sa.Column("app", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("updated_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_service_requests_status_known")),
        sa.CheckConstraint(
            "triage IN ('NEW', 'ACCEPTED', 'DECLINED', 'DUPLICATE', 'RESOLVED')",
            name=op.f("ck_service_requests_triage_known"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_service_requests_station_id_stations")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["service_requests.id"],
            name=op.f("fk_service_requests_duplicate_of_id_service_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_service_requests_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["officers.id"], name=op.f("fk_service_requests_updated_by_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_requests")),
        sa.UniqueConstraint("token", name=op.f("uq_service_requests_token")),
    )
    op.create_index(
        "ix_service_requests_station_id_requested_at",
        "service_requests",
        ["station_id", "requested_at"],
        unique=False,
    )
    op.create_index("ix_service_requests_requested_at", "service_requests", ["requested_at"], unique=False)


def downgrade() -> None:
    op.drop_table("service_requests")
    op.drop_table("feedback_responses")
