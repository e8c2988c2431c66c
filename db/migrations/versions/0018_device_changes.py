"""The officer's working set, incrementally: a change log written by triggers, positions given at
commit, a pruning horizon, and when each incident was closed (docs/device-sync.md).

- `device_changes` (statement-level triggers over transition tables, so bulk writes log set-wise): one
  row per written row of `stations`, `incidents`, `follow_up_actions`, `patrols`
  and `officers` (insert, update that changed something, delete), with the row's scope keys before the
  change (`before`: only the columns that decide who holds it, never its description, people or place),
  and the stations and officers it named before or after (`stations`, `officers`, for one officer's part).
- `device_commits`: one row per transaction that wrote some; its `position` is given at commit by a
  deferred constraint trigger under the live feed's advisory lock (the reasoning of migration 0004), so the
  positions any reader sees are a prefix of the final order, and "everything after position p" is exact.
- `device_sync_horizon`: every position at or below it may have been pruned; a cursor before it is
  answered `fullResync` (resolvers/device_sync.py).
- `incidents.closed_at`: when the incident left the open statuses, kept by a BEFORE trigger; phones keep
  a closed incident for a week after it. Incidents already closed take their resolved_at, else their
  reporting time.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db import definitions

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLES = ("stations", "incidents", "follow_up_actions", "patrols", "officers")
# Statement-level triggers with transition tables take one event each.
EVENTS = ("inserted", "updated", "deleted")


def upgrade() -> None:
    op.add_column("incidents", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE incidents SET closed_at = coalesce(resolved_at, reported_at) "
        "WHERE status IN ('RESOLVED', 'CLOSED')"
    )
    op.create_index(
        "ix_incidents_assigned_officer_ids",
        "incidents",
        ["assigned_officer_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_follow_up_actions_owner_id", "follow_up_actions", ["owner_id"], unique=False)
    op.create_table(
        "device_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "xid",
            sa.BigInteger(),
            server_default=sa.text("(pg_current_xact_id()::text)::bigint"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "stations", postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "officers", postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('stations', 'incidents', 'follow_up_actions', 'patrols', 'officers')",
            name=op.f("ck_device_changes_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_changes")),
    )
    op.create_index("ix_device_changes_xid", "device_changes", ["xid"], unique=False)
    op.create_index("ix_device_changes_kind_entity_id", "device_changes", ["kind", "entity_id"], unique=False)
    op.create_table(
        "device_commits",
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("xid", name=op.f("pk_device_commits")),
        sa.UniqueConstraint("position", name=op.f("uq_device_commits_position")),
    )
    op.create_table(
        "device_sync_horizon",
        sa.Column("one", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("one", name=op.f("ck_device_sync_horizon_one_row")),
        sa.PrimaryKeyConstraint("one", name=op.f("pk_device_sync_horizon")),
    )
    op.execute("INSERT INTO device_sync_horizon DEFAULT VALUES")
    op.execute("CREATE SEQUENCE device_position_seq AS bigint")
    definitions.install(
        op.execute,
        "0018",
        "functions/incidents_closed_at",
        "functions/device_changes_mark",
        *(f"functions/device_changes_{table}" for table in TABLES),
        "functions/device_changes_position",
        "functions/device_changes_prune",
        "triggers/incidents.incidents_closed_at",
        *(f"triggers/{table}.device_changes_{event}" for table in TABLES for event in EVENTS),
        "triggers/device_commits.device_changes_position",
    )


def downgrade() -> None:
    for table in TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER device_changes_{event} ON {table}")
    op.execute("DROP TRIGGER incidents_closed_at ON incidents")
    op.drop_table("device_commits")  # its constraint trigger goes with it
    op.drop_table("device_changes")
    op.drop_table("device_sync_horizon")
    op.execute(
        "DROP FUNCTION device_changes_prune(timestamptz, integer), device_changes_position(), "
        + "".join(f"device_changes_{table}(), " for table in TABLES)
        + "device_changes_mark(), incidents_closed_at()"
    )
    op.execute("DROP SEQUENCE device_position_seq")
    op.drop_index("ix_follow_up_actions_owner_id", table_name="follow_up_actions")
    op.drop_index("ix_incidents_assigned_officer_ids", table_name="incidents")
    op.drop_column("incidents", "closed_at")
