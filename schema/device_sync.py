"""The officer's working set offline: `deviceChanges` (resolvers/device_sync.py, docs/device-sync.md)."""

from __future__ import annotations

import enum
from collections import defaultdict
from datetime import datetime
from typing import Any

import strawberry

from resolvers import device_sync as logic
from resolvers.context import Context
from schema.node import Node, to_global_id


@strawberry.enum(description="What a change does to the phone's copy.")
class ChangeOp(enum.Enum):
    UPSERT = strawberry.enum_value("UPSERT", description="Store the node (it entered the set, or changed).")
    REMOVE = strawberry.enum_value("REMOVE", description="Drop the object of this id: it left the set.")


@strawberry.type(description="One change to the officer's offline working set.")
class DeviceChange:
    op: ChangeOp = strawberry.field(description="Store or drop.")
    id: strawberry.ID = strawberry.field(description="The global ID of the object changed.")
    node: Node | None = strawberry.field(
        description="The object as the policy lets you see it (sensitive details generalised unless you "
        "are on the case); null for REMOVE."
    )
    at: datetime = strawberry.field(
        description="When the change committed; for what a whole set sends, the time of its snapshot."
    )


@strawberry.type(description="A page of changes to the officer's working set.")
class DeviceChanges:
    changes: list[DeviceChange] = strawberry.field(description="The changes, in the order to apply them.")
    cursor: str = strawberry.field(
        description="Pass as `after` next time: the next page while hasMore, else where this sync ended."
    )
    has_more: bool = strawberry.field(description="True when another page of this sync follows.")
    full_resync: bool = strawberry.field(
        description="The cursor was too old (past the log's retention): drop the local copy, apply these "
        "changes, and go on paging; they are the whole set."
    )


async def _nodes(ctx: Context, changes: list[logic.Change]) -> dict[tuple[str, int], Any]:
    """The nodes of the UPSERTs, through the same loaders (and so the same policy) as `node(id:)`, but
    for incidents: those that arrived today are not held back from a phone (docs/privacy.md)."""
    from schema.incidents import resolve_synced_incident_nodes
    from schema.root import NODE_LOADERS  # the root assembles every domain, this one included

    loaders = {**NODE_LOADERS, "Incident": resolve_synced_incident_nodes}

    wanted: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        if change.op == logic.UPSERT:
            wanted[change.type_name].append(str(change.entity_id))
    found: dict[tuple[str, int], Any] = {}
    for type_name, keys in wanted.items():
        for key, node in (await loaders[type_name](ctx, keys)).items():
            found[(type_name, int(key))] = node
    return found


@strawberry.type
class DeviceQuery:
    @strawberry.field(
        description="What the officer's phone keeps offline (the stations directory, the station's open "
        "incidents, those assigned to you, your open follow-up actions, your patrol under way, your "
        "station's officers), changed since `after` (the `cursor` of the last answer; none: everything). "
        f"Page until hasMore is false. `first`: 1 to {logic.MAX_FIRST}."
    )
    async def device_changes(
        self,
        info: strawberry.Info[Context],
        after: str | None = None,
        first: int | None = logic.DEFAULT_FIRST,
    ) -> DeviceChanges:
        ctx = info.context
        answer = await logic.device_changes(ctx, after, first)
        nodes = await _nodes(ctx, answer.changes)
        changes = []
        for change in answer.changes:
            node = nodes.get((change.type_name, change.entity_id))
            if change.op == logic.UPSERT and node is None:
                continue  # gone, or hidden from you, since the set was read: the next sync settles it
            changes.append(
                DeviceChange(
                    op=ChangeOp(change.op),
                    id=strawberry.ID(to_global_id(change.type_name, change.entity_id)),
                    node=node,
                    at=change.at,
                )
            )
        return DeviceChanges(
            changes=changes, cursor=answer.cursor, has_more=answer.has_more, full_resync=answer.full_resync
        )
