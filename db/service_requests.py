"""Every SQL statement about Open311 service requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db import incidents as incident_repo
from db import statements
from db.disclosure import CaseViewpoint
from db.models import Incident, ServiceRequest, Station
from db.rows import ServiceRequestRow

_T = cast(Table, ServiceRequest.__table__)
_S = Station.__table__
# A request's case is its incident's: the one it became, else that of the report it repeats, or of the
# report that one repeats, and so on (a duplicate is a report of the same thing, at the same place). Every
# read carries what the disclosure rule needs of that incident
# (resolvers.disclosure.Disclosure.service_request_generalised).
_I = cast(Table, Incident.__table__)
_MAX_REPEATS = 16  # a bound on the chain of duplicates followed (the triage does not forbid a cycle)
_STEP, _NEXT = _T.alias("step"), _T.alias("next_step")
_CHAIN = (
    select(_STEP.c.incident_id, _STEP.c.duplicate_of_id, literal(1).label("depth"))
    .where(_STEP.c.id == _T.c.duplicate_of_id)
    .correlate(_T)
    .cte("chain", recursive=True, nesting=True)
)
_CHAIN = _CHAIN.union_all(
    select(_NEXT.c.incident_id, _NEXT.c.duplicate_of_id, _CHAIN.c.depth + 1)
    .select_from(_CHAIN.join(_NEXT, _NEXT.c.id == _CHAIN.c.duplicate_of_id))
    .where(_CHAIN.c.incident_id.is_(None), _CHAIN.c.depth < _MAX_REPEATS)
)
_REPEATED = (
    select(_CHAIN.c.incident_id)
    .where(_CHAIN.c.incident_id.is_not(None))
    .order_by(_CHAIN.c.depth)
    .limit(1)
    .lateral("repeated")
)
_CASE_ID = func.coalesce(_T.c.incident_id, _REPEATED.c.incident_id)
_ON_SENSITIVE_CASE: ColumnElement[bool] = func.coalesce(
    func.markaz_sensitive_incident(_I.c.category, _I.c.sensitive), false()
)
# When everyone may see it was sent: of a request on a sensitive case, the start of its day (Baghdad), as
# an incident's `disclosed_at` (migration 0011); lists are ordered by it.
_DISCLOSED_AT = case(
    (_ON_SENSITIVE_CASE, func.activity_bucket(literal_column("'d'"), _T.c.requested_at)),
    else_=_T.c.requested_at,
)
_COLUMNS = [
    *_T.c,
    _S.c.governorate_code.label("station_governorate"),
    _CASE_ID.label("case_incident_id"),
    _I.c.station_id.label("case_station_id"),
    _I.c.category.label("case_category"),
    _I.c.sensitive.label("case_marked"),
    _I.c.reported_by_id.label("case_reported_by_id"),
    _I.c.assigned_officer_ids.label("case_assigned_officer_ids"),
    _I.c.reported_at.label("case_reported_at"),
    _ON_SENSITIVE_CASE.label("on_sensitive_case"),
    _DISCLOSED_AT.label("disclosed_at"),
]
_FROM = (
    _T.join(_S, _S.c.id == _T.c.station_id).outerjoin(_REPEATED, true()).outerjoin(_I, _I.c.id == _CASE_ID)
)


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
    """Requests for GET requests.json, the most recent first (the public shape is resolvers.open311's);
    never one on a sensitive case: the public may see nothing placed of one (docs/privacy.md)."""
    conditions: list[Any] = [~_ON_SENSITIVE_CASE]
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
    viewpoint: CaseViewpoint,
    held_from: datetime,
) -> Sequence[ServiceRequestRow]:
    """Requests in the triage of the stations of a scope, the most recent first by the time everyone may
    see (`disclosed_at`), then id; `after` is the (disclosed_at, id) of the last one seen. Off its case, a
    request on a sensitive case is listed once its incident's arrival day has ended
    (resolvers.disclosure.arrivals_held_from), as the incident is."""
    conditions: list[Any] = [
        or_(~_ON_SENSITIVE_CASE, incident_repo.on_case(viewpoint), _I.c.reported_at < held_from)
    ]
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
        conditions.append(tuple_(_DISCLOSED_AT, _T.c.id) < tuple_(*after))
    query = (
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(and_(true(), *conditions))
        .order_by(_DISCLOSED_AT.desc(), _T.c.id.desc())
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
