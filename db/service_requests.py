"""Every SQL statement about Open311 service requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, or_, select, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import ServiceRequest, Station
from db.rows import ServiceRequestRow

_T = cast(Table, ServiceRequest.__table__)
_S = Station.__table__
_COLUMNS = [*_T.c, _S.c.governorate_code.label("station_governorate")]
_FROM = _T.join(_S, _S.c.id == _T.c.station_id)


async def insert_request(session: AsyncSession, values: dict[str, Any]) -> int:
    statement = _T.insert().values(**values).returning(_T.c.id)
    return cast(int, (await statements.execute(session, statement)).scalar_one())


async def requests_by_ids(
    session: AsyncSession, ids: Sequence[int], *, lock: bool = False
) -> dict[int, ServiceRequestRow]:
    if not ids:
        return {}
    query = select(*_COLUMNS).select_from(_FROM).where(_T.c.id.in_(list(ids)))
    if lock:
        query = query.with_for_update(of=_T)
    return {row.id: cast(ServiceRequestRow, row) for row in (await statements.execute(session, query)).all()}


async def request_id_by_token(session: AsyncSession, token: uuid.UUID) -> int | None:
    return cast(
        "int | None", (await statements.execute(session, select(_T.c.id).where(_T.c.token == token))).scalar()
    )


async def public_requests(
    session: AsyncSession,
    *,
    ids: Sequence[int] | None,
    service_codes: Sequence[str],
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> Sequence[ServiceRequestRow]:
    """Requests for GET requests.json, the most recent first (the public shape is resolvers.open311's)."""
    conditions: list[Any] = []
    if ids is not None:
        conditions.append(_T.c.id.in_(list(ids)))
    else:
        if start is not None:
            conditions.append(_T.c.requested_at >= start)
        if end is not None:
            conditions.append(_T.c.requested_at < end)
    if service_codes:
        conditions.append(_T.c.service_code.in_(list(service_codes)))
    if status is not None:
        conditions.append(_T.c.status == status)
    query = (
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(and_(true(), *conditions))
        .order_by(_T.c.requested_at.desc(), _T.c.id.desc())
        .limit(limit)
    )
    return cast("Sequence[ServiceRequestRow]", (await statements.execute(session, query)).all())


async def station_requests(
    session: AsyncSession,
    *,
    everything: bool,
    station_ids: Sequence[int],
    governorates: Sequence[str],
    station_id: int | None,
    triage: Sequence[str],
    status: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[ServiceRequestRow]:
    """Requests in the triage of the stations of a scope, the most recent first."""
    conditions: list[Any] = []
    if not everything:
        conditions.append(
            or_(_T.c.station_id.in_(list(station_ids)), _S.c.governorate_code.in_(list(governorates)))
        )
    if station_id is not None:
        conditions.append(_T.c.station_id == station_id)
    if triage:
        conditions.append(_T.c.triage.in_(list(triage)))
    if status is not None:
        conditions.append(_T.c.status == status)
    if after is not None:
        conditions.append(tuple_(_T.c.requested_at, _T.c.id) < tuple_(*after))
    query = (
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(and_(true(), *conditions))
        .order_by(_T.c.requested_at.desc(), _T.c.id.desc())
        .limit(limit)
    )
    return cast("Sequence[ServiceRequestRow]", (await statements.execute(session, query)).all())


async def update_request(session: AsyncSession, request_id: int, values: dict[str, Any]) -> None:
    statement = (
        update(_T)
        .where(_T.c.id == request_id)
        .values(**values, version=_T.c.version + 1, updated_at=func.now())
    )
    await statements.execute(session, statement)
