"""SQLAlchemy models. Alembic migrations create the tables; these describe them for queries."""

from db.models.base import Base
from db.models.stations import Governorate, Station, StationClosure

__all__ = ["Base", "Governorate", "Station", "StationClosure"]
