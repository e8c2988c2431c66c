"""Patrols: startPatrol, appendPatrolTrack, endPatrol, the `patrols` list and Patrol nodes."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, cast

import strawberry

from db.rows import PatrolRow
from resolvers import patrols as logic
from resolvers.context import Context
from schema import loaders
from schema.common import GeoPoint, GeoPointInput, RecordFlag, UserError
from schema.mutations import run
from schema.node import Node, PageInfo, from_global_id, int_key, parse_time_cursor, time_cursor, to_global_id
from schema.officers import Officer
from schema.scalars import GeoJSON
from schema.stations import Station


@strawberry.enum(description="Whether a patrol is under way.")
class PatrolStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Started and not yet ended.")
    ENDED = strawberry.enum_value(
        "ENDED", description="Ended; fixes recorded before the end may still arrive and count."
    )


@strawberry.type(description="A patrol: officers of a station out on foot or by car, with their GPS track.")
class Patrol(Node):
    client_id: uuid.UUID = strawberry.field(description="The id the device made when the patrol started.")
    status: PatrolStatus = strawberry.field(description="Under way or ended.")
    started_at: datetime = strawberry.field(description="When the patrol started (the device's clock).")
    ended_at: datetime | None = strawberry.field(description="When it ended; null while under way.")
    distance_meters: float = strawberry.field(
        description="Geodesic length (WGS-84) of the track in time order, in metres; fixes flagged "
        "IMPOSSIBLE_SPEED or MOCK_LOCATION are left out. Activity summaries' patrol kilometres "
        "are sums of these."
    )
    fix_count: int = strawberry.field(description="GPS fixes stored, flagged or not.")
    flagged_fix_count: int = strawberry.field(
        description="Fixes with any flag: impossible speed, mock location, poor accuracy or clock skew."
    )
    planned_area: GeoJSON | None = strawberry.field(
        description="Where the patrol was meant to go: a GeoJSON Polygon or MultiPolygon."
    )
    recorded_at: datetime | None = strawberry.field(
        description="The device's clock when the officer started it, when the device sent it."
    )
    received_at: datetime = strawberry.field(description="When the server received the start.")
    flags: list[RecordFlag] = strawberry.field(
        description="What to check before trusting it: the start's flags, and CLOCK_SKEW, MOCK_LOCATION or "
        "IMPOSSIBLE_SPEED when any fix of the track has them."
    )
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: PatrolRow) -> Patrol:
        return cls(
            id=strawberry.ID(to_global_id("Patrol", row.id)),
            client_id=row.client_id,
            status=PatrolStatus(row.status),
            started_at=row.started_at,
            ended_at=row.ended_at,
            distance_meters=row.distance_m,
            fix_count=row.fix_count,
            flagged_fix_count=row.flagged_fix_count,
            planned_area=cast("GeoJSON | None", row.planned_area),
            recorded_at=row.recorded_at,
            received_at=row.received_at,
            flags=[RecordFlag(f) for f in row.flags],
            row=row,
        )

    @strawberry.field(description="The station the patrol went out from.")
    async def station(self, info: strawberry.Info[Context]) -> Station:
        loader = loaders.station(info.context)
        return Station.from_row(await loader.load(self.row.station_id), info.context.lang)

    @strawberry.field(description="The officers on the patrol.")
    async def officers(self, info: strawberry.Info[Context]) -> list[Officer]:
        loader = loaders.officer(info.context)
        rows = await loader.load_many(list(self.row.officer_ids))
        return [Officer.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="Who started the patrol in Markaz.")
    async def started_by(self, info: strawberry.Info[Context]) -> Officer | None:
        loader = loaders.officer(info.context)
        row = await loader.load(self.row.started_by_id)
        return Officer.from_row(row) if row else None

    async def _end(self, info: strawberry.Info[Context]) -> Any:
        loader = loaders.track_end(info.context)
        return await loader.load(self.row.id)

    @strawberry.field(description="Seconds from the start to the end or, while under way, to the last fix.")
    async def duration_seconds(self, info: strawberry.Info[Context]) -> float:
        if self.row.ended_at is not None:
            return logic.duration_seconds(self.row, None)
        end = await self._end(info)
        return logic.duration_seconds(self.row, end.last_fix_at if end else None)

    @strawberry.field(
        description="The kept fixes (neither IMPOSSIBLE_SPEED nor MOCK_LOCATION) in time order as a GeoJSON "
        "LineString geometry, [longitude, latitude]; null until there are two of them (a "
        "LineString needs two)."
    )
    async def track(self, info: strawberry.Info[Context]) -> GeoJSON | None:
        return await loaders.track(info.context).load(self.row.id)

    @strawberry.field(description="The latest kept fix; null before any.")
    async def last_position(self, info: strawberry.Info[Context]) -> GeoPoint | None:
        end = await self._end(info)
        if end is None or end.latitude is None:
            return None
        return GeoPoint(latitude=end.latitude, longitude=end.longitude)


@strawberry.type(description="The result of a patrol mutation.")
class PatrolPayload:
    patrol: Patrol | None = strawberry.field(description="The patrol as stored; null when there are errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")


@strawberry.input(description="Start a patrol. Sending the same `clientId` again returns the same patrol.")
class StartPatrolInput:
    client_id: uuid.UUID = strawberry.field(description="Made on the device, once per patrol.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station; default the viewer's own (required for supervisors)."
    )
    officer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Active officers of that station, at most 10; default the viewer alone."
    )
    planned_area: GeoJSON | None = strawberry.field(
        default=None, description="A GeoJSON Polygon or MultiPolygon, closed rings, at most 1000 vertices."
    )
    started_at: datetime = strawberry.field(description="When the patrol started.")
    location: GeoPointInput | None = strawberry.field(
        default=None, description="Where it started: stored as the track's first fix, at `startedAt`."
    )
    recorded_at: datetime | None = strawberry.field(
        default=None, description="The device's clock when the officer saved this."
    )


@strawberry.input(description="One GPS fix of a patrol's track.")
class GpsFixInput:
    latitude: float = strawberry.field(description="Degrees north, -90 to 90.")
    longitude: float = strawberry.field(description="Degrees east, -180 to 180.")
    accuracy_meters: float | None = strawberry.field(
        default=None, description="Radius of 68% confidence reported by the device, in metres."
    )
    recorded_at: datetime = strawberry.field(
        description="When the device took the fix; one fix per instant (a resent one is ignored)."
    )
    mocked: bool | None = strawberry.field(
        default=None, description="True when the device reports a mock (simulated) location provider."
    )
    speed_meters_per_second: float | None = strawberry.field(
        default=None,
        description="Speed reported by the device (checked, not stored: the server judges "
        "speed from the positions).",
    )


@strawberry.input(description="GPS fixes of a patrol; late, repeated or out-of-order fixes are fine.")
class AppendPatrolTrackInput:
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device per batch; sending it again changes nothing."
    )
    patrol_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patrol; give this or `patrolClientId`."
    )
    patrol_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The `clientId` the patrol was started with, before its ID is known."
    )
    fixes: list[GpsFixInput] = strawberry.field(
        description="1 to 1000 fixes, in any order; one bad fix refuses the whole batch."
    )


@strawberry.input(description="End a patrol; ending it again at the same instant changes nothing.")
class EndPatrolInput:
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending it again changes nothing."
    )
    patrol_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patrol; give this or `patrolClientId`."
    )
    patrol_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The `clientId` the patrol was started with, before its ID is known."
    )
    ended_at: datetime = strawberry.field(description="When the patrol ended; not before its start.")
    recorded_at: datetime | None = strawberry.field(
        default=None, description="The device's clock when the officer saved this."
    )


@strawberry.input(description="Which patrols to list; always within what the viewer may see.")
class PatrolFilter:
    station_id: strawberry.ID | None = strawberry.field(default=None, description="Of this station.")
    governorate_id: strawberry.ID | None = strawberry.field(
        default=None, description="Of stations in this governorate."
    )
    status: PatrolStatus | None = strawberry.field(default=None, description="Under way or ended.")
    officer_id: strawberry.ID | None = strawberry.field(default=None, description="With this officer on it.")
    from_: datetime | None = strawberry.field(
        name="from", default=None, description="Under way at or after this instant (not ended before it)."
    )
    to: datetime | None = strawberry.field(default=None, description="Started before this instant.")


@strawberry.type(description="An edge of a patrol list.")
class PatrolEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this patrol.")
    node: Patrol = strawberry.field(description="The patrol.")


@strawberry.type(description="A page of patrols, the most recently started first.")
class PatrolConnection:
    edges: list[PatrolEdge] = strawberry.field(description="The patrols of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many patrols match, over all pages.")
    async def total_count(self, info: strawberry.Info[Context]) -> int:
        return await logic.count_patrols(info.context, self.count_args)


def _filter_args(given: PatrolFilter | None, lang: str) -> dict[str, Any]:
    if given is None:
        return {}
    return {
        "station_id": int_key(given.station_id, "filter.stationId", lang, "Station")
        if given.station_id
        else None,
        "governorate": from_global_id(given.governorate_id, "filter.governorateId", lang, "Governorate")[1]
        if given.governorate_id
        else None,
        "status": given.status.value if given.status else None,
        "officer_id": int_key(given.officer_id, "filter.officerId", lang, "Officer")
        if given.officer_id
        else None,
        "from_": given.from_,
        "to": given.to,
    }


@strawberry.type
class PatrolQuery:
    @strawberry.field(description="Patrols the viewer may see, the most recently started first.")
    async def patrols(
        self,
        info: strawberry.Info[Context],
        filter: PatrolFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> PatrolConnection:
        ctx = info.context
        position = parse_time_cursor(after, ctx.lang, "PatrolCursor") if after else None
        page = await logic.list_patrols(ctx, first=first, after=position, **_filter_args(filter, ctx.lang))
        edges = [
            PatrolEdge(cursor=time_cursor("PatrolCursor", r.started_at, r.id), node=Patrol.from_row(r))
            for r in page.rows
        ]
        return PatrolConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            count_args=page.count_args,
        )


def _payload(result: tuple[Any, list[UserError], Any]) -> PatrolPayload:
    applied, errors, _ = result
    return PatrolPayload(patrol=Patrol.from_row(applied.row) if applied else None, errors=errors)


@strawberry.type
class PatrolMutation:
    @strawberry.mutation(description="Start a patrol; the same `clientId` again returns the same patrol.")
    async def start_patrol(self, info: strawberry.Info[Context], input: StartPatrolInput) -> PatrolPayload:
        ctx = info.context
        return _payload(await run(ctx, lambda: logic.start_patrol(ctx, input)))

    @strawberry.mutation(description="Add a batch of GPS fixes to a patrol's track.")
    async def append_patrol_track(
        self, info: strawberry.Info[Context], input: AppendPatrolTrackInput
    ) -> PatrolPayload:
        ctx = info.context
        return _payload(await run(ctx, lambda: logic.append_patrol_track(ctx, input)))

    @strawberry.mutation(description="End a patrol.")
    async def end_patrol(self, info: strawberry.Info[Context], input: EndPatrolInput) -> PatrolPayload:
        ctx = info.context
        return _payload(await run(ctx, lambda: logic.end_patrol(ctx, input)))


async def resolve_patrol_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """Patrol nodes for `node`/`nodes`, by key; only those the viewer may see."""
    rows = await logic.visible_patrols(ctx, [int(k) for k in keys if k.isdigit() and len(k) <= 18])
    return {str(i): Patrol.from_row(r) for i, r in rows.items()}
