"""Station file parsing (`markaz stations import`): CSV and GeoJSON, field mapping, row-numbered errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

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
