"""The Open311 services citizens may report, with their names and attributes in Arabic, Kurdish and
English, and the codes that are never offered (sensitive matters go to the station, not a public form)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from resolvers.lang import localized


@dataclasses.dataclass(frozen=True, slots=True)
class Attribute:
    code: str
    names: Mapping[str, str]
    values: tuple[tuple[str, Mapping[str, str]], ...]
    required: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Service:
    code: str
    names: Mapping[str, str]
    descriptions: Mapping[str, str]
    group: str
    station_service: str
    attributes: tuple[Attribute, ...] = ()


_WHEN = Attribute(
    "when",
    {"ar": "متى يحدث؟", "ku": "کەی ڕوودەدات؟", "en": "When does it happen?"},
    (
        ("day", {"ar": "نهاراً", "ku": "بە ڕۆژ", "en": "In the day"}),
        ("evening", {"ar": "مساءً", "ku": "ئێواران", "en": "In the evening"}),
        ("night", {"ar": "ليلاً", "ku": "بە شەو", "en": "At night"}),
    ),
)
SERVICES: tuple[Service, ...] = (
    Service(
        "street_lighting",
        {"ar": "إنارة شارع معطلة", "ku": "ڕووناکی شەقام کوژاوەتەوە", "en": "Street light out"},
        {
            "ar": "شارع مظلم يشعر فيه الناس بعدم الأمان.",
            "ku": "شەقامێکی تاریک کە خەڵک تێیدا هەست بە ناسەلامەتی دەکەن.",
            "en": "A dark street where people feel unsafe.",
        },
        "safety",
        "COMMUNITY_POLICING",
    ),
    Service(
        "noise",
        {"ar": "إزعاج وضوضاء", "ku": "ژاوەژاو", "en": "Noise nuisance"},
        {
            "ar": "ضوضاء متكررة تزعج الحي.",
            "ku": "ژاوەژاوی دووبارە کە گەڕەک بێزار دەکات.",
            "en": "Repeated noise that disturbs the neighbourhood.",
        },
        "neighbourhood",
        "COMMUNITY_POLICING",
        (_WHEN,),
    ),
    Service(
        "celebratory_gunfire",
        {"ar": "إطلاق نار احتفالي", "ku": "تەقەی ئاهەنگ", "en": "Celebratory gunfire"},
        {
            "ar": "إطلاق نار في المناسبات تكرر في المنطقة (بعد وقوعه؛ أثناءه اتصل بالطوارئ).",
            "ku": "تەقە لە بۆنەکاندا کە لە ناوچەکە دووبارە دەبێتەوە "
            "(دوای ڕوودانی؛ لە کاتیدا پەیوەندی بە فریاکەوتن بکە).",
            "en": "Gunfire at celebrations, repeated in the area (afterwards; while it happens, call the "
            "emergency number).",
        },
        "safety",
        "COMMUNITY_POLICING",
        (_WHEN,),
    ),
    Service(
        "abandoned_vehicle",
        {"ar": "مركبة متروكة", "ku": "ئۆتۆمبێلی بەجێهێڵراو", "en": "Abandoned vehicle"},
        {
            "ar": "مركبة متروكة منذ أيام.",
            "ku": "ئۆتۆمبێلێک کە چەند ڕۆژێکە بەجێهێڵراوە.",
            "en": "A vehicle left for days.",
        },
        "traffic",
        "TRAFFIC",
    ),
    Service(
        "road_hazard",
        {"ar": "خطر على الطريق", "ku": "مەترسی سەر ڕێگا", "en": "Road hazard"},
        {
            "ar": "حفرة أو عائق أو غطاء مفقود على الطريق.",
            "ku": "چاڵ یان ڕێگر یان سەرپۆشی ونبوو لەسەر ڕێگا.",
            "en": "A pothole, an obstacle or a missing cover on the road.",
        },
        "traffic",
        "TRAFFIC",
        (
            Attribute(
                "kind",
                {"ar": "نوع الخطر", "ku": "جۆری مەترسی", "en": "What kind of hazard?"},
                (
                    ("pothole", {"ar": "حفرة", "ku": "چاڵ", "en": "Pothole"}),
                    ("obstacle", {"ar": "عائق", "ku": "ڕێگر", "en": "Obstacle"}),
                    ("missing_cover", {"ar": "غطاء مفقود", "ku": "سەرپۆشی ونبوو", "en": "Missing cover"}),
                    ("flooding", {"ar": "تجمع مياه", "ku": "ئاو کۆبوونەوە", "en": "Flooding"}),
                ),
                required=True,
            ),
        ),
    ),
    Service(
        "suspicious_activity",
        {
            "ar": "نشاط مشبوه (غير عاجل)",
            "ku": "چالاکی گوماناوی (نا بەپەلە)",
            "en": "Suspicious activity (not urgent)",
        },
        {
            "ar": "شيء يثير القلق ولا يحتاج إلى استجابة فورية.",
            "ku": "شتێک کە نیگەرانی دروست دەکات و پێویستی بە وەڵامی دەستبەجێ نییە.",
            "en": "Something worrying that needs no immediate response.",
        },
        "safety",
        "COMMUNITY_POLICING",
        (_WHEN,),
    ),
    Service(
        "vandalism",
        {"ar": "تخريب ممتلكات عامة", "ku": "تێکدانی موڵکی گشتی", "en": "Vandalism of public property"},
        {
            "ar": "أضرار متعمدة بممتلكات عامة.",
            "ku": "زیانی بەئەنقەست بە موڵکی گشتی.",
            "en": "Deliberate damage to public property.",
        },
        "neighbourhood",
        "COMMUNITY_POLICING",
    ),
)
BY_CODE = {s.code: s for s in SERVICES}
# Never reported through a public, open form: the answer points to the station and its family desk.
REFUSED_CODES = frozenset(
    {"domestic_violence", "family_violence", "child_protection", "child_abuse", "juvenile", "sexual_violence"}
)


def service_name(code: str, lang: str) -> str:
    service = BY_CODE.get(code)
    return localized(service.names, lang) if service else code
