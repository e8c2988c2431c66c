"""Plain records for stations, shared by the importer, the demo generator and the repository.

A `StationRecord` is what one imported row or one generated station becomes after validation:
every field already checked, so the repository can write it without asking again.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime


class StationService(enum.Enum):
    """What a station offers. The names are part of the mobile contract (docs/api.md)."""

    COMMUNITY_POLICING = "COMMUNITY_POLICING"
    FAMILY_AND_CHILD_PROTECTION = "FAMILY_AND_CHILD_PROTECTION"
    JUVENILE_POLICE = "JUVENILE_POLICE"
    WOMEN_OFFICERS_DESK = "WOMEN_OFFICERS_DESK"
    CRIME_REPORTING = "CRIME_REPORTING"
    TRAFFIC = "TRAFFIC"
    CIVIL_DOCUMENTS = "CIVIL_DOCUMENTS"


SERVICE_NAMES = frozenset(s.value for s in StationService)
DEFAULT_TIMEZONE = "Asia/Baghdad"


@dataclasses.dataclass(frozen=True, slots=True)
class Period:
    """One weekly opening period in the station's local wall time.

    `weekday` is the day the period opens (0 = Monday). `opens` and `closes` are "HH:MM";
    `closes` may be "24:00", and a `closes` at or before `opens` means the period runs past
    midnight into the next day (Thursday 20:00-02:00 covers Friday 00:00-02:00).
    `service` is None for the station itself, or a service name for a desk with its own hours.
    """

    weekday: int
    opens: str
    closes: str
    service: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Closure:
    """A dated exception: the station (or only the listed services) is closed in [starts_at, ends_at).

    `reason` is the one reason of a file that gives no language; `reasons` the reason in Arabic, Kurdish
    and English, as closures made through the API give it (and Markaz's export writes back). `id` is the
    stored closure's (None before it is written, and for the closures public holidays make)."""

    starts_at: datetime
    ends_at: datetime
    reason: str | None = None
    services: tuple[str, ...] | None = None
    id: int | None = None
    reasons: tuple[str | None, str | None, str | None] = (None, None, None)


@dataclasses.dataclass(slots=True)
class StationRecord:
    """A validated station, ready to be written."""

    names: dict[str, str]  # keys among "ar", "ku", "en"; at least "ar" or "en"
    governorate: str  # ISO 3166-2 code, e.g. "IQ-NI"
    latitude: float
    longitude: float
    external_id: str | None = None
    address: str | None = None
    phone: str | None = None
    is_model_station: bool = False
    services: tuple[str, ...] = ()
    always_open: bool = False
    timezone: str = DEFAULT_TIMEZONE
    hours: tuple[Period, ...] = ()
    closures: tuple[Closure, ...] = ()
    active: bool = True
    # The address in each language ("ar", "ku", "en"), as OpenStreetMap's addr:* tags give it; `address`
    # is the one address of files that give no language.
    addresses: dict[str, str] = dataclasses.field(default_factory=dict)
    # Closed on Iraq's public holidays (OpenStreetMap's "PH off"): resolvers/holidays.py.
    closes_on_holidays: bool = False
    # Whether the file states the station's closures (a `closures` value, even an empty list): only then
    # does writing it replace them. An OpenStreetMap export says nothing of closures, so re-importing it
    # leaves those a commander made through the API. Not part of what the station is (equality).
    closures_given: bool = dataclasses.field(default=True, compare=False)
    # The desks (services) that close on public holidays when the station itself does not (the API's
    # `desksClosedOnHolidays`), among `services`; written only when the file states them (a
    # `desks_closed_on_holidays` value, even an empty list): an older file or an OpenStreetMap export,
    # silent on them, leaves those a commander set. Like `closures_given`, not part of equality.
    desks_closed_on_holidays: tuple[str, ...] = ()
    desks_given: bool = dataclasses.field(default=True, compare=False)
