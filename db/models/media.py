"""Photos and documents: resumable uploads (tus) in progress, the attachments they became, and the stored
bytes of both (the PostgreSQL media store, db/media.py)."""

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
    LargeBinary,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Upload(Base):
    """A tus upload: its declared length, how much of it has arrived, and its owner. Unfinished uploads
    expire at `expires_at` and are deleted with their parts (api/uploads.py)."""

    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint("upload_offset >= 0 AND upload_offset <= length", name="offset_within_length"),
        Index("ix_uploads_officer_id", "officer_id"),
        Index("ix_uploads_expires_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"))
    length: Mapped[int] = mapped_column(BigInteger)
    upload_offset: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # Upload-Metadata, decoded: {"filename": ..., "contentType": ...} (what the phone says, never trusted)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default=text("'{}'"))
    sha256: Mapped[str | None] = mapped_column(Text)  # of all the bytes, once complete
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UploadPart(Base):
    """The bytes of an upload from `start`, as they arrived (at most a part's worth each)."""

    __tablename__ = "upload_parts"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True
    )
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(Base):
    """A photo or document attached to an incident or an engagement (exactly one)."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("(engagement_id IS NULL) <> (incident_id IS NULL)", name="one_subject"),
        CheckConstraint("expected_total IS NULL OR expected_total BETWEEN 1 AND 50", name="expected_range"),
        CheckConstraint("(taken_latitude IS NULL) = (taken_longitude IS NULL)", name="taken_place_whole"),
        Index("ix_attachments_incident_id", "incident_id"),
        Index("ix_attachments_engagement_id", "engagement_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    attached_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    content_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # of what is served (metadata stripped)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(Text)  # of what is served
    upload_sha256: Mapped[str] = mapped_column(Text)  # of what the phone sent
    has_thumbnail: Mapped[bool] = mapped_column(server_default=text("false"))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Where it was taken: the phone's, else the photo's own EXIF GPS, read before the image is saved
    # without its metadata (migration 0022).
    taken_latitude: Mapped[float | None] = mapped_column(Double)
    taken_longitude: Mapped[float | None] = mapped_column(Double)
    caption: Mapped[str | None] = mapped_column(Text)
    # How many attachments the record should have in all, as the phone said when attaching this one.
    expected_total: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MediaObject(Base):
    """Stored bytes by key (an attachment's image and thumbnail): the PostgreSQL media store."""

    __tablename__ = "media_objects"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
