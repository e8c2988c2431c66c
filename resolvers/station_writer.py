"""Writing validated station records: used by the demo seed and by `markaz stations import`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import stations as repo
from resolvers.station_records import StationRecord
from resolvers.text_fold import fold

BATCH = 1000


@dataclasses.dataclass(slots=True)
class WriteCounts:
    inserted: int = 0
    updated: int = 0


def row_of(record: StationRecord) -> dict:
    names = record.names
    return {
        "external_id": record.external_id,
        "governorate_code": record.governorate,
        "name_ar": names.get("ar"),
        "name_ku": names.get("ku"),
        "name_en": names.get("en"),
        # Every language goes into one key, so a search in any of them finds the station.
        "search_key": fold(" | ".join(n for n in (names.get("ar"), names.get("ku"), names.get("en")) if n)),
        "is_model_station": record.is_model_station,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "address": record.address,
        "address_ar": record.addresses.get("ar"),
        "address_ku": record.addresses.get("ku"),
        "address_en": record.addresses.get("en"),
        "closes_on_holidays": record.closes_on_holidays,
        "phone": record.phone,
        "services": sorted(set(record.services)),
        "always_open": record.always_open,
        "timezone": record.timezone,
        "hours": [
            {"weekday": p.weekday, "opens": p.opens, "closes": p.closes, "service": p.service}
            for p in record.hours
        ],
        "active": record.active,
    }


def _batches(records: Iterable[StationRecord], size: int) -> Iterator[list[StationRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


async def write_stations(
    session: AsyncSession,
    records: Iterable[StationRecord],
    *,
    progress: Callable[[int], None] | None = None,
) -> WriteCounts:
    """Insert or update (by external id) the records, with their closures, in batches. A record whose
    file states no closures (`closures_given` false) leaves the station's closures as they are.

    Only flushes: the caller commits once, so an import applies whole or not at all.
    """
    counts = WriteCounts()
    done = 0
    for batch in _batches(records, BATCH):
        # Duplicate external ids inside one INSERT ... ON CONFLICT would fail; the importer refuses them,
        # and here the last one wins so a generated set can never break the statement.
        unique: dict[object, StationRecord] = {}
        for index, record in enumerate(batch):
            unique[record.external_id if record.external_id is not None else ("row", index)] = record
        batch = list(unique.values())
        results = await repo.upsert_stations(session, [row_of(r) for r in batch])
        closures: list[dict[str, Any]] = []
        stated: list[int] = []  # the stations whose closures the records state
        for (station_id, _, inserted), record in zip(results, batch, strict=True):
            counts.inserted += inserted
            counts.updated += not inserted
            if not record.closures_given:
                continue  # a file silent on closures leaves the station's as they are
            stated.append(station_id)
            closures.extend(
                {
                    "station_id": station_id,
                    "starts_at": c.starts_at,
                    "ends_at": c.ends_at,
                    "reason": c.reason,
                    "services": list(c.services) if c.services else None,
                }
                for c in record.closures
            )
        await repo.replace_closures(session, stated, closures)
        done += len(batch)
        if progress is not None:
            progress(done)
    return counts
