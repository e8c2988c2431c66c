"""Expected failures of mutations, returned in the payload's `errors` with a field path, a code and a
localized message (clients branch on the code, people read the message)."""

from __future__ import annotations

import dataclasses
from typing import NoReturn

from resolvers.messages import message


@dataclasses.dataclass(frozen=True, slots=True)
class FieldError:
    field: tuple[str, ...] | None
    code: str  # an ErrorCode name (schema.common.ErrorCode)
    message: str
    retry_after: int | None = None  # LIMIT_EXCEEDED: seconds until a try is allowed again


class MutationFailed(Exception):
    """Raised by logic to stop a mutation; the resolver turns it into payload errors, nothing is written."""

    def __init__(
        self, errors: list[FieldError], *, current_version: int | None = None, keep_writes: bool = False
    ) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors
        self.current_version = current_version
        # Some failures must leave a trace that outlives them: a counted failed login, a revoked session.
        self.keep_writes = keep_writes


class Collector:
    """Collects every problem of an input before failing, so the officer fixes them all at once."""

    def __init__(self, lang: str, prefix: tuple[str, ...] = ()) -> None:
        self.lang, self.prefix = lang, prefix
        self.errors: list[FieldError] = []

    def add(self, path: tuple[str, ...], key: str, code: str = "INVALID", **params: object) -> None:
        field = ".".join(path)
        text = message(key, self.lang, field=field, **params)
        self.errors.append(FieldError(self.prefix + path, code, text))

    def check(self) -> None:
        if self.errors:
            raise MutationFailed(self.errors)


def fail(
    lang: str,
    path: tuple[str, ...] | None,
    key: str,
    code: str = "INVALID",
    *,
    keep_writes: bool = False,
    current_version: int | None = None,
    retry_after: int | None = None,
    **params: object,
) -> NoReturn:
    field = ".".join(path) if path else ""
    raise MutationFailed(
        [FieldError(path, code, message(key, lang, field=field, **params), retry_after)],
        keep_writes=keep_writes,
        current_version=current_version,
    )
