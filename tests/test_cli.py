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
from resolvers.demo_stations import MODEL_STATIONS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MARKAZ = [sys.executable, "-m", "api.cli"]
GRAPHQL_HEADERS = {"accept": "application/graphql-response+json", "accept-language": "en"}


def _env(*, database_url: str | None, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MARKAZ_DATA_DIR")}
    env.update(MARKAZ_DATA_DIR=str(data_dir), MARKAZ_ENV="development", PYTHONUNBUFFERED="1")
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def markaz(*args: str, database_url: str | None, data_dir: Path, timeout: float = 120
           ) -> subprocess.CompletedProcess[str]:
    """Run `markaz ARGS` to completion and return its exit status and output."""
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [*MARKAZ, *args], cwd=ROOT, env=_env(database_url=database_url, data_dir=data_dir),
        capture_output=True, text=True, timeout=timeout, check=False)


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


@dataclass(frozen=True)
class Sample:
    file: str
    unit: str  # how the command names a row: "line" (CSV) or "feature" (GeoJSON)
    bad_row: int
    problems: tuple[tuple[str, str], ...]  # (field, a word of the reason) of each problem of the bad row
    good_ids: frozenset[str]
    bad_id: str
    renamed: tuple[str, str]  # (old, new) English name of a good station, changed in the modified copy
    fixes: tuple[tuple[str, str], ...]  # text replacements that make the bad row good


SAMPLES = [
    Sample("stations_sample.csv", "line", 7,
           (("services", "PASSPORTS"), ("hours[0].closes", "25:00")),
           frozenset({"NI-MOS-001", "AR-ERB-001", "NA-NAJ-001", "BG-KRD-001", "BA-BAS-001"}), "DQ-NAS-001",
           ("Al-Zuhour Police Station", "Al-Zuhour Community Police Station"),
           ((";PASSPORTS", ""), ("08:00-25:00", "08:00-15:00"))),
    Sample("stations_sample.geojson", "feature", 5,
           (("closures[0].starts_at", "offset"),),
           frozenset({"NI-MOS-101", "AR-ERB-101", "NA-NAJ-101", "KA-KAR-101"}), "BA-BAS-101",
           ("Al-Maidan Police Station", "Al-Maidan Community Police Station"),
           (('"2025-06-01T08:00:00"', '"2025-06-01T08:00:00+03:00"'),)),
]


def _problem_lines(sample: Sample, stderr: str, name: str | None = None) -> list[str]:
    """The lines reporting a bad row ("FILE: line N: FIELD: reason"), checked against the sample."""
    name = name or sample.file
    row_line = re.compile(rf"{re.escape(name)}: {sample.unit} \d+: ")
    lines = [line for line in stderr.splitlines() if row_line.match(line)]
    assert len(lines) == len(sample.problems), stderr
    for field, word in sample.problems:
        prefix = f"{name}: {sample.unit} {sample.bad_row}: {field}: "
        matching = [line for line in lines if line.startswith(prefix)]
        assert len(matching) == 1 and word in matching[0], (prefix, stderr)
        assert len(matching[0]) > len(prefix) + 10, f"no reason given: {matching[0]!r}"
    return lines


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.file.rsplit(".", 1)[1])
async def test_stations_import(sample: Sample, fresh_database: str, tmp_path: Path) -> None:
    url, path, good = fresh_database, DATA / sample.file, len(sample.good_ids)
    bad = len(sample.problems)

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(markaz, "stations", "import", *args, database_url=url,
                                       data_dir=tmp_path)

    # A dry run on a database never migrated: migrates, counts exactly, writes no station.
    result = await run(str(path), "--dry-run")
    assert result.returncode == 1, _report(result)
    _problem_lines(sample, result.stderr)
    assert f"{good} good row(s): would insert {good}, would update 0; {bad} problem(s)" in result.stdout
    assert "dry run: nothing written" in result.stdout
    assert await _stations(url) == {}

    # --strict: the problems are reported and nothing is imported.
    result = await run(str(path), "--strict")
    assert result.returncode == 1, _report(result)
    _problem_lines(sample, result.stderr)
    assert "nothing imported" in result.stderr
    assert await _stations(url) == {}

    # The import: good rows are written, the bad one is reported and skipped, the exit status is 1.
    result = await run(str(path))
    assert result.returncode == 1, _report(result)
    _problem_lines(sample, result.stderr)
    assert f"{good} good row(s): inserted {good}, updated 0; {bad} problem(s)" in result.stdout
    imported = await _stations(url)
    assert imported is not None and set(imported) == sample.good_ids
    old_name, new_name = sample.renamed
    assert old_name in {en for en, _ in imported.values()}

    # A dry run now would update every good row and still writes nothing.
    result = await run(str(path), "--dry-run")
    assert result.returncode == 1, _report(result)
    assert f"would insert 0, would update {good}; {bad} problem(s)" in result.stdout
    assert await _stations(url) == imported

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
    assert f"{good} good row(s): inserted 0, updated {good}; {bad} problem(s)" in result.stdout
    after = await _stations(url)
    assert after is not None and set(after) == sample.good_ids
    assert {en for en, _ in after.values()} == {en for en, _ in imported.values()} - {old_name} | {new_name}

    # With the bad row corrected, the file imports cleanly: that row is inserted, the rest updated again.
    fixed_text = renamed_text
    for old, new in sample.fixes:
        assert fixed_text.count(old) == 1, old
        fixed_text = fixed_text.replace(old, new)
    fixed = tmp_path / f"fixed{path.suffix}"
    fixed.write_text(fixed_text, encoding="utf-8")
    result = await run(str(fixed), "--strict")
    assert result.returncode == 0, _report(result)
    assert f"{good + 1} good row(s): inserted 1, updated {good}; 0 problem(s)" in result.stdout
    assert not re.search(rf"{sample.unit} \d+: ", result.stderr), result.stderr
    final = await _stations(url)
    assert final is not None and set(final) == sample.good_ids | {sample.bad_id}


# --- markaz seed --demo ----------------------------------------------------------------------------------

_FIELDWORK = ("officers", "patrols", "engagements", "incidents")


async def test_seed_demo_ten_thousand_stations(fresh_database: str, tmp_path: Path) -> None:
    url = fresh_database
    started = time.monotonic()
    result = await asyncio.to_thread(markaz, "seed", "--demo", "--stations", "10000", database_url=url,
                                     data_dir=tmp_path, timeout=180)
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
    result = await asyncio.to_thread(markaz, "seed", "--demo", "--stations", "10000", database_url=url,
                                     data_dir=tmp_path, timeout=180)
    assert result.returncode == 0, _report(result)
    assert f"stations inserted: 0, stations updated: {total}" in result.stdout
    assert await _stations(url) == stations
    assert await _counts(url, *_FIELDWORK) == fieldwork


# --- markaz migrate --check ------------------------------------------------------------------------------


async def test_migrate_check_on_fresh_database(fresh_database: str, tmp_path: Path) -> None:
    result = await asyncio.to_thread(markaz, "migrate", "--check", database_url=fresh_database,
                                     data_dir=tmp_path)
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
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                [*MARKAZ, "serve", "--port", str(self.port), *args], cwd=ROOT,
                env=_env(database_url=None, data_dir=data_dir), stdout=out, stderr=err)

    def output(self) -> str:
        return (f"exit {self.proc.poll()}\n--- stdout\n{self.stdout_path.read_text()[-3000:]}"
                f"\n--- stderr\n{self.stderr_path.read_text()[-6000:]}")

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
        response = httpx.post(f"{self.base}/graphql", json={"query": query, "variables": variables or {}},
                              headers=GRAPHQL_HEADERS, timeout=30)
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
    day = subprocess.run(["bash", "docs/walkthrough/officer-day.sh"], cwd=ROOT,  # noqa: S607
                         env={**os.environ, "API": f"{server.base}/graphql"}, capture_output=True, text=True,
                         timeout=120, check=False)
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
    assert "1 good row(s): inserted 1, updated 0; 0 problem(s)" in result.stdout
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
