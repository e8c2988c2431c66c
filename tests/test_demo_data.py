"""The governorates table, the model stations and the demo generator: pure data, no database."""

from __future__ import annotations

import itertools
import re
import time
from datetime import date

import pytest

from resolvers.demo.stations import MODEL_STATIONS, generate_stations
from resolvers.governorates import GOVERNORATES, GOVERNORATES_BY_CODE, IRAQ_BBOX, governorate_for_point
from resolvers.hours import validate_periods
from resolvers.station_records import SERVICE_NAMES, StationRecord

ISO_CODES = {
    "IQ-BG",
    "IQ-BA",
    "IQ-NI",
    "IQ-AN",
    "IQ-AR",
    "IQ-SU",
    "IQ-DA",
    "IQ-KI",
    "IQ-SD",
    "IQ-DI",
    "IQ-WA",
    "IQ-BB",
    "IQ-KA",
    "IQ-NA",
    "IQ-QA",
    "IQ-MU",
    "IQ-DQ",
    "IQ-MA",
}
ARABIC_SCRIPT = re.compile("^[\u0600-\u06ff ]+$")
TODAY = date(2026, 3, 20)  # pinned: closures are placed around `today`
DESKS = {"FAMILY_AND_CHILD_PROTECTION", "WOMEN_OFFICERS_DESK", "JUVENILE_POLICE"}


def _inside(code: str, lat: float, lon: float) -> bool:
    south, west, north, east = GOVERNORATES_BY_CODE[code].bbox
    return south <= lat <= north and west <= lon <= east


# --- governorates -----------------------------------------------------------------------------------


def test_eighteen_governorates_with_iso_codes_and_three_names() -> None:
    codes = [g.code for g in GOVERNORATES]
    assert len(codes) == 18 and set(codes) == ISO_CODES
    assert set(GOVERNORATES_BY_CODE) == ISO_CODES
    for g in GOVERNORATES:
        assert set(g.names) == {"ar", "ku", "en"}
        assert all(name.strip() for name in g.names.values()), g.code
        assert ARABIC_SCRIPT.match(g.names["ar"]) and ARABIC_SCRIPT.match(g.names["ku"]), g.code
        assert g.capital_en.strip()


def test_each_capital_lies_in_its_own_box_and_maps_to_its_governorate() -> None:
    for g in GOVERNORATES:
        south, west, north, east = g.bbox
        assert south < north and west < east
        assert _inside(g.code, g.latitude, g.longitude), g.code
        assert governorate_for_point(g.latitude, g.longitude) == g.code


def test_boxes_stay_within_iraq_box() -> None:
    south, west, north, east = IRAQ_BBOX
    for g in GOVERNORATES:
        s, w, n, e = g.bbox
        assert south <= s and west <= w and n <= north and e <= east, g.code


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (33.3128, 44.3615, "IQ-BG"),  # central Baghdad
        (30.5085, 47.7804, "IQ-BA"),  # Basra
        (36.1912, 44.0094, "IQ-AR"),  # Erbil citadel
        (37.1487, 42.6859, "IQ-DA"),  # Zakho
        (32.6160, 44.0249, "IQ-KA"),  # Karbala
        (29.9742, 48.4731, "IQ-BA"),  # al-Faw
        (33.0372, 40.2859, "IQ-AN"),  # Rutba, far west
    ],
)
def test_points_near_towns(lat: float, lon: float, expected: str) -> None:
    assert governorate_for_point(lat, lon) == expected


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (0.0, 0.0),
        (40.0, 44.0),
        (33.3, 36.3),
        (33.3, 50.0),
        (28.5, 46.0),  # Damascus, Iran, Kuwait/Saudi
        (44.4, 33.3),  # Baghdad with latitude and longitude swapped
        (float("nan"), 44.0),
        (33.3, float("inf")),
    ],
)
def test_points_outside_iraq(lat: float, lon: float) -> None:
    assert governorate_for_point(lat, lon) is None


# --- model stations ---------------------------------------------------------------------------------


def test_six_model_stations_in_the_right_governorates() -> None:
    expected = {
        "model-baghdad": "IQ-BG",
        "model-basra": "IQ-BA",
        "model-fallujah": "IQ-AN",
        "model-ramadi": "IQ-AN",
        "model-mosul-al-thaqafa": "IQ-NI",
        "model-mosul-west": "IQ-NI",
    }
    assert {s.external_id: s.governorate for s in MODEL_STATIONS} == expected
    for s in MODEL_STATIONS:
        assert governorate_for_point(s.latitude, s.longitude) == s.governorate, s.external_id
        assert _inside(s.governorate, s.latitude, s.longitude)


def test_model_stations_are_open_around_the_clock_with_desk_hours() -> None:
    for s in MODEL_STATIONS:
        assert s.is_model_station and s.always_open and s.active
        assert set(s.services) == SERVICE_NAMES
        assert all(s.names.get(lang, "").strip() for lang in ("ar", "ku", "en"))
        assert s.phone and s.phone.startswith("+964 ")
        assert s.address
        # An always-open station may only list desk hours (the importer rejects anything else).
        assert all(p.service is not None for p in s.hours)
        assert {p.service for p in s.hours} == DESKS
        assert validate_periods(s.hours) == []
        # Iraq's weekend is Friday (4) and Saturday (5): the desks keep Sunday to Thursday.
        assert {p.weekday for p in s.hours} == {6, 0, 1, 2, 3}


def test_al_thaqafa_is_on_the_east_bank_and_west_mosul_on_the_west() -> None:
    stations = {s.external_id: s for s in MODEL_STATIONS}
    east, west = stations["model-mosul-al-thaqafa"], stations["model-mosul-west"]
    assert east.longitude > west.longitude
    # The Tigris runs through central Mosul at about 43.13-43.14 E.
    assert west.longitude < 43.13 < 43.14 < east.longitude
    for s in (east, west):
        assert 36.30 < s.latitude < 36.42 and 43.05 < s.longitude < 43.25  # inside the city
    assert east.latitude > west.latitude  # Al-Thaqafa is north of the old city, by the university


# --- the generator ----------------------------------------------------------------------------------


def _generate(count: int, seed: int = 2026) -> list[StationRecord]:
    return list(generate_stations(count, seed=seed, today=TODAY))


def test_same_seed_same_records_and_another_seed_others() -> None:
    first, second = _generate(500), _generate(500)
    assert first == second
    assert _generate(500, seed=7) != first


def test_a_longer_run_starts_with_the_shorter_one() -> None:
    # A generator, not a shuffled batch: asking for more stations keeps the first ones unchanged.
    assert _generate(1000)[:300] == _generate(300)


def test_count_and_ids() -> None:
    assert _generate(0) == []
    records = _generate(250)
    assert [r.external_id for r in records] == [f"demo-{n}" for n in range(1, 251)]
    assert not any(r.is_model_station for r in records)
    with pytest.raises(ValueError):
        next(generate_stations(-1))


@pytest.mark.parametrize("seed", [2026, 1, 99])
def test_every_governorate_gets_stations(seed: int) -> None:
    assert {r.governorate for r in _generate(200, seed=seed)} == ISO_CODES
    assert {r.governorate for r in _generate(18, seed=seed)} == ISO_CODES


def test_larger_sets_keep_a_minimum_per_governorate() -> None:
    records = _generate(5000)
    counts = {code: sum(r.governorate == code for r in records) for code in ISO_CODES}
    assert min(counts.values()) >= 0.015 * len(records)
    assert max(counts, key=counts.__getitem__) == "IQ-BG"  # population still leads


def test_generated_records_are_valid() -> None:
    records = _generate(3000)
    for r in records:
        assert r.governorate in ISO_CODES
        assert _inside(r.governorate, r.latitude, r.longitude), (r.external_id, r.latitude, r.longitude)
        assert governorate_for_point(r.latitude, r.longitude) is not None  # at least inside Iraq's box
        assert r.services and set(r.services) <= SERVICE_NAMES
        assert len(set(r.services)) == len(r.services)
        assert all(r.names[lang].strip() for lang in ("ar", "ku", "en"))
        assert re.fullmatch(r"\+964 7\d0 \d{3} \d{4}", r.phone or "")
        assert r.timezone == "Asia/Baghdad"
        assert validate_periods(r.hours) == []
        desks = {p.service for p in r.hours if p.service is not None}
        assert desks <= set(r.services)
        if r.always_open:
            assert all(p.service is not None for p in r.hours)
        else:
            assert any(p.service is None for p in r.hours)
        for c in r.closures:
            assert c.starts_at.utcoffset() is not None and c.ends_at > c.starts_at
            assert abs((c.starts_at.date() - TODAY).days) <= 14
            assert c.services is None or set(c.services) <= set(r.services)


def test_generated_mix() -> None:
    records = _generate(5000)
    share = {
        "always_open": sum(r.always_open for r in records) / len(records),
        "inactive": sum(not r.active for r in records) / len(records),
        "closures": sum(bool(r.closures) for r in records) / len(records),
        "desk hours": sum(any(p.service for p in r.hours) for r in records) / len(records),
        "past midnight": sum(any(p.closes <= p.opens for p in r.hours) for r in records) / len(records),
        "community policing": sum("COMMUNITY_POLICING" in r.services for r in records) / len(records),
        "crime reporting": sum("CRIME_REPORTING" in r.services for r in records) / len(records),
    }
    assert 0.05 < share["always_open"] < 0.25
    assert 0.003 < share["inactive"] < 0.06
    assert 0.005 < share["closures"] < 0.08
    assert share["desk hours"] > 0.2 and share["past midnight"] > 0.05
    assert share["community policing"] > 0.9 and share["crime reporting"] > 0.9


def test_ten_thousand_records_are_quick() -> None:
    started = time.perf_counter()
    count = sum(1 for _ in itertools.islice(generate_stations(10_000, today=TODAY), 10_000))
    elapsed = time.perf_counter() - started
    assert count == 10_000
    assert elapsed < 2.0, f"10,000 records took {elapsed:.2f} s"
