"""Writing validated station records: used by the demo seed and by `markaz stations import`.

An import names who runs it (`ImportAudit`): each station it inserts or changes then has its audit entry
(`station_imported`, entity `Station`), with the station before (none when new) and after, the closures
and the desks closed on holidays when the file states them (it replaces them), the command and system
user, and the file. The entries are returned, not written: the caller writes them at the end, just
before it commits, so that the audit chain's head is locked only for that moment, not for the whole
import. Bulk set-up (the demo data, benchmarks, tests' factories) names nobody and is not audited, as
`markaz users` does (resolvers/officers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import stations as repo
from resolvers import audit
from resolvers.station_records import Closure, StationRecord
from resolvers.text_fold import fold

BATCH = 1000
LANGUAGES = ("ar", "ku", "en")
IMPORTED = "station_imported"


@dataclasses.dataclass(frozen=True, slots=True)
class ImportAudit:
    """Who writes, for the audit log: `by`, the command and the system user (api/cli.py `_operator`);
    `file`, what was imported; `stored`, the stations as they were, by external id."""

    by: str
    file: str
    stored: Mapping[str, StationRecord] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    # The audit entries of the stations written, when an ImportAudit was given; the caller writes them.
    audit_entries: list[audit.Pending] = dataclasses.field(default_factory=list)


def _closure_view(closure: Closure) -> dict[str, Any]:
    return {
        "startsAt": closure.starts_at,
        "endsAt": closure.ends_at,
        "services": list(closure.services) if closure.services else None,
        "reason": closure.reason,
        "reasons": dict(zip(LANGUAGES, closure.reasons, strict=True)),
    }


def audit_view(record: StationRecord, *, closures: bool, desks: bool) -> dict[str, Any]:
    """What the audit log keeps of an imported station (the keys of resolvers.station_management's
    audit_view where they mean the same, so that both read alike); its closures when `closures`, its
    desks closed on holidays when `desks`."""
    view: dict[str, Any] = {
        "externalId": record.external_id,
        "names": {lang: record.names.get(lang) for lang in LANGUAGES},
        "governorate": record.governorate,
        "location": {"latitude": record.latitude, "longitude": record.longitude},
        "address": record.address,
        "addresses": {lang: record.addresses.get(lang) for lang in LANGUAGES},
        "phone": record.phone,
        "isModelStation": record.is_model_station,
        "services": sorted(set(record.services)),
        "alwaysOpen": record.always_open,
        "closesOnHolidays": record.closes_on_holidays,
        "timezone": record.timezone,
        "active": record.active,
        "hours": row_of(record)["hours"],
    }
    if desks:
        view["desksClosedOnHolidays"] = sorted(set(record.desks_closed_on_holidays))
    if closures:
        view["closures"] = [_closure_view(c) for c in record.closures]
    return view


def _entry(
    station_id: int, version: int, record: StationRecord, inserted: bool, audited: ImportAudit
) -> audit.Pending:
    stated = {"closures": record.closures_given, "desks": record.desks_given}
    old = None if inserted or record.external_id is None else audited.stored.get(record.external_id)
    return audit.entry(
        IMPORTED,
        "Station",
        station_id,
        before=None if old is None else audit_view(old, **stated),
        after={
            **audit_view(record, **stated),
            "version": version,
            "by": audited.by,
            "file": audited.file,
        },
    )


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
    audited: ImportAudit | None = None,
) -> WriteCounts:
    """Insert or update (by external id) the records, with their closures, in batches. A record whose
    file states no closures (`closures_given` false) leaves the station's closures as they are. With
    `audited`, the counts carry an audit entry for each station written.

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
        desks: dict[int, list[str]] = {}  # the desks closed on holidays the records state (new: when any)
        for (station_id, _, inserted, version), record in zip(results, batch, strict=True):
            counts.inserted += inserted
            counts.updated += not inserted
            if audited is not None:
                counts.audit_entries.append(_entry(station_id, version, record, inserted, audited))
            if record.desks_given and (record.desks_closed_on_holidays or not inserted):
                desks[station_id] = sorted(set(record.desks_closed_on_holidays))
            if not record.closures_given:
                continue  # a file silent on closures leaves the station's as they are
            stated.append(station_id)
            closures.extend(
                {
                    "station_id": station_id,
                    "starts_at": c.starts_at,
                    "ends_at": c.ends_at,
                    "reason": c.reason,
                    **{f"reason_{lang}": text for lang, text in zip(LANGUAGES, c.reasons, strict=True)},
                    "services": list(c.services) if c.services else None,
                }
                for c in record.closures
            )
        await repo.replace_closures(session, stated, closures)
        await repo.set_holiday_desks(session, desks)
        done += len(batch)
        if progress is not None:
            progress(done)
    return counts
