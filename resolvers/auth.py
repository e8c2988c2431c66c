"""Sign-in: login with throttling (resolvers/throttle.py), rotating refresh tokens with reuse detection,
logout, and turning a bearer token into the request's Viewer. Failed sign-ins and refresh-token reuse
are audited."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import uuid
from datetime import UTC, datetime
from typing import Any, NoReturn

from db import officers as repo
from db.faults import is_unavailable
from db.rows import LiveViewerRow, OfficerRow
from resolvers import audit, throttle, tokens
from resolvers.context import Context
from resolvers.mutation_errors import fail
from resolvers.passwords import verify_password
from resolvers.policy import Viewer

BADGE_AS_TYPED = 64  # characters of a failed sign-in's badge number the audit keeps
_log = logging.getLogger("markaz.auth")


@dataclasses.dataclass(slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    officer: Any


def _refused(ctx: Context, seconds: int) -> NoReturn:
    """LIMIT_EXCEEDED with the wait, in seconds or (from two minutes on) minutes."""
    if seconds < 120:
        fail(ctx.lang, None, "throttled_seconds", "LIMIT_EXCEEDED", retry_after=seconds, seconds=seconds)
    fail(
        ctx.lang,
        None,
        "throttled_minutes",
        "LIMIT_EXCEEDED",
        retry_after=seconds,
        minutes=math.ceil(seconds / 60),
    )


async def login(ctx: Context, badge: str, password: str) -> Tokens:
    """Sign in. A wrong password and an unknown badge get the same answer, after the same work.

    Run outside the request's transaction: the try is counted (or refused) and committed first, then
    the password checked with no connection held (argon2 takes tens of milliseconds of CPU by design, in
    a thread), then a failure audited or the success recorded. No row lock is held while anything waits,
    so concurrent guesses cannot pile up into timeouts.
    """
    now = datetime.now(UTC)
    try:
        async with ctx.sessionmaker() as session:
            attempt = await throttle.begin(session, badge, ctx.device_id, ctx.client_ip)
            await session.commit()
    except throttle.Throttled as refused:
        _log.warning("sign-in throttled", extra={"retry_after": refused.retry_after})
        _refused(ctx, refused.retry_after)
    officer = attempt.officer
    ok = await asyncio.to_thread(verify_password, officer.password_hash if officer else None, password)
    if not ok or officer is None or not officer.active:
        reason = "unknown badge" if officer is None else "wrong password" if not ok else "account disabled"
        # Never the password; the badge as typed (people do type a password there), cut short.
        failed = audit.of_request(
            ctx,
            "login_failed",
            "Officer",
            officer.id if officer else None,
            after={"badge": badge[:BADGE_AS_TYPED], "address": ctx.client_ip, "reason": reason},
        )
        try:
            await audit.write_now(ctx.sessionmaker, [failed])
        except Exception as error:
            if is_unavailable(error):
                raise  # the transport answers 503: nothing was checked against a database it cannot reach
            # The guess is answered as any other, never with an internal error; the log keeps the entry.
            _log.exception(
                "audit entry of a failed sign-in not written",
                extra={"audit_action": failed.action, "audit_after": failed.after},
            )
        fail(ctx.lang, None, "invalid_credentials", "INVALID_CREDENTIALS")
    async with ctx.sessionmaker() as session:
        await throttle.succeeded(session, attempt)
        await session.commit()
    session_id = uuid.uuid4()
    refresh, refresh_hash = tokens.new_refresh_token()
    async with ctx.db() as session:
        await repo.create_session(
            session,
            session_id=session_id,
            officer_id=officer.id,
            device_id=ctx.device_id,
            expires_at=now + tokens.SESSION_TTL,
            token_hash=refresh_hash,
        )
    access, expires = tokens.issue_access(
        ctx.secret_key, officer_id=officer.id, session_id=session_id, role=officer.role, now=now
    )
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
            # Someone holds a copy of the officer's token (the officer, or whoever copied it, comes second).
            audit.record(
                ctx,
                "refresh_token_reused",
                "AuthSession",
                row.session_id,
                after={"officer": row.officer_id, "session_device": row.device_id, "address": ctx.client_ip},
            )
            # The revocation and its entry must stand although this mutation fails.
            fail(ctx.lang, ("refreshToken",), "session_ended", "INVALID_CREDENTIALS", keep_writes=True)
        officers = await repo.officers_by_ids(session, [row.officer_id])
        officer = officers.get(row.officer_id)
        if officer is None or not officer.active:
            fail(ctx.lang, ("refreshToken",), "session_ended", "INVALID_CREDENTIALS")
        new_token, new_hash = tokens.new_refresh_token()
        await repo.rotate_refresh_token(session, presented, new_hash, row.session_id, now)
    access, expires = tokens.issue_access(
        ctx.secret_key, officer_id=officer.id, session_id=row.session_id, role=officer.role, now=now
    )
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


def _viewer_of(
    row: OfficerRow | LiveViewerRow,
    session_id: uuid.UUID,
    device_id: str | None,
    station_governorate: str | None,
) -> Viewer:
    return Viewer(
        officer_id=row.id,
        role=row.role,
        station_id=row.station_id,
        station_governorate=station_governorate,
        governorates=frozenset(row.governorates or ()),
        session_id=session_id,
        device_id=device_id,
        name=row.name,
        gender=row.gender,
        must_change_password=bool(row.must_change_password),
    )


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
