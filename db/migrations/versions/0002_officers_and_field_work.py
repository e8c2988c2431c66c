"""Officers, sessions, field work (patrols, engagements, incidents), idempotency and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:32:47.261064
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db import definitions

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=True),
        sa.Column("device_id", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "login_throttle",
        sa.Column("badge_key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("badge_key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "officers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("badge_number", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("rank", sa.Text(), nullable=True),
        sa.Column("gender", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "governorates", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column(
            "password_changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("gender IN ('FEMALE', 'MALE')", name=op.f("ck_officers_gender_known")),
        sa.CheckConstraint(
            "role IN ('OFFICER', 'STATION_COMMANDER', 'SUPERVISOR', 'ADMIN')",
            name=op.f("ck_officers_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_officers_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("badge_number", name=op.f("uq_officers_badge_number")),
    )
    op.create_index("ix_officers_station_id", "officers", ["station_id"], unique=False)
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=False),
        sa.Column("device_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_auth_sessions_officer_id_officers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    op.create_index("ix_auth_sessions_officer_id", "auth_sessions", ["officer_id"], unique=False)
    op.create_table(
        "client_requests",
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("result_type", sa.Text(), nullable=True),
        sa.Column("result_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_client_requests_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_client_requests")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'REPORTED'"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("sensitive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "people",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("reported_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "assigned_officer_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flags", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('REPORTED', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED')",
            name=op.f("ck_incidents_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["officers.id"], name=op.f("fk_incidents_reported_by_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_incidents_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("client_id", name=op.f("uq_incidents_client_id")),
    )
    op.create_index(
        "ix_incidents_station_id_occurred_at", "incidents", ["station_id", "occurred_at"], unique=False
    )
    op.create_table(
        "patrols",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("started_by_id", sa.BigInteger(), nullable=False),
        sa.Column("officer_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("planned_area", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'ACTIVE'"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("distance_m", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("fix_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("flagged_fix_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("flags", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("status IN ('ACTIVE', 'ENDED')", name=op.f("ck_patrols_status_known")),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["officers.id"], name=op.f("fk_patrols_started_by_id_officers")
        ),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_patrols_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
        sa.UniqueConstraint("client_id", name=op.f("uq_patrols_client_id")),
    )
    op.create_index("ix_patrols_station_id_started_at", "patrols", ["station_id", "started_at"], unique=False)
    op.create_table(
        "engagements",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("attendees_total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("attendees_women", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("attendees_youth", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("topics", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("patrol_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("flags", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.CheckConstraint(
            "attendees_women <= attendees_total AND attendees_youth <= attendees_total",
            name=op.f("ck_engagements_attendees_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_engagements_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrols.id"], name=op.f("fk_engagements_patrol_id_patrols")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_engagements_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagements")),
        sa.UniqueConstraint("client_id", name=op.f("uq_engagements_client_id")),
    )
    op.create_index("ix_engagements_patrol_id", "engagements", ["patrol_id"], unique=False)
    op.create_index(
        "ix_engagements_station_id_occurred_at", "engagements", ["station_id", "occurred_at"], unique=False
    )
    op.create_table(
        "incident_status_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.BigInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["officers.id"], name=op.f("fk_incident_status_changes_changed_by_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_status_changes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_status_changes")),
    )
    op.create_index(
        "ix_incident_status_changes_incident_id", "incident_status_changes", ["incident_id"], unique=False
    )
    op.create_table(
        "patrol_fixes",
        sa.Column("patrol_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("flags", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"], ["patrols.id"], name=op.f("fk_patrol_fixes_patrol_id_patrols"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("patrol_id", "recorded_at", name=op.f("pk_patrol_fixes")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"], unique=False)
    op.create_table(
        "follow_up_actions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("engagement_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'OPEN'"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('OPEN', 'IN_PROGRESS', 'DONE', 'CANCELLED')",
            name=op.f("ck_follow_up_actions_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_follow_up_actions_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["officers.id"], name=op.f("fk_follow_up_actions_owner_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_actions")),
    )
    op.create_index(
        "ix_follow_up_actions_engagement_id", "follow_up_actions", ["engagement_id"], unique=False
    )

    # The audit log is append-only for the application: PostgreSQL refuses to change or delete entries.
    # (Someone with the rights to drop this trigger could still do it: the hash chain detects that.)
    definitions.install(
        op.execute,
        "0002",
        "functions/markaz_audit_append_only",
        "triggers/audit_log.audit_log_append_only",
        "triggers/audit_log.audit_log_no_truncate",
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION markaz_audit_append_only()")
    op.drop_index("ix_follow_up_actions_engagement_id", table_name="follow_up_actions")
    op.drop_table("follow_up_actions")
    op.drop_index("ix_refresh_tokens_session_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("patrol_fixes")
    op.drop_index("ix_incident_status_changes_incident_id", table_name="incident_status_changes")
    op.drop_table("incident_status_changes")
    op.drop_index("ix_engagements_station_id_occurred_at", table_name="engagements")
    op.drop_index("ix_engagements_patrol_id", table_name="engagements")
    op.drop_table("engagements")
    op.drop_index("ix_patrols_station_id_started_at", table_name="patrols")
    op.drop_table("patrols")
    op.drop_index("ix_incidents_station_id_occurred_at", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("client_requests")
    op.drop_index("ix_auth_sessions_officer_id", table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_index("ix_officers_station_id", table_name="officers")
    op.drop_table("officers")
    op.drop_table("login_throttle")
    op.drop_table("audit_log")
