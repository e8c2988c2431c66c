"""The live feed's log: events written by triggers, positions given at commit, NOTIFY on commit.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Why positions are given at commit: identity values are taken when a row is inserted, but transactions
commit in another order, so a reader could see event 11 before event 10 commits and, resuming "after 11",
miss 10 for ever. Here each transaction that wrote events owns one `activity_commits` row; a deferred
constraint trigger on it runs at COMMIT, takes a transaction-level advisory lock, draws the next position
and sends NOTIFY. PostgreSQL releases that lock only after the commit is visible, so position p+1 is drawn
after position p's transaction has ended: whoever sees p+1 also sees p (or p's transaction aborted and p
never appears). The visible positions are therefore always a prefix, and "everything after (p, id)" is
exact. The lock is held only from the trigger to the end of the commit; audited writes already queue on
the audit chain's lock at that moment.

Bulk loads of history (demo data, benchmarks) may `SET LOCAL markaz.activity_feed = 'off'`: their rows are
then not fed live (they are still counted everywhere else).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db import definitions

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_XID = "(pg_current_xact_id()::text)::bigint"

_FEEDS = ("incidents", "engagements", "patrol_fixes")


def upgrade() -> None:
    op.create_table(
        "activity_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("xid", sa.BigInteger(), server_default=sa.text(_XID), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("governorate", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "officer_ids", postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.CheckConstraint(
            "layer IN ('INCIDENTS', 'ENGAGEMENTS', 'PATROLS')", name=op.f("ck_activity_events_layer_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_events")),
    )
    op.create_index("ix_activity_events_xid_id", "activity_events", ["xid", "id"], unique=False)
    op.create_table(
        "activity_commits",
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("xid", name=op.f("pk_activity_commits")),
        sa.UniqueConstraint("position", name=op.f("uq_activity_commits_position")),
    )
    op.execute("CREATE SEQUENCE activity_position_seq AS bigint")
    definitions.install(
        op.execute,
        "0004",
        "functions/activity_feed_mark",
        *(f"functions/activity_feed_{table}" for table in _FEEDS),
        "functions/activity_feed_position",
        *(f"triggers/{table}.activity_feed" for table in _FEEDS),
        "triggers/activity_commits.activity_feed_position",
    )


def downgrade() -> None:
    for table in _FEEDS:
        op.execute(f"DROP TRIGGER activity_feed ON {table}")
    op.drop_table("activity_commits")  # its constraint trigger goes with it
    op.drop_table("activity_events")
    op.execute(
        "DROP FUNCTION activity_feed_position(), activity_feed_patrol_fixes(), "
        "activity_feed_engagements(), activity_feed_incidents(), activity_feed_mark()"
    )
    op.execute("DROP SEQUENCE activity_position_seq")
