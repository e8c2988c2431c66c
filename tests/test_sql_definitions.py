"""The SQL functions and triggers of a migrated database are the newest files under db/sql, exactly.

PostgreSQL itself normalises both sides: in one transaction, rolled back, the test reads every
definition (pg_get_functiondef, pg_get_triggerdef), executes the newest file of each object over it, and
reads them again. A file whose body, arguments, result, volatility or trigger clauses differ from what
the migrations made changes what PostgreSQL renders; a file for a function the database lacks, or a
function or trigger no file describes, fails before that.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from db import definitions
from db.migrate import head_revision

# Our own functions: not those an extension (cube, pg_trgm) brings.
FUNCTIONS = text(
    """SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = current_schema()
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
       ORDER BY 1, 2"""
)
TRIGGERS = text(
    """SELECT c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       WHERE NOT t.tgisinternal ORDER BY 1"""
)


async def _rendered(conn) -> dict[str, str]:
    functions = (await conn.execute(FUNCTIONS)).all()
    names = [name for name, _ in functions]
    assert len(names) == len(set(names)), f"overloaded functions: {names}"
    triggers = (await conn.execute(TRIGGERS)).all()
    return {f"functions/{name}": body for name, body in functions} | {
        f"triggers/{name}": body for name, body in triggers
    }


async def test_the_migrated_database_holds_exactly_the_newest_files(engine):
    newest = definitions.newest(head_revision())
    async with engine.connect() as conn:
        async with conn.begin() as transaction:
            before = await _rendered(conn)
            # every function and trigger has a file, and every newest file an object
            assert sorted(before) == sorted(f"{d.kind}/{d.name}" for d in newest)
            cube = (
                await conn.execute(
                    text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'cube'")
                )
            ).scalar_one()
            for found in newest:
                if found.kind == "triggers":
                    table, trigger = found.name.split(".")
                    await conn.execute(text(f'DROP TRIGGER "{trigger}" ON "{table}"'))
                await conn.exec_driver_sql(found.sql(cube_schema=cube))
            after = await _rendered(conn)
            await transaction.rollback()
    differing = [str(d.path) for d in newest if before[f"{d.kind}/{d.name}"] != after[f"{d.kind}/{d.name}"]]
    assert differing == [], "the database's definitions differ from these files"


def test_each_file_defines_the_object_it_is_named_for():
    statement = re.compile(
        r"^(?:--[^\n]*\n)*CREATE (?:OR REPLACE FUNCTION (?P<function>\w+)\("
        r"|(?:CONSTRAINT )?TRIGGER (?P<trigger>\w+)\s.*?\sON (?P<table>\w+)\s)",
        re.S,
    )
    files = sorted(definitions.SQL.glob("*/*/*.sql"))
    assert len(files) >= 50
    for path in files:
        sql = path.read_text(encoding="utf-8")
        kind, name, revision = path.parts[-3], path.parent.name, path.stem
        assert re.fullmatch(r"\d{4}", revision), path
        found = statement.match(sql)
        assert found, f"{path}: one CREATE OR REPLACE FUNCTION or CREATE TRIGGER, after comments"
        if kind == "functions":
            assert found["function"] == name, path
        else:
            assert f"{found['table']}.{found['trigger']}" == name, path
        # one statement: nothing after the final semicolon, and no semicolon outside the body
        body_free = re.sub(r"\$(\w*)\$.*?\$\1\$|--[^\n]*", "", sql, flags=re.S)
        assert body_free.rstrip().endswith(";") and body_free.count(";") == 1, path
