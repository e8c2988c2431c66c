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
