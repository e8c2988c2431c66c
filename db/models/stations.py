"""Governorates, stations and their dated closures.

A station's weekly hours are one JSONB value (`hours`), because they are always read and written
as a whole; closures are rows, because each is added, listed and ended on its own.
The k-nearest index is an expression index on `markaz_ecef(latitude, longitude)`, a 3-D point on
the WGS-84 ellipsoid (see the first migration): the straight-line distance it orders by is a lower
bound of the geodesic distance, which lets the nearest-station search stop exactly.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INT4MULTIRANGE, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Governorate(Base):
    __tablename__ = "governorates"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)  # ISO 3166-2:IQ
    name_ar: Mapped[str] = mapped_column(Text)
    name_ku: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)


class Station(Base):
    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        Index(
            "ix_stations_search_key_trgm",
            "search_key",
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        ),
        Index("ix_stations_governorate_code", "governorate_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(Text, unique=True)
    governorate_code: Mapped[str] = mapped_column(ForeignKey("governorates.code"))
    name_ar: Mapped[str | None] = mapped_column(Text)
    name_ku: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    search_key: Mapped[str] = mapped_column(Text)  # names folded for forgiving search
    is_model_station: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    address: Mapped[str | None] = mapped_column(Text)
    # The address in each language (migration 0020); `address` stays the one address of older imports.
    address_ar: Mapped[str | None] = mapped_column(Text)
    address_ku: Mapped[str | None] = mapped_column(Text)
    address_en: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    services: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    always_open: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    timezone: Mapped[str] = mapped_column(Text, server_default=text("'Asia/Baghdad'"))
    hours: Mapped[list[dict]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # Closed on Iraq's public holidays: the whole station, or only these desks (migration 0020).
    closes_on_holidays: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    holiday_closed_services: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    # Bumped by every change made through the API or an import: `expectedVersion` (migration 0020).
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Minutes of the week the station and each service desk are open, computed by a trigger from the
    # three columns above (migration 0008); only the nearest-open search reads it, in SQL.
    open_weekly: Mapped[list] = mapped_column(
        INT4MULTIRANGE, server_default=text("'{}'::int4multirange"), deferred=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StationClosure(Base):
    __tablename__ = "station_closures"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_station_closures_station_id_ends_at", "station_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    # The reason in each language, for closures made through the API (migration 0020).
    reason_ar: Mapped[str | None] = mapped_column(Text)
    reason_ku: Mapped[str | None] = mapped_column(Text)
    reason_en: Mapped[str | None] = mapped_column(Text)
    services: Mapped[list[str] | None] = mapped_column(ARRAY(Text))  # None: the whole station


class PublicHoliday(Base):
    """An administrator's change to Iraq's public holidays: a national holiday moved to the dates the
    government announced (`kind` MOVED, `key` the computed holiday's), or a one-off holiday (ONE_OFF)."""

    __tablename__ = "public_holidays"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_on_or_after_starts"),
        CheckConstraint("kind IN ('MOVED', 'ONE_OFF')", name="kind_known"),
        Index("ix_public_holidays_ends_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # the last day, inclusive
    name_ar: Mapped[str | None] = mapped_column(Text)
    name_ku: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    national: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StationArea(Base):
    """A station's area (its beat): a GeoJSON Polygon or MultiPolygon, with its bounding box. The GiST
    index on `box(point(west, south), point(east, north))` (migration 0021) finds the areas whose box
    holds a point; resolvers/station_areas.py decides exactly."""

    __tablename__ = "station_areas"
    __table_args__ = (CheckConstraint("west <= east AND south <= north", name="bbox_ordered"),)

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    geometry: Mapped[dict] = mapped_column(JSONB)
    west: Mapped[float] = mapped_column(Double)
    south: Mapped[float] = mapped_column(Double)
    east: Mapped[float] = mapped_column(Double)
    north: Mapped[float] = mapped_column(Double)
    vertices: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
