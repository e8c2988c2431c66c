"""The commander's mutations for what the station publishes: publishPriority, unpublishPriority,
publishMeeting, unpublishMeeting (citizens read the results on Station)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from resolvers import station_publishing as logic
from resolvers.context import Context
from schema.common import GeoPointInput, UserError
from schema.engagements import EngagementKind
from schema.mutations import run
from schema.problems import Problem, ProblemPayload
from schema.station_community import CommunityMeeting


@strawberry.input(description="A text for the public in each of Markaz's languages, all three required.")
class PublicTextInput:
    ar: str = strawberry.field(description="Arabic.")
    ku: str = strawberry.field(description="Kurdish (Sorani, Arabic script).")
    en: str = strawberry.field(description="English.")


@strawberry.input(
    description="Publish a problem as one of the station's priorities (the station's commander): what it is "
    "and what is being done, written for the public. No personal data: phone numbers, e-mail addresses, "
    "badge numbers and names of the station's officers or of the people of its incidents are refused."
)
class PublishPriorityInput:
    problem_id: strawberry.ID = strawberry.field(description="The problem.")
    title: PublicTextInput = strawberry.field(description="The issue, at most 200 characters each.")
    action: PublicTextInput = strawberry.field(
        description="What is being done about it, at most 1000 characters each."
    )


@strawberry.input(description="Withdraw a published priority; the problem itself stays as it is.")
class UnpublishPriorityInput:
    problem_id: strawberry.ID = strawberry.field(description="The problem.")


@strawberry.input(
    description="Publish a community meeting for residents (the station's commander). Never a home visit "
    "or a family-protection follow-up; the same `clientId` again publishes nothing more."
)
class PublishMeetingInput:
    client_id: uuid.UUID = strawberry.field(description="Made on the device, once per meeting.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station; default yours."
    )
    kind: EngagementKind | None = strawberry.field(
        default=None, description="What kind of meeting; default COMMUNITY_MEETING."
    )
    starts_at: datetime = strawberry.field(description="When it begins: in the future, within a year.")
    ends_at: datetime | None = strawberry.field(
        default=None, description="When it ends: after it begins, within 24 hours."
    )
    place: PublicTextInput = strawberry.field(description="Where: a place's name, at most 200 characters.")
    location: GeoPointInput = strawberry.field(description="Where on the map (published to about 100 m).")
    topic: PublicTextInput = strawberry.field(description="What it is about, at most 300 characters.")
    problem_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station's problem it is about, if any."
    )
    engagement_id: strawberry.ID | None = strawberry.field(
        default=None, description="The engagement it was logged as, if any (never a household one)."
    )


@strawberry.input(description="Withdraw a published meeting (cancelled, or published by mistake).")
class UnpublishMeetingInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")


@strawberry.type(description="The result of publishing or withdrawing a meeting.")
class MeetingPayload:
    meeting: CommunityMeeting | None = strawberry.field(
        description="The meeting; null when there are errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")


@strawberry.type
class StationPublishingMutation:
    @strawberry.mutation(description="Publish a problem as a priority of its station, or replace its text.")
    async def publish_priority(
        self, info: strawberry.Info[Context], input: PublishPriorityInput
    ) -> ProblemPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.publish_priority(ctx, input))
        return ProblemPayload(problem=Problem.from_row(applied.row) if applied else None, errors=errors)

    @strawberry.mutation(description="Withdraw a published priority.")
    async def unpublish_priority(
        self, info: strawberry.Info[Context], input: UnpublishPriorityInput
    ) -> ProblemPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.unpublish_priority(ctx, input))
        return ProblemPayload(problem=Problem.from_row(applied.row) if applied else None, errors=errors)

    @strawberry.mutation(description="Publish a community meeting of the station.")
    async def publish_meeting(
        self, info: strawberry.Info[Context], input: PublishMeetingInput
    ) -> MeetingPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.publish_meeting(ctx, input))
        return MeetingPayload(
            meeting=CommunityMeeting.from_row(applied.row, ctx.lang) if applied else None, errors=errors
        )

    @strawberry.mutation(description="Withdraw a published community meeting.")
    async def unpublish_meeting(
        self, info: strawberry.Info[Context], input: UnpublishMeetingInput
    ) -> MeetingPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.unpublish_meeting(ctx, input))
        return MeetingPayload(
            meeting=CommunityMeeting.from_row(applied.row, ctx.lang) if applied else None, errors=errors
        )
