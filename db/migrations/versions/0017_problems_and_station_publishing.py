"""Problem-solving (SARA) and what a station publishes for its community.

- `problems`: a station's problem, its area (a drawn GeoJSON polygon, or null for the station's own
  records), title and description in the officer's language, incident categories and topics, priority,
  owner, stage (SCANNING, ANALYSIS, RESPONSE, ASSESSMENT, CLOSED), version, when its response began
  and, once a commander publishes it as a priority, its public text in three languages.
- `problem_links`: the engagements, incidents and follow-up actions tied to a problem (one per row).
- `community_meetings`: the meetings a commander published for residents (when, where, topic).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _when(name: str, *, now: bool = False) -> sa.Column:
    default = sa.text("now()") if now else None
    return sa.Column(name, sa.DateTime(timezone=True), server_default=default, nullable=not now)


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("area", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("topics", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("priority", sa.Text(), server_default=sa.text("'MEDIUM'"), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.Text(), server_default=sa.text("'SCANNING'"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("opened_by_id", sa.BigInteger(), nullable=False),
        _when("opened_at", now=True),
        _when("response_started_at"),
        _when("closed_at"),
        _when("updated_at", now=True),
        sa.Column("public_text", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        _when("published_at"),
        sa.Column("published_by_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "stage IN ('SCANNING', 'ANALYSIS', 'RESPONSE', 'ASSESSMENT', 'CLOSED')",
            name=op.f("ck_problems_stage_known"),
        ),
        sa.CheckConstraint(
            "priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')", name=op.f("ck_problems_priority_known")
        ),
        sa.CheckConstraint("language IN ('ar', 'ku', 'en')", name=op.f("ck_problems_language_known")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_problems_station_id_stations")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["officers.id"], name=op.f("fk_problems_owner_id_officers")),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["officers.id"], name=op.f("fk_problems_opened_by_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["officers.id"], name=op.f("fk_problems_published_by_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
        sa.UniqueConstraint("client_id", name=op.f("uq_problems_client_id")),
    )
    op.create_index("ix_problems_station_id", "problems", ["station_id", "id"], unique=False)
    op.create_table(
        "problem_links",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("problem_id", sa.BigInteger(), nullable=False),
        sa.Column("engagement_id", sa.BigInteger(), nullable=True),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("follow_up_action_id", sa.BigInteger(), nullable=True),
        sa.Column("linked_by_id", sa.BigInteger(), nullable=True),
        _when("linked_at", now=True),
        sa.CheckConstraint(
            "num_nonnulls(engagement_id, incident_id, follow_up_action_id) = 1",
            name=op.f("ck_problem_links_one_record"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_links_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_problem_links_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_problem_links_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_action_id"],
            ["follow_up_actions.id"],
            name=op.f("fk_problem_links_follow_up_action_id_follow_up_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["officers.id"], name=op.f("fk_problem_links_linked_by_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_links")),
    )
    for column in ("engagement_id", "incident_id", "follow_up_action_id"):
        op.create_index(
            f"uq_problem_links_{column.removesuffix('_id')}",
            "problem_links",
            ["problem_id", column],
            unique=True,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )
    op.create_table(
        "community_meetings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), server_default=sa.text("'COMMUNITY_MEETING'"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        _when("ends_at"),
        sa.Column("place", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("topic", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("problem_id", sa.BigInteger(), nullable=True),
        sa.Column("engagement_id", sa.BigInteger(), nullable=True),
        sa.Column("published_by_id", sa.BigInteger(), nullable=False),
        _when("published_at", now=True),
        _when("unpublished_at"),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at > starts_at", name=op.f("ck_community_meetings_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_community_meetings_station_id_stations")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_community_meetings_problem_id_problems"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_community_meetings_engagement_id_engagements"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["officers.id"], name=op.f("fk_community_meetings_published_by_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_meetings")),
        sa.UniqueConstraint("client_id", name=op.f("uq_community_meetings_client_id")),
    )
    op.create_index(
        "ix_community_meetings_station_id_starts_at",
        "community_meetings",
        ["station_id", "starts_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("community_meetings")
    op.drop_table("problem_links")
    op.drop_table("problems")
