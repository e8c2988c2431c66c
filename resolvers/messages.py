"""Messages for people, in Arabic, Kurdish (Sorani) and English, chosen by `Accept-Language`.

Clients branch on error codes and fields, never on this text; the text is for the person holding the phone.
"""

from __future__ import annotations

from resolvers.lang import localized

CATALOG: dict[str, dict[str, str]] = {
    "range": {
        "en": "{field} must be between {low} and {high}.",
        "ar": "يجب أن تكون قيمة {field} بين {low} و{high}.",
        "ku": "{field} دەبێت لە نێوان {low} و {high} بێت.",
    },
    "not_finite": {
        "en": "{field} must be a finite number.",
        "ar": "يجب أن تكون قيمة {field} رقماً محدداً.",
        "ku": "{field} دەبێت ژمارەیەکی دیاریکراو بێت.",
    },
    "positive": {
        "en": "{field} must be greater than zero.",
        "ar": "يجب أن تكون قيمة {field} أكبر من صفر.",
        "ku": "{field} دەبێت لە سفر زیاتر بێت.",
    },
    "bad_id": {
        "en": "{field} is not a valid {kind} id.",
        "ar": "{field} ليس معرّفاً صالحاً من نوع {kind}.",
        "ku": "{field} ناسنامەیەکی دروستی {kind} نییە.",
    },
    "bad_cursor": {
        "en": "{field} is not a cursor this list gave out.",
        "ar": "{field} ليس مؤشراً صادراً عن هذه القائمة.",
        "ku": "{field} نیشاندەرێک نییە کە ئەم لیستە دابێتی.",
    },
    "too_long": {
        "en": "{field} must be at most {high} characters.",
        "ar": "يجب ألا يتجاوز {field} {high} حرفاً.",
        "ku": "{field} نابێت لە {high} پیت زیاتر بێت.",
    },
    "too_many": {
        "en": "{field} may hold at most {high} items.",
        "ar": "يجب ألا يحتوي {field} على أكثر من {high} عنصراً.",
        "ku": "{field} نابێت لە {high} دانە زیاتر بێت.",
    },
    "internal": {
        "en": "Something went wrong on our side. Quote request id {request_id} when reporting it.",
        "ar": "حدث خطأ من جهتنا. اذكر رقم الطلب {request_id} عند الإبلاغ عنه.",
        "ku": "هەڵەیەک لە لای ئێمە ڕوویدا. ژمارەی داواکاری {request_id} بنووسە کاتێک ڕاپۆرتی دەکەیت.",
    },
}


def message(key: str, lang: str, **params: object) -> str:
    return localized(CATALOG[key], lang).format(**params)
