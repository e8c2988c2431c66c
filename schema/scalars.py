"""Custom scalars: DateTime that insists on an offset, and GeoJSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition


def _parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string with an offset, e.g. 2026-11-29T08:30:00+03:00")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ValueError(
            f"DateTime must be ISO 8601 with an offset, e.g. 2026-11-29T08:30:00+03:00; got {value[:40]!r}"
        ) from None
    if parsed.tzinfo is None:
        # A time without an offset is ambiguous between the phone, the station and the server.
        raise ValueError(f"DateTime needs an offset (Z or +03:00); got {value[:40]!r}")
    if not 1900 <= parsed.year <= 2200:
        raise ValueError(f"DateTime year must be between 1900 and 2200; got {value[:40]!r}")
    return parsed


def _serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


GeoJSON = NewType("GeoJSON", object)

# Types annotated `datetime` or `GeoJSON` anywhere in the schema become these scalars.
SCALARS: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(
        name="DateTime",
        description="An instant in ISO 8601 with an offset, e.g. `2026-11-29T08:30:00+03:00`.",
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="A GeoJSON object (RFC 7946), WGS-84 longitude/latitude order.",
        serialize=lambda v: v,
        parse_value=lambda v: v,
    ),
}
