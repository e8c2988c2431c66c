"""Iraq's 18 governorates: ISO 3166-2:IQ codes, names in Arabic, Kurdish and English, capitals, rough extents.

The bounding boxes are generous on purpose: they only pick candidates, and the nearest capital among
them decides, so a point near a border goes to the governorate whose seat is closer.
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True, slots=True)
class Governorate:
    code: str
    names: dict[str, str]
    capital_en: str
    latitude: float
    longitude: float
    bbox: tuple[float, float, float, float]  # south, west, north, east


def _g(code, ar, ku, en, capital, lat, lon, bbox) -> Governorate:
    return Governorate(code, {"ar": ar, "ku": ku, "en": en}, capital, lat, lon, bbox)


GOVERNORATES: tuple[Governorate, ...] = (
    _g("IQ-BG", "بغداد", "بەغدا", "Baghdad", "Baghdad", 33.3152, 44.3661, (32.9, 43.9, 33.9, 45.0)),
    _g("IQ-BA", "البصرة", "بەسرە", "Basra", "Basra", 30.5081, 47.7835, (29.05, 46.3, 31.3, 48.65)),
    _g("IQ-NI", "نينوى", "نەینەوا", "Nineveh", "Mosul", 36.3400, 43.1300, (35.0, 41.1, 37.1, 44.0)),
    _g("IQ-AN", "الأنبار", "ئەنبار", "Anbar", "Ramadi", 33.4206, 43.3078, (30.9, 38.7, 35.1, 44.2)),
    _g("IQ-AR", "أربيل", "هەولێر", "Erbil", "Erbil", 36.1911, 44.0092, (35.8, 43.3, 37.3, 45.0)),
    _g("IQ-SU", "السليمانية", "سلێمانی", "Sulaymaniyah", "Sulaymaniyah", 35.5613, 45.4306,
       (34.4, 44.5, 36.5, 46.3)),
    _g("IQ-DA", "دهوك", "دهۆک", "Duhok", "Duhok", 36.8669, 42.9503, (36.5, 42.3, 37.4, 44.4)),
    _g("IQ-KI", "كركوك", "کەرکووک", "Kirkuk", "Kirkuk", 35.4681, 44.3922, (34.9, 43.4, 35.9, 44.9)),
    _g("IQ-SD", "صلاح الدين", "سەلاحەدین", "Salah ad-Din", "Tikrit", 34.6071, 43.6782,
       (33.5, 42.6, 35.5, 45.0)),
    _g("IQ-DI", "ديالى", "دیالە", "Diyala", "Baqubah", 33.7466, 44.6437, (33.2, 44.3, 35.2, 46.0)),
    _g("IQ-WA", "واسط", "واست", "Wasit", "Kut", 32.5128, 45.8182, (31.9, 44.5, 33.6, 46.6)),
    _g("IQ-BB", "بابل", "بابل", "Babil", "Hillah", 32.4637, 44.4196, (32.0, 44.0, 33.2, 45.2)),
    _g("IQ-KA", "كربلاء", "کەربەلا", "Karbala", "Karbala", 32.6160, 44.0249, (32.0, 42.9, 33.0, 44.3)),
    _g("IQ-NA", "النجف", "نەجەف", "Najaf", "Najaf", 32.0259, 44.3462, (29.0, 42.0, 32.5, 44.7)),
    _g("IQ-QA", "القادسية", "قادسیە", "Al-Qadisiyyah", "Diwaniyah", 31.9929, 44.9255,
       (31.2, 44.4, 32.5, 45.6)),
    _g("IQ-MU", "المثنى", "موسەننا", "Muthanna", "Samawah", 31.3099, 45.2806, (29.0, 43.8, 31.9, 46.6)),
    _g("IQ-DQ", "ذي قار", "زیقار", "Dhi Qar", "Nasiriyah", 31.0439, 46.2576, (30.5, 45.5, 32.1, 47.2)),
    _g("IQ-MA", "ميسان", "مەیسان", "Maysan", "Amarah", 31.8356, 47.1448, (31.0, 46.3, 32.8, 47.9)),
)
GOVERNORATES_BY_CODE = {g.code: g for g in GOVERNORATES}
IRAQ_BBOX = (29.0, 38.7, 37.4, 48.8)  # south, west, north, east


def _inside(lat: float, lon: float, bbox: tuple[float, float, float, float]) -> bool:
    south, west, north, east = bbox
    return south <= lat <= north and west <= lon <= east


def governorate_for_point(lat: float, lon: float) -> str | None:
    """The governorate of a point in Iraq (by extent, then nearest capital); None outside Iraq."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or not _inside(lat, lon, IRAQ_BBOX):
        return None
    candidates = [g for g in GOVERNORATES if _inside(lat, lon, g.bbox)] or list(GOVERNORATES)
    scale = math.cos(math.radians(lat))
    return min(candidates, key=lambda g: (g.latitude - lat) ** 2 + ((g.longitude - lon) * scale) ** 2).code
