"""The root types, assembled from each domain's part, and `node`/`nodes` over every Node type."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import strawberry
from strawberry.tools import merge_types

from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from schema import (
    activity,
    activity_feed,
    audit_log,
    device_sync,
    engagements,
    feedback,
    holidays,
    incidents,
    media,
    officer_admin,
    officers,
    patrols,
    problems,
    service_requests,
    station_areas,
    station_management,
    station_publishing,
    stations,
    sync,
)
from schema.node import Node, parse_node_ids

# Type name of a global ID -> loader of such nodes by key. Each domain adds its own.
NODE_LOADERS = {
    "Station": stations.resolve_station_nodes,
    "Governorate": stations.resolve_governorate_nodes,
    "Officer": officers.resolve_officer_nodes,
    "Patrol": patrols.resolve_patrol_nodes,
    "Incident": incidents.resolve_incident_nodes,
    "Engagement": engagements.resolve_engagement_nodes,
    "FollowUpAction": engagements.resolve_follow_up_action_nodes,
    "ServiceRequest": service_requests.resolve_service_request_nodes,
    "Problem": problems.resolve_problem_nodes,
    "Attachment": media.resolve_attachment_nodes,
}


async def _load_nodes(ctx: Context, ids: list[strawberry.ID], argument: str, *, listed: bool) -> list[Any]:
    parsed = parse_node_ids(ids, argument, ctx.lang, listed=listed)
    keys: dict[str, list[str]] = defaultdict(list)
    for type_name, key in parsed:
        keys[type_name].append(key)
    found: dict[tuple[str, str], Any] = {}
    for type_name, wanted in keys.items():
        loader = NODE_LOADERS.get(type_name)
        if loader is not None:
            for key, node in (await loader(ctx, wanted)).items():
                found[(type_name, key)] = node
    return [found.get(item) for item in parsed]


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null when none (or not yours).")
    async def node(self, info: strawberry.Info[Context], id: strawberry.ID) -> Node | None:
        return (await _load_nodes(info.context, [id], "id", listed=False))[0]

    @strawberry.field(description="Objects by global IDs, in the same order; null for each one not found.")
    async def nodes(self, info: strawberry.Info[Context], ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > 100:
            raise InputError("ids", message("too_many", info.context.lang, field="ids", high=100))
        return await _load_nodes(info.context, ids, "ids", listed=True)


Query = merge_types(
    "Query",
    (
        stations.StationQuery,
        station_areas.StationAreaQuery,
        officers.OfficerQuery,
        officer_admin.OfficerAdminQuery,
        audit_log.AuditLogQuery,
        patrols.PatrolQuery,
        incidents.IncidentQuery,
        engagements.EngagementQuery,
        activity.ActivityQuery,
        feedback.FeedbackQuery,
        service_requests.ServiceRequestQuery,
        problems.ProblemQuery,
        device_sync.DeviceQuery,
        holidays.HolidayQuery,
        NodeQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        officers.OfficerMutation,
        officer_admin.OfficerAdminMutation,
        patrols.PatrolMutation,
        incidents.IncidentMutation,
        engagements.EngagementMutation,
        sync.SyncMutation,
        feedback.FeedbackMutation,
        service_requests.ServiceRequestMutation,
        problems.ProblemMutation,
        station_publishing.StationPublishingMutation,
        media.MediaMutation,
        station_management.StationManagementMutation,
        holidays.HolidayMutation,
    ),
)
Subscription = merge_types("Subscription", (activity_feed.ActivitySubscription,))
