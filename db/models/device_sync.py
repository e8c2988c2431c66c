"""The officer's working set's change log (docs/device-sync.md): one row per written row of the tables
phones keep, and one per committing transaction, which gives all of that transaction's rows their place.

Rows are written by triggers (migration 0018), never by Python, so no write path can forget a phone.
Positions are given at commit under the live feed's lock, so they become visible in increasing order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

_XID = text("(pg_current_xact_id()::text)::bigint")


class DeviceChangeRow(Base):
    __tablename__ = "device_changes"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('stations', 'incidents', 'follow_up_actions', 'patrols', 'officers')", name="kind_known"
        ),
        Index("ix_device_changes_xid", "xid"),
        Index("ix_device_changes_kind_entity_id", "kind", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    xid: Mapped[int] = mapped_column(BigInteger, server_default=_XID)
    kind: Mapped[str] = mapped_column(Text)  # the table
    entity_id: Mapped[int] = mapped_column(BigInteger)
    # The row's scope keys before the change (the trigger's arguments), null for an insert.
    before: Mapped[dict | None] = mapped_column(JSONB)
    # The stations and officers the row named, before or after the change.
    stations: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default=text("'{}'"))
    officers: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default=text("'{}'"))


class DeviceCommit(Base):
    """A transaction that changed the working set; `position` given at commit."""

    __tablename__ = "device_commits"

    xid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeviceSyncHorizon(Base):
    """One row: every position at or below `position` may have been pruned."""

    __tablename__ = "device_sync_horizon"
    __table_args__ = (CheckConstraint("one", name="one_row"),)

    one: Mapped[bool] = mapped_column(primary_key=True, server_default=text("true"))
    position: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
