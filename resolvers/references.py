"""Naming the record a write is about: by its global ID, or by the client id it was made with (which a
phone knows before it has heard back from the server: a correction queued offline names the report
queued before it)."""

from __future__ import annotations

import dataclasses
import uuid

from db import client_requests as client_repo
from resolvers.context import Context
from resolvers.ids import int_key
from resolvers.mutation_errors import Collector


@dataclasses.dataclass(frozen=True, slots=True)
class Named:
    """How inputs name one kind of record: `<id_field>` or `<client_field>`, made by `made_by` requests."""

    entity: str  # the global ID's type, and the client request's result type: "Incident"
    made_by: str  # the kind of request that makes one: "reportIncident"
    noun: str  # for messages: "incident"
    id_field: str  # "incidentId"
    client_field: str  # "incidentClientId"


async def record_key(
    ctx: Context, problems: Collector, named: Named, given_id: str | None, given_client_id: uuid.UUID | None
) -> tuple[int | None, tuple[str, ...]]:
    """The record's key and the input field that named it; exactly one of the two must be given. A
    client id that made no such record is NOT_FOUND (whoever made it: scope is checked on the record)."""
    if (given_id is None) == (given_client_id is None):
        problems.add((named.id_field,), "one_of", other=named.client_field)
        return None, (named.id_field,)
    if given_id is not None:
        key = int_key(given_id, named.entity)
        if key is None:
            problems.add((named.id_field,), "bad_id", kind=named.entity)
        return key, (named.id_field,)
    path = (named.client_field,)
    assert given_client_id is not None  # exactly one of the two
    async with ctx.db() as session:
        found = await client_repo.find(session, given_client_id)
    if (
        found is None
        or found.result_type != named.entity
        or found.kind != named.made_by
        or found.result_id is None
    ):
        problems.add(path, "not_found", "NOT_FOUND", kind=named.noun)
        return None, path
    return found.result_id, path
