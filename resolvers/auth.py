"""Sign-in: login with throttling and lockout, rotating refresh tokens with reuse detection, logout,
and turning a bearer token into the request's Viewer."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from db import officers as repo
from resolvers import audit, tokens
from resolvers.context import Context
from resolvers.passwords import verify_password
from resolvers.policy import Viewer
from resolvers.user_errors import fail

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
MAX_DELAY_S = 3.0


@dataclasses.dataclass(slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    officer: Any


def _badge_key(badge: str) -> str:
    return badge.strip().casefold()[:64]


def _delay_for(failures: int) -> float:
    """Each failure in a row doubles the wait before the answer, up to a few seconds."""
    return 0.0 if failures <= 1 else min(0.1 * 2 ** (failures - 1), MAX_DELAY_S)


async def login(ctx: Context, badge: str, password: str) -> Tokens:
    """Sign in. A wrong password and an unknown badge get the same answer, after the same work."""
    now = datetime.now(UTC)
    key = _badge_key(badge)
    async with ctx.db() as session:
        throttle = await repo.throttle(session, key)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        fail(ctx.lang, None, "locked", "LIMIT_EXCEEDED", minutes=minutes)
    async with ctx.db() as session:
        officer = await repo.officer_by_badge(session, badge.strip())
    # argon2 runs in a thread: it takes tens of milliseconds of CPU by design.
    ok = await asyncio.to_thread(verify_password, officer.password_hash if officer else None, password)
    if not ok or officer is None or not officer.active:
        async with ctx.db() as session:
            failures = await repo.record_failure(session, key, now, LOCK_AFTER, now + LOCK_FOR)
        await asyncio.sleep(_delay_for(failures))
        # The mutation fails, but the failure must be counted: keep this write.
        fail(ctx.lang, None, "invalid_credentials", "INVALID_CREDENTIALS", keep_writes=True)
    session_id = uuid.uuid4()
    refresh, refresh_hash = tokens.new_refresh_token()
    async with ctx.db() as session:
        await repo.clear_failures(session, key)
        await repo.create_session(session, session_id=session_id, officer_id=officer.id,
                                  device_id=ctx.device_id, expires_at=now + tokens.SESSION_TTL,
                                  token_hash=refresh_hash)
    access, expires = tokens.issue_access(ctx.secret_key, officer_id=officer.id, session_id=session_id,
                                          role=officer.role, now=now)
    ctx.viewer = _viewer_of(officer, session_id, ctx.device_id, None)
    audit.record(ctx, "login", "Officer", officer.id, after={"session": str(session_id)})
    return Tokens(access, refresh, expires, officer)


async def refresh(ctx: Context, refresh_token: str) -> Tokens:
    """Rotate a refresh token. Presenting an already-rotated one means it was copied: end the session."""
    now = datetime.now(UTC)
    presented = tokens.refresh_hash(refresh_token)
    async with ctx.db() as session:
        row = await repo.refresh_token_for_update(session, presented)
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            fail(ctx.lang, ("refreshToken",), "session_ended", "INVALID_CREDENTIALS")
        if row.used_at is not None:
            await repo.revoke_session(session, row.session_id, "refresh token reused")
            # The revocation must stand although this mutation fails.
            fail(ctx.lang, ("refreshToken",), "session_ended", "INVALID_CREDENTIALS", keep_writes=True)
        officers = await repo.officers_by_ids(session, [row.officer_id])
        officer = officers.get(row.officer_id)
        if officer is None or not officer.active:
            fail(ctx.lang, ("refreshToken",), "session_ended", "INVALID_CREDENTIALS")
        new_token, new_hash = tokens.new_refresh_token()
        await repo.rotate_refresh_token(session, presented, new_hash, row.session_id, now)
    access, expires = tokens.issue_access(ctx.secret_key, officer_id=officer.id, session_id=row.session_id,
                                          role=officer.role, now=now)
    return Tokens(access, new_token, expires, officer)


async def logout(ctx: Context, refresh_token: str | None) -> None:
    """End the current sign-in (the bearer's session, or the one the refresh token belongs to)."""
    async with ctx.db() as session:
        session_id = ctx.viewer.session_id if ctx.viewer else None
        if session_id is None and refresh_token:
            row = await repo.refresh_token_for_update(session, tokens.refresh_hash(refresh_token))
            session_id = row.session_id if row else None
        if session_id is None:
            fail(ctx.lang, ("refreshToken",), "session_ended", "INVALID_CREDENTIALS")
        await repo.revoke_session(session, session_id, "logout")
    audit.record(ctx, "logout", "AuthSession", session_id)


def _viewer_of(row: Any, session_id: uuid.UUID, device_id: str | None, station_governorate: str | None
               ) -> Viewer:
    return Viewer(officer_id=row.id, role=row.role, station_id=row.station_id,
                  station_governorate=station_governorate, governorates=frozenset(row.governorates or ()),
                  session_id=session_id, device_id=device_id, name=row.name, gender=row.gender)


async def viewer_for_token(ctx: Context, token: str) -> Viewer:
    """The Viewer of a bearer token; raises tokens.TokenError when it is invalid, expired or ended."""
    officer_id, session_id = tokens.read_access(ctx.secret_key, token)
    async with ctx.db() as session:
        row = await repo.live_viewer(session, officer_id, session_id)
    if row is None:
        raise tokens.TokenError("session ended or officer disabled")
    return _viewer_of(row, session_id, ctx.device_id or row.device_id, row.station_governorate)


async def still_signed_in(ctx: Context, viewer: Viewer) -> bool:
    """Whether a viewer's sign-in session is still live and the officer active (long-lived connections ask
    this from time to time: their token was checked once, when they connected)."""
    async with ctx.db() as session:
        return await repo.live_viewer(session, viewer.officer_id, viewer.session_id) is not None
