"""Conditional updates of records under optimistic concurrency: applied only at the version expected."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Row, Table, Update, bindparam, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements


async def update_if_version(
    session: AsyncSession, table: Table, key: int, expected_version: int, values: dict[str, Any]
) -> Row[Any] | None:
    """Apply `values` to the row `key` of `table` and bump its version, only if it is still at
    `expected_version`; the row as it now is, or None when it has moved on (or does not exist).

    The condition is checked by the UPDATE itself: of two transactions updating from the same version,
    the second waits for the first's row lock, then re-checks the row it now sees and matches nothing.
    """
    params = {f"v_{name}": value for name, value in values.items()}
    params.update(key=key, expected=expected_version)
    return (await statements.execute(session, _statement(table, tuple(sorted(values))), params)).first()


@functools.cache
def _statement(table: Table, columns: tuple[str, ...]) -> Update:
    # one statement built per table and set of columns: the changes of a sync batch share theirs
    changes: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
    changes["version"] = table.c.version + 1
    if "updated_at" in table.c:
        changes["updated_at"] = func.now()
    return (
        update(table)
        .where(table.c.id == bindparam("key"), table.c.version == bindparam("expected"))
        .values(changes)
        .returning(*table.c)
    )
