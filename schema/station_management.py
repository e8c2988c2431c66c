"""Stations changed through the API: `updateStation`, `addStationClosure`, `removeStationClosure`
(resolvers/station_management.py decides who may and checks the input)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from resolvers import station_management as logic
from resolvers.context import Context
from resolvers.idempotency import Applied
from resolvers.mutation_errors import MutationFailed
from resolvers.stations import closure_of
from schema.common import UserError
from schema.mutations import run
from schema.stations import Station, StationClosure, StationService


@strawberry.input(description='A text in each language; null leaves a language as it is, "" clears it.')
class LocalizedTextInput:
    ar: str | None = strawberry.field(default=None, description="Arabic.")
    ku: str | None = strawberry.field(default=None, description="Kurdish (Sorani, Arabic script).")
    en: str | None = strawberry.field(default=None, description="English.")


@strawberry.input(description="A weekly opening period in the station's own time zone.")
class OpeningPeriodInput:
    weekday: int = strawberry.field(description="Day the period opens: 1 = Monday ... 7 = Sunday (ISO 8601).")
    opens: str = strawberry.field(description="Local opening time, HH:MM.")
    closes: str = strawberry.field(
        description="Local closing time, HH:MM (24:00 for midnight); at or before `opens` means the next day."
    )


@strawberry.input(description="The weekly hours of one service desk.")
class DeskHoursInput:
    service: StationService = strawberry.field(description="The desk's service (one the station offers).")
    periods: list[OpeningPeriodInput] = strawberry.field(
        description="Its periods, all of them (at most 100); [] for the station's own hours."
    )


@strawberry.input(
    description="Change what a station says of itself: give the fields to change (at least one); the "
    "station's commander or an administrator only."
)
class UpdateStationInput:
    station_id: strawberry.ID = strawberry.field(description="The station's global ID.")
    expected_version: int = strawberry.field(
        description="The version you last saw; if it changed since, nothing happens and you get CONFLICT."
    )
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending the same change again changes nothing."
    )
    names: LocalizedTextInput | None = strawberry.field(
        default=None, description="The names (at most 200 characters; an Arabic or English one stays)."
    )
    addresses: LocalizedTextInput | None = strawberry.field(
        default=None, description="The address in each language, at most 500 characters."
    )
    phone: str | None = strawberry.field(default=None, description='The public phone number; "" for none.')
    services: list[StationService] | None = strawberry.field(
        default=None,
        description="What the station offers, all of it; a service dropped takes its desk's hours along.",
    )
    always_open: bool | None = strawberry.field(default=None, description="Open around the clock.")
    closes_on_holidays: bool | None = strawberry.field(
        default=None, description="The whole station closes on public holidays."
    )
    desks_closed_on_holidays: list[StationService] | None = strawberry.field(
        default=None, description="The desks that close on public holidays, all of them ([] for none)."
    )
    opening_hours: list[OpeningPeriodInput] | None = strawberry.field(
        default=None, description="The station's own weekly periods, all of them (none overlapping)."
    )
    desk_hours: list[DeskHoursInput] | None = strawberry.field(
        default=None, description="Hours of these desks, replacing theirs (other desks keep theirs)."
    )


@strawberry.input(
    description="Close a station, or some of its desks, for a while; the station's commander or an "
    "administrator only."
)
class AddStationClosureInput:
    station_id: strawberry.ID = strawberry.field(description="The station's global ID.")
    expected_version: int = strawberry.field(
        description="The station's version you last saw; if it changed since, you get CONFLICT."
    )
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending the same closure again adds nothing."
    )
    starts_at: datetime = strawberry.field(description="Closed from this instant (at most a day ago)...")
    ends_at: datetime = strawberry.field(
        description="...until this one, in the future and at most 366 days later."
    )
    services: list[StationService] | None = strawberry.field(
        default=None, description="Only these desks close; null or [] for the whole station."
    )
    reason: LocalizedTextInput = strawberry.field(
        description="Why, for the public, in at least one language (500 characters each)."
    )


@strawberry.input(description="Remove a closure that is not over (entered by mistake, or lifted).")
class RemoveStationClosureInput:
    closure_id: strawberry.ID = strawberry.field(description="The closure's global ID (StationClosure.id).")
    expected_version: int = strawberry.field(
        description="The station's version you last saw; if it changed since, you get CONFLICT."
    )
    client_id: uuid.UUID | None = strawberry.field(
        default=None, description="Made on the device; sending the same removal again changes nothing."
    )


@strawberry.type(description="The result of a station mutation.")
class StationPayload:
    station: Station | None = strawberry.field(
        description="The station as it now is; on a CONFLICT of `expectedVersion`, the current one."
    )
    closure: StationClosure | None = strawberry.field(description="The closure added (addStationClosure).")
    current_version: int | None = strawberry.field(
        description="The station's version now: after a CONFLICT, reload and send this as expectedVersion."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")


async def _payload(
    ctx: Context,
    applied: Applied | None,
    errors: list[UserError],
    failure: MutationFailed | None,
    station_id: str | None = None,
) -> StationPayload:
    if applied is not None:
        station, closure = applied.row
        return StationPayload(
            station=Station.from_row(station, ctx.lang),
            closure=StationClosure.of(closure_of(closure), ctx.lang) if closure is not None else None,
            current_version=station.version,
            errors=[],
        )
    current: Any = None
    version = failure.current_version if failure else None
    if version is not None and station_id is not None:
        row = await logic.current_station(ctx, station_id)
        if row is not None:
            current, version = Station.from_row(row, ctx.lang), row.version
    return StationPayload(station=current, closure=None, current_version=version, errors=errors)


@strawberry.type
class StationManagementMutation:
    @strawberry.mutation(
        description="Change a station's names, address, phone, services, hours or holiday flags."
    )
    async def update_station(
        self, info: strawberry.Info[Context], input: UpdateStationInput
    ) -> StationPayload:
        ctx = info.context
        return await _payload(
            ctx, *await run(ctx, lambda: logic.update_station(ctx, input)), input.station_id
        )

    @strawberry.mutation(description="Close a station, or some of its desks, from startsAt to endsAt.")
    async def add_station_closure(
        self, info: strawberry.Info[Context], input: AddStationClosureInput
    ) -> StationPayload:
        ctx = info.context
        outcome = await run(ctx, lambda: logic.add_station_closure(ctx, input))
        return await _payload(ctx, *outcome, input.station_id)

    @strawberry.mutation(description="Remove a closure that is not over yet.")
    async def remove_station_closure(
        self, info: strawberry.Info[Context], input: RemoveStationClosureInput
    ) -> StationPayload:
        ctx = info.context
        return await _payload(ctx, *await run(ctx, lambda: logic.remove_station_closure(ctx, input)))
