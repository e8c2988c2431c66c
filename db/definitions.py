"""The SQL functions and triggers of the schema, each version kept as a file under db/sql:

    db/sql/functions/<name>/<revision>.sql             one CREATE OR REPLACE FUNCTION
    db/sql/triggers/<table>.<trigger>/<revision>.sql   one CREATE [CONSTRAINT] TRIGGER

<revision> is the migration that installs that version: its upgrade installs it, and the downgrade of
the next migration to change the object installs it back. A released file is never edited: a change is a
new file and a migration that installs it (CONTRIBUTING.md). The newest file of each object is what a
migrated database holds, which tests/test_sql_definitions.py checks with PostgreSQL's own rendering of
both (pg_get_functiondef, pg_get_triggerdef). One statement per file: asyncpg prepares each statement,
and a prepared statement holds one command.

The one placeholder is `{cube}`, the schema of the cube extension, which markaz_ecef names in its body
(PostgreSQL 17+ builds indexes with a restricted search path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SQL = Path(__file__).parent / "sql"
KINDS = ("functions", "triggers")


@dataclass(frozen=True)
class Definition:
    kind: str  # "functions" or "triggers"
    name: str  # a function's name, or "<table>.<trigger>"
    revision: str

    @property
    def path(self) -> Path:
        return SQL / self.kind / self.name / f"{self.revision}.sql"

    def sql(self, *, cube_schema: str = "public") -> str:
        return self.path.read_text(encoding="utf-8").replace("{cube}", cube_schema)


def definition(name: str, revision: str) -> Definition:
    """The version `revision` of "functions/<name>" or "triggers/<table>.<trigger>"."""
    kind, _, obj = name.partition("/")
    found = Definition(kind, obj, revision)
    if kind not in KINDS or not found.path.is_file():
        raise FileNotFoundError(f"no SQL definition {name} at revision {revision}: {found.path}")
    return found


def install(execute: Callable[[str], object], revision: str, *names: str) -> None:
    """Execute the version `revision` of each named definition, in order (a migration passes op.execute).
    A function is replaced in place (its triggers keep pointing at it); a trigger must not exist yet."""
    for name in names:
        execute(definition(name, revision).sql())


def install_previous(execute: Callable[[str], object], revision: str, *names: str) -> None:
    """Execute, for each named definition, its newest version before `revision`: what the downgrade of
    the migration `revision` puts back."""
    for name in names:
        kind, _, obj = name.partition("/")
        older = sorted(p.stem for p in (SQL / kind / obj).glob("*.sql") if p.stem < revision)
        if not older:
            raise FileNotFoundError(f"no SQL definition {name} before revision {revision}")
        execute(Definition(kind, obj, older[-1]).sql())


def newest(head: str | None = None) -> list[Definition]:
    """The newest version of every object, up to revision `head` (all when None)."""
    found = []
    for kind in KINDS:
        for folder in sorted((SQL / kind).iterdir()):
            revisions = sorted(p.stem for p in folder.glob("*.sql") if head is None or p.stem <= head)
            if revisions:
                found.append(Definition(kind, folder.name, revisions[-1]))
    return found
