"""`locateStation`: the station responsible for a point, by the areas (resolvers/station_areas.py)."""

from __future__ import annotations

import math

import strawberry

from resolvers import station_areas as logic
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from schema.common import GeoPointInput
from schema.stations import Station


def _checked(near: GeoPointInput, lang: str) -> tuple[float, float]:
    for name, value, low, high in (
        ("latitude", near.latitude, -90, 90),
        ("longitude", near.longitude, -180, 180),
    ):
        if not math.isfinite(value) or not low <= value <= high:
            field = f"near.{name}"
            raise InputError(field, message("range", lang, field=field, low=low, high=high))
    return near.latitude, near.longitude


@strawberry.type
class StationAreaQuery:
    @strawberry.field(
        description="The station responsible for a point: the active station whose area (its beat) holds "
        "it, which is not always the nearest (rivers, district lines); null when no area holds it. A point "
        "on a border between two areas belongs to exactly one (docs/stations.md). Public."
    )
    async def locate_station(self, info: strawberry.Info[Context], near: GeoPointInput) -> Station | None:
        ctx = info.context
        latitude, longitude = _checked(near, ctx.lang)
        found = await logic.locate_station(ctx, latitude, longitude)
        if found is None:
            return None
        row = (await station_logic.stations_by_ids(ctx, [found])).get(found)
        return Station.from_row(row, ctx.lang) if row is not None else None
