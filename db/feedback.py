"""Every SQL statement about citizens' feedback (submitFeedback, feedbackSummary, comments)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Date, Integer, Table, and_, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import FeedbackResponse, Station
from db.rows import FeedbackBaseRow, FeedbackCommentRow, FeedbackRow

_T = cast(Table, FeedbackResponse.__table__)
_S = Station.__table__


async def insert_feedback(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new answer's id; None when its client id is already taken (a resend, or a clash)."""
    statement = (
        insert(_T).values(**values).on_conflict_do_nothing(index_elements=[_T.c.client_id]).returning(_T.c.id)
    )
    return cast("int | None", (await statements.execute(session, statement)).scalar())


async def feedback_by_client_id(session: AsyncSession, client_id: uuid.UUID) -> FeedbackRow | None:
    query = select(_T.c.id, _T.c.station_id, _T.c.content_hash).where(_T.c.client_id == client_id)
    return cast("FeedbackRow | None", (await statements.execute(session, query)).first())


def _scope(
    station_id: int | None,
    governorate: str | None,
    scope_stations: Sequence[int] | None,
    scope_governorates: Sequence[str] | None,
) -> list[Any]:
    """Conditions on the joined station: the area asked about, within the viewer's scope (None: all)."""
    conditions: list[Any] = []
    if station_id is not None:
        conditions.append(_T.c.station_id == station_id)
    if governorate is not None:
        conditions.append(_S.c.governorate_code == governorate)
    if scope_stations is not None or scope_governorates is not None:
        conditions.append(
            (_T.c.station_id.in_(list(scope_stations or ())))
            | (_S.c.governorate_code.in_(list(scope_governorates or ())))
        )
    return conditions


def _yes(column: Any) -> Any:
    return func.count().filter(column.is_(True))


async def feedback_bases(
    session: AsyncSession,
    *,
    first_day: date,
    end_day: date,
    station_id: int | None,
    governorate: str | None,
    scope_stations: Sequence[int] | None,
    scope_governorates: Sequence[str] | None,
) -> Sequence[FeedbackBaseRow]:
    """Counts and sums per station, calendar month, service and women/others, over [first_day, end_day):
    the finest grain resolvers.feedback builds its base numbers from (nothing here is shown as it is)."""
    month = sql_cast(func.date_trunc("month", _T.c.submitted_on), Date).label("month")
    female = func.coalesce(_T.c.gender == "FEMALE", False).label("female")
    query = (
        select(
            _T.c.station_id,
            month,
            _T.c.service,
            female,
            func.count().label("n"),
            sql_cast(func.sum(_T.c.rating), Integer).label("rating_sum"),
            _yes(_T.c.respected).label("respected_yes"),
            _yes(_T.c.would_return).label("return_yes"),
            _yes(_T.c.safe_reporting).label("safe_yes"),
        )
        .select_from(_T.join(_S, _S.c.id == _T.c.station_id))
        .where(
            and_(
                _T.c.submitted_on >= first_day,
                _T.c.submitted_on < end_day,
                *_scope(station_id, governorate, scope_stations, scope_governorates),
            )
        )
        .group_by(_T.c.station_id, month, _T.c.service, female)
        .order_by(_T.c.station_id, month, _T.c.service)
    )
    return cast("Sequence[FeedbackBaseRow]", (await statements.execute(session, query)).all())


async def feedback_comments(
    session: AsyncSession, *, station_id: int, first_day: date, end_day: date, limit: int
) -> Sequence[FeedbackCommentRow]:
    """The comments of one station's answers, by month, newest month first; within a month in the order
    of their text, so that the order tells nothing of when each came."""
    month = sql_cast(func.date_trunc("month", _T.c.submitted_on), Date).label("month")
    query = (
        select(month, _T.c.comment)
        .where(
            _T.c.station_id == station_id,
            _T.c.submitted_on >= first_day,
            _T.c.submitted_on < end_day,
            _T.c.comment.is_not(None),
        )
        .order_by(month.desc(), _T.c.comment)
        .limit(limit)
    )
    return cast("Sequence[FeedbackCommentRow]", (await statements.execute(session, query)).all())
