"""Telling "the database cannot be reached now" apart from every other error.

A restart, a failover or a full connection table is not a bug: clients get 503 with Retry-After and
the code DATABASE_UNAVAILABLE, and try again, instead of a 500. SQLAlchemy wraps driver errors in its
own, and some (a refused connection) come through bare, so the whole chain of causes is looked at.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc

# SQLSTATEs of a server that is going away or not there yet: admin_shutdown, crash_shutdown,
# cannot_connect_now, too_many_connections, and class 08 (connection exceptions).
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_CLOSED_TEXT = ("connection is closed", "connection was closed", "underlying connection is closed")


def is_unavailable(error: BaseException | None) -> bool:
    """True when `error`, or anything that caused it, means the database is unreachable for now."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _unavailable_itself(error):
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


def _unavailable_itself(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True  # SQLAlchemy judged it a disconnect and threw the connection away
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):
        return True  # no connection free in the pool in time, or a pool-level disconnect
    if isinstance(error, exc.PendingRollbackError) and "invalid transaction" in str(error):
        return True  # a later statement on a session whose connection was lost earlier in the request
    if isinstance(
        error,
        ConnectionError
        | TimeoutError
        | asyncpg.PostgresConnectionError
        | asyncpg.ConnectionDoesNotExistError,
    ):
        return True
    if isinstance(error, OSError) and error.errno is not None:
        return True  # refused, unreachable, reset: the socket layer
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str) and (state in _UNAVAILABLE_STATES or state.startswith("08")):
        return True
    if isinstance(error, asyncpg.InterfaceError | exc.InterfaceError):
        text = str(error)
        return any(part in text for part in _CLOSED_TEXT)
    return False


def is_stale_connection(error: BaseException | None) -> bool:
    """True when a pooled connection turned out closed by the server (it restarted since the connection
    was made): SQLAlchemy has thrown it and the pool's older connections away, so trying again connects
    afresh."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
    return False
