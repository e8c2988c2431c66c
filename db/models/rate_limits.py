"""Rate-limit buckets shared by every server process (api/ratelimit.py, db/rate_limits.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class RateLimitBucket(Base):
    """One token bucket: `level` tokens at `updated_at`, refilling at `rate` a second up to `burst`.
    `taken` and `granted` are what the last statement asked and whether it got it."""

    __tablename__ = "rate_limit_buckets"
    __table_args__ = {"prefixes": ["UNLOGGED"]}  # noqa: RUF012 - SQLAlchemy's declarative form

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    level: Mapped[float] = mapped_column(Float, nullable=False)
    rate: Mapped[float] = mapped_column(Float, nullable=False)
    burst: Mapped[float] = mapped_column(Float, nullable=False)
    taken: Mapped[float] = mapped_column(Float, nullable=False)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
