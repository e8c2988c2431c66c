"""Types shared by every domain: points, localized text, mutation errors."""

from __future__ import annotations

import enum

import strawberry


@strawberry.type(description="A WGS-84 point in degrees.")
class GeoPoint:
    latitude: float = strawberry.field(description="Degrees north, -90 to 90.")
    longitude: float = strawberry.field(description="Degrees east, -180 to 180.")


@strawberry.input(description="A WGS-84 point in degrees, with the device's accuracy when known.")
class GeoPointInput:
    latitude: float = strawberry.field(description="Degrees north, -90 to 90.")
    longitude: float = strawberry.field(description="Degrees east, -180 to 180.")
    accuracy_meters: float | None = strawberry.field(
        default=None, description="Radius of 68% confidence reported by the device, in metres."
    )
    mocked: bool | None = strawberry.field(
        default=None, description="True when the device reports a mock (simulated) location provider."
    )


@strawberry.type(description="A text in each of Markaz's languages.")
class LocalizedText:
    ar: str | None = strawberry.field(description="Arabic.")
    ku: str | None = strawberry.field(description="Kurdish (Sorani, Arabic script).")
    en: str | None = strawberry.field(description="English.")


@strawberry.enum(description="What went wrong, for clients to branch on.")
class ErrorCode(enum.Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


@strawberry.type(description="A problem with a mutation's input, naming the field.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path to the input field: [location, latitude].")
    code: ErrorCode = strawberry.field(description="What went wrong.")
    message: str = strawberry.field(description="Explanation in the client's language.")
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="For LIMIT_EXCEEDED: seconds to wait before trying again."
    )


def user_errors(errors) -> list[UserError]:
    """Payload errors of resolvers.mutation_errors.FieldError values (a MutationFailed's `errors`)."""
    return [
        UserError(
            field=list(e.field) if e.field else None,
            code=ErrorCode(e.code),
            message=e.message,
            retry_after_seconds=e.retry_after,
        )
        for e in errors
    ]


@strawberry.enum(description="What a supervisor should know before trusting a field record's time and place.")
class RecordFlag(enum.Enum):
    CLOCK_SKEW = strawberry.enum_value(
        "CLOCK_SKEW", description="The device's clock was ahead of the server's when it was recorded."
    )
    LATE_SYNC = strawberry.enum_value(
        "LATE_SYNC", description="Received more than a day after it was recorded (offline work)."
    )
    POOR_GPS_ACCURACY = strawberry.enum_value(
        "POOR_GPS_ACCURACY", description="The device reported a location accuracy worse than 100 m."
    )
    MOCK_LOCATION = strawberry.enum_value(
        "MOCK_LOCATION", description="The device reported a mock (simulated) location provider."
    )
    IMPOSSIBLE_SPEED = strawberry.enum_value(
        "IMPOSSIBLE_SPEED", description="A GPS fix that could only be reached faster than about 200 km/h."
    )
