"""Persisted query documents learned through the APQ protocol, shared by every server process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class PersistedQuery(Base):
    __tablename__ = "persisted_queries"
    __table_args__ = (
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        # Bounded here too, so no path around the server's check can store a huge document.
        CheckConstraint("octet_length(document) <= 32768", name="document_size"),
    )

    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
