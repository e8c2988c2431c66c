"""Helpers shared by the benchmarks: output, the event loop, CPU readings, scratch databases."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (field 3, the state, comes first)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


async def drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def postmaster_pid(url: str) -> int | None:
    """The postmaster's pid, as the parent of one of its backends; None when it is not on this machine."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        fields = stat_fields(await conn.fetchval("SELECT pg_backend_pid()"))
    finally:
        await conn.close()
    return int(fields[1]) if fields else None


async def recreate_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def run_async(coro: Awaitable[T]) -> T:
    """Run a coroutine on uvloop when it is installed (as uvicorn[standard] installs it): a cheaper client."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


def say(text: str = "") -> None:
    print(text, flush=True)
