"""Activity rollups: counts per H3 cell, time bucket, layer, category and station, kept by triggers.

Each row is a delta (inserted, never updated): a key's count is the sum of its rows, and
`activity_compact()` merges them (every minute, api/compaction.py) without changing any sum.

Maps, timelines and CompStat changes read these, never the raw rows, so their cost grows with cells
times buckets, not with the number of incidents. Migration 0006 creates the triggers on incidents,
engagements and patrol_fixes that fold every insert, delete and relevant update into them in the same
transaction (`activity_fold`), so a committed record is always counted and a rolled-back one never is.

Each record is folded into five (grain, resolution) pairs: hours at resolution 10; days at 10 and 8;
months at 8 and 6. A query picks, for each stretch of its period, the coarsest pair at least as fine as
the resolution asked and aggregates to it with `activity_h3_parent` (see resolvers.activity_plan).
Buckets of days and months follow Baghdad's calendar (Asia/Baghdad); hours are the same everywhere in
Iraq (whole-hour offsets).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import CHAR
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

INCIDENTS, ENGAGEMENTS, PATROLS = 1, 2, 3  # activity_rollups.layer


class ActivityRollup(Base):
    __tablename__ = "activity_rollups"
    __table_args__ = (
        Index(
            "ix_activity_rollups_key",
            "grain",
            "res",
            "bucket",
            "cell",
            "layer",
            "category",
            "sensitive",
            "station_id",
        ),
        Index("ix_activity_rollups_governorate", "grain", "res", "governorate", "bucket"),
        # The rest of the key after the bucket (migration 0009): compaction's lookups by key find exactly
        # the key's rows whichever index the planner takes.
        Index(
            "ix_activity_rollups_station",
            "grain",
            "res",
            "station_id",
            "bucket",
            "cell",
            "layer",
            "category",
            "sensitive",
        ),
        # Compaction finds the keys written since its last run here (migration 0007).
        Index(
            "ix_activity_rollups_fresh",
            "grain",
            "res",
            "bucket",
            "cell",
            "layer",
            "category",
            "sensitive",
            "station_id",
            postgresql_where=text("fresh"),
        ),
        # The sensitive rows alone, for counting them generalised (resolvers.disclosure, migration 0011).
        Index(
            "ix_activity_rollups_sensitive",
            "grain",
            "res",
            "bucket",
            postgresql_where=text("sensitive"),
            postgresql_include=[
                "cell",
                "layer",
                "category",
                "station_id",
                "governorate",
                "n",
                "attendees",
                "women",
                "youth",
            ],
        ),
    )
    # Rows are deltas, only inserted, so the table has no primary key (a unique key would make writers of
    # the same cell and hour wait for each other, and deadlock across sync batches); the mapper needs one.
    __mapper_args__ = {  # noqa: RUF012 - SQLAlchemy's declarative configuration
        "primary_key": [
            "grain",
            "res",
            "bucket",
            "cell",
            "layer",
            "category",
            "sensitive",
            "station_id",
        ]
    }

    grain: Mapped[str] = mapped_column(CHAR(1))  # 'h' hour, 'd' day, 'm' month
    res: Mapped[int] = mapped_column(SmallInteger)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cell: Mapped[int] = mapped_column(BigInteger)
    layer: Mapped[int] = mapped_column(SmallInteger)
    category: Mapped[str] = mapped_column(Text)  # incident category, engagement kind, ''
    sensitive: Mapped[bool] = mapped_column(Boolean)
    station_id: Mapped[int] = mapped_column(BigInteger)
    governorate: Mapped[str] = mapped_column(Text)  # the station's, for supervisors' scope
    n: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))  # incidents, engagements
    minutes: Mapped[float] = mapped_column(Double, server_default=text("0"))  # patrol time
    meters: Mapped[float] = mapped_column(Double, server_default=text("0"))  # patrol distance
    attendees: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    women: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    youth: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    fresh: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))  # not yet compacted


_CELL_VALUES = ("incidents", "sensitive", "engagements", "sensitive_engagements", "patrol_minutes")


class ActivityCell(Base):
    """What a map shows of one (grain, resolution, bucket, cell, station): incidents and engagements, each
    not sensitive and sensitive, and patrol minutes. Written with activity_rollups by the same functions,
    as deltas
    too; read by maps without a category filter, by index alone (the indexes include every column a map
    reads: one per kind of area, the cell's for drawn areas, read by ranges of cell numbers)."""

    __tablename__ = "activity_cells"
    __table_args__ = (
        Index(
            "ix_activity_cells_place",
            "grain",
            "res",
            "cell",
            "bucket",
            postgresql_include=["station_id", "governorate", *_CELL_VALUES],
        ),
        Index(
            "ix_activity_cells_governorate",
            "grain",
            "res",
            "governorate",
            "bucket",
            postgresql_include=["cell", "station_id", *_CELL_VALUES],
        ),
        Index(
            "ix_activity_cells_station",
            "grain",
            "res",
            "station_id",
            "bucket",
            "cell",
            postgresql_include=["governorate", *_CELL_VALUES],
        ),
        Index(
            "ix_activity_cells_fresh",
            "grain",
            "res",
            "cell",
            "bucket",
            "station_id",
            postgresql_where=text("fresh"),
        ),
    )
    __mapper_args__ = {"primary_key": ["grain", "res", "bucket", "cell", "station_id"]}  # noqa: RUF012

    grain: Mapped[str] = mapped_column(CHAR(1))
    res: Mapped[int] = mapped_column(SmallInteger)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cell: Mapped[int] = mapped_column(BigInteger)
    station_id: Mapped[int] = mapped_column(BigInteger)
    governorate: Mapped[str] = mapped_column(Text)
    incidents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))  # not sensitive
    sensitive: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))  # sensitive incidents
    engagements: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))  # not sensitive
    # home visits and family-protection follow-ups (migration 0011)
    sensitive_engagements: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    patrol_minutes: Mapped[float] = mapped_column(Double, server_default=text("0"))
    fresh: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class PublicMonth(Base):
    """A month of the citizens' public map, frozen (migration 0024): its base numbers were counted once,
    when it was first published, into `public_base_numbers`, and the public map answers the month from
    those alone from then on, whatever late reports and corrections do to the rollups (docs/privacy.md,
    "The public map"). A row here with no base numbers is a month frozen with none published."""

    __tablename__ = "public_months"

    month: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)  # its start, Baghdad
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PublicBaseNumber(Base):
    """A published base number of a frozen month: the incidents that are not sensitive in one
    resolution-7 cell, that month, of the stations of one governorate, as counted when the month was
    frozen. Only published ones (at least resolvers.disclosure.PUBLIC_MIN_COUNT) are stored: a suppressed
    one is not a row, and the check refuses one."""

    __tablename__ = "public_base_numbers"
    __table_args__ = (CheckConstraint("n >= 5", name="published"),)

    month: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), ForeignKey("public_months.month", ondelete="CASCADE"), primary_key=True
    )
    governorate: Mapped[str] = mapped_column(Text, primary_key=True)  # the stations'
    cell: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # resolution 7
    n: Mapped[int] = mapped_column(BigInteger)
