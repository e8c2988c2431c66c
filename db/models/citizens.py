"""What citizens send without signing in: anonymous feedback, and Open311 non-emergency reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class FeedbackResponse(Base):
    """One anonymous survey answer (submitFeedback). Nothing that names the sender is kept: no address,
    no device, no time finer than the day (docs/feedback.md)."""

    __tablename__ = "feedback_responses"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("gender IS NULL OR gender IN ('FEMALE', 'MALE')", name="gender_known"),
        CheckConstraint("char_length(comment) <= 1000", name="comment_bounded"),
        Index("ix_feedback_responses_station_id_submitted_on", "station_id", "submitted_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    content_hash: Mapped[str] = mapped_column(Text)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    service: Mapped[str] = mapped_column(Text)
    rating: Mapped[int] = mapped_column(SmallInteger)
    respected: Mapped[bool | None] = mapped_column(Boolean)
    would_return: Mapped[bool | None] = mapped_column(Boolean)
    safe_reporting: Mapped[bool | None] = mapped_column(Boolean)
    gender: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    # The day in Baghdad, never the time: the station's staff knows who came in at 10:03.
    submitted_on: Mapped[date] = mapped_column(Date)


class ServiceRequest(Base):
    """A citizen's non-emergency report through Open311 GeoReport v2, in the triage of its station."""

    __tablename__ = "service_requests"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint(
            "triage IN ('NEW', 'ACCEPTED', 'DECLINED', 'DUPLICATE', 'RESOLVED')", name="triage_known"
        ),
        Index("ix_service_requests_station_id_requested_at", "station_id", "requested_at"),
        Index("ix_service_requests_requested_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    service_code: Mapped[str] = mapped_column(Text)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    status: Mapped[str] = mapped_column(Text, server_default=text("'open'"))
    triage: Mapped[str] = mapped_column(Text, server_default=text("'NEW'"))
    status_notes: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    description: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    address_string: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    contact_email: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(Text)
    app: Mapped[str | None] = mapped_column(Text)  # the registered app whose api_key sent it
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
