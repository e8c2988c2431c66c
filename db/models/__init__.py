"""SQLAlchemy models. Alembic migrations create the tables; these describe them for queries."""

from db.models.activity import ActivityCell, ActivityRollup, PublicBaseNumber, PublicMonth
from db.models.activity_feed import ActivityCommit, ActivityEvent, ActivityFeedHorizon
from db.models.base import Base
from db.models.citizens import FeedbackResponse, ServiceRequest
from db.models.device_sync import DeviceChangeRow, DeviceCommit, DeviceSyncHorizon
from db.models.fieldwork import (
    AuditEntry,
    ClientRequest,
    Engagement,
    EngagementCorrection,
    FollowUpAction,
    Incident,
    IncidentCorrection,
    IncidentStatusChange,
    Patrol,
    PatrolFix,
)
from db.models.media import Attachment, MediaObject, Upload, UploadPart
from db.models.officers import AuthSession, LoginThrottle, Officer, RefreshToken
from db.models.persisted import PersistedQuery
from db.models.problems import CommunityMeeting, Problem, ProblemLink
from db.models.rate_limits import RateLimitBucket
from db.models.stations import Governorate, PublicHoliday, Station, StationArea, StationClosure

__all__ = [
    "ActivityCell",
    "ActivityCommit",
    "ActivityEvent",
    "ActivityFeedHorizon",
    "ActivityRollup",
    "Attachment",
    "AuditEntry",
    "AuthSession",
    "Base",
    "ClientRequest",
    "CommunityMeeting",
    "DeviceChangeRow",
    "DeviceCommit",
    "DeviceSyncHorizon",
    "Engagement",
    "EngagementCorrection",
    "FeedbackResponse",
    "FollowUpAction",
    "Governorate",
    "Incident",
    "IncidentCorrection",
    "IncidentStatusChange",
    "LoginThrottle",
    "MediaObject",
    "Officer",
    "Patrol",
    "PatrolFix",
    "PersistedQuery",
    "Problem",
    "ProblemLink",
    "PublicBaseNumber",
    "PublicHoliday",
    "PublicMonth",
    "RateLimitBucket",
    "RefreshToken",
    "ServiceRequest",
    "Station",
    "StationArea",
    "StationClosure",
    "Upload",
    "UploadPart",
]
