"""`markaz stations export`: GeoJSON and CSV that `markaz stations import` reads back as the same stations.

Round trips on random stations, in memory and through the real PostgreSQL; the command itself run as a
real process against fresh databases; an OpenStreetMap export imported twice changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import string
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sa_text

from db import embedded
from resolvers.governorates import GOVERNORATES_BY_CODE, governorate_for_point
from resolvers.station_export import (
    chunks,
    csv_values,
    every_record,
    geojson_feature,
    hours_text,
    same_as_stored,
    stored_records,
)
from resolvers.station_import import CSV_COLUMNS, parse_csv, parse_geojson
from resolvers.station_records import SERVICE_NAMES, Closure, Period, StationRecord
from resolvers.station_writer import write_stations
from tests.test_cli import DATA, _report, markaz

SERVICES = sorted(SERVICE_NAMES)
ZONES = ("Asia/Baghdad", "UTC", "Asia/Tehran", "Europe/Istanbul")
_OFFSETS = [timezone(timedelta(hours=h)) for h in (0, 3, -5)] + [UTC]

# Text as people write it: Arabic, Kurdish and Latin letters, digits, the punctuation that CSV quotes
# (comma, quote, newline) and the characters a spreadsheet reads as a formula when they come first.
_TEXT_CHARS = "مركزشرطةالزهورکەێۆڕڵ" + string.ascii_letters + string.digits + " ,;\"'\n=+-@()/"
_text = st.text(_TEXT_CHARS, min_size=1, max_size=30).map(str.strip).filter(lambda t: t and t[0] != "\n")


@st.composite
def _periods(draw: st.DrawFn, service: str | None) -> list[Period]:
    """Periods of one target that do not overlap: intervals in order around the week, gaps between."""
    start = position = draw(st.integers(0, 7 * 1440 - 1))
    periods = []
    for _ in range(draw(st.integers(0, 5))):
        position += draw(st.integers(0 if not periods else 1, 2000))
        whole_day = position % 1440 == 0 and draw(st.booleans())
        length = 1440 if whole_day else draw(st.integers(1, 1439))
        if position + length > start + 7 * 1440:
            break
        day, minute = divmod(position % (7 * 1440), 1440)
        end = (minute + length) % 1440
        closes = draw(st.sampled_from(["24:00", "00:00"])) if end == 0 else f"{end // 60:02d}:{end % 60:02d}"
        periods.append(Period(day, f"{minute // 60:02d}:{minute % 60:02d}", closes, service))
        position += length
    return periods


@st.composite
def _closures(draw: st.DrawFn) -> tuple[Closure, ...]:
    closures = []
    for _ in range(draw(st.integers(0, 3))):
        starts = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
            minutes=draw(st.integers(0, 100 * 365 * 1440)), microseconds=draw(st.sampled_from([0, 250_000]))
        )
        ends = starts + timedelta(minutes=draw(st.integers(1, 60 * 1440)))
        offset = draw(st.sampled_from(_OFFSETS))
        services = draw(st.none() | st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True))
        # A file's one reason, or the three of one made through the API (either, both or none).
        reasons = draw(st.tuples(*[st.none() | _text] * 3) | st.just((None, None, None)))
        closures.append(
            Closure(
                starts.astimezone(offset),
                ends.astimezone(offset),
                draw(st.none() | _text),
                tuple(services) if services else None,
                reasons=reasons,
            )
        )
    return tuple(closures)


@st.composite
def station_records(draw: st.DrawFn, prefix: str = "") -> StationRecord:
    """Any station the importer accepts: names in one to three languages (Arabic or English among them),
    a point in Iraq, services, weekly and desk hours, closures (reasons in one or three languages), the
    desks closed on holidays, every flag."""
    names = draw(st.dictionaries(st.sampled_from(["ar", "ku", "en"]), _text, min_size=1))
    if "ar" not in names and "en" not in names:
        names["en"] = draw(_text)
    lat = draw(st.floats(29.5, 37.0))
    lon = draw(st.floats(39.0, 48.0).filter(lambda lon: governorate_for_point(lat, lon) is not None))
    always_open = draw(st.booleans())
    hours = [] if always_open else draw(_periods(None))
    for service in draw(st.lists(st.sampled_from(SERVICES), max_size=2, unique=True)):
        hours += draw(_periods(service))
    phone = draw(st.none() | st.from_regex(r"[-+(]?[0-9][0-9 ()-]{1,18}[0-9]", fullmatch=True))
    services = draw(st.lists(st.sampled_from(SERVICES), max_size=4, unique=True))
    desks = draw(st.lists(st.sampled_from(services), unique=True)) if services else []
    return StationRecord(
        names=names,
        governorate=draw(st.sampled_from(sorted(GOVERNORATES_BY_CODE))),
        latitude=lat,
        longitude=lon,
        external_id=draw(
            st.none() | st.from_regex(r"[A-Z]{2}-[0-9]{1,6}", fullmatch=True).map(prefix.__add__)
        ),
        address=draw(st.none() | _text),
        phone=phone,
        is_model_station=draw(st.booleans()),
        services=tuple(services),
        always_open=always_open,
        timezone=draw(st.sampled_from(ZONES)),
        hours=tuple(hours),
        closures=draw(_closures()),
        active=draw(st.booleans()),
        addresses=draw(st.dictionaries(st.sampled_from(["ar", "ku", "en"]), _text)),
        closes_on_holidays=draw(st.booleans()),
        desks_closed_on_holidays=tuple(desks),
    )


def _unique_ids(records: list[StationRecord]) -> bool:
    ids = [r.external_id for r in records if r.external_id is not None]
    return len(ids) == len(set(ids))


async def _pages(records: list[StationRecord]) -> AsyncIterator[list[StationRecord]]:
    for start in range(0, len(records), 3):
        yield records[start : start + 3]


async def _text_of(records: list[StationRecord], fmt: str) -> str:
    return "".join([chunk async for chunk in chunks(_pages(records), fmt)])


def _hours_as_set(record: StationRecord) -> StationRecord:
    """CSV keeps every period, not their order."""

    def key(p: Period) -> tuple[str, int, str, str]:
        return p.service or "", p.weekday, p.opens, p.closes

    return dataclasses.replace(record, hours=tuple(sorted(record.hours, key=key)))


def _parsed(text: str, fmt: str) -> list[StationRecord]:
    result = parse_csv(text) if fmt == "csv" else parse_geojson(text)
    assert result.errors == [], result.errors[:3]
    return [record for _, record in result.records]


# --- in memory ------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(records=st.lists(station_records(), max_size=6).filter(_unique_ids))
async def test_geojson_and_csv_read_back_as_the_same_stations(records: list[StationRecord]) -> None:
    assert _parsed(await _text_of(records, "geojson"), "geojson") == records
    back = _parsed(await _text_of(records, "csv"), "csv")
    assert [_hours_as_set(r) for r in back] == [_hours_as_set(r) for r in records]


def test_hours_text_groups_days_with_the_same_times() -> None:
    periods = [Period(d, "08:00", "12:00") for d in (5, 6, 0, 1, 2, 3)]
    periods += [Period(d, "16:00", "20:00") for d in (6, 0, 1, 2, 3)]
    periods += [
        Period(3, "20:00", "02:00", "CRIME_REPORTING"),
        Period(4, "20:00", "02:00", "CRIME_REPORTING"),
    ]
    assert hours_text(periods, False) == (
        "Sat 08:00-12:00; Sun-Thu 08:00-12:00,16:00-20:00; CRIME_REPORTING Thu-Fri 20:00-02:00"
    )
    assert hours_text([Period(d, "09:00", "10:00") for d in (4, 5, 6, 0)], False) == "Fri-Mon 09:00-10:00"
    assert hours_text([Period(d, "09:00", "10:00") for d in range(7)], False) == "Mon-Sun 09:00-10:00"
    assert hours_text([Period(d, "09:00", "10:00") for d in (6, 1)], False) == "Sun,Tue 09:00-10:00"
    assert hours_text([Period(0, "09:00", "10:00", "TRAFFIC")], True) == "24/7; TRAFFIC Mon 09:00-10:00"
    assert hours_text([], False) == ""


def test_csv_cells_a_spreadsheet_would_run_are_guarded() -> None:
    record = StationRecord(
        names={"en": "=HYPERLINK(1)", "ar": "'=قديم", "ku": "-بنکە"},
        governorate="IQ-BG",
        latitude=33.3,
        longitude=44.4,
        phone="+964 770 123 4567",
        address="@home",
    )
    cells = csv_values(record)
    assert (cells["name_en"], cells["name_ar"], cells["name_ku"]) == ("'=HYPERLINK(1)", "''=قديم", "'-بنکە")
    assert (cells["phone"], cells["address"], cells["latitude"]) == ("'+964 770 123 4567", "'@home", "33.3")


# --- through the database -------------------------------------------------------------------------------


async def _ours(session: Any, prefix: str) -> list[StationRecord]:
    """The stored stations of one example (their external ids start with its prefix), in id order."""
    return [
        r async for page in every_record(session) for r in page if (r.external_id or "").startswith(prefix)
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_stored_stations_export_and_import_back_unchanged(
    sessionmaker: Any, data: st.DataObject
) -> None:
    prefix = f"rt{uuid.uuid4().hex[:8]}-"
    records = data.draw(st.lists(station_records(prefix), min_size=1, max_size=5).filter(_unique_ids))
    records = [
        r if r.external_id else dataclasses.replace(r, external_id=f"{prefix}{i}")
        for i, r in enumerate(records)
    ]
    async with sessionmaker() as session:
        savepoint = await session.begin_nested()
        try:
            await write_stations(session, records)
            stored = [
                r
                async for page in every_record(session)
                for r in page
                if (r.external_id or "").startswith(prefix)
            ]
            # What is stored is the file's station, as the database keeps it (services and desks in
            # order), with its per-language addresses and holiday flags (migration 0020).
            assert stored == [
                dataclasses.replace(
                    r,
                    services=tuple(sorted(r.services)),
                    desks_closed_on_holidays=tuple(sorted(r.desks_closed_on_holidays)),
                )
                for r in records
            ]
            for fmt in ("geojson", "csv"):
                text = await _text_of(stored, fmt)
                back = _parsed(text, fmt)
                expected = stored if fmt == "geojson" else [_hours_as_set(r) for r in stored]
                assert (back if fmt == "geojson" else [_hours_as_set(r) for r in back]) == expected
                # Imported again, nothing would change...
                assert all(same_as_stored(b, s) for b, s in zip(back, stored, strict=True))
                found = await stored_records(session, [r.external_id for r in back])
                assert all(same_as_stored(b, found[b.external_id]) for b in back)
                # ...and once written, the same file comes out.
                await write_stations(session, back)
                again = [
                    r
                    async for page in every_record(session)
                    for r in page
                    if (r.external_id or "").startswith(prefix)
                ]
                assert await _text_of(again, fmt) == text
        finally:
            await savepoint.rollback()


STATION_STATE = """
query S($id: ID!) {
  station(id: $id) {
    version closesOnHolidays desks { service closesOnHolidays }
    closures { startsAt endsAt reason reasons { ar ku en } services }
  }
}"""


async def _station_state(gql: Any, station: int) -> dict[str, Any]:
    from tests.test_stations_api import gid

    body = await gql(STATION_STATE, {"id": gid("Station", station)})
    assert "errors" not in body, body
    state = body["data"]["station"]
    state.pop("version")
    return state


async def test_what_the_api_made_exports_and_imports_back_unchanged(gql: Any, sessionmaker: Any) -> None:
    """A commander's closures, with their reasons in three languages, and the desks they close on holidays
    go out in both formats and come back as they were: into the same station (nothing changes) and as a
    new one (the same station again). A file silent on the desks, as older exports are, keeps them."""
    from tests.factories import make_officer, sign_in, station_record
    from tests.test_station_management import ADD, NOW_PLUS, UPDATE, _payload
    from tests.test_stations_api import gid

    # given: a station its commander has run through the API
    prefix = f"api{uuid.uuid4().hex[:8]}-"
    services = ("COMMUNITY_POLICING", "FAMILY_AND_CHILD_PROTECTION", "TRAFFIC")
    async with sessionmaker() as session:
        await write_stations(session, [station_record(external_id=f"{prefix}1", services=services)])
        station = (await stored_records(session, [f"{prefix}1"]))[f"{prefix}1"]
        station_id = (
            await session.execute(
                sa_text("SELECT id FROM stations WHERE external_id = :e"), {"e": f"{prefix}1"}
            )
        ).scalar_one()
        _, badge = await make_officer(session, role="STATION_COMMANDER", station_id=station_id)
        await session.commit()
    headers = await sign_in(gql, badge)
    sid = gid("Station", station_id)
    updated = await _payload(
        gql,
        UPDATE,
        "updateStation",
        {
            "stationId": sid,
            "expectedVersion": 1,
            "desksClosedOnHolidays": ["TRAFFIC", "FAMILY_AND_CHILD_PROTECTION"],
        },
        headers,
    )
    assert updated["errors"] == [], updated
    reasons = {"ar": 'تدريب، "سنوي"', "ku": "ڕاهێنان", "en": "Training, yearly"}
    for version, values in (
        (2, {"reason": reasons, "services": ["TRAFFIC"]}),
        (3, {"reason": {"en": "Power cut"}}),
    ):
        added = await _payload(
            gql,
            ADD,
            "addStationClosure",
            {
                "stationId": sid,
                "expectedVersion": version,
                "startsAt": NOW_PLUS(days=1),
                "endsAt": NOW_PLUS(days=2),
                **values,
            },
            headers,
        )
        assert added["errors"] == [], added
    made = await _station_state(gql, station_id)
    assert [c["reasons"] for c in made["closures"]] == [reasons, {"ar": None, "ku": None, "en": "Power cut"}]
    assert {d["service"] for d in made["desks"] if d["closesOnHolidays"]} == {
        "TRAFFIC",
        "FAMILY_AND_CHILD_PROTECTION",
    }

    async with sessionmaker() as session:
        (stored,) = await _ours(session, prefix)
    assert stored.desks_closed_on_holidays == ("FAMILY_AND_CHILD_PROTECTION", "TRAFFIC")
    assert [c.reasons for c in stored.closures] == [
        (reasons["ar"], reasons["ku"], reasons["en"]),
        (None, None, "Power cut"),
    ]
    assert stored != station  # the API's changes are in what is exported
    for fmt in ("geojson", "csv"):
        text = await _text_of([stored], fmt)
        (back,) = _parsed(text, fmt)
        # when: the file is read back, it is the same station, reasons and desks included...
        assert _hours_as_set(back) == _hours_as_set(stored), fmt
        async with sessionmaker() as session:
            found = await stored_records(session, [f"{prefix}1"])
        assert same_as_stored(back, found[f"{prefix}1"]), fmt  # ...so importing it changes nothing
        # and imported as a new station, it is that station again, as the API shows it
        copy = dataclasses.replace(back, external_id=f"{prefix}{fmt}")
        async with sessionmaker() as session:
            await write_stations(session, [copy])
            copy_id = (
                await session.execute(
                    sa_text("SELECT id FROM stations WHERE external_id = :e"), {"e": copy.external_id}
                )
            ).scalar_one()
            await session.commit()
        assert await _station_state(gql, copy_id) == made, fmt
        async with sessionmaker() as session:
            (again,) = [r for r in await _ours(session, prefix) if r.external_id == copy.external_id]
        assert await _text_of([dataclasses.replace(again, external_id=stored.external_id)], fmt) == text

    # A file silent on the desks (an older export: no such property or column) leaves them as they are;
    # one that states none clears them.
    feature = geojson_feature(stored)
    del feature["properties"]["desks_closed_on_holidays"]
    older = json.dumps({"type": "FeatureCollection", "features": [feature]})
    (silent,) = _parsed(older, "geojson")
    assert silent.desks_closed_on_holidays == () and not silent.desks_given
    async with sessionmaker() as session:
        assert same_as_stored(silent, (await stored_records(session, [f"{prefix}1"]))[f"{prefix}1"])
        await write_stations(session, [dataclasses.replace(silent, phone="+964 770 000 0000")])
        await session.commit()
    assert (await _station_state(gql, station_id))["desks"] == made["desks"]
    cells = csv_values(dataclasses.replace(stored, desks_closed_on_holidays=()))
    assert cells["desks_closed_on_holidays"] == ""  # an empty cell says nothing...
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerow({**cells, "desks_closed_on_holidays": "[]"})
    cleared = parse_csv(out.getvalue())
    assert cleared.errors == [], cleared.errors
    (clearing,) = [r for _, r in cleared.records]
    assert clearing.desks_given and clearing.desks_closed_on_holidays == ()  # ...and "[]" says none
    async with sessionmaker() as session:
        await write_stations(session, [clearing])
        await session.commit()
    assert not any(d["closesOnHolidays"] for d in (await _station_state(gql, station_id))["desks"])


# --- the command ----------------------------------------------------------------------------------------


@pytest.fixture
async def new_database(server_url: str) -> AsyncIterator[Callable[[], Any]]:
    """Makes fresh, empty databases on the test server; all are dropped afterwards."""
    made: list[str] = []

    async def make() -> str:
        name = f"markaz_export_{uuid.uuid4().hex[:10]}"
        made.append(name)
        return await embedded.ensure_database(server_url, name)

    yield make
    conn = await asyncpg.connect(embedded.with_database(server_url, "postgres"))
    try:
        for name in made:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _run(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(markaz, "stations", *args, database_url=url, data_dir=tmp_path)


async def _snapshot(url: str) -> tuple[list[Any], list[Any]]:
    """Every stored column of every station and closure, in id order: what "changes nothing" means."""
    conn = await asyncpg.connect(url)
    try:
        stations = await conn.fetch("SELECT * FROM stations ORDER BY id")
        closures = await conn.fetch("SELECT * FROM station_closures ORDER BY id")
    finally:
        await conn.close()
    return [tuple(r.items()) for r in stations], [tuple(r.items()) for r in closures]


OVERPASS = DATA / "overpass_police.geojson"
OVERPASS_PROBLEMS = [
    "overpass_police.geojson: feature 8 (way/915503321): name: no usable name",
    "overpass_police.geojson: feature 9 (way/915503388): geometry: expected a Point, or a Polygon or "
    "MultiPolygon outline, got LineString",
    "overpass_police.geojson: feature 10 (node/6601234567): opening_hours: 'Su-Th 08:00-14:00; Jun-Sep "
    "Su-Th 07:00-13:00' uses month or date ranges ('Jun-Sep')",
    "overpass_police.geojson: feature 11 (node/6601234599): amenity: is 'fire_station', not 'police'",
]


def _problems(stderr: str) -> Iterator[str]:
    return (line for line in stderr.splitlines() if line.startswith("overpass_police.geojson: "))


async def test_an_overpass_export_imports_and_a_reimport_changes_nothing(
    new_database, tmp_path: Path
) -> None:
    url = await new_database()
    result = await _run(url, tmp_path, "import", str(OVERPASS), "--strict")
    assert result.returncode == 1 and "nothing imported" in result.stderr, _report(result)

    result = await _run(url, tmp_path, "import", str(OVERPASS), "--dry-run")
    assert "7 good row(s): would insert 7, would update 0, unchanged 0; 4 problem(s)" in result.stdout

    result = await _run(url, tmp_path, "import", str(OVERPASS))
    assert result.returncode == 1, _report(result)
    problems = list(_problems(result.stderr))
    assert len(problems) == 4 and all(
        p.startswith(w) for p, w in zip(problems, OVERPASS_PROBLEMS, strict=True)
    )
    assert "Traceback" not in result.stderr
    assert "7 good row(s): inserted 7, updated 0, unchanged 0; 4 problem(s)" in result.stdout
    before = await _snapshot(url)
    assert {row[1][1] for row in before[0]} >= {"way/482913005", "relation/13370421"}  # (external_id, ...)

    result = await _run(url, tmp_path, "import", str(OVERPASS))
    assert "7 good row(s): inserted 0, updated 0, unchanged 7; 4 problem(s)" in result.stdout, _report(result)
    assert await _snapshot(url) == before  # not even a timestamp moved


async def test_export_then_import_gives_the_same_stations(new_database, tmp_path: Path) -> None:
    first, second = await new_database(), await new_database()
    for name in ("stations_sample.csv", "stations_sample.geojson", "overpass_police.geojson"):
        result = await _run(first, tmp_path, "import", str(DATA / name))
        assert result.returncode == 1, _report(result)  # each sample has its bad rows
    total = 5 + 4 + 7

    exported = tmp_path / "stations.geojson"
    result = await _run(first, tmp_path, "export", "--output", str(exported))
    assert result.returncode == 0, _report(result)
    assert f"{total} station(s) written to {exported} as geojson" in result.stdout
    assert f"export: {total}/{total}" in result.stderr  # progress on standard error
    assert not await asyncio.to_thread(lambda: list(tmp_path.glob(".*.partial")))  # renamed when done
    csv_out = await _run(first, tmp_path, "export", "--format", "csv")  # to standard output
    assert csv_out.returncode == 0 and csv_out.stdout.startswith("external_id,name_ar,"), _report(csv_out)
    csv_file = tmp_path / "stations.csv"
    csv_file.write_text(csv_out.stdout, encoding="utf-8")

    # Into the same database: every station is found unchanged.
    for path in (exported, csv_file):
        result = await _run(first, tmp_path, "import", str(path), "--strict")
        assert result.returncode == 0, _report(result)
        assert f"inserted 0, updated 0, unchanged {total}; 0 problem(s)" in result.stdout

    # Into an empty one: the same stations come out again, byte for byte.
    result = await _run(second, tmp_path, "import", str(exported), "--strict")
    assert f"{total} good row(s): inserted {total}, updated 0, unchanged 0" in result.stdout, _report(result)
    again = await _run(second, tmp_path, "export")
    assert again.stdout == exported.read_text(encoding="utf-8")
    assert (await _run(second, tmp_path, "export", "--format", "csv")).stdout == csv_out.stdout
    features = json.loads(again.stdout)["features"]
    assert len(features) == total and {f["geometry"]["type"] for f in features} == {"Point"}


async def test_export_bad_output_is_one_line(new_database, tmp_path: Path) -> None:
    url = await new_database()
    nowhere = tmp_path / "missing" / "stations.geojson"
    result = await _run(url, tmp_path, "export", "--output", str(nowhere))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"markaz stations export: cannot write {nowhere}: No such file or directory"
    ]
    # A database never migrated has no stations to export, and says so in one line.
    result = await _run(url, tmp_path, "export")
    assert result.returncode == 1 and "Traceback" not in result.stderr, _report(result)
    assert len(result.stderr.strip().splitlines()) == 1 and "stations" in result.stderr
