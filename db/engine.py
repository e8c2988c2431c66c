"""Engine and session factory. Made by the app's lifespan or a CLI command, never at import time."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.audit import KEY_INFO

# How long to wait for a connection from a full pool, and for a new connection's set-up, by default.
TIMEOUT_S = 5.0


def make_engine(
    url: str,
    *,
    pool_size: int = 40,
    echo: bool = False,
    pre_ping: bool = False,
    statement_timeout_ms: int = 0,
    timeout_s: float = TIMEOUT_S,
    command_timeout_s: float | None = None,
) -> AsyncEngine:
    """An asyncpg engine. JIT is off: our statements are short, and JIT start-up costs more than it saves.

    `statement_timeout_ms` (0: none) makes PostgreSQL cancel any statement that runs longer, so one slow
    query cannot hold a connection of the pool (and the request waiting on it) indefinitely.

    A database that stops answering altogether (its processes stopped, its host hung, a network that
    drops without resetting) cancels nothing, so the client gives up by itself: after `timeout_s` waiting
    for a connection from a full pool or for a new one to be set up, and after `command_timeout_s` (None:
    never) waiting for any one command's answer. Each is a TimeoutError, which db.faults counts as
    unavailable: the request answers 503.
    """
    server_settings = {"jit": "off", "application_name": "markaz"}
    if statement_timeout_ms:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    connect_args: dict = {"server_settings": server_settings, "timeout": timeout_s}
    if command_timeout_s is not None:
        connect_args["command_timeout"] = command_timeout_s
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        # Connections beyond the pool are closed when returned: with more concurrent requests than the
        # pool holds, every request would open and close one. A pool as large as the usual concurrency
        # (PostgreSQL's default max_connections is 100) and a small overflow avoid that churn.
        max_overflow=10,
        # No ping before every checkout: it costs a round trip per request. A connection broken by a
        # database restart fails its statement, SQLAlchemy sees a disconnect and drops every pooled
        # connection made before it, and the request is run once more when nothing was committed
        # (api/graphql_http.py, db/faults.py).
        # bench/pre_ping.py measures what the ping would cost (`pre_ping=True`).
        pool_pre_ping=pre_ping,
        # Fail fast while the database is down or swamped: a request waits at most this long for a
        # connection from a full pool, and for a new connection as long, then gets a 503.
        pool_timeout=timeout_s,
        pool_recycle=1800,
        echo=echo,
        # Statement parameters (passwords' hashes, incident descriptions) stay out of error messages, and
        # so out of logs.
        hide_parameters=True,
        connect_args=connect_args,
        # JSONB (opening hours, closures, people) is decoded on every station read: orjson is faster.
        json_deserializer=orjson.loads,
        json_serializer=lambda value: orjson.dumps(value).decode(),
    )
    event.listen(engine.sync_engine, "handle_error", _drop_when_unanswered)
    return engine


def _drop_when_unanswered(context: ExceptionContext) -> None:
    """A command the database did not answer in time (or that its caller stopped waiting for, e.g. the
    rate limiter's store under its own timeout): its connection is in an unknown state, so it is dropped
    at once (a polite close would wait on the same silent server, two seconds more), and only it: the
    pool's other connections may well be fine once the server answers again."""
    unanswered = isinstance(context.original_exception, TimeoutError | asyncio.CancelledError)
    if not unanswered or context.connection is None:
        return
    context.is_disconnect = True
    context.invalidate_pool_on_disconnect = False
    with contextlib.suppress(Exception):
        context.connection.connection.driver_connection.terminate()  # type: ignore[union-attr]


def make_sessionmaker(
    bind: AsyncEngine | AsyncConnection, *, audit_key: bytes | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions; with `audit_key`, ones that can append to the audit chain (db/audit.py)."""
    info = {KEY_INFO: audit_key} if audit_key else None
    return async_sessionmaker(bind=bind, expire_on_commit=False, autoflush=False, info=info)


def give_audit_key(maker: async_sessionmaker[AsyncSession], audit_key: bytes | None) -> None:
    """Make a sessionmaker made elsewhere (a test's) write the audit chain with `audit_key`, unless it
    already has a key of its own."""
    info = maker.kw.get("info") or {}
    if audit_key and KEY_INFO not in info:
        maker.configure(info={**info, KEY_INFO: audit_key})


def make_reader(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for read-only requests, in autocommit: no BEGIN and ROLLBACK around a single SELECT."""
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


def async_url(url: str) -> str:
    """SQLAlchemy's asyncpg URL for a plain PostgreSQL URL (postgres://, postgresql://)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://user@host:port/db)")
