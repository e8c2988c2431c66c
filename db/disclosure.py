"""The disclosure rule in SQL for lists (resolvers.disclosure states it): a record in a period.

A sensitive record seen by someone not on its case is in a period only when the period holds its whole
day; its `disclosed_at` (migration 0011) is then the start of that day. Everyone else's records are in
it by their exact time.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, true

__all__ = ["CaseViewpoint", "disclosed_between"]


@dataclasses.dataclass(frozen=True, slots=True)
class CaseViewpoint:
    """Whose cases a viewer is on, in terms SQL can test (resolvers.policy.case_viewpoint makes it): every
    case (admins), the cases of one station (its commander), and always those naming the officer."""

    everything: bool
    station_id: int | None
    officer_id: int


def disclosed_between(
    columns: Any,
    sensitive: ColumnElement[bool],
    on_case: ColumnElement[bool],
    start: datetime | None,
    end: datetime | None,
    day_span: tuple[datetime | None, datetime | None],
) -> ColumnElement[bool]:
    """Rows in [start, end) as the viewer may place them in time: by `occurred_at`, or for a sensitive row
    off the viewer's cases by its day (`disclosed_at` in `day_span`, the day starts of the whole days in
    the period). Every such day lies in [start, end), so the exact bounds hold for all rows (and let the
    (station, time) indexes serve the list)."""
    exact = [columns.occurred_at >= start] if start is not None else []
    if end is not None:
        exact.append(columns.occurred_at < end)
    first, last = day_span
    whole = [columns.disclosed_at >= first] if first is not None else []
    if last is not None:
        whole.append(columns.disclosed_at < last)
    return and_(true(), *exact, or_(not_(sensitive), on_case, and_(true(), *whole)))
