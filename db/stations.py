"""Every SQL statement about governorates, stations and closures."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    Integer,
    Row,
    Select,
    Text,
    all_,
    and_,
    any_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import core
from db.models import Governorate, Station, StationClosure

_STATIONS = Station.__table__
_COLUMNS = list(_STATIONS.c)


def _ecef(lat, lon):
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
) -> Sequence[Row[Any]]:
    """Active stations in increasing chord distance from the point, with closures in force at `at`;
    only those of `governorate` when it is given, and none of `exclude_ids` (those already seen)."""
    query = nearest_query(bool(services), within_m is not None, bool(exclude_ids), governorate is not None)
    params: dict[str, Any] = {"lat": latitude, "lon": longitude, "at": at, "limit": limit}
    if services:
        params["services"] = list(services)
    if within_m is not None:
        params["within"] = within_m
    if exclude_ids:
        params["exclude_ids"] = list(exclude_ids)
    if governorate is not None:
        params["governorate"] = governorate
    return await core.fetch(session, query, params)


@functools.cache
def nearest_query(services: bool, within: bool, exclude: bool, governorate: bool) -> Select[Any]:
    """The statement of `nearest_candidates`, one per combination of filters, built once.

    Building a SQLAlchemy statement costs about as much as the k-nearest search itself, and this one
    runs on every citizen's query, so each shape is made once and run with new parameters.

    The ORDER BY and the optional box both use the GiST index on `markaz_ecef(latitude, longitude)`,
    so this walks the index from the point outwards and never scans the table. The ORDER BY must be
    the distance alone: a tie-breaker column makes PostgreSQL sort the whole table instead.
    """
    here = _ecef(bindparam("lat", type_=Double), bindparam("lon", type_=Double))
    position = _ecef(_STATIONS.c.latitude, _STATIONS.c.longitude)
    chord = position.op("<->", return_type=Double)(here)
    at = bindparam("at", type_=DateTime(timezone=True))
    closures = (
        select(func.coalesce(func.jsonb_agg(func.jsonb_build_array(
            StationClosure.starts_at, StationClosure.ends_at, StationClosure.services)), text("'[]'::jsonb")))
        .where(StationClosure.station_id == _STATIONS.c.id, StationClosure.starts_at <= at,
               StationClosure.ends_at > at)
        .scalar_subquery()
    )
    query = select(*_COLUMNS, chord.label("chord"), closures.label("closures_now")).where(_STATIONS.c.active)
    if services:
        query = query.where(_STATIONS.c.services.contains(bindparam("services", type_=ARRAY(Text))))
    if governorate:
        query = query.where(_STATIONS.c.governorate_code == bindparam("governorate", type_=Text))
    if within:
        # A cube around the point, `within` metres on each side: every station within that geodesic
        # distance has a chord at most that long, so it lies inside. The index answers `<@`.
        box = func.cube_enlarge(here, bindparam("within", type_=Double), literal_column("3"))
        query = query.where(position.op("<@")(box))
    if exclude:
        # One array parameter, not a list of them: the statement stays the same (and cached) whatever
        # the number of stations already seen.
        query = query.where(_STATIONS.c.id != all_(bindparam("exclude_ids", type_=ARRAY(BigInteger))))
    return query.order_by(chord).limit(bindparam("limit", type_=Integer))


# Built once: field-work writes read their station on every entry. One array parameter, so the text is
# the same whatever the number of ids.
_BY_IDS = select(*_COLUMNS).where(_STATIONS.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))


async def stations_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Row[Any]]:
    rows = (await core.execute(session, _BY_IDS, {"ids": list(ids)})).all()
    return {row.id: row for row in rows}


def _list_filter(governorate: str | None, services: Sequence[str], model_only: bool, search_key: str | None):
    conditions = [_STATIONS.c.active]
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
) -> Sequence[Row[Any]]:
    """A page of stations in id order (model stations are not put first: ids are stable cursors)."""
    query = select(*_COLUMNS).where(_list_filter(governorate, services, model_only, search_key))
    if after_id is not None:
        query = query.where(_STATIONS.c.id > after_id)
    return (await core.execute(session, query.order_by(_STATIONS.c.id).limit(limit))).all()


async def count_stations(
    session: AsyncSession,
    *,
    governorate: str | None = None,
    services: Sequence[str] = (),
    model_only: bool = False,
    search_key: str | None = None,
) -> int:
    query = select(func.count()).select_from(_STATIONS).where(
        _list_filter(governorate, services, model_only, search_key))
    return int((await core.execute(session, query)).scalar_one())


async def closures_for_stations(
    session: AsyncSession, station_ids: Sequence[int], *, ending_after: datetime
) -> dict[int, list[Row[Any]]]:
    """Closures not yet over at `ending_after`, per station, in start order."""
    query = (
        select(StationClosure.__table__)
        .where(StationClosure.station_id.in_(list(station_ids)), StationClosure.ends_at > ending_after)
        .order_by(StationClosure.station_id, StationClosure.starts_at)
    )
    result: dict[int, list[Row[Any]]] = {sid: [] for sid in station_ids}
    for row in (await core.execute(session, query)).all():
        result[row.station_id].append(row)
    return result


async def governorates(session: AsyncSession) -> Sequence[Row[Any]]:
    return (await core.execute(session, select(Governorate.__table__).order_by(Governorate.code))).all()


async def governorates_by_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, Row[Any]]:
    rows = (await core.execute(session,
        select(Governorate.__table__).where(Governorate.code.in_(list(codes))))).all()
    return {row.code: row for row in rows}


async def upsert_governorates(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Reference data: insert the governorates, or refresh their names and capitals."""
    stmt = insert(Governorate).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=[Governorate.code],
        set_={c: stmt.excluded[c] for c in ("name_ar", "name_ku", "name_en", "latitude", "longitude")},
    )
    await core.execute(session, stmt)


_UPDATABLE = [c.name for c in _COLUMNS if c.name not in ("id", "external_id", "created_at")]


async def upsert_stations(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> list[tuple[int, str | None, bool]]:
    """Insert stations, updating those whose `external_id` already exists.

    Returns (id, external_id, inserted) per row in input order. Rows without an external id are
    always inserted. `xmax = 0` tells an inserted row from an updated one in PostgreSQL.
    """
    if not rows:
        return []
    stmt = insert(Station).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=[Station.external_id],
        set_={name: (func.clock_timestamp() if name == "updated_at" else stmt.excluded[name])
              for name in _UPDATABLE if name in rows[0] or name == "updated_at"},
    ).returning(Station.id, Station.external_id, text("(xmax = 0) AS inserted"))
    return [(r[0], r[1], r[2]) for r in (await core.execute(session, stmt)).all()]


async def replace_closures(
    session: AsyncSession, station_ids: Sequence[int], closures: Sequence[dict[str, Any]]
) -> None:
    """Make the listed closures the stations' only closures (an import states them in full)."""
    old = delete(StationClosure).where(StationClosure.station_id.in_(list(station_ids)))
    await core.execute(session, old)
    if closures:
        await core.execute(session, insert(StationClosure).values(list(closures)))


async def station_count(session: AsyncSession) -> int:
    return int((await core.execute(session, select(func.count()).select_from(_STATIONS))).scalar_one())
