"""The SQL functions and triggers are kept as versioned files (db/sql, db/definitions.py): the copies
migration 0012 used to keep for its downgrade go.

Migration 0012 renamed the functions it replaced to *_before_0012, and its downgrade renamed them back.
Its downgrade now installs the previous versions from db/sql instead, so on a database migrated before
that the three copies are dead weight, and the only definitions a migrated database holds beyond the
newest files. Nothing to do on a database 0012 migrated since (IF EXISTS), nor in the downgrade: 0012's
downgrade needs them no more.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:00:00
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KEPT_BEFORE = (
    "activity_fixes_insert_before_0012",
    "activity_fixes_delete_before_0012",
    "activity_rebuild_before_0012",
)


def upgrade() -> None:
    for name in KEPT_BEFORE:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def downgrade() -> None:
    pass
