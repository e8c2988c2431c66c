"""Every SQL statement about officers, sign-in sessions, refresh tokens and the login throttle."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import core
from db.models import AuthSession, LoginThrottle, Officer, RefreshToken, Station

_OFFICERS = Officer.__table__


async def create_officer(session: AsyncSession, values: dict[str, Any]) -> int:
    result = await core.execute(session, insert(Officer).values(**values).returning(Officer.id))
    return int(result.scalar_one())


async def officer_by_badge(session: AsyncSession, badge: str) -> Row[Any] | None:
    return (await core.execute(session, select(_OFFICERS).where(Officer.badge_number == badge))).first()


async def officers_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Row[Any]]:
    rows = (await core.execute(session, select(_OFFICERS).where(Officer.id.in_(list(ids))))).all()
    return {row.id: row for row in rows}


async def list_officers(session: AsyncSession, *, station_id: int | None = None) -> Sequence[Row[Any]]:
    query = select(_OFFICERS).order_by(Officer.id)
    if station_id is not None:
        query = query.where(Officer.station_id == station_id)
    return (await core.execute(session, query)).all()


async def set_active(session: AsyncSession, officer_id: int, active: bool) -> None:
    await core.execute(session, update(Officer).where(Officer.id == officer_id).values(active=active))


async def set_password(session: AsyncSession, officer_id: int, password_hash: str) -> None:
    await core.execute(session, update(Officer).where(Officer.id == officer_id)
                          .values(password_hash=password_hash, password_changed_at=func.now()))


async def throttle(session: AsyncSession, badge_key: str) -> Row[Any] | None:
    return (await core.execute(session,
        select(LoginThrottle.__table__).where(LoginThrottle.badge_key == badge_key))).first()


async def record_failure(session: AsyncSession, badge_key: str, now: datetime, lock_after: int,
                         lock_until: datetime) -> int:
    """Count a failed sign-in; lock the badge once `lock_after` failures are reached. Returns failures."""
    stmt = insert(LoginThrottle).values(badge_key=badge_key, failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.badge_key],
        set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
    ).returning(LoginThrottle.failures)
    failures = int((await core.execute(session, stmt)).scalar_one())
    if failures >= lock_after:
        await core.execute(session, update(LoginThrottle).where(LoginThrottle.badge_key == badge_key)
                              .values(locked_until=lock_until, failures=0))
    return failures


async def clear_failures(session: AsyncSession, badge_key: str) -> None:
    await core.execute(session, update(LoginThrottle).where(LoginThrottle.badge_key == badge_key)
                          .values(failures=0, locked_until=None))


async def create_session(session: AsyncSession, *, session_id: uuid.UUID, officer_id: int,
                         device_id: str | None, expires_at: datetime, token_hash: bytes) -> None:
    await core.execute(session, insert(AuthSession).values(
        id=session_id, officer_id=officer_id, device_id=device_id, expires_at=expires_at))
    await core.execute(session, insert(RefreshToken).values(token_hash=token_hash, session_id=session_id))


async def refresh_token_for_update(session: AsyncSession, token_hash: bytes) -> Row[Any] | None:
    """The token with its session, locked: two refreshes with one token cannot both rotate it."""
    query = (
        select(RefreshToken.token_hash, RefreshToken.used_at, AuthSession.id.label("session_id"),
               AuthSession.officer_id, AuthSession.revoked_at, AuthSession.expires_at, AuthSession.device_id)
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update(of=RefreshToken)
    )
    return (await core.execute(session, query)).first()


async def rotate_refresh_token(session: AsyncSession, old_hash: bytes, new_hash: bytes,
                               session_id: uuid.UUID, now: datetime) -> None:
    used = update(RefreshToken).where(RefreshToken.token_hash == old_hash).values(used_at=now)
    await core.execute(session, used)
    await core.execute(session, insert(RefreshToken).values(token_hash=new_hash, session_id=session_id))


async def revoke_session(session: AsyncSession, session_id: uuid.UUID, reason: str) -> None:
    await core.execute(session,
        update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason))


async def revoke_officer_sessions(session: AsyncSession, officer_id: int, reason: str) -> int:
    result = await core.execute(session,
        update(AuthSession).where(AuthSession.officer_id == officer_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason))
    return result.rowcount or 0


async def live_viewer(session: AsyncSession, officer_id: int, session_id: uuid.UUID) -> Row[Any] | None:
    """The officer behind a token, if the session is live and the officer active; one round trip."""
    query = (
        select(Officer.id, Officer.role, Officer.station_id, Officer.governorates, Officer.name,
               Officer.gender, Station.governorate_code.label("station_governorate"),
               AuthSession.device_id)
        .select_from(AuthSession)
        .join(Officer, Officer.id == AuthSession.officer_id)
        .outerjoin(Station, Station.id == Officer.station_id)
        .where(AuthSession.id == session_id, AuthSession.officer_id == officer_id,
               AuthSession.revoked_at.is_(None), AuthSession.expires_at > func.now(), Officer.active)
    )
    return (await core.execute(session, query)).first()
