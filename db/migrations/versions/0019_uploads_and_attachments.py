"""Photos and documents: tus uploads in progress, attachments of incidents and engagements, and the
PostgreSQL media store.

- `uploads`: one row per tus upload (api/uploads.py): its owner, declared length, the offset reached, its
  metadata, and when it expires unless finished; `upload_parts` holds its bytes as they arrived.
- `attachments`: what `attachMedia` made of a finished upload, tied to exactly one incident or engagement,
  with the phone's count of the attachments the record should have (`expected_total`).
- `media_objects`: the stored bytes (the served image, its thumbnail), by key: the default media store,
  so that the embedded database and every backup carry them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("upload_offset", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "upload_offset >= 0 AND upload_offset <= length", name=op.f("ck_uploads_offset_within_length")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_uploads_officer_id_officers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    op.create_index("ix_uploads_officer_id", "uploads", ["officer_id"], unique=False)
    op.create_index("ix_uploads_expires_at", "uploads", ["expires_at"], unique=False)
    op.create_table(
        "upload_parts",
        sa.Column("upload_id", sa.UUID(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_upload_parts_upload_id_uploads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("upload_id", "start", name=op.f("pk_upload_parts")),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("engagement_id", sa.BigInteger(), nullable=True),
        sa.Column("attached_by_id", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("upload_sha256", sa.Text(), nullable=False),
        sa.Column("has_thumbnail", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("expected_total", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(engagement_id IS NULL) <> (incident_id IS NULL)", name=op.f("ck_attachments_one_subject")
        ),
        sa.CheckConstraint(
            "expected_total IS NULL OR expected_total BETWEEN 1 AND 50",
            name=op.f("ck_attachments_expected_range"),
        ),
        sa.ForeignKeyConstraint(
            ["attached_by_id"], ["officers.id"], name=op.f("fk_attachments_attached_by_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_attachments_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_attachments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("client_id", name=op.f("uq_attachments_client_id")),
    )
    op.create_index("ix_attachments_incident_id", "attachments", ["incident_id"], unique=False)
    op.create_index("ix_attachments_engagement_id", "attachments", ["engagement_id"], unique=False)
    op.create_table(
        "media_objects",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_media_objects")),
    )
    # Already compressed (JPEG, PNG, WebP, PDF): no TOAST compression to try on every write.
    op.execute("ALTER TABLE upload_parts ALTER COLUMN data SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE media_objects ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("media_objects")
    op.drop_index("ix_attachments_engagement_id", table_name="attachments")
    op.drop_index("ix_attachments_incident_id", table_name="attachments")
    op.drop_table("attachments")
    op.drop_table("upload_parts")
    op.drop_index("ix_uploads_expires_at", table_name="uploads")
    op.drop_index("ix_uploads_officer_id", table_name="uploads")
    op.drop_table("uploads")
