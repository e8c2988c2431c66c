"""Sensitive records by when they arrived: off their case a record is shown only once its arrival day
has ended (resolvers/disclosure.py), so the queries that hold back the day's arrivals find them by these
partial indexes (a few rows a day) instead of scanning the period's records.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 05:00:00
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_incidents_sensitive_reported_at ON incidents (reported_at) "
        "WHERE markaz_sensitive_incident(category, sensitive)"
    )
    op.execute(
        "CREATE INDEX ix_engagements_sensitive_received_at ON engagements (received_at) "
        "WHERE markaz_sensitive_engagement(kind)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_engagements_sensitive_received_at")
    op.execute("DROP INDEX ix_incidents_sensitive_reported_at")
