"""Officers and sign-in: login, refreshSession, logout, me."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from db.rows import OfficerRow
from resolvers import auth, officers
from resolvers import stations as station_logic
from resolvers.atomic import applied_whole
from resolvers.context import Context
from resolvers.mutation_errors import MutationFailed
from schema.common import UserError, user_errors
from schema.node import Node, to_global_id
from schema.stations import Governorate, Station


@strawberry.enum(description="What an officer may do; see the README's permission table.")
class Role(enum.Enum):
    OFFICER = "OFFICER"
    STATION_COMMANDER = "STATION_COMMANDER"
    SUPERVISOR = "SUPERVISOR"
    ADMIN = "ADMIN"


@strawberry.enum(description="An officer's gender: the share of women officers in engagements is reported.")
class Gender(enum.Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"


@strawberry.type(description="A police officer with a Markaz account.")
class Officer(Node):
    badge_number: str = strawberry.field(description="The badge number, used to sign in.")
    name: str = strawberry.field(description="Full name.")
    rank: str | None = strawberry.field(description="Rank, as the Ministry writes it.")
    gender: Gender = strawberry.field(description="Gender.")
    role: Role = strawberry.field(description="Role, which decides what the officer may read and write.")
    active: bool = strawberry.field(description="False once the account is disabled.")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: OfficerRow) -> Officer:
        return cls(
            id=strawberry.ID(to_global_id("Officer", row.id)),
            badge_number=row.badge_number,
            name=row.name,
            rank=row.rank,
            gender=Gender(row.gender),
            role=Role(row.role),
            active=row.active,
            row=row,
        )

    @strawberry.field(description="The officer's station; null for supervisors and administrators.")
    async def station(self, info: strawberry.Info[Context]) -> Station | None:
        if self.row.station_id is None:
            return None
        rows = await station_logic.stations_by_ids(info.context, [self.row.station_id])
        row = rows.get(self.row.station_id)
        return Station.from_row(row, info.context.lang) if row else None

    @strawberry.field(description="Governorates a supervisor oversees.")
    async def governorates(self, info: strawberry.Info[Context]) -> list[Governorate]:
        known = await station_logic.governorates(info.context)
        codes = [c for c in self.row.governorates or () if c in known]
        return [Governorate.from_row(known[c], info.context.lang) for c in codes]


@strawberry.input(description="Sign in with a badge number and password.")
class LoginInput:
    badge_number: str = strawberry.field(description="The officer's badge number.")
    password: str = strawberry.field(description="The officer's password.")


@strawberry.input(description="Exchange a refresh token for new tokens; the old one stops working.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The refresh token from login or the last refresh.")


@strawberry.input(description="End the current sign-in.")
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="The session's refresh token, when no access token is sent."
    )


@strawberry.type(description="The result of signing in or refreshing.")
class LoginPayload:
    access_token: str | None = strawberry.field(description="Send as `Authorization: Bearer …`; short-lived.")
    refresh_token: str | None = strawberry.field(description="Keep safely; use once with refreshSession.")
    expires_at: datetime | None = strawberry.field(description="When the access token expires.")
    officer: Officer | None = strawberry.field(description="Who signed in.")
    errors: list[UserError] = strawberry.field(description="Why signing in failed; empty on success.")


@strawberry.type(description="The result of signing out.")
class LogoutPayload:
    ok: bool = strawberry.field(description="True when the session has ended.")
    errors: list[UserError] = strawberry.field(description="Why signing out failed; empty on success.")


def _login_payload(result: auth.Tokens) -> LoginPayload:
    return LoginPayload(
        access_token=result.access_token,
        refresh_token=result.refresh_token,
        expires_at=result.expires_at,
        officer=Officer.from_row(result.officer),
        errors=[],
    )


def _failed(failure: MutationFailed) -> LoginPayload:
    return LoginPayload(
        access_token=None,
        refresh_token=None,
        expires_at=None,
        officer=None,
        errors=user_errors(failure.errors),
    )


@strawberry.type
class OfficerQuery:
    @strawberry.field(description="The signed-in officer; null for citizens.")
    async def me(self, info: strawberry.Info[Context]) -> Officer | None:
        row = await officers.me(info.context)
        return Officer.from_row(row) if row else None


@strawberry.type
class OfficerMutation:
    @strawberry.mutation(
        description="Sign in. After repeated failures from one device or address, it must "
        "wait (LIMIT_EXCEEDED, with retryAfterSeconds) before trying again."
    )
    async def login(self, info: strawberry.Info[Context], input: LoginInput) -> LoginPayload:
        ctx = info.context
        try:
            # Not in the request's transaction: auth.login commits the count of the try before the
            # password is checked, whatever becomes of the request.
            return _login_payload(await auth.login(ctx, input.badge_number, input.password))
        except MutationFailed as failure:
            return _failed(failure)

    @strawberry.mutation(description="Rotate the refresh token; reusing an old one ends the whole session.")
    async def refresh_session(
        self, info: strawberry.Info[Context], input: RefreshSessionInput
    ) -> LoginPayload:
        ctx = info.context
        try:
            return _login_payload(await applied_whole(ctx, lambda: auth.refresh(ctx, input.refresh_token)))
        except MutationFailed as failure:
            return _failed(failure)

    @strawberry.mutation(description="End the current sign-in on this device.")
    async def logout(self, info: strawberry.Info[Context], input: LogoutInput) -> LogoutPayload:
        ctx = info.context
        try:
            await applied_whole(ctx, lambda: auth.logout(ctx, input.refresh_token))
        except MutationFailed as failure:
            return LogoutPayload(ok=False, errors=user_errors(failure.errors))
        return LogoutPayload(ok=True, errors=[])


async def resolve_officer_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    rows = await officers.visible_officers(ctx, [int(k) for k in keys if k.isdigit() and len(k) <= 18])
    return {str(i): Officer.from_row(r) for i, r in rows.items()}
