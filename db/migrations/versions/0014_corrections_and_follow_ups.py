"""Corrections with their history, engagements under optimistic concurrency, follow-up actions of
incidents, and a live feed that follows a corrected incident.

- `incident_corrections` and `engagement_corrections`: one row per correction, with the version it made,
  who made it, when and why, and the fields it changed, before and after (`changes`, JSON). Rows are
  only ever added; they go with their record.
- `engagements.version`: bumped by every correction, sent back as `expectedVersion` (1 for existing ones).
- `follow_up_actions` may belong to an incident instead of an engagement (`incident_id`; exactly one of
  the two), and keep the client id an action was added with (`client_id`, null for those promised in a
  logEngagement).
- The live feed's log keeps, for each new incident, its category, sensitivity and place as the incident
  was written; a replay after a cursor sends or withholds the event by them (resolvers/feed.py). A
  correction of the category or the place now updates the incident's events too, so that an incident
  corrected into a sensitive category is never replayed to someone off its case, with its exact place,
  as the ordinary incident it was reported as. (The rollups follow by their own trigger, 0006, and
  `disclosed_at` is a generated column.)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db import definitions

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _corrections(table: str, record: str, records: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(f"{record}_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("corrected_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "corrected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"], ["officers.id"], name=op.f(f"fk_{table}_corrected_by_id_officers")
        ),
        sa.ForeignKeyConstraint(
            [f"{record}_id"],
            [f"{records}.id"],
            name=op.f(f"fk_{table}_{record}_id_{records}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(f"ix_{table}_{record}_id", table, [f"{record}_id"], unique=False)


def upgrade() -> None:
    op.add_column(
        "engagements", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )
    _corrections("incident_corrections", "incident", "incidents")
    _corrections("engagement_corrections", "engagement", "engagements")
    op.alter_column("follow_up_actions", "engagement_id", existing_type=sa.BigInteger(), nullable=True)
    op.add_column("follow_up_actions", sa.Column("incident_id", sa.BigInteger(), nullable=True))
    op.add_column("follow_up_actions", sa.Column("client_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_follow_up_actions_incident_id_incidents"),
        "follow_up_actions",
        "incidents",
        ["incident_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_unique_constraint(op.f("uq_follow_up_actions_client_id"), "follow_up_actions", ["client_id"])
    op.create_check_constraint(
        op.f("ck_follow_up_actions_one_subject"),
        "follow_up_actions",
        "(engagement_id IS NULL) <> (incident_id IS NULL)",
    )
    op.create_index("ix_follow_up_actions_incident_id", "follow_up_actions", ["incident_id"], unique=False)
    # The feed's log follows a correction (db/sql/functions/activity_feed_incident_corrected).
    definitions.install(
        op.execute,
        "0014",
        "functions/activity_feed_incident_corrected",
        "triggers/incidents.activity_feed_corrected",
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER activity_feed_corrected ON incidents")
    op.execute("DROP FUNCTION activity_feed_incident_corrected()")
    # Actions of incidents have no place in the older schema: they go (the audit log keeps their making).
    op.execute("DELETE FROM follow_up_actions WHERE incident_id IS NOT NULL")
    op.drop_index("ix_follow_up_actions_incident_id", table_name="follow_up_actions")
    op.drop_constraint(op.f("ck_follow_up_actions_one_subject"), "follow_up_actions", type_="check")
    op.drop_constraint(op.f("uq_follow_up_actions_client_id"), "follow_up_actions", type_="unique")
    op.drop_constraint(
        op.f("fk_follow_up_actions_incident_id_incidents"), "follow_up_actions", type_="foreignkey"
    )
    op.drop_column("follow_up_actions", "client_id")
    op.drop_column("follow_up_actions", "incident_id")
    op.alter_column("follow_up_actions", "engagement_id", existing_type=sa.BigInteger(), nullable=False)
    for table in ("engagement_corrections", "incident_corrections"):
        op.drop_index(f"ix_{table}_{table.split('_')[0]}_id", table_name=table)
        op.drop_table(table)
    op.drop_column("engagements", "version")
