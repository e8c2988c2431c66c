"""Parsing and validation of station files for `markaz stations import FILE`.

Only reading and checking happens here; the database write is elsewhere. Every problem becomes a
`RowError` (all of a row's problems, not just the first); rows without problems become records.

GeoJSON (.geojson, .json, or content starting with "{"): a FeatureCollection; row numbers are 1-based
feature numbers. A feature is placed by a Point (coordinates [longitude, latitude]), or by a Polygon or
MultiPolygon outline, which gives the point inside it farthest from its edges
(resolvers/outline_point.py). Properties: external_id (or "id", or the feature's own "id"), name_ar,
name_ku, name_en (or names: {ar, ku, en}), governorate (ISO 3166-2 code such as "IQ-NI"; derived from
the point when missing), address, address_ar, address_ku, address_en (or addresses: {ar, ku, en}),
phone, is_model_station, services (list or "A;B"), always_open, closes_on_holidays,
desks_closed_on_holidays (services whose desks close on public holidays: list or "A;B"), timezone (IANA,
default Asia/Baghdad), active, hours (list of {weekday: 0-6 with 0 = Monday or "Mon", opens, closes,
service?}, or the compact text below), closures (list of {starts_at, ends_at, reason?, reasons?: {ar,
ku, en}, services?}, ISO 8601 with offset, years 1900 to 2200). A file that gives closures or
desks_closed_on_holidays (even an empty list) states them, and importing it replaces the station's; one
without them (an older file, an OpenStreetMap export) leaves them as they are.

A feature from an OpenStreetMap export (an Overpass GeoJSON export as it comes: its properties are OSM
tags, with "@id" or an `amenity` tag) is read by its tags instead (resolvers/osm_tags.py): only
`amenity=police` is a station, others are reported and skipped, and a problem is reported under the
tag it comes from ("name:ar", "opening_hours", "phone", "@id").

CSV (comma separated, header first): external_id, name_ar, name_ku, name_en, governorate, latitude,
longitude, address, address_ar, address_ku, address_en, phone, is_model_station, services (";"
separated), always_open, closes_on_holidays, desks_closed_on_holidays (";" separated, or "[]" for
none), timezone, active, hours (compact text), closures (the GeoJSON list as JSON text). An empty
closures or desks_closed_on_holidays cell says nothing of them (write "[]" to clear them). Unknown
columns are ignored; latitude, longitude and name_ar or name_en are required. Row numbers are line
numbers in the file (the header is line 1). A cell that starts with "'" followed by = + - or @ is read
without the "'": `markaz stations export` writes such cells that way so that a spreadsheet does not run
them as formulas.

Compact hours: parts separated by ";", each "[SERVICE] DAYS TIMES", e.g. "Sun-Thu 08:00-14:00;
Sat 09:00-12:00; FAMILY_AND_CHILD_PROTECTION Sun-Thu 08:00-13:00". DAYS: Mon Tue Wed Thu Fri Sat Sun,
ranges wrap over the week (Fri-Mon), lists with ","; TIMES: "HH:MM-HH:MM", several with ","; closing
at or before opening runs past midnight (20:00-02:00). "24/7" alone means always open; after a service
name it opens that desk 00:00-24:00 every day. Periods of the station, or of one desk, must not overlap.

Booleans: true/false/yes/no/1/0 in any case, empty = default. Error fields are record paths ("names.ar",
"hours[2].closes", "closures[0].ends_at") with 0-based indexes (for hours text, the ";" part).
Problems with the whole file are one error at row 0, field "file"; CSV header problems are at row 1.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import math
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from resolvers import osm_tags
from resolvers.governorates import GOVERNORATES_BY_CODE, governorate_for_point
from resolvers.hours import MINUTES_PER_DAY, MINUTES_PER_WEEK, parse_hhmm
from resolvers.outline_point import OutlineError, inner_point
from resolvers.station_records import DEFAULT_TIMEZONE, SERVICE_NAMES, Closure, Period, StationRecord


@dataclass(frozen=True)
class RowError:
    row: int  # CSV line number (header = 1) or GeoJSON feature number; 0 for the whole file
    field: str  # e.g. "latitude", "names.ar", "hours[2].closes", "services"
    message: str  # the reason, plain English
    # The GeoJSON feature's own id as the file gives it, so that the mapper can find it: an OSM feature's
    # "way/123", else the feature's external_id or id; None when it has none (and for CSV rows).
    feature_id: str | None = None


@dataclass
class ParseResult:
    records: list[tuple[int, StationRecord]] = field(default_factory=list)  # (row, record) of good rows
    errors: list[RowError] = field(default_factory=list)
    kind: str = "csv"  # "csv" or "geojson"


CSV_COLUMNS = (
    "external_id",
    "name_ar",
    "name_ku",
    "name_en",
    "governorate",
    "latitude",
    "longitude",
    "address",
    "address_ar",
    "address_ku",
    "address_en",
    "phone",
    "is_model_station",
    "services",
    "always_open",
    "closes_on_holidays",
    "desks_closed_on_holidays",
    "timezone",
    "active",
    "hours",
    "closures",
)
LANGUAGES = ("ar", "ku", "en")
NAME_REQUIRED = "an Arabic or English name (name_ar or name_en) is required"
MAX_NAME_LENGTH = 200
MAX_ADDRESS_LENGTH = 500
MAX_PHONE_LENGTH = 40
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = {name: index for index, day in enumerate(_DAYS) for name in (day[:3], day)}  # 0 = Monday
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
_PHONE_RE = re.compile(r"[0-9 +\-()]+")
# Spreadsheets in Iraq often carry Arabic-Indic or Persian digits and the Arabic decimal separator.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
# Invisible direction marks and BOMs stick to Arabic text copied out of spreadsheets.
_BLANK = " \t\r\n\u200b\u200e\u200f\ufeff"
# A cell a spreadsheet runs as a formula starts with one of = + - @; the export writes such a cell with a
# "'" before it, and so also a cell of "'"s before one of those, so that taking one "'" off is exact.
FORMULA_LIKE = re.compile(r"'*[=+\-@]")


class _Row:
    """Collects the problems of one row so that all of them are reported together."""

    def __init__(self, row: int, feature_id: str | None = None) -> None:
        self.row = row
        self.feature_id = feature_id
        self.errors: list[RowError] = []

    def add(self, field_name: str, message: str) -> None:
        self.errors.append(RowError(self.row, field_name, message, self.feature_id))


def _file_error(kind: str, message: str, row: int = 0, field_name: str = "file") -> ParseResult:
    return ParseResult([], [RowError(row, field_name, message)], kind)


def _text(value: Any, name: str, r: _Row, numbers_ok: bool = False) -> str | None:
    """A trimmed string, None when empty; JSON numbers are taken where people write them (ids, phones)."""
    if numbers_ok and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        r.add(name, "must be text")
    return (value.strip(_BLANK) or None) if isinstance(value, str) else None


def _bool(value: Any, name: str, r: _Row) -> bool | None:
    """True/False, or None when empty (the caller applies the default)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text and text not in _TRUE | _FALSE:
        r.add(name, f"'{value}' is not a boolean; use true/false, yes/no or 1/0")
    return (text in _TRUE) if text in _TRUE | _FALSE else None


def _services(value: Any, name: str, r: _Row) -> tuple[str, ...]:
    items = value.split(";") if isinstance(value, str) else [] if value is None else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        r.add(name, "must be a list of service names or a ';'-separated text")
        return ()
    names = [item.strip().upper() for item in items if item.strip()]
    for unknown in [n for n in names if n not in SERVICE_NAMES]:
        r.add(name, f"unknown service '{unknown}'; expected one of {', '.join(sorted(SERVICE_NAMES))}")
    return tuple(dict.fromkeys(n for n in names if n in SERVICE_NAMES))  # ordered, without repeats


@functools.cache
def _known_zones() -> frozenset[str]:
    # Not ZoneInfo(name): it loads any file in the zone directories. Some systems list "localtime" there
    # (the host's own zone, different on every server), and "Factory" is no place; neither is a station's.
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "Factory"}


def _times(opens: Any, closes: Any, name: str, r: _Row) -> tuple[str, str] | None:
    """Check opening and closing "HH:MM" with parse_hhmm; "24:00" only closes, equal times are a slip."""
    minutes: list[int] = []
    for text, part in ((opens, "opens"), (closes, "closes")):
        text = text.strip() if isinstance(text, str) else text
        try:  # "8:00" is how most people write it; parse_hhmm wants two digits
            minutes.append(parse_hhmm("0" + text if re.fullmatch(r"\d:\d\d", str(text)) else text))
        except ValueError as exc:
            r.add(f"{name}.{part}", str(exc))
    if len(minutes) < 2:
        return None
    if minutes[0] == MINUTES_PER_DAY:
        r.add(f"{name}.opens", '"24:00" can only be a closing time')
    elif minutes[0] == minutes[1] != 0:  # as hours.validate_periods: only 00:00-00:00 is a whole day
        r.add(f"{name}.closes", "equals the opening time (use 00:00-00:00 for a whole day)")
    else:
        opening, closing = (f"{m // 60:02d}:{m % 60:02d}" for m in minutes)
        return opening, closing
    return None


def _weekdays(spec: str, name: str, r: _Row) -> list[int]:
    """Weekdays like "Sun-Thu,Sat" -> [6, 0, 1, 2, 3, 5]; ranges wrap (Fri-Mon is Fri Sat Sun Mon)."""
    days: list[int] = []
    for item in spec.split(","):
        ends = [_WEEKDAYS.get(part.lower()) for part in item.split("-")]
        first, last = ends[0], ends[-1]
        if len(ends) > 2 or first is None or last is None:
            r.add(name, f"'{item}' is not a weekday or range; use Mon Tue Wed Thu Fri Sat Sun, e.g. Sun-Thu")
        else:
            days.extend((first + k) % 7 for k in range((last - first) % 7 + 1))
    return list(dict.fromkeys(days))


# Periods with the index of the hours item (or ";" part of hours text) they come from, for error fields.
Indexed = list[tuple[int, Period]]


def _parse_hours_text(text: str, r: _Row) -> tuple[Indexed, bool]:
    """Parse compact hours text (see the module docstring); returns (periods, whether the station is 24/7)."""
    periods: Indexed = []
    always_open = False
    # People type "Sun - Thu", en dashes and spaces after commas; normalise before splitting on blanks.
    text = re.sub(r"\s*,\s*", ",", re.sub(r"\s*[-–—]\s*", "-", text))
    for index, segment in enumerate(part.strip() for part in text.split(";")):
        name, tokens, service = f"hours[{index}]", segment.split(), None
        if tokens and re.fullmatch(r"[A-Za-z_]+", tokens[0]) and tokens[0].lower() not in _WEEKDAYS:
            service = tokens.pop(0).upper()
            if service not in SERVICE_NAMES:
                r.add(f"{name}.service", f"unknown service '{service}'")
        if not tokens and service is None:
            continue  # an empty part, e.g. after a trailing ";"
        if tokens == ["24/7"] and service is None:
            always_open = True
        elif tokens == ["24/7"]:
            periods.extend((index, Period(day, "00:00", "24:00", service)) for day in range(7))
        elif len(tokens) != 2:
            r.add(name, f"'{segment}' should look like 'Sun-Thu 08:00-14:00' or '24/7'")
        else:
            days = _weekdays(tokens[0], f"{name}.weekday", r)
            for span in tokens[1].split(","):
                bounds = span.split("-")
                times = _times(bounds[0], bounds[1], name, r) if len(bounds) == 2 else None
                if len(bounds) != 2:
                    r.add(name, f"'{span}' is not a time range like 08:00-14:00")
                elif times:
                    periods.extend((index, Period(day, *times, service)) for day in days)
    return periods, always_open


def _hours(value: Any, r: _Row) -> tuple[Indexed, bool]:
    """Hours as a JSON list or compact text; returns (periods, whether the text said 24/7)."""
    if isinstance(value, str):
        return _parse_hours_text(value, r)
    if value is not None and not isinstance(value, list):
        r.add("hours", "must be a list of {weekday, opens, closes} or hours text like 'Sun-Thu 08:00-14:00'")
    periods: Indexed = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        name = f"hours[{index}]"
        if not isinstance(item, dict):
            r.add(name, "must be an object with weekday, opens and closes")
            continue
        day = item.get("weekday")
        day = _WEEKDAYS.get(day.strip().lower(), day) if isinstance(day, str) else day
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            r.add(f"{name}.weekday", f"'{day}' is not a weekday; use 0-6 (0 = Monday) or Mon..Sun")
            day = None
        times = _times(item.get("opens"), item.get("closes"), name, r)
        service = (_text(item.get("service"), f"{name}.service", r) or "").upper() or None
        if service is not None and service not in SERVICE_NAMES:
            r.add(f"{name}.service", f"unknown service '{service}'")
        elif day is not None and times:
            periods.append((index, Period(day, *times, service)))
    return periods, False


def _week_spans(period: Period) -> list[tuple[int, int]]:
    """[start, end) minutes from Monday 00:00 that a period covers; one past Sunday's end goes on Monday."""
    opens, closes = parse_hhmm(period.opens), parse_hhmm(period.closes)
    start = period.weekday * MINUTES_PER_DAY + opens
    end = start + (closes - opens if closes > opens else closes + MINUTES_PER_DAY - opens)
    if end > MINUTES_PER_WEEK:
        return [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
    return [(start, end)]


def _described(period: Period) -> str:
    return f"{_DAYS[period.weekday][:3].title()} {period.opens}-{period.closes}"


def _overlaps(periods: Indexed, r: _Row) -> None:
    """Report periods of the station, or of one desk, that overlap: a slip, never meant (item by item,
    once for each pair of items; the later item is named)."""
    by_target: dict[str | None, list[tuple[int, int, int, Period]]] = {}
    for index, period in periods:
        for start, end in _week_spans(period):
            by_target.setdefault(period.service, []).append((start, end, index, period))
    reported: set[tuple[int, int]] = set()
    for spans in by_target.values():
        spans.sort(key=lambda span: span[:2])
        reach: tuple[int, int, int, Period] | None = None  # the span seen so far that ends last
        for span in spans:
            if reach is not None and span[0] < reach[1]:
                first, later = sorted((reach, span), key=lambda s: s[2])
                if (first[2], later[2]) not in reported:
                    reported.add((first[2], later[2]))
                    where = "" if first[2] == later[2] else f" of hours[{first[2]}]"
                    r.add(
                        f"hours[{later[2]}]",
                        f"{_described(later[3])} overlaps {_described(first[3])}{where}",
                    )
            if reach is None or span[1] > reach[1]:
                reach = span


_CLOSURE_YEARS = range(1900, 2201)


def _datetime(value: Any, name: str, r: _Row) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        # Naive times would be read in the server's zone; a closure must name its offset to mean one instant.
        r.add(name, f"'{value}' is not an ISO 8601 date-time with offset, like 2025-03-20T08:00:00+03:00")
        return None
    if moment.year not in _CLOSURE_YEARS:
        # The years the API's DateTime takes (schema/scalars.py): 9999-12-31T23:00-05:00 is past what the
        # database driver can write, and what isOpen(at:) can ever ask about.
        r.add(name, f"'{value}' is outside the years {_CLOSURE_YEARS[0]} to {_CLOSURE_YEARS[-1]}")
        return None
    return moment


_NO_REASONS: tuple[str | None, str | None, str | None] = (None, None, None)


def _reasons(value: Any, name: str, r: _Row) -> tuple[str | None, str | None, str | None]:
    """A closure's reason per language, {ar, ku, en}, as the API gives it and the export writes it."""
    if value is None:
        return _NO_REASONS
    if not isinstance(value, dict):
        r.add(name, "must be an object with ar, ku and en")
        return _NO_REASONS
    for key in sorted(value.keys() - set(LANGUAGES)):
        r.add(f"{name}.{key}", "unknown language; expected ar, ku or en")
    ar, ku, en = (_text(value.get(lang), f"{name}.{lang}", r) for lang in LANGUAGES)
    return ar, ku, en


def _json_list(value: Any, name: str, r: _Row) -> Any:
    """A CSV cell holding a list as JSON text ("[...]") as the list; anything else as it is."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            r.add(name, f"is not valid JSON ({exc.msg} at character {exc.pos + 1})")
            return None
    return value


def _closures(value: Any, r: _Row) -> tuple[Closure, ...]:
    if isinstance(value, str) and value.lstrip().startswith("["):  # a CSV cell: the list as JSON text
        value = _json_list(value, "closures", r)
        if value is None:
            return ()
    if value is not None and not isinstance(value, list):
        r.add("closures", "must be a list of {starts_at, ends_at, reason, services} (in CSV, as JSON text)")
    closures = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        name = f"closures[{index}]"
        if not isinstance(item, dict):
            r.add(name, "must be an object with starts_at and ends_at")
            continue
        starts = _datetime(item.get("starts_at"), f"{name}.starts_at", r)
        ends = _datetime(item.get("ends_at"), f"{name}.ends_at", r)
        reason = _text(item.get("reason"), f"{name}.reason", r)
        reasons = _reasons(item.get("reasons"), f"{name}.reasons", r)
        services = _services(item.get("services"), f"{name}.services", r)
        if starts and ends and ends <= starts:
            r.add(f"{name}.ends_at", "must be after starts_at")
        elif starts and ends:  # no services: the whole station
            closures.append(Closure(starts, ends, reason, services or None, reasons=reasons))
    return tuple(closures)


def _languages(props: Mapping[str, Any], flat: str, nested_key: str, limit: int, r: _Row) -> dict[str, str]:
    """Texts by language, from flat properties ("name_ar") or a nested object ("names": {"ar": ...})."""
    nested = props.get(nested_key) or {}
    if not isinstance(nested, dict):
        r.add(nested_key, "must be an object with ar, ku and en")
        nested = {}
    for key in sorted(nested.keys() - set(LANGUAGES)):
        r.add(f"{nested_key}.{key}", "unknown language; expected ar, ku or en")
    texts = {}
    for lang in LANGUAGES:
        given = props.get(f"{flat}_{lang}")
        value = _text(nested.get(lang) if given in (None, "") else given, f"{nested_key}.{lang}", r)
        if value and len(value) > limit:
            r.add(f"{nested_key}.{lang}", f"is {len(value)} characters long; at most {limit} allowed")
        elif value:
            texts[lang] = value
    return texts


def _names(props: Mapping[str, Any], r: _Row) -> dict[str, str]:
    names = _languages(props, "name", "names", MAX_NAME_LENGTH, r)
    named = any(e.field.split(".")[0] == "names" for e in r.errors)  # a bad name is reported already
    if not (names.get("ar") or names.get("en") or named):
        r.add("names", NAME_REQUIRED)
    return names


def _location(lat: float | None, lon: float | None, r: _Row) -> str | None:
    """Range-check the point and return its governorate; None when missing (already reported) or wrong."""
    usable = lat is not None and lon is not None
    for value, name, limit in ((lat, "latitude", 90), (lon, "longitude", 180)):
        if value is not None and not (math.isfinite(value) and -limit <= value <= limit):
            r.add(name, f"{value} is not a {name} between -{limit} and {limit}")
            usable = False
    if not usable or lat is None or lon is None:
        return None
    found = governorate_for_point(lat, lon)
    if found is None:
        # [lat, lon] for GeoJSON's [lon, lat] is the commonest slip; say so when swapping would fit.
        swapped = abs(lon) <= 90 and governorate_for_point(lon, lat) is not None
        hint = " (latitude and longitude swapped?)" if swapped else ""
        r.add("location", f"({lat}, {lon}) is outside Iraq{hint}")
    return found


def _phone(value: Any, r: _Row) -> str | None:
    phone = _text(value, "phone", r, numbers_ok=True)
    phone = phone.translate(_DIGITS) if phone else None
    if phone and not _PHONE_RE.fullmatch(phone):
        r.add("phone", "may contain only digits, spaces, +, - and parentheses")
    if phone and len(phone) > MAX_PHONE_LENGTH:
        r.add("phone", f"is {len(phone)} characters long; at most {MAX_PHONE_LENGTH} allowed")
    return phone


def _desks(value: Any, services: tuple[str, ...], r: _Row) -> tuple[str, ...]:
    """The desks closed on public holidays: services (a list, "A;B", or in CSV also a JSON list, "[]"
    for none) the station offers."""
    name = "desks_closed_on_holidays"
    desks = _services(_json_list(value, name, r), name, r)
    for desk in desks:
        if desk not in services:
            r.add(name, f"'{desk}' is not one of the station's services")
    return desks


def _record(props: Mapping[str, Any], lat: float | None, lon: float | None, r: _Row) -> StationRecord | None:
    """Validate one row's values (CSV text or JSON values) into a record; None when r has problems."""
    names = _names(props, r)
    services = _services(props.get("services"), "services", r)
    derived = _location(lat, lon, r)
    given = _text(props.get("governorate"), "governorate", r)
    if given and given.upper() not in GOVERNORATES_BY_CODE:
        r.add("governorate", f"unknown governorate code '{given}'; expected one like IQ-BG or IQ-NI")
    timezone = _text(props.get("timezone"), "timezone", r) or DEFAULT_TIMEZONE
    if timezone not in _known_zones():
        r.add("timezone", f"'{timezone}' is not an IANA time zone such as Asia/Baghdad")
    indexed, always_from_hours = _hours(props.get("hours"), r)
    _overlaps(indexed, r)
    hours = [period for _, period in indexed]
    always_open = _bool(props.get("always_open"), "always_open", r)
    if always_open is False and always_from_hours:
        r.add("always_open", "is false but hours say 24/7")
    always_open = bool(always_open or always_from_hours)
    if always_open and any(p.service is None for p in hours):
        r.add("hours", "station hours given for a station that is always open; only desk hours may be listed")
    address = _text(props.get("address"), "address", r)
    if address and len(address) > MAX_ADDRESS_LENGTH:
        r.add("address", f"is {len(address)} characters long; at most {MAX_ADDRESS_LENGTH} allowed")
    # Every field is read even after a problem, so that all of a row's problems are reported at once.
    record = StationRecord(
        names=names,
        governorate=(given or derived or "").upper(),
        latitude=lat or 0.0,
        longitude=lon or 0.0,
        external_id=_text(props.get("external_id"), "external_id", r, numbers_ok=True),
        address=address,
        addresses=_languages(props, "address", "addresses", MAX_ADDRESS_LENGTH, r),
        phone=_phone(props.get("phone"), r),
        is_model_station=bool(_bool(props.get("is_model_station"), "is_model_station", r)),
        services=services,
        always_open=always_open,
        closes_on_holidays=bool(_bool(props.get("closes_on_holidays"), "closes_on_holidays", r)),
        desks_closed_on_holidays=_desks(props.get("desks_closed_on_holidays"), services, r),
        desks_given=props.get("desks_closed_on_holidays") not in (None, ""),
        timezone=timezone,
        hours=tuple(hours),
        closures=_closures(props.get("closures"), r),
        closures_given=props.get("closures") not in (None, ""),
        active=_bool(props.get("active"), "active", r) is not False,
    )
    return None if r.errors or lat is None or lon is None else record


@dataclass
class _Input:
    """One row as read, before validation."""

    r: _Row
    props: Mapping[str, Any] | None  # None: skipped, and already reported (an OSM feature that is no station)
    lat: float | None
    lon: float | None
    osm_sources: Mapping[str, str] | None = None  # an OSM feature's record fields -> the tags they came from


_NO_OSM_NAME = "no usable name: tag name, name:ar or name:en (a Kurdish name alone is not enough)"


def _osm_errors(errors: list[RowError], sources: Mapping[str, str]) -> list[RowError]:
    """An OSM feature's problems named by the tags the mapper can fix instead of the record's fields; a
    problem two fields share (the address and the Arabic address, both from addr:*) is said once."""
    named: list[RowError] = []
    for error in errors:
        root = re.split(r"[.\[]", error.field)[0]
        if error.field == "names" and error.message == NAME_REQUIRED:
            error = dataclasses.replace(error, field="name", message=_NO_OSM_NAME)
        elif error.field in sources:
            error = dataclasses.replace(error, field=sources[error.field])
        elif root in ("hours", "always_open", "closes_on_holidays"):
            error = dataclasses.replace(error, field="opening_hours")
        if error not in named:
            named.append(error)
    return named


def _collect(kind: str, rows: list[_Input]) -> ParseResult:
    """Build every row; a repeated external id is a problem of the later row while the first one stands."""
    result = ParseResult(kind=kind)
    first_seen: dict[str, int] = {}
    for row in rows:
        r, props = row.r, row.props
        if props is None:
            result.errors.extend(r.errors)
            continue
        record = _record(props, row.lat, row.lon, r)
        # Read again on a scratch row: _record already reported a bad external_id on r.
        external_id = _text(props.get("external_id"), "external_id", _Row(r.row), numbers_ok=True)
        if external_id in first_seen:
            first = first_seen[external_id]
            r.add("external_id", f"duplicate external_id '{external_id}' (first on row {first})")
            record = None
        elif external_id is not None:
            first_seen[external_id] = r.row
        result.errors.extend(r.errors if row.osm_sources is None else _osm_errors(r.errors, row.osm_sources))
        if record is not None:
            result.records.append((r.row, record))
    return result


def _point(geometry: Any, r: _Row) -> tuple[float | None, float | None]:
    """(latitude, longitude) of a Point, or the point inside a Polygon or MultiPolygon outline."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind in ("Polygon", "MultiPolygon"):
        try:
            return inner_point(geometry)
        except OutlineError as exc:
            r.add("geometry", f"{kind}: {exc}")
            return None, None
    if kind != "Point":
        got = "nothing" if geometry is None else kind if isinstance(kind, str) else type(geometry).__name__
        r.add("geometry", f"expected a Point, or a Polygon or MultiPolygon outline, got {got}")
        return None, None
    coords = geometry.get("coordinates")
    if (  # a third value is an altitude, which is allowed and dropped
        isinstance(coords, list)
        and len(coords) in (2, 3)
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
    ):
        return float(coords[1]), float(coords[0])
    r.add("geometry", "Point coordinates must be [longitude, latitude] numbers")
    return None, None


MAX_SHOWN_ID = 80  # a feature's id as a report shows it, at most


def feature_label(feature: Any) -> str | None:
    """How a report names a feature besides its number: its OSM id as Overpass and osmtogeojson give it
    ("way/123": the properties' "@id", an older export's "type" and "id"), else the id it is imported
    by (external_id, else the properties' or the feature's "id"); None when it has none."""
    if not isinstance(feature, dict):
        return None
    props = feature.get("properties")
    props = props if isinstance(props, dict) else {}
    kind, number = props.get("type"), props.get("id")
    nested = f"{kind}/{number}" if kind in ("node", "way", "relation") and number is not None else None
    candidates = (props.get("@id"), nested, props.get("external_id"), props.get("id"), feature.get("id"))
    for value in candidates:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        text = " ".join(str(value).split())  # one line, whatever the file holds
        if text:
            return text if len(text) <= MAX_SHOWN_ID else text[: MAX_SHOWN_ID - 1] + "…"
    return None


def _feature(number: int, feature: Any) -> _Input:
    r = _Row(number, feature_label(feature))
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        r.add("feature", "expected a GeoJSON Feature")
    feature = feature if isinstance(feature, dict) else {}
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        r.add("properties", "must be an object")
        props = {}
    tags = osm_tags.tags_of(feature, props)
    if tags is not None:
        mapped = osm_tags.station_properties(tags)
        for tag, message in mapped.problems:
            r.add(tag, message)
        if mapped.skipped:  # not a station: the one line saying so is enough
            return _Input(r, None, None, None)
        lat, lon = _point(feature.get("geometry"), r)
        return _Input(r, mapped.properties, lat, lon, mapped.sources)
    lat, lon = _point(feature.get("geometry"), r)
    # The feature's own "id" is where GeoJSON keeps identifiers; properties win when both are given.
    ids = [props.get("external_id"), props.get("id"), feature.get("id")]
    external_id = next((value for value in ids if value not in (None, "")), None)
    return _Input(r, {**props, "external_id": external_id}, lat, lon)


def parse_geojson(text: str) -> ParseResult:
    """Parse a GeoJSON FeatureCollection of stations; see the module docstring for the properties."""
    if not text.strip(_BLANK):
        return _file_error("geojson", "the file is empty")
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        return _file_error("geojson", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    if isinstance(data, dict) and isinstance(data.get("elements"), list) and "type" not in data:
        return _file_error(
            "geojson",
            "this is Overpass API JSON, not GeoJSON: export the query's result as GeoJSON "
            "(overpass turbo: Export, GeoJSON)",
        )
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return _file_error("geojson", "expected a GeoJSON FeatureCollection")
    if not isinstance(data.get("features"), list):
        return _file_error("geojson", "the FeatureCollection has no 'features' list")
    return _collect("geojson", [_feature(number, f) for number, f in enumerate(data["features"], start=1)])


def _csv_number(value: str, name: str, r: _Row) -> float | None:
    text = value.strip(_BLANK).translate(_DIGITS)
    try:
        return float(text)
    except ValueError:
        r.add(name, f"'{value}' is not a number" if text else "is required")
        return None


def _unguarded(cell: str) -> str:
    """A cell without the "'" that guards a formula-like start ("'+964 770 ...", "'=1+1")."""
    return cell[1:] if cell.startswith("'") and FORMULA_LIKE.match(cell, 1) else cell


def parse_csv(text: str) -> ParseResult:
    """Parse a comma-separated station file with a header row; see the module docstring for the columns."""
    if not text.strip(_BLANK):
        return _file_error("csv", "the file is empty")
    # strict: a stray or unclosed quote would otherwise swallow the following rows without a word.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    line = 0
    try:
        header = [name.strip(_BLANK).lower() for name in next(reader)]
        missing = [c for c in ("latitude", "longitude") if c not in header]
        missing += [] if {"name_ar", "name_en"} & set(header) else ["name_ar or name_en"]
        if missing:
            hint = "; the columns must be separated by commas" if ";" in header[0] else ""
            return _file_error("csv", f"missing required columns: {', '.join(missing)}{hint}", 1, "header")
        if repeated := sorted({c for c in header if c and header.count(c) > 1}):
            return _file_error("csv", f"columns given more than once: {', '.join(repeated)}", 1, "header")
        rows, line = [], reader.line_num
        for cells in reader:
            # A quoted value may span lines; the row is numbered by the line where it starts.
            r, line = _Row(line + 1), reader.line_num
            if not any(c.strip(_BLANK) for c in cells):
                continue  # blank lines and the ",,,," rows spreadsheets leave behind
            if any(c.strip(_BLANK) for c in cells[len(header) :]):
                r.add("row", f"has {len(cells)} values but the header has {len(header)} columns")
            values = {c: _unguarded(v) for c, v in zip(header, cells, strict=False)}
            props = {c: values[c] for c in CSV_COLUMNS if values.get(c, "").strip(_BLANK)}
            lat = _csv_number(values.get("latitude", ""), "latitude", r)
            rows.append(_Input(r, props, lat, _csv_number(values.get("longitude", ""), "longitude", r)))
    except csv.Error as exc:
        return _file_error("csv", f"malformed CSV in the row starting on line {line + 1}: {exc}")
    return _collect("csv", rows)


def parse_station_file(path: Path) -> ParseResult:
    """Read and parse a station file, by extension (.csv, .geojson, .json) or else by its first character.

    Raises OSError when the file cannot be read; everything about its content is a RowError.
    """
    path = Path(path)
    data, suffix = path.read_bytes(), path.suffix.lower()
    looks_json = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    kind = "geojson" if suffix in (".geojson", ".json") or (suffix != ".csv" and looks_json) else "csv"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # Excel's plain "CSV" saves Arabic as Windows-1256; its "CSV UTF-8" is what we read.
        return _file_error(kind, f"not valid UTF-8 (line {line}, byte {exc.start}); save the file as UTF-8")
    return parse_geojson(text) if kind == "geojson" else parse_csv(text)
