"""Running a mutation's logic: whole or not at all, with expected failures as payload errors and
permission failures as top-level errors (docs/api.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from resolvers.atomic import applied_whole
from resolvers.context import Context
from resolvers.errors import Forbidden
from resolvers.mutation_errors import MutationFailed
from resolvers.policy import require_officer
from schema.common import UserError, user_errors

T = TypeVar("T")


async def run(
    ctx: Context, operation: Callable[[], Awaitable[T]], *, signed_in: bool = True
) -> tuple[T | None, list[UserError], MutationFailed | None]:
    """(result, [], None) on success; (None, errors, failure) on an expected failure.

    Citizens get UNAUTHENTICATED and a station outside the officer's scope FORBIDDEN, both top-level.
    """
    if signed_in:
        require_officer(ctx.viewer)
    try:
        return await applied_whole(ctx, operation), [], None
    except MutationFailed as failure:
        forbidden = [e for e in failure.errors if e.code == "FORBIDDEN"]
        if forbidden:
            raise Forbidden(forbidden[0].message) from None
        return None, user_errors(failure.errors), failure
