"""Headless Chromium (Debian's package) driven over the Chrome DevTools Protocol, for page tests.

    async with Browser.launch(tmp_path) as browser:
        page = await browser.new_page()
        await page.navigate("http://127.0.0.1:8000/map")
        count = await page.evaluate("document.querySelectorAll('path').length")
        png = await page.screenshot()

Only the protocol's plain JSON over a WebSocket (the `websockets` test dependency): no browser download,
no driver. Exceptions thrown in the page and CSP violations are collected in `page.problems`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import websockets

# As the machine's notes advise: without the background-networking flags Chromium keeps trying to reach
# Google's hosts, which this closed network refuses.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,800",
    "--remote-debugging-port=0",
]


def chromium_path() -> str | None:
    return os.environ.get("MARKAZ_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self.problems: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._dispatch()

    async def _dispatch(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            if "id" in message and message["id"] in self._waiting:
                self._waiting.pop(message["id"]).set_result(message)
            elif message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.problems.append(details.get("exception", {}).get("description") or details["text"])
            elif message.get("method") == "Log.entryAdded":
                entry = message["params"]["entry"]
                if entry["level"] == "error" and entry.get("source") in ("security", "javascript", "network"):
                    self.problems.append(f"{entry['source']}: {entry['text']}")

    async def send(self, method: str, **params: Any) -> dict:
        message_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        await self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("exception", {}).get("description"))
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 20.0) -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"still false after {seconds} s: {expression}")
            await asyncio.sleep(0.1)

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def screenshot(self) -> bytes:
        return base64.b64decode((await self.send("Page.captureScreenshot", format="png"))["data"])

    async def print_media(self, on: bool = True) -> None:
        """Lay the page out as the browser prints it (the print stylesheet), for a screenshot."""
        await self.send("Emulation.setEmulatedMedia", media="print" if on else "")

    async def pdf(self) -> bytes:
        """The page printed to PDF by Chromium, as the browser's print dialog saves it."""
        printed = await self.send("Page.printToPDF", printBackground=True, preferCSSPageSize=True)
        return base64.b64decode(printed["data"])

    async def printed_page(self, width_mm: float, height_mm: float) -> bytes:
        """One printed page's content box as PNG: the print stylesheet laid out at the page box's width
        (96 CSS px to the inch, as Chromium prints), no scrollbar. What `pdf()` puts on its first page,
        without a PDF rasteriser (pdftoppm is not on every machine). Leaves the viewport at that size."""
        width, height = round(width_mm * 96 / 25.4), round(height_mm * 96 / 25.4)
        await self.print_media()
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await self.send("Emulation.setScrollbarsHidden", hidden=True)
        await asyncio.sleep(0.2)  # the relayout at the new width
        shot = await self.send(
            "Page.captureScreenshot",
            format="png",
            clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        )
        return base64.b64decode(shot["data"])

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.socket.close()


class Browser:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port

    @classmethod
    @contextlib.asynccontextmanager
    async def launch(cls, profile: Path, *, flags: tuple[str, ...] = ()):
        executable = chromium_path()
        if executable is None:
            raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
        process = subprocess.Popen(  # noqa: ASYNC220 - Debian's chromium, fixed flags; started once
            [executable, *FLAGS, *flags, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            port = await asyncio.wait_for(asyncio.to_thread(cls._devtools_port, process), 60)
            yield cls(process, port)
        finally:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()

    @staticmethod
    def _devtools_port(process: subprocess.Popen) -> int:
        for line in process.stderr:  # type: ignore[union-attr]
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                return int(found.group(1))
        raise RuntimeError("chromium exited before listening for DevTools")

    async def new_page(self) -> Page:
        async with httpx.AsyncClient() as client:
            target = (await client.put(f"http://127.0.0.1:{self.port}/json/new?about:blank")).json()
        socket = await websockets.connect(target["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
        page = Page(socket)
        for domain in ("Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        return page
