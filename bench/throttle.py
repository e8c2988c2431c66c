"""A throttling TCP proxy on loopback for the benchmarks: a slow mobile link between a client and a server.

Each direction is one link shared by every connection (one phone, one radio): a byte waits for the bytes
given to the link before it, is sent at the link's rate, and arrives a fixed one-way delay later (half the
added round trip). A new connection waits one round trip before its first byte goes (the TCP handshake).
The link buffers at most `buffer_bytes` not yet sent; beyond that the proxy stops reading, so the sender
feels the bottleneck as it would on a real network (its own socket buffer still fills).

Counted: the bytes each way that crossed the link, i.e. TCP payload (HTTP headers and bodies, compressed as
sent). Not modelled: TCP/IP and radio framing (some 3 to 5 % more), slow start, loss and retransmission.

`cut_after(n)` arms a dropped connection: once n more bytes have gone up, the connection carrying the n-th
byte is aborted on both sides (what was in the link and not yet delivered is lost, as on a radio drop).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field


@dataclass
class Link:
    """One direction: its rate (kbit/s, 1000 bits), its one-way delay, and what crossed it."""

    kbps: float
    delay: float
    buffer_bytes: int = 32 * 1024
    free_at: float = 0.0  # when the link has sent everything given to it so far
    carried: int = 0

    def seconds(self, n: int) -> float:
        return n * 8 / (self.kbps * 1000)

    def schedule(self, n: int) -> float:
        """Give n bytes to the link; the monotonic time at which they have arrived at the other end."""
        start = max(time.monotonic(), self.free_at)
        self.free_at = start + self.seconds(n)
        return self.free_at + self.delay

    def backlog(self) -> float:
        return self.free_at - time.monotonic()


@dataclass
class Proxy:
    """Listens on 127.0.0.1:`port` (0: any free one) and forwards to 127.0.0.1:`target`."""

    target: int
    up: Link
    down: Link
    rtt: float
    port: int = 0
    connections: int = 0
    _cut: int | None = None
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task] = field(default_factory=set)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):  # connections still open end as if the phone went away
            writer.transport.abort()
        await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), 10)
        if self._server is not None:
            await self._server.wait_closed()

    def cut_after(self, n: int) -> None:
        self._cut = self.up.carried + n

    @property
    def cut_pending(self) -> bool:
        return self._cut is not None

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.connections += 1
        server_writer = None
        self._open.add(client_writer)
        try:
            await asyncio.sleep(self.rtt)  # SYN, SYN-ACK: one round trip before the first byte goes
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target)
            self._open.add(server_writer)
            writers = (client_writer, server_writer)
            await asyncio.gather(
                self._pump(client_reader, server_writer, self.up, writers, cuts=True),
                self._pump(server_reader, client_writer, self.down, writers, cuts=False),
            )
        except (OSError, RuntimeError, asyncio.IncompleteReadError):
            pass  # a connection dropped (or cut): both ends are closed below
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    self._open.discard(writer)
                    writer.close()
                    with contextlib.suppress(Exception):
                        await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        link: Link,
        writers: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
        *,
        cuts: bool,
    ) -> None:
        """Bytes from reader to writer through the link, in segments of at most 1460 bytes (an Ethernet
        MSS), each delivered when the link says it has arrived."""
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                due, data = item
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if cuts and self._cut is not None and link.carried + len(data) >= self._cut:
                    data = data[: self._cut - link.carried]
                    writer.write(data)
                    link.carried += len(data)
                    self._cut = None
                    link.free_at = time.monotonic()  # what was still queued for the link is lost
                    for each in writers:  # the radio drops: both ends see the connection gone
                        each.transport.abort()
                    return
                writer.write(data)
                await writer.drain()
                link.carried += len(data)
            with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: uvloop's, once closed
                if writer.can_write_eof():
                    writer.write_eof()

        delivering = asyncio.ensure_future(deliver())
        try:
            while not delivering.done():
                if (full := link.backlog() - link.seconds(link.buffer_bytes)) > 0:
                    await asyncio.sleep(full)  # the link's buffer is full: stop reading until it drains
                try:
                    data = await reader.read(1460)
                except OSError:
                    data = b""
                if not data:
                    break
                queue.put_nowait((link.schedule(len(data)), data))
            queue.put_nowait(None)
            await delivering
        finally:
            delivering.cancel()
