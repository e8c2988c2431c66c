"""Officers and sign-in: login, refreshSession, logout, me; and an officer's own sign-ins: changePassword,
mySessions, endSession."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import strawberry

from db.rows import OfficerRow
from resolvers import auth, officers, sessions
from resolvers import stations as station_logic
from resolvers.atomic import applied_whole
from resolvers.context import Context
from resolvers.ids import parse_global_id
from resolvers.mutation_errors import MutationFailed
from resolvers.policy import require_officer
from schema.common import UserError, user_errors
from schema.mutations import run
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
    version: int = strawberry.field(
        description="Bumped by every change to the account: send it as updateOfficer's `expectedVersion`."
    )
    must_change_password: bool = strawberry.field(
        description="True while the account has a one-time password (a new or reset account): until it "
        "is changed with changePassword, nothing else may be run (PASSWORD_CHANGE_REQUIRED)."
    )
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
            version=row.version,
            must_change_password=row.must_change_password,
            row=row,
        )

    @strawberry.field(description="The officer's station; null for supervisors and administrators.")
    async def station(self, info: strawberry.Info[Context]) -> Station | None:
        if self.row.station_id is None:
            return None
        from schema import loaders

        row = await loaders.station(info.context).load(self.row.station_id)  # one batch per list
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
    must_change_password: bool = strawberry.field(
        default=False,
        description="True when the password was a one-time password: change it with changePassword before "
        "anything else (every other operation is refused with PASSWORD_CHANGE_REQUIRED).",
    )
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
        must_change_password=bool(result.officer.must_change_password),
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


@strawberry.type(description="One sign-in of yours, on one device, from login until it ends or expires.")
class SignInSession:
    id: strawberry.ID = strawberry.field(description="Pass as `sessionId` to endSession.")
    device_id: str | None = strawberry.field(
        description="The device it was signed in on, as the app sent it (X-Device-Id); null when it sent "
        "none."
    )
    signed_in_at: datetime = strawberry.field(description="When it was signed in.")
    last_used_at: datetime = strawberry.field(description="When its tokens were last renewed (or signed in).")
    expires_at: datetime = strawberry.field(
        description="When it ends unless renewed sooner by refreshSession."
    )
    current: bool = strawberry.field(description="True for the session of this request.")
    ended_at: datetime | None = strawberry.field(description="When it was ended; null while it is live.")

    @classmethod
    def from_row(cls, row: Any, viewer: Any) -> SignInSession:
        return cls(
            id=strawberry.ID(to_global_id("SignInSession", row.id)),
            device_id=row.device_id,
            signed_in_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            current=row.id == viewer.session_id,
            ended_at=row.revoked_at,
        )


@strawberry.input(
    description="Change your password. Every other sign-in of yours ends; this one goes on. Wrong current "
    "passwords are throttled as wrong passwords at sign-in are."
)
class ChangePasswordInput:
    current_password: str = strawberry.field(description="Your password now.")
    new_password: str = strawberry.field(
        description="The new one: at least 15 characters, not a common or predictable password, not built on "
        "your badge number or name."
    )


@strawberry.type(description="The result of changing your password.")
class ChangePasswordPayload:
    officer: Officer | None = strawberry.field(description="You; null when there are errors.")
    ended_sessions: int = strawberry.field(description="How many other sign-ins of yours were ended.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


@strawberry.input(description="End one of your sign-ins (on a lost phone, say); this one too, like logout.")
class EndSessionInput:
    session_id: strawberry.ID = strawberry.field(description="A SignInSession's id, from mySessions.")


@strawberry.type(description="The result of ending a sign-in.")
class EndSessionPayload:
    session: SignInSession | None = strawberry.field(
        description="The session, ended; null when there are errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was ended; empty on success.")


def _session_key(value: str) -> uuid.UUID | None:
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != "SignInSession":
        return None
    try:
        return uuid.UUID(parsed[1])
    except ValueError:
        return None


@strawberry.type
class OfficerQuery:
    @strawberry.field(description="The signed-in officer; null for citizens.")
    async def me(self, info: strawberry.Info[Context]) -> Officer | None:
        row = await officers.me(info.context)
        return Officer.from_row(row) if row else None

    @strawberry.field(
        description="Your live sign-ins (not ended, not expired) and their devices, the most recently used "
        "first."
    )
    async def my_sessions(self, info: strawberry.Info[Context]) -> list[SignInSession]:
        ctx = info.context
        return [SignInSession.from_row(r, ctx.viewer) for r in await sessions.my_sessions(ctx)]


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

    @strawberry.mutation(description="Change your password; every other sign-in of yours ends.")
    async def change_password(
        self, info: strawberry.Info[Context], input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        ctx = info.context
        require_officer(ctx.viewer)
        try:
            # Not in one savepoint: the try is counted (and committed) before the password is checked,
            # whatever becomes of the request (resolvers/sessions.py).
            changed = await sessions.change_password(ctx, input.current_password, input.new_password)
        except MutationFailed as failure:
            return ChangePasswordPayload(officer=None, ended_sessions=0, errors=user_errors(failure.errors))
        return ChangePasswordPayload(
            officer=Officer.from_row(changed.officer), ended_sessions=changed.ended_sessions, errors=[]
        )

    @strawberry.mutation(description="End one of your sign-ins; its tokens stop working at once.")
    async def end_session(self, info: strawberry.Info[Context], input: EndSessionInput) -> EndSessionPayload:
        ctx = info.context
        ended, errors, _ = await run(ctx, lambda: sessions.end_session(ctx, _session_key(input.session_id)))
        return EndSessionPayload(
            session=SignInSession.from_row(ended, ctx.viewer) if ended is not None else None, errors=errors
        )


async def resolve_officer_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    rows = await officers.visible_officers(ctx, [int(k) for k in keys if k.isdigit() and len(k) <= 18])
    return {str(i): Officer.from_row(r) for i, r in rows.items()}
