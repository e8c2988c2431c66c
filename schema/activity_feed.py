"""The `activityFeed` subscription: new incidents, engagements and patrol positions, live, resumable.

Runs over WebSocket (graphql-transport-ws, api/graphql_ws.py). Each event is resolved in a context of its
own (fresh loaders, its own session, its sensitive reads audited), so a long subscription never serves
data cached before the event.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import cast

import strawberry
from graphql import GraphQLError

from resolvers import auth, feed, policy
from resolvers.areas import STATION, resolve_area
from resolvers.context import Context
from schema import loaders
from schema.areas import ActivityLayer, AreaInput
from schema.common import GeoPoint
from schema.engagements import Engagement, resolve_engagement_nodes
from schema.incidents import Incident, resolve_incident_nodes
from schema.patrols import Patrol, resolve_patrol_nodes
from schema.stations import Station


@strawberry.type(
    description="Something new in the field: an incident or engagement recorded, or a patrol's "
    "newest position. Exactly one of `incident`, `engagement`, `patrol` is set."
)
class ActivityEvent:
    cursor: str = strawberry.field(
        description="This event's place in the feed: subscribe with `after` set to it to receive everything "
        "that follows, e.g. after a reconnection."
    )
    layer: ActivityLayer = strawberry.field(description="What kind of activity it is.")
    occurred_at: datetime = strawberry.field(
        description="When it happened (for a patrol, the time of the position's GPS fix)."
    )
    recorded_at: datetime = strawberry.field(description="When the server committed it.")
    location: GeoPoint = strawberry.field(
        description="Where it happened. Sensitive records (sensitive incidents, home visits, "
        "family-protection follow-ups) reach only the people on their case; others count them "
        "on maps."
    )
    event: strawberry.Private[feed.FeedEvent]

    @strawberry.field(description="The station whose record it is.")
    async def station(self, info: strawberry.Info[Context]) -> Station:
        row = await loaders.station(info.context).load(self.event.station_id)
        return Station.from_row(row, info.context.lang)

    @strawberry.field(description="The incident, as you may see it now; null for other layers.")
    async def incident(self, info: strawberry.Info[Context]) -> Incident | None:
        if self.event.layer != feed.INCIDENTS:
            return None
        key = str(self.event.record_id)
        return (await resolve_incident_nodes(info.context, [key])).get(key)

    @strawberry.field(description="The engagement; null for other layers.")
    async def engagement(self, info: strawberry.Info[Context]) -> Engagement | None:
        if self.event.layer != feed.ENGAGEMENTS:
            return None
        key = str(self.event.record_id)
        return (await resolve_engagement_nodes(info.context, [key])).get(key)

    @strawberry.field(description="The patrol whose position this is; null for other layers.")
    async def patrol(self, info: strawberry.Info[Context]) -> Patrol | None:
        if self.event.layer != feed.PATROLS:
            return None
        key = str(self.event.record_id)
        return (await resolve_patrol_nodes(info.context, [key])).get(key)

    @classmethod
    def of(cls, event: feed.FeedEvent, viewer: policy.Viewer) -> ActivityEvent:
        return cls(
            cursor=feed.encode_cursor(event.cursor),
            layer=ActivityLayer(event.layer),
            occurred_at=event.occurred_at,
            recorded_at=event.recorded_at,
            location=GeoPoint(latitude=event.latitude, longitude=event.longitude),
            event=event,
        )


@strawberry.type
class ActivitySubscription:
    @strawberry.subscription(
        description=(
            "New incidents, engagements and patrol positions in `area` (default: everything you may see), as "
            "they are committed, on every server. With `after` (an event's `cursor`), first everything after "
            "it that you missed, then live; nothing is skipped. If you read too slowly the subscription ends "
            "with error FEED_TOO_SLOW and `extensions.lastCursor`: subscribe again with `after` set to it. "
            "Events are kept for a week by default: an `after` older than that ends it with error "
            "FEED_CURSOR_EXPIRED; reload what you show and subscribe without `after`."
        )
    )
    async def activity_feed(
        self,
        info: strawberry.Info[Context],
        area: AreaInput | None = None,
        layers: list[ActivityLayer] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[ActivityEvent, None]:
        ctx = info.context
        viewer = policy.require_officer(ctx.viewer)
        if ctx.feed is None:
            raise GraphQLError(
                "The live feed is not running on this server.", extensions={"code": "SERVICE_UNAVAILABLE"}
            )
        cursor = feed.decode_cursor(after, ctx.lang) if after is not None else None
        chosen = await resolve_area(ctx, area) if area is not None else None
        if chosen is not None and chosen.kind == STATION:  # the same area checks as the maps'
            policy.activity_scope(
                viewer, station_id=chosen.station_id, station_governorate=chosen.governorate
            )
        elif chosen is not None:
            policy.activity_scope(viewer, governorate=chosen.governorate)
        interest = feed.Interest(
            viewer=viewer,
            area=chosen,
            layers=frozenset(cast(str, layer.value) for layer in layers) if layers else feed.LAYERS,
        )
        await ctx.close(commit=False)

        async def still_allowed() -> bool:
            try:
                return await auth.still_signed_in(ctx, viewer)
            finally:
                await ctx.close(commit=False)

        events = feed.follow(
            ctx.reader or ctx.sessionmaker,
            ctx.feed,
            interest,
            after=cursor,
            lang=ctx.lang,
            still_allowed=still_allowed,
            ends_at=ctx.access_expires_at,
        )
        try:
            async for event in events:
                yield ActivityEvent.of(event, viewer)
                # The event has been resolved and sent: write its audit entries, and forget its loaders.
                await ctx.close(commit=bool(ctx.audit))
                ctx.loaders.clear()
        finally:
            await events.aclose()
            await ctx.close(commit=False)
