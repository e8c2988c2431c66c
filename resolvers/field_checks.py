"""Checks every field-work write makes of its input (points, times, text), and the authenticity flags
a supervisor sees.

Offline phones send records hours after they were made, so times are checked against generous bounds,
and what might make a record less trustworthy is flagged for supervisors, not refused.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from resolvers.mutation_errors import Collector

# A phone's clock may run a little fast; beyond this a time "in the future" is refused.
FUTURE_TOLERANCE = timedelta(minutes=10)
# Offline work is synced within days, not years.
MAX_AGE = timedelta(days=365)
# |recordedAt - receivedAt| beyond this, with recordedAt in the future, means the phone's clock is wrong.
CLOCK_SKEW = timedelta(minutes=2)
POOR_ACCURACY_M = 100.0
MAX_ACCURACY_M = 100_000.0

FLAG_CLOCK_SKEW = "CLOCK_SKEW"
FLAG_POOR_ACCURACY = "POOR_GPS_ACCURACY"
FLAG_MOCK_LOCATION = "MOCK_LOCATION"
FLAG_LATE_SYNC = "LATE_SYNC"  # received more than a day after it was recorded


def check_point(
    errors: Collector, path: tuple[str, ...], latitude: float, longitude: float, accuracy: float | None
) -> None:
    for name, value, low, high in (("latitude", latitude, -90, 90), ("longitude", longitude, -180, 180)):
        if not math.isfinite(value):
            errors.add((*path, name), "not_finite")
        elif not low <= value <= high:
            errors.add((*path, name), "range", low=low, high=high)
    if accuracy is not None and (not math.isfinite(accuracy) or not 0 <= accuracy <= MAX_ACCURACY_M):
        errors.add((*path, "accuracyMeters"), "range", low=0, high=int(MAX_ACCURACY_M))


def check_time(
    errors: Collector, path: tuple[str, ...], value: datetime | None, now: datetime, *, required: bool = True
) -> None:
    if value is None:
        if required:
            errors.add(path, "required")
        return
    if value > now + FUTURE_TOLERANCE:
        errors.add(path, "in_future")
    elif value < now - MAX_AGE:
        errors.add(path, "too_old")


def check_text(
    errors: Collector, path: tuple[str, ...], value: str | None, *, max_length: int, required: bool = False
) -> str | None:
    """The text trimmed, or None; problems go to `errors`."""
    if value is None:
        if required:
            errors.add(path, "required")
        return None
    text = value.strip()
    if not text:
        if required:
            errors.add(path, "empty")
        return None
    if len(text) > max_length:
        errors.add(path, "too_long", high=max_length)
    return text


def authenticity_flags(
    *, recorded_at: datetime | None, received_at: datetime, accuracy: float | None, mocked: bool | None
) -> list[str]:
    """What a supervisor should know before trusting a logged visit's time and place."""
    flags = []
    if recorded_at is not None:
        if recorded_at - received_at > CLOCK_SKEW:
            flags.append(FLAG_CLOCK_SKEW)
        elif received_at - recorded_at > timedelta(days=1):
            flags.append(FLAG_LATE_SYNC)
    if accuracy is not None and accuracy > POOR_ACCURACY_M:
        flags.append(FLAG_POOR_ACCURACY)
    if mocked:
        flags.append(FLAG_MOCK_LOCATION)
    return flags


def now_utc() -> datetime:
    return datetime.now(UTC)
