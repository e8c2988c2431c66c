"""The H3 cell stored with every located field record (incidents, engagements, patrol fixes).

Resolution 10 (hexagons of about 15,000 m², 66 m across an edge): fine enough for any map Markaz draws
(5 to 10), and every coarser cell is a parent computable from the 64-bit index in SQL
(`activity_h3_parent`, created by migration 0006), so one stored cell serves every resolution.
Computed here, at write time, because PostgreSQL has no H3 without an extension we do not require.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import h3
from sqlalchemy import Connection, text

FINE_RESOLUTION = 10


def fine_cell(latitude: float, longitude: float) -> int:
    """The resolution-10 H3 cell of a WGS-84 point, as the signed 64-bit integer PostgreSQL stores."""
    return h3.str_to_int(h3.latlng_to_cell(latitude, longitude, FINE_RESOLUTION))


def with_cells(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of values with `h3_cell` filled in from `latitude`/`longitude` where it is missing."""
    done = []
    for row in rows:
        if row.get("h3_cell") is None:
            row = {**row, "h3_cell": fine_cell(row["latitude"], row["longitude"])}
        done.append(row)
    return done


_BACKFILL_CHUNK = 10_000


def backfill_fine_cells(connection: Connection) -> None:
    """Fill `h3_cell` on every incident, engagement and patrol fix written before migration 0006 (which
    calls this on its own connection, in its transaction): in Python, since PostgreSQL has no H3. On a new
    database 0006 finds the tables empty, and this does nothing."""
    for table, keys in (
        ("incidents", ("id",)),
        ("engagements", ("id",)),
        ("patrol_fixes", ("patrol_id", "recorded_at")),
    ):
        names = ", ".join(keys)
        rows = connection.execute(text(f"SELECT {names}, latitude, longitude FROM {table}")).all()  # noqa: S608
        types = {"id": "bigint", "patrol_id": "bigint", "recorded_at": "timestamptz"}
        given = ", ".join(f"CAST(:{key} AS {types[key]}[])" for key in keys)
        matched = " AND ".join(f"t.{key} = v.{key}" for key in keys)
        update = text(
            f"UPDATE {table} t SET h3_cell = v.cell FROM unnest({given}, CAST(:cells AS bigint[])) "  # noqa: S608
            f"AS v({names}, cell) WHERE {matched}"
        )
        for start in range(0, len(rows), _BACKFILL_CHUNK):
            chunk = rows[start : start + _BACKFILL_CHUNK]
            values: dict[str, list[Any]] = {key: [row[i] for row in chunk] for i, key in enumerate(keys)}
            values["cells"] = [fine_cell(row[-2], row[-1]) for row in chunk]
            connection.execute(update, values)
