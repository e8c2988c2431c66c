"""Every SQL statement about governorates, stations and closures."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Double,
    Integer,
    Select,
    Text,
    all_,
    and_,
    any_,
    bindparam,
    case,
    delete,
    extract,
    false,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import Governorate, Station, StationClosure
from db.rows import ClosureRow, GovernorateRow, NearestStationRow, StationRow

_STATIONS = Station.__table__
# `open_weekly` is only tested in SQL (never read back): the nearest search's rows leave it out.
_COLUMNS = [column for column in _STATIONS.c if column.name != "open_weekly"]
# The slots of `stations.open_weekly` (migration 0008): 0 the station itself, then one per service in
# this order, the order of resolvers.station_records.StationService (tested equal).
SERVICE_SLOTS = (
    "COMMUNITY_POLICING",
    "FAMILY_AND_CHILD_PROTECTION",
    "JUVENILE_POLICE",
    "WOMEN_OFFICERS_DESK",
    "CRIME_REPORTING",
    "TRAFFIC",
    "CIVIL_DOCUMENTS",
)
_WEEK_MINUTES = 7 * 24 * 60
DEFAULT_TIMEZONE = "Asia/Baghdad"  # the stations.timezone default (resolvers.station_records' too: tested)


def week_minute(at: datetime, zone: str) -> int:
    """Minutes since Monday 00:00 of the wall clock of `zone` at the instant `at`, as resolvers/hours.py
    counts them."""
    local = at.astimezone(ZoneInfo(zone))
    return local.weekday() * 1440 + local.hour * 60 + local.minute


def open_slots(services: Sequence[str]) -> list[int]:
    """The slots that must all be open for a station to be open for every one of `services`."""
    return [SERVICE_SLOTS.index(service) + 1 for service in services] if services else [0]


def _ecef(lat: ColumnElement[float], lon: ColumnElement[float]) -> ColumnElement[Any]:
    return func.markaz_ecef(lat, lon)


async def nearest_candidates(
    session: AsyncSession,
    *,
    latitude: float,
    longitude: float,
    at: datetime,
    services: Sequence[str] = (),
    within_m: float | None = None,
    limit: int,
    exclude_ids: Sequence[int] = (),
    governorate: str | None = None,
    open_now: bool = False,
) -> Sequence[NearestStationRow]:
    """Active stations in increasing chord distance from the point, with their closures not over by `at`
    (`closures_ahead`, in start order); only those of `governorate` when it is given, none of
    `exclude_ids` (those already seen), and with `open_now` only those whose weekly hours (not closures)
    have them open for `services` at `at`."""
    slots = open_slots(services) if open_now else []
    query = nearest_query(
        bool(services),
        within_m is not None,
        bool(exclude_ids),
        governorate is not None,
        len(slots),
        min(services, key=SERVICE_SLOTS.index) if services else None,
    )
    params: dict[str, Any] = {"lat": latitude, "lon": longitude, "at": at, "limit": limit}
    params.update({f"slot{i}": slot for i, slot in enumerate(slots)})
    if slots:
        params["zone_minute"] = week_minute(at, DEFAULT_TIMEZONE)
    if services:
        params["services"] = list(services)
    if within_m is not None:
        params["within"] = within_m
    if exclude_ids:
        params["exclude_ids"] = list(exclude_ids)
    if governorate is not None:
        params["governorate"] = governorate
    return cast("list[NearestStationRow]", await statements.fetch(session, query, params))


@functools.cache
def nearest_query(
    services: bool,
    within: bool,
    exclude: bool,
    governorate: bool,
    open_slots: int = 0,
    indexed_service: str | None = None,
) -> Select[Any]:
    """The statement of `nearest_candidates`, one per combination of filters, built once.

    Building a SQLAlchemy statement costs about as much as the k-nearest search itself, and this one
    runs on every citizen's query, so each shape is made once and run with new parameters.

    The ORDER BY and the optional box both use the GiST index on `markaz_ecef(latitude, longitude)`,
    so this walks the index from the point outwards and never scans the table. The ORDER BY must be
    the distance alone: a tie-breaker column makes PostgreSQL sort the whole table instead.

    With `open_slots` n > 0, the walk skips stations whose weekly hours have any of the slots
    `slot0`..`slot<n-1>` closed at `at`, in the station's own time zone: a check in C on each index
    entry instead of a candidate decoded and evaluated in Python, which mattered when few stations are
    open (late in the day, dozens of candidates a request). Closures stay with Python, which decides.

    With `indexed_service` (one of the services asked for), the statement names it as a constant, so
    PostgreSQL walks that service's own k-nearest index (partial: the active stations offering it,
    migration 0008) and never visits a station without it. One statement per service, made once.
    """
    here = _ecef(bindparam("lat", type_=Double), bindparam("lon", type_=Double))
    position = _ecef(_STATIONS.c.latitude, _STATIONS.c.longitude)
    chord = position.op("<->", return_type=Double)(here)
    at = bindparam("at", type_=DateTime(timezone=True))
    # Not only those in force at `at`: those ahead too, which the citizens' query needs for `nextChangeAt`
    # (read here, they cost no round trip of their own). Few stations have any; the index on
    # (station_id, ends_at) finds them.
    closures = (
        select(
            func.coalesce(
                func.jsonb_agg(
                    aggregate_order_by(
                        func.jsonb_build_array(
                            StationClosure.starts_at,
                            StationClosure.ends_at,
                            StationClosure.reason,
                            StationClosure.services,
                            StationClosure.id,
                            StationClosure.reason_ar,
                            StationClosure.reason_ku,
                            StationClosure.reason_en,
                        ),
                        StationClosure.starts_at,
                    )
                ),
                text("'[]'::jsonb"),
            )
        )
        .where(StationClosure.station_id == _STATIONS.c.id, StationClosure.ends_at > at)
        .scalar_subquery()
    )
    query = select(*_COLUMNS, chord.label("chord"), closures.label("closures_ahead")).where(
        _STATIONS.c.active
    )
    if services:
        query = query.where(_STATIONS.c.services.contains(bindparam("services", type_=ARRAY(Text))))
    if indexed_service is not None:
        if indexed_service not in SERVICE_SLOTS:  # a constant in the SQL: only a known service name
            raise ValueError(f"unknown service {indexed_service!r}")
        constant: ColumnElement[Any] = literal_column(f"ARRAY['{indexed_service}']::text[]")
        query = query.where(_STATIONS.c.services.op("@>")(constant))
    if governorate:
        query = query.where(_STATIONS.c.governorate_code == bindparam("governorate", type_=Text))
    if within:
        # A cube around the point, `within` metres on each side: every station within that geodesic
        # distance has a chord at most that long, so it lies inside. The index answers `<@`.
        box = func.cube_enlarge(here, bindparam("within", type_=Double), literal_column("3"))
        query = query.where(position.op("<@")(box))
    if open_slots:
        local = func.timezone(_STATIONS.c.timezone, at)  # the station's wall time at `at`
        # Constants as literals, not parameters: the statement's only parameters are the named ones.
        minute = (
            (extract("isodow", local).cast(Integer) - literal_column("1")) * literal_column("1440")
            + extract("hour", local).cast(Integer) * literal_column("60")
            + extract("minute", local).cast(Integer)
        )
        # Nearly every station keeps Iraq's zone: for those the minute comes worked out (`zone_minute`),
        # saving three zone conversions on each station walked past.
        minute = case(
            (
                _STATIONS.c.timezone == literal_column(f"'{DEFAULT_TIMEZONE}'"),
                bindparam("zone_minute", type_=Integer),
            ),
            else_=minute,
        )
        open_all = and_(
            *(
                _STATIONS.c.open_weekly.op("@>")(
                    bindparam(f"slot{i}", type_=Integer) * literal_column(str(_WEEK_MINUTES)) + minute
                )
                for i in range(open_slots)
            )
        )
        # Wrapped in coalesce (open_weekly is never NULL, so the answer is the same) for the planner:
        # it guesses 0.5% of rows for a range test against a per-row value and would then sort every
        # matching station instead of walking the index; for coalesce it guesses half, and walks.
        query = query.where(func.coalesce(open_all, false()))
    if exclude:
        # One array parameter, not a list of them: the statement stays the same (and cached) whatever
        # the number of stations already seen.
        query = query.where(_STATIONS.c.id != all_(bindparam("exclude_ids", type_=ARRAY(BigInteger))))
    return query.order_by(chord).limit(bindparam("limit", type_=Integer))


# Built once: field-work writes read their station on every entry. One array parameter, so the text is
# the same whatever the number of ids.
_BY_IDS = select(*_COLUMNS).where(_STATIONS.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))


async def stations_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, StationRow]:
    rows = (await statements.execute(session, _BY_IDS, {"ids": list(ids)})).all()
    return cast("dict[int, StationRow]", {row.id: row for row in rows})


async def station_by_external_id(session: AsyncSession, external_id: str) -> StationRow | None:
    """The station of this code (`external_id`, as in the station files), or None."""
    query = select(*_COLUMNS).where(_STATIONS.c.external_id == external_id)
    return cast("StationRow | None", (await statements.execute(session, query)).first())


def _list_filter(
    governorate: str | None, services: Sequence[str], model_only: bool, search_key: str | None
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [_STATIONS.c.active]
    if governorate:
        conditions.append(_STATIONS.c.governorate_code == governorate)
    if services:
        conditions.append(_STATIONS.c.services.contains(list(services)))
    if model_only:
        conditions.append(_STATIONS.c.is_model_station)
    if search_key:
        escaped = search_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(_STATIONS.c.search_key.like(f"%{escaped}%"))
    return and_(*conditions)


async def list_stations(
    session: AsyncSession,
    *,
    governorate: str | None = None,
    services: Sequence[str] = (),
    model_only: bool = False,
    search_key: str | None = None,
    after_id: int | None = None,
    limit: int,
) -> Sequence[StationRow]:
    """A page of stations in id order (model stations are not put first: ids are stable cursors)."""
    query = select(*_COLUMNS).where(_list_filter(governorate, services, model_only, search_key))
    if after_id is not None:
        query = query.where(_STATIONS.c.id > after_id)
    rows = (await statements.execute(session, query.order_by(_STATIONS.c.id).limit(limit))).all()
    return cast("Sequence[StationRow]", rows)


async def count_stations(
    session: AsyncSession,
    *,
    governorate: str | None = None,
    services: Sequence[str] = (),
    model_only: bool = False,
    search_key: str | None = None,
) -> int:
    query = (
        select(func.count())
        .select_from(_STATIONS)
        .where(_list_filter(governorate, services, model_only, search_key))
    )
    return int((await statements.execute(session, query)).scalar_one())


async def closures_for_stations(
    session: AsyncSession, station_ids: Sequence[int], *, ending_after: datetime
) -> dict[int, list[ClosureRow]]:
    """Closures not yet over at `ending_after`, per station, in start order."""
    query = (
        select(StationClosure.__table__)
        .where(StationClosure.station_id.in_(list(station_ids)), StationClosure.ends_at > ending_after)
        .order_by(StationClosure.station_id, StationClosure.starts_at)
    )
    result: dict[int, list[Any]] = {sid: [] for sid in station_ids}
    for row in (await statements.execute(session, query)).all():
        result[row.station_id].append(row)
    return cast("dict[int, list[ClosureRow]]", result)


async def governorates(session: AsyncSession) -> Sequence[GovernorateRow]:
    query = select(Governorate.__table__).order_by(Governorate.code)
    return cast("Sequence[GovernorateRow]", (await statements.execute(session, query)).all())


async def governorates_by_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, GovernorateRow]:
    rows = (
        await statements.execute(
            session, select(Governorate.__table__).where(Governorate.code.in_(list(codes)))
        )
    ).all()
    return cast("dict[str, GovernorateRow]", {row.code: row for row in rows})


async def upsert_governorates(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Reference data: insert the governorates, or refresh their names and capitals."""
    stmt = insert(Governorate).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=[Governorate.code],
        set_={c: stmt.excluded[c] for c in ("name_ar", "name_ku", "name_en", "latitude", "longitude")},
    )
    await statements.execute(session, stmt)


_UPDATABLE = [c.name for c in _COLUMNS if c.name not in ("id", "external_id", "created_at")]


async def upsert_stations(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> list[tuple[int, str | None, bool, int]]:
    """Insert stations, updating those whose `external_id` already exists.

    Returns (id, external_id, inserted, version) per row in input order. Rows without an external id are
    always inserted. `xmax = 0` tells an inserted row from an updated one in PostgreSQL.
    """
    if not rows:
        return []
    values = insert(Station).values(list(rows))
    stmt = values.on_conflict_do_update(
        index_elements=[Station.external_id],
        set_={
            **{
                name: (func.clock_timestamp() if name == "updated_at" else values.excluded[name])
                for name in _UPDATABLE
                if name in rows[0] or name == "updated_at"
            },
            # A re-import is a change like any other: a commander's form opened before it is stale.
            "version": Station.version + 1,
        },
    ).returning(Station.id, Station.external_id, text("(xmax = 0) AS inserted"), Station.version)
    made: Sequence[Any] = (await statements.execute(session, stmt)).all()
    return [(r[0], r[1], r[2], r[3]) for r in made]


async def replace_closures(
    session: AsyncSession, station_ids: Sequence[int], closures: Sequence[dict[str, Any]]
) -> None:
    """Make the listed closures the stations' only closures (an import states them in full)."""
    if not station_ids:
        return
    old = delete(StationClosure).where(StationClosure.station_id.in_(list(station_ids)))
    await statements.execute(session, old)
    if closures:
        await statements.execute(session, insert(StationClosure).values(list(closures)))


async def set_holiday_desks(session: AsyncSession, desks: dict[int, list[str]]) -> None:
    """Set the desks closed on public holidays of these stations (an import that states them)."""
    if not desks:
        return
    stmt = (
        update(Station)
        .where(Station.id == bindparam("station"))
        .values(holiday_closed_services=bindparam("desks"))
    )
    await statements.execute(
        session, stmt, [{"station": station, "desks": services} for station, services in desks.items()]
    )


async def station_count(session: AsyncSession) -> int:
    return int((await statements.execute(session, select(func.count()).select_from(_STATIONS))).scalar_one())


# --- Changes through the API (resolvers/station_management.py) ------------------------------------------


async def update_station_if_version(
    session: AsyncSession, station_id: int, expected_version: int, values: dict[str, Any]
) -> StationRow | None:
    """Apply `values` and bump the version, only if the station is still at `expected_version`; the row
    as it now is, or None when it has moved on. `updated_at` is the clock's time, not the transaction's:
    compiled schedules are cached by it (resolvers/stations.py), and two changes in one transaction must
    not share it. The trigger of migration 0008 recomputes `open_weekly` when the hours change."""
    stmt = (
        update(Station)
        .where(_STATIONS.c.id == station_id, _STATIONS.c.version == expected_version)
        .values(**values, version=_STATIONS.c.version + 1, updated_at=func.clock_timestamp())
        .returning(*_COLUMNS)
    )
    return cast("StationRow | None", (await statements.execute(session, stmt)).first())


async def insert_closure(session: AsyncSession, values: dict[str, Any]) -> ClosureRow:
    stmt = insert(StationClosure).values(**values).returning(*StationClosure.__table__.c)
    return cast("ClosureRow", (await statements.execute(session, stmt)).one())


async def closure_by_id(session: AsyncSession, closure_id: int) -> ClosureRow | None:
    query = select(StationClosure.__table__).where(StationClosure.id == closure_id)
    return cast("ClosureRow | None", (await statements.execute(session, query)).first())


async def delete_closure(session: AsyncSession, closure_id: int) -> None:
    await statements.execute(session, delete(StationClosure).where(StationClosure.id == closure_id))
