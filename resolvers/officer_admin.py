"""Officer administration through the API: the `officers` list, createOfficer, updateOfficer,
resetOfficerPassword and unlockOfficer (the command line's `markaz users` does the same on the server).

Who may is resolvers.policy's: an admin any account but their own; a station commander the OFFICER
accounts of their own station, never giving a higher role nor another station. Every act is audited.

A new account, and a reset one, get a one-time password made here and returned once, in the payload of
the request that made it: it is never stored but as its hash, and a retry of the request (its clientId
again) answers without it. The account must change it: its sign-in says `mustChangePassword`, and until
it is changed the officer may run only changePassword, logout, refreshSession and me (api/executor.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Sequence
from typing import Any, NoReturn

from db import officers as repo
from db import stations as station_repo
from db.rows import OfficerRow
from resolvers import audit, policy
from resolvers.context import Context
from resolvers.field_checks import check_text
from resolvers.idempotency import claim, complete, content_hash, earlier
from resolvers.ids import plain
from resolvers.listing import Page, page_of
from resolvers.mutation_errors import Collector, fail
from resolvers.passwords import hash_password, password_problem
from resolvers.throttle import badge_key

MAX_BADGE, MAX_NAME, MAX_RANK, MAX_GOVERNORATES = 32, 200, 100, 19
KIND_CREATE, KIND_RESET = "createOfficer", "resetOfficerPassword"
ENTITY = "Officer"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied from a screen


def one_time_password() -> str:
    """A random password of 4 groups of 5 (about 99 bits), good by resolvers.passwords' rules."""
    while True:
        made = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
        if password_problem(made, ()) is None:
            return made


def account_view(row: OfficerRow) -> dict[str, Any]:
    """What the audit log keeps of an account: never its password's hash."""
    return {
        "badge": row.badge_number,
        "role": row.role,
        "station": row.station_id,
        "governorates": list(row.governorates or ()),
        "active": row.active,
        "mustChangePassword": row.must_change_password,
        "version": row.version,
    }


@dataclasses.dataclass(slots=True)
class AccountResult:
    """An administered account; `one_time_password` only in the answer of the request that set it."""

    officer: OfficerRow
    one_time_password: str | None = None
    ended_sessions: int = 0
    duplicate: bool = False


# --- reading -------------------------------------------------------------------------------------------


async def list_officers(
    ctx: Context,
    *,
    first: int | None,
    after: int | None,
    station_id: int | None = None,
    roles: Sequence[str] = (),
    active: bool | None = None,
    search: str | None = None,
) -> Page[OfficerRow]:
    viewer = policy.may_list_officers(ctx.viewer)
    scope = policy.officer_list_scope(viewer)
    first = 50 if first is None else max(0, min(first, 100))
    args: dict[str, Any] = {
        "everything": scope.everything,
        "station_ids": sorted(scope.station_ids),
        "governorates": sorted(scope.governorates),
        "station_id": station_id,
        "roles": sorted(set(roles)),
        "active": active,
        "search": (search or "").strip()[:100] or None,
    }
    async with ctx.db() as session:
        rows = await repo.page_officers(session, after_id=after, limit=first + 1, **args)
    return page_of(rows, first, args)


async def count_officers(ctx: Context, args: dict[str, Any]) -> int:
    async with ctx.db() as session:
        return await repo.count_officers(session, **args)


# --- the account's station and governorates ------------------------------------------------------------


async def _settle_place(
    ctx: Context,
    problems: Collector,
    role: str,
    station_id: int | None,
    station_given: bool,
    governorates: Sequence[str],
    governorates_given: bool,
) -> tuple[int | None, list[str]]:
    """The station and governorates the role keeps: a station for officers and commanders, governorates
    for supervisors, neither for admins. Given for a role that does not use it: INVALID."""
    if role in (policy.OFFICER, policy.COMMANDER):
        if governorates_given and governorates:
            problems.add(("governorateIds",), "governorates_for_role", role=role)
        if station_id is None:
            problems.add(("stationId",), "station_needed", role=role)
        else:
            async with ctx.db() as session:
                if not await station_repo.stations_by_ids(session, [station_id]):
                    problems.add(("stationId",), "not_found", "NOT_FOUND", kind="station")
        return station_id, []
    if station_given and station_id is not None:
        problems.add(("stationId",), "station_for_role", role=role)
    if role != policy.SUPERVISOR:
        if governorates_given and governorates:
            problems.add(("governorateIds",), "governorates_for_role", role=role)
        return None, []
    codes = sorted(set(governorates))
    if not codes:
        problems.add(("governorateIds",), "governorates_needed")
    elif len(codes) > MAX_GOVERNORATES:
        problems.add(("governorateIds",), "too_many", high=MAX_GOVERNORATES)
    else:
        async with ctx.db() as session:
            known = await station_repo.governorates_by_codes(session, codes)
        for code in codes:
            if code not in known:
                problems.add(("governorateIds",), "not_found", "NOT_FOUND", kind="governorate")
                break
    return None, codes


def _refuse(ctx: Context, field: str, key: str) -> NoReturn:
    fail(ctx.lang, (field,), key, "FORBIDDEN")


def _check_commander(ctx: Context, viewer: policy.Viewer, role: str, station_id: int | None) -> None:
    refused = policy.account_refusal(viewer, role, station_id)
    if refused == "role":
        _refuse(ctx, "role", "role_above_officer")
    if refused == "stationId":
        _refuse(ctx, "stationId", "other_station")


# --- createOfficer ------------------------------------------------------------------------------------


async def create_officer(
    ctx: Context,
    input: Any,
    *,
    station_id: int | None,
    governorates: Sequence[str] | None,
) -> AccountResult:
    """A new account with a one-time password. `station_id` and `governorates` are the input's, read by
    the schema (a commander's default station is their own)."""
    viewer = policy.may_administer_officers(ctx.viewer)
    digest = content_hash(KIND_CREATE, input)
    replay = await earlier(ctx, input.client_id, KIND_CREATE, digest)
    if replay is not None:
        return await _replayed(ctx, replay.result_id)
    role = plain(input.role)
    if station_id is None and viewer.role == policy.COMMANDER and role in (policy.OFFICER, policy.COMMANDER):
        station_id = viewer.station_id
    _check_commander(ctx, viewer, role, station_id)
    problems = Collector(ctx.lang)
    badge = check_text(problems, ("badgeNumber",), input.badge_number, max_length=MAX_BADGE, required=True)
    name = check_text(problems, ("name",), input.name, max_length=MAX_NAME, required=True)
    rank = check_text(problems, ("rank",), input.rank, max_length=MAX_RANK)
    station_id, codes = await _settle_place(
        ctx, problems, role, station_id, input.station_id is not None, governorates or (), True
    )
    if badge:
        async with ctx.db() as session:
            if await repo.badge_taken(session, badge):
                problems.add(("badgeNumber",), "badge_taken", "CONFLICT")
    problems.check()
    claimed = await claim(ctx, input.client_id, KIND_CREATE, digest)
    if not claimed.new:
        return await _replayed(ctx, claimed.result_id)
    password = one_time_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    async with ctx.db() as session:
        officer_id = await repo.create_officer(
            session,
            {
                "badge_number": badge,
                "name": name,
                "rank": rank,
                "gender": plain(input.gender),
                "role": role,
                "station_id": station_id,
                "governorates": codes,
                "password_hash": password_hash,
                "must_change_password": True,
            },
        )
        row = (await repo.officers_by_ids(session, [officer_id]))[officer_id]
    await complete(ctx, input.client_id, ENTITY, officer_id)
    audit.record(ctx, "officer_created", ENTITY, officer_id, after=account_view(row))
    return AccountResult(row, one_time_password=password)


async def _replayed(ctx: Context, officer_id: int | None) -> AccountResult:
    async with ctx.db() as session:
        row = (await repo.officers_by_ids(session, [officer_id] if officer_id is not None else [])).get(
            officer_id or 0
        )
    if row is None:  # the account of a finished claim is never deleted
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return AccountResult(row, duplicate=True)


# --- changing an account ------------------------------------------------------------------------------


async def _target(ctx: Context, viewer: policy.Viewer, officer_id: int | None) -> OfficerRow:
    """The account to change, locked; NOT_FOUND for none or one the viewer may not know of, FORBIDDEN for
    one they may see but not change."""
    async with ctx.db() as session:
        row = await repo.officer_for_update(session, officer_id) if officer_id is not None else None
    if row is None or not policy.sees_officer_to_manage(viewer, row):
        fail(ctx.lang, ("officerId",), "not_found", "NOT_FOUND", kind="officer")
    if not policy.may_manage_officer(viewer, row):
        _refuse(ctx, "officerId", "own_account" if row.id == viewer.officer_id else "not_your_officer")
    return row


async def update_officer(
    ctx: Context,
    input: Any,
    *,
    officer_id: int | None,
    station_id: int | None,
    governorates: Sequence[str] | None,
) -> AccountResult:
    """Change an account's role, station, governorates or active flag, if it is at `expectedVersion`.
    A role that does not use a station (or governorates) drops it; disabling ends every session."""
    viewer = policy.may_administer_officers(ctx.viewer)
    row = await _target(ctx, viewer, officer_id)
    if input.expected_version != row.version:
        fail(
            ctx.lang,
            ("expectedVersion",),
            "stale_version",
            "CONFLICT",
            current_version=row.version,
            given=input.expected_version,
            current=row.version,
        )
    role = plain(input.role) if input.role is not None else row.role
    station = station_id if station_id is not None else row.station_id
    codes = list(governorates) if governorates is not None else list(row.governorates or ())
    _check_commander(ctx, viewer, role, station if role in (policy.OFFICER, policy.COMMANDER) else None)
    problems = Collector(ctx.lang)
    station, codes = await _settle_place(
        ctx, problems, role, station, station_id is not None, codes, governorates is not None
    )
    problems.check()
    values: dict[str, Any] = {}
    for column, new in (("role", role), ("station_id", station), ("governorates", codes)):
        old = getattr(row, column)
        if (list(old or ()) if column == "governorates" else old) != new:
            values[column] = new
    if input.active is not None and input.active != row.active:
        values["active"] = input.active
    if not values:
        return AccountResult(row)
    async with ctx.db() as session:
        updated = await repo.change_officer(session, row.id, values)
        ended = 0
        if values.get("active") is False:
            ended = await repo.revoke_officer_sessions(session, row.id, "officer disabled")
        elif "role" in values or "station_id" in values or "governorates" in values:
            # Tokens carry the role: the officer signs in again to work with the new one.
            ended = await repo.revoke_officer_sessions(session, row.id, "officer's role or place changed")
    audit.record(
        ctx,
        "officer_updated",
        ENTITY,
        row.id,
        before=account_view(row),
        after={**account_view(updated), "endedSessions": ended},
    )
    return AccountResult(updated, ended_sessions=ended)


async def reset_officer_password(ctx: Context, input: Any, *, officer_id: int | None) -> AccountResult:
    """A new one-time password (returned once), the account's failed sign-ins forgotten, and every one
    of its sessions ended. The same clientId again resets nothing and answers without a password."""
    viewer = policy.may_administer_officers(ctx.viewer)
    digest = content_hash(KIND_RESET, input)
    replay = await earlier(ctx, input.client_id, KIND_RESET, digest)
    if replay is not None:
        return await _replayed(ctx, replay.result_id)
    row = await _target(ctx, viewer, officer_id)
    claimed = await claim(ctx, input.client_id, KIND_RESET, digest)
    if not claimed.new:
        return await _replayed(ctx, claimed.result_id)
    password = one_time_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    async with ctx.db() as session:
        await repo.set_password(session, row.id, password_hash, must_change=True)
        await repo.clear_failures(session, badge_key(row.badge_number))
        ended = await repo.revoke_officer_sessions(session, row.id, "password reset by an administrator")
        updated = (await repo.officers_by_ids(session, [row.id]))[row.id]
    await complete(ctx, input.client_id, ENTITY, row.id)
    audit.record(
        ctx,
        "officer_password_reset",
        ENTITY,
        row.id,
        before=account_view(row),
        after={**account_view(updated), "endedSessions": ended},
    )
    return AccountResult(updated, one_time_password=password, ended_sessions=ended)


async def unlock_officer(ctx: Context, *, officer_id: int | None) -> AccountResult:
    """Forget the account's failed sign-ins: every source may try again at once (resolvers/throttle.py
    never locks an account; this ends the waits its guessers and its officer built up)."""
    viewer = policy.may_administer_officers(ctx.viewer)
    row = await _target(ctx, viewer, officer_id)
    async with ctx.db() as session:
        await repo.clear_failures(session, badge_key(row.badge_number))
    audit.record(ctx, "officer_unlocked", ENTITY, row.id, after={"badge": row.badge_number})
    return AccountResult(row)
