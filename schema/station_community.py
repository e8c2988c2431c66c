"""What a station publishes for its community, as citizens read it (`Station.publicPriorities`,
`Station.upcomingMeetings`): public types only, with no personal data and no record of the station's
field work (docs/privacy.md)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from db.rows import MeetingRow
from resolvers.lang import localized
from schema.common import GeoPoint, LocalizedText
from schema.node import to_global_id


@strawberry.enum(description="Where a problem stands in the SARA model.")
class ProblemStage(enum.Enum):
    SCANNING = strawberry.enum_value("SCANNING", description="Seen and described: is it a problem?")
    ANALYSIS = strawberry.enum_value("ANALYSIS", description="Finding out why it happens, and where.")
    RESPONSE = strawberry.enum_value("RESPONSE", description="Acting on it: the response has begun.")
    ASSESSMENT = strawberry.enum_value("ASSESSMENT", description="Judging whether the response worked.")
    CLOSED = strawberry.enum_value("CLOSED", description="Done with, solved or not a problem after all.")


def _text(values: dict[str, str] | None) -> LocalizedText:
    values = values or {}
    return LocalizedText(ar=values.get("ar"), ku=values.get("ku"), en=values.get("en"))


@strawberry.type(
    description="A problem the station's commander chose to publish: what it is and what is being done, "
    "as the commander wrote them for the public, in three languages."
)
class PublicPriority:
    id: strawberry.ID = strawberry.field(description="This priority's ID (not the problem's).")
    title: str = strawberry.field(description="The issue, in the client's language.")
    titles: LocalizedText = strawberry.field(description="The issue, in every language.")
    action: str = strawberry.field(description="What is being done about it, in the client's language.")
    actions: LocalizedText = strawberry.field(description="What is being done, in every language.")
    stage: ProblemStage = strawberry.field(description="Where the station's work on it stands.")
    published_at: datetime = strawberry.field(description="When it was (last) published.")

    @classmethod
    def from_row(cls, row: Any, lang: str) -> PublicPriority:
        text = row.public_text or {}
        return cls(
            id=strawberry.ID(to_global_id("PublicPriority", row.id)),
            title=localized(text.get("title") or {}, lang),
            titles=_text(text.get("title")),
            action=localized(text.get("action") or {}, lang),
            actions=_text(text.get("action")),
            stage=ProblemStage(row.stage),
            published_at=row.published_at,
        )


@strawberry.type(description="A community meeting the station published: residents are welcome.")
class CommunityMeeting:
    id: strawberry.ID = strawberry.field(description="The meeting's ID (to withdraw it: unpublishMeeting).")
    starts_at: datetime = strawberry.field(description="When it begins.")
    ends_at: datetime | None = strawberry.field(description="When it ends, when known.")
    place: str = strawberry.field(description="Where, in the client's language (a place's name).")
    places: LocalizedText = strawberry.field(description="Where, in every language.")
    location: GeoPoint = strawberry.field(description="Where on the map, to about 100 m.")
    topic: str = strawberry.field(description="What it is about, in the client's language.")
    topics: LocalizedText = strawberry.field(description="What it is about, in every language.")
    withdrawn: bool = strawberry.field(description="True once withdrawn (never listed as upcoming then).")

    @classmethod
    def from_row(cls, row: MeetingRow, lang: str) -> CommunityMeeting:
        return cls(
            id=strawberry.ID(to_global_id("CommunityMeeting", row.id)),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            place=localized(row.place, lang),
            places=_text(row.place),
            location=GeoPoint(latitude=row.latitude, longitude=row.longitude),
            topic=localized(row.topic, lang),
            topics=_text(row.topic),
            withdrawn=row.unpublished_at is not None,
        )
