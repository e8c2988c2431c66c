"""Citizens' feedback: submitFeedback (no sign-in), feedbackSummary and feedbackComments."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated

import strawberry

from resolvers import feedback as logic
from resolvers import policy
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message
from schema.common import UserError
from schema.mutations import run
from schema.node import from_global_id, int_key, to_global_id


@strawberry.enum(description="The service a citizen's feedback is about.")
class FeedbackService(enum.Enum):
    COMMUNITY_POLICING = "COMMUNITY_POLICING"
    COMMUNITY_MEETING = "COMMUNITY_MEETING"
    CRIME_REPORTING = "CRIME_REPORTING"
    FAMILY_AND_CHILD_PROTECTION = "FAMILY_AND_CHILD_PROTECTION"
    JUVENILE_POLICE = "JUVENILE_POLICE"
    WOMEN_OFFICERS_DESK = "WOMEN_OFFICERS_DESK"
    TRAFFIC = "TRAFFIC"
    CIVIL_DOCUMENTS = "CIVIL_DOCUMENTS"
    OTHER = "OTHER"


@strawberry.enum(description="The respondent's gender, when they choose to say it.")
class RespondentGender(enum.Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"


@strawberry.input(
    description="A short anonymous survey after a visit or a meeting. Nothing that names the sender is "
    "kept: no address, no device, the day but not the time."
)
class SubmitFeedbackInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device, once per answer; sending it again stores nothing more."
    )
    station_id: strawberry.ID = strawberry.field(description="The station visited.")
    service: FeedbackService = strawberry.field(description="The service used.")
    rating: int = strawberry.field(description="How it went, 1 (badly) to 5 (very well).")
    treated_with_respect: bool = strawberry.field(description="Were you treated with respect?")
    would_come_back: bool = strawberry.field(description="Would you come back to this station?")
    felt_safe_reporting: bool = strawberry.field(description="Did you feel safe reporting here?")
    gender: RespondentGender | None = strawberry.field(default=None, description="Optional.")
    comment: str | None = strawberry.field(
        default=None,
        description="Free comment, at most 1000 characters; read by the station's commander only, never "
        "published.",
    )
    station_token: str | None = strawberry.field(
        default=None,
        description="The token of the station's QR link (feedbackLink), when the app read it; a wrong one "
        "is refused. Without it, a station takes few answers at a time from all senders together "
        "(docs/feedback.md).",
    )


@strawberry.type(description="The result of submitting feedback.")
class SubmitFeedbackPayload:
    accepted: bool = strawberry.field(description="True when the answer is stored (or was already).")
    duplicate: bool = strawberry.field(description="True when this clientId was sent before.")
    errors: list[UserError] = strawberry.field(description="Why nothing was stored; empty on success.")


@strawberry.type(description="Feedback figures: every one a sum of published base numbers.")
class FeedbackFigures:
    responses: int = strawberry.field(description="Answers counted.")
    mean_rating: float | None = strawberry.field(description="Their mean rating, 1 to 5; null when none.")
    treated_with_respect_share: float | None = strawberry.field(description="Share answering yes, 0 to 1.")
    would_come_back_share: float | None = strawberry.field(description="Share answering yes, 0 to 1.")
    felt_safe_reporting_share: float | None = strawberry.field(description="Share answering yes, 0 to 1.")

    @classmethod
    def of(cls, f: logic.Figures) -> FeedbackFigures:
        return cls(
            responses=f.responses,
            mean_rating=f.mean_rating,
            treated_with_respect_share=f.share(f.respected),
            would_come_back_share=f.share(f.would_return),
            felt_safe_reporting_share=f.share(f.felt_safe),
        )


@strawberry.type(description="Feedback figures of one month.")
class FeedbackMonth:
    month: date = strawberry.field(description="The month's first day (Baghdad).")
    figures: FeedbackFigures = strawberry.field(description="Its figures.")


@strawberry.type(description="Feedback figures of one station, to compare stations.")
class FeedbackStation:
    station_id: strawberry.ID = strawberry.field(description="The station.")
    figures: FeedbackFigures = strawberry.field(description="Its figures.")


@strawberry.type(description="Feedback figures of one service.")
class FeedbackByService:
    service: FeedbackService = strawberry.field(description="The service.")
    figures: FeedbackFigures = strawberry.field(description="Its figures.")


@strawberry.type(
    description="Citizens' feedback over whole completed months. A station's month is counted only with "
    "at least `minimumCount` answers; it is split by service, or into women and the others, only when "
    "every part has that many, so no difference of two summaries reveals fewer (docs/feedback.md)."
)
class FeedbackSummary:
    from_: datetime = strawberry.field(name="from", description="The first month counted, from its start.")
    to: datetime = strawberry.field(description="The end of the last month counted.")
    minimum_count: int = strawberry.field(description="The fewest answers any published number holds.")
    total: FeedbackFigures = strawberry.field(description="All counted answers.")
    by_month: list[FeedbackMonth] = strawberry.field(description="The trend, month by month.")
    by_station: list[FeedbackStation] = strawberry.field(description="Per station.")
    by_service: list[FeedbackByService] = strawberry.field(description="Per service, where it may be split.")
    women: FeedbackFigures | None = strawberry.field(
        description="Women respondents' answers, where there are enough of them and of the others."
    )
    others: FeedbackFigures | None = strawberry.field(
        description="The other respondents' answers (men and those who did not say), beside `women`."
    )


@strawberry.type(description="A feedback comment, with only the month it came in.")
class FeedbackComment:
    month: date = strawberry.field(description="The month's first day.")
    comment: str = strawberry.field(description="What the citizen wrote (may hold personal data).")


def _summary(s: logic.Summary) -> FeedbackSummary:
    return FeedbackSummary(
        from_=s.start,
        to=s.end,
        minimum_count=logic.MIN_COUNT,
        total=FeedbackFigures.of(s.total),
        by_month=[FeedbackMonth(month=m, figures=FeedbackFigures.of(f)) for m, f in s.by_month.items()],
        by_station=[
            FeedbackStation(
                station_id=strawberry.ID(to_global_id("Station", i)), figures=FeedbackFigures.of(f)
            )
            for i, f in sorted(s.by_station.items())
        ],
        by_service=[
            FeedbackByService(service=FeedbackService(k), figures=FeedbackFigures.of(f))
            for k, f in s.by_service.items()
        ],
        women=FeedbackFigures.of(s.women) if s.women is not None else None,
        others=FeedbackFigures.of(s.others) if s.others is not None else None,
    )


@strawberry.type
class FeedbackQuery:
    @strawberry.field(
        description="Citizens' feedback of a station or a governorate (or all of the viewer's scope): "
        "station commanders, supervisors and admins."
    )
    async def feedback_summary(
        self,
        info: strawberry.Info[Context],
        from_: Annotated[datetime, strawberry.argument(name="from", description="Counted from this month.")],
        to: Annotated[
            datetime, strawberry.argument(description="Up to this instant (whole months before it).")
        ],
        station_id: strawberry.ID | None = None,
        governorate_id: strawberry.ID | None = None,
    ) -> FeedbackSummary:
        ctx = info.context
        policy.require_officer(ctx.viewer)  # citizens are refused before their arguments are read
        if station_id is not None and governorate_id is not None:
            text = message("at_most_one_of", ctx.lang, field="stationId", other="governorateId")
            raise InputError("stationId", text)
        summary = await logic.feedback_summary(
            ctx,
            station_id=int_key(station_id, "stationId", ctx.lang, "Station") if station_id else None,
            governorate=from_global_id(governorate_id, "governorateId", ctx.lang, "Governorate")[1]
            if governorate_id
            else None,
            start=from_,
            end=to,
        )
        return _summary(summary)

    @strawberry.field(
        description="The path of a station's feedback form, with its token, for its QR code: its "
        "commander and admins."
    )
    async def feedback_link(self, info: strawberry.Info[Context], station_id: strawberry.ID) -> str:
        ctx = info.context
        policy.require_officer(ctx.viewer)
        key = int_key(station_id, "stationId", ctx.lang, "Station")
        station = (await station_logic.station_rows(ctx, [key])).get(key)
        return logic.feedback_link(ctx, station)

    @strawberry.field(
        description="The comments of a station's feedback over whole completed months, as feedbackSummary "
        "counts them, each with its month only (never a day, never the running month): its commander only."
    )
    async def feedback_comments(
        self,
        info: strawberry.Info[Context],
        station_id: strawberry.ID,
        from_: Annotated[
            datetime,
            strawberry.argument(name="from", description="From the start of the month this falls in."),
        ],
        to: Annotated[
            datetime, strawberry.argument(description="Up to this instant (whole months before it).")
        ],
        first: Annotated[int | None, strawberry.argument(description="At most this many (200).")] = None,
    ) -> list[FeedbackComment]:
        ctx = info.context
        policy.require_officer(ctx.viewer)
        found = await logic.feedback_comments(
            ctx,
            station_id=int_key(station_id, "stationId", ctx.lang, "Station"),
            start=from_,
            end=to,
            first=first,
        )
        return [FeedbackComment(month=m, comment=c) for m, c in found]


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(description="Anonymous feedback after a visit or a meeting; no sign-in.")
    async def submit_feedback(
        self, info: strawberry.Info[Context], input: SubmitFeedbackInput
    ) -> SubmitFeedbackPayload:
        ctx = info.context
        done, errors, _ = await run(ctx, lambda: logic.submit_feedback(ctx, input), signed_in=False)
        return SubmitFeedbackPayload(
            accepted=done is not None, duplicate=bool(done and done.duplicate), errors=errors
        )
