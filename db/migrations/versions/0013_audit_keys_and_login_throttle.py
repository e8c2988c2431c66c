"""The audit chain is keyed, and sign-ins are throttled per account and source instead of locked.

`audit_log.key_id` names the key of an entry's HMAC (resolvers/audit.py). Entries written before it keep
`key_id` null and their plain SHA-256 links: they still verify, and only before the first keyed entry
(an unkeyed entry after a keyed one is a rewrite by someone without the key). No entry is changed: the
table is append-only, and the migration has no key anyway.

`login_throttle` is remade keyed by (badge, source): the old one locked a badge for everyone after five
failures from anywhere. Its rows are minutes of state; none is carried over.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.Text(), nullable=True))
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("badge_key", sa.Text(), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "last_failure_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("badge_key", "source_key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("badge_key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("badge_key", name=op.f("pk_login_throttle")),
    )
    # The column goes with its values: the keyed entries then no longer verify as plain SHA-256 ones.
    op.drop_column("audit_log", "key_id")
