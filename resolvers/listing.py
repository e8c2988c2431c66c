"""What every list query shares: a page of rows, and the viewer's scope as repository arguments."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from resolvers import policy

Row = TypeVar("Row")


@dataclasses.dataclass(slots=True)
class Page(Generic[Row]):
    """One page of a connection; `count_args` are the filters, for `totalCount` when it is asked."""

    rows: list[Row]
    has_next: bool
    count_args: dict[str, Any]


def page_of(rows: Sequence[Row], first: int, args: dict[str, Any]) -> Page[Row]:
    """The page from `first + 1` rows fetched: the extra row only tells that another page follows."""
    return Page(list(rows[:first]), len(rows) > first, args)


def scope_args(viewer: policy.Viewer) -> dict[str, Any]:
    """The stations a viewer may see, as the repositories' `scope_*` arguments."""
    scope = policy.record_scope(viewer)
    return {
        "scope_everything": scope.everything,
        "scope_station_ids": sorted(scope.station_ids),
        "scope_governorates": sorted(scope.governorates),
    }
