"""`markaz serve --workers N`: worker processes sharing one port, each answering, all stopping on SIGTERM."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import psutil

from tests.servers import MarkazServer

GOVERNORATES = {"query": "query Governorates { governorates { code } }"}


def _answering_pids(log: str) -> set[int]:
    pids = set()
    for line in log.splitlines():
        if line.startswith("{") and '"event": "request"' in line:
            entry = json.loads(line)
            if entry.get("operation") == "Governorates" and entry.get("status") == 200:
                pids.add(entry["pid"])
    return pids


async def test_two_workers_answer_on_one_port_and_stop_on_sigterm(database_url: str, tmp_path: Path):
    server = MarkazServer(
        database_url,
        tmp_path / "workers",
        args=("--workers", "2"),
        env={"MARKAZ_LOG_FORMAT": "json", "MARKAZ_SECRET_KEY": "workers-test-secret-key-workers-test-key"},
    )
    try:
        await asyncio.to_thread(server.wait_ready)
        workers = psutil.Process(server.proc.pid).children()
        assert len([w for w in workers if "spawn_main" in " ".join(w.cmdline())]) == 2, workers
        # when: requests on fresh connections, many at once, until both workers have answered
        pids: set[int] = set()
        for _ in range(20):
            async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
                answers = await asyncio.gather(
                    *(
                        client.post("/graphql", json=GOVERNORATES, headers={"connection": "close"})
                        for _ in range(16)
                    )
                )
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
            pids = _answering_pids(server.log_path.read_text())
            if len(pids) >= 2:
                break
        # then
        assert len(pids) == 2 and server.proc.pid not in pids, (pids, server.output())
        # and on SIGTERM every process stops, the parent with status 0
        assert await asyncio.to_thread(server.stop) == 0, server.output()
        assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in pids)
        assert "Stopping parent process" in server.log_path.read_text()
    finally:
        await asyncio.to_thread(server.stop)


async def test_with_the_embedded_database_the_parent_starts_and_migrates_it_once(tmp_path: Path):
    # given no DATABASE_URL: the embedded PostgreSQL, in a data directory of the test's own
    server = MarkazServer(
        "", tmp_path / "embedded", args=("--workers", "2"), env={"MARKAZ_LOG_FORMAT": "json"}
    )
    try:
        await asyncio.to_thread(server.wait_ready, 240)
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
            answers = await asyncio.gather(
                *(
                    client.post("/graphql", json=GOVERNORATES, headers={"connection": "close"})
                    for _ in range(8)
                )
            )
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        assert await asyncio.to_thread(server.stop) == 0, server.output()
        # then the database was started and migrated by the parent alone, and stopped with it
        entries = [
            json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")
        ]
        started = {e["pid"] for e in entries if e["event"].startswith("embedded PostgreSQL ready")}
        migrated = {e["pid"] for e in entries if e["event"].startswith("Running upgrade")}
        assert started == migrated == {server.proc.pid}, server.output()
        pgdata = str(tmp_path / "embedded" / "pgdata")
        assert not any(pgdata in " ".join(p.info["cmdline"] or ()) for p in psutil.process_iter(["cmdline"]))
    finally:
        await asyncio.to_thread(server.stop)
