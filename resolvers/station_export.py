"""Stations written in the importer's own formats: `markaz stations export` writes GeoJSON or CSV that
`markaz stations import` reads back as the same stations.

Everything a station file can say is written: names, governorate, point, addresses, phone, the model
flag, services, always-open, closes-on-holidays and the desks closed on holidays, time zone, active,
weekly and desk hours, and every closure with its reason, per language when it was made through the API
(CSV carries them as JSON text in its `closures` column). Stations come in id order from one
snapshot of the database (db/station_export.py), a page at a time, so an export of any size streams.

GeoJSON: one Feature a line, properties as resolvers/station_import.py reads them; hours as a list of
{weekday: "Mon".."Sun", opens, closes, service?} in stored order; closure times in the station's zone.
CSV: the importer's columns; hours as compact text, grouped ("Sun-Thu 08:00-14:00"), which keeps
every period but not their stored order. A text cell that a spreadsheet would run as a formula (it
starts with = + - or @, like a phone number "+964 ...") is written with a "'" before it, which the
importer takes off.

`stored_record` also gives the importer what a station is now, so that it can leave unchanged
stations alone (a re-import changes nothing).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from db import station_export as repo
from resolvers.station_import import CSV_COLUMNS, FORMULA_LIKE, LANGUAGES
from resolvers.station_records import Closure, Period, StationRecord
from resolvers.station_writer import row_of

FORMATS = ("geojson", "csv")
PAGE = 1000
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SATURDAY = 5  # where the Iraqi week starts: day ranges are written from there ("Sat-Thu")
_NUMBERS = frozenset({"latitude", "longitude"})


def record_of(row: Any, closures: Sequence[Any]) -> StationRecord:
    """The record of a stored station row and its closure rows: what an import of it would have been."""
    return StationRecord(
        names={lang: name for lang in LANGUAGES if (name := getattr(row, f"name_{lang}")) is not None},
        governorate=row.governorate_code,
        latitude=row.latitude,
        longitude=row.longitude,
        external_id=row.external_id,
        address=row.address,
        addresses={lang: text for lang in LANGUAGES if (text := getattr(row, f"address_{lang}")) is not None},
        closes_on_holidays=row.closes_on_holidays,
        # Only the desks the station offers: those are what a flag means (resolvers/stations.py).
        desks_closed_on_holidays=tuple(s for s in row.holiday_closed_services if s in row.services),
        phone=row.phone,
        is_model_station=row.is_model_station,
        services=tuple(row.services),
        always_open=row.always_open,
        timezone=row.timezone,
        hours=tuple(Period(p["weekday"], p["opens"], p["closes"], p.get("service")) for p in row.hours),
        closures=tuple(
            Closure(
                c.starts_at,
                c.ends_at,
                c.reason,  # a file's one reason; one made through the API has it per language
                tuple(c.services) if c.services else None,
                reasons=(c.reason_ar, c.reason_ku, c.reason_en),
            )
            for c in closures
        ),
        active=row.active,
    )


def _closure_key(closure: Closure) -> tuple[datetime, datetime, str, tuple[str, ...], tuple[str, ...]]:
    reasons = tuple(text or "" for text in closure.reasons)
    return closure.starts_at, closure.ends_at, closure.reason or "", reasons, tuple(closure.services or ())


def _row(record: StationRecord) -> dict[str, Any]:
    """The row the writer would store, its periods in one order (the same schedule in any order)."""
    row = row_of(record)
    row["hours"] = sorted(
        row["hours"], key=lambda p: (p["service"] or "", p["weekday"], p["opens"], p["closes"])
    )
    return row


def same_as_stored(record: StationRecord, stored: StationRecord) -> bool:
    """Whether writing `record` would leave the stored station as it is: the same row (as the writer
    builds it), the same periods and the same closures, each in any order (a CSV export groups periods),
    and the same desks closed on holidays."""
    if _row(record) != _row(stored):
        return False
    desks = set(record.desks_closed_on_holidays)
    if record.desks_given and desks != set(stored.desks_closed_on_holidays):
        return False
    if not record.closures_given:  # writing it leaves the closures alone
        return True
    return sorted(map(_closure_key, record.closures)) == sorted(map(_closure_key, stored.closures))


async def stored_records(session: AsyncSession, external_ids: Sequence[str]) -> dict[str, StationRecord]:
    """The stored stations of these external ids, as records, by external id."""
    found: dict[str, StationRecord] = {}
    for start in range(0, len(external_ids), PAGE):
        rows = await repo.stations_by_external_ids(session, external_ids[start : start + PAGE])
        closures = await repo.closures_of(session, [row.id for row in rows])
        found.update({row.external_id: record_of(row, closures[row.id]) for row in rows})
    return found


async def every_record(session: AsyncSession) -> AsyncIterator[list[StationRecord]]:
    """Every station, a page at a time in id order, from one snapshot (the session's first statements)."""
    after = 0
    while rows := await repo.stations_after(session, after, PAGE):
        closures = await repo.closures_of(session, [row.id for row in rows])
        yield [record_of(row, closures[row.id]) for row in rows]
        after = rows[-1].id


# --- GeoJSON --------------------------------------------------------------------------------------------


def _moment(at: datetime, zone: str) -> str:
    try:
        return at.astimezone(ZoneInfo(zone)).isoformat()
    except (ZoneInfoNotFoundError, ValueError):
        return at.isoformat()


def _languages(prefix: str, texts: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}_{lang}": texts[lang] for lang in LANGUAGES if lang in texts}


def _closures(record: StationRecord) -> list[dict[str, Any]]:
    closures = []
    for closure in record.closures:
        item: dict[str, Any] = {
            "starts_at": _moment(closure.starts_at, record.timezone),
            "ends_at": _moment(closure.ends_at, record.timezone),
        }
        if closure.reason is not None:
            item["reason"] = closure.reason
        if any(closure.reasons):
            item["reasons"] = {
                lang: text for lang, text in zip(LANGUAGES, closure.reasons, strict=True) if text
            }
        if closure.services:
            item["services"] = list(closure.services)
        closures.append(item)
    return closures


def geojson_feature(record: StationRecord) -> dict[str, Any]:
    """A station as a Feature of the importer's GeoJSON (absent texts left out)."""
    hours = []
    for period in record.hours:
        item = {"weekday": _DAY_NAMES[period.weekday], "opens": period.opens, "closes": period.closes}
        hours.append(item | ({"service": period.service} if period.service else {}))
    properties = {
        "external_id": record.external_id,
        **_languages("name", record.names),
        "governorate": record.governorate,
        "address": record.address,
        **_languages("address", record.addresses),
        "phone": record.phone,
        "is_model_station": record.is_model_station,
        "services": list(record.services),
        "always_open": record.always_open,
        "closes_on_holidays": record.closes_on_holidays,
        "desks_closed_on_holidays": list(record.desks_closed_on_holidays),
        "timezone": record.timezone,
        "active": record.active,
        "hours": hours,
        "closures": _closures(record),
    }
    feature: dict[str, Any] = {"type": "Feature"}
    if record.external_id is not None:
        feature["id"] = record.external_id
    feature["geometry"] = {"type": "Point", "coordinates": [record.longitude, record.latitude]}
    feature["properties"] = {key: value for key, value in properties.items() if value is not None}
    return feature


# --- CSV ------------------------------------------------------------------------------------------------


def _day_ranges(days: set[int]) -> str:
    """Weekdays as runs from Saturday on: {6, 0, 1, 2, 3} -> "Sun-Thu"; {4, 5, 6, 0} -> "Fri-Mon"."""
    if len(days) == 7:
        return "Mon-Sun"
    runs = []
    for step in range(7):
        day = (_SATURDAY + step) % 7
        if day in days and (day - 1) % 7 not in days:
            last = day
            while (last + 1) % 7 in days:
                last = (last + 1) % 7
            first_name, last_name = _DAY_NAMES[day], _DAY_NAMES[last]
            runs.append(first_name if day == last else f"{first_name}-{last_name}")
    return ",".join(runs)


def hours_text(periods: Iterable[Period], always_open: bool) -> str:
    """Periods as the importer's compact text: the station's first, then each desk's, days with the same
    times written together ("Sun-Thu 08:00-12:00,16:00-20:00; CRIME_REPORTING Sun 09:00-13:00")."""
    by_target: dict[str | None, dict[int, list[str]]] = {None: {}}
    for period in periods:
        by_target.setdefault(period.service, {}).setdefault(period.weekday, []).append(
            f"{period.opens}-{period.closes}"
        )
    parts = ["24/7"] if always_open else []
    for target, days in by_target.items():
        groups: dict[tuple[str, ...], set[int]] = {}
        for day in sorted(days, key=lambda d: (d - _SATURDAY) % 7):
            groups.setdefault(tuple(days[day]), set()).add(day)
        for spans, same in groups.items():
            parts.append(" ".join([*([target] if target else []), _day_ranges(same), ",".join(spans)]))
    return "; ".join(parts)


def _guarded(cell: str) -> str:
    """A text cell a spreadsheet will not run as a formula; the importer takes the "'" off again."""
    return "'" + cell if FORMULA_LIKE.match(cell) else cell


def csv_values(record: StationRecord) -> dict[str, str]:
    """A station as the importer's CSV cells, by column."""

    def flag(value: bool) -> str:
        return "true" if value else "false"

    closures = _closures(record)
    values = {
        "external_id": record.external_id or "",
        **{f"name_{lang}": record.names.get(lang, "") for lang in LANGUAGES},
        "governorate": record.governorate,
        "latitude": repr(record.latitude),
        "longitude": repr(record.longitude),
        "address": record.address or "",
        **{f"address_{lang}": record.addresses.get(lang, "") for lang in LANGUAGES},
        "phone": record.phone or "",
        "is_model_station": flag(record.is_model_station),
        "services": ";".join(record.services),
        "always_open": flag(record.always_open),
        "closes_on_holidays": flag(record.closes_on_holidays),
        "desks_closed_on_holidays": ";".join(record.desks_closed_on_holidays),
        "timezone": record.timezone,
        "active": flag(record.active),
        "hours": hours_text(record.hours, record.always_open),
        "closures": json.dumps(closures, ensure_ascii=False) if closures else "",
    }
    return {column: value if column in _NUMBERS else _guarded(value) for column, value in values.items()}


# --- streaming ------------------------------------------------------------------------------------------


async def chunks(
    pages: AsyncIterator[list[StationRecord]], fmt: str, progress: Callable[[int], None] | None = None
) -> AsyncIterator[str]:
    """The file, a page of stations at a time; `progress` gets the number of stations written so far."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    done = 0
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        yield out.getvalue()
    else:
        yield '{"type": "FeatureCollection", "features": ['
    async for records in pages:
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
            writer.writerows(csv_values(record) for record in records)
            yield out.getvalue()
        else:
            lines = (json.dumps(geojson_feature(r), ensure_ascii=False) for r in records)
            yield ("\n" if done == 0 else ",\n") + ",\n".join(lines)
        done += len(records)
        if progress is not None:
            progress(done)
    if fmt == "geojson":
        yield "\n]}\n"
