"""Every SQL statement about problems (SARA), their links, and what a station publishes: priorities
(published problems) and community meetings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import client_requests as client_repo
from db import statements, versioned
from db.models import CommunityMeeting, Problem, ProblemLink, Station
from db.rows import MeetingRow, ProblemLinkRow, ProblemRow, ReadProblemRow

_PROBLEMS = cast(Table, Problem.__table__)
_LINKS = cast(Table, ProblemLink.__table__)
_MEETINGS = cast(Table, CommunityMeeting.__table__)
# The record column of each kind of link.
LINK_COLUMNS = {
    "ENGAGEMENT": "engagement_id",
    "INCIDENT": "incident_id",
    "FOLLOW_UP_ACTION": "follow_up_action_id",
}
_READ = select(_PROBLEMS, Station.governorate_code.label("station_governorate")).join(
    Station, Station.id == _PROBLEMS.c.station_id
)
_BY_IDS = _READ.where(_PROBLEMS.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))


# --- problems ---------------------------------------------------------------------------------------


async def insert_opened_problem(
    session: AsyncSession, values: dict[str, Any], claimant: client_repo.Claimant, result_type: str
) -> ProblemRow | None:
    """The claim of the client id and the new problem in one statement; None when the id was taken."""
    return cast(
        "ProblemRow | None",
        await client_repo.insert_claimed(session, _PROBLEMS, values, claimant, result_type),
    )


async def problems_by_ids(
    session: AsyncSession, ids: Sequence[int], *, lock: bool = False
) -> dict[int, ReadProblemRow]:
    query = _BY_IDS.with_for_update(of=_PROBLEMS) if lock else _BY_IDS
    rows = (await statements.execute(session, query, {"ids": list(ids)})).all()
    return cast("dict[int, ReadProblemRow]", {row.id: row for row in rows})


async def update_if_version(
    session: AsyncSession, problem_id: int, expected_version: int, values: dict[str, Any]
) -> ProblemRow | None:
    """Apply `values` and bump the version, only at `expected_version` (db.versioned)."""
    return cast(
        "ProblemRow | None",
        await versioned.update_if_version(session, _PROBLEMS, problem_id, expected_version, values),
    )


def _conditions(
    *,
    scope_everything: bool,
    scope_station_ids: Sequence[int],
    scope_governorates: Sequence[str],
    station_id: int | None = None,
    stages: Sequence[str] = (),
    owner_id: int | None = None,
    priorities: Sequence[str] = (),
    published: bool | None = None,
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if not scope_everything:
        allowed: list[ColumnElement[bool]] = []
        if scope_station_ids:
            allowed.append(_PROBLEMS.c.station_id.in_(list(scope_station_ids)))
        if scope_governorates:
            allowed.append(Station.governorate_code.in_(list(scope_governorates)))
        conditions.append(or_(*allowed) if allowed else false())
    if station_id is not None:
        conditions.append(_PROBLEMS.c.station_id == station_id)
    if stages:
        conditions.append(_PROBLEMS.c.stage.in_(list(stages)))
    if owner_id is not None:
        conditions.append(_PROBLEMS.c.owner_id == owner_id)
    if priorities:
        conditions.append(_PROBLEMS.c.priority.in_(list(priorities)))
    if published is not None:
        conditions.append(
            _PROBLEMS.c.published_at.is_not(None) if published else _PROBLEMS.c.published_at.is_(None)
        )
    return and_(true(), *conditions)


async def list_problems(
    session: AsyncSession, *, after: int | None, limit: int, **filters: Any
) -> Sequence[ReadProblemRow]:
    """A page of problems, the newest first; `after` is the id of the last one seen."""
    query = _READ.where(_conditions(**filters))
    if after is not None:
        query = query.where(_PROBLEMS.c.id < after)
    query = query.order_by(_PROBLEMS.c.id.desc()).limit(limit)
    return cast("Sequence[ReadProblemRow]", (await statements.execute(session, query)).all())


async def count_problems(session: AsyncSession, **filters: Any) -> int:
    query = (
        select(func.count())
        .select_from(_PROBLEMS.join(Station, Station.id == _PROBLEMS.c.station_id))
        .where(_conditions(**filters))
    )
    return int((await statements.execute(session, query)).scalar_one())


# --- links ------------------------------------------------------------------------------------------


async def links_of(session: AsyncSession, problem_ids: Sequence[int]) -> dict[int, list[ProblemLinkRow]]:
    """Each problem's links, in the order they were made."""
    query = (
        select(_LINKS)
        .where(_LINKS.c.problem_id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
        .order_by(_LINKS.c.problem_id, _LINKS.c.id)
    )
    found: dict[int, list[ProblemLinkRow]] = {i: [] for i in problem_ids}
    for row in (await statements.execute(session, query, {"ids": list(problem_ids)})).all():
        found[row.problem_id].append(cast("ProblemLinkRow", row))
    return found


async def add_links(
    session: AsyncSession, problem_id: int, links: Sequence[tuple[str, int]], officer_id: int
) -> None:
    """Tie records to a problem; a record tied already stays as it was."""
    for kind, record_id in links:
        column = LINK_COLUMNS[kind]
        statement = (
            insert(_LINKS)
            .values(problem_id=problem_id, linked_by_id=officer_id, **{column: record_id})
            .on_conflict_do_nothing()
        )
        await statements.execute(session, statement)


async def remove_links(session: AsyncSession, problem_id: int, links: Sequence[tuple[str, int]]) -> None:
    for kind, record_id in links:
        column = _LINKS.c[LINK_COLUMNS[kind]]
        await statements.execute(
            session, delete(_LINKS).where(_LINKS.c.problem_id == problem_id, column == record_id)
        )


# --- published priorities ---------------------------------------------------------------------------


async def set_public_text(
    session: AsyncSession, problem_id: int, public_text: dict[str, Any] | None, officer_id: int | None
) -> ProblemRow | None:
    """Publish a problem with its public text (None: unpublish); the version is not bumped (publishing
    does not change the problem the officers work on)."""
    statement = (
        update(_PROBLEMS)
        .where(_PROBLEMS.c.id == problem_id)
        .values(
            public_text=public_text,
            published_at=func.now() if public_text is not None else None,
            published_by_id=officer_id if public_text is not None else None,
        )
        .returning(*_PROBLEMS.c)
    )
    return cast("ProblemRow | None", (await statements.execute(session, statement)).first())


async def published_priorities(session: AsyncSession, station_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each station's published problems (only what the public may read), the most recently published
    first."""
    query = (
        select(
            _PROBLEMS.c.id,
            _PROBLEMS.c.station_id,
            _PROBLEMS.c.stage,
            _PROBLEMS.c.public_text,
            _PROBLEMS.c.published_at,
        )
        .where(
            _PROBLEMS.c.station_id == any_(bindparam("ids", type_=ARRAY(BigInteger))),
            _PROBLEMS.c.published_at.is_not(None),
        )
        .order_by(_PROBLEMS.c.station_id, _PROBLEMS.c.published_at.desc(), _PROBLEMS.c.id.desc())
    )
    found: dict[int, list[Any]] = {i: [] for i in station_ids}
    for row in (await statements.execute(session, query, {"ids": list(station_ids)})).all():
        found[row.station_id].append(row)
    return found


# --- community meetings -----------------------------------------------------------------------------


async def insert_meeting(
    session: AsyncSession, values: dict[str, Any], claimant: client_repo.Claimant, result_type: str
) -> MeetingRow | None:
    return cast(
        "MeetingRow | None",
        await client_repo.insert_claimed(session, _MEETINGS, values, claimant, result_type),
    )


async def meetings_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, MeetingRow]:
    query = select(_MEETINGS).where(_MEETINGS.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
    rows = (await statements.execute(session, query, {"ids": list(ids)})).all()
    return cast("dict[int, MeetingRow]", {row.id: row for row in rows})


async def unpublish_meeting(session: AsyncSession, meeting_id: int) -> MeetingRow | None:
    statement = (
        update(_MEETINGS)
        .where(_MEETINGS.c.id == meeting_id, _MEETINGS.c.unpublished_at.is_(None))
        .values(unpublished_at=func.now())
        .returning(*_MEETINGS.c)
    )
    return cast("MeetingRow | None", (await statements.execute(session, statement)).first())


async def upcoming_meetings(
    session: AsyncSession, station_ids: Sequence[int], now: datetime, limit: int
) -> dict[int, list[MeetingRow]]:
    """Each station's published meetings not over yet (those without an end: not started an hour ago),
    soonest first, at most `limit` a station."""
    ranked = (
        select(
            _MEETINGS,
            func.row_number()
            .over(partition_by=_MEETINGS.c.station_id, order_by=(_MEETINGS.c.starts_at, _MEETINGS.c.id))
            .label("rank"),
        )
        .where(
            _MEETINGS.c.station_id == any_(bindparam("ids", type_=ARRAY(BigInteger))),
            _MEETINGS.c.unpublished_at.is_(None),
            func.coalesce(_MEETINGS.c.ends_at, _MEETINGS.c.starts_at + func.make_interval(0, 0, 0, 0, 1))
            > bindparam("now"),
        )
        .subquery()
    )
    query = select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.station_id, ranked.c.rank)
    found: dict[int, list[MeetingRow]] = {i: [] for i in station_ids}
    for row in (await statements.execute(session, query, {"ids": list(station_ids), "now": now})).all():
        found[row.station_id].append(cast("MeetingRow", row))
    return found
