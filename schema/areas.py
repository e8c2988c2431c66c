"""Inputs every activity query and the live feed share: the area asked about and the layers of activity.

Validation and meaning live in resolvers.areas (`await resolve_area(ctx, area)` turns an `AreaInput`
into an `Area`).
"""

from __future__ import annotations

import enum

import strawberry

from schema.scalars import GeoJSON


@strawberry.input(description="A latitude/longitude box in WGS-84 degrees; west <= east (no antimeridian).")
class BBoxInput:
    south: float = strawberry.field(description="Southern edge, degrees north, -90 to 90.")
    west: float = strawberry.field(description="Western edge, degrees east, -180 to 180.")
    north: float = strawberry.field(description="Northern edge, not south of `south`.")
    east: float = strawberry.field(description="Eastern edge, not west of `west`.")


@strawberry.input(
    one_of=True,
    description=(
        "Where to look: exactly one of a box, a governorate, a station or a drawn polygon. A governorate "
        "or a "
        "station means the records of that station (of the stations of that governorate), as the incident "
        "and engagement lists filter; a box or a polygon means the place: on maps, the H3 cells whose centre "
        "lies in it."
    ),
)
class AreaInput:
    bbox: BBoxInput | None = strawberry.field(default=strawberry.UNSET, description="A box on the map.")
    governorate_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A governorate's global ID."
    )
    station_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A station's global ID."
    )
    polygon: GeoJSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="A GeoJSON Polygon or MultiPolygon ([longitude, latitude]), at most 1000 vertices.",
    )


@strawberry.enum(description="A kind of field activity shown on maps and in the feed.")
class ActivityLayer(enum.Enum):
    INCIDENTS = strawberry.enum_value("INCIDENTS", description="Incidents, where they happened.")
    ENGAGEMENTS = strawberry.enum_value("ENGAGEMENTS", description="Community engagements.")
    PATROLS = strawberry.enum_value("PATROLS", description="Patrol time, from the GPS fixes of patrols.")
