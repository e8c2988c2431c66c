"""Problems under the SARA model: a station's recurring issue taken through scanning, analysis, response
and assessment, tied to the engagements where residents raised it, the incidents that show it and the
follow-up actions that are the response (docs/problems.md).

`open_problem` and `update_problem` take the GraphQL inputs and serve both the mutations and
`syncFieldLog`: each checks its whole input before writing (every problem reported at once, with a path
relative to the input), is idempotent by its client id, and `update_problem` applies only at the
`expectedVersion` it names (CONFLICT otherwise). Who may is resolvers.policy's; the records tied to a
problem are resolvers.problem_links', and the figures of the assessment resolvers.problem_assessment's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from db import client_requests as client_repo
from db import officers as officer_repo
from db import problems as repo
from db.rows import ProblemLinkRow, ReadProblemRow, StationRow
from resolvers import audit, corrections, policy, references
from resolvers import stations as station_logic
from resolvers.areas import POLYGON, Area
from resolvers.context import Context
from resolvers.errors import InputError, check_first
from resolvers.field_checks import check_text
from resolvers.idempotency import Applied, claim, content_hash, create_once
from resolvers.ids import plain, record_key
from resolvers.listing import Page, page_of, scope_args
from resolvers.mutation_errors import Collector, FieldError, fail
from resolvers.patrols import check_area
from resolvers.problem_links import (
    NOUN,
    check_links,
    link_key,
    links_of,
)

KIND_OPEN, KIND_UPDATE = "openProblem", "updateProblem"
ENTITY = "Problem"
NAMED = references.Named(ENTITY, KIND_OPEN, "problem", "problemId", "problemClientId")

SCANNING, ANALYSIS, RESPONSE, ASSESSMENT, CLOSED = "SCANNING", "ANALYSIS", "RESPONSE", "ASSESSMENT", "CLOSED"
# Where a problem may go from each stage. Forward one stage at a time; back to analysis when the response
# or its assessment shows the problem was misread; from assessment back to a revised response; closed
# from scanning or analysis (not a problem after all) and after assessment; a closed problem reopens in
# scanning.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SCANNING: (ANALYSIS, CLOSED),
    ANALYSIS: (SCANNING, RESPONSE, CLOSED),
    RESPONSE: (ANALYSIS, ASSESSMENT),
    ASSESSMENT: (ANALYSIS, RESPONSE, CLOSED),
    CLOSED: (SCANNING,),
}
PRIORITIES = ("LOW", "MEDIUM", "HIGH", "URGENT")
LANGUAGES = ("ar", "ku", "en")
MAX_TITLE, MAX_DESCRIPTION = 200, 4000
MAX_TOPICS, MAX_TOPIC = 20, 200
MAX_LINKS_TOTAL = 1000  # links of one problem: a problem of more records is several problems
# The resolution a drawn area is checked at (the assessment counts it at this one): it must be coverable.
AREA_RESOLUTION = 8


# --- checking inputs ---------------------------------------------------------------------------------


def _check_topics(errors: Collector, topics: Sequence[str] | None) -> list[str] | None:
    if topics is None:
        return None
    if len(topics) > MAX_TOPICS:
        errors.add(("topics",), "too_many", high=MAX_TOPICS)
        return None
    found: list[str] = []
    for i, topic in enumerate(topics):
        text = check_text(errors, ("topics", str(i)), topic, max_length=MAX_TOPIC, required=True)
        if text is not None and text not in found:
            found.append(text)
    return found


def _check_area(errors: Collector, value: Any) -> dict[str, Any] | None:
    """A drawn area: a clean GeoJSON polygon that the assessment can cover with cells."""
    geometry = check_area(errors, ("area",), plain(value))
    if geometry is None:
        return None
    try:
        Area(POLYGON, geometry=geometry).cells(AREA_RESOLUTION, argument="area", lang=errors.lang)
    except InputError as error:  # too large to count, or a shape H3 cannot cover
        errors.errors.append(FieldError((*errors.prefix, "area"), "INVALID", error.message))
        return None
    return geometry


async def _check_owner(
    ctx: Context, errors: Collector, owner_id: str | None, station: StationRow, *, default: bool
) -> int | None:
    """The owner: an active officer or commander of the station (default: the viewer, when of it)."""
    if owner_id is None:
        if not default:
            return None
        if ctx.viewer.station_id == station.id:
            return int(ctx.viewer.officer_id)
        errors.add(("ownerId",), "required")
        return None
    key = record_key(errors, ("ownerId",), owner_id, "Officer")
    if key is None:
        return None
    async with ctx.db() as session:
        officer = (await officer_repo.officers_by_ids(session, [key])).get(key)
    # An unknown id is answered as another station's officer (ids of nobody are not told apart).
    if officer is None or not officer.active or officer.station_id != station.id:
        errors.add(("ownerId",), "officer_not_here")
        return None
    return key


async def _writable_station(ctx: Context, errors: Collector, station_id: str | None) -> StationRow | None:
    """The problem's station: the one given, else the viewer's own. Outside the viewer's scope, or a
    station they may read but not write (supervisors), the request fails whole (FORBIDDEN)."""
    viewer = ctx.viewer
    station = await station_logic.station_for_write(ctx, errors, station_id)
    if station is None:
        return None
    if not policy.can_access_station(viewer, station.id, station.governorate_code):
        fail(ctx.lang, ("stationId",), "not_your_station", "FORBIDDEN")
    if not policy.may_write_problem(viewer, station.id):
        fail(ctx.lang, ("stationId",), "may_not_write_problem", "FORBIDDEN")
    return station


def _categories(given: Sequence[Any] | None) -> list[str] | None:
    return None if given is None else sorted({plain(c) for c in given})


# --- openProblem --------------------------------------------------------------------------------------


async def open_problem(ctx: Context, input: Any) -> Applied:
    """Open a problem in SCANNING, tied to the records named; the same `clientId` again is a replay."""
    viewer = policy.require_officer(ctx.viewer)

    async def prepare() -> tuple[dict[str, Any], list[tuple[str, int]]]:
        errors = Collector(ctx.lang)
        station = await _writable_station(ctx, errors, input.station_id)
        title = check_text(errors, ("title",), input.title, max_length=MAX_TITLE, required=True)
        description = check_text(
            errors, ("description",), input.description, max_length=MAX_DESCRIPTION, required=True
        )
        topics = _check_topics(errors, input.topics)
        area = _check_area(errors, input.area) if input.area is not None else None
        owner_id = await _check_owner(ctx, errors, input.owner_id, station, default=True) if station else None
        links = await check_links(ctx, errors, "links", input.links, station.id) if station else []
        errors.check()
        assert station is not None and owner_id is not None  # errors.check() raised otherwise
        values = {
            "client_id": input.client_id,
            "station_id": station.id,
            "area": area,
            "title": title,
            "description": description,
            "language": plain(input.language).lower() if input.language else ctx.lang,
            "categories": _categories(input.categories) or [],
            "topics": topics or [],
            "priority": plain(input.priority) if input.priority else "MEDIUM",
            "owner_id": owner_id,
            "opened_by_id": viewer.officer_id,
        }
        return values, links

    async def write(what: tuple[dict[str, Any], list[tuple[str, int]]], claimant: Any) -> Any:
        values, links = what
        async with ctx.db() as session:
            made = await repo.insert_opened_problem(session, values, claimant, ENTITY)
            if made is None:
                return None
            await repo.add_links(session, made.id, links, viewer.officer_id)
            return (await repo.problems_by_ids(session, [made.id]))[made.id]

    applied = await create_once(
        ctx,
        input.client_id,
        KIND_OPEN,
        content_hash(KIND_OPEN, input),
        prepare,
        write,
        lambda result_id: _problem(ctx, result_id),
    )
    if not applied.duplicate:
        links = await links_of(ctx, [applied.row.id])
        audit.record(
            ctx, KIND_OPEN, ENTITY, applied.row.id, after=audit_view(applied.row, links[applied.row.id])
        )
    return applied


def audit_view(row: Any, links: Sequence[ProblemLinkRow]) -> dict[str, Any]:
    """What the audit log keeps of a problem: its description as a digest (free text may name people)."""
    return {
        "stationId": row.station_id,
        "title": row.title,
        "descriptionSha256": hashlib.sha256(row.description.encode()).hexdigest(),
        "stage": row.stage,
        "priority": row.priority,
        "ownerId": row.owner_id,
        "categories": list(row.categories),
        "drawnArea": row.area is not None,
        "version": row.version,
        "links": sorted(link_key(link) for link in links),
    }


# --- updateProblem ------------------------------------------------------------------------------------

_FIELDS = (
    "stage",
    "title",
    "description",
    "language",
    "categories",
    "topics",
    "priority",
    "ownerId",
    "area",
    "useStationArea",
    "addLinks",
    "removeLinks",
)


async def update_problem(ctx: Context, input: Any) -> Applied:
    """Change a problem at `expectedVersion`: its stage (along TRANSITIONS; entering RESPONSE records when
    the response began), its fields, its links. Applied whole or not at all; a resent update (same
    `clientId`) is answered with the problem as it now is."""
    viewer = policy.require_officer(ctx.viewer)
    errors = Collector(ctx.lang)
    problem_id, path = await references.record_key(
        ctx, errors, NAMED, input.problem_id, input.problem_client_id
    )
    errors.check()
    assert problem_id is not None  # errors.check() raised otherwise
    claimed = await claim(ctx, input.client_id, KIND_UPDATE, content_hash(KIND_UPDATE, input))
    if not claimed.new:
        return Applied(await _problem(ctx, claimed.result_id), duplicate=True)
    async with ctx.db() as session:
        row = (await repo.problems_by_ids(session, [problem_id], lock=True)).get(problem_id)
    if row is None or not policy.sees_problem(viewer, row):
        fail(ctx.lang, path, "not_found", "NOT_FOUND", kind="problem")
    if not policy.may_write_problem(viewer, row.station_id):
        fail(ctx.lang, path, "may_not_write_problem", "FORBIDDEN")
    if row.version != input.expected_version:
        corrections.stale(ctx, input.expected_version, row.version)
    station = (await station_logic.station_rows(ctx, [row.station_id]))[row.station_id]
    values = await _changes(ctx, errors, input, row, station)
    adding = await check_links(ctx, errors, "addLinks", input.add_links, row.station_id)
    removing = await check_links(ctx, errors, "removeLinks", input.remove_links, row.station_id)
    before_links = (await links_of(ctx, [row.id]))[row.id]
    linked = {link_key(link) for link in before_links}
    for i, (kind, key) in enumerate(removing):
        if f"{kind}:{key}" not in linked:
            errors.add(("removeLinks", str(i)), "not_linked", kind=NOUN[kind])
    if len(linked | {f"{kind}:{key}" for kind, key in adding}) - len(removing) > MAX_LINKS_TOTAL:
        errors.add(("addLinks",), "too_many", high=MAX_LINKS_TOTAL)
    if all(getattr(input, _python(name)) is None for name in _FIELDS):
        errors.add(("stage",), "nothing_to_correct", fields=", ".join(_FIELDS))
    errors.check()
    async with ctx.db() as session:
        updated = await repo.update_if_version(session, row.id, input.expected_version, values)
        if updated is not None:
            await repo.remove_links(session, row.id, removing)
            await repo.add_links(session, row.id, [x for x in adding if x not in removing], viewer.officer_id)
            await client_repo.complete(session, input.client_id, ENTITY, row.id)
    if updated is None:  # another change won the race since the problem was read
        corrections.stale(ctx, input.expected_version, (await _problem(ctx, row.id)).version)
    after = await _problem(ctx, row.id)
    after_links = (await links_of(ctx, [row.id]))[row.id]
    audit.record(
        ctx,
        KIND_UPDATE,
        ENTITY,
        row.id,
        before=audit_view(row, before_links),
        after=audit_view(after, after_links),
    )
    return Applied(after)


def _python(name: str) -> str:
    """An input field's Python name: ownerId -> owner_id."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


async def _changes(
    ctx: Context, errors: Collector, input: Any, row: ReadProblemRow, station: StationRow
) -> dict[str, Any]:
    """The columns an update sets, every field checked (problems go to `errors`)."""
    values: dict[str, Any] = {}
    if input.stage is not None:
        target = plain(input.stage)
        if target != row.stage:
            allowed = TRANSITIONS[row.stage]
            if target not in allowed:
                errors.add(
                    ("stage",),
                    "problem_transition",
                    current=row.stage,
                    target=target,
                    allowed=", ".join(allowed),
                )
            else:
                values["stage"] = target
                now = datetime.now(UTC)
                if target == RESPONSE:
                    values["response_started_at"] = now
                if target == CLOSED:
                    values["closed_at"] = now
                elif row.stage == CLOSED:
                    values["closed_at"] = None
    if input.title is not None:
        values["title"] = check_text(errors, ("title",), input.title, max_length=MAX_TITLE, required=True)
    if input.description is not None:
        values["description"] = check_text(
            errors, ("description",), input.description, max_length=MAX_DESCRIPTION, required=True
        )
    if input.language is not None:
        values["language"] = plain(input.language).lower()
    if input.categories is not None:
        values["categories"] = _categories(input.categories)
    if input.topics is not None:
        values["topics"] = _check_topics(errors, input.topics)
    if input.priority is not None:
        values["priority"] = plain(input.priority)
    if input.owner_id is not None:
        values["owner_id"] = await _check_owner(ctx, errors, input.owner_id, station, default=False)
    if input.area is not None and input.use_station_area:
        errors.add(("area",), "at_most_one_of", other="useStationArea")
    elif input.area is not None:
        values["area"] = _check_area(errors, input.area)
    elif input.use_station_area:
        values["area"] = None
    return values


async def _problem(ctx: Context, problem_id: int | None) -> Any:
    async with ctx.db() as session:
        row = (await repo.problems_by_ids(session, [problem_id])).get(problem_id) if problem_id else None
    if row is None:
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return row


async def current_problem(ctx: Context, input: Any) -> Any | None:
    """The problem an update named, as it is now (for the payload of a CONFLICT)."""
    problem_id, _ = await references.record_key(
        ctx, Collector(ctx.lang), NAMED, input.problem_id, input.problem_client_id
    )
    if problem_id is None:
        return None
    return (await visible_problems(ctx, [problem_id])).get(problem_id)


# --- reading ------------------------------------------------------------------------------------------


async def list_problems(
    ctx: Context,
    *,
    first: int | None,
    after: int | None,
    station_id: int | None = None,
    stages: Sequence[str] = (),
    owner_id: int | None = None,
    priorities: Sequence[str] = (),
    published: bool | None = None,
) -> Page[ReadProblemRow]:
    """A page of the problems the viewer may see, the newest first; citizens are refused."""
    viewer = policy.require_officer(ctx.viewer)
    first = check_first(first, ctx.lang, default=20)
    args = {
        **scope_args(viewer),
        "station_id": station_id,
        "stages": sorted(set(stages)),
        "owner_id": owner_id,
        "priorities": sorted(set(priorities)),
        "published": published,
    }
    async with ctx.db() as session:
        rows = list(await repo.list_problems(session, after=after, limit=first + 1, **args))
    return page_of(rows, first, args)


async def count_problems(ctx: Context, args: dict[str, Any]) -> int:
    async with ctx.db() as session:
        return await repo.count_problems(session, **args)


async def visible_problems(ctx: Context, ids: Sequence[int]) -> dict[int, ReadProblemRow]:
    """Problems by id that the viewer may see; citizens see none."""
    if ctx.viewer is None or not ids:
        return {}
    async with ctx.db() as session:
        rows = await repo.problems_by_ids(session, ids)
    return {i: r for i, r in rows.items() if policy.sees_problem(ctx.viewer, r)}
