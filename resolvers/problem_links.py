"""The records tied to a problem: the engagements where it was raised, the incidents that show it, the
follow-up actions that are its response. How an input names them (by ID or by the client id they were
made with), which the viewer may tie (resolvers.policy), and which are listed to whom: a sensitive
incident or a household engagement only to the people on its case."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from db import client_requests as client_repo
from db import problems as repo
from db.rows import ProblemLinkRow
from resolvers import engagements as engagement_logic
from resolvers import incidents as incident_logic
from resolvers import policy
from resolvers.context import Context
from resolvers.ids import int_key, plain
from resolvers.mutation_errors import Collector, fail

MAX_LINKS = 100  # links added or removed by one request

ENGAGEMENT, INCIDENT, FOLLOW_UP_ACTION = "ENGAGEMENT", "INCIDENT", "FOLLOW_UP_ACTION"
_LINK_NAMED = {
    ENGAGEMENT: engagement_logic.NAMED,
    INCIDENT: incident_logic.NAMED,
    FOLLOW_UP_ACTION: engagement_logic.ACTION_NAMED,
}
NOUN = {ENGAGEMENT: "engagement", INCIDENT: "incident", FOLLOW_UP_ACTION: "follow-up action"}


@dataclasses.dataclass(frozen=True, slots=True)
class _Link:
    path: tuple[str, ...]
    kind: str
    id: str | None
    client_id: uuid.UUID | None


async def _link_key(ctx: Context, errors: Collector, link: _Link) -> int | None:
    """The record a link input names, by its ID or the client id it was made with (exactly one)."""
    named = _LINK_NAMED[link.kind]
    if (link.id is None) == (link.client_id is None):
        errors.add((*link.path, "id"), "one_of", other="clientId")
        return None
    if link.id is not None:
        key = int_key(link.id, named.entity)
        if key is None:
            errors.add((*link.path, "id"), "bad_id", kind=named.entity)
        return key
    assert link.client_id is not None  # exactly one of the two
    found = ctx.claims.get(link.client_id) if ctx.claims is not None else None
    if found is None:
        async with ctx.db() as session:
            found = await client_repo.find(session, link.client_id)
    if (
        found is None
        or found.result_type != named.entity
        or found.kind != named.made_by
        or not found.result_id
    ):
        errors.add((*link.path, "clientId"), "not_found", "NOT_FOUND", kind=named.noun)
        return None
    return int(found.result_id)


async def check_links(
    ctx: Context, errors: Collector, field: str, given: Sequence[Any] | None, station_id: int
) -> list[tuple[str, int]]:
    """The records named by `given` (ProblemLinkInput), each of the problem's station and one the viewer
    may tie to it: NOT_FOUND for one they may not see, FORBIDDEN for a sensitive one off its case."""
    if not given:
        return []
    if len(given) > MAX_LINKS:
        errors.add((field,), "too_many", high=MAX_LINKS)
        return []
    links = [
        _Link((field, str(i)), plain(item.kind), item.id, item.client_id) for i, item in enumerate(given)
    ]
    keys = [(link, await _link_key(ctx, errors, link)) for link in links]
    wanted: dict[str, list[int]] = {}
    for link, key in keys:
        if key is not None:
            wanted.setdefault(link.kind, []).append(key)
    rows: dict[str, dict[int, Any]] = {
        ENGAGEMENT: await engagement_logic.visible_engagements(ctx, wanted.get(ENGAGEMENT, [])),
        INCIDENT: await incident_logic.visible_incidents(ctx, wanted.get(INCIDENT, [])),
        FOLLOW_UP_ACTION: await engagement_logic.visible_follow_ups(ctx, wanted.get(FOLLOW_UP_ACTION, [])),
    }
    found: list[tuple[str, int]] = []
    for link, key in keys:
        if key is None:
            continue
        row = rows[link.kind].get(key)
        where = (*link.path, "id" if link.id is not None else "clientId")
        if row is None:
            errors.add(where, "not_found", "NOT_FOUND", kind=NOUN[link.kind])
            continue
        if row.station_id != station_id:
            errors.add(where, "other_station_record", kind=NOUN[link.kind])
            continue
        allowed = (
            policy.may_link_incident(ctx.viewer, row)
            if link.kind == INCIDENT
            else policy.may_link_engagement(ctx.viewer, row)
            if link.kind == ENGAGEMENT
            else True
        )
        if not allowed:
            fail(ctx.lang, where, "may_not_link_sensitive", "FORBIDDEN")
        if (link.kind, key) not in found:
            found.append((link.kind, key))
    return found


def link_key(link: ProblemLinkRow) -> str:
    """A link as KIND:id (the audit log's form, and what updates compare)."""
    if link.engagement_id is not None:
        return f"{ENGAGEMENT}:{link.engagement_id}"
    if link.incident_id is not None:
        return f"{INCIDENT}:{link.incident_id}"
    return f"{FOLLOW_UP_ACTION}:{link.follow_up_action_id}"


async def links_of(ctx: Context, problem_ids: Sequence[int]) -> dict[int, list[ProblemLinkRow]]:
    async with ctx.db() as session:
        return await repo.links_of(session, problem_ids)


def linked_ids(links: Sequence[ProblemLinkRow], kind: str) -> list[int]:
    column = repo.LINK_COLUMNS[kind]
    return [getattr(link, column) for link in links if getattr(link, column) is not None]


def listed_incidents(viewer: policy.Viewer, rows: Sequence[Any]) -> list[Any]:
    """Of a problem's incidents (those of stations the viewer may see), the ones listed to the viewer: a
    sensitive one only to the people on its case (resolvers.policy.lists_linked_incident); it is left out
    for anyone else, not even counted."""
    return [r for r in rows if r is not None and policy.lists_linked_incident(viewer, r)]


def listed_engagements(viewer: policy.Viewer, rows: Sequence[Any]) -> list[Any]:
    """Of a problem's engagements, the ones listed to the viewer: a household one only to its case."""
    return [r for r in rows if r is not None and policy.lists_linked_engagement(viewer, r)]
