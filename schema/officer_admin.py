"""Officer administration: the `officers` list, createOfficer, updateOfficer, resetOfficerPassword,
unlockOfficer (resolvers/officer_admin.py)."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from resolvers import ids
from resolvers import officer_admin as logic
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from schema.common import UserError
from schema.mutations import run
from schema.node import PageInfo, to_global_id
from schema.officers import Gender, Officer, Role


def _key(value: strawberry.ID | None, kind: str) -> int | None:
    """The key of a global id of `kind`; -1 for one that is not (answered NOT_FOUND, as a missing one)."""
    if value is None:
        return None
    key = ids.int_key(value, kind)
    return -1 if key is None else key


def _governorates(values: list[strawberry.ID] | None) -> list[str] | None:
    if values is None:
        return None
    codes = []
    for value in values[:100]:
        parsed = ids.parse_global_id(value)
        codes.append(parsed[1] if parsed is not None and parsed[0] == "Governorate" else str(value)[:20])
    return codes


@strawberry.input(description="Which officers to list; always within what you may see.")
class OfficerFilter:
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Only this station's.")
    roles: list[Role] | None = strawberry.field(default=None, description="Only these roles.")
    active: bool | None = strawberry.field(
        default=None, description="Only active (true) or disabled (false)."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the badge number or the name (at most 100 characters)."
    )


@strawberry.type(description="An edge of an officer list.")
class OfficerEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this officer.")
    node: Officer = strawberry.field(description="The officer.")


@strawberry.type(description="A page of officers, in the order their accounts were made.")
class OfficerConnection:
    edges: list[OfficerEdge] = strawberry.field(description="The officers of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many officers match, over all pages.")
    async def total_count(self, info: strawberry.Info[Context]) -> int:
        return await logic.count_officers(info.context, self.count_args)


@strawberry.input(
    description="Make an officer's account, with a one-time password the officer must change at first "
    "sign-in. Admins make any account; a station commander only OFFICER accounts of their own station."
)
class CreateOfficerInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device; sending it again makes nothing (and returns no password)."
    )
    badge_number: str = strawberry.field(description="The badge number, 1 to 32 characters, not taken.")
    name: str = strawberry.field(description="Full name, 1 to 200 characters.")
    role: Role = strawberry.field(description="The role (a commander may give only OFFICER).")
    gender: Gender = strawberry.field(default=Gender.MALE, description="Gender.")
    rank: str | None = strawberry.field(default=None, description="Rank, at most 100 characters.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The station of an OFFICER or STATION_COMMANDER (a commander's own by default); none "
        "for other roles.",
    )
    governorate_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The governorates of a SUPERVISOR (at least one); none for other roles."
    )


@strawberry.input(
    description="Change an officer's role, station, governorates or whether the account is active, if it "
    "is still at `expectedVersion`. A role without a station (or governorates) drops it. Changing the "
    "role or place, or disabling, ends the officer's sessions."
)
class UpdateOfficerInput:
    officer_id: strawberry.ID = strawberry.field(description="The officer's global ID.")
    expected_version: int = strawberry.field(
        description="The version you last saw; if it changed since, nothing happens and you get CONFLICT."
    )
    role: Role | None = strawberry.field(default=None, description="The new role; null: unchanged.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The new station; null: unchanged."
    )
    governorate_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="A SUPERVISOR's governorates, all of them; null: unchanged."
    )
    active: bool | None = strawberry.field(
        default=None, description="false disables the account (its sessions end); null: unchanged."
    )


@strawberry.input(
    description="Give an officer a new one-time password: their failed sign-ins are forgotten and every "
    "session of theirs ends."
)
class ResetOfficerPasswordInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device; sending it again resets nothing (and returns no password)."
    )
    officer_id: strawberry.ID = strawberry.field(description="The officer's global ID.")


@strawberry.input(description="Forget an officer's failed sign-ins: every device and address may try again.")
class UnlockOfficerInput:
    officer_id: strawberry.ID = strawberry.field(description="The officer's global ID.")


@strawberry.type(description="The result of administering an account.")
class OfficerPayload:
    officer: Officer | None = strawberry.field(description="The account; null when there are errors.")
    one_time_password: str | None = strawberry.field(
        default=None,
        description="createOfficer only: the one-time password, given this once (null on a retry): hand it "
        "to the officer, who must change it at first sign-in.",
    )
    current_version: int | None = strawberry.field(
        default=None, description="With CONFLICT: the account's version now."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")


@strawberry.type(description="The result of resetting an officer's password.")
class ResetOfficerPasswordPayload:
    officer: Officer | None = strawberry.field(description="The account; null when there are errors.")
    one_time_password: str | None = strawberry.field(
        description="The new one-time password, given this once (null on a retry of the same clientId)."
    )
    ended_sessions: int = strawberry.field(description="How many of the officer's sessions were ended.")
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")


def _payload(result: logic.AccountResult | None, errors: list[UserError], failure: Any) -> OfficerPayload:
    return OfficerPayload(
        officer=Officer.from_row(result.officer) if result is not None else None,
        one_time_password=result.one_time_password if result is not None else None,
        current_version=failure.current_version if failure is not None else None,
        errors=errors,
    )


@strawberry.type
class OfficerAdminQuery:
    @strawberry.field(
        description="Officers' accounts: all for admins, a commander's station's, a supervisor's "
        "governorates' (with their supervisors); FORBIDDEN for officers."
    )
    async def officers(
        self,
        info: strawberry.Info[Context],
        filter: OfficerFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> OfficerConnection:
        ctx = info.context
        position = None
        if after is not None:
            position = ids.int_key(after, "OfficerCursor")
            if position is None:
                raise InputError("after", message("bad_cursor", ctx.lang, field="after"))
        page = await logic.list_officers(
            ctx,
            first=first,
            after=position,
            station_id=_key(filter.station_id, "Station") if filter else None,
            roles=[r.value for r in (filter.roles or ())] if filter else (),
            active=filter.active if filter else None,
            search=filter.search if filter else None,
        )
        edges = [
            OfficerEdge(cursor=to_global_id("OfficerCursor", r.id), node=Officer.from_row(r))
            for r in page.rows
        ]
        return OfficerConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            count_args=page.count_args,
        )


@strawberry.type
class OfficerAdminMutation:
    @strawberry.mutation(description="Make an officer's account with a one-time password (returned once).")
    async def create_officer(
        self, info: strawberry.Info[Context], input: CreateOfficerInput
    ) -> OfficerPayload:
        ctx = info.context
        return _payload(
            *await run(
                ctx,
                lambda: logic.create_officer(
                    ctx,
                    input,
                    station_id=_key(input.station_id, "Station"),
                    governorates=_governorates(input.governorate_ids),
                ),
            )
        )

    @strawberry.mutation(description="Change an officer's role, station, governorates or active flag.")
    async def update_officer(
        self, info: strawberry.Info[Context], input: UpdateOfficerInput
    ) -> OfficerPayload:
        ctx = info.context
        return _payload(
            *await run(
                ctx,
                lambda: logic.update_officer(
                    ctx,
                    input,
                    officer_id=_key(input.officer_id, "Officer"),
                    station_id=_key(input.station_id, "Station"),
                    governorates=_governorates(input.governorate_ids),
                ),
            )
        )

    @strawberry.mutation(description="Give an officer a new one-time password; their sessions end.")
    async def reset_officer_password(
        self, info: strawberry.Info[Context], input: ResetOfficerPasswordInput
    ) -> ResetOfficerPasswordPayload:
        ctx = info.context
        result, errors, _ = await run(
            ctx,
            lambda: logic.reset_officer_password(ctx, input, officer_id=_key(input.officer_id, "Officer")),
        )
        return ResetOfficerPasswordPayload(
            officer=Officer.from_row(result.officer) if result is not None else None,
            one_time_password=result.one_time_password if result is not None else None,
            ended_sessions=result.ended_sessions if result is not None else 0,
            errors=errors,
        )

    @strawberry.mutation(description="Forget an officer's failed sign-ins, so that none has to wait.")
    async def unlock_officer(
        self, info: strawberry.Info[Context], input: UnlockOfficerInput
    ) -> OfficerPayload:
        ctx = info.context
        return _payload(
            *await run(ctx, lambda: logic.unlock_officer(ctx, officer_id=_key(input.officer_id, "Officer")))
        )
