"""Every SQL statement about officers, sign-in sessions, refresh tokens and the login throttle."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db import statements
from db.models import AuthSession, LoginThrottle, Officer, RefreshToken, Station
from db.rows import LiveViewerRow, OfficerRow, RefreshRow, SignInRow

_OFFICERS = cast(Table, Officer.__table__)


async def create_officer(session: AsyncSession, values: dict[str, Any]) -> int:
    result = await statements.execute(session, insert(Officer).values(**values).returning(Officer.id))
    return int(result.scalar_one())


async def officer_by_badge(session: AsyncSession, badge: str) -> OfficerRow | None:
    return cast(
        "OfficerRow | None",
        (await statements.execute(session, select(_OFFICERS).where(Officer.badge_number == badge))).first(),
    )


async def badge_taken(session: AsyncSession, badge: str) -> bool:
    """Whether an account has this badge number (its id only: works on a database of any revision)."""
    query = select(Officer.id).where(Officer.badge_number == badge)
    return (await statements.execute(session, query)).first() is not None


async def officers_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, OfficerRow]:
    rows = (await statements.execute(session, select(_OFFICERS).where(Officer.id.in_(list(ids))))).all()
    return cast("dict[int, OfficerRow]", {row.id: row for row in rows})


async def list_officers(session: AsyncSession, *, station_id: int | None = None) -> Sequence[OfficerRow]:
    query = select(_OFFICERS).order_by(Officer.id)
    if station_id is not None:
        query = query.where(Officer.station_id == station_id)
    return cast("Sequence[OfficerRow]", (await statements.execute(session, query)).all())


async def set_active(session: AsyncSession, officer_id: int, active: bool) -> None:
    await statements.execute(
        session,
        update(Officer).where(Officer.id == officer_id).values(active=active, version=Officer.version + 1),
    )


async def set_password(
    session: AsyncSession, officer_id: int, password_hash: str, *, must_change: bool = False
) -> None:
    """A new password; `must_change`: a one-time password, which the officer must change at sign-in."""
    await statements.execute(
        session,
        update(Officer)
        .where(Officer.id == officer_id)
        .values(
            password_hash=password_hash,
            password_changed_at=func.now(),
            must_change_password=must_change,
            version=Officer.version + 1,
        ),
    )


async def officer_for_update(session: AsyncSession, officer_id: int) -> OfficerRow | None:
    """The account, locked until the transaction ends: two changes of it queue."""
    query = select(_OFFICERS).where(Officer.id == officer_id).with_for_update()
    return cast("OfficerRow | None", (await statements.execute(session, query)).first())


async def change_officer(session: AsyncSession, officer_id: int, values: dict[str, Any]) -> OfficerRow:
    """Apply `values` to the account and bump its version; the account as it is now."""
    query = (
        update(Officer)
        .where(Officer.id == officer_id)
        .values(**values, version=Officer.version + 1)
        .returning(*_OFFICERS.c)
    )
    return cast("OfficerRow", (await statements.execute(session, query)).one())


def _listed(
    *,
    everything: bool,
    station_ids: Sequence[int],
    governorates: Sequence[str],
    station_id: int | None,
    roles: Sequence[str],
    active: bool | None,
    search: str | None,
) -> Select[Any]:
    """The accounts of a scope (all; those of some stations; those of stations in some governorates
    and the supervisors of those governorates) and a filter."""
    query = select(_OFFICERS).outerjoin(Station, Station.id == Officer.station_id)
    if not everything:
        mine = [Officer.station_id.in_(list(station_ids))] if station_ids else []
        if governorates:
            mine.append(Station.governorate_code.in_(list(governorates)))
            mine.append(Officer.governorates.overlap(list(governorates)))
        query = query.where(or_(*mine) if mine else false())
    if station_id is not None:
        query = query.where(Officer.station_id == station_id)
    if roles:
        query = query.where(Officer.role.in_(list(roles)))
    if active is not None:
        query = query.where(Officer.active.is_(active))
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Officer.badge_number.ilike(pattern), Officer.name.ilike(pattern)))
    return query


async def page_officers(
    session: AsyncSession, *, after_id: int | None, limit: int, **args: Any
) -> Sequence[OfficerRow]:
    query = _listed(**args).order_by(Officer.id).limit(limit)
    if after_id is not None:
        query = query.where(Officer.id > after_id)
    return cast("Sequence[OfficerRow]", (await statements.execute(session, query)).all())


async def count_officers(session: AsyncSession, **args: Any) -> int:
    query = select(func.count()).select_from(_listed(**args).subquery())
    return int((await statements.execute(session, query)).scalar_one())


ACCOUNT_SOURCE = "*"  # the source_key of an account's own row: its failures from every address
# The throttle's clock: the statement's start, not the transaction's (`now()`), which in a long
# transaction would stand still, and with it every wait.
_now = func.statement_timestamp


async def statement_by_statement(session: AsyncSession) -> None:
    """Make each of the session's statements its own transaction, committed as it ends, so that a row
    lock lasts as long as its statement, not until the client's next round trip (which a busy event loop
    may be slow to send). Only for a session with a connection of its own from an engine's pool; one
    joined to an outer transaction (a test's) is left in it. Call before the session's first statement."""
    if isinstance(session.bind, AsyncEngine):
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


async def sign_in_subject(session: AsyncSession, badge: str, device_id: str | None) -> SignInRow | None:
    """The officer of a badge, with `known_device`: whether the officer signed in on `device_id` before.
    One statement, the same whether or not the badge exists."""
    known = (
        exists().where(AuthSession.officer_id == Officer.id, AuthSession.device_id == device_id)
        if device_id
        else false()
    )
    query = select(_OFFICERS, known.label("known_device")).where(Officer.badge_number == badge)
    return cast("SignInRow | None", (await statements.execute(session, query)).first())


async def account_failures(session: AsyncSession, badge_key: str, window: timedelta) -> int:
    """The account's failures from addresses, counted since it last went `window` without one."""
    query = select(LoginThrottle.failures).where(
        LoginThrottle.badge_key == badge_key,
        LoginThrottle.source_key == ACCOUNT_SOURCE,
        LoginThrottle.last_failure_at >= _now() - window,
    )
    return int((await statements.execute(session, query)).scalar() or 0)


def _wait(failures: ColumnElement[int], free: int, first_s: float, max_s: float) -> ColumnElement[float]:
    """Seconds before the next try after `failures`: none within the free tries, then doubling."""
    return case((failures < free, 0.0), else_=func.least(max_s, first_s * func.power(2.0, failures - free)))


async def claim_attempt(
    session: AsyncSession,
    badge_key: str,
    source_key: str,
    *,
    free: int,
    first_s: float,
    max_s: float,
    forget: timedelta,
) -> int | None:
    """Count a try from a source as a failure before it is made, and set when the next may come; the
    source's failures, this try included, or None while the source must still wait.

    One statement: concurrent tries queue on the row for as long as it runs (see statement_by_statement),
    and each sees the one before it counted, so none gets past the limit. A source quiet for `forget`
    starts again from its first try.
    """
    t = cast(Table, LoginThrottle.__table__)
    failures = case((t.c.last_failure_at < _now() - forget, 1), else_=t.c.failures + 1)
    seconds = lambda n: func.make_interval(0, 0, 0, 0, 0, 0, _wait(n, free, first_s, max_s))  # noqa: E731
    values = insert(LoginThrottle).values(
        badge_key=badge_key,
        source_key=source_key,
        failures=1,
        last_failure_at=_now(),
        next_attempt_at=_now() + seconds(literal(1)),
    )
    stmt = values.on_conflict_do_update(
        index_elements=[t.c.badge_key, t.c.source_key],
        set_={"failures": failures, "last_failure_at": _now(), "next_attempt_at": _now() + seconds(failures)},
        where=t.c.next_attempt_at <= _now(),
    ).returning(t.c.failures)
    found = (await statements.execute(session, stmt)).scalar()
    return None if found is None else int(found)


async def seconds_to_wait(session: AsyncSession, badge_key: str, source_key: str) -> float:
    query = select(func.extract("epoch", LoginThrottle.next_attempt_at - _now())).where(
        LoginThrottle.badge_key == badge_key, LoginThrottle.source_key == source_key
    )
    return float((await statements.execute(session, query)).scalar() or 0)


async def count_account_failure(session: AsyncSession, badge_key: str, window: timedelta) -> int:
    """Count a try against the account (from an address): the account's failures since it last went
    `window` without one."""
    t = cast(Table, LoginThrottle.__table__)
    values = insert(LoginThrottle).values(
        badge_key=badge_key, source_key=ACCOUNT_SOURCE, failures=1, last_failure_at=_now()
    )
    stmt = values.on_conflict_do_update(
        index_elements=[t.c.badge_key, t.c.source_key],
        set_={
            "failures": case((t.c.last_failure_at < _now() - window, 1), else_=t.c.failures + 1),
            "last_failure_at": _now(),
        },
    ).returning(t.c.failures)
    return int((await statements.execute(session, stmt)).scalar_one())


async def attempt_succeeded(session: AsyncSession, badge_key: str, source_key: str, *, counted: bool) -> None:
    """The try was right: the source's record is cleared, and the account's count of it taken back."""
    await statements.execute(
        session,
        delete(LoginThrottle).where(
            LoginThrottle.badge_key == badge_key, LoginThrottle.source_key == source_key
        ),
    )
    if counted:
        await statements.execute(
            session,
            update(LoginThrottle)
            .where(
                LoginThrottle.badge_key == badge_key,
                LoginThrottle.source_key == ACCOUNT_SOURCE,
            )
            .values(failures=func.greatest(LoginThrottle.failures - 1, 0)),
        )


async def clear_failures(session: AsyncSession, badge_key: str) -> None:
    """Forget every failed sign-in of an account. The rows are locked sources first, the account's own
    last, the order a sign-in takes them in, so the two cannot deadlock."""
    t = cast(Table, LoginThrottle.__table__)
    rows = (
        select(t.c.badge_key, t.c.source_key)
        .where(t.c.badge_key == badge_key)
        .order_by(t.c.source_key == ACCOUNT_SOURCE, t.c.source_key)
        .with_for_update()
    )
    await statements.execute(session, rows)
    await statements.execute(session, delete(LoginThrottle).where(LoginThrottle.badge_key == badge_key))


async def create_session(
    session: AsyncSession,
    *,
    session_id: uuid.UUID,
    officer_id: int,
    device_id: str | None,
    expires_at: datetime,
    token_hash: bytes,
) -> None:
    await statements.execute(
        session,
        insert(AuthSession).values(
            id=session_id, officer_id=officer_id, device_id=device_id, expires_at=expires_at
        ),
    )
    await statements.execute(
        session, insert(RefreshToken).values(token_hash=token_hash, session_id=session_id)
    )


async def refresh_token_for_update(session: AsyncSession, token_hash: bytes) -> RefreshRow | None:
    """The token with its session, locked: two refreshes with one token cannot both rotate it."""
    query = (
        select(
            RefreshToken.token_hash,
            RefreshToken.used_at,
            AuthSession.id.label("session_id"),
            AuthSession.officer_id,
            AuthSession.revoked_at,
            AuthSession.expires_at,
            AuthSession.device_id,
        )
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update(of=RefreshToken)
    )
    return cast("RefreshRow | None", (await statements.execute(session, query)).first())


async def rotate_refresh_token(
    session: AsyncSession, old_hash: bytes, new_hash: bytes, session_id: uuid.UUID, now: datetime
) -> None:
    used = update(RefreshToken).where(RefreshToken.token_hash == old_hash).values(used_at=now)
    await statements.execute(session, used)
    await statements.execute(session, insert(RefreshToken).values(token_hash=new_hash, session_id=session_id))


async def revoke_session(session: AsyncSession, session_id: uuid.UUID, reason: str) -> None:
    await statements.execute(
        session,
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason),
    )


async def revoke_officer_sessions(session: AsyncSession, officer_id: int, reason: str) -> int:
    result = await statements.execute(
        session,
        update(AuthSession)
        .where(AuthSession.officer_id == officer_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason),
    )
    return result.rowcount or 0


# Built once: it runs on every request with a bearer token (statements.fetch, one round trip).
_LIVE_VIEWER: Select[*tuple[Any, ...]] = (
    select(
        Officer.id,
        Officer.role,
        Officer.station_id,
        Officer.governorates,
        Officer.name,
        Officer.gender,
        Station.governorate_code.label("station_governorate"),
        AuthSession.device_id,
        Officer.must_change_password,
    )
    .select_from(AuthSession)
    .join(Officer, Officer.id == AuthSession.officer_id)
    .outerjoin(Station, Station.id == Officer.station_id)
    .where(
        AuthSession.id == bindparam("session_id"),
        AuthSession.officer_id == bindparam("officer_id"),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > func.now(),
        Officer.active,
    )
)


async def live_viewer(session: AsyncSession, officer_id: int, session_id: uuid.UUID) -> LiveViewerRow | None:
    """The officer behind a token, if the session is live and the officer active; one round trip."""
    rows = await statements.fetch(session, _LIVE_VIEWER, {"session_id": session_id, "officer_id": officer_id})
    return cast("LiveViewerRow | None", rows[0] if rows else None)


async def revoke_other_sessions(
    session: AsyncSession, officer_id: int, keep: uuid.UUID, reason: str
) -> list[uuid.UUID]:
    """End every live session of the officer but `keep`; the ids of those ended."""
    result = await statements.execute(
        session,
        update(AuthSession)
        .where(AuthSession.officer_id == officer_id, AuthSession.id != keep, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
        .returning(AuthSession.id),
    )
    return list(result.scalars())


_LAST_USED = (
    select(func.max(RefreshToken.issued_at))
    .where(RefreshToken.session_id == AuthSession.id)
    .correlate(AuthSession)
    .scalar_subquery()
)


def _sessions_read() -> Select[Any]:
    return select(  # type: ignore[return-value]  # a typed Select of these eight columns
        AuthSession.id,
        AuthSession.officer_id,
        AuthSession.device_id,
        AuthSession.created_at,
        AuthSession.expires_at,
        AuthSession.revoked_at,
        AuthSession.revoked_reason,
        func.coalesce(_LAST_USED, AuthSession.created_at).label("last_used_at"),
    )


async def live_sessions(session: AsyncSession, officer_id: int, limit: int) -> Sequence[Row[Any]]:
    """The officer's sessions that are neither ended nor expired, the most recently used first (the last
    refresh, or the sign-in)."""
    query = (
        _sessions_read()
        .where(
            AuthSession.officer_id == officer_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > func.now(),
        )
        .order_by(func.coalesce(_LAST_USED, AuthSession.created_at).desc(), AuthSession.id)
        .limit(limit)
    )
    return (await statements.execute(session, query)).all()


async def officer_session_for_update(
    session: AsyncSession, officer_id: int, session_id: uuid.UUID
) -> Row[Any] | None:
    """One of the officer's sessions (ended or not), locked; None when it is not the officer's."""
    query = (
        _sessions_read()
        .where(AuthSession.id == session_id, AuthSession.officer_id == officer_id)
        .with_for_update(of=AuthSession)
    )
    return (await statements.execute(session, query)).first()
