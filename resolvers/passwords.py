"""Password hashing with argon2id (RFC 9106's second recommended parameters, sized for a 2-core server)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the badge does not exist, so an unknown badge takes as long as a wrong password.
_DUMMY = _HASHER.hash("markaz-no-such-officer")
MIN_LENGTH = 10
MAX_LENGTH = 256


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    if password.strip() != password or not password.strip():
        return "a password may not start or end with spaces"
    return None
