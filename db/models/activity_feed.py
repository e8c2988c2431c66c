"""The live feed's log: one row per new incident, engagement or patrol position, and one per committing
transaction that gives all of that transaction's rows their place in the feed.

Rows are written by triggers (the activity_feed migration), never by Python, so every write path feeds
the log in its own transaction. That migration says why the order is assigned at commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Double, Identity, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

# The transaction's 64-bit id (xid8, epoch included, so never reused), stored as bigint.
_XID = text("(pg_current_xact_id()::text)::bigint")


class ActivityEvent(Base):
    __tablename__ = "activity_events"
    __table_args__ = (
        CheckConstraint("layer IN ('INCIDENTS', 'ENGAGEMENTS', 'PATROLS')", name="layer_known"),
        Index("ix_activity_events_xid_id", "xid", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    xid: Mapped[int] = mapped_column(BigInteger, server_default=_XID)
    layer: Mapped[str] = mapped_column(Text)
    record_id: Mapped[int] = mapped_column(BigInteger)  # the incident, engagement or patrol
    station_id: Mapped[int] = mapped_column(BigInteger)
    governorate: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the sensitive-incident policy needs, as the record was written (resolvers.policy decides).
    category: Mapped[str | None] = mapped_column(Text)
    sensitive: Mapped[bool] = mapped_column(server_default=text("false"))
    officer_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default=text("'{}'"))


class ActivityCommit(Base):
    """A transaction that wrote events. `position` is given at commit, under a lock held until the commit
    is visible, so positions become visible in increasing order."""

    __tablename__ = "activity_commits"

    xid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ActivityFeedHorizon(Base):
    """One row: every position at or below `position` may have been pruned (the activity feed pruning
    migration); a cursor there is too old to resume from."""

    __tablename__ = "activity_feed_horizon"
    __table_args__ = (CheckConstraint("one", name="one_row"),)

    one: Mapped[bool] = mapped_column(primary_key=True, server_default=text("true"))
    position: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
