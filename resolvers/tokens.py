"""Signed access tokens (JWT, HS256) and opaque refresh tokens.

Access tokens live 15 minutes and name the officer and the sign-in session; every request also checks
in the database that the session is live and the officer active, so disabling an officer or changing
a password takes effect at once rather than when the token expires. Refresh tokens are random,
stored only as their SHA-256, and rotate on every use.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

ACCESS_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(days=30)
ALGORITHM = "HS256"
_ISSUER = "markaz"


class TokenError(Exception):
    """The token is not one of ours, or no longer valid."""


def bearer_token(authorization: object) -> str | None:
    """The token of an `Authorization: Bearer <token>` value (a header, or a WebSocket connection_init
    payload's field), or None when it is not one. The one place Markaz reads the header's form: HTTP,
    WebSocket, exports and the rate limits all ask here."""
    if not isinstance(authorization, str):
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def development_key(data_dir: Path) -> str:
    """A key made once and kept in the data directory, so development tokens survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def issue_access(
    key: str, *, officer_id: int, session_id: uuid.UUID, role: str, now: datetime | None = None
) -> tuple[str, datetime]:
    now = now or datetime.now(UTC)
    expires = now + ACCESS_TTL
    claims = {
        "iss": _ISSUER,
        "sub": str(officer_id),
        "sid": str(session_id),
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM), expires


def read_access(key: str, token: str) -> tuple[int, uuid.UUID]:
    """(officer id, session id) of a valid access token; TokenError otherwise (alg none included)."""
    try:
        claims = _claims(key, token)
        return int(claims["sub"]), uuid.UUID(claims["sid"])
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        raise TokenError(str(error)) from None


def access_expires_at(key: str, token: str) -> datetime:
    """When a valid access token expires (a WebSocket checked it once, and must end when it does)."""
    try:
        return datetime.fromtimestamp(int(_claims(key, token)["exp"]), UTC)
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        raise TokenError(str(error)) from None


def _claims(key: str, token: str) -> dict:
    return jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=_ISSUER,
        options={"require": ["exp", "iat", "sub", "sid", "iss"]},
    )


def new_refresh_token() -> tuple[str, bytes]:
    """A refresh token for the client and the hash we keep."""
    token = secrets.token_urlsafe(32)
    return token, refresh_hash(token)


def refresh_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
