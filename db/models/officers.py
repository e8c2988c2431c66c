"""Officers, their sign-in sessions and refresh tokens, and the failed-login throttle."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Officer(Base):
    __tablename__ = "officers"
    __table_args__ = (
        CheckConstraint("role IN ('OFFICER', 'STATION_COMMANDER', 'SUPERVISOR', 'ADMIN')", name="role_known"),
        CheckConstraint("gender IN ('FEMALE', 'MALE')", name="gender_known"),
        Index("ix_officers_station_id", "station_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    badge_number: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    rank: Mapped[str | None] = mapped_column(Text)
    gender: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    governorates: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    password_hash: Mapped[str] = mapped_column(Text)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set by a one-time password (createOfficer, resetOfficerPassword): until the officer changes it,
    # changePassword is all the account may do (resolvers/officer_admin.py).
    must_change_password: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))  # bumped by every change
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuthSession(Base):
    """One sign-in on one device; refresh tokens rotate inside it."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_officer_id", "officer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"))
    device_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class RefreshToken(Base):
    """A refresh token, stored as its SHA-256. `used_at` set means rotated: presenting it again is theft."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_session_id", "session_id"),)

    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed sign-ins per account (the badge number as typed, whether or not such a badge exists) and
    source (a device the account signed in from before, else the client's address), and per account
    alone (`source_key` '*'). resolvers/auth.py has the policy."""

    __tablename__ = "login_throttle"

    badge_key: Mapped[str] = mapped_column(Text, primary_key=True)
    source_key: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # No try from this source before then (counted when it starts, so concurrent tries cannot overtake it).
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
