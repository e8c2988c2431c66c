"""Station file parsing (`markaz stations import`): CSV and GeoJSON, field mapping, row-numbered errors;
OpenStreetMap exports as they come (tags, building outlines, opening_hours)."""

from __future__ import annotations

import itertools
import json
import math
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.osm_hours import OpeningHoursError, WeeklyHours, parse_opening_hours
from resolvers.outline_point import OutlineError, inner_point
from resolvers.station_import import ParseResult, RowError, parse_csv, parse_geojson, parse_station_file
from resolvers.station_records import Closure, Period, StationRecord

DATA = Path(__file__).parent / "data"
HEADER = "external_id,name_ar,name_ku,name_en,governorate,latitude,longitude,phone,services,hours"
MOSUL = (36.3350, 43.1189)  # Nineveh, IQ-NI
ERBIL = (36.1912, 44.0092)  # Erbil, IQ-AR
NAJAF = (32.0259, 44.3462)  # Najaf, IQ-NA


def csv_row(**values: Any) -> str:
    """A one-station CSV file with the common columns; keyword arguments override the good defaults."""
    row = {
        "external_id": "ns-1",
        "name_ar": "مركز شرطة الزهور",
        "name_ku": "",
        "name_en": "Al-Zuhour",
        "governorate": "",
        "latitude": MOSUL[0],
        "longitude": MOSUL[1],
        "phone": "",
        "services": "",
        "hours": "",
    } | values
    return ",".join(row) + "\n" + ",".join(_quoted(v) for v in row.values()) + "\n"


def _quoted(value: Any) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def errors_of(result: ParseResult) -> set[tuple[int, str]]:
    return {(e.row, e.field) for e in result.errors}


def only_record(result: ParseResult) -> StationRecord:
    assert result.errors == []
    assert len(result.records) == 1
    return result.records[0][1]


def feature(lon: float = MOSUL[1], lat: float = MOSUL[0], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": ({} if "names" in props else {"name_en": "Al-Zuhour"}) | props,
    }


def collection(*features: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False)


# --- CSV: the good path -------------------------------------------------------------------------------


def test_csv_maps_every_column() -> None:
    text = (
        "external_id,name_ar,name_ku,name_en,governorate,latitude,longitude,address,phone,is_model_station,"
        "services,always_open,timezone,active,hours,notes\n"
        "ERB-7,مركز شرطة عنكاوا,بنکەی پۆلیسی عەنکاوە,Ankawa Police Station,iq-ar,36.2300,43.9930,"
        '"Main St, Ankawa",+964 (66) 123-4567,yes,COMMUNITY_POLICING; women_officers_desk,false,'
        'Asia/Baghdad,No,"Sun-Thu 08:00-14:00; Sat 09:00-12:00",ignored\n'
    )
    result = parse_csv(text)
    assert result.kind == "csv"
    assert result.records[0][0] == 2
    assert only_record(result) == StationRecord(
        names={"ar": "مركز شرطة عنكاوا", "ku": "بنکەی پۆلیسی عەنکاوە", "en": "Ankawa Police Station"},
        governorate="IQ-AR",
        latitude=36.23,
        longitude=43.993,
        external_id="ERB-7",
        address="Main St, Ankawa",
        phone="+964 (66) 123-4567",
        is_model_station=True,
        services=("COMMUNITY_POLICING", "WOMEN_OFFICERS_DESK"),
        always_open=False,
        timezone="Asia/Baghdad",
        hours=(*(Period(day, "08:00", "14:00") for day in (6, 0, 1, 2, 3)), Period(5, "09:00", "12:00")),
        closures=(),
        active=False,
    )


def test_csv_defaults_derived_governorate_and_no_external_id() -> None:
    text = csv_row(external_id="", name_ar="", latitude=NAJAF[0], longitude=NAJAF[1])
    record = only_record(parse_csv(text))
    assert record.external_id is None  # accepted: it will be inserted, never matched
    assert record.governorate == "IQ-NA"  # from the point
    assert record.names == {"en": "Al-Zuhour"}
    assert (record.is_model_station, record.always_open, record.active) == (False, False, True)
    assert (record.timezone, record.services, record.hours, record.closures) == ("Asia/Baghdad", (), (), ())


def test_csv_trims_text_and_reads_arabic_digits() -> None:
    text = csv_row(name_en="  Al-Zuhour \u200f", latitude="٣٦٫٣٣٥", phone="٠٧٧٠ ١٢٣ ٤٥٦٧")
    record = only_record(parse_csv(text))
    assert record.names["en"] == "Al-Zuhour"
    assert record.latitude == 36.335
    assert record.phone == "0770 123 4567"


def test_csv_row_numbers_are_file_lines() -> None:
    text = (
        "name_en,latitude,longitude,address\n"
        'A,36.33,43.11,"two\nlines"\n'  # lines 2-3
        "\n"  # line 4, blank, skipped
        ",,,\n"  # line 5, an empty spreadsheet row, skipped
        "B,36.33,abc,\n"  # line 6
    )
    result = parse_csv(text)
    assert [row for row, _ in result.records] == [2]
    assert result.records[0][1].address == "two\nlines"
    assert result.errors == [RowError(6, "longitude", "'abc' is not a number")]


def test_csv_accepts_bom_crlf_and_header_case() -> None:
    text = "\ufeffName_EN , Latitude,LONGITUDE\r\nA,36.33,43.11\r\n"
    assert only_record(parse_csv(text)).names == {"en": "A"}


# --- CSV: bad values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "needle"),
    [
        ({"latitude": "north"}, "latitude", "not a number"),
        ({"latitude": ""}, "latitude", "required"),
        ({"latitude": "95"}, "latitude", "between -90 and 90"),
        ({"latitude": "nan"}, "latitude", "between"),
        ({"longitude": "-181"}, "longitude", "between -180 and 180"),
        ({"latitude": "48.85", "longitude": "2.35"}, "location", "outside Iraq"),
        ({"name_ar": "", "name_en": "", "name_ku": "بنکە"}, "names", "required"),
        ({"name_ar": "م" * 201}, "names.ar", "at most 200"),
        ({"governorate": "IQ-XX"}, "governorate", "IQ-XX"),
        ({"services": "TRAFFIC;PIZZA_DELIVERY"}, "services", "PIZZA_DELIVERY"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
        ({"timezone": "localtime"}, "timezone", "IANA"),
        ({"hours": "Sun-Thu 08:00-25:00"}, "hours[0].closes", "25:00"),
        ({"hours": "Sun-Thu 8h-14:00"}, "hours[0].opens", "HH:MM"),
        ({"hours": "Sat 09:00-12:00; Sun-Thux 08:00-14:00"}, "hours[1].weekday", "Thux"),
        ({"phone": "call 0770"}, "phone", "only digits"),
        ({"phone": "0" * 41}, "phone", "at most 40"),
        ({"is_model_station": "maybe"}, "is_model_station", "maybe"),
        ({"active": "si"}, "active", "boolean"),
        ({"always_open": "2"}, "always_open", "boolean"),
    ],
)
def test_csv_bad_value(values: dict[str, str], field: str, needle: str) -> None:
    result = parse_csv(csv_row(**values))
    assert result.records == []
    assert [(e.row, e.field) for e in result.errors] == [(2, field)]
    assert needle in result.errors[0].message


def test_csv_swapped_coordinates_get_a_hint() -> None:
    result = parse_csv(csv_row(latitude=MOSUL[1], longitude=MOSUL[0]))
    assert errors_of(result) == {(2, "location")}
    assert "swapped" in result.errors[0].message


def test_csv_reports_every_problem_of_a_row() -> None:
    text = csv_row() + "ns-2,,,,IQ-ZZ,91,43.1,abc,HELICOPTERS,Mon 09:00-08:00x\n"
    result = parse_csv(text)
    assert [row for row, _ in result.records] == [2]
    assert errors_of(result) == {
        (3, "latitude"),
        (3, "names"),
        (3, "governorate"),
        (3, "phone"),
        (3, "services"),
        (3, "hours[0].closes"),
    }


def test_csv_extra_values_in_a_row() -> None:
    text = "name_en,latitude,longitude\nA,36.33,43.11,surplus\nB,36.33,43.11,,\n"
    result = parse_csv(text)
    assert errors_of(result) == {(2, "row")}
    assert [row for row, _ in result.records] == [3]  # trailing empty cells are spreadsheet noise


def test_csv_duplicate_external_ids_fail_the_later_rows() -> None:
    text = csv_row(external_id="ns-1")
    text += "ns-2,,,Second,,36.3,43.1,,,\n"
    text += "ns-1,,,Third,,36.3,43.1,,,\n"
    text += " ns-1 ,,,Fourth,,36.3,43.1,,,\n"
    result = parse_csv(text)
    assert [row for row, _ in result.records] == [2, 3]
    assert errors_of(result) == {(4, "external_id"), (5, "external_id")}
    assert "first on row 2" in result.errors[0].message


def test_csv_duplicate_of_a_bad_row_is_still_a_duplicate() -> None:
    text = "external_id,name_en,latitude,longitude\nx,A,999,43.1\nx,B,36.3,43.1\n"
    assert errors_of(parse_csv(text)) == {(2, "latitude"), (3, "external_id")}


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("name_en,longitude", "latitude"),
        ("name_en,lat,lon", "latitude, longitude"),
        ("name_ku,latitude,longitude", "name_ar or name_en"),
        ("name_en,latitude,longitude,Latitude", "more than once"),
    ],
)
def test_csv_header_problems_are_reported_on_line_1(header: str, needle: str) -> None:
    result = parse_csv(header + "\nA,36.3,43.1\n")
    assert result.records == []
    assert [(e.row, e.field) for e in result.errors] == [(1, "header")]
    assert needle in result.errors[0].message


def test_csv_semicolon_separated_gets_a_hint() -> None:
    result = parse_csv("name_en;latitude;longitude\nA;36.3;43.1\n")
    assert [(e.row, e.field) for e in result.errors] == [(1, "header")]
    assert "separated by commas" in result.errors[0].message


@pytest.mark.parametrize(
    ("body", "line"), [('A,36.3,43.1\n"B,36.3,43.1\nC,36.3,43.1\n', 3), ('"A"x,36.3,43.1\n', 2)]
)
def test_csv_broken_quoting_stops_the_file(body: str, line: int) -> None:
    # An unclosed quote swallows the rows after it; importing half a file would be worse than none.
    result = parse_csv("name_en,latitude,longitude\n" + body)
    assert result.records == []
    assert [(e.row, e.field) for e in result.errors] == [(0, "file")]
    assert f"line {line}" in result.errors[0].message


def test_csv_with_only_name_ar_and_coordinates_is_enough() -> None:
    assert only_record(parse_csv("name_ar,latitude,longitude\nمركز,36.3,43.1\n")).names == {"ar": "مركز"}


@pytest.mark.parametrize("text", ["", "  \n\n", "\ufeff"])
def test_empty_csv(text: str) -> None:
    assert parse_csv(text).errors == [RowError(0, "file", "the file is empty")]


def test_header_only_csv_has_nothing_and_no_errors() -> None:
    assert parse_csv(HEADER + "\n") == ParseResult([], [], "csv")


# --- compact hours text -------------------------------------------------------------------------------


def hours_of(text: str, **values: Any) -> StationRecord:
    return only_record(parse_csv(csv_row(hours=text, **values)))


def test_hours_range_over_the_iraqi_week() -> None:
    sun_to_thu = (6, 0, 1, 2, 3)
    assert hours_of("Sun-Thu 08:00-14:00").hours == tuple(Period(d, "08:00", "14:00") for d in sun_to_thu)


def test_hours_range_wraps_past_sunday() -> None:
    assert [p.weekday for p in hours_of("Fri-Mon 10:00-12:00").hours] == [4, 5, 6, 0]


def test_hours_several_parts_lists_and_ranges() -> None:
    assert hours_of("Sun,Tue 08:00-12:00,16:00-20:00; Sat 09:00-12:00").hours == (
        Period(6, "08:00", "12:00"),
        Period(1, "08:00", "12:00"),
        Period(6, "16:00", "20:00"),
        Period(1, "16:00", "20:00"),
        Period(5, "09:00", "12:00"),
    )


def test_hours_desk_periods_name_their_service() -> None:
    record = hours_of("Sun-Thu 08:00-14:00; FAMILY_AND_CHILD_PROTECTION Sun-Thu 08:00-13:00")
    desk = [p for p in record.hours if p.service is not None]
    assert desk == [Period(d, "08:00", "13:00", "FAMILY_AND_CHILD_PROTECTION") for d in (6, 0, 1, 2, 3)]
    assert len(record.hours) == 10


def test_hours_past_midnight_keeps_the_opening_day() -> None:
    assert hours_of("Thu 20:00-02:00").hours == (Period(3, "20:00", "02:00"),)
    assert hours_of("Sat 08:00-24:00").hours == (Period(5, "08:00", "24:00"),)
    assert hours_of("Sat 00:00-00:00").hours == (Period(5, "00:00", "00:00"),)


def test_hours_24_7_means_always_open() -> None:
    record = hours_of("24/7")
    assert (record.always_open, record.hours) == (True, ())
    assert hours_of("24/7", always_open="yes").always_open is True


def test_hours_24_7_with_desk_hours() -> None:
    record = hours_of("24/7; WOMEN_OFFICERS_DESK Sun-Thu 08:00-14:00")
    assert record.always_open is True
    assert {p.service for p in record.hours} == {"WOMEN_OFFICERS_DESK"}
    desk = hours_of("Sun-Thu 08:00-14:00; CRIME_REPORTING 24/7").hours[5:]
    assert desk == tuple(Period(d, "00:00", "24:00", "CRIME_REPORTING") for d in range(7))


def test_hours_forgiving_spelling() -> None:
    assert hours_of("sun – thu 8:00 – 14:00 ;").hours == hours_of("Sun-Thu 08:00-14:00").hours
    assert hours_of("Sunday-Thursday 08:00-14:00").hours == hours_of("Sun-Thu 08:00-14:00").hours


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ("Sun-Thu", "hours[0]"),
        ("Sun-Thu 08:00", "hours[0]"),
        ("Sun-Thu 08:00-14:00 extra", "hours[0]"),
        ("Sat 09:00-12:00; POTATO Sun 08:00-09:00", "hours[1].service"),
        ("TRAFFIC", "hours[0]"),
        ("Mon 24:00-08:00", "hours[0].opens"),
        ("Mon 08:00-08:00", "hours[0].closes"),
        ("Mon-Tue-Wed 08:00-12:00", "hours[0].weekday"),
        ("Mon 08:00-12:00-16:00", "hours[0]"),
    ],
)
def test_hours_text_errors(hours: str, field: str) -> None:
    assert errors_of(parse_csv(csv_row(hours=hours))) == {(2, field)}


def test_hours_24_7_conflicts() -> None:
    text = "name_en,latitude,longitude,always_open,hours\n"
    text += "A,36.3,43.1,false,24/7\n"
    text += "B,36.3,43.1,,24/7; Sun 08:00-10:00\n"
    text += "C,36.3,43.1,yes,Sun 08:00-10:00\n"
    text += "D,36.3,43.1,TRUE,\n"
    result = parse_csv(text)
    assert errors_of(result) == {(2, "always_open"), (3, "hours"), (4, "hours")}
    assert [(row, r.always_open) for row, r in result.records] == [(5, True)]


# --- GeoJSON ------------------------------------------------------------------------------------------


def test_geojson_maps_every_property() -> None:
    props = {
        "id": 17,
        "names": {"ar": "مركز شرطة النجف", "en": " Najaf Central "},
        "name_ku": "بنکەی پۆلیسی نەجەف",
        "governorate": "IQ-NA",
        "address": "Kufa Street",
        "phone": "07801234567",
        "is_model_station": True,
        "services": ["CRIME_REPORTING", "TRAFFIC", "CRIME_REPORTING"],
        "always_open": "no",
        "timezone": "Asia/Baghdad",
        "active": 1,
        "hours": [
            {"weekday": 6, "opens": "08:00", "closes": "14:00"},
            {"weekday": "Thu", "opens": "20:00", "closes": "02:00", "service": "traffic"},
        ],
        "closures": [
            {"starts_at": "2025-03-30T00:00:00+03:00", "ends_at": "2025-04-02T00:00+03:00", "reason": "Eid"},
            {"starts_at": "2025-05-01T08:00:00Z", "ends_at": "2025-05-01T12:00:00Z", "services": "TRAFFIC"},
        ],
    }
    result = parse_geojson(collection(feature(NAJAF[1], NAJAF[0], **props)))
    assert result.kind == "geojson"
    assert result.records[0][0] == 1
    plus3 = timezone(timedelta(hours=3))  # Asia/Baghdad's offset all year
    may_day = datetime(2025, 5, 1, tzinfo=UTC)
    assert only_record(result) == StationRecord(
        names={"ar": "مركز شرطة النجف", "ku": "بنکەی پۆلیسی نەجەف", "en": "Najaf Central"},
        governorate="IQ-NA",
        latitude=NAJAF[0],
        longitude=NAJAF[1],
        external_id="17",
        address="Kufa Street",
        phone="07801234567",
        is_model_station=True,
        services=("CRIME_REPORTING", "TRAFFIC"),
        always_open=False,
        timezone="Asia/Baghdad",
        hours=(Period(6, "08:00", "14:00"), Period(3, "20:00", "02:00", "TRAFFIC")),
        closures=(
            Closure(datetime(2025, 3, 30, tzinfo=plus3), datetime(2025, 4, 2, tzinfo=plus3), "Eid"),
            Closure(may_day.replace(hour=8), may_day.replace(hour=12), services=("TRAFFIC",)),
        ),
        active=True,
    )


def test_geojson_ids_and_derived_governorate() -> None:
    plain = feature(*reversed(ERBIL), external_id="erb-1")
    feature_id = feature(*reversed(MOSUL)) | {"id": "node/42"}
    no_id = feature(*reversed(MOSUL), name_en="No id")
    with_altitude = {**feature(), "geometry": {"type": "Point", "coordinates": [43.1, 36.3, 250.0]}}
    result = parse_geojson(collection(plain, feature_id, no_id, with_altitude))
    assert result.errors == []
    assert [(r.external_id, r.governorate) for _, r in result.records] == [
        ("erb-1", "IQ-AR"),
        ("node/42", "IQ-NI"),
        (None, "IQ-NI"),
        (None, "IQ-NI"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"geometry": {"type": "Polygon", "coordinates": [[[43, 36], [44, 36], [43, 37]]]}}, "geometry"),
        ({"geometry": None}, "geometry"),
        ({"geometry": {"type": "Point", "coordinates": ["43.1", "36.3"]}}, "geometry"),
        ({"geometry": {"type": "Point", "coordinates": [43.1]}}, "geometry"),
        ({"geometry": {"type": "Point", "coordinates": [43.1, 123.0]}}, "latitude"),
        ({"geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}, "location"),
        ({"type": "Place"}, "feature"),
        ({"properties": ["not", "an", "object"]}, "properties"),
    ],
)
def test_geojson_bad_feature_shapes(change: dict[str, Any], field: str) -> None:
    result = parse_geojson(collection(feature(), feature() | change))
    assert [row for row, _ in result.records] == [1]
    assert field in {e.field for e in result.errors}
    assert {e.row for e in result.errors} == {2}


@pytest.mark.parametrize(
    ("props", "field", "needle"),
    [
        ({"name_en": 12}, "names.en", "text"),
        ({"name_en": None}, "names", "required"),
        ({"names": {"en": "A", "fr": "B"}}, "names.fr", "language"),
        ({"names": "Al-Zuhour"}, "names", "object"),
        ({"services": "TRAFFIC;JETPACKS"}, "services", "JETPACKS"),
        ({"services": [1, 2]}, "services", "list"),
        ({"timezone": "Asia/Baghdadd"}, "timezone", "Asia/Baghdadd"),
        ({"governorate": "Nineveh"}, "governorate", "Nineveh"),
        ({"hours": "Sun-Thu 08:00-14:00"}, None, None),
        ({"hours": {"weekday": 1}}, "hours", "list"),
        ({"hours": [{"weekday": 7, "opens": "08:00", "closes": "14:00"}]}, "hours[0].weekday", "0-6"),
        ({"hours": [{"weekday": True, "opens": "08:00", "closes": "14:00"}]}, "hours[0].weekday", "0-6"),
        ({"hours": [{"weekday": 1, "closes": "14:00"}]}, "hours[0].opens", "HH:MM"),
        (
            {"hours": [{"weekday": 1, "opens": "08:00", "closes": "14:00", "service": "X"}]},
            "hours[0].service",
            "X",
        ),
        ({"hours": ["Mon 08:00-14:00"]}, "hours[0]", "object"),
        (
            {"closures": [{"starts_at": "2025-03-30T00:00:00", "ends_at": "2025-04-02T00:00:00+03:00"}]},
            "closures[0].starts_at",
            "offset",
        ),
        (
            {"closures": [{"starts_at": "2025-03-30T00:00:00+03:00", "ends_at": "soon"}]},
            "closures[0].ends_at",
            "soon",
        ),
        (
            {
                "closures": [
                    {"starts_at": "2025-04-02T00:00:00+03:00", "ends_at": "2025-04-01T00:00:00+03:00"}
                ]
            },
            "closures[0].ends_at",
            "after",
        ),
        (
            {"closures": [{"starts_at": "2025-04-01T00:00:00Z", "ends_at": "2025-04-01T03:00:00+03:00"}]},
            "closures[0].ends_at",
            "after",
        ),  # the same instant, written in two offsets
        (
            {
                "closures": [
                    {
                        "starts_at": "2025-04-01T00:00:00Z",
                        "ends_at": "2025-04-02T00:00:00Z",
                        "services": ["MOON_DESK"],
                    }
                ]
            },
            "closures[0].services",
            "MOON_DESK",
        ),
        ({"closures": "Eid"}, "closures", "list"),
        (
            {"closures": [{"starts_at": "9999-12-31T23:00:00-05:00", "ends_at": "2025-04-02T00:00:00Z"}]},
            "closures[0].starts_at",
            "1900 to 2200",
        ),  # past what the driver can write (year 10000 in UTC)
        (
            {"closures": [{"starts_at": "2025-04-01T00:00:00Z", "ends_at": "2300-01-01T00:00:00Z"}]},
            "closures[0].ends_at",
            "1900 to 2200",
        ),
        ({"is_model_station": "sometimes"}, "is_model_station", "sometimes"),
        ({"phone": "+964 770 123 4567 ext. 12"}, "phone", "digits"),
    ],
)
def test_geojson_bad_property(props: dict[str, Any], field: str | None, needle: str | None) -> None:
    result = parse_geojson(collection(feature(**props)))
    if field is None:  # the compact text is accepted in GeoJSON too
        assert len(result.records) == 1 and result.errors == []
        return
    assert [(e.row, e.field) for e in result.errors] == [(1, field)]
    assert needle and needle in result.errors[0].message


def test_geojson_reports_every_problem_of_a_feature() -> None:
    bad = feature(
        2.35,
        48.85,
        name_en="",
        services=["NOPE"],
        timezone="Nowhere/City",
        phone="abc",
        hours=[{"weekday": 9, "opens": "8", "closes": "14:00"}],
        closures=[{"starts_at": "2025-01-02T00:00:00+03:00", "ends_at": "2025-01-01T00:00:00+03:00"}],
    )
    result = parse_geojson(collection(feature(), feature(), bad))
    assert [row for row, _ in result.records] == [1, 2]
    assert errors_of(result) == {
        (3, "names"),
        (3, "location"),
        (3, "services"),
        (3, "timezone"),
        (3, "phone"),
        (3, "hours[0].weekday"),
        (3, "hours[0].opens"),
        (3, "closures[0].ends_at"),
    }


def test_geojson_duplicate_ids() -> None:
    result = parse_geojson(
        collection(
            feature(external_id="7"),
            feature(id=7),
            feature() | {"id": "7"},
            feature(external_id="8"),
        )
    )
    assert [row for row, _ in result.records] == [1, 4]
    assert errors_of(result) == {(2, "external_id"), (3, "external_id")}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "FeatureCollection", "features": [}', "line 1"),
        ("[]", "FeatureCollection"),
        (json.dumps(feature()), "FeatureCollection"),
        ('{"type": "FeatureCollection"}', "features"),
        ("", "empty"),
        ("\n  \n", "empty"),
    ],
)
def test_geojson_file_level_errors(text: str, needle: str) -> None:
    result = parse_geojson(text)
    assert result.records == []
    assert [(e.row, e.field) for e in result.errors] == [(0, "file")]
    assert needle in result.errors[0].message


def test_geojson_empty_collection() -> None:
    assert parse_geojson('{"type": "FeatureCollection", "features": []}') == ParseResult([], [], "geojson")


# --- files --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("s.csv", "name_en,latitude,longitude\nA,36.3,43.1\n", "csv"),
        ("s.geojson", collection(feature()), "geojson"),
        ("s.json", collection(feature()), "geojson"),
        ("s.txt", "\ufeff  " + collection(feature()), "geojson"),
        ("stations", "name_en,latitude,longitude\nA,36.3,43.1\n", "csv"),
    ],
)
def test_file_kind_by_extension_or_content(tmp_path: Path, name: str, content: str, kind: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = parse_station_file(path)
    assert (result.kind, len(result.records), result.errors) == (kind, 1, [])


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    path.write_bytes(b"name_ar,latitude,longitude\n" + "مركز,36.3,43.1\n".encode("cp1256"))
    result = parse_station_file(path)
    assert [(e.row, e.field) for e in result.errors] == [(0, "file")]
    assert "UTF-8" in result.errors[0].message and "line 2" in result.errors[0].message


def test_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    assert parse_station_file(path) == ParseResult([], [RowError(0, "file", "the file is empty")], "geojson")


def test_sample_csv() -> None:
    result = parse_station_file(DATA / "stations_sample.csv")
    assert result.kind == "csv"
    by_id = {r.external_id: r for _, r in result.records}
    assert set(by_id) == {"NI-MOS-001", "AR-ERB-001", "NA-NAJ-001", "BG-KRD-001", "BA-BAS-001"}
    derived = ("NI-MOS-001", "AR-ERB-001", "NA-NAJ-001", "BA-BAS-001")
    assert [by_id[i].governorate for i in derived] == ["IQ-NI", "IQ-AR", "IQ-NA", "IQ-BA"]
    assert by_id["BG-KRD-001"].always_open is True
    assert errors_of(result) == {(7, "services"), (7, "hours[0].closes")}  # the deliberately bad row


def test_sample_geojson() -> None:
    result = parse_station_file(DATA / "stations_sample.geojson")
    assert result.kind == "geojson"
    ids = ["NI-MOS-101", "AR-ERB-101", "NA-NAJ-101", "KA-KAR-101"]
    assert [r.external_id for _, r in result.records] == ids
    assert [r.governorate for _, r in result.records] == ["IQ-NI", "IQ-AR", "IQ-NA", "IQ-KA"]
    assert errors_of(result) == {(5, "closures[0].starts_at")}  # the deliberately bad feature


# --- the importer's own format: addresses, holidays, closures in CSV, overlaps, formula guards ---------


def test_addresses_in_three_languages_and_holiday_flag() -> None:
    nested = feature(addresses={"ar": "شارع الرشيد", "en": "Rashid Street"}, closes_on_holidays=True)
    flat = feature(address_ku="شەقامی ڕەشید", address_en="Rashid St", address="Rashid Street, Baghdad")
    result = parse_geojson(collection(nested, flat))
    assert result.errors == []
    (_, first), (_, second) = result.records
    assert (first.addresses, first.closes_on_holidays) == ({"ar": "شارع الرشيد", "en": "Rashid Street"}, True)
    assert second.addresses == {"ku": "شەقامی ڕەشید", "en": "Rashid St"}
    assert (second.address, second.closes_on_holidays) == ("Rashid Street, Baghdad", False)
    bad = parse_geojson(collection(feature(addresses={"fr": "Rue"}, closes_on_holidays="often")))
    assert errors_of(bad) == {(1, "addresses.fr"), (1, "closes_on_holidays")}


def test_csv_closures_column_holds_json() -> None:
    closures = json.dumps(
        [{"starts_at": "2025-03-30T00:00:00+03:00", "ends_at": "2025-04-02T00:00:00+03:00", "reason": "Eid"}]
    )
    record = only_record(parse_csv(csv_row(closures=closures)))
    assert [(c.starts_at.isoformat(), c.reason) for c in record.closures] == [
        ("2025-03-30T00:00:00+03:00", "Eid")
    ]
    assert errors_of(parse_csv(csv_row(closures="[{"))) == {(2, "closures")}
    assert "JSON" in parse_csv(csv_row(closures="[{")).errors[0].message


def test_closure_reasons_in_three_languages_and_desks_closed_on_holidays() -> None:
    closure = {
        "starts_at": "2025-03-30T00:00:00+03:00",
        "ends_at": "2025-04-02T00:00:00+03:00",
        "reasons": {"ar": "عيد", "ku": "جەژن", "en": "Eid"},
        "services": ["TRAFFIC"],
    }
    services = ["COMMUNITY_POLICING", "TRAFFIC", "FAMILY_AND_CHILD_PROTECTION"]
    record = only_record(
        parse_geojson(
            collection(
                feature(
                    services=services,
                    desks_closed_on_holidays=["TRAFFIC", "family_and_child_protection"],
                    closures=[closure],
                )
            )
        )
    )
    assert [(c.reason, c.reasons) for c in record.closures] == [(None, ("عيد", "جەژن", "Eid"))]
    assert record.desks_closed_on_holidays == ("TRAFFIC", "FAMILY_AND_CHILD_PROTECTION")
    assert record.desks_given and record.closures_given
    # In CSV: ";"-separated, or "[]" for none; an empty cell (or no column: an older file) says nothing.
    csv_record = only_record(
        parse_csv(csv_row(services="TRAFFIC;CRIME_REPORTING", desks_closed_on_holidays="TRAFFIC"))
    )
    assert (csv_record.desks_closed_on_holidays, csv_record.desks_given) == (("TRAFFIC",), True)
    cleared = only_record(parse_csv(csv_row(services="TRAFFIC", desks_closed_on_holidays="[]")))
    assert (cleared.desks_closed_on_holidays, cleared.desks_given) == ((), True)
    for silent in (csv_row(services="TRAFFIC"), csv_row(services="TRAFFIC", desks_closed_on_holidays="")):
        assert not only_record(parse_csv(silent)).desks_given
    assert not only_record(parse_geojson(collection(feature(services=services)))).desks_given
    # what cannot be: a desk the station does not offer, an unknown service, reasons not by language
    bad = parse_geojson(
        collection(
            feature(services=["TRAFFIC"], desks_closed_on_holidays=["CRIME_REPORTING", "PASSPORTS"]),
            feature(closures=[{**closure, "reasons": "Eid"}]),
            feature(closures=[{**closure, "reasons": {"fr": "Aïd", "en": 7}}]),
        )
    )
    assert errors_of(bad) == {
        (1, "desks_closed_on_holidays"),
        (2, "closures[0].reasons"),
        (3, "closures[0].reasons.fr"),
        (3, "closures[0].reasons.en"),
    }
    messages = [e.message for e in bad.errors if e.row == 1]
    assert any("'CRIME_REPORTING' is not one of the station's services" in m for m in messages)
    assert any("unknown service 'PASSPORTS'" in m for m in messages)


def test_csv_formula_guard_is_taken_off() -> None:
    record = only_record(parse_csv(csv_row(phone="'+964 770 123 4567", name_en="'=Zuhour", name_ar="'مركز")))
    assert (record.phone, record.names["en"], record.names["ar"]) == ("+964 770 123 4567", "=Zuhour", "'مركز")


@pytest.mark.parametrize(
    ("hours", "field", "needle"),
    [
        (
            "Sun-Thu 08:00-14:00; Thu 12:00-20:00",
            "hours[1]",
            "Thu 12:00-20:00 overlaps Thu 08:00-14:00 of hours[0]",
        ),
        ("Sun 08:00-12:00,11:00-13:00", "hours[0]", "Sun 11:00-13:00 overlaps Sun 08:00-12:00"),
        ("Sat 20:00-02:00; Sun 01:00-03:00", "hours[1]", "overlaps Sat 20:00-02:00"),
        ("Sun 20:00-02:00; Mon 00:00-01:00", "hours[1]", "overlaps Sun 20:00-02:00"),  # past the week's end
        ("Mon 00:00-00:00; Mon 09:00-10:00", "hours[1]", "overlaps Mon 00:00-00:00"),
    ],
)
def test_overlapping_hours_are_refused(hours: str, field: str, needle: str) -> None:
    result = parse_csv(csv_row(hours=hours))
    assert [(e.row, e.field) for e in result.errors] == [(2, field)]
    assert needle in result.errors[0].message


def test_touching_hours_and_other_desks_do_not_overlap() -> None:
    record = hours_of(
        "Sun 08:00-12:00,12:00-14:00; Sat 20:00-00:00; Sun 00:00-02:00; TRAFFIC Sun 09:00-10:00"
    )
    assert len(record.hours) == 5
    listed = [
        {"weekday": 1, "opens": "08:00", "closes": "14:00"},
        {"weekday": 1, "opens": "13:00", "closes": "15:00"},
    ]
    assert errors_of(parse_geojson(collection(feature(hours=listed)))) == {(1, "hours[1]")}


# --- OpenStreetMap opening_hours ------------------------------------------------------------------------


def week(*items: tuple[str, str, str]) -> tuple[Period, ...]:
    """Periods from ("Mon-Fri" | "Sun,Tue" | "Sat", opens, closes), in week order from Monday."""
    periods = []
    for days, opens, closes in items:
        for part in days.split(","):
            ends = [_DAY_NUMBER[d] for d in part.split("-")]
            periods += [Period((ends[0] + k) % 7, opens, closes) for k in range((ends[-1] - ends[0]) % 7 + 1)]
    return tuple(sorted(periods, key=lambda p: (p.weekday, p.opens)))


_DAY_NUMBER = {d: i for i, d in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))}


# The examples of the wiki (Key:opening_hours and its tutorial, the syntax guides it links), and the shapes
# Iraqi stations use: the week from Saturday to Thursday, split shifts, nights past midnight.
@pytest.mark.parametrize(
    ("value", "periods", "always", "holidays"),
    [
        ("24/7", (), True, False),
        ("Mo-Su 00:00-24:00", (), True, False),
        ("24/7; PH off", (), True, True),
        ("Mo-Fr 08:30-20:00", week(("Mon-Fri", "08:30", "20:00")), False, False),
        (
            "Mo-Fr 08:00-12:00,13:00-17:30",
            week(("Mon-Fri", "08:00", "12:00"), ("Mon-Fri", "13:00", "17:30")),
            False,
            False,
        ),
        (
            "Mo-Fr 08:00-12:00,13:00-17:30; Sa 08:00-12:00; PH off",
            week(("Mon-Fri", "08:00", "12:00"), ("Mon-Fri", "13:00", "17:30"), ("Sat", "08:00", "12:00")),
            False,
            True,
        ),
        (
            "Mo-Th 08:00-12:00,16:00-20:00",
            week(("Mon-Thu", "08:00", "12:00"), ("Mon-Thu", "16:00", "20:00")),
            False,
            False,
        ),
        (
            "Mo-Fr 09:00-17:00; We off",
            week(("Mon-Tue", "09:00", "17:00"), ("Thu-Fri", "09:00", "17:00")),
            False,
            False,
        ),
        (
            "Mo,We 09:00-17:00; Tu,Th-Sa 10:00-12:00,13:00-15:00",
            week(
                ("Mon,Wed", "09:00", "17:00"),
                ("Tue,Thu-Sat", "10:00", "12:00"),
                ("Tue,Thu-Sat", "13:00", "15:00"),
            ),
            False,
            False,
        ),
        ("Mo-Su 20:00-02:00", week(("Mon-Sun", "20:00", "02:00")), False, False),
        (
            "Fr 21:00-02:00, Sa 20:00-02:00",
            week(("Fri", "21:00", "02:00"), ("Sat", "20:00", "02:00")),
            False,
            False,
        ),
        ("Sa-Th 08:00-14:00", week(("Sat-Thu", "08:00", "14:00")), False, False),  # wraps past Sunday
        ("Fr-Mo 10:00-12:00", week(("Fri-Mon", "10:00", "12:00")), False, False),
        ("Su,Tu 09:00-13:00", week(("Sun,Tue", "09:00", "13:00")), False, False),
        ("Su 22:00-02:00", week(("Sun", "22:00", "02:00")), False, False),  # into next week's Monday
        ("Mo-Fr 00:00-24:00", week(("Mon-Fri", "00:00", "24:00")), False, False),
        ("Mo-Fr 08:00-26:00", week(("Mon-Fri", "08:00", "02:00")), False, False),  # extended time
        (
            "Mo-Fr 08:00-12:00; Mo-Fr 10:00-16:00",
            week(("Mon-Fri", "10:00", "16:00")),
            False,
            False,
        ),  # replaced
        ("Mo-Fr 08:00-12:00, Mo-Fr 10:00-16:00", week(("Mon-Fri", "08:00", "16:00")), False, False),  # added
        (
            "Mo-Fr 08:00-18:00; We 12:00-14:00 off",
            week(
                ("Mon-Tue", "08:00", "18:00"),
                ("Wed", "08:00", "12:00"),
                ("Wed", "14:00", "18:00"),
                ("Thu-Fri", "08:00", "18:00"),
            ),
            False,
            False,
        ),
        ("Sa-Th 08:00-14:00; Fr,PH off", week(("Sat-Thu", "08:00", "14:00")), False, True),
        ("08:00-14:00", week(("Mon-Sun", "08:00", "14:00")), False, False),
        ("off", (), False, False),
        ("closed", (), False, False),
        ("PH off", (), False, True),
        (
            "mo-fr 08:00-14:00",
            week(("Mon-Fri", "08:00", "14:00")),
            False,
            False,
        ),  # the library's warning only
        (
            "Mo–Fr 08:00–14:00;",
            week(("Mon-Fri", "08:00", "14:00")),
            False,
            False,
        ),  # en dashes, a trailing ";"
    ],
)
def test_osm_opening_hours(value: str, periods: tuple[Period, ...], always: bool, holidays: bool) -> None:
    assert parse_opening_hours(value) == WeeklyHours(periods, always, holidays)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("Mo-Su 10:00-19:00; Jun off; Dec 25 off", "month or date ranges ('Jun')"),
        ("Mo-Fr 09:00-17:00; Dec 24-26,Jan 1 off", "month or date ranges ('Dec')"),
        ("Su-Th 08:00-14:00; Jun-Sep Su-Th 07:00-13:00", "month or date ranges ('Jun-Sep')"),
        ("week 1-53/2 Fr 09:00-12:00; week 2-52/2 We 09:00-12:00", "week numbers ('week')"),
        ("2025 Mo-Fr 08:00-12:00", "years ('2025')"),
        (
            "Mo,Tu,Th,Fr 12:00-18:00; Sa,PH 12:00-17:00; Th[3],Th[-1] off",
            "the n-th weekday of a month ('Th[3],Th[-1]')",
        ),
        (
            "Mo,Tu,Th,Fr 12:00-18:00; Sa,PH 12:00-17:00",
            "hours of their own on public holidays ('Sa,PH 12:00-17:00'",
        ),
        (
            "Mo-Fr 08:00-12:00,13:00-17:30; Sa 08:00-12:00; PH 09:00-12:00",
            "public holidays ('PH 09:00-12:00'",
        ),
        ("Mo-Fr 08:00-12:00; SH off", "school holidays ('SH')"),
        ("easter off; 08:00-12:00", "Easter ('easter')"),
        ("sunrise-sunset", "sun times ('sunrise-sunset')"),
        ("Mo-Fr 08:00-(sunset-01:00)", "sun times"),
        ("Mo-Fr 17:00-03:00, Sa-Su 18:00+", "open ends ('18:00+')"),
        ("Mo-Fr 10:00-16:00/01:00", "repeating times ('10:00-16:00/01:00')"),
        ("PH +1 day off; 08:00-12:00", "day offsets"),
        ("Mo-Fr 08:00-14:00 unknown", "unknown hours ('unknown')"),
        ('Mo-Fr 09:00-12:00, Mo-Fr 13:00-16:00 "Payments only"', 'comments ("Payments only")'),
        ('Mo-We 10:00-18:00; Th,Fr 16:00-23:00; PH off || "on appointment"', "fallback rules ('||')"),
    ],
)
def test_osm_opening_hours_the_model_cannot_hold_are_named(value: str, named: str) -> None:
    with pytest.raises(OpeningHoursError) as caught:
        parse_opening_hours(value)
    message = str(caught.value)
    assert named in message and "cannot express" in message and "\n" not in message


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("Mo-Fr 25:00-26:00", "at character 7: '25:00-26:00'"),
        ("Mo-Fx 08:00-14:00", "at character 4"),
        ("Montag 08:00-14:00", "at character"),
        ("08:00-", "at character"),
        ("x" * 256, "256 characters long"),
    ],
)
def test_osm_opening_hours_syntax_errors_are_one_line(value: str, needle: str) -> None:
    with pytest.raises(OpeningHoursError) as caught:
        parse_opening_hours(value)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


# --- a point inside a building outline ------------------------------------------------------------------


def inside(lon: float, lat: float, rings: list[list[list[float]]]) -> bool:
    """Even-odd ray casting over the rings (holes count), independent of the code under test."""
    crossings = 0
    for ring in rings:
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            if (y0 > lat) != (y1 > lat) and lon < x0 + (x1 - x0) * (lat - y0) / (y1 - y0):
                crossings += 1
    return crossings % 2 == 1


def vertex_mean(ring: list[list[float]]) -> tuple[float, float]:
    return sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1)


def outline(
    *points: tuple[float, float], lon0: float = 44.42, lat0: float = 33.30, unit: float = 0.0001
) -> list[list[float]]:
    ring = [[lon0 + x * unit, lat0 + y * unit] for x, y in points]
    return [*ring, ring[0]]


U_SHAPE = outline((0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3))
L_SHAPE = outline((0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4))


@pytest.mark.parametrize("ring", [U_SHAPE, L_SHAPE], ids=["U", "L"])
def test_inner_point_of_a_concave_outline_is_inside(ring: list[list[float]]) -> None:
    assert not inside(*vertex_mean(ring), [ring])  # a centre would fall outside: the test means something
    lat, lon = inner_point({"type": "Polygon", "coordinates": [ring]})
    assert inside(lon, lat, [ring])


def test_inner_point_keeps_out_of_a_courtyard_and_takes_the_largest_part() -> None:
    building = [outline((0, 0), (5, 0), (5, 4), (0, 4)), outline((1, 1), (1, 3), (4, 3), (4, 1))]
    booth = outline((10, 10), (10.4, 10), (10.4, 10.4), (10, 10.4))
    assert not inside(*vertex_mean(building[0]), building)  # the middle is the courtyard
    lat, lon = inner_point({"type": "MultiPolygon", "coordinates": [[booth], building]})
    assert inside(lon, lat, building)


@given(
    radii=st.lists(st.floats(0.2, 1.0), min_size=3, max_size=40),
    lat0=st.floats(29.5, 37.0),
    size=st.sampled_from([0.00005, 0.0005, 0.01]),
)
@settings(max_examples=150, deadline=None)
def test_inner_point_of_any_star_shaped_outline_is_inside(
    radii: list[float], lat0: float, size: float
) -> None:
    step = 2 * math.pi / len(radii)
    ring = [
        [44.0 + size * r * math.cos(i * step), lat0 + size * r * math.sin(i * step)]
        for i, r in enumerate(radii)
    ]
    ring.append(ring[0])
    lat, lon = inner_point({"type": "Polygon", "coordinates": [ring]})
    assert inside(lon, lat, [ring])


@pytest.mark.parametrize(
    ("geometry", "needle"),
    [
        ({"type": "Polygon", "coordinates": [[[44, 33], [44.1, 33], [44, 33.1]]]}, "at least 4 positions"),
        (
            {"type": "Polygon", "coordinates": [[[44, 33], [44.1, 33], [44.1, 33.1], [44, 33.2]]]},
            "not closed",
        ),
        ({"type": "Polygon", "coordinates": [[[44, 33], [44.1, 33.1], [44.2, 33.2], [44, 33]]]}, "no area"),
        ({"type": "Polygon", "coordinates": [[[44, 33], ["44.1", 33], [44.1, 33.1], [44, 33]]]}, "numbers"),
        ({"type": "Polygon", "coordinates": [[[44, 33], [math.nan, 33], [44.1, 33.1], [44, 33]]]}, "numbers"),
        ({"type": "Polygon", "coordinates": [[[44, 33], [200, 33], [44.1, 33.1], [44, 33]]]}, "range"),
        ({"type": "Polygon", "coordinates": []}, "list of rings"),
        ({"type": "MultiPolygon", "coordinates": [[]]}, "list of rings"),
        ({"type": "Polygon", "coordinates": "here"}, "list of rings"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[44 + i * 1e-6, 33 + (i % 2) * 1e-6] for i in range(25_000)]],
            },
            "more than 20,000 positions",
        ),
    ],
)
def test_unusable_outlines(geometry: dict[str, Any], needle: str) -> None:
    with pytest.raises(OutlineError) as caught:
        inner_point(geometry)
    assert needle in str(caught.value)


def test_a_hostile_outline_is_bounded_in_time() -> None:
    # A sliver 100 km long and a millimetre wide, with thousands of positions: an answer within seconds.
    count = 5_000
    top = [[44.0 + i / count, 33.0 + 1e-8] for i in range(count)]
    ring = [[44.0, 33.0], [45.0, 33.0], *reversed(top)]
    ring.append(ring[0])
    started = time.monotonic()
    lat, lon = inner_point({"type": "Polygon", "coordinates": [ring]})
    assert time.monotonic() - started < 10
    assert inside(lon, lat, [ring])


# --- OpenStreetMap features -----------------------------------------------------------------------------


def osm(osm_id: str = "node/1", geometry: dict[str, Any] | None = None, **tags: Any) -> dict[str, Any]:
    """A feature as overpass turbo exports it: the tags as properties, "@id" beside them."""
    tags = {"amenity": "police", "name": "مركز شرطة الزهور"} | {
        k.replace("__", ":"): v for k, v in tags.items()
    }
    return {
        "type": "Feature",
        "properties": {"@id": osm_id, **{k: v for k, v in tags.items() if v is not None}},
        "geometry": geometry or {"type": "Point", "coordinates": [MOSUL[1], MOSUL[0]]},
        "id": osm_id,
    }


def osm_record(**tags: Any) -> StationRecord:
    return only_record(parse_geojson(collection(osm(**tags))))


def osm_errors(*features: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in parse_geojson(collection(*features)).errors]


@pytest.mark.parametrize(
    ("tags", "names"),
    [
        ({"name": "مركز شرطة الزهور"}, {"ar": "مركز شرطة الزهور"}),  # `name` is Arabic in most of Iraq
        (
            {"name": "بنکەی پۆلیسی عەنکاوە", "name__en": "Ankawa"},
            {"ku": "بنکەی پۆلیسی عەنکاوە", "en": "Ankawa"},
        ),
        ({"name": "Zakho Police", "name__ar": "شرطة زاخو"}, {"ar": "شرطة زاخو", "en": "Zakho Police"}),
        ({"name": "A", "name__ar": "ب", "name__en": "C"}, {"ar": "ب", "en": "C"}),  # the language tags win
        (
            {"name__ckb": "بنکە", "name__ku": "Navend", "name__ar": "مركز"},
            {"ar": "مركز", "ku": "بنکە"},
        ),  # Sorani
        (
            {"name__ku": "بنکەی پۆلیس", "name__en": "Police"},
            {"ku": "بنکەی پۆلیس", "en": "Police", "ar": "مركز شرطة الزهور"},
        ),
        # A Kurmanji `name` that is the name:ku is Kurdish, not English.
        (
            {"name": "Navenda Polîsê", "name__ku": "Navenda Polîsê", "name__ar": "مركز"},
            {"ar": "مركز", "ku": "Navenda Polîsê"},
        ),
    ],
)
def test_osm_names(tags: dict[str, str], names: dict[str, str]) -> None:
    assert osm_record(**tags).names == names


def test_osm_ids_phones_and_governorate() -> None:
    record = osm_record(
        osm_id="way/77", contact__phone="+964 750 000 0102;+964 66 222 0102", addr__province="محافظة دهوك"
    )
    assert (record.external_id, record.phone, record.governorate) == ("way/77", "+964 750 000 0102", "IQ-DA")
    assert osm_record(phone="104", contact__phone="+964 1").phone == "104"
    assert osm_record().governorate == "IQ-NI"  # from the point
    for value, code in [
        ("Nineveh Governorate", "IQ-NI"),
        ("iq-ar", "IQ-AR"),
        ("Slemani", "IQ-SU"),
        ("النجف", "IQ-NA"),
    ]:
        assert osm_record(addr__state=value).governorate == code, value


def test_osm_addresses_by_language() -> None:
    record = osm_record(
        addr__street="شارع الرشيد",
        addr__street__en="Rashid Street",
        addr__housenumber="12",
        addr__city="بغداد",
        addr__city__ckb="بەغدا",
        addr__postcode="10001",
    )
    assert record.addresses == {
        "ar": "شارع الرشيد 12، بغداد، 10001",
        "ku": "بەغدا، 10001",
        "en": "Rashid Street 12, 10001",
    }
    assert record.address == record.addresses["ar"]
    assert osm_record(addr__full="Karrada, Baghdad").addresses == {"en": "Karrada, Baghdad"}
    assert osm_record(addr__postcode="10001").addresses == {}  # numbers alone are no address


def test_osm_older_export_nests_tags() -> None:
    nested = {
        "type": "Feature",
        "id": "way/5",
        "properties": {"type": "way", "id": 5, "tags": {"amenity": "police", "name:en": "Old"}, "meta": {}},
        "geometry": {"type": "Point", "coordinates": [MOSUL[1], MOSUL[0]]},
    }
    record = only_record(parse_geojson(collection(nested)))
    assert (record.external_id, record.names) == ("way/5", {"en": "Old"})


def test_osm_problems_are_named_by_their_tags() -> None:
    errors = osm_errors(
        osm("node/1", name=None, name__ckb="بنکە"),  # a Kurdish name alone
        osm("node/2", name__ar="م" * 201),
        osm("node/3", contact__phone="call 104"),
        osm("node/4", opening_hours="Mo-Fr 08:00-14:00; Jun off"),
        osm("node/5", addr__province="Atlantis"),
        osm("node/5", name="repeated id"),
        osm("node/7", amenity="fire_station"),
        osm("node/8", amenity=None, building="yes"),
        osm("node/9", geometry={"type": "LineString", "coordinates": [[43.1, 36.3], [43.2, 36.3]]}),
        osm("node/10", geometry={"type": "Point", "coordinates": [2.35, 48.85]}),
        osm("node/11", opening_hours=24),
        osm("node/12", addr__full="شارع " * 101),
    )
    assert [(row, field) for row, field, _ in errors] == [
        (1, "name"),
        (2, "name:ar"),
        (3, "contact:phone"),
        (4, "opening_hours"),
        (5, "addr:province"),
        (6, "@id"),
        (7, "amenity"),
        (8, "amenity"),
        (9, "geometry"),
        (10, "location"),
        (11, "opening_hours"),
        (12, "addr:*"),
    ]
    reasons = {row: message for row, _, message in errors}
    assert "no usable name" in reasons[1] and "at most 200" in reasons[2] and "digits" in reasons[3]
    assert (
        "month or date ranges" in reasons[4] and "Atlantis" in reasons[5] and "first on row 5" in reasons[6]
    )
    assert "'fire_station', not 'police'" in reasons[7] and "is missing" in reasons[8]
    assert "got LineString" in reasons[9] and "outside Iraq" in reasons[10]


def test_osm_and_own_features_in_one_file() -> None:
    result = parse_geojson(collection(feature(external_id="NI-1"), osm("node/2")))
    assert [r.external_id for _, r in result.records] == ["NI-1", "node/2"]


def test_overpass_api_json_gets_a_hint() -> None:
    result = parse_geojson(json.dumps({"version": 0.6, "generator": "Overpass API", "elements": []}))
    assert [(e.row, e.field) for e in result.errors] == [(0, "file")]
    assert "export" in result.errors[0].message and "GeoJSON" in result.errors[0].message


# --- the Overpass export of tests/data ------------------------------------------------------------------

OVERPASS = DATA / "overpass_police.geojson"


def test_overpass_export_every_good_feature_in() -> None:
    result = parse_station_file(OVERPASS)
    by_id = {r.external_id: r for _, r in result.records}
    assert list(by_id) == [
        "way/482913005",
        "node/5120347781",
        "way/731204456",
        "relation/13370421",
        "node/9034551127",
        "way/601122334",
        "node/7788990011",
    ]
    karrada, zuhour, ankawa, old_city = (by_id[i] for i in list(by_id)[:4])
    # Names in three languages, from name, name:ar, name:ckb and name:en.
    assert karrada.names == {
        "ar": "مركز شرطة الكرادة",
        "ku": "بنکەی پۆلیسی کەرادە",
        "en": "Karrada Police Station",
    }
    assert ankawa.names == {
        "ar": "مركز شرطة عنكاوا",
        "ku": "بنکەی پۆلیسی عەنکاوە",
        "en": "Ankawa Police Station",
    }
    assert by_id["way/601122334"].names == {"ku": "بنکەی پۆلیسی سەرچنار", "en": "Sarchinar Police Station"}
    assert by_id["node/9034551127"].names == {"ar": "مركز شرطة العشار"}
    # Hours: 24/7; a week from Saturday to Thursday with PH off; split shifts; nights past midnight.
    assert (karrada.always_open, karrada.hours, karrada.closes_on_holidays) == (True, (), False)
    assert (zuhour.hours, zuhour.closes_on_holidays) == (week(("Sat-Thu", "08:00", "14:00")), True)
    assert ankawa.hours == week(
        ("Sun-Thu", "08:00", "12:00"), ("Sun-Thu", "16:00", "20:00"), ("Sat", "09:00", "12:00")
    )
    assert old_city.hours == week(("Sat-Thu", "08:00", "14:00"), ("Thu-Fri", "20:00", "02:00"))
    assert by_id["node/9034551127"].hours == week(("Sun,Tue", "09:00", "13:00"), ("Wed", "16:00", "19:00"))
    assert by_id["way/601122334"].hours == week(("Sun-Thu", "08:00", "15:00"))
    assert by_id["way/601122334"].closes_on_holidays is True
    # "Sa-Th 08:00-14:00; Fr 20:00-02:00": after ";", Saturday's own rule decides Saturday, so Friday's night
    # stops at midnight (the specification; "," keeps the night whole, as Najaf's old city writes it).
    assert by_id["node/7788990011"].hours == week(("Sat-Thu", "08:00", "14:00"), ("Fri", "20:00", "24:00"))
    # Phones (the first of two), addresses by language, governorates from a tag or from the point.
    assert (karrada.phone, ankawa.phone) == ("+964 790 000 1104", "+964 750 000 0102")
    assert karrada.addresses == {
        "ar": "شارع الكرادة داخل 17، الكرادة، بغداد",
        "en": "Karrada Dakhil Street 17, Karrada, Baghdad",
    }
    assert ankawa.addresses == {"ar": "شارع عنكاوا، أربيل", "ku": "شەقامی عەنکاوە، هەولێر", "en": "Erbil"}
    assert [r.governorate for r in by_id.values()] == [
        "IQ-BG",
        "IQ-NI",
        "IQ-AR",
        "IQ-NA",
        "IQ-BA",
        "IQ-SU",
        "IQ-KI",
    ]


def test_overpass_export_points_are_inside_their_outlines() -> None:
    data = json.loads(OVERPASS.read_text(encoding="utf-8"))
    by_id = {r.external_id: r for _, r in parse_station_file(OVERPASS).records}
    outlines = 0
    for item in data["features"]:
        geometry, record = item["geometry"], by_id.get(item["id"])
        if record is None or geometry["type"] == "Point":
            continue
        polygons = (
            geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        )
        assert any(inside(record.longitude, record.latitude, rings) for rings in polygons), item["id"]
        outlines += 1
    assert outlines == 4
    # The U-shaped Karrada building, the L-shaped one in Ankawa and the Najaf courtyard have their middle
    # outside: a centroid would have put those stations in a yard or the street.
    for osm_id in ("way/482913005", "way/731204456", "relation/13370421"):
        rings = next(f["geometry"]["coordinates"] for f in data["features"] if f["id"] == osm_id)
        rings = rings[0] if osm_id.startswith("relation") else rings
        assert not inside(*vertex_mean(rings[0]), rings), osm_id


def test_overpass_export_every_bad_feature_named() -> None:
    errors = parse_station_file(OVERPASS).errors
    assert [(e.row, e.field) for e in errors] == [
        (8, "name"),
        (9, "geometry"),
        (10, "opening_hours"),
        (11, "amenity"),
    ]
    assert "LineString" in errors[1].message and "month or date ranges ('Jun-Sep')" in errors[2].message
    assert "fire_station" in errors[3].message
    # Each is named by its OSM id too, so that the mapper finds it in the source.
    assert [e.feature_id for e in errors] == [
        "way/915503321",
        "way/915503388",
        "node/6601234567",
        "node/6601234599",
    ]


def test_a_bad_feature_is_named_by_the_id_its_export_gives() -> None:
    nameless = {"amenity": "police", "name:ckb": "بنکە"}  # no Arabic or English name: a problem
    point = {"type": "Point", "coordinates": [MOSUL[1], MOSUL[0]]}

    def label(**where: Any) -> str | None:
        properties = where.pop("properties", nameless)
        (error,) = parse_geojson(
            collection({"type": "Feature", "geometry": point, "properties": properties, **where})
        ).errors
        return error.feature_id

    # overpass turbo: "@id" beside the tags and the feature's "id"; either alone will do
    assert label(properties={**nameless, "@id": "way/1"}, id="way/1") == "way/1"
    assert label(id="way/2") == "way/2"
    assert label(properties={**nameless, "@id": "node/3"}) == "node/3"
    # the properties' own "id", and an older osmtogeojson's nested tags with "type" and "id"
    assert label(properties={**nameless, "id": "relation/4"}) == "relation/4"
    assert label(properties={"type": "way", "id": 5, "tags": nameless}, id="way/5") == "way/5"
    assert label(properties={"type": "way", "id": 6, "tags": nameless}) == "way/6"
    # the importer's own features by their external id; none at all, and ids no line can hold
    assert label(properties={"external_id": "NI-7"}) == "NI-7"
    assert label(properties={"name_ckb": "x"}) is None
    assert label(properties={**nameless, "@id": "way/8\nforged: line"}) == "way/8 forged: line"
    long = label(properties={**nameless, "@id": "node/" + "9" * 200})
    assert long is not None and len(long) == 80 and long.endswith("…")
    # an OSM feature whose only id is the properties' "id" is imported by it
    tagged = {"amenity": "police", "name:en": "X", "id": "node/10"}
    feature_of = {"type": "Feature", "geometry": point, "properties": tagged}
    assert only_record(parse_geojson(collection(feature_of))).external_id == "node/10"
