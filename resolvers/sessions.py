"""An officer's own sign-ins: changing one's password (which ends every other sign-in), the list of one's
live sessions and devices, and ending one of them.

A wrong current password is throttled exactly as a wrong password at sign-in (resolvers/throttle.py, the
same counts per account and source): a stolen access token must not become a way to guess the password
at full speed. As in resolvers/auth.login, the try is counted and committed before the password is
checked, and the check runs in a thread with no connection waiting on it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from typing import Any

from db import officers as repo
from db.faults import is_unavailable
from resolvers import audit, policy, throttle
from resolvers.atomic import applied_whole
from resolvers.context import Context
from resolvers.mutation_errors import Collector, fail
from resolvers.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, password_refusal, verify_password

MAX_SESSIONS = 100  # listed at most: an officer signs in on a phone or two, not hundreds
REVOKED_REASON = "new password set by its officer"  # the other sessions' revoked_reason
_log = logging.getLogger("markaz.auth")


@dataclasses.dataclass(slots=True)
class PasswordChanged:
    officer: Any
    ended_sessions: int


async def change_password(ctx: Context, current_password: str, new_password: str) -> PasswordChanged:
    """Set a new password, given the current one; every other session of the officer ends (their tokens
    are refused from the next request on), the current one goes on.

    The new password is checked first (resolvers.passwords, with the badge number and the name as
    context): a refused one costs no try. Then the current password is a counted try, as at sign-in.
    """
    viewer = policy.require_officer(ctx.viewer)
    async with ctx.db() as session:
        officer = (await repo.officers_by_ids(session, [viewer.officer_id]))[viewer.officer_id]
    problems = Collector(ctx.lang)
    refusal = password_refusal(new_password, (officer.badge_number, officer.name))
    if refusal is not None:
        problems.add(("newPassword",), f"password_{refusal}", low=MIN_LENGTH, high=MAX_LENGTH)
    elif new_password == current_password:
        problems.add(("newPassword",), "password_same")
    problems.check()
    try:
        async with ctx.sessionmaker() as counting:
            attempt = await throttle.begin(counting, officer.badge_number, ctx.device_id, ctx.client_ip)
            await counting.commit()
    except throttle.Throttled as refused:
        _log.warning("password change throttled", extra={"retry_after": refused.retry_after})
        fail(
            ctx.lang,
            ("currentPassword",),
            "password_throttled",
            "LIMIT_EXCEEDED",
            retry_after=refused.retry_after,
            seconds=refused.retry_after,
        )
    ok = await asyncio.to_thread(verify_password, officer.password_hash, current_password)
    if not ok or attempt.officer is None or attempt.officer.id != officer.id:
        await _audit_failure(ctx, officer.id)
        fail(ctx.lang, ("currentPassword",), "wrong_current_password", "INVALID_CREDENTIALS")
    async with ctx.sessionmaker() as counting:
        await throttle.succeeded(counting, attempt)
        await counting.commit()
    new_hash = await asyncio.to_thread(hash_password, new_password)
    return await applied_whole(ctx, lambda: _set_password(ctx, officer, new_hash))


async def _set_password(ctx: Context, officer: Any, new_hash: str) -> PasswordChanged:
    viewer = ctx.viewer
    async with ctx.db() as session:
        await repo.set_password(session, officer.id, new_hash)
        ended = await repo.revoke_other_sessions(session, officer.id, viewer.session_id, REVOKED_REASON)
        updated = (await repo.officers_by_ids(session, [officer.id]))[officer.id]
    audit.record(
        ctx,
        "changePassword",
        "Officer",
        officer.id,
        after={"session": str(viewer.session_id), "endedSessions": sorted(str(s) for s in ended)},
    )
    return PasswordChanged(updated, len(ended))


async def _audit_failure(ctx: Context, officer_id: int) -> None:
    """The wrong current password, in the audit log at once (the request fails); never the password."""
    failed = audit.of_request(
        ctx, "change_password_failed", "Officer", officer_id, after={"address": ctx.client_ip}
    )
    try:
        await audit.write_now(ctx.sessionmaker, [failed])
    except Exception as error:
        if is_unavailable(error):
            raise
        _log.exception(
            "audit entry of a wrong current password not written",
            extra={"audit_action": failed.action, "audit_after": failed.after},
        )


async def my_sessions(ctx: Context) -> list[Any]:
    """The signed-in officer's live sessions, the most recently used first."""
    viewer = policy.require_officer(ctx.viewer)
    async with ctx.db() as session:
        return list(await repo.live_sessions(session, viewer.officer_id, MAX_SESSIONS))


async def end_session(ctx: Context, session_id: uuid.UUID | None) -> Any:
    """End one of one's own sessions (this one too: then it is a logout); ending an ended one changes
    nothing. Another officer's session, or none, is NOT_FOUND."""
    viewer = policy.require_officer(ctx.viewer)
    async with ctx.db() as session:
        row = (
            await repo.officer_session_for_update(session, viewer.officer_id, session_id)
            if session_id is not None
            else None
        )
        if row is None:
            fail(ctx.lang, ("sessionId",), "not_found", "NOT_FOUND", kind="session")
        if row.revoked_at is not None:
            return row
        await repo.revoke_session(session, row.id, "ended by its officer")
        ended = await repo.officer_session_for_update(session, viewer.officer_id, row.id)
    audit.record(
        ctx,
        "endSession",
        "AuthSession",
        row.id,
        after={"device": row.device_id, "current": row.id == viewer.session_id},
    )
    return ended
