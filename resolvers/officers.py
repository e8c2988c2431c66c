"""Officer accounts: reading profiles (within the viewer's scope) and the administration behind
`markaz users` (add, list, disable, reset-password)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import officers as repo
from db import stations as station_repo
from db.rows import OfficerRow
from resolvers import audit, policy
from resolvers.context import Context
from resolvers.passwords import hash_password, password_problem
from resolvers.throttle import badge_key


async def me(ctx: Context) -> Any | None:
    if ctx.viewer is None:
        return None
    async with ctx.db() as session:
        return (await repo.officers_by_ids(session, [ctx.viewer.officer_id])).get(ctx.viewer.officer_id)


async def visible_officers(ctx: Context, ids: Sequence[int]) -> dict[int, Any]:
    """Officers by id that the viewer may see; citizens see none."""
    if ctx.viewer is None or not ids:
        return {}
    async with ctx.db() as session:
        rows = await repo.officers_by_ids(session, ids)
        station_ids = [r.station_id for r in rows.values() if r.station_id is not None]
        stations = await station_repo.stations_by_ids(session, station_ids) if station_ids else {}
    return {
        i: r
        for i, r in rows.items()
        if policy.can_read_officer(
            ctx.viewer, r, stations[r.station_id].governorate_code if r.station_id in stations else None
        )
    }


class AccountError(ValueError):
    """A `markaz users` command that cannot be carried out, with the reason for the administrator."""


async def _audited(
    session: AsyncSession,
    by: str | None,
    action: str,
    row: OfficerRow,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """The audit entry of an account change, in the change's transaction, naming who made it (`by`).

    Every administration command passes `by`; without it (bulk set-up: the demo data, benchmarks, tests'
    factories) the change is not audited.
    """
    if by is not None:
        after = {**(after or {}), "badge": row.badge_number, "by": by}
        await audit.flush(session, [audit.entry(action, "Officer", row.id, before=before, after=after)])


def _account(row: OfficerRow) -> dict[str, Any]:
    """What the audit keeps of an account: never its password's hash."""
    return {
        "role": row.role,
        "station": row.station_id,
        "governorates": list(row.governorates or ()),
        "active": row.active,
    }


async def add_officer(
    session: AsyncSession,
    *,
    badge: str,
    name: str,
    role: str,
    password: str,
    gender: str = "MALE",
    rank: str | None = None,
    station_id: int | None = None,
    governorates: Sequence[str] = (),
    by: str | None = None,
    published_password: bool = False,
) -> int:
    """A new account; `by`: who made it, for the audit log. `published_password`: the demo accounts, whose
    one password is printed for all to use, so no rule of a secret password applies to it."""
    badge, name = badge.strip(), name.strip()
    if not badge or len(badge) > 32:
        raise AccountError("--badge must be 1 to 32 characters")
    if not name or len(name) > 200:
        raise AccountError("--name must be 1 to 200 characters")
    if role not in policy.ROLES:
        raise AccountError(f"--role must be one of {', '.join(policy.ROLES)}")
    if gender not in ("FEMALE", "MALE"):
        raise AccountError("--gender must be FEMALE or MALE")
    if not published_password and (problem := password_problem(password, (badge, name))):
        raise AccountError(problem)
    # What a role does not use is refused rather than dropped: an admin given a station is a mistake.
    if station_id is not None and role not in (policy.OFFICER, policy.COMMANDER):
        raise AccountError(
            f"--station: a {role} has no station (admins work on every station, "
            "supervisors on their --governorate)"
        )
    if governorates and role != policy.SUPERVISOR:
        raise AccountError(f"--governorate: only a SUPERVISOR works on governorates, not a {role}")
    if role in (policy.OFFICER, policy.COMMANDER):
        if station_id is None:
            raise AccountError(f"a {role} needs --station")
        if not await station_repo.stations_by_ids(session, [station_id]):
            raise AccountError(f"--station {station_id}: no such station")
    if role == policy.SUPERVISOR:
        if not governorates:
            raise AccountError("a SUPERVISOR needs at least one --governorate")
        known = await station_repo.governorates_by_codes(session, list(governorates))
        unknown = sorted(set(governorates) - set(known))
        if unknown:
            raise AccountError(f"--governorate: unknown {', '.join(unknown)} (use codes like IQ-NI)")
    if await repo.badge_taken(session, badge):
        raise AccountError(f"--badge {badge}: an officer with this badge exists")
    officer_id = await repo.create_officer(
        session,
        {
            "badge_number": badge,
            "name": name,
            "rank": rank,
            "gender": gender,
            "role": role,
            "station_id": station_id if role in (policy.OFFICER, policy.COMMANDER) else None,
            "governorates": sorted(set(governorates)) if role == policy.SUPERVISOR else [],
            "password_hash": hash_password(password),
        },
    )
    if by is not None:
        row = (await repo.officers_by_ids(session, [officer_id]))[officer_id]
        await _audited(session, by, "account_added", row, after=_account(row))
    return officer_id


async def station_reference(session: AsyncSession, given: str) -> int:
    """The id of the station `--station` names, by its id or its code (the `external_id` of the station
    file, like NI-MOS-001); a value that is one station's id and another's code is refused as ambiguous."""
    given = given.strip()
    by_id = None
    if given.isdigit() and len(given) <= 18:
        by_id = (await station_repo.stations_by_ids(session, [int(given)])).get(int(given))
    by_code = await station_repo.station_by_external_id(session, given) if given else None
    if by_id is not None and by_code is not None and by_id.id != by_code.id:
        raise AccountError(
            f"--station {given}: the id of station {by_id.id} and the code of station "
            f"{by_code.id}; give the other station's code, or the id"
        )
    found = by_id or by_code
    if found is None:
        raise AccountError(f"--station {given}: no station with this id or code")
    return found.id


async def _by_badge(session: AsyncSession, badge: str) -> Any:
    row = await repo.officer_by_badge(session, badge.strip())
    if row is None:
        raise AccountError(f"no officer with badge {badge}")
    return row


async def disable_officer(session: AsyncSession, badge: str, *, by: str | None = None) -> int:
    """Disable the account and end all its sessions at once; returns the number of sessions ended."""
    row = await _by_badge(session, badge)
    await repo.set_active(session, row.id, False)
    ended = await repo.revoke_officer_sessions(session, row.id, "officer disabled")
    await _audited(
        session,
        by,
        "account_disabled",
        row,
        before=_account(row),
        after={"active": False, "sessions_ended": ended},
    )
    return ended


async def reset_password(session: AsyncSession, badge: str, password: str, *, by: str | None = None) -> int:
    """Set a new password, clear the account's failed sign-ins and end all its sessions; returns the
    number of sessions ended."""
    row = await _by_badge(session, badge)
    if problem := password_problem(password, (row.badge_number, row.name)):
        raise AccountError(problem)
    await repo.set_password(session, row.id, hash_password(password))
    await repo.clear_failures(session, badge_key(badge))
    ended = await repo.revoke_officer_sessions(session, row.id, "password changed")
    await _audited(session, by, "password_reset", row, after={"sessions_ended": ended})
    return ended


async def list_officers(session: AsyncSession) -> Sequence[Any]:
    return await repo.list_officers(session)
