"""Every SQL statement about patrols and their GPS fixes."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    Table,
    Update,
    and_,
    any_,
    bindparam,
    false,
    func,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.cells import with_cells
from db.models import Patrol, PatrolFix, Station
from db.rows import KeptFixRow, PatrolRow, TrackEndRow, TrackFixRow

_PATROLS = cast(Table, Patrol.__table__)
_INSERT_PATROL = insert(_PATROLS).returning(*_PATROLS.c)  # built once; values go as parameters
_FIXES = cast(Table, PatrolFix.__table__)
IMPOSSIBLE_SPEED = "IMPOSSIBLE_SPEED"


async def insert_patrol(session: AsyncSession, values: dict[str, Any]) -> PatrolRow:
    return cast("PatrolRow", (await statements.execute(session, _INSERT_PATROL, values)).one())


@functools.cache
def _update_patrol(columns: tuple[str, ...]) -> Update:
    return (
        update(_PATROLS)
        .where(_PATROLS.c.id == bindparam("key"))
        .values({name: bindparam(f"v_{name}") for name in columns})
        .returning(*_PATROLS.c)
    )


async def update_patrol(session: AsyncSession, patrol_id: int, values: dict[str, Any]) -> PatrolRow:
    # one statement built per set of columns (a sync batch sends hundreds of the same kind)
    params = {f"v_{name}": value for name, value in values.items()}
    params["key"] = patrol_id
    return cast(
        "PatrolRow", (await statements.execute(session, _update_patrol(tuple(sorted(values))), params)).one()
    )


_LOCKED_BY_ID = select(_PATROLS).where(_PATROLS.c.id == bindparam("key")).with_for_update()
_LOCKED_BY_CLIENT_ID = select(_PATROLS).where(_PATROLS.c.client_id == bindparam("key")).with_for_update()


async def patrol_locked(
    session: AsyncSession, *, patrol_id: int | None = None, client_id: uuid.UUID | None = None
) -> PatrolRow | None:
    """The patrol by id or by its device-made id, locked until the transaction ends (appends queue up)."""
    if patrol_id is not None:
        return cast(
            "PatrolRow | None", (await statements.execute(session, _LOCKED_BY_ID, {"key": patrol_id})).first()
        )
    return cast(
        "PatrolRow | None",
        (await statements.execute(session, _LOCKED_BY_CLIENT_ID, {"key": client_id})).first(),
    )


async def patrols_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, PatrolRow]:
    rows = (await statements.execute(session, select(_PATROLS).where(Patrol.id.in_(list(ids))))).all()
    return cast("dict[int, PatrolRow]", {row.id: row for row in rows})


async def track(session: AsyncSession, patrol_id: int) -> Sequence[TrackFixRow]:
    """Every stored fix of a patrol, kept or not, in time order."""
    query = (
        select(
            PatrolFix.recorded_at,
            PatrolFix.latitude,
            PatrolFix.longitude,
            PatrolFix.accuracy_m,
            PatrolFix.flags,
            PatrolFix.step_m,
        )
        .where(PatrolFix.patrol_id == patrol_id)
        .order_by(PatrolFix.recorded_at)
    )
    return cast("Sequence[TrackFixRow]", (await statements.execute(session, query)).all())


# One statement text whatever the number of fixes (a VALUES list per batch size was compiled anew each
# time), and one statement per batch: the activity rollups fold fixes once per statement. Each fix's
# flags travel as one comma-joined string (arrays of arrays must be rectangular).
_INSERT_FIXES = text(
    "INSERT INTO patrol_fixes (patrol_id, recorded_at, latitude, longitude, accuracy_m, flags, h3_cell, "
    "step_m) "
    "SELECT f.patrol_id, f.recorded_at, f.latitude, f.longitude, f.accuracy_m, "
    "string_to_array(f.flags, ','), f.h3_cell, f.step_m "
    "FROM unnest(CAST(:patrol_ids AS bigint[]), CAST(:times AS timestamptz[]), CAST(:latitudes AS float8[]), "
    "CAST(:longitudes AS float8[]), CAST(:accuracies AS float8[]), CAST(:flags AS text[]), "
    "CAST(:cells AS bigint[]), CAST(:steps AS float8[])) "
    "AS f(patrol_id, recorded_at, latitude, longitude, accuracy_m, flags, h3_cell, step_m) "
    "ON CONFLICT DO NOTHING"
)


async def insert_fixes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert fixes in one statement; one already stored at the same instant is left as it is. Each row
    names its `step_m` (None: left out of the track), as the walk of resolvers.patrols found it."""
    if not rows:
        return
    rows = with_cells(rows)
    await statements.execute(
        session,
        _INSERT_FIXES,
        {
            "patrol_ids": [r["patrol_id"] for r in rows],
            "times": [r["recorded_at"] for r in rows],
            "latitudes": [r["latitude"] for r in rows],
            "longitudes": [r["longitude"] for r in rows],
            "accuracies": [r.get("accuracy_m") for r in rows],
            "flags": [",".join(r.get("flags", ())) for r in rows],
            "cells": [r["h3_cell"] for r in rows],
            "steps": [r["step_m"] for r in rows],
        },
    )


_UPDATE_FIXES = text(
    "UPDATE patrol_fixes f SET flags = string_to_array(v.flags, ','), step_m = v.step_m "
    "FROM unnest(CAST(:times AS timestamptz[]), CAST(:flags AS text[]), CAST(:steps AS float8[])) "
    "AS v(recorded_at, flags, step_m) WHERE f.patrol_id = :patrol_id AND f.recorded_at = v.recorded_at"
)


async def update_fixes(
    session: AsyncSession, patrol_id: int, changes: Sequence[tuple[datetime, Sequence[str], float | None]]
) -> None:
    """Set (recorded_at, flags, step_m) of stored fixes of a patrol: one statement whatever the count, so
    the rollups' update trigger reads the track once."""
    if changes:
        await statements.execute(
            session,
            _UPDATE_FIXES,
            {
                "patrol_id": patrol_id,
                "times": [at for at, _, _ in changes],
                "flags": [",".join(flags) for _, flags, _ in changes],
                "steps": [step for _, _, step in changes],
            },
        )


def _kept() -> ColumnElement[bool]:
    """A fix of the track: the walk gave it a step (one left out, IMPOSSIBLE_SPEED or MOCK_LOCATION, has
    none)."""
    return PatrolFix.step_m.is_not(None)


async def kept_tracks(session: AsyncSession, patrol_ids: Sequence[int]) -> dict[int, list[KeptFixRow]]:
    """The fixes that count (neither IMPOSSIBLE_SPEED nor MOCK_LOCATION) of each patrol, in time order."""
    query = (
        select(PatrolFix.patrol_id, PatrolFix.latitude, PatrolFix.longitude)
        .where(PatrolFix.patrol_id.in_(list(patrol_ids)), _kept())
        .order_by(PatrolFix.patrol_id, PatrolFix.recorded_at)
    )
    result: dict[int, list[Row[Any]]] = {pid: [] for pid in patrol_ids}
    for row in (await statements.execute(session, query)).all():
        result[row.patrol_id].append(row)
    return cast("dict[int, list[KeptFixRow]]", result)


def _track_ends() -> Select[Any]:
    ids = select(Patrol.id).where(Patrol.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))).subquery("p")
    last_any = (
        select(PatrolFix.recorded_at)
        .where(PatrolFix.patrol_id == ids.c.id)
        .order_by(PatrolFix.recorded_at.desc())
        .limit(1)
        .lateral("last_any")
    )
    last_kept = (
        select(PatrolFix.recorded_at, PatrolFix.latitude, PatrolFix.longitude, PatrolFix.accuracy_m)
        .where(PatrolFix.patrol_id == ids.c.id, _kept())
        .order_by(PatrolFix.recorded_at.desc())
        .limit(1)
        .lateral("last_kept")
    )
    return select(
        ids.c.id,
        last_any.c.recorded_at.label("last_fix_at"),
        last_kept.c.recorded_at.label("kept_at"),
        last_kept.c.latitude,
        last_kept.c.longitude,
        last_kept.c.accuracy_m,
    ).select_from(ids.outerjoin(last_any, true()).outerjoin(last_kept, true()))


_TRACK_ENDS = _track_ends()  # built once: every append of a sync batch asks


async def track_ends(session: AsyncSession, patrol_ids: Sequence[int]) -> dict[int, TrackEndRow]:
    """Per patrol: the time of its last fix, and its last kept fix (where, when, how accurate; both walk
    the primary key backwards from the end, one row each)."""
    rows = (await statements.execute(session, _TRACK_ENDS, {"ids": list(patrol_ids)})).all()
    return cast("dict[int, TrackEndRow]", {row.id: row for row in rows})


def _conditions(
    *,
    scope_everything: bool,
    scope_station_ids: Sequence[int],
    scope_governorates: Sequence[str],
    station_id: int | None = None,
    governorate: str | None = None,
    status: str | None = None,
    officer_id: int | None = None,
    from_: datetime | None = None,
    to: datetime | None = None,
) -> ColumnElement[bool]:
    """The patrols within the viewer's scope (stations, or stations of governorates) and the filter."""
    conditions = []
    if not scope_everything:
        allowed = []
        if scope_station_ids:
            allowed.append(Patrol.station_id.in_(list(scope_station_ids)))
        if scope_governorates:
            allowed.append(
                Patrol.station_id.in_(
                    select(Station.id).where(Station.governorate_code.in_(list(scope_governorates)))
                )
            )
        conditions.append(or_(*allowed) if allowed else false())
    if station_id is not None:
        conditions.append(Patrol.station_id == station_id)
    if governorate is not None:
        conditions.append(
            Patrol.station_id.in_(select(Station.id).where(Station.governorate_code == governorate))
        )
    if status is not None:
        conditions.append(Patrol.status == status)
    if officer_id is not None:
        conditions.append(Patrol.officer_ids.contains([officer_id]))
    if from_ is not None:  # still going on at `from_`, or ended after it
        conditions.append(or_(Patrol.ended_at.is_(None), Patrol.ended_at >= from_))
    if to is not None:
        conditions.append(Patrol.started_at < to)
    return and_(true(), *conditions)


async def list_patrols(
    session: AsyncSession, *, after: tuple[datetime, int] | None, limit: int, **filters: Any
) -> Sequence[PatrolRow]:
    """A page of patrols, newest start first; `after` is the (started_at, id) of the last one seen."""
    query = select(_PATROLS).where(_conditions(**filters))
    if after is not None:
        query = query.where(tuple_(Patrol.started_at, Patrol.id) < tuple_(*after))
    query = query.order_by(Patrol.started_at.desc(), Patrol.id.desc()).limit(limit)
    return cast("Sequence[PatrolRow]", (await statements.execute(session, query)).all())


async def count_patrols(session: AsyncSession, **filters: Any) -> int:
    query = select(func.count()).select_from(_PATROLS).where(_conditions(**filters))
    return int((await statements.execute(session, query)).scalar_one())
