"""Helpers for live-feed tests: Markaz servers as real processes, and a graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from schema.node import to_global_id

SECRET = "feed-tests-secret-key-feed-tests-secret-key"
FEED = """
subscription Feed($area: AreaInput, $layers: [ActivityLayer!], $after: String) {
  activityFeed(area: $area, layers: $layers, after: $after) {
    cursor layer occurredAt location { latitude longitude } station { id }
    incident { id category description } engagement { id kind } patrol { id }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`markaz serve` in a subprocess on a loopback port, against the given database."""

    def __init__(self, database_url: str, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        self.log = data_dir / f"server-{self.port}.log"
        environ = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MARKAZ_DATA_DIR": str(data_dir),
            "MARKAZ_SECRET_KEY": SECRET,
            "MARKAZ_LOG_LEVEL": "WARNING",
            **env,
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
                env=environ,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def post(server: Server, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            server.url + "/graphql", headers=headers, json={"query": query, "variables": variables or {}}
        )
    assert response.status_code == 200, response.text
    return response.json()


@contextlib.contextmanager
def running(database_url: str, data_dir: Path) -> Iterator[Server]:
    """`markaz serve` started, ready, and stopped at the end."""
    started = Server(database_url, data_dir)
    try:
        started.wait_ready()
        yield started
    finally:
        started.stop()


async def login(server: Server, badge: str, password: str) -> str:
    body = await post(server, LOGIN, {"i": {"badgeNumber": badge, "password": password}})
    assert body["data"]["login"]["errors"] == [], body
    return body["data"]["login"]["accessToken"]


LOGIN = "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { message } } }"
REPORT = """mutation($i: ReportIncidentInput!) {
  reportIncident(input: $i) { incident { id } errors { field code message } } }"""
ENGAGE = """mutation($i: LogEngagementInput!) {
  logEngagement(input: $i) { engagement { id } errors { field code message } } }"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def report_incident(
    server: Server, token: str, station_id: int, latitude: float, longitude: float, category: str = "THEFT"
) -> str:
    body = await post(
        server,
        REPORT,
        {
            "i": {
                "clientId": str(uuid.uuid4()),
                "category": category,
                "description": "seen in a test",
                "location": {"latitude": latitude, "longitude": longitude},
                "occurredAt": _now(),
                "stationId": to_global_id("Station", station_id),
            }
        },
        token,
    )
    assert body.get("errors") is None and body["data"]["reportIncident"]["errors"] == [], body
    return body["data"]["reportIncident"]["incident"]["id"]


async def log_engagement(
    server: Server, token: str, station_id: int, latitude: float, longitude: float
) -> str:
    body = await post(
        server,
        ENGAGE,
        {
            "i": {
                "clientId": str(uuid.uuid4()),
                "kind": "MARKET_WALK",
                "location": {"latitude": latitude, "longitude": longitude},
                "occurredAt": _now(),
                "stationId": to_global_id("Station", station_id),
            }
        },
        token,
    )
    assert body.get("errors") is None and body["data"]["logEngagement"]["errors"] == [], body
    return body["data"]["logEngagement"]["engagement"]["id"]


class FeedClient:
    """A graphql-transport-ws client over one WebSocket."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self._ids = iter(range(1, 1_000_000))

    @classmethod
    async def connect(cls, server: Server, token: str | None, payload: dict | None = None) -> FeedClient:
        socket = await websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"])
        client = cls(socket)
        init = payload if payload is not None else ({"Authorization": f"Bearer {token}"} if token else {})
        await client.send({"type": "connection_init", "payload": init})
        return client

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, wait: float = 10.0) -> dict:
        return json.loads(await asyncio.wait_for(self.socket.recv(), wait))

    async def subscribe(self, variables: dict | None = None, query: str = FEED) -> str:
        operation_id = str(next(self._ids))
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id

    async def close(self) -> None:
        await self.socket.close()
