"""Field work: patrols and their GPS tracks, community engagements and follow-up actions, incidents.

Every record an officer creates carries the `client_id` the device made for it (unique), and the
device's `recorded_at` beside the server's `received_at`, with `flags` for what a supervisor should
know about its authenticity (clock skew, poor GPS accuracy, a mock location).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Patrol(Base):
    __tablename__ = "patrols"
    __table_args__ = (
        CheckConstraint("status IN ('ACTIVE', 'ENDED')", name="status_known"),
        Index("ix_patrols_station_id_started_at", "station_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    started_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    officer_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    planned_area: Mapped[dict | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default=text("'ACTIVE'"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    distance_m: Mapped[float] = mapped_column(Double, server_default=text("0"))
    fix_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    flagged_fix_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    flags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class PatrolFix(Base):
    """One GPS fix of a patrol's track. The key makes a resent fix a no-op."""

    __tablename__ = "patrol_fixes"

    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    accuracy_m: Mapped[float | None] = mapped_column(Double)
    flags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    h3_cell: Mapped[int] = mapped_column(BigInteger)  # db.cells.fine_cell: resolution 10
    # Geodesic metres from the kept fix before it in time (0 for the first), as the patrol's walk measured
    # it (resolvers.patrols.walk_track); NULL for a fix left out of the track (IMPOSSIBLE_SPEED,
    # MOCK_LOCATION). The patrol's distance is the sum of these, and the rollup triggers (migration 0012)
    # sum the same numbers, so totals and patrols agree.
    step_m: Mapped[float | None] = mapped_column(Double)


class Engagement(Base):
    __tablename__ = "engagements"
    __table_args__ = (
        CheckConstraint(
            "attendees_women <= attendees_total AND attendees_youth <= attendees_total",
            name="attendees_add_up",
        ),
        Index("ix_engagements_station_id_occurred_at", "station_id", "occurred_at"),
        Index("ix_engagements_station_id_disclosed_at", "station_id", "disclosed_at", "id"),
        Index("ix_engagements_patrol_id", "patrol_id"),
        # The day's household arrivals, held back off their case (resolvers/disclosure.py).
        Index(
            "ix_engagements_sensitive_received_at",
            "received_at",
            postgresql_where=text("markaz_sensitive_engagement(kind)"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    kind: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    accuracy_m: Mapped[float | None] = mapped_column(Double)
    h3_cell: Mapped[int] = mapped_column(BigInteger)  # db.cells.fine_cell: resolution 10
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When everyone may see it happened: a household engagement's day (resolvers/disclosure.py); lists
    # are ordered by it (migration 0011).
    disclosed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        Computed(
            "CASE WHEN markaz_sensitive_engagement(kind) THEN activity_bucket('d', occurred_at) "
            "ELSE occurred_at END",
            persisted=True,
        ),
    )
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    attendees_total: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    attendees_women: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    attendees_youth: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    topics: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    notes: Mapped[str | None] = mapped_column(Text)
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrols.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    flags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))  # bumped by corrections


class FollowUpAction(Base):
    """An action promised at an engagement or for an incident (the issue-then-action loop), with an owner
    and a due date; exactly one of `engagement_id` and `incident_id`."""

    __tablename__ = "follow_up_actions"
    __table_args__ = (
        CheckConstraint("status IN ('OPEN', 'IN_PROGRESS', 'DONE', 'CANCELLED')", name="status_known"),
        CheckConstraint("(engagement_id IS NULL) <> (incident_id IS NULL)", name="one_subject"),
        Index("ix_follow_up_actions_engagement_id", "engagement_id"),
        Index("ix_follow_up_actions_incident_id", "incident_id"),
        Index("ix_follow_up_actions_owner_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The device's id of an action added by addFollowUpAction; null for those promised in logEngagement.
    client_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), unique=True)
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, server_default=text("'OPEN'"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(
            "status IN ('REPORTED', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED')", name="status_known"
        ),
        Index("ix_incidents_station_id_occurred_at", "station_id", "occurred_at"),
        Index("ix_incidents_station_id_disclosed_at", "station_id", "disclosed_at", "id"),
        Index("ix_incidents_assigned_officer_ids", "assigned_officer_ids", postgresql_using="gin"),
        # The day's sensitive arrivals, held back off their case (resolvers/disclosure.py).
        Index(
            "ix_incidents_sensitive_reported_at",
            "reported_at",
            postgresql_where=text("markaz_sensitive_incident(category, sensitive)"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    category: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'REPORTED'"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    sensitive: Mapped[bool] = mapped_column(server_default=text("false"))
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    accuracy_m: Mapped[float | None] = mapped_column(Double)
    h3_cell: Mapped[int] = mapped_column(BigInteger)  # db.cells.fine_cell: resolution 10
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When everyone may see it happened: a sensitive incident's day (resolvers/disclosure.py); lists are
    # ordered by it (migration 0011).
    disclosed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        Computed(
            "CASE WHEN markaz_sensitive_incident(category, sensitive) THEN activity_bucket('d', occurred_at) "
            "ELSE occurred_at END",
            persisted=True,
        ),
    )
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    description: Mapped[str] = mapped_column(Text)
    people: Mapped[list[dict]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    assigned_officer_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default=text("'{}'"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When it left the open statuses (RESOLVED or CLOSED), kept by a trigger (migration 0018): phones keep
    # a closed incident for resolvers.device_sync.KEEP_CLOSED after it.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IncidentStatusChange(Base):
    __tablename__ = "incident_status_changes"
    __table_args__ = (Index("ix_incident_status_changes_incident_id", "incident_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)


class _Correction:
    """A correction of a record: the version it made, who made it, when and why, and `changes`: for each
    field it changed, {"before": ..., "after": ...} (resolvers/corrections.py). Only ever added."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    corrected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSONB)


class IncidentCorrection(_Correction, Base):
    __tablename__ = "incident_corrections"
    __table_args__ = (Index("ix_incident_corrections_incident_id", "incident_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))


class EngagementCorrection(_Correction, Base):
    __tablename__ = "engagement_corrections"
    __table_args__ = (Index("ix_engagement_corrections_engagement_id", "engagement_id"),)

    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))


class ClientRequest(Base):
    """What each device-made `client_id` did: its kind, a hash of its content, and the record it made.

    The unique key is the lock that makes retries and simultaneous duplicates safe: the second
    INSERT waits for the first transaction, then finds its row.
    """

    __tablename__ = "client_requests"

    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    kind: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    result_type: Mapped[str | None] = mapped_column(Text)
    result_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEntry(Base):
    """Append-only and chained: `hash` = HMAC-SHA256 under the audit key (never stored here) of the previous
    hash and this entry's canonical content, the key named by `key_id`; entries from before the keyed chain
    (`key_id` null) have a plain SHA-256 there. resolvers/audit.py."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_subject", "entity_type", "entity_id", "id"),
        Index("ix_audit_log_officer_id", "officer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    officer_id: Mapped[int | None] = mapped_column(BigInteger)
    device_id: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    prev_hash: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str | None] = mapped_column(Text)
