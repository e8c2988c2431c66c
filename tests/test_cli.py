"""End-to-end tests of the `markaz` command line: real processes, a real PostgreSQL, no mocks.

`stations import`, `seed` and `migrate` run against a fresh database made for each test on the server the
other tests use (the session's embedded PostgreSQL, or TEST_DATABASE_URL's server). `serve --demo` runs
with no DATABASE_URL, so it starts its own embedded PostgreSQL in a temporary MARKAZ_DATA_DIR, which a
`stations import` run beside it joins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest

from db import embedded
from resolvers.demo.stations import MODEL_STATIONS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MARKAZ = [sys.executable, "-m", "api.cli"]
GRAPHQL_HEADERS = {"accept": "application/graphql-response+json", "accept-language": "en"}


def _env(*, database_url: str | None, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "MARKAZ_DATA_DIR", "MARKAZ_SECRET_KEY", "MARKAZ_PASSWORD")
    }
    env.update(MARKAZ_DATA_DIR=str(data_dir), MARKAZ_ENV="development", PYTHONUNBUFFERED="1")
    env.update(extra)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def markaz(
    *args: str, database_url: str | None, data_dir: Path, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `markaz ARGS` to completion and return its exit status and output; `env`: more variables."""
    return subprocess.run(
        [*MARKAZ, *args],
        cwd=ROOT,
        env=_env(database_url=database_url, data_dir=data_dir, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@pytest.fixture
async def fresh_database(server_url: str) -> Any:
    """A new, empty (not even migrated) database on the test server, dropped afterwards."""
    name = f"markaz_cli_{uuid.uuid4().hex[:10]}"
    url = await embedded.ensure_database(server_url, name)
    yield url
    conn = await asyncpg.connect(embedded.with_database(server_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _stations(url: str) -> dict[str, tuple[str | None, str | None]] | None:
    """external_id -> (name_en, name_ar) of every station; None when the table does not exist yet."""
    conn = await asyncpg.connect(url)
    try:
        if await conn.fetchval("SELECT to_regclass('stations')") is None:
            return None
        rows = await conn.fetch("SELECT external_id, name_en, name_ar FROM stations")
    finally:
        await conn.close()
    by_id = {r["external_id"]: (r["name_en"], r["name_ar"]) for r in rows}
    assert len(by_id) == len(rows), "duplicate external ids"
    return by_id


async def _counts(url: str, *tables: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in tables}  # noqa: S608 - fixed names
    finally:
        await conn.close()


# --- markaz stations import ----------------------------------------------------------------------------


async def _audited(url: str, action: str) -> list[Any]:
    """The audit entries of one action, oldest first (an empty list when the log does not exist yet)."""
    conn = await asyncpg.connect(url)
    try:
        if await conn.fetchval("SELECT to_regclass('audit_log')") is None:
            return []
        rows = await conn.fetch(
            "SELECT entity_type, entity_id, officer_id, before, after FROM audit_log WHERE action = $1 "
            "ORDER BY id",
            action,
        )
    finally:
        await conn.close()
    return [
        {**dict(r), "before": r["before"] and json.loads(r["before"]), "after": json.loads(r["after"])}
        for r in rows
    ]


@dataclass(frozen=True)
class Sample:
    file: str
    unit: str  # how the command names a row: "line" (CSV) or "feature" (GeoJSON)
    bad_where: str  # how the command names the bad row: its number, and a feature's id
    problems: tuple[tuple[str, str], ...]  # (field, a word of the reason) of each problem of the bad row
    good_ids: frozenset[str]
    bad_id: str
    renamed: tuple[str, str]  # (old, new) English name of a good station, changed in the modified copy
    fixes: tuple[tuple[str, str], ...]  # text replacements that make the bad row good


SAMPLES = [
    Sample(
        "stations_sample.csv",
        "line",
        "line 7",
        (("services", "PASSPORTS"), ("hours[0].closes", "25:00")),
        frozenset({"NI-MOS-001", "AR-ERB-001", "NA-NAJ-001", "BG-KRD-001", "BA-BAS-001"}),
        "DQ-NAS-001",
        ("Al-Zuhour Police Station", "Al-Zuhour Community Police Station"),
        ((";PASSPORTS", ""), ("08:00-25:00", "08:00-15:00")),
    ),
    Sample(
        "stations_sample.geojson",
        "feature",
        "feature 5 (BA-BAS-101)",
        (("closures[0].starts_at", "offset"),),
        frozenset({"NI-MOS-101", "AR-ERB-101", "NA-NAJ-101", "KA-KAR-101"}),
        "BA-BAS-101",
        ("Al-Maidan Police Station", "Al-Maidan Community Police Station"),
        (('"2025-06-01T08:00:00"', '"2025-06-01T08:00:00+03:00"'),),
    ),
]


def _problem_lines(sample: Sample, stderr: str, name: str | None = None) -> list[str]:
    """The lines reporting a bad row ("FILE: line N: FIELD: reason"), checked against the sample."""
    name = name or sample.file
    row_line = re.compile(rf"{re.escape(name)}: {sample.unit} \d+( \([^)]+\))?: ")
    lines = [line for line in stderr.splitlines() if row_line.match(line)]
    assert len(lines) == len(sample.problems), stderr
    for field, word in sample.problems:
        prefix = f"{name}: {sample.bad_where}: {field}: "
        matching = [line for line in lines if line.startswith(prefix)]
        assert len(matching) == 1 and word in matching[0], (prefix, stderr)
        assert len(matching[0]) > len(prefix) + 10, f"no reason given: {matching[0]!r}"
    return lines


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.file.rsplit(".", 1)[1])
async def test_stations_import(sample: Sample, fresh_database: str, tmp_path: Path) -> None:
    url, path, good = fresh_database, DATA / sample.file, len(sample.good_ids)
    bad = len(sample.problems)

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            markaz, "stations", "import", *args, database_url=url, data_dir=tmp_path
        )

    # A dry run on a database never migrated: migrates, counts exactly, writes no station.
    result = await run(str(path), "--dry-run")
    assert result.returncode == 1, _report(result)
    _problem_lines(sample, result.stderr)
    assert (
        f"{good} good row(s): would insert {good}, would update 0, unchanged 0; {bad} problem(s)"
        in result.stdout
    )
    assert "dry run: nothing written" in result.stdout
    assert await _stations(url) == {}
    assert await _audited(url, "station_imported") == []

    # --strict: the problems are reported and nothing is imported.
    result = await run(str(path), "--strict")
    assert result.returncode == 1, _report(result)
    _problem_lines(sample, result.stderr)
    assert "nothing imported" in result.stderr
    assert await _stations(url) == {}
    assert await _audited(url, "station_imported") == []

    # The import: good rows are written, the bad one is reported and skipped, the exit status is 1.
    result = await run(str(path))
    assert result.returncode == 1, _report(result)
    _problem_lines(sample, result.stderr)
    assert f"{good} good row(s): inserted {good}, updated 0, unchanged 0; {bad} problem(s)" in result.stdout
    imported = await _stations(url)
    assert imported is not None and set(imported) == sample.good_ids
    old_name, new_name = sample.renamed
    assert old_name in {en for en, _ in imported.values()}
    # Each station written has its audit entry: none before it, who ran the command, from which file.
    entries = await _audited(url, "station_imported")
    assert {e["after"]["externalId"] for e in entries} == sample.good_ids and len(entries) == good
    conn = await asyncpg.connect(url)
    try:
        ids = {str(r["id"]) for r in await conn.fetch("SELECT id FROM stations")}
    finally:
        await conn.close()
    assert {e["entity_id"] for e in entries} == ids and {e["entity_type"] for e in entries} == {"Station"}
    assert all(e["before"] is None and e["officer_id"] is None for e in entries)
    assert all(e["after"]["by"].startswith("markaz stations import (system user ") for e in entries)
    assert {e["after"]["file"] for e in entries} == {str(path)}
    assert old_name in {e["after"]["names"]["en"] for e in entries}

    # A dry run now finds every good row unchanged and still writes nothing.
    result = await run(str(path), "--dry-run")
    assert result.returncode == 1, _report(result)
    assert f"would insert 0, would update 0, unchanged {good}; {bad} problem(s)" in result.stdout
    assert await _stations(url) == imported
    assert len(await _audited(url, "station_imported")) == good  # a dry run audits nothing

    # --strict with a bad row leaves the imported stations as they are.
    renamed_text = path.read_text(encoding="utf-8").replace(old_name, new_name)
    assert renamed_text.count(new_name) == 1
    renamed = tmp_path / f"renamed{path.suffix}"
    renamed.write_text(renamed_text, encoding="utf-8")
    result = await run(str(renamed), "--strict")
    assert result.returncode == 1, _report(result)
    _problem_lines(sample, result.stderr, renamed.name)
    assert await _stations(url) == imported

    # Re-importing a modified copy updates by external id: the renamed station changes, none is doubled.
    result = await run(str(renamed))
    assert result.returncode == 1, _report(result)
    assert (
        f"{good} good row(s): inserted 0, updated 1, unchanged {good - 1}; {bad} problem(s)" in result.stdout
    )
    after = await _stations(url)
    assert after is not None and set(after) == sample.good_ids
    assert {en for en, _ in after.values()} == {en for en, _ in imported.values()} - {old_name} | {new_name}
    # Only the station that changed is audited again, with what it was and what it became.
    entries = await _audited(url, "station_imported")
    assert len(entries) == good + 1, entries  # the strict run before wrote nothing, nor audited
    renamed_entry = entries[-1]
    assert renamed_entry["before"]["names"]["en"] == old_name
    assert renamed_entry["after"]["names"]["en"] == new_name
    assert renamed_entry["after"]["file"] == str(renamed) and renamed_entry["after"]["version"] == 2

    # With the bad row corrected, the file imports cleanly: that row is inserted, the rest left as they are.
    fixed_text = renamed_text
    for old, new in sample.fixes:
        assert fixed_text.count(old) == 1, old
        fixed_text = fixed_text.replace(old, new)
    fixed = tmp_path / f"fixed{path.suffix}"
    fixed.write_text(fixed_text, encoding="utf-8")
    result = await run(str(fixed), "--strict")
    assert result.returncode == 0, _report(result)
    assert f"{good + 1} good row(s): inserted 1, updated 0, unchanged {good}; 0 problem(s)" in result.stdout
    assert not re.search(rf"{sample.unit} \d+( \([^)]+\))?: ", result.stderr), result.stderr
    final = await _stations(url)
    assert final is not None and set(final) == sample.good_ids | {sample.bad_id}
    entries = await _audited(url, "station_imported")
    assert len(entries) == good + 2 and entries[-1]["before"] is None
    assert entries[-1]["after"]["externalId"] == sample.bad_id
    # and the chain of those entries verifies
    verified = await asyncio.to_thread(markaz, "audit", "verify", database_url=url, data_dir=tmp_path)
    assert verified.returncode == 0 and "audit log intact" in verified.stdout, _report(verified)


# --- markaz seed --demo ----------------------------------------------------------------------------------

_FIELDWORK = ("officers", "patrols", "engagements", "incidents")


async def test_seed_demo_ten_thousand_stations(fresh_database: str, tmp_path: Path) -> None:
    url = fresh_database
    started = time.monotonic()
    result = await asyncio.to_thread(
        markaz, "seed", "--demo", "--stations", "10000", database_url=url, data_dir=tmp_path, timeout=180
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, _report(result)
    assert elapsed < 60, f"seeding 10,000 stations took {elapsed:.1f} s"
    total = len(MODEL_STATIONS) + 10_000
    # Progress on standard error: several steps of the station count, ending at the total.
    steps = [int(m[1]) for m in re.finditer(rf"stations: (\d+)/{total}\b", result.stderr)]
    assert len(steps) >= 3 and steps == sorted(steps) and steps[-1] == total, result.stderr
    assert f"stations inserted: {total}, stations updated: 0" in result.stdout
    assert "Demo accounts" in result.stdout

    stations = await _stations(url)
    assert stations is not None and len(stations) == total
    models = {r.external_id for r in MODEL_STATIONS}
    assert len(models) == 6 and models <= set(stations)
    conn = await asyncpg.connect(url)
    try:
        model_flags = await conn.fetchval("SELECT count(*) FROM stations WHERE is_model_station")
    finally:
        await conn.close()
    assert model_flags == 6
    fieldwork = await _counts(url, *_FIELDWORK)
    assert all(fieldwork.values()), fieldwork

    # The same seed again: every station is updated in place, nothing is added.
    result = await asyncio.to_thread(
        markaz, "seed", "--demo", "--stations", "10000", database_url=url, data_dir=tmp_path, timeout=180
    )
    assert result.returncode == 0, _report(result)
    assert f"stations inserted: 0, stations updated: {total}" in result.stdout
    assert await _stations(url) == stations
    assert await _counts(url, *_FIELDWORK) == fieldwork


# --- markaz migrate --check ------------------------------------------------------------------------------


async def test_migrate_check_on_fresh_database(fresh_database: str, tmp_path: Path) -> None:
    result = await asyncio.to_thread(
        markaz, "migrate", "--check", database_url=fresh_database, data_dir=tmp_path
    )
    assert result.returncode == 0, _report(result)
    assert re.search(r"database at revision \S+", result.stdout), _report(result)
    assert await _stations(fresh_database) == {}


# --- markaz serve --demo with the embedded database ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """Running PostgreSQL processes whose command line names `pgdata`."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            cmdline = proc.info["cmdline"] or []
            if "postgres" in (proc.info["name"] or "") and any(str(pgdata) in part for part in cmdline):
                found.append(proc)
    return found


def _wait_until_gone(pgdata: Path, timeout: float = 15) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := _postgres_processes(pgdata)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


class Served:
    """A `markaz serve` process on a free port, its output in files."""

    def __init__(self, data_dir: Path, log_dir: Path, name: str, *args: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout_path, self.stderr_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.proc = subprocess.Popen(
                [*MARKAZ, "serve", "--port", str(self.port), *args],
                cwd=ROOT,
                env=_env(database_url=None, data_dir=data_dir),
                stdout=out,
                stderr=err,
            )

    def output(self) -> str:
        return (
            f"exit {self.proc.poll()}\n--- stdout\n{self.stdout_path.read_text()[-3000:]}"
            f"\n--- stderr\n{self.stderr_path.read_text()[-6000:]}"
        )

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"markaz serve exited early\n{self.output()}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            time.sleep(0.25)
        pytest.fail(f"markaz serve not ready after {timeout} s\n{self.output()}")

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=GRAPHQL_HEADERS,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"markaz serve did not stop within {timeout} s of SIGTERM\n{self.output()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def serve_dirs() -> Iterator[tuple[Path, Path, list[Served]]]:
    """A MARKAZ_DATA_DIR and a log directory; every server started, and its PostgreSQL, is killed after."""
    # Short and outside pytest's basetemp: PostgreSQL's socket lives in the data directory.
    root = Path(tempfile.mkdtemp(prefix="markaz-cli-"))
    data_dir, log_dir = root / "data", root / "logs"
    log_dir.mkdir()
    servers: list[Served] = []
    yield data_dir, log_dir, servers
    for server in servers:
        server.kill()
    for proc in _postgres_processes(data_dir / "pgdata"):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    shutil.rmtree(root, ignore_errors=True)


NEAREST = """
query Nearest($near: GeoPointInput!) {
  nearestStations(near: $near, first: 3) { distanceMeters station { name isModelStation } }
}"""
SEARCH = """
query Search($search: String) {
  stations(search: $search, first: 5) { totalCount edges { node { name phone } } }
}"""
CHECK_STATION = "Markaz Command Line Check Station"
CHECK_CSV = (
    "external_id,name_ar,name_en,governorate,latitude,longitude,phone,services,hours\n"
    f"CLI-CHECK-001,مركز شرطة الفحص,{CHECK_STATION},IQ-NI,36.3310,43.1050,+964 770 999 0001,"
    "COMMUNITY_POLICING;CRIME_REPORTING,Sun-Thu 08:00-14:00\n"
)


def _officer_day(server: Served) -> None:
    """The README's officer's day, docs/walkthrough/officer-day.sh as printed there, against a demo server:
    a demo officer signs in, starts a patrol, syncs a queued batch and sends it again."""
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the walkthrough needs {', '.join(missing)}")
    day = subprocess.run(
        ["bash", "docs/walkthrough/officer-day.sh"],
        cwd=ROOT,
        env={**os.environ, "API": f"{server.base}/graphql"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert day.returncode == 0, day.stdout + day.stderr
    started, *results = [json.loads(line) for line in day.stdout.splitlines()]
    assert started["data"]["startPatrol"]["errors"] == [], started
    assert started["data"]["startPatrol"]["patrol"]["status"] == "ACTIVE"
    kinds = ["appendPatrolTrack", "logEngagement", "reportIncident", "endPatrol"]
    assert results[:4] == [{"kind": kind, "status": "APPLIED", "errors": []} for kind in kinds], day.stdout
    assert results[4:] == [{"kind": kind, "status": "DUPLICATE"} for kind in kinds], day.stdout


def test_serve_demo_embedded_database(serve_dirs: tuple[Path, Path, list[Served]]) -> None:
    data_dir, log_dir, servers = serve_dirs
    pgdata = data_dir / "pgdata"
    thaqafa = next(r for r in MODEL_STATIONS if "thaqafa" in (r.external_id or ""))
    near = {"latitude": thaqafa.latitude + 0.0045, "longitude": thaqafa.longitude - 0.003}  # about 600 m

    # No DATABASE_URL: the embedded PostgreSQL starts under MARKAZ_DATA_DIR and the demo data is seeded.
    server = Served(data_dir, log_dir, "first", "--demo")
    servers.append(server)
    server.wait_ready()
    assert _postgres_processes(pgdata), "no embedded PostgreSQL running for the data directory"
    nearest = server.graphql(NEAREST, {"near": near})["nearestStations"]
    assert nearest[0]["station"]["name"] == thaqafa.names["en"], nearest
    assert nearest[0]["station"]["isModelStation"] is True
    assert nearest[0]["distanceMeters"] < 1000, nearest
    seeded = server.graphql(SEARCH)["stations"]["totalCount"]
    assert seeded >= len(MODEL_STATIONS)
    _officer_day(server)

    # A command run beside the server joins the same embedded database.
    check_file = log_dir / "check.csv"
    check_file.write_text(CHECK_CSV, encoding="utf-8")
    result = markaz("stations", "import", str(check_file), database_url=None, data_dir=data_dir)
    assert result.returncode == 0, _report(result)
    assert "1 good row(s): inserted 1, updated 0, unchanged 0; 0 problem(s)" in result.stdout
    assert server.proc.poll() is None and _postgres_processes(pgdata), "the import stopped the database"
    found = server.graphql(SEARCH, {"search": "Command Line Check"})["stations"]
    assert found["totalCount"] == 1 and found["edges"][0]["node"]["name"] == CHECK_STATION, found
    assert server.graphql(SEARCH)["stations"]["totalCount"] == seeded + 1

    # SIGTERM: a graceful stop, exit status 0, and the embedded PostgreSQL stops with the last user.
    assert server.terminate() == 0, server.output()
    left = _wait_until_gone(pgdata)
    assert not left, f"PostgreSQL still running after the server stopped: {[p.pid for p in left]}"

    # Started again on the same data directory: the data is kept and --demo does not seed a second time.
    again = Served(data_dir, log_dir, "second", "--demo")
    servers.append(again)
    again.wait_ready()
    assert again.graphql(SEARCH)["stations"]["totalCount"] == seeded + 1
    found = again.graphql(SEARCH, {"search": "Command Line Check"})["stations"]
    assert found["totalCount"] == 1, found
    nearest = again.graphql(NEAREST, {"near": near})["nearestStations"]
    assert nearest[0]["station"]["name"] == thaqafa.names["en"], nearest
    assert again.terminate() == 0, again.output()
    assert not _wait_until_gone(pgdata)


# --- one-line errors: bad settings, an unreachable database, a reader that went away ---------------------


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command failed with one line on standard error (no traceback) and returns that line."""
    assert result.returncode != 0, _report(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, _report(result)
    return lines[0]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("nonsense", "DATABASE_URL must be a PostgreSQL URL"),
        ("postgresql://markaz:s3cret-pw@127.0.0.1:notaport/markaz", "DATABASE_URL is not a valid URL"),
        ("postgresql://markaz:s3cret-pw@[::1/markaz", "DATABASE_URL is not a valid URL"),
        ("postgresql://markaz:s3cret-pw@127.0.0.1:70000/markaz", "DATABASE_URL is not a valid URL"),
    ],
)
@pytest.mark.parametrize("command", [("migrate",), ("users", "list"), ("serve",)], ids=" ".join)
def test_an_unparsable_database_url_is_one_line(
    url: str, says: str, command: tuple[str, ...], tmp_path: Path
) -> None:
    started = time.monotonic()
    line = _one_line(markaz(*command, database_url=url, data_dir=tmp_path, timeout=60))
    assert says in line and "s3cret-pw" not in line, line
    assert time.monotonic() - started < 15


def _closed_port() -> int:
    """A loopback port nothing listens on (so a connection is refused at once)."""
    return _free_port()


@pytest.mark.parametrize("command", [("migrate",), ("users", "list"), ("audit", "verify")], ids=" ".join)
def test_an_unreachable_database_is_one_line_within_seconds(command: tuple[str, ...], tmp_path: Path) -> None:
    # Refused: said at once, not after the server's 18 s of start-up waiting.
    url = f"postgresql://markaz:s3cret-pw@127.0.0.1:{_closed_port()}/markaz"
    started = time.monotonic()
    line = _one_line(markaz(*command, database_url=url, data_dir=tmp_path, timeout=60))
    assert f"cannot reach the database at 127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}" in line, line
    assert "connection refused" in line and "s3cret-pw" not in line
    assert time.monotonic() - started < 12
    # A server that takes the connection and never answers (a frozen host): bounded too.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # never accepted: the handshake completes in the backlog, nothing is ever said
        url = f"postgresql://markaz@127.0.0.1:{silent.getsockname()[1]}/markaz"
        started = time.monotonic()
        line = _one_line(markaz(*command, database_url=url, data_dir=tmp_path, timeout=60))
    assert "no answer within" in line, line
    assert time.monotonic() - started < 15


async def test_a_database_that_refuses_us_is_one_line_at_once(server_url: str, tmp_path: Path) -> None:
    missing = embedded.with_database(server_url, f"markaz_missing_{uuid.uuid4().hex[:8]}")
    started = time.monotonic()
    result = await asyncio.to_thread(markaz, "users", "list", database_url=missing, data_dir=tmp_path)
    line = _one_line(result)
    assert "refused the connection" in line and "does not exist" in line, line
    assert time.monotonic() - started < 12  # not retried: waiting does not make a database


@pytest.mark.parametrize(
    ("env", "command", "says"),
    [
        (
            {"MARKAZ_SECRET_KEY": "short"},
            ("users", "list"),
            "MARKAZ_SECRET_KEY must be at least 32 characters",
        ),
        (
            {"MARKAZ_SECRET_KEY": "changeme" * 5, "MARKAZ_ENV": "production"},
            ("migrate",),
            "MARKAZ_SECRET_KEY must not be a repetition",
        ),
        (
            {"MARKAZ_SECRET_KEY": "changeme" * 5, "MARKAZ_ENV": "production"},
            ("serve",),
            "MARKAZ_SECRET_KEY must not be a repetition",
        ),
        ({"MARKAZ_ENV": "production"}, ("serve",), "MARKAZ_SECRET_KEY must be set in production"),
    ],
    ids=["short", "repeated-migrate", "repeated-serve", "missing-serve"],
)
def test_a_weak_secret_key_is_one_line(
    env: dict[str, str], command: tuple[str, ...], says: str, tmp_path: Path
) -> None:
    url = f"postgresql://markaz@127.0.0.1:{_closed_port()}/markaz"  # never reached: the key is refused first
    line = _one_line(markaz(*command, database_url=url, data_dir=tmp_path, timeout=60, **env))
    assert says in line and "changeme" not in line, line


GOOD_PASSWORD = "a river between two old bridges"  # a test account's


def _into_a_closed_pipe(*args: str, database_url: str | None, data_dir: Path) -> subprocess.CompletedProcess:
    """`markaz ARGS | head -0`: standard output is a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [*MARKAZ, *args],
            cwd=ROOT,
            env=_env(database_url=database_url, data_dir=data_dir),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


async def test_users_add_by_station_code_roles_passwords_and_a_closed_pipe(
    fresh_database: str, tmp_path: Path
) -> None:
    url = fresh_database

    async def run(*args: str, password: str = GOOD_PASSWORD) -> subprocess.CompletedProcess:
        return await asyncio.to_thread(
            markaz, *args, database_url=url, data_dir=tmp_path, MARKAZ_PASSWORD=password
        )

    check_file = tmp_path / "check.csv"
    check_file.write_text(CHECK_CSV, encoding="utf-8")
    imported = await run("stations", "import", str(check_file))
    assert imported.returncode == 0, _report(imported)
    conn = await asyncpg.connect(url)
    try:
        station = await conn.fetchval("SELECT id FROM stations WHERE external_id = 'CLI-CHECK-001'")
    finally:
        await conn.close()

    # --station takes the station's code as well as its id.
    by_code = await run(
        "users",
        "add",
        "--badge",
        "CLI-OFC-1",
        "--name",
        "Officer One",
        "--role",
        "OFFICER",
        "--station",
        "CLI-CHECK-001",
    )
    assert by_code.returncode == 0, _report(by_code)
    by_id = await run(
        "users",
        "add",
        "--badge",
        "CLI-CMD-1",
        "--name",
        "Commander One",
        "--role",
        "STATION_COMMANDER",
        "--station",
        str(station),
    )
    assert by_id.returncode == 0, _report(by_id)
    unknown = await run(
        "users",
        "add",
        "--badge",
        "CLI-OFC-2",
        "--name",
        "Officer Two",
        "--role",
        "OFFICER",
        "--station",
        "NO-SUCH-001",
    )
    assert unknown.returncode == 2 and "no station with this id or code" in _one_line(unknown)

    # What a role does not use is refused, not silently dropped: admins have no station.
    admin = await run(
        "users",
        "add",
        "--badge",
        "CLI-ADM-1",
        "--name",
        "Admin One",
        "--role",
        "ADMIN",
        "--station",
        "CLI-CHECK-001",
    )
    assert admin.returncode == 2 and "a ADMIN has no station" in _one_line(admin)
    supervisor = await run(
        "users",
        "add",
        "--badge",
        "CLI-SUP-1",
        "--name",
        "Supervisor One",
        "--role",
        "SUPERVISOR",
        "--governorate",
        "IQ-NI",
        "--station",
        str(station),
    )
    assert supervisor.returncode == 2 and "--station" in _one_line(supervisor)

    # Trivially weak passwords are refused wherever a password is set (NIST SP 800-63B).
    for weak, says in (
        ("short-pass", "at least 15 characters"),
        ("aaaaaaaaaaaaaaaaaa", "repeated or sequential"),
        ("qwertyuiopasdfgh", "keyboard run"),
        ("1234567890123456", "repeated or sequential"),
        ("football12345678", "common or predictable password with a few characters"),
        ("P@ssw0rd2024!!!!", "common or predictable password"),
        ("{badge}-markaz-2026", "built on the badge number"),
    ):
        refused = await run(
            "users",
            "add",
            "--badge",
            "CLI-ADM-2",
            "--name",
            "Admin Two",
            "--role",
            "ADMIN",
            password=weak.format(badge="CLI-ADM-2"),
        )
        assert refused.returncode == 2 and says in _one_line(refused), (weak, _report(refused))
        reset = await run(
            "users", "reset-password", "--badge", "CLI-OFC-1", password=weak.format(badge="cli-ofc-1")
        )
        assert reset.returncode == 2 and says in _one_line(reset), (weak, _report(reset))
    good = await run("users", "reset-password", "--badge", "CLI-OFC-1", password="lanterns over the tigris")
    assert good.returncode == 0, _report(good)

    listed = await run("users", "list")
    assert listed.returncode == 0, _report(listed)
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("CLI-OFC-1", "OFFICER", str(station)),
        ("CLI-CMD-1", "STATION_COMMANDER", str(station)),
    ]

    # A reader that went away (`markaz users list | head -1`) ends the command quietly.
    for args in (("users", "list"), ("schema",)):
        closed = await asyncio.to_thread(_into_a_closed_pipe, *args, database_url=url, data_dir=tmp_path)
        assert closed.stderr == "", closed.stderr
        assert closed.returncode == 1
