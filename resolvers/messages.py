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
    "invalid_credentials": {
        "en": "The badge number or password is wrong.",
        "ar": "رقم الشارة أو كلمة المرور غير صحيح.",
        "ku": "ژمارەی باج یان وشەی نهێنی هەڵەیە.",
    },
    "locked": {
        "en": "Too many failed attempts. Try again in {minutes} minutes.",
        "ar": "محاولات فاشلة كثيرة. حاول مرة أخرى بعد {minutes} دقيقة.",
        "ku": "هەوڵی شکستخواردووی زۆر. دوای {minutes} خولەک دووبارە هەوڵ بدەرەوە.",
    },
    "session_ended": {
        "en": "This sign-in has ended. Sign in again.",
        "ar": "انتهت جلسة الدخول هذه. سجّل الدخول مرة أخرى.",
        "ku": "ئەم چوونەژوورەوەیە کۆتایی هات. دووبارە بچۆ ژوورەوە.",
    },
    "unauthenticated": {
        "en": "Sign in to do this.",
        "ar": "سجّل الدخول للقيام بذلك.",
        "ku": "بۆ ئەم کارە بچۆ ژوورەوە.",
    },
    "forbidden": {
        "en": "You may not do this.",
        "ar": "لا يحق لك القيام بذلك.",
        "ku": "ڕێگەت پێنەدراوە ئەمە بکەیت.",
    },
    "required": {
        "en": "{field} is required.",
        "ar": "{field} مطلوب.",
        "ku": "{field} پێویستە.",
    },
    "empty": {
        "en": "{field} must not be empty.",
        "ar": "يجب ألا يكون {field} فارغاً.",
        "ku": "{field} نابێت بەتاڵ بێت.",
    },
    "in_future": {
        "en": "{field} is too far in the future.",
        "ar": "{field} بعيد جداً في المستقبل.",
        "ku": "{field} زۆر لە داهاتوودایە.",
    },
    "too_old": {
        "en": "{field} is too far in the past.",
        "ar": "{field} بعيد جداً في الماضي.",
        "ku": "{field} زۆر لە ڕابردوودایە.",
    },
    "not_found": {
        "en": "{field}: no such {kind}.",
        "ar": "{field}: لا يوجد {kind} بهذا المعرّف.",
        "ku": "{field}: هیچ {kind}ێک بەم ناسنامەیە نییە.",
    },
    "not_more_than": {
        "en": "{field} cannot be more than {other}.",
        "ar": "لا يمكن أن يكون {field} أكثر من {other}.",
        "ku": "{field} ناتوانێت لە {other} زیاتر بێت.",
    },
    "conflict_client_id": {
        "en": "{field} was already used for different content.",
        "ar": "{field} مستخدم مسبقاً لمحتوى مختلف.",
        "ku": "{field} پێشتر بۆ ناوەڕۆکێکی جیاواز بەکارهاتووە.",
    },
    "stale_version": {
        "en": "{field} is {given} but the record is at version {current}: reload and try again.",
        "ar": "{field} هو {given} لكن السجل في الإصدار {current}: أعد التحميل وحاول مجدداً.",
        "ku": "{field} {given}ە بەڵام تۆمارەکە لە وەشانی {current}دایە: دووبارە باری بکەرەوە.",
    },
    "bad_transition": {
        "en": "{field}: an incident cannot go from {current} to {target}.",
        "ar": "{field}: لا يمكن نقل البلاغ من {current} إلى {target}.",
        "ku": "{field}: ڕووداوەکە ناتوانێت لە {current}ەوە بچێتە {target}.",
    },
    "patrol_ended": {
        "en": "{field}: the patrol has already ended.",
        "ar": "{field}: انتهت الدورية بالفعل.",
        "ku": "{field}: پاسەوانییەکە پێشتر کۆتایی هاتووە.",
    },
    "not_your_station": {
        "en": "{field}: this station's records are not yours.",
        "ar": "{field}: سجلات هذا المركز ليست من صلاحيتك.",
        "ku": "{field}: تۆمارەکانی ئەم بنکەیە هی تۆ نین.",
    },
    "no_station_near": {
        "en": "{field}: no active station in this governorate; give stationId.",
        "ar": "{field}: لا يوجد مركز فعّال في هذه المحافظة؛ حدّد stationId.",
        "ku": "{field}: هیچ بنکەیەکی چالاک لەم پارێزگایە نییە؛ stationId دیاری بکە.",
    },
    "internal": {
        "en": "Something went wrong on our side. Quote request id {request_id} when reporting it.",
        "ar": "حدث خطأ من جهتنا. اذكر رقم الطلب {request_id} عند الإبلاغ عنه.",
        "ku": "هەڵەیەک لە لای ئێمە ڕوویدا. ژمارەی داواکاری {request_id} بنووسە کاتێک ڕاپۆرتی دەکەیت.",
    },
}


def message(key: str, lang: str, **params: object) -> str:
    return localized(CATALOG[key], lang).format(**params)
