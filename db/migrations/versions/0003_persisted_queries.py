"""Persisted query documents (APQ), shared by every server process.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "persisted_queries",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_persisted_queries_sha256_hex")),
        sa.CheckConstraint(
            "octet_length(document) <= 32768", name=op.f("ck_persisted_queries_document_size")
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_persisted_queries")),
    )


def downgrade() -> None:
    op.drop_table("persisted_queries")
