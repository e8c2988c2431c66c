"""App releases and their manifests: which operations each release of each app ships, by hash.

`mobile_contract/operations/<app>/` holds the operations of the app being developed, one named operation
a file. `markaz contract build --app A --version V` freezes them into `manifests/A-V.json` (name, sha256
of the normalised document, the document) beside `manifests/A-V.schema.graphql`, the schema that release
was built against. Phones keep old releases for months, so a manifest stays committed for as long as its
release is in use; deleting it (in review) is how a release is retired.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

from graphql import OperationDefinitionNode, parse

from mobile_contract.documents import normalise, sha256_hex

ROOT = Path(__file__).parent
OPERATIONS = ROOT / "operations"
MANIFESTS = ROOT / "manifests"
SNAPSHOT = ROOT / "schema.graphql"
APPS = ("citizen", "officer", "supervisor")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,40}$")


class ContractError(Exception):
    """A manifest or an operation file that is not what it must be; the message says which and why."""


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    name: str
    sha256: str
    document: str


@dataclasses.dataclass(frozen=True, slots=True)
class Manifest:
    app: str
    version: str
    operations: tuple[Operation, ...]
    schema_sdl: str
    path: Path

    @property
    def release(self) -> str:
        return f"{self.app}-{self.version}"


def operations_of(app: str, directory: Path = OPERATIONS) -> list[Operation]:
    """The app's operations as they are now, normalised; one named operation a file, named as the file."""
    if app not in APPS:
        raise ContractError(f"unknown app {app!r}: one of {', '.join(APPS)}")
    found: list[Operation] = []
    for path in sorted((directory / app).glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        try:
            operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        except Exception as error:
            raise ContractError(f"{path}: {error}") from None
        if len(operations) != 1 or operations[0].name is None or operations[0].name.value != path.stem:
            raise ContractError(f"{path}: must hold one operation, named {path.stem}")
        document = normalise(text)
        found.append(Operation(path.stem, sha256_hex(document), document))
    if not found:
        raise ContractError(f"{directory / app}: no operations")
    return found


def manifest_path(app: str, version: str, directory: Path = MANIFESTS) -> Path:
    if not _VERSION.match(version):
        raise ContractError(f"version {version!r}: letters, digits and . + _ - only (like 1.4.0)")
    return directory / f"{app}-{version}.json"


def build(
    app: str,
    version: str,
    schema_sdl: str,
    *,
    operations_dir: Path = OPERATIONS,
    directory: Path = MANIFESTS,
    replace: bool = False,
) -> Manifest:
    """Write the manifest of a release. A released manifest is never rewritten unless `replace` is given:
    phones in the field send exactly its hashes."""
    path = manifest_path(app, version, directory)
    if path.exists() and not replace:
        raise ContractError(f"{path} exists: a release's manifest does not change (use a new version)")
    operations = operations_of(app, operations_dir)
    directory.mkdir(parents=True, exist_ok=True)
    body = {
        "app": app,
        "version": version,
        "builtAt": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "schemaSha256": sha256_hex(schema_sdl),
        "operations": [dataclasses.asdict(op) for op in operations],
    }
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    path.with_suffix(".schema.graphql").write_text(schema_sdl, encoding="utf-8")
    return Manifest(app, version, tuple(operations), schema_sdl, path)


def load(path: Path) -> Manifest:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        operations = tuple(Operation(o["name"], o["sha256"], o["document"]) for o in body["operations"])
        app, version = body["app"], body["version"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ContractError(f"{path}: not a manifest ({error})") from None
    schema_path = path.with_suffix(".schema.graphql")
    if not schema_path.exists():
        raise ContractError(f"{path}: the schema it was built against ({schema_path.name}) is missing")
    for op in operations:
        if sha256_hex(op.document) != op.sha256:
            raise ContractError(f"{path}: {op.name}: sha256 does not match its document")
    return Manifest(app, version, operations, schema_path.read_text(encoding="utf-8"), path)


def load_all(directory: Path = MANIFESTS) -> list[Manifest]:
    """Every kept manifest, oldest release name first."""
    if not directory.is_dir():
        return []
    return [load(path) for path in sorted(directory.glob("*.json"))]


def known_documents(directory: Path = MANIFESTS) -> dict[str, str]:
    """sha256 -> document of every operation of every kept release: what the server knows from the start."""
    return {op.sha256: op.document for manifest in load_all(directory) for op in manifest.operations}
