"""Every SQL statement about incidents and their status history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Row,
    Table,
    and_,
    any_,
    bindparam,
    false,
    func,
    null,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import client_requests as client_repo
from db import statements, versioned
from db.cells import with_cells
from db.disclosure import CaseViewpoint, disclosed_between
from db.models import Incident, IncidentStatusChange, Station
from db.rows import IncidentRow, ReadIncidentRow, StatusChangeRow

_INCIDENTS = cast(Table, Incident.__table__)
_CHANGES = cast(Table, IncidentStatusChange.__table__)
# Incidents are read with their station's governorate: permissions depend on it.
_WITH_GOVERNORATE = select(_INCIDENTS, Station.governorate_code.label("station_governorate")).join(
    Station, Station.id == _INCIDENTS.c.station_id
)


# Built once, run with the values as parameters: statement building is the dear part of a sync entry.
_INSERT_INCIDENT = insert(_INCIDENTS).returning(*_INCIDENTS.c)
_INSERT_CHANGE = insert(_CHANGES)


async def insert_incident(session: AsyncSession, values: dict[str, Any]) -> IncidentRow:
    # The H3 cell goes with the point, whoever writes it: the activity rollups are keyed by it.
    return cast(
        "IncidentRow", (await statements.execute(session, _INSERT_INCIDENT, with_cells([values])[0])).one()
    )


def _first_change(made: CTE) -> list[CTE]:
    """The status history's first row for an incident just made (by its reporter, to its first status)."""
    columns = ["incident_id", "from_status", "to_status", "version", "changed_by_id"]
    rows = select(made.c.id, null(), made.c.status, made.c.version, made.c.reported_by_id)
    return [insert(_CHANGES).from_select(columns, rows).cte("first_change")]


async def insert_reported_incident(
    session: AsyncSession, values: dict[str, Any], claimant: client_repo.Claimant, result_type: str
) -> IncidentRow | None:
    """The claim of the client id, a new incident and its first status change: one round trip for what
    was four statements. None, with nothing written, when the client id was already taken."""
    return cast(
        "IncidentRow | None",
        await client_repo.insert_claimed(
            session, _INCIDENTS, with_cells([values])[0], claimant, result_type, _first_change
        ),
    )


_BY_IDS = _WITH_GOVERNORATE.where(_INCIDENTS.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))


async def incidents_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ReadIncidentRow]:
    rows = (await statements.execute(session, _BY_IDS, {"ids": list(ids)})).all()
    return cast("dict[int, ReadIncidentRow]", {row.id: row for row in rows})


async def update_if_version(
    session: AsyncSession, incident_id: int, expected_version: int, values: dict[str, Any]
) -> IncidentRow | None:
    """Apply `values` and bump the version, only if the incident is still at `expected_version`
    (db.versioned); None when it has moved on (or does not exist)."""
    return cast(
        "IncidentRow | None",
        await versioned.update_if_version(session, _INCIDENTS, incident_id, expected_version, values),
    )


async def insert_status_change(session: AsyncSession, values: dict[str, Any]) -> None:
    await statements.execute(session, _INSERT_CHANGE, values)


async def status_change_at(session: AsyncSession, incident_id: int, version: int) -> StatusChangeRow | None:
    """The change that brought the incident to `version`."""
    query = (
        select(_CHANGES)
        .where(_CHANGES.c.incident_id == incident_id, _CHANGES.c.version == version)
        .order_by(_CHANGES.c.id.desc())
        .limit(1)
    )
    return cast("StatusChangeRow | None", (await statements.execute(session, query)).first())


async def status_changes_for(
    session: AsyncSession, incident_ids: Sequence[int]
) -> dict[int, list[StatusChangeRow]]:
    """Each incident's status changes, oldest first."""
    query = (
        select(_CHANGES)
        .where(_CHANGES.c.incident_id.in_(list(incident_ids)))
        .order_by(_CHANGES.c.incident_id, _CHANGES.c.version, _CHANGES.c.id)
    )
    result: dict[int, list[Row[Any]]] = {i: [] for i in incident_ids}
    for row in (await statements.execute(session, query)).all():
        result[row.incident_id].append(row)
    return cast("dict[int, list[StatusChangeRow]]", result)


def on_case(viewpoint: CaseViewpoint) -> ColumnElement[bool]:
    """The incidents whose case the viewer is on (resolvers.policy.on_incident_case, in SQL)."""
    c = _INCIDENTS.c
    if viewpoint.everything:
        return true()
    mine = [c.reported_by_id == viewpoint.officer_id, c.assigned_officer_ids.contains([viewpoint.officer_id])]
    if viewpoint.station_id is not None:
        mine.append(c.station_id == viewpoint.station_id)
    return or_(*mine)


def _conditions(
    *,
    everything: bool,
    scope_station_ids: Sequence[int],
    scope_governorates: Sequence[str],
    station_id: int | None,
    governorate: str | None,
    categories: Sequence[str],
    statuses: Sequence[str],
    occurred_from: datetime | None,
    occurred_to: datetime | None,
    assigned_to: int | None,
    viewpoint: CaseViewpoint,
    day_span: tuple[datetime | None, datetime | None],
    cell: Any = None,
    held_from: datetime | None = None,
) -> ColumnElement[bool]:
    c = _INCIDENTS.c
    conditions: list[ColumnElement[bool]] = []
    if held_from is not None:
        # Off its case, a sensitive incident is listed once the day it arrived on has ended
        # (resolvers.disclosure.arrivals_held_from): listed at once, it would be timed by its arrival.
        sensitive = func.markaz_sensitive_incident(c.category, c.sensitive)
        conditions.append(or_(~sensitive, on_case(viewpoint), c.reported_at < held_from))
    if not everything:
        in_scope: list[ColumnElement[bool]] = []
        if scope_station_ids:
            in_scope.append(c.station_id.in_(list(scope_station_ids)))
        if scope_governorates:
            in_scope.append(Station.governorate_code.in_(list(scope_governorates)))
        conditions.append(or_(*in_scope) if in_scope else false())
    if station_id is not None:
        conditions.append(c.station_id == station_id)
    if governorate is not None:
        conditions.append(Station.governorate_code == governorate)
    if categories:
        conditions.append(c.category.in_(list(categories)))
    if statuses:
        conditions.append(c.status.in_(list(statuses)))
    if occurred_from is not None or occurred_to is not None:
        conditions.append(
            disclosed_between(
                c,
                func.markaz_sensitive_incident(c.category, c.sensitive),
                on_case(viewpoint),
                occurred_from,
                occurred_to,
                day_span,
            )
        )
    if assigned_to is not None:
        conditions.append(c.assigned_officer_ids.contains([assigned_to]))
    if cell is not None:  # resolvers.disclosure.CellFilter
        conditions.append(c.h3_cell.between(cell.low, cell.high))
        if not cell.generalised_in:
            sensitive = func.markaz_sensitive_incident(c.category, c.sensitive)
            conditions.append(or_(~sensitive, on_case(viewpoint)))
    return and_(true(), *conditions)


async def list_incidents(
    session: AsyncSession, *, after: tuple[datetime, int] | None, limit: int, **filters: Any
) -> Sequence[ReadIncidentRow]:
    """A page of incidents, newest first (by the time everyone may see, `disclosed_at`, then id), after
    the cursor's position."""
    c = _INCIDENTS.c
    query = _WITH_GOVERNORATE.where(_conditions(**filters))
    if after is not None:
        query = query.where(tuple_(c.disclosed_at, c.id) < tuple_(*after))
    query = query.order_by(c.disclosed_at.desc(), c.id.desc()).limit(limit)
    return cast("Sequence[ReadIncidentRow]", (await statements.execute(session, query)).all())


async def count_incidents(session: AsyncSession, **filters: Any) -> int:
    query = (
        select(func.count())
        .select_from(_INCIDENTS)
        .join(Station, Station.id == _INCIDENTS.c.station_id)
        .where(_conditions(**filters))
    )
    return int((await statements.execute(session, query)).scalar_one())
