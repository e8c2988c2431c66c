"""SQLAlchemy models. Alembic migrations create the tables; these describe them for queries."""

from db.models.activity import ActivityCell, ActivityRollup
from db.models.activity_feed import ActivityCommit, ActivityEvent, ActivityFeedHorizon
from db.models.base import Base
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
from db.models.officers import AuthSession, LoginThrottle, Officer, RefreshToken
from db.models.persisted import PersistedQuery
from db.models.rate_limits import RateLimitBucket
from db.models.stations import Governorate, Station, StationArea, StationClosure

__all__ = [
    "ActivityCell",
    "ActivityCommit",
    "ActivityEvent",
    "ActivityFeedHorizon",
    "ActivityRollup",
    "AuditEntry",
    "AuthSession",
    "Base",
    "ClientRequest",
    "Engagement",
    "EngagementCorrection",
    "FollowUpAction",
    "Governorate",
    "Incident",
    "IncidentCorrection",
    "IncidentStatusChange",
    "LoginThrottle",
    "Officer",
    "Patrol",
    "PatrolFix",
    "PersistedQuery",
    "RateLimitBucket",
    "RefreshToken",
    "Station",
    "StationArea",
    "StationClosure",
]
