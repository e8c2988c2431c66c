"""Stations, governorates and the citizen's queries about them (all public)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import strawberry
from strawberry.dataloader import DataLoader

from db.rows import GovernorateRow, StationRow
from resolvers import hours
from resolvers import stations as logic
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.lang import localized
from resolvers.messages import message
from resolvers.station_records import Closure
from resolvers.station_records import StationService as _StationService
from schema import loaders
from schema.common import GeoPoint, GeoPointInput, LocalizedText
from schema.node import Node, PageInfo, from_global_id, int_key, to_global_id
from schema.scalars import GeoJSON
from schema.station_community import CommunityMeeting, PublicPriority

# strawberry.enum registers the logic's enum and gives it back; type checkers see it as the enum itself.
if TYPE_CHECKING:
    StationService = _StationService
else:
    StationService = strawberry.enum(_StationService, description="A service a station offers.")


def _names(row: StationRow | GovernorateRow) -> dict[str, str | None]:
    return {"ar": row.name_ar, "ku": row.name_ku, "en": row.name_en}


@strawberry.type(description="One of Iraq's 18 governorates.")
class Governorate(Node):
    code: str = strawberry.field(description="ISO 3166-2:IQ code, e.g. IQ-NI for Nineveh.")
    name: str = strawberry.field(description="The name in the client's language.")
    names: LocalizedText = strawberry.field(description="The name in every language.")
    capital: GeoPoint = strawberry.field(description="Where the governorate's capital lies.")

    @classmethod
    def from_row(cls, row: GovernorateRow, lang: str) -> Governorate:
        names = _names(row)
        return cls(
            id=strawberry.ID(to_global_id("Governorate", row.code)),
            code=row.code,
            name=localized(names, lang),
            names=LocalizedText(**names),
            capital=GeoPoint(latitude=row.latitude, longitude=row.longitude),
        )


@strawberry.type(description="A weekly opening period in the station's own time zone.")
class OpeningPeriod:
    weekday: int = strawberry.field(description="Day the period opens: 1 = Monday ... 7 = Sunday (ISO 8601).")
    opens: str = strawberry.field(description="Local opening time, HH:MM.")
    closes: str = strawberry.field(
        description="Local closing time, HH:MM; at or before `opens` means the next day (past midnight)."
    )
    service: StationService | None = strawberry.field(
        description="The service these hours are for; null for the station itself."
    )


@strawberry.type(description="A dated exception to the weekly hours: a holiday or a temporary closure.")
class StationClosure:
    id: strawberry.ID | None = strawberry.field(
        description="Its global ID (pass it to removeStationClosure); null for none stored."
    )
    starts_at: datetime = strawberry.field(description="Closed from this instant...")
    ends_at: datetime = strawberry.field(description="...until this instant (open again from it).")
    reason: str | None = strawberry.field(description="Why, for the public, in the client's language.")
    reasons: LocalizedText = strawberry.field(description="Why, in every language given.")
    services: list[StationService] | None = strawberry.field(
        description="Only these services are closed; null when the whole station is."
    )

    @classmethod
    def of(cls, closure: Closure, lang: str) -> StationClosure:
        ar, ku, en = closure.reasons
        reasons = {"ar": ar, "ku": ku, "en": en}
        return cls(
            id=strawberry.ID(to_global_id("StationClosure", closure.id)) if closure.id is not None else None,
            starts_at=closure.starts_at,
            ends_at=closure.ends_at,
            reason=localized(reasons, lang) if any(closure.reasons) else closure.reason,
            reasons=LocalizedText(**reasons),
            services=[_StationService(s) for s in closure.services] if closure.services else None,
        )


@strawberry.type(description="A service desk of a station.")
class ServiceDesk:
    service: StationService = strawberry.field(description="The service.")
    closes_on_holidays: bool = strawberry.field(
        description="Closed on public holidays (the whole station's flag, or the desk's own)."
    )
    has_own_hours: bool = strawberry.field(
        description="The desk keeps hours of its own (in openingHours); else the station's."
    )


def _closure_loader(ctx: Context) -> DataLoader[tuple[int, datetime], list[Closure]]:
    """Closures by (station id, instant): those not over by the instant, which is what `isOpen` and
    `nextChangeAt` at that instant need, and `closures` at the request's now."""
    return DataLoader(load_fn=lambda keys: logic.closures_ending_after(ctx, list(keys)))


@strawberry.type(description="A police station.")
class Station(Node):
    name: str = strawberry.field(description="The name in the client's language (Accept-Language).")
    names: LocalizedText = strawberry.field(description="The name in every language.")
    is_model_station: bool = strawberry.field(description="A Model Police Station of the initiative.")
    location: GeoPoint = strawberry.field(description="Where the station is.")
    address: str | None = strawberry.field(
        description="Street address, in the client's language when the station has it in several."
    )
    addresses: LocalizedText = strawberry.field(description="The address in every language given.")
    phone: str | None = strawberry.field(description="Public phone number.")
    services: list[StationService] = strawberry.field(description="What the station offers.")
    always_open: bool = strawberry.field(description="Open around the clock (closures aside).")
    closes_on_holidays: bool = strawberry.field(
        description="The whole station closes on Iraq's public holidays (see publicHolidays)."
    )
    timezone: str = strawberry.field(description="IANA time zone of the opening hours.")
    version: int = strawberry.field(
        description="Bumped by every change; send it as expectedVersion to change the station."
    )
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: StationRow, lang: str) -> Station:
        names = _names(row)
        addresses = {"ar": row.address_ar, "ku": row.address_ku, "en": row.address_en}
        return cls(
            id=strawberry.ID(to_global_id("Station", row.id)),
            name=localized(names, lang),
            names=LocalizedText(**names),
            is_model_station=row.is_model_station,
            location=GeoPoint(latitude=row.latitude, longitude=row.longitude),
            address=localized(addresses, lang) if any(addresses.values()) else row.address,
            addresses=LocalizedText(**addresses),
            phone=row.phone,
            services=[_StationService(s) for s in row.services],
            always_open=row.always_open,
            closes_on_holidays=row.closes_on_holidays,
            timezone=row.timezone,
            version=row.version,
            row=row,
        )

    @strawberry.field(
        description="The problems the station's commander published as its priorities, the newest first "
        "(public: what it is and what is being done)."
    )
    async def public_priorities(self, info: strawberry.Info[Context]) -> list[PublicPriority]:
        rows = await loaders.public_priorities(info.context).load(self.row.id)
        return [PublicPriority.from_row(r, info.context.lang) for r in rows]

    @strawberry.field(
        description="Community meetings the station published that are not over yet, soonest first."
    )
    async def upcoming_meetings(self, info: strawberry.Info[Context]) -> list[CommunityMeeting]:
        rows = await loaders.upcoming_meetings(info.context).load(self.row.id)
        return [CommunityMeeting.from_row(r, info.context.lang) for r in rows]

    @strawberry.field(description="The station's service desks, one per service it offers.")
    def desks(self) -> list[ServiceDesk]:
        row = self.row
        own = {p.get("service") for p in row.hours}
        return [
            ServiceDesk(
                service=_StationService(s),
                closes_on_holidays=row.closes_on_holidays or s in row.holiday_closed_services,
                has_own_hours=s in own,
            )
            for s in row.services
        ]

    @strawberry.field(description="The governorate the station serves.")
    async def governorate(self, info: strawberry.Info[Context]) -> Governorate:
        rows = await logic.governorates(info.context)
        return Governorate.from_row(rows[self.row.governorate_code], info.context.lang)

    @strawberry.field(
        description="The station's area (its beat), a GeoJSON Polygon or MultiPolygon; null when none was "
        "imported (`markaz stations import-areas`). locateStation finds the station of a point by it."
    )
    async def area(self, info: strawberry.Info[Context]) -> GeoJSON | None:
        from schema import loaders  # schema.loaders is made for the types of this module and others

        found = await loaders.station_area(info.context).load(self.row.id)
        return cast(GeoJSON, found.geometry) if found is not None else None

    @strawberry.field(description="Weekly opening periods, the station's own and those of service desks.")
    def opening_hours(self) -> list[OpeningPeriod]:
        return [
            OpeningPeriod(
                weekday=p["weekday"] + 1,
                opens=p["opens"],
                closes=p["closes"],
                service=_StationService(p["service"]) if p.get("service") else None,
            )
            for p in self.row.hours
        ]

    async def _closures_after(self, ctx: Context, after: datetime) -> list[Closure]:
        """The station's closures not over by `after`: read with it by the nearest search, else loaded."""
        known = logic.known_closures(ctx, self.row.id, after)
        if known is not None:
            return known
        return await ctx.loader("closures_by_station", _closure_loader).load((self.row.id, after))

    @strawberry.field(
        description="Closures in force now or coming, in start order (public holidays aside: see "
        "publicHolidays and closesOnHolidays)."
    )
    async def closures(self, info: strawberry.Info[Context]) -> list[StationClosure]:
        ctx = info.context
        return [
            StationClosure.of(c, ctx.lang) for c in await self._closures_after(ctx, logic.request_now(ctx))
        ]

    async def _schedule(self, ctx: Context, at: datetime) -> hours.Schedule:
        # Every closure not over by `at`, however far `at` is from today: those in force decide
        # `isOpen`, and those ahead `nextChangeAt`. Public holidays close it the same way, when it (or a
        # desk) closes on them.
        closures = await self._closures_after(ctx, at)
        if logic.closes_on_holidays(self.row):
            found = await logic.holidays_from(ctx, at)
            closures = closures + logic.holiday_closures(self.row, found, at)
        return logic.schedule_of(self.row, closures)

    @strawberry.field(description="Whether the station is open at `at` (default: now).")
    async def is_open(
        self,
        info: strawberry.Info[Context],
        at: datetime | None = None,
        service: StationService | None = None,
    ) -> bool:
        when = at or logic.request_now(info.context)
        return hours.is_open(
            await self._schedule(info.context, when), when, service.value if service else None
        )

    @strawberry.field(description="Next instant it opens or closes after `at`; null if never.")
    async def next_change_at(
        self,
        info: strawberry.Info[Context],
        at: datetime | None = None,
        service: StationService | None = None,
    ) -> datetime | None:
        when = at or logic.request_now(info.context)
        return hours.next_change(
            await self._schedule(info.context, when), when, service.value if service else None
        )


@strawberry.type(description="A station with its distance from the point asked about.")
class NearbyStation:
    station: Station = strawberry.field(description="The station.")
    distance_meters: float = strawberry.field(description="Geodesic distance (WGS-84), in metres.")
    is_open: bool = strawberry.field(description="Open at the instant of the query (`at`, default now).")


@strawberry.type(description="An edge of a station list.")
class StationEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this station.")
    node: Station = strawberry.field(description="The station.")


@strawberry.type(description="A page of stations.")
class StationConnection:
    edges: list[StationEdge] = strawberry.field(description="The stations of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    count_args: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many stations match, over all pages.")
    async def total_count(self, info: strawberry.Info[Context]) -> int:
        return await logic.count_stations(info.context, self.count_args)


def _service_values(services: list[_StationService] | None) -> list[str]:
    return sorted({s.value for s in services or ()})


@strawberry.type
class StationQuery:
    @strawberry.field(description="Stations nearest to a point by geodesic distance, after every filter.")
    async def nearest_stations(
        self,
        info: strawberry.Info[Context],
        near: GeoPointInput,
        first: int | None = 5,
        open_now: bool | None = False,
        at: datetime | None = None,
        services: list[StationService] | None = None,
        within_meters: float | None = None,
    ) -> list[NearbyStation]:
        return await nearest_stations(
            info.context,
            near=near,
            first=first,
            open_now=open_now,
            at=at,
            services=services,
            within_meters=within_meters,
        )

    @strawberry.field(description="Stations page by page; `search` forgives Arabic spelling.")
    async def stations(
        self,
        info: strawberry.Info[Context],
        first: int | None = None,
        after: str | None = None,
        governorate_id: strawberry.ID | None = None,
        services: list[StationService] | None = None,
        model_only: bool | None = False,
        search: str | None = None,
    ) -> StationConnection:
        ctx = info.context
        after_id = _cursor_id(after, ctx.lang) if after else None
        governorate = (
            from_global_id(governorate_id, "governorateId", ctx.lang, "Governorate")[1]
            if governorate_id
            else None
        )
        page = await logic.list_stations(
            ctx,
            first=first,
            after_id=after_id,
            governorate=governorate,
            services=_service_values(services),
            model_only=bool(model_only),
            search=search,
        )
        edges = [
            StationEdge(cursor=to_global_id("StationCursor", r.id), node=Station.from_row(r, ctx.lang))
            for r in page.rows
        ]
        return StationConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            count_args=page.count_args,
        )

    @strawberry.field(description="One station by its global ID; null when there is none.")
    async def station(self, info: strawberry.Info[Context], id: strawberry.ID) -> Station | None:
        key = int_key(id, "id", info.context.lang, "Station")
        rows = await logic.stations_by_ids(info.context, [key])
        return Station.from_row(rows[key], info.context.lang) if key in rows else None

    @strawberry.field(description="Iraq's 18 governorates.")
    async def governorates(self, info: strawberry.Info[Context]) -> list[Governorate]:
        rows = await logic.governorates(info.context)
        return [Governorate.from_row(r, info.context.lang) for r in rows.values()]


async def nearest_stations(
    ctx: Context,
    *,
    near: GeoPointInput,
    first: int | None = 5,
    open_now: bool | None = False,
    at: datetime | None = None,
    services: list[_StationService] | None = None,
    within_meters: float | None = None,
) -> list[NearbyStation]:
    """`nearestStations`: what the field's resolver answers."""
    when = at or logic.request_now(ctx)
    found = await logic.nearest(
        ctx,
        latitude=near.latitude,
        longitude=near.longitude,
        first=first,
        at=when,
        open_now=bool(open_now),
        services=_service_values(services),
        within_m=within_meters,
    )
    lang = ctx.lang
    return [
        NearbyStation(
            station=Station.from_row(n.station, lang), distance_meters=n.distance_m, is_open=n.is_open
        )
        for n in found
    ]


def _cursor_id(cursor: str, lang: str) -> int:
    try:
        return int_key(cursor, "after", lang, "StationCursor")
    except InputError:
        raise InputError("after", message("bad_cursor", lang, field="after")) from None


async def resolve_station_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """Station nodes for `node`/`nodes`, by key."""
    ids = [int(k) for k in keys if k.isdigit() and len(k) <= 18]
    rows = await logic.stations_by_ids(ctx, ids)
    return {str(i): Station.from_row(r, ctx.lang) for i, r in rows.items()}


async def resolve_governorate_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    rows = await logic.governorates(ctx)
    return {k: Governorate.from_row(rows[k], ctx.lang) for k in keys if k in rows}
