"""What the repositories return: the rows of each table, as typing.Protocol classes.

The repositories select columns and get SQLAlchemy rows (or, on the hottest reads, the named tuples of
db/statements.fetch): both read by attribute. These protocols give each a type at no cost at run time:
a repository casts its result once (`cast`, not a conversion per row), and the logic and the schema
read typed attributes. Rows are read-only; each field is the column of the same name (db/models), and
a row read with more (an incident with its station's governorate) is a protocol of its own.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Protocol


class GovernorateRow(Protocol):
    """A governorate (ISO 3166-2:IQ code, names, capital)."""

    code: str
    name_ar: str
    name_ku: str
    name_en: str
    latitude: float
    longitude: float


class StationRow(Protocol):
    """A station, without `open_weekly` (only SQL reads it)."""

    id: int
    external_id: str | None
    governorate_code: str
    name_ar: str | None
    name_ku: str | None
    name_en: str | None
    search_key: str
    is_model_station: bool
    latitude: float
    longitude: float
    address: str | None
    address_ar: str | None
    address_ku: str | None
    address_en: str | None
    phone: str | None
    services: list[str]
    always_open: bool
    timezone: str
    hours: list[dict[str, Any]]
    active: bool
    closes_on_holidays: bool
    holiday_closed_services: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class ClosureRow(Protocol):
    """A dated closure of a station, or of some of its services."""

    id: int
    station_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str | None
    reason_ar: str | None
    reason_ku: str | None
    reason_en: str | None
    services: list[str] | None


class PublicHolidayRow(Protocol):
    """An administrator's change to the public holidays: a national holiday moved, or a one-off."""

    id: int
    key: str
    kind: str
    starts_on: date
    ends_on: date
    name_ar: str | None
    name_ku: str | None
    name_en: str | None
    national: bool
    changed_by_id: int | None
    updated_at: datetime


class StationAreaRow(Protocol):
    """A station's area: its GeoJSON geometry and bounding box."""

    station_id: int
    geometry: dict[str, Any]
    west: float
    south: float
    east: float
    north: float
    vertices: int
    updated_at: datetime


class OfficerRow(Protocol):
    """An officer account."""

    id: int
    badge_number: str
    name: str
    rank: str | None
    gender: str
    role: str
    station_id: int | None
    governorates: list[str]
    active: bool
    password_hash: str
    password_changed_at: datetime
    must_change_password: bool
    version: int
    created_at: datetime


class PatrolRow(Protocol):
    """A patrol."""

    id: int
    client_id: uuid.UUID
    station_id: int
    started_by_id: int
    officer_ids: list[int]
    planned_area: dict[str, Any] | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    distance_m: float
    fix_count: int
    flagged_fix_count: int
    recorded_at: datetime | None
    received_at: datetime
    flags: list[str]
    version: int


class FixRow(Protocol):
    """One GPS fix of a patrol's track."""

    patrol_id: int
    recorded_at: datetime
    latitude: float
    longitude: float
    accuracy_m: float | None
    flags: list[str]
    h3_cell: int
    step_m: float | None


class PlacedRecordRow(Protocol):
    """What incidents and engagements both hold: where and when, and when everyone may see it."""

    id: int
    client_id: uuid.UUID
    station_id: int
    latitude: float
    longitude: float
    accuracy_m: float | None
    h3_cell: int
    occurred_at: datetime
    disclosed_at: datetime
    recorded_at: datetime | None
    flags: list[str]


class EngagementRow(PlacedRecordRow, Protocol):
    """A community engagement."""

    officer_id: int
    kind: str
    duration_minutes: int | None
    attendees_total: int
    attendees_women: int
    attendees_youth: int
    topics: list[str]
    notes: str | None
    patrol_id: int | None
    received_at: datetime
    version: int


class FollowUpRow(Protocol):
    """A follow-up action promised at an engagement or for an incident."""

    id: int
    engagement_id: int | None  # exactly one of engagement_id and incident_id (migration 0014)
    incident_id: int | None
    client_id: uuid.UUID | None
    description: str
    owner_id: int | None
    due_on: date | None
    status: str
    updated_at: datetime


class ReadFollowUpRow(FollowUpRow, Protocol):
    """A follow-up action as read: with its engagement's station and governorate (permissions depend on
    them), and whether it is overdue (its due date passed in the station's time zone, and not done)."""

    station_id: int
    station_governorate: str
    overdue: bool
    engagement_kind: str | None  # of an engagement's action: who is on its case (a household's)
    engagement_officer_id: int | None


class IncidentRow(PlacedRecordRow, Protocol):
    """An incident."""

    category: str
    status: str
    version: int
    sensitive: bool
    reported_at: datetime
    description: str
    people: list[dict[str, Any]]
    reported_by_id: int | None
    assigned_officer_ids: list[int]
    resolved_at: datetime | None
    updated_at: datetime


class StatusChangeRow(Protocol):
    """One change of an incident's status."""

    id: int
    incident_id: int
    from_status: str | None
    to_status: str
    version: int
    changed_by_id: int | None
    changed_at: datetime
    note: str | None


class ClientRequestRow(Protocol):
    """What a device-made client_id did."""

    client_id: uuid.UUID
    officer_id: int
    kind: str
    content_hash: str
    result_type: str | None
    result_id: int | None
    created_at: datetime


class AuditEntryRow(Protocol):
    """One entry of the audit chain."""

    id: int
    at: datetime
    officer_id: int | None
    device_id: str | None
    request_id: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ReadIncidentRow(IncidentRow, Protocol):
    """An incident as read for a viewer: with its station's governorate (permissions depend on it)."""

    station_governorate: str


class ReadEngagementRow(EngagementRow, Protocol):
    """An engagement as read for a viewer: with its station's governorate (permissions depend on it)."""

    station_governorate: str


class NearestStationRow(StationRow, Protocol):
    """A candidate of the nearest-station walk: the chord to the point (metres, a lower bound of the
    geodesic distance), and its closures not over yet as [starts_at, ends_at, reason, services, id,
    reason_ar, reason_ku, reason_en] lists."""

    chord: float
    closures_ahead: list[list[Any]]


class SignInRow(OfficerRow, Protocol):
    """The officer of a badge, and whether they signed in on this device before."""

    known_device: bool


class LiveViewerRow(Protocol):
    """The officer behind a live session's token."""

    id: int
    role: str
    station_id: int | None
    governorates: list[str]
    name: str
    gender: str
    station_governorate: str | None
    device_id: str | None
    must_change_password: bool


class RefreshRow(Protocol):
    """A refresh token with its session, locked for the rotation."""

    token_hash: bytes
    used_at: datetime | None
    session_id: uuid.UUID
    officer_id: int
    revoked_at: datetime | None
    expires_at: datetime
    device_id: str | None


class TrackFixRow(Protocol):
    """A stored fix of a track, as the walk reads it."""

    recorded_at: datetime
    latitude: float
    longitude: float
    accuracy_m: float | None
    flags: list[str]
    step_m: float | None


class KeptFixRow(Protocol):
    """A kept fix's place, for a patrol's drawn track."""

    patrol_id: int
    latitude: float
    longitude: float


class TrackEndRow(Protocol):
    """A patrol's last fix time, and its last kept fix (all None when it has none)."""

    id: int
    last_fix_at: datetime | None
    kept_at: datetime | None
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None


class PatrolStationRow(Protocol):
    """A patrol an engagement links to."""

    id: int
    station_id: int
    officer_ids: list[int]


class FeedEventRow(Protocol):
    """An event of the live feed's log, with the position its transaction was given at commit."""

    position: int
    committed_at: datetime
    id: int
    xid: int
    layer: str
    record_id: int
    station_id: int
    governorate: str
    latitude: float
    longitude: float
    occurred_at: datetime
    category: str | None
    sensitive: bool
    officer_ids: list[int]


class FeedbackRow(Protocol):
    """A stored feedback answer, as an idempotent resend finds it."""

    id: int
    station_id: int
    content_hash: str


class FeedbackBaseRow(Protocol):
    """Feedback counted per station, month, service and women (`female`) or others (db/feedback.py)."""

    station_id: int
    month: date
    service: str
    female: bool
    n: int
    rating_sum: int
    respected_yes: int
    return_yes: int
    safe_yes: int


class FeedbackCommentRow(Protocol):
    """A feedback comment, with only its month."""

    month: date
    comment: str


class ServiceRequestRow(Protocol):
    """An Open311 service request, with its station's governorate."""

    id: int
    token: uuid.UUID
    service_code: str
    station_id: int
    station_governorate: str
    status: str
    triage: str
    status_notes: str | None
    duplicate_of_id: int | None
    incident_id: int | None
    description: str | None
    latitude: float
    longitude: float
    address_string: str | None
    media_url: str | None
    attributes: dict[str, Any]
    contact_email: str | None
    contact_phone: str | None
    contact_name: str | None
    app: str | None
    version: int
    requested_at: datetime
    updated_at: datetime
    # Its case (db/service_requests.py): the incident it became, else that of the report it repeats;
    # null when it has none.
    case_incident_id: int | None
    case_station_id: int | None
    case_category: str | None
    case_marked: bool | None
    case_reported_by_id: int | None
    case_assigned_officer_ids: list[int] | None
    case_reported_at: datetime | None
    on_sensitive_case: bool
    # When everyone may see it was sent: on a sensitive case, the start of its day; else requested_at.
    disclosed_at: datetime


class ProblemRow(Protocol):
    """A problem of a station (SARA), with its public text once published."""

    id: int
    client_id: uuid.UUID
    station_id: int
    area: dict[str, Any] | None
    title: str
    description: str
    language: str
    categories: list[str]
    topics: list[str]
    priority: str
    owner_id: int
    stage: str
    version: int
    opened_by_id: int
    opened_at: datetime
    response_started_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    public_text: dict[str, Any] | None
    published_at: datetime | None
    published_by_id: int | None


class ReadProblemRow(ProblemRow, Protocol):
    """A problem as read for a viewer: with its station's governorate (permissions depend on it)."""

    station_governorate: str


class ProblemLinkRow(Protocol):
    """A record tied to a problem: exactly one of engagement_id, incident_id, follow_up_action_id."""

    id: int
    problem_id: int
    engagement_id: int | None
    incident_id: int | None
    follow_up_action_id: int | None
    linked_by_id: int | None
    linked_at: datetime


class MeetingRow(Protocol):
    """A community meeting a commander published."""

    id: int
    client_id: uuid.UUID
    station_id: int
    kind: str
    starts_at: datetime
    ends_at: datetime | None
    place: dict[str, str]
    topic: dict[str, str]
    latitude: float
    longitude: float
    problem_id: int | None
    engagement_id: int | None
    published_by_id: int
    published_at: datetime
    unpublished_at: datetime | None


class UploadRow(Protocol):
    """A tus upload (db/media.py)."""

    id: uuid.UUID
    officer_id: int
    length: int
    upload_offset: int
    metadata: dict[str, Any]
    sha256: str | None
    created_at: datetime
    expires_at: datetime
    completed_at: datetime | None


class AttachmentRow(Protocol):
    """A photo or document of an incident or an engagement (db/media.py)."""

    id: int
    client_id: uuid.UUID
    incident_id: int | None
    engagement_id: int | None
    attached_by_id: int | None
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
    sha256: str
    upload_sha256: str
    has_thumbnail: bool
    taken_at: datetime | None
    taken_latitude: float | None
    taken_longitude: float | None
    caption: str | None
    expected_total: int | None
    created_at: datetime
