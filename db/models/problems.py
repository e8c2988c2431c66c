"""Problem-solving (SARA) and what a station publishes for its community.

A `Problem` is a station's recurring issue taken through scanning, analysis, response and assessment,
linked to the engagements where residents raised it, the incidents that show it and the follow-up actions
that are the response (`problem_links`, exactly one record per row). A commander may publish a problem
as one of the station's priorities (`public_text`, written for the public in three languages), and
publishes the community meetings residents may come to (`community_meetings`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
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


class Problem(Base):
    """A station's problem under the SARA model, with its stage, version and (once published) public text."""

    __tablename__ = "problems"
    __table_args__ = (
        CheckConstraint(
            "stage IN ('SCANNING', 'ANALYSIS', 'RESPONSE', 'ASSESSMENT', 'CLOSED')", name="stage_known"
        ),
        CheckConstraint("priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')", name="priority_known"),
        CheckConstraint("language IN ('ar', 'ku', 'en')", name="language_known"),
        Index("ix_problems_station_id", "station_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    # A drawn GeoJSON Polygon or MultiPolygon ([lon, lat]); null: the station's own records.
    area: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    topics: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    priority: Mapped[str] = mapped_column(Text, server_default=text("'MEDIUM'"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    stage: Mapped[str] = mapped_column(Text, server_default=text("'SCANNING'"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    response_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # {"title": {"ar", "ku", "en"}, "action": {...}}, written by the commander; null: unpublished.
    public_text: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))


class ProblemLink(Base):
    """A record tied to a problem: an engagement where it was raised, an incident that shows it, or a
    follow-up action that is (part of) the response; exactly one of the three."""

    __tablename__ = "problem_links"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(engagement_id, incident_id, follow_up_action_id) = 1", name="one_record"
        ),
        Index(
            "uq_problem_links_engagement",
            "problem_id",
            "engagement_id",
            unique=True,
            postgresql_where=text("engagement_id IS NOT NULL"),
        ),
        Index(
            "uq_problem_links_incident",
            "problem_id",
            "incident_id",
            unique=True,
            postgresql_where=text("incident_id IS NOT NULL"),
        ),
        Index(
            "uq_problem_links_follow_up_action",
            "problem_id",
            "follow_up_action_id",
            unique=True,
            postgresql_where=text("follow_up_action_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    follow_up_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("follow_up_actions.id", ondelete="CASCADE")
    )
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CommunityMeeting(Base):
    """A community meeting a station's commander published for residents: when, where (a place's name
    and a coarse point) and its topic, in three languages; `unpublished_at` set once withdrawn."""

    __tablename__ = "community_meetings"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        Index("ix_community_meetings_station_id_starts_at", "station_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    kind: Mapped[str] = mapped_column(Text, server_default=text("'COMMUNITY_MEETING'"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[dict[str, Any]] = mapped_column(JSONB)  # {"ar", "ku", "en"}
    topic: Mapped[dict[str, Any]] = mapped_column(JSONB)  # {"ar", "ku", "en"}
    latitude: Mapped[float] = mapped_column(Double)  # rounded: a coarse point
    longitude: Mapped[float] = mapped_column(Double)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id", ondelete="SET NULL"))
    # The engagement it was logged as, once held (never a household one: resolvers.station_publishing).
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagements.id", ondelete="SET NULL"))
    published_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    unpublished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
