"""The mobile contract: manifests of app releases, and the check that keeps every kept release working."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import strawberry
from graphql import build_schema as sdl_schema

from mobile_contract import compat, releases
from mobile_contract.documents import normalise, sha256_hex
from schema import build_schema, make_schema
from schema.strawberry_internals import graphql_schema

LIVE_SDL = build_schema().as_str() + "\n"


def _manifests(tmp_path: Path) -> list[releases.Manifest]:
    for app in releases.APPS:
        releases.build(app, "9.9.9", LIVE_SDL, directory=tmp_path)
    return releases.load_all(tmp_path)


def _errors(findings: list[compat.Finding]) -> list[str]:
    return [str(f) for f in findings if f.level == "error"]


def test_build_writes_name_hash_and_normalised_document(tmp_path):
    manifest = releases.build("citizen", "2.1.0", LIVE_SDL, directory=tmp_path)
    body = json.loads((tmp_path / "citizen-2.1.0.json").read_text())
    assert body["app"] == "citizen" and body["version"] == "2.1.0"
    names = [op["name"] for op in body["operations"]]
    assert names == sorted(p.stem for p in (releases.OPERATIONS / "citizen").glob("*.graphql"))
    for op in body["operations"]:
        assert op["sha256"] == sha256_hex(op["document"])
        assert op["document"] == normalise(op["document"])  # already in normal form
    assert (tmp_path / "citizen-2.1.0.schema.graphql").read_text() == LIVE_SDL
    assert releases.load(manifest.path) == manifest
    # A released manifest is what phones send: it is never silently rewritten.
    with pytest.raises(releases.ContractError, match="exists"):
        releases.build("citizen", "2.1.0", LIVE_SDL, directory=tmp_path)
    with pytest.raises(releases.ContractError, match="version"):
        releases.build("citizen", "../x", LIVE_SDL, directory=tmp_path)


def test_a_tampered_manifest_is_refused(tmp_path):
    manifest = releases.build("officer", "1.0.0", LIVE_SDL, directory=tmp_path)
    body = json.loads(manifest.path.read_text())
    body["operations"][0]["document"] = body["operations"][0]["document"].replace("id", "name", 1)
    manifest.path.write_text(json.dumps(body))
    with pytest.raises(releases.ContractError, match="does not match"):
        releases.load_all(tmp_path)


def test_the_committed_manifests_pass_against_the_live_schema():
    manifests = releases.load_all()
    assert {m.app for m in manifests} == set(releases.APPS)
    findings = compat.check(graphql_schema(build_schema()), manifests, releases.SNAPSHOT.read_text())
    assert _errors(findings) == []


class _WithoutStationPhone(strawberry.Schema):
    """The real Strawberry schema with one field a shipped release reads taken away."""

    def get_fields(self, type_definition):
        fields = super().get_fields(type_definition)
        if type_definition.name == "Station":
            return [f for f in fields if f.python_name != "phone"]
        return fields


def test_removing_a_field_a_release_uses_is_caught_and_the_operation_named(tmp_path):
    manifests = _manifests(tmp_path)
    changed = make_schema(_WithoutStationPhone)
    assert "phone" not in graphql_schema(changed).type_map["Station"].fields
    errors = _errors(compat.check(graphql_schema(changed), manifests))
    # Every operation of a kept release that reads Station.phone, and only those, is named with the reason.
    # (a reporter's `contact { phone }` is ServiceRequestContact.phone, not the station's)
    users = {
        (m.release, op.name)
        for m in manifests
        for op in m.operations
        if "phone" in re.sub(r"contact\s*\{[^}]*\}", "", op.document)
    }
    assert ("citizen-9.9.9", "NearestStations") in users
    named = {tuple(e.split(": ")[1:3]) for e in errors}
    assert {(r, o) for r, o in users} <= named
    assert named <= users
    assert any(
        "citizen-9.9.9: NearestStations: Field Station.phone was removed. (breaking: FIELD_REMOVED)" in e
        for e in errors
    )
    assert any("NearestStations: no longer validates: Cannot query field 'phone'" in e for e in errors)


def test_changing_a_type_is_caught_even_when_every_operation_still_validates(tmp_path):
    manifests = _manifests(tmp_path)
    # distanceMeters becomes a String: every document still validates, but the app would read a string.
    changed = sdl_schema(LIVE_SDL.replace("distanceMeters: Float!", "distanceMeters: String!", 1))
    findings = compat.check(changed, manifests)
    assert not [f for f in findings if "no longer validates" in f.reason]
    errors = _errors(findings)
    assert errors
    assert all("NearbyStation.distanceMeters changed type from Float! to String!" in e for e in errors)
    assert {e.split(": ")[2] for e in errors} == {"NearestStations"}


def _station_service(sdl: str, old: str, new: str) -> str:
    """The SDL with `old` replaced by `new` in the StationService enum (other enums share its values)."""
    start = sdl.index("enum StationService {")
    end = sdl.index("}", start)
    return sdl[:start] + sdl[start:end].replace(old, new, 1) + sdl[end:]


def test_removing_an_enum_value_or_adding_a_required_argument_names_its_users(tmp_path):
    manifests = _manifests(tmp_path)
    sdl = _station_service(LIVE_SDL, "  WOMEN_OFFICERS_DESK\n", "")
    sdl = sdl.replace("me: Officer", "me(station: ID!): Officer", 1)
    errors = _errors(compat.check(sdl_schema(sdl), manifests))
    removed = "citizen-9.9.9: NearestStations: Enum value StationService.WOMEN_OFFICERS_DESK was removed"
    assert any(removed in e for e in errors)
    assert any("officer-9.9.9: Me: A required argument Query.me(station:) was added." in e for e in errors)
    assert not any(": Login: " in e for e in errors)  # it uses neither


def test_dangerous_changes_warn_and_fail_only_when_strict(tmp_path):
    manifests = _manifests(tmp_path)
    sdl = _station_service(LIVE_SDL, "  COMMUNITY_POLICING\n", "  COMMUNITY_POLICING\n  MOUNTED_POLICE\n")
    findings = compat.check(sdl_schema(sdl), manifests)
    warnings = [str(f) for f in findings if f.level == "warning"]
    assert any("NearestStations: Enum value StationService.MOUNTED_POLICE was added." in w for w in warnings)
    assert _errors(findings) == []
    assert _errors(compat.check(sdl_schema(sdl), manifests, strict=True))


def test_deprecated_fields_in_use_are_listed_and_a_reason_is_required(tmp_path):
    manifests = _manifests(tmp_path)
    reasoned = LIVE_SDL.replace(
        "  isModelStation: Boolean!\n", '  isModelStation: Boolean! @deprecated(reason: "Use `kind`.")\n', 1
    )
    findings = compat.check(sdl_schema(reasoned), manifests)
    assert _errors(findings) == []
    listed = [str(f) for f in findings if "deprecated" in f.reason]
    expected = "warning: citizen-9.9.9: NearestStations: uses deprecated Station.isModelStation: Use `kind`."
    assert expected in listed
    bare = LIVE_SDL.replace("  isModelStation: Boolean!\n", "  isModelStation: Boolean! @deprecated\n", 1)
    assert any(
        "Station.isModelStation is deprecated without a reason" in e
        for e in _errors(compat.check(sdl_schema(bare), manifests))
    )


def test_a_change_against_the_committed_snapshot_is_checked_too(tmp_path):
    is_open = (
        '  """Whether the station is open at `at` (default: now)."""\n'
        "  isOpen(at: DateTime = null, service: StationService = null): Boolean!\n"
    )
    changed_sdl = LIVE_SDL.replace(is_open, "", 1)
    assert changed_sdl != LIVE_SDL
    # Manifests whose recorded schema already lacks the field: only the snapshot still has it.
    for app in releases.APPS:
        releases.build(app, "9.9.9", changed_sdl, directory=tmp_path)
    errors = _errors(compat.check(sdl_schema(changed_sdl), releases.load_all(tmp_path), LIVE_SDL))
    assert any(
        "citizen-9.9.9: Station: Field Station.isOpen was removed. (breaking: FIELD_REMOVED)" in e
        for e in errors
    )


def test_cli_build_and_check(tmp_path):
    def markaz(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "contract",
                *args,
                "--manifests",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    built = markaz("build", "--app", "officer", "--version", "3.0.0")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "officer-3.0.0.json").exists()
    assert markaz("build", "--app", "officer", "--version", "3.0.0").returncode == 2
    checked = markaz("check")
    assert checked.returncode == 0, checked.stderr
    officer_operations = len(list((releases.OPERATIONS / "officer").glob("*.graphql")))
    assert f"1 release(s), {officer_operations} operation(s) checked: 0 error(s)" in checked.stdout
    pending = next(line for line in checked.stdout.splitlines() if line.startswith("note: citizen:"))
    assert "not in any kept release yet: Governorates, " in pending and "NearestStations" in pending
    # A release built against an older schema, whose operation reads a field the schema no longer has.
    old = tmp_path / "officer-2.0.0.schema.graphql"
    shutil.copy(tmp_path / "officer-3.0.0.schema.graphql", old)
    old.write_text(
        old.read_text().replace("  badgeNumber: String!\n", "  badgeNumber: String!\n  callSign: String\n")
    )
    body = json.loads((tmp_path / "officer-3.0.0.json").read_text())
    me = next(op for op in body["operations"] if op["name"] == "Me")
    me["document"] = normalise(me["document"].replace("badgeNumber", "badgeNumber callSign"))
    me["sha256"] = sha256_hex(me["document"])
    body["version"] = "2.0.0"
    (tmp_path / "officer-2.0.0.json").write_text(json.dumps(body))
    failed = markaz("check")
    assert failed.returncode == 1
    assert (
        "error: officer-2.0.0: Me: Field Officer.callSign was removed. (breaking: FIELD_REMOVED)"
        in failed.stderr
    )
    assert (
        "officer-2.0.0: Me: no longer validates: Cannot query field 'callSign' on type 'Officer'."
        in failed.stderr
    )
