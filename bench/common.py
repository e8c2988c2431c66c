"""Helpers shared by the benchmarks: output, the event loop, CPU readings, scratch databases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (field 3, the state, comes first)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


async def drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def clean_up(admin_url: str, name: str, url: str, workdir: Path, *, created: bool, keep: bool) -> None:
    """A benchmark's end: its scratch database dropped (or, with --keep, where it is said), its working
    folder removed. A failed drop is reported, not raised: the figures are already printed."""
    if created and not keep:
        try:
            run_async(drop_database(admin_url, name))
            say(f"\ndropped {name}")
        except Exception as error:  # report and go on
            say(f"could not drop {name}: {error}")
    elif created:
        say(f"\nkept {name}: {url}")
    shutil.rmtree(workdir, ignore_errors=True)


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


def start_markaz(
    markaz: Path, database_url: str, workdir: Path, port: int, taskset: str | None = None, **extra_env: str
) -> subprocess.Popen:
    """`markaz serve` on a loopback port for a benchmark: logging at WARNING, a signing key and data
    directory of its own, pinned to core 0 by `taskset` when given (the load generator then has core 1);
    returns once /readyz says ready. Its log goes to workdir/server.log and is quoted when it fails."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MARKAZ_LOG_LEVEL": "WARNING",
        "MARKAZ_DATA_DIR": str(workdir),
        "MARKAZ_SECRET_KEY": secrets.token_urlsafe(48),
        "MARKAZ_ENV": "development",
        **extra_env,
    }
    prefix = [taskset, "-c", "0"] if taskset else []
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        # A session of its own: stopped by its process group id, never by name.
        proc = subprocess.Popen(
            [*prefix, str(markaz), "serve", "--port", str(port)],
            env=env,
            cwd=Path(__file__).resolve().parents[1],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise BenchError(f"the server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                break
        if time.monotonic() - started > 120:
            stop_process_group(proc)
            raise BenchError(f"the server was not ready after 120 s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    say(
        f"  ready on port {port} in {time.monotonic() - started:.1f} s (pid {proc.pid}"
        + (", pinned to core 0)" if taskset else ", not pinned)")
    )
    return proc


def stop_process_group(proc: subprocess.Popen | None) -> None:
    """SIGTERM to a server's process group, SIGKILL after 25 s if it has not finished."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=25)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
