"""The tags of an OpenStreetMap police station, read as the importer's station properties.

An Overpass export (overpass turbo's "Export, GeoJSON", which is osmtogeojson) gives each element as a
Feature whose properties are its tags, with "@id" like "way/123" (older exports nest them: properties
{"type": "way", "id": 123, "tags": {...}}). `station_properties` turns those tags into the properties
`resolvers.station_import` reads for its own format, and says which tag each came from, so that a
problem is reported under the tag the mapper can fix.

The rules, for the README and for whoever maps stations:
- Only `amenity=police` is a station; any other feature is reported and skipped.
- The OSM id ("way/123", "node/456", "relation/789") is the external id: importing a newer export
  updates the same stations.
- Names: Arabic from `name:ar`, Kurdish from `name:ckb` (Sorani), else `name:ku`, English from
  `name:en`. `name` fills the language its script says, when that language has no name yet: Arabic
  script is Arabic (`name` is usually Arabic in Iraq), unless it has letters only Kurdish uses
  (ە ێ ۆ ڕ ڵ ڤ), which make it Sorani; Latin script is English. A `name` equal to one of the language
  tags is that language's name and fills nothing else (a Kurmanji `name` = `name:ku` in Duhok is not
  English). An Arabic or English name is required, as for every station.
- Phone from `phone`, else `contact:phone`, `contact:mobile`, `mobile`; of several separated by ";",
  the first.
- Address from `addr:*`, one readable line per language: `addr:full` (or `addr:full:ar`, ...) as it is,
  else street and house number, neighbourhood, quarter, suburb, district, city and postcode, each part
  taken from its language's tag (`addr:street:en`) or from the plain tag when its script is the
  language's. The station's one stored `address` is the Arabic line, else the English, else the Kurdish.
- Governorate from `addr:province`, `addr:state`, `addr:governorate`, `is_in:province` or
  `is_in:state` (a name in Arabic, Kurdish or English, or a code like IQ-BG); with none, from the point.
- Hours from `opening_hours` (resolvers/osm_hours.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resolvers.governorates import GOVERNORATES, GOVERNORATES_BY_CODE
from resolvers.osm_hours import OpeningHoursError, parse_opening_hours
from resolvers.text_fold import fold

OSM_ID = re.compile(r"(?:node|way|relation)/[1-9][0-9]*")
LANGUAGES = ("ar", "ku", "en")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_KURDISH_LETTERS = re.compile("[\u06d5\u06ce\u06c6\u0695\u06b5\u06a4]")  # ە ێ ۆ ڕ ڵ ڤ
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_NAME_TAGS = {"ar": ("name:ar",), "ku": ("name:ckb", "name:ku"), "en": ("name:en",)}
_PHONE_TAGS = ("phone", "contact:phone", "contact:mobile", "mobile")
_GOVERNORATE_TAGS = ("addr:province", "addr:state", "addr:governorate", "is_in:province", "is_in:state")
# The parts of a readable address, in the order they are written; the house number goes with the street.
_ADDRESS_PARTS = ("street", "place", "neighbourhood", "quarter", "suburb", "district", "city", "postcode")
_SEPARATOR = {"ar": "، ", "ku": "، ", "en": ", "}
# Spellings met in OpenStreetMap and elsewhere beside the names in resolvers/governorates.py.
_OTHER_NAMES = {
    "IQ-BA": ("Basrah",),
    "IQ-NI": ("Ninawa", "Ninewa", "نينوا"),
    "IQ-AN": ("Al Anbar",),
    "IQ-AR": ("Arbil", "Irbil", "Hawler", "Hewlêr", "اربيل"),
    "IQ-SU": ("Sulaimaniyah", "Sulaymaniya", "Slemani", "Sulaimani", "Halabja", "حلبجة", "هەڵەبجە"),
    "IQ-DA": ("Dohuk", "Dahuk", "Dihok", "دهۆک"),
    "IQ-KI": ("Kerkuk", "Tamim", "At-Ta'mim", "التأميم"),
    "IQ-SD": ("Salahuddin", "Salah al-Din", "Saladin", "Salaheddin"),
    "IQ-DI": ("Diala",),
    "IQ-WA": ("Wassit",),
    "IQ-BB": ("Babylon", "Babel"),
    "IQ-KA": ("Kerbala", "Karbalaa"),
    "IQ-QA": ("Qadisiyah", "Al-Qadisiyah", "Diwaniyah", "الديوانية"),
    "IQ-MU": ("Al Muthanna",),
    "IQ-DQ": ("Thi Qar", "Dhiqar", "ذيقار"),
    "IQ-MA": ("Missan", "Misan"),
}
# Words around a governorate's name: "Baghdad Governorate", "محافظة بغداد", "پارێزگای هەولێر".
_GOVERNORATE_WORDS = re.compile(
    r"\b(?:governorate|province|muhafazat)\b|محافظة|محافظه|پارێزگای|پارێزگا", re.I
)


def _governorate_key(text: str) -> str:
    """A name folded for matching: no governorate word, case, marks, spaces or the article al-/ال."""
    folded = fold(_GOVERNORATE_WORDS.sub(" ", text))
    words = re.sub(r"[\s\-'’.]+", " ", folded).split()
    words = [w[2:] if w.startswith("ال") and len(w) > 3 else w for w in words]
    if words and words[0] in ("al", "el", "as", "at"):
        words = words[1:]
    return "".join(words)


_GOVERNORATE_BY_NAME = {
    _governorate_key(name): g.code
    for g in GOVERNORATES
    for name in (*g.names.values(), *_OTHER_NAMES.get(g.code, ()))
}


def script(text: str) -> str | None:
    """The language a text's script points to: "ku", "ar" or "en"; None for digits and signs only."""
    if _ARABIC_SCRIPT.search(text):
        return "ku" if _KURDISH_LETTERS.search(text) else "ar"
    return "en" if _LATIN.search(text) else None


def tags_of(feature: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any] | None:
    """The OSM tags of a feature from an OSM export, with "@id" set when the export gives one; None for a
    feature in the importer's own format (no `amenity`, no "@id", no nested `tags`)."""
    nested = props.get("tags")
    if isinstance(nested, dict):  # osmtogeojson before 3.0: {"type": "way", "id": 123, "tags": {...}}
        kind, number = props.get("type"), props.get("id")
        osm_id = f"{kind}/{number}" if kind in ("node", "way", "relation") and number is not None else None
        return {**nested, "@id": osm_id or props.get("@id") or feature.get("id")}
    if "amenity" not in props and "@id" not in props:
        return None
    return {**props, "@id": props.get("@id") or feature.get("id") or props.get("id")}


@dataclass
class Mapped:
    """A feature's tags as importer properties, or the reason it was skipped."""

    properties: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # importer field -> the tag it was read from
    problems: list[tuple[str, str]] = field(default_factory=list)  # (tag, reason)
    skipped: bool = False  # not a police station: reported, and nothing else is read


def _text(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() or None if isinstance(value, str) else None


def _names(tags: Mapping[str, Any], mapped: Mapped) -> None:
    for lang in LANGUAGES:
        for tag in _NAME_TAGS[lang]:
            if (value := tags.get(tag)) not in (None, ""):
                mapped.properties[f"name_{lang}"] = value
                mapped.sources[f"names.{lang}"] = tag
                break
    given = _text(tags.get("name"))
    if given is None or given in (_text(v) for v in mapped.properties.values()):
        return  # `name` repeats a language's own name (name = name:ku in Duhok): it is that language's
    found = script(given)
    if found and f"name_{found}" not in mapped.properties:
        mapped.properties[f"name_{found}"] = given
        mapped.sources[f"names.{found}"] = "name"


def _part(tags: Mapping[str, Any], part: str, lang: str) -> tuple[str | None, bool]:
    """An address part in a language: (text, whether it has words in that language, not only numbers)."""
    own = ("ckb", "ku") if lang == "ku" else (lang,)
    for suffix in own:
        if text := _text(tags.get(f"addr:{part}:{suffix}")):
            return text, True
    text = _text(tags.get(f"addr:{part}"))
    if text is None:
        return None, False
    written_in = script(text)
    return (text, True) if written_in == lang else (text, False) if written_in is None else (None, False)


def address_lines(tags: Mapping[str, Any]) -> dict[str, str]:
    """A readable address per language from the `addr:*` tags (see the module docstring)."""
    lines = {}
    for lang in LANGUAGES:
        full, worded = _part(tags, "full", lang)
        if full and worded:
            lines[lang] = full
            continue
        parts: list[str] = []
        worded = False
        for name in _ADDRESS_PARTS:
            text, words = _part(tags, name, lang)
            if name == "street" and text:  # "شارع فلسطين 12": the number only with its street
                number, _ = _part(tags, "housenumber", lang)
                text = f"{text} {number}" if number else text
            if text and text.casefold() not in (p.casefold() for p in parts):
                parts.append(text)
                worded = worded or words
        if worded:
            lines[lang] = _SEPARATOR[lang].join(parts)
    return lines


def _governorate(tags: Mapping[str, Any], mapped: Mapped) -> None:
    for tag in _GOVERNORATE_TAGS:
        value = _text(tags.get(tag))
        if value is None:
            continue
        code = (
            value.upper()
            if value.upper() in GOVERNORATES_BY_CODE
            else _GOVERNORATE_BY_NAME.get(_governorate_key(value))
        )
        if code is None:
            mapped.problems.append(
                (tag, f"'{value}' is not a governorate of Iraq; use its name or a code like IQ-BG")
            )
        else:
            mapped.properties["governorate"] = code
            mapped.sources["governorate"] = tag
        return


def _phone(tags: Mapping[str, Any], mapped: Mapped) -> None:
    for tag in _PHONE_TAGS:
        if (value := _text(tags.get(tag))) is not None:
            mapped.properties["phone"] = value.split(";")[0].strip()  # OSM lists several with ";"
            mapped.sources["phone"] = tag
            return


def _hours(tags: Mapping[str, Any], mapped: Mapped) -> None:
    value = tags.get("opening_hours")
    if value is None:
        return
    if not isinstance(value, str):
        mapped.problems.append(("opening_hours", "must be text"))
        return
    try:
        weekly = parse_opening_hours(value)
    except OpeningHoursError as error:
        mapped.problems.append(("opening_hours", str(error)))
        return
    mapped.properties["always_open"] = weekly.always_open
    mapped.properties["closes_on_holidays"] = weekly.closes_on_holidays
    mapped.properties["hours"] = [
        {"weekday": p.weekday, "opens": p.opens, "closes": p.closes} for p in weekly.periods
    ]


def station_properties(tags: Mapping[str, Any]) -> Mapped:
    """The importer's properties of a station from its OSM tags; `skipped` when it is no police station."""
    mapped = Mapped()
    amenity = tags.get("amenity")
    values = [v.strip() for v in amenity.split(";")] if isinstance(amenity, str) else []
    if "police" not in values:
        what = f"is '{amenity}'" if amenity not in (None, "") else "is missing"
        mapped.problems.append(("amenity", f"{what}, not 'police': not a police station, skipped"))
        mapped.skipped = True
        return mapped
    osm_id = tags.get("@id")
    if osm_id is not None:
        mapped.properties["external_id"] = osm_id
        mapped.sources["external_id"] = "@id"
    _names(tags, mapped)
    _phone(tags, mapped)
    _governorate(tags, mapped)
    _hours(tags, mapped)
    lines = address_lines(tags)
    mapped.properties.update({f"address_{lang}": line for lang, line in lines.items()})
    mapped.sources.update({f"addresses.{lang}": "addr:*" for lang in lines})
    stored = next((lines[lang] for lang in ("ar", "en", "ku") if lang in lines), None)
    if stored is not None:
        mapped.properties["address"] = stored
        mapped.sources["address"] = "addr:*"
    return mapped
