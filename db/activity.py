"""Every SQL statement about activity: reads of the rollups (maps, timelines, counts) and the few reads
of raw rows that counts cannot answer (medians, distinct officers), for summaries.

Filters are passed as a `Filter`. The SQL is assembled from fixed fragments chosen by which filters are
set (never from values: those always go as parameters), so each shape gets a plan that uses its index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from h3.api import basic_int as h3i
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models.activity import ENGAGEMENTS, INCIDENTS, PATROLS

__all__ = [
    "ENGAGEMENTS",
    "INCIDENTS",
    "PATROLS",
    "Coarse",
    "Filter",
    "cell_ranges",
    "cells",
    "coarse_counts",
    "compact",
    "counts",
    "freeze_public_months",
    "public_base",
    "raw_summary",
    "timeline",
    "unfrozen_months",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Filter:
    """What to count. `stretches` are (grain, res, start, end) from resolvers.activity_plan."""

    stretches: Sequence[tuple[str, int, datetime, datetime]]
    resolution: int  # cells are reported at this resolution (and `cover` is of it)
    scope_everything: bool
    scope_station_ids: Sequence[int] = ()
    scope_governorates: Sequence[str] = ()
    station_id: int | None = None  # a station area
    governorate: str | None = None  # a governorate area
    cover: Sequence[int] | None = None  # a drawn area: cells of `resolution` whose centre is inside
    layers: Sequence[int] = (INCIDENTS, ENGAGEMENTS, PATROLS)
    categories: Sequence[str] | None = None  # incident categories; None: all
    # False: only records that are not sensitive (the sensitive ones are counted generalised, by
    # `coarse_counts`); None: all of them, exactly
    sensitive: bool | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Coarse:
    """Which generalised records to count (resolvers.disclosure): those whose day lies wholly in the
    period (`stretches` of whole days and months at resolution 8 for the rollups, [`day_from`, `day_to`)
    of day starts for raw rows) and, for a drawn area, whose coarse cell's parent at `res` is one of
    `cells` (None: a scope area, every place)."""

    stretches: Sequence[tuple[str, int, datetime, datetime]]
    day_from: datetime
    day_to: datetime
    res: int = 7
    cells: Sequence[int] | None = None
    # Records that arrived at or after this (the start of today in Baghdad) are held back: shown the
    # moment they arrive, they would be timed by it (resolvers.disclosure.arrivals_held_from).
    held_from: datetime | None = None


_COVER = "(SELECT unnest(CAST(:cover AS bigint[])))"  # hashed: covers hold up to 100,000 cells


def _scope_and_area(f: Filter, params: dict[str, Any], station: str, governorate: str) -> list[str]:
    """Conditions for the viewer's scope and a station or governorate area, given the SQL expressions of
    a row's station id and governorate code."""
    conditions = []
    if not f.scope_everything:
        allowed = ["false"]
        if f.scope_station_ids:
            params["scope_station_ids"] = list(f.scope_station_ids)
            allowed.append(f"{station} = ANY(CAST(:scope_station_ids AS bigint[]))")
        if f.scope_governorates:
            params["scope_governorates"] = list(f.scope_governorates)
            allowed.append(f"{governorate} = ANY(CAST(:scope_governorates AS text[]))")
        conditions.append("(" + " OR ".join(allowed) + ")")
    if f.station_id is not None:
        params["station_id"] = f.station_id
        conditions.append(f"{station} = :station_id")
    if f.governorate is not None:
        params["governorate"] = f.governorate
        conditions.append(f"{governorate} = :governorate")
    return conditions


def _where(f: Filter, params: dict[str, Any], alias: str = "r") -> str:
    params.update(res=f.resolution, layers=list(f.layers))
    # One range of the primary key per stretch (at most five), OR-ed: PostgreSQL scans each range of the
    # index, where a join with the stretches as a set made it read the whole table.
    ranges = []
    for i, (grain, res, start, end) in enumerate(f.stretches):
        params.update({f"grain{i}": grain, f"res{i}": res, f"start{i}": start, f"end{i}": end})
        ranges.append(
            f"({alias}.grain = CAST(:grain{i} AS char(1)) AND {alias}.res = :res{i} "
            f"AND {alias}.bucket >= :start{i} AND {alias}.bucket < :end{i})"
        )
    conditions = [
        "(" + (" OR ".join(ranges) or "false") + ")",
        f"{alias}.layer = ANY(CAST(:layers AS smallint[]))",
        *_scope_and_area(f, params, f"{alias}.station_id", f"{alias}.governorate"),
    ]
    if f.categories is not None:
        params["categories"] = list(f.categories)
        conditions.append(
            f"({alias}.layer <> {INCIDENTS} OR {alias}.category = ANY(CAST(:categories AS text[])))"
        )
    if f.sensitive is False:
        conditions.append(f"NOT {alias}.sensitive")
    if f.cover is not None:
        params["cover"] = list(f.cover)
        conditions.append(f"activity_h3_parent({alias}.cell, :res) IN {_COVER}")
    return " AND ".join(conditions)


_STRETCHES = "FROM activity_rollups r"


def cell_ranges(cover: Sequence[int], resolution: int) -> tuple[list[int], list[int]]:
    """The cells of `resolution` under a cover (cells of any coarser or equal resolution), as ranges of
    cell numbers [low, high]: H3 numbers a cell's descendants at one resolution contiguously (same
    resolution field, same leading digits; the digits below the parent's resolution run from 0 to 6,
    those below `resolution` are 7). The cover is compacted first, so a whole parent is one range."""
    return _ranges(sorted(h3i.compact_cells(cover)) if cover else (), resolution)


def _ranges(compacted: Sequence[int], resolution: int) -> tuple[list[int], list[int]]:
    """`cell_ranges` of a cover already compacted and sorted."""
    lows, highs = [], []
    for cell in compacted:
        parent_res = (cell >> 52) & 15
        below = 3 * (15 - resolution)  # bits of the digits finer than `resolution` (left as 7s)
        free = ((1 << (3 * (resolution - parent_res))) - 1) << below  # the digits that vary
        sixes = sum(6 << (3 * (15 - digit)) for digit in range(parent_res + 1, resolution + 1))
        low = (cell & ~(15 << 52) & ~free) | (resolution << 52)
        lows.append(low)
        highs.append(low | sixes)
    return lows, highs


_LAYER_SUMS = {
    INCIDENTS: ("coalesce(sum(c.incidents), 0)::bigint", "coalesce(sum(c.sensitive), 0)::bigint"),
    ENGAGEMENTS: ("coalesce(sum(c.engagements + c.sensitive_engagements), 0)::bigint",),
    PATROLS: ("coalesce(sum(c.patrol_minutes), 0)::float8",),
}
# Only what is not sensitive (Filter.sensitive False).
_PLAIN_SUMS = {
    **_LAYER_SUMS,
    INCIDENTS: ("coalesce(sum(c.incidents), 0)::bigint", "0::bigint"),
    ENGAGEMENTS: ("coalesce(sum(c.engagements), 0)::bigint",),
}


async def _cells_from_totals(session: AsyncSession, f: Filter) -> Sequence[Row[Any]]:
    """`cells` without a category filter, from activity_cells: per stretch one range of an index that
    holds every column read (a drawn area: one range per compacted cover cell), summed to `f.resolution`."""
    params: dict[str, Any] = {"res": f.resolution}
    scope = "".join(f" AND {c}" for c in _scope_and_area(f, params, "r.station_id", "r.governorate"))
    parts = []
    # Compacted once; each stretch needs the ranges at its own resolution.
    compacted = sorted(h3i.compact_cells(f.cover)) if f.cover else []
    for i, (grain, res, start, end) in enumerate(f.stretches):
        params.update({f"grain{i}": grain, f"res{i}": res, f"start{i}": start, f"end{i}": end})
        stretch = (
            f"r.grain = CAST(:grain{i} AS char(1)) AND r.res = :res{i} "
            f"AND r.bucket >= :start{i} AND r.bucket < :end{i}"
        )
        if f.cover is None:
            parts.append(f"SELECT r.* FROM activity_cells r WHERE {stretch}{scope}")  # noqa: S608
        else:
            params[f"lo{i}"], params[f"hi{i}"] = _ranges(compacted, res)
            # LATERAL, kept apart by OFFSET 0: one scan of the cell index per range (a plain join let the
            # planner read the whole period of the country and test every range against every row).
            parts.append(
                f"SELECT r.* FROM unnest(CAST(:lo{i} AS bigint[]), CAST(:hi{i} AS bigint[])) "  # noqa: S608
                f"AS k(lo, hi) CROSS JOIN LATERAL (SELECT * FROM activity_cells r "
                f"WHERE r.cell BETWEEN k.lo AND k.hi AND {stretch}{scope} OFFSET 0) r"
            )
    sums = _PLAIN_SUMS if f.sensitive is False else _LAYER_SUMS
    wanted = {layer: sums[layer] for layer in f.layers}
    columns = [
        *wanted.get(INCIDENTS, ("0::bigint", "0::bigint")),
        *wanted.get(ENGAGEMENTS, ("0::bigint",)),
        *wanted.get(PATROLS, ("0::float8",)),
    ]
    sql = f"""
      SELECT activity_h3_parent(c.cell, :res) AS cell, {columns[0]} AS incidents, {columns[1]} AS sensitive,
             {columns[2]} AS engagements, {columns[3]} AS patrol_minutes
      FROM ({" UNION ALL ".join(parts) or "SELECT * FROM activity_cells WHERE false"}) c
      GROUP BY 1 ORDER BY 1"""  # noqa: S608 - fixed fragments; values are parameters
    return (await statements.execute(session, text(sql), params)).all()


async def cells(session: AsyncSession, f: Filter) -> Sequence[Row[Any]]:
    """Per cell of `f.resolution`: incidents (not sensitive, sensitive), engagements, patrol minutes."""
    if f.categories is None:
        return await _cells_from_totals(session, f)
    params: dict[str, Any] = {}
    sql = f"""
      SELECT activity_h3_parent(r.cell, :res) AS cell,
             coalesce(sum(r.n) FILTER (WHERE r.layer = {INCIDENTS} AND NOT r.sensitive), 0)::bigint
               AS incidents,
             coalesce(sum(r.n) FILTER (WHERE r.layer = {INCIDENTS} AND r.sensitive), 0)::bigint AS sensitive,
             coalesce(sum(r.n) FILTER (WHERE r.layer = {ENGAGEMENTS}), 0)::bigint AS engagements,
             coalesce(sum(r.minutes) FILTER (WHERE r.layer = {PATROLS}), 0)::float8 AS patrol_minutes
      {_STRETCHES}
      WHERE {_where(f, params)}
      GROUP BY 1
      ORDER BY 1"""
    return (await statements.execute(session, text(sql), params)).all()


async def counts(session: AsyncSession, f: Filter) -> Sequence[Row[Any]]:
    """Per (layer, category): records, sensitive records, patrol minutes and metres, attendees."""
    params: dict[str, Any] = {}
    sql = f"""
      SELECT r.layer, r.category, sum(r.n)::bigint AS n,
             coalesce(sum(r.n) FILTER (WHERE r.sensitive), 0)::bigint AS sensitive,
             sum(r.minutes)::float8 AS minutes, sum(r.meters)::float8 AS meters,
             sum(r.attendees)::bigint AS attendees, sum(r.women)::bigint AS women,
             sum(r.youth)::bigint AS youth
      {_STRETCHES}
      WHERE {_where(f, params)}
      GROUP BY 1, 2"""
    return (await statements.execute(session, text(sql), params)).all()


def _in_cells(expression: str, res_param: str, cells_param: str) -> str:
    """`expression`'s parent at :res_param is one of :cells_param (hashed, like a cover)."""
    return (
        f"activity_h3_parent({expression}, :{res_param}) IN (SELECT unnest(CAST(:{cells_param} AS bigint[])))"
    )


async def coarse_counts(session: AsyncSession, f: Filter, coarse: Coarse) -> Sequence[Row[Any]]:
    """The sensitive records of the scope, generalised: per coarse cell (`cell7`), rollup bucket (`grain`,
    `bucket`: a whole day or month), layer and category, the records (`n`) and their attendees. Only the
    whole days and months of `coarse.stretches`, and for a drawn area only the held coarse cells. Read from
    the rollups' sensitive rows (a partial index holds just them)."""
    params: dict[str, Any] = {"layers": list(f.layers)}
    ranges = []
    for i, (grain, res, start, end) in enumerate(coarse.stretches):
        params.update({f"grain{i}": grain, f"res{i}": res, f"start{i}": start, f"end{i}": end})
        ranges.append(
            f"(r.grain = CAST(:grain{i} AS char(1)) AND r.res = :res{i} "
            f"AND r.bucket >= :start{i} AND r.bucket < :end{i})"
        )
    conditions = [
        "r.sensitive",
        "(" + (" OR ".join(ranges) or "false") + ")",
        "r.layer = ANY(CAST(:layers AS smallint[]))",
        *_scope_and_area(f, params, "r.station_id", "r.governorate"),
    ]
    if f.categories is not None:
        params["categories"] = list(f.categories)
        conditions.append(f"(r.layer <> {INCIDENTS} OR r.category = ANY(CAST(:categories AS text[])))")
    if coarse.cells is not None:
        params.update(coarse_res=coarse.res, coarse_cells=list(coarse.cells))
        conditions.append(_in_cells("r.cell", "coarse_res", "coarse_cells"))
    rows = f"""
      SELECT activity_h3_parent(r.cell, 7) AS cell7, r.grain, r.bucket, r.layer, r.category,
             r.n, r.attendees, r.women, r.youth
      {_STRETCHES}
      WHERE {" AND ".join(conditions)}"""
    held = _held_arrivals(f, coarse, params) if coarse.held_from is not None else []
    sql = f"""
      SELECT cell7, grain, bucket, layer, category, sum(n)::bigint AS n, sum(attendees)::bigint AS attendees,
             sum(women)::bigint AS women, sum(youth)::bigint AS youth
      FROM ({" UNION ALL ".join([rows, *held])}) c
      GROUP BY 1, 2, 3, 4, 5"""  # noqa: S608 - fixed fragments; values are parameters
    return (await statements.execute(session, text(sql), params)).all()


# A sensitive record's arrival and what the rollups counted it by, per layer.
_ARRIVALS = {
    INCIDENTS: (
        "incidents x",
        "x.reported_at",
        "markaz_sensitive_incident(x.category, x.sensitive)",
        "x.category",
        "0, 0, 0",
    ),
    ENGAGEMENTS: (
        "engagements x",
        "x.received_at",
        "markaz_sensitive_engagement(x.kind)",
        "x.kind",
        "x.attendees_total, x.attendees_women, x.attendees_youth",
    ),
}


def _held_arrivals(f: Filter, coarse: Coarse, params: dict[str, Any]) -> list[str]:
    """Rows that take back out of `coarse_counts` the sensitive records that arrived at or after
    `coarse.held_from`: each counted negatively in the rollup row (stretch, cell, layer, category) that
    counted it. Found by the partial indexes of sensitive arrivals (migration 0023): a few rows a day."""
    params["held_from"] = coarse.held_from
    held = []
    for layer, (table, arrived, sensitive, category, sums) in _ARRIVALS.items():
        if layer not in f.layers:
            continue
        conditions = [
            sensitive,
            f"{arrived} >= :held_from",
            *_scope_and_area(f, params, "x.station_id", "st.governorate_code"),
        ]
        if layer == INCIDENTS and f.categories is not None:
            conditions.append("x.category = ANY(CAST(:categories AS text[]))")
        if coarse.cells is not None:
            conditions.append(_in_cells("x.h3_cell", "coarse_res", "coarse_cells"))
        for i in range(len(coarse.stretches)):
            bucket = f'activity_bucket(CAST(:grain{i} AS "char"), x.occurred_at)'
            negated = ", ".join(f"-{column}" for column in sums.split(", "))
            where = " AND ".join([*conditions, f"{bucket} >= :start{i}", f"{bucket} < :end{i}"])
            held.append(
                f"SELECT activity_h3_parent(x.h3_cell, 7), CAST(:grain{i} AS char(1)), {bucket}, "  # noqa: S608 - fixed fragments; values are parameters
                f"CAST({layer} AS smallint), {category}, -1, {negated} "
                f"FROM {table} JOIN stations st ON st.id = x.station_id WHERE {where}"
            )
    return held


async def unfrozen_months(session: AsyncSession, months: Sequence[datetime]) -> list[datetime]:
    """Which of `months` (each a month's start) the public map has not frozen yet, in order."""
    sql = """SELECT m FROM unnest(CAST(:months AS timestamptz[])) AS m
             WHERE NOT EXISTS (SELECT 1 FROM public_months p WHERE p.month = m) ORDER BY m"""
    result = await statements.execute(session, text(sql), {"months": list(months)})
    return [row[0] for row in result.all()]


async def freeze_public_months(
    session: AsyncSession, months: Sequence[datetime], *, excluded: Sequence[str], minimum: int
) -> list[datetime]:
    """Freeze those of `months` (each a month's start) that are not frozen yet: claim each in
    public_months and store its published base numbers, counted from the rollups now, for every
    governorate: per resolution-7 cell, governorate of the stations, the incidents neither sensitive nor
    of an `excluded` category, where there are at least `minimum` (the others are suppressed: never
    stored). One statement, so one transaction even on an autocommit session; the months claimed in
    order, so that two freezes of overlapping months take their keys in the same order. A month another
    transaction froze, or is freezing now, is left to it: its claim waits for that transaction's end and
    then claims nothing (ON CONFLICT DO NOTHING), and it counts nothing for it. The months this call
    froze; the caller commits."""
    sql = f"""
      WITH claimed AS (
        INSERT INTO public_months (month)
        SELECT m FROM unnest(CAST(:months AS timestamptz[])) AS m ORDER BY m
        ON CONFLICT (month) DO NOTHING
        RETURNING month
      ), published AS (
        INSERT INTO public_base_numbers (month, governorate, cell, n)
        SELECT r.bucket, r.governorate, activity_h3_parent(r.cell, 7), sum(r.n)
        {_STRETCHES}
        WHERE r.grain = 'm' AND r.res = 8 AND r.bucket IN (SELECT month FROM claimed)
          AND r.layer = {INCIDENTS} AND NOT r.sensitive AND r.category <> ALL(CAST(:excluded AS text[]))
        GROUP BY 1, 2, 3
        HAVING sum(r.n) >= :minimum
      )
      SELECT month FROM claimed ORDER BY month"""  # noqa: S608 - fixed fragments; values are parameters
    params = {"months": sorted(months), "excluded": list(excluded), "minimum": minimum}
    return [row[0] for row in (await statements.execute(session, text(sql), params)).all()]


async def public_base(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    governorate: str | None = None,
    cells7: Sequence[int] | None = None,
) -> Sequence[Row[Any]]:
    """The public map's published base numbers in [start, end) (whole months, every one of them frozen
    first: freeze_public_months), as they were stored when each month was frozen: per resolution-7 cell
    (`cell7`), month (`bucket`) and governorate of the stations, the count (`n`). Never the rollups: a
    late report or a correction after the month was frozen changes none of them. Optionally of one
    governorate, or of some cells only."""
    params: dict[str, Any] = {"start": start, "end": end}
    conditions = ["b.month >= :start", "b.month < :end"]
    if governorate is not None:
        params["governorate"] = governorate
        conditions.append("b.governorate = :governorate")
    if cells7 is not None:
        params["cells"] = list(cells7)
        conditions.append("b.cell IN (SELECT unnest(CAST(:cells AS bigint[])))")
    sql = f"""
      SELECT b.cell AS cell7, b.month AS bucket, b.governorate, b.n
      FROM public_base_numbers b
      WHERE {" AND ".join(conditions)}"""  # noqa: S608 - fixed fragments; values are parameters
    return (await statements.execute(session, text(sql), params)).all()


_UNITS = {"HOUR": "hour", "DAY": "day", "WEEK": "week"}


async def timeline(session: AsyncSession, f: Filter, unit: str) -> Sequence[Row[Any]]:
    """Per bucket of `unit` (HOUR, DAY, WEEK on Baghdad's calendar, weeks from Monday) and layer."""
    params: dict[str, Any] = {"unit": _UNITS[unit]}
    sql = f"""
      SELECT date_trunc(:unit, r.bucket AT TIME ZONE 'Asia/Baghdad') AT TIME ZONE 'Asia/Baghdad' AS bucket,
             coalesce(sum(r.n) FILTER (WHERE r.layer = {INCIDENTS}), 0)::bigint AS incidents,
             coalesce(sum(r.n) FILTER (WHERE r.layer = {ENGAGEMENTS}), 0)::bigint AS engagements,
             coalesce(sum(r.minutes) FILTER (WHERE r.layer = {PATROLS}), 0)::float8 AS patrol_minutes
      {_STRETCHES}
      WHERE {_where(f, params)}
      GROUP BY 1 ORDER BY 1"""
    return (await statements.execute(session, text(sql), params)).all()


def _raw_where(
    f: Filter,
    params: dict[str, Any],
    table: str,
    time_column: str,
    start: datetime,
    end: datetime,
    *,
    sensitive: str | None = None,
    arrived: str | None = None,
    coarse: Coarse | None = None,
) -> str:
    """The period's records of the scope and area. With `coarse`, the records for which the SQL
    expression `sensitive` holds are counted generalised: their whole day in the period (disclosed_at is
    its start), their coarse cell held by a drawn area (every such day lies in the period's time range too,
    so that condition, which the indexes serve, holds for all)."""
    params.update(start=start, end=end, res=f.resolution)
    conditions = [
        f"{table}.{time_column} >= :start",
        f"{table}.{time_column} < :end",
        *_scope_and_area(f, params, f"{table}.station_id", "st.governorate_code"),
    ]
    place = f"activity_h3_parent({table}.h3_cell, :res) IN {_COVER}" if f.cover is not None else "true"
    if f.cover is not None:
        params["cover"] = list(f.cover)
    if coarse is None or sensitive is None:
        conditions.append(place)
    else:
        params.update(day_from=coarse.day_from, day_to=coarse.day_to)
        coarse_place = "true"
        if coarse.cells is not None:
            params.update(coarse_res=coarse.res, coarse_cells=list(coarse.cells))
            coarse_place = _in_cells(f"{table}.h3_cell", "coarse_res", "coarse_cells")
        held = "true"
        if coarse.held_from is not None and arrived is not None:
            params["held_from"] = coarse.held_from
            held = f"{table}.{arrived} < :held_from"
        conditions.append(
            f"((NOT {sensitive} AND {place}) OR ({sensitive} "
            f"AND {table}.disclosed_at >= :day_from AND {table}.disclosed_at < :day_to "
            f"AND {coarse_place} AND {held}))"
        )
    return " AND ".join(conditions)


async def raw_summary(
    session: AsyncSession, f: Filter, start: datetime, end: datetime, coarse: Coarse | None = None
) -> Row[Any]:
    """What counts cannot tell, from the period's records (read through the (station, time) indexes):
    incidents by status, the median hours from report to resolution, the officers who reported or
    engaged, and the engagements logged by women officers. With `coarse`, sensitive records count by
    their generalised key (`_raw_where`), and sensitive incidents are left out of the median."""
    params: dict[str, Any] = {}
    incidents = _raw_where(
        f,
        params,
        "i",
        "occurred_at",
        start,
        end,
        coarse=coarse,
        sensitive="markaz_sensitive_incident(i.category, i.sensitive)",
        arrived="reported_at",
    )
    engagements = _raw_where(
        f,
        params,
        "e",
        "occurred_at",
        start,
        end,
        coarse=coarse,
        sensitive="markaz_sensitive_engagement(e.kind)",
        arrived="received_at",
    )
    # Generalised, a sensitive incident has a day, not times: it is left out of the median hours to
    # resolve, which its exact report and resolution times would move.
    generalised = "markaz_sensitive_incident(i.category, i.sensitive)" if coarse is not None else "false"
    sql = f"""
      WITH inc AS (
        SELECT i.status, i.reported_by_id, i.reported_at, i.resolved_at, {generalised} AS generalised
        FROM incidents i
        JOIN stations st ON st.id = i.station_id WHERE {incidents}
      ), eng AS (
        SELECT e.officer_id, o.gender FROM engagements e JOIN stations st ON st.id = e.station_id
        JOIN officers o ON o.id = e.officer_id WHERE {engagements}
      )
      SELECT
        (SELECT coalesce(jsonb_object_agg(status, n), '{{}}'::jsonb)
           FROM (SELECT status, count(*) AS n FROM inc GROUP BY status) s) AS statuses,
        (SELECT percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY extract(epoch FROM resolved_at - reported_at) / 3600)
           FROM inc WHERE resolved_at IS NOT NULL AND resolved_at >= reported_at AND NOT generalised)
          AS median_hours_to_resolve,
        (SELECT count(*) FROM inc WHERE resolved_at IS NOT NULL) AS resolved,
        (SELECT coalesce(array_agg(DISTINCT officer), '{{}}') FROM (SELECT reported_by_id AS officer FROM inc
                                                               UNION ALL SELECT officer_id FROM eng) a
           WHERE officer IS NOT NULL) AS officer_ids,
        (SELECT count(*) FROM eng WHERE gender = 'FEMALE') AS engagements_by_women,
        (SELECT count(*) FROM eng) AS engagements"""  # noqa: S608 - fixed fragments; values are parameters
    return (await statements.execute(session, text(sql), params)).one()


async def patrol_officers(session: AsyncSession, f: Filter, start: datetime, end: datetime) -> set[int]:
    """Officers on patrols of the scope that went on during [start, end)."""
    params: dict[str, Any] = {"start": start, "end": end}
    conditions = [
        "p.started_at < :end",
        "(p.ended_at IS NULL OR p.ended_at >= :start)",
        *_scope_and_area(f, params, "p.station_id", "st.governorate_code"),
    ]
    if f.cover is not None:  # a drawn area: patrols with a fix in it during the period
        params.update(cover=list(f.cover), res=f.resolution)
        conditions.append(
            "EXISTS (SELECT 1 FROM patrol_fixes x WHERE x.patrol_id = p.id "  # noqa: S608
            "AND x.recorded_at >= :start AND x.recorded_at < :end "
            f"AND activity_h3_parent(x.h3_cell, :res) IN {_COVER})"
        )
    sql = f"""SELECT DISTINCT unnest(p.officer_ids) FROM patrols p JOIN stations st ON st.id = p.station_id
              WHERE {" AND ".join(conditions)}"""  # noqa: S608 - fixed fragments; values are parameters
    return {row[0] for row in (await statements.execute(session, text(sql), params)).all()}


async def compact(session: AsyncSession, limit: int = 50_000) -> int:
    """Merge the delta rows of the keys of up to `limit` fresh rows of each rollup table (see migration
    0007); the fresh rows taken. The caller commits."""
    result = await statements.execute(session, text("SELECT activity_compact(:limit)"), {"limit": limit})
    return int(result.scalar_one())
