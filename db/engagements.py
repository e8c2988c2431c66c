"""Every SQL statement about community engagements and the follow-up actions of engagements and
incidents."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Row,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db import client_requests as client_repo
from db import incidents as incident_repo
from db import statements, versioned
from db.cells import with_cells
from db.disclosure import CaseViewpoint, disclosed_between
from db.models import Engagement, FollowUpAction, Incident, Patrol, Station
from db.rows import EngagementRow, PatrolStationRow, ReadEngagementRow, ReadFollowUpRow

_ENGAGEMENTS = typing.cast(Table, Engagement.__table__)
_ACTIONS = typing.cast(Table, FollowUpAction.__table__)
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
# Actions without a due date sort after every real one (due dates are at most two years ahead).
NO_DUE_DATE = date(9999, 12, 31)

# An action is overdue once its due date has passed in its station's own time zone and it is not done.
_TODAY_AT_STATION = cast(func.timezone(Station.timezone, func.now()), Date)
_OVERDUE = and_(
    FollowUpAction.due_on.is_not(None),
    FollowUpAction.due_on < _TODAY_AT_STATION,
    FollowUpAction.status.in_(OPEN_STATUSES),
)
_DUE_KEY = func.coalesce(FollowUpAction.due_on, literal(NO_DUE_DATE, Date))
# An action belongs to an engagement or to an incident (exactly one): its station is that record's.
_ACTION_STATION_ID = func.coalesce(Engagement.station_id, Incident.station_id)
_ACTIONS_FROM = (
    _ACTIONS.outerjoin(Engagement, Engagement.id == FollowUpAction.engagement_id)
    .outerjoin(Incident, Incident.id == FollowUpAction.incident_id)
    .join(Station, Station.id == _ACTION_STATION_ID)
)
# Actions are read with their station and governorate, and for an incident's action what says whether the
# incident is sensitive and who is on its case (permissions depend on them: resolvers.policy).
_ACTIONS_READ = select(
    _ACTIONS,
    _ACTION_STATION_ID.label("station_id"),
    Station.governorate_code.label("station_governorate"),
    _OVERDUE.label("overdue"),
    Incident.category.label("incident_category"),
    Incident.sensitive.label("incident_sensitive"),
    Incident.reported_by_id.label("incident_reported_by_id"),
    Incident.assigned_officer_ids.label("incident_assigned_officer_ids"),
    Engagement.kind.label("engagement_kind"),
    Engagement.officer_id.label("engagement_officer_id"),
).select_from(_ACTIONS_FROM)
ENGAGEMENT_ACTIONS, INCIDENT_ACTIONS = "ENGAGEMENT", "INCIDENT"


# Built once, run with the values as parameters: statement building is the dear part of a sync entry.
_INSERT_ENGAGEMENT = insert(_ENGAGEMENTS).returning(*_ENGAGEMENTS.c)
_INSERT_ACTION = insert(_ACTIONS)


async def insert_engagement(session: AsyncSession, values: dict[str, Any]) -> EngagementRow:
    return typing.cast(
        "EngagementRow",
        (await statements.execute(session, _INSERT_ENGAGEMENT, with_cells([values])[0])).one(),
    )


async def insert_logged_engagement(
    session: AsyncSession, values: dict[str, Any], claimant: client_repo.Claimant, result_type: str
) -> EngagementRow | None:
    """The claim of the client id and a new engagement, in one statement; None, with nothing written,
    when the client id was already taken."""
    return typing.cast(
        "EngagementRow | None",
        await client_repo.insert_claimed(
            session, _ENGAGEMENTS, with_cells([values])[0], claimant, result_type
        ),
    )


async def insert_follow_ups(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await statements.execute(session, _INSERT_ACTION, list(rows))


async def insert_added_follow_up(
    session: AsyncSession, values: dict[str, Any], claimant: client_repo.Claimant, result_type: str
) -> Row[Any] | None:
    """The claim of the client id and a new follow-up action, in one statement; None, with nothing
    written, when the client id was already taken."""
    return await client_repo.insert_claimed(session, _ACTIONS, values, claimant, result_type)


async def update_engagement_if_version(
    session: AsyncSession, engagement_id: int, expected_version: int, values: dict[str, Any]
) -> Row[Any] | None:
    """Apply `values` and bump the version, only if the engagement is still at `expected_version`
    (db.versioned); None when it has moved on (or does not exist)."""
    return await versioned.update_if_version(session, _ENGAGEMENTS, engagement_id, expected_version, values)


# Built once: a replayed sync batch reads every engagement back, and a third of a day's link a patrol.
_BY_IDS = (
    select(_ENGAGEMENTS, Station.governorate_code.label("station_governorate"))
    .join(Station, Station.id == Engagement.station_id)
    .where(Engagement.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
)
_PATROL_STATION = select(Patrol.id, Patrol.station_id, Patrol.officer_ids).where(
    Patrol.id == bindparam("key")
)


async def engagements_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ReadEngagementRow]:
    return typing.cast(
        "dict[int, ReadEngagementRow]",
        {row.id: row for row in (await statements.execute(session, _BY_IDS, {"ids": list(ids)})).all()},
    )


async def patrol_station(session: AsyncSession, patrol_id: int) -> PatrolStationRow | None:
    """A patrol an engagement links to: its id, station and officers."""
    return typing.cast(
        "PatrolStationRow | None",
        (await statements.execute(session, _PATROL_STATION, {"key": patrol_id})).first(),
    )


def _scope(
    column: ColumnElement[int] | InstrumentedAttribute[int],
    *,
    scope_everything: bool,
    scope_station_ids: Sequence[int],
    scope_governorates: Sequence[str],
) -> ColumnElement[bool]:
    """`column` (a station id) within the viewer's scope: all, some stations, or stations of governorates."""
    if scope_everything:
        return true()
    allowed = []
    if scope_station_ids:
        allowed.append(column.in_(list(scope_station_ids)))
    if scope_governorates:
        allowed.append(
            column.in_(select(Station.id).where(Station.governorate_code.in_(list(scope_governorates))))
        )
    return or_(*allowed) if allowed else false()


def on_case(viewpoint: CaseViewpoint) -> ColumnElement[bool]:
    """The engagements whose case the viewer is on (resolvers.policy.on_engagement_case, in SQL)."""
    if viewpoint.everything:
        return true()
    mine = [Engagement.officer_id == viewpoint.officer_id]
    if viewpoint.station_id is not None:
        mine.append(Engagement.station_id == viewpoint.station_id)
    return or_(*mine)


def _engagement_conditions(
    *,
    station_id: int | None = None,
    governorate: str | None = None,
    kinds: Sequence[str] = (),
    from_: datetime | None = None,
    to: datetime | None = None,
    patrol_id: int | None = None,
    viewpoint: CaseViewpoint | None = None,
    day_span: tuple[datetime | None, datetime | None] = (None, None),
    held_from: datetime | None = None,
    **scope: Any,
) -> ColumnElement[bool]:
    conditions = [_scope(Engagement.station_id, **scope)]
    if station_id is not None:
        conditions.append(Engagement.station_id == station_id)
    if governorate is not None:
        conditions.append(
            Engagement.station_id.in_(select(Station.id).where(Station.governorate_code == governorate))
        )
    if kinds:
        conditions.append(Engagement.kind.in_(list(kinds)))
    if from_ is not None or to is not None:
        assert viewpoint is not None, "a period needs the viewer's cases"
        conditions.append(
            disclosed_between(
                Engagement,
                func.markaz_sensitive_engagement(Engagement.kind),
                on_case(viewpoint),
                from_,
                to,
                day_span,
            )
        )
    if held_from is not None:
        # Off its case, a household engagement is listed once the day it arrived on has ended
        # (resolvers.disclosure.arrivals_held_from): listed at once, it would be timed by its arrival.
        assert viewpoint is not None, "holding back needs the viewer's cases"
        conditions.append(
            or_(
                ~func.markaz_sensitive_engagement(Engagement.kind),
                on_case(viewpoint),
                Engagement.received_at < held_from,
            )
        )
    if patrol_id is not None:
        # A patrol's track is shown exactly: a household engagement off its case is not tied to one (its
        # patrol would place it to the metre; resolvers.disclosure).
        assert viewpoint is not None, "a patrol needs the viewer's cases"
        conditions.append(Engagement.patrol_id == patrol_id)
        conditions.append(or_(~func.markaz_sensitive_engagement(Engagement.kind), on_case(viewpoint)))
    return and_(*conditions)


async def list_engagements(
    session: AsyncSession, *, after: tuple[datetime, int] | None, limit: int, **filters: Any
) -> Sequence[ReadEngagementRow]:
    """A page of engagements, newest first (by the time everyone may see, `disclosed_at`); `after` is the
    (disclosed_at, id) of the last one seen."""
    query = select(_ENGAGEMENTS).where(_engagement_conditions(**filters))
    if after is not None:
        query = query.where(tuple_(Engagement.disclosed_at, Engagement.id) < tuple_(*after))
    query = query.order_by(Engagement.disclosed_at.desc(), Engagement.id.desc()).limit(limit)
    return typing.cast("Sequence[ReadEngagementRow]", (await statements.execute(session, query)).all())


async def count_engagements(session: AsyncSession, **filters: Any) -> int:
    query = select(func.count()).select_from(_ENGAGEMENTS).where(_engagement_conditions(**filters))
    return int((await statements.execute(session, query)).scalar_one())


async def follow_ups_by_engagement_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[ReadFollowUpRow]]:
    """Each engagement's actions, in the order they were promised."""
    query = _ACTIONS_READ.where(FollowUpAction.engagement_id.in_(list(ids))).order_by(FollowUpAction.id)
    found: dict[int, list[Row[Any]]] = {i: [] for i in ids}
    for row in (await statements.execute(session, query)).all():
        found[row.engagement_id].append(row)
    return typing.cast("dict[int, list[ReadFollowUpRow]]", found)


async def follow_ups_by_incident_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """Each incident's actions, in the order they were added."""
    query = _ACTIONS_READ.where(FollowUpAction.incident_id.in_(list(ids))).order_by(FollowUpAction.id)
    found: dict[int, list[Row[Any]]] = {i: [] for i in ids}
    for row in (await statements.execute(session, query)).all():
        found[row.incident_id].append(row)
    return found


async def follow_ups_by_ids(
    session: AsyncSession, ids: Sequence[int], *, lock: bool = False
) -> dict[int, ReadFollowUpRow]:
    query = _ACTIONS_READ.where(FollowUpAction.id.in_(list(ids)))
    if lock:  # status changes of one action queue up
        query = query.with_for_update(of=FollowUpAction)
    return typing.cast(
        "dict[int, ReadFollowUpRow]",
        {row.id: row for row in (await statements.execute(session, query)).all()},
    )


async def update_follow_up(session: AsyncSession, action_id: int, values: dict[str, Any]) -> None:
    await statements.execute(
        session,
        update(FollowUpAction).where(FollowUpAction.id == action_id).values(**values, updated_at=func.now()),
    )


def _action_conditions(
    *,
    station_id: int | None = None,
    owner_id: int | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    subjects: Sequence[str] = (ENGAGEMENT_ACTIONS,),
    viewpoint: CaseViewpoint | None = None,
    **scope: Any,
) -> ColumnElement[bool]:
    conditions = [_scope(_ACTION_STATION_ID, **scope)]
    kinds: list[ColumnElement[bool]] = []
    assert viewpoint is not None, "actions need the viewer's cases"
    if ENGAGEMENT_ACTIONS in subjects:
        # An action of a household engagement: its owner and the people on the engagement's case
        # (resolvers.policy.sees_follow_up): what it says to do there names the household.
        kinds.append(
            and_(
                FollowUpAction.engagement_id.is_not(None),
                or_(
                    ~func.markaz_sensitive_engagement(Engagement.kind),
                    on_case(viewpoint),
                    FollowUpAction.owner_id == viewpoint.officer_id,
                ),
            )
        )
    if INCIDENT_ACTIONS in subjects:
        # An action of a sensitive incident is listed to the people on the incident's case and its owner
        # (resolvers.policy.sees_follow_up): what it says to do may tell the case.
        kinds.append(
            and_(
                FollowUpAction.incident_id.is_not(None),
                or_(
                    ~func.markaz_sensitive_incident(Incident.category, Incident.sensitive),
                    incident_repo.on_case(viewpoint),
                    FollowUpAction.owner_id == viewpoint.officer_id,
                ),
            )
        )
    conditions.append(or_(*kinds) if kinds else false())
    if station_id is not None:
        conditions.append(_ACTION_STATION_ID == station_id)
    if owner_id is not None:
        conditions.append(FollowUpAction.owner_id == owner_id)
    if status is not None:
        conditions.append(FollowUpAction.status == status)
    if overdue is not None:
        conditions.append(_OVERDUE if overdue else ~_OVERDUE)
    return and_(*conditions)


async def list_follow_ups(
    session: AsyncSession, *, after: tuple[date, int] | None, limit: int, **filters: Any
) -> Sequence[ReadFollowUpRow]:
    """A page of actions, the soonest due first and those without a due date last; `after` is the
    (due date or NO_DUE_DATE, id) of the last one seen."""
    query = _ACTIONS_READ.where(_action_conditions(**filters))
    if after is not None:
        query = query.where(tuple_(_DUE_KEY, FollowUpAction.id) > tuple_(*after))
    query = query.order_by(_DUE_KEY, FollowUpAction.id).limit(limit)
    return typing.cast("Sequence[ReadFollowUpRow]", (await statements.execute(session, query)).all())


async def count_follow_ups(session: AsyncSession, **filters: Any) -> int:
    query = select(func.count()).select_from(_ACTIONS_FROM).where(_action_conditions(**filters))
    return int((await statements.execute(session, query)).scalar_one())
