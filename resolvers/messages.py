"""Messages for people, in Arabic, Kurdish (Sorani) and English, chosen by `Accept-Language`.

Clients branch on error codes and fields, never on this text; the text is for the person holding the phone.
"""

from __future__ import annotations

from resolvers.lang import localized

CATALOG: dict[str, dict[str, str]] = {
    "not_for_emergencies": {
        "en": "Not for emergencies: call {emergency}.",
        "ar": "ليس للطوارئ: اتصل بـ {emergency}.",
        "ku": "بۆ فریاکەوتن نییە: پەیوەندی بە {emergency} بکە.",
    },
    "bad_station_token": {
        "en": "{field} is not this station's code: scan the code at the station again.",
        "ar": "{field} ليس رمز هذا المركز: امسح الرمز في المركز مرة أخرى.",
        "ku": "{field} کۆدی ئەم بنکەیە نییە: دووبارە کۆدەکە لە بنکەکە بخوێنەرەوە.",
    },
    "tokenless_feedback_limited": {
        "en": "This station has had many answers without its code just now: scan the code at the station, "
        "or try again in {seconds} s.",
        "ar": "وصلت إلى هذا المركز إجابات كثيرة دون رمزه الآن: امسح الرمز في المركز، أو أعد المحاولة بعد "
        "{seconds} ثانية.",
        "ku": "ئەم بنکەیە ئێستا وەڵامی زۆری بێ کۆدەکەی بۆ هاتووە: کۆدەکە لە بنکەکە بخوێنەرەوە، یان دوای "
        "{seconds} چرکە هەوڵ بدەرەوە.",
    },
    "bad_url": {
        "en": "{field} must be an http or https address.",
        "ar": "يجب أن يكون {field} عنواناً يبدأ بـ http أو https.",
        "ku": "{field} دەبێت ناونیشانێکی http یان https بێت.",
    },
    "open311_notice": {
        "en": "Your report is with {station}. This is not for emergencies: call {emergency}.",
        "ar": "بلاغك لدى {station}. هذا ليس للطوارئ: اتصل بـ {emergency}.",
        "ku": "ڕاپۆرتەکەت لای {station}ە. ئەمە بۆ فریاکەوتن نییە: پەیوەندی بە {emergency} بکە.",
    },
    "bad_request_body": {
        "en": "The request could not be read: {field}.",
        "ar": "تعذرت قراءة الطلب: {field}.",
        "ku": "داواکارییەکە نەخوێندرایەوە: {field}.",
    },
    "bad_api_key": {
        "en": "This api_key is not one of a registered app.",
        "ar": "مفتاح api_key هذا ليس لتطبيق مسجّل.",
        "ku": "ئەم api_key ـە هی بەرنامەیەکی تۆمارکراو نییە.",
    },
    "control_characters": {
        "en": "{field} may not hold control characters.",
        "ar": "لا يجوز أن يحتوي {field} على محارف تحكم.",
        "ku": "{field} نابێت پیتی کۆنترۆڵی تێدابێت.",
    },
    "sensitive_service": {
        "en": "This cannot be reported here. For violence in a family or harm to a child, call the station "
        "on {phone} or the family-protection desk; in an emergency call {emergency}.",
        "ar": "لا يمكن الإبلاغ عن هذا هنا. للعنف الأسري أو الأذى بحق طفل اتصل بالمركز على {phone} أو بقسم "
        "حماية الأسرة؛ وفي حالة الطوارئ اتصل بـ {emergency}.",
        "ku": "ئەمە لێرە ڕاناگەیەنرێت. بۆ توندوتیژی خێزانی یان ئازاردانی منداڵ پەیوەندی بە بنکەوە بکە لە "
        "{phone} یان بەشی پاراستنی خێزان؛ لە کاتی فریاکەوتندا پەیوەندی بە {emergency} بکە.",
    },
    "no_station_serves": {
        "en": "No station serves this place: it is outside every station's area.",
        "ar": "لا يخدم أي مركز هذا المكان: إنه خارج منطقة كل المراكز.",
        "ku": "هیچ بنکەیەک خزمەتی ئەم شوێنە ناکات: لە دەرەوەی ناوچەی هەموو بنکەکانە.",
    },
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
    "bad_cell": {
        "en": "{field} must be an H3 cell of resolution {low} to {high}, as activityMap gives them.",
        "ar": "يجب أن يكون {field} خلية H3 بدقة من {low} إلى {high}، كما يعطيها activityMap.",
        "ku": "{field} دەبێت خانەیەکی H3 بێت بە وردی {low} تا {high}، وەک activityMap دەیدات.",
    },
    "bad_node_id": {
        "en": '{field} is not a valid id: "{value}".',
        "ar": '{field} ليس معرّفاً صالحاً: "{value}".',
        "ku": '{field} ناسنامەیەکی دروست نییە: "{value}".',
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
    "throttled_seconds": {
        "en": "Too many failed sign-ins from here. Try again in {seconds} seconds.",
        "ar": "محاولات دخول فاشلة كثيرة من هنا. حاول مرة أخرى بعد {seconds} ثانية.",
        "ku": "هەوڵی چوونەژوورەوەی شکستخواردووی زۆر لێرەوە. دوای {seconds} چرکە دووبارە هەوڵ بدەرەوە.",
    },
    "throttled_minutes": {
        "en": "Too many failed sign-ins from here. Try again in {minutes} minutes.",
        "ar": "محاولات دخول فاشلة كثيرة من هنا. حاول مرة أخرى بعد {minutes} دقيقة.",
        "ku": "هەوڵی چوونەژوورەوەی شکستخواردووی زۆر لێرەوە. دوای {minutes} خولەک دووبارە هەوڵ بدەرەوە.",
    },
    # Said plainly, without "update the app": what is refused is in no kept release (a developer build,
    # a modified app, someone trying the API), and a release is retired by deleting its manifest, so the
    # server cannot tell a retired release's operation from one that never shipped.
    "operation_not_allowed": {
        "en": "This request is not an operation of any released Markaz app, so this server does not run it.",
        "ar": "هذا الطلب ليس من عمليات أيّ إصدار منشور من تطبيقات مركز، لذلك لا ينفّذه هذا الخادم.",
        "ku": "ئەم داواکارییە کارێکی هیچ وەشانێکی بڵاوکراوەی ئەپەکانی مەرکەز نییە، بۆیە ئەم ڕاژەکارە "
        "جێبەجێی ناکات.",
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
    "feed_too_slow": {
        "en": "The feed was ended because events arrived faster than they were read. Subscribe again with "
        "after: {cursor} to receive everything from there.",
        "ar": "أُنهي البث لأن الأحداث وصلت أسرع مما قُرئت. اشترك مجدداً مع after: {cursor} لتصلك كل الأحداث من "
        "هناك.",
        "ku": "پەخشەکە ڕاگیرا چونکە ڕووداوەکان خێراتر لە خوێندنەوەیان گەیشتن. دووبارە بەشداربە لەگەڵ after: "
        "{cursor} بۆ وەرگرتنی هەموو شتێک لەوێوە.",
    },
    "feed_cursor_expired": {
        "en": "Events after that cursor are older than the feed keeps, and some are gone. Reload what you "
        "show, then subscribe without after.",
        "ar": "الأحداث بعد هذا المؤشر أقدم مما يحتفظ به البث، وبعضها لم يعد موجوداً. أعد تحميل ما تعرضه، ثم "
        "اشترك من دون after.",
        "ku": "ڕووداوەکانی دوای ئەم نیشانەیە لەوە کۆنترن کە پەخشەکە هەڵیدەگرێت، و هەندێکیان نەماون. ئەوەی "
        "پیشانی دەدەیت نوێ بکەرەوە، پاشان بەبێ after بەشداربە.",
    },
    "feed_closing": {
        "en": "The server is restarting. Subscribe again with after: {cursor} to continue from there.",
        "ar": "الخادم يعيد التشغيل. اشترك مجدداً مع after: {cursor} للمتابعة من هناك.",
        "ku": "ڕاژەکار دەستپێدەکاتەوە. دووبارە بەشداربە لەگەڵ after: {cursor} بۆ بەردەوامبوون لەوێوە.",
    },
    "token_expired": {
        "en": "Your access token has expired. Refresh your sign-in, connect again and subscribe with `after` "
        "set to the last cursor you received to continue from there.",
        "ar": "انتهت صلاحية رمز الدخول. جدّد تسجيل الدخول واتصل مجدداً واشترك مع `after` مساوياً لآخر مؤشر "
        "وصلك للمتابعة من هناك.",
        "ku": "ماوەی نیشانەی چوونەژوورەوەکەت بەسەرچوو. چوونەژوورەوە نوێ بکەرەوە، دووبارە پەیوەندی بکە و "
        "لەگەڵ `after` بە دوایین نیشانەدەرێک کە پێت گەیشتووە بەشداربە بۆ بەردەوامبوون لەوێوە.",
    },
    "subscriptions_per_officer": {
        "en": "You already have {limit} live subscriptions on this server. End one before starting another.",
        "ar": "لديك بالفعل {limit} اشتراكات حيّة على هذا الخادم. أنهِ أحدها قبل بدء اشتراك آخر.",
        "ku": "تۆ پێشتر {limit} بەشداریی زیندووت لەسەر ئەم ڕاژەکارە هەیە. پێش دەستپێکردنی یەکێکی تر یەکێکیان "
        "کۆتایی پێبهێنە.",
    },
    "export_too_slow": {
        "en": "The export was stopped after {seconds} s. Export a shorter period, a smaller area or a "
        "coarser resolution.",
        "ar": "أُوقف التصدير بعد {seconds} ثانية. صدّر مدة أقصر أو منطقة أصغر أو دقة أخشن.",
        "ku": "هەناردەکردنەکە دوای {seconds} چرکە ڕاگیرا. ماوەیەکی کورتتر، ناوچەیەکی بچووکتر یان وردییەکی "
        "نزمتر هەناردە بکە.",
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
    # Station management and public holidays (resolvers/station_management.py, resolvers/holiday_admin.py)
    "not_your_station_to_run": {
        "en": "{field}: only this station's commander, or an administrator, may change it.",
        "ar": "{field}: لا يغيّر هذا المركز إلا آمره أو مدير النظام.",
        "ku": "{field}: تەنها فەرماندەی ئەم بنکەیە یان بەڕێوەبەر دەتوانێت بیگۆڕێت.",
    },
    "admins_only": {
        "en": "{field}: only administrators may do this.",
        "ar": "{field}: هذا الإجراء لمديري النظام فقط.",
        "ku": "{field}: تەنها بەڕێوەبەران دەتوانن ئەمە بکەن.",
    },
    "name_required": {
        "en": "{field}: the station needs an Arabic or an English name.",
        "ar": "{field}: يحتاج المركز إلى اسم عربي أو إنجليزي.",
        "ku": "{field}: بنکەکە پێویستی بە ناوێکی عەرەبی یان ئینگلیزی هەیە.",
    },
    "not_offered": {
        "en": "{field}: the station does not offer {service}.",
        "ar": "{field}: لا يقدّم المركز خدمة {service}.",
        "ku": "{field}: بنکەکە خزمەتگوزاریی {service} پێشکەش ناکات.",
    },
    "listed_twice": {
        "en": "{field}: {value} is listed twice.",
        "ar": "{field}: {value} مذكور مرتين.",
        "ku": "{field}: {value} دوو جار هاتووە.",
    },
    "hours_overlap": {
        "en": "{field} overlaps {other}.",
        "ar": "{field} يتداخل مع {other}.",
        "ku": "{field} لەگەڵ {other} یەک دەگرێتەوە.",
    },
    "bad_hours": {
        "en": "{field}: {problem}.",
        "ar": "{field}: وقت غير صالح ({problem}).",
        "ku": "{field}: کاتێکی نادروست ({problem}).",
    },
    "always_open_hours": {
        "en": "{field}: a station open around the clock has no hours of its own (desks may).",
        "ar": "{field}: المركز المفتوح على مدار الساعة ليس له أوقات خاصة به (للأقسام أوقاتها).",
        "ku": "{field}: بنکەیەک کە هەموو کاتێک کراوەیە کاتی تایبەتی نییە (بەشەکان دەتوانن).",
    },
    "bad_phone": {
        "en": "{field} may contain only digits, spaces, +, - and parentheses.",
        "ar": "{field} يحتوي على أرقام ومسافات و+ و- وأقواس فقط.",
        "ku": "{field} تەنها ژمارە، بۆشایی، +، - و کەوانە لەخۆدەگرێت.",
    },
    "nothing_to_change": {
        "en": "Give at least one of {fields} to change.",
        "ar": "حدّد واحداً على الأقل من {fields} لتغييره.",
        "ku": "لانیکەم یەکێک لە {fields} دیاری بکە بۆ گۆڕین.",
    },
    "in_past": {
        "en": "{field} is in the past.",
        "ar": "{field} في الماضي.",
        "ku": "{field} لە ڕابردوودایە.",
    },
    "closure_over": {
        "en": "{field}: this closure is over; past closures are kept.",
        "ar": "{field}: انتهى هذا الإغلاق؛ تُحفظ الإغلاقات السابقة.",
        "ku": "{field}: ئەم داخستنە تەواو بووە؛ داخستنە ڕابردووەکان دەپارێزرێن.",
    },
    "too_long_days": {
        "en": "{field} may last at most {days} days.",
        "ar": "لا يجوز أن يتجاوز {field} {days} يوماً.",
        "ku": "{field} نابێت لە {days} ڕۆژ زیاتر بێت.",
    },
    "holiday_unknown": {
        "en": "{field}: no national holiday has this key (see publicHolidays).",
        "ar": "{field}: لا توجد عطلة وطنية بهذا المفتاح (انظر publicHolidays).",
        "ku": "{field}: هیچ پشوویەکی نیشتمانی بەم کلیلە نییە (سەیری publicHolidays بکە).",
    },
    "holiday_move_too_far": {
        "en": "{field} may be at most {days} days from the computed date {computed}.",
        "ar": "لا يجوز أن يبعد {field} أكثر من {days} أيام عن التاريخ المحسوب {computed}.",
        "ku": "{field} نابێت لە {days} ڕۆژ زیاتر لە بەرواری هەژمارکراو {computed} دوور بێت.",
    },
    "holiday_key_taken": {
        "en": "{field}: this key belongs to a national holiday; move it with movePublicHoliday.",
        "ar": "{field}: هذا المفتاح لعطلة وطنية؛ غيّر موعدها بـ movePublicHoliday.",
        "ku": "{field}: ئەم کلیلە هی پشوویەکی نیشتمانییە؛ بە movePublicHoliday بیگوازەرەوە.",
    },
    "bad_holiday_key": {
        "en": "{field} must be 3 to 60 lower-case letters, digits and dashes.",
        "ar": "يجب أن يتكون {field} من 3 إلى 60 حرفاً لاتينياً صغيراً أو رقماً أو شرطة.",
        "ku": "{field} دەبێت 3 تا 60 پیتی بچووکی لاتینی، ژمارە و هێڵ بێت.",
    },
    "station_needed": {
        "en": "{field}: a {role} needs a station.",
        "ar": "{field}: يحتاج {role} إلى مركز.",
        "ku": "{field}: {role} پێویستی بە بنکەیەکە.",
    },
    "station_for_role": {
        "en": "{field}: a {role} has no station (supervisors work on governorates, admins on all).",
        "ar": "{field}: لا مركز لـ{role} (المشرفون على المحافظات، والمديرون على الكل).",
        "ku": "{field}: {role} بنکەی نییە (سەرپەرشتیاران لەسەر پارێزگاکان، بەڕێوەبەران لەسەر هەموو).",
    },
    "governorates_for_role": {
        "en": "{field}: only a SUPERVISOR works on governorates, not a {role}.",
        "ar": "{field}: المحافظات للمشرف (SUPERVISOR) فقط، لا لـ{role}.",
        "ku": "{field}: تەنها سەرپەرشتیار (SUPERVISOR) لەسەر پارێزگاکان کار دەکات، نەک {role}.",
    },
    "governorates_needed": {
        "en": "{field}: a SUPERVISOR needs at least one governorate.",
        "ar": "{field}: يحتاج المشرف إلى محافظة واحدة على الأقل.",
        "ku": "{field}: سەرپەرشتیار لانیکەم پێویستی بە یەک پارێزگایە.",
    },
    "role_above_officer": {
        "en": "{field}: a station commander may give only the OFFICER role.",
        "ar": "{field}: لا يمنح آمر المركز إلا دور الشرطي (OFFICER).",
        "ku": "{field}: فەرماندەی بنکە تەنها ڕۆڵی پۆلیس (OFFICER) دەدات.",
    },
    "other_station": {
        "en": "{field}: a station commander places officers only at their own station.",
        "ar": "{field}: لا يضع آمر المركز الشرطة إلا في مركزه.",
        "ku": "{field}: فەرماندەی بنکە پۆلیس تەنها لە بنکەی خۆی دادەنێت.",
    },
    "not_your_officer": {
        "en": "{field}: a station commander administers only the officers (role OFFICER) of their station.",
        "ar": "{field}: لا يدير آمر المركز إلا شرطة مركزه (دور OFFICER).",
        "ku": "{field}: فەرماندەی بنکە تەنها پۆلیسەکانی بنکەی خۆی (ڕۆڵی OFFICER) بەڕێوە دەبات.",
    },
    "own_account": {
        "en": "{field}: your own account is administered by another administrator (use changePassword).",
        "ar": "{field}: يدير حسابك مديرٌ آخر (استخدم changePassword لكلمة المرور).",
        "ku": "{field}: هەژمارەکەت بەڕێوەبەرێکی تر بەڕێوەی دەبات (changePassword بەکاربهێنە).",
    },
    "badge_taken": {
        "en": "{field}: an officer with this badge number exists.",
        "ar": "{field}: يوجد شرطي بهذا الرقم.",
        "ku": "{field}: پۆلیسێک بەم ژمارەیە هەیە.",
    },
    "password_change_required": {
        "en": "Change your password first: you signed in with a one-time password.",
        "ar": "غيّر كلمة المرور أولاً: دخلت بكلمة مرور لمرة واحدة.",
        "ku": "سەرەتا وشەی نهێنییەکەت بگۆڕە: بە وشەی نهێنی یەکجارەکی چوویتە ژوورەوە.",
    },
    "no_station_near": {
        "en": "{field}: no active station in this governorate; give stationId.",
        "ar": "{field}: لا يوجد مركز فعّال في هذه المحافظة؛ حدّد stationId.",
        "ku": "{field}: هیچ بنکەیەکی چالاک لەم پارێزگایە نییە؛ stationId دیاری بکە.",
    },
    "database_unavailable": {
        "en": "The service cannot reach its database just now. Try again in a few seconds.",
        "ar": "تعذّر على الخدمة الوصول إلى قاعدة بياناتها الآن. حاول مرة أخرى بعد بضع ثوانٍ.",
        "ku": "خزمەتگوزارییەکە ئێستا ناگاتە بنکەی زانیارییەکانی. چەند چرکەیەکی تر دووبارە هەوڵ بدەرەوە.",
    },
    "rate_limited": {
        "en": "Too many requests. Try again in {seconds} s.",
        "ar": "طلبات كثيرة جداً. أعد المحاولة بعد {seconds} ثانية.",
        "ku": "داواکاری زۆر. دوای {seconds} چرکە هەوڵ بدەرەوە.",
    },
    "internal": {
        "en": "Something went wrong on our side. Quote request id {request_id} when reporting it.",
        "ar": "حدث خطأ من جهتنا. اذكر رقم الطلب {request_id} عند الإبلاغ عنه.",
        "ku": "هەڵەیەک لە لای ئێمە ڕوویدا. ژمارەی داواکاری {request_id} بنووسە کاتێک ڕاپۆرتی دەکەیت.",
    },
    "one_of": {
        "en": "Give exactly one of {field} and {other}.",
        "ar": "حدّد واحداً فقط من {field} و{other}.",
        "ku": "تەنها یەکێک لە {field} و {other} دیاری بکە.",
    },
    "outside_iraq": {
        "en": "{field}: the location is outside Iraq; give stationId.",
        "ar": "{field}: الموقع خارج العراق؛ حدّد stationId.",
        "ku": "{field}: شوێنەکە لە دەرەوەی عێراقە؛ stationId دیاری بکە.",
    },
    "not_station_officer": {
        "en": "{field}: not an active officer of the incident's station.",
        "ar": "{field}: ليس منتسباً فعّالاً في مركز البلاغ.",
        "ku": "{field}: ئەفسەرێکی چالاکی بنکەی ڕووداوەکە نییە.",
    },
    "incident_closed": {
        "en": "{field}: the incident is closed.",
        "ar": "{field}: البلاغ مغلق.",
        "ku": "{field}: ڕووداوەکە داخراوە.",
    },
    "officer_not_here": {
        "en": "{field}: not an active officer of this station.",
        "ar": "{field}: ليس منتسباً فعّالاً في هذا المركز.",
        "ku": "{field}: ئەفسەرێکی چالاکی ئەم بنکەیە نییە.",
    },
    "geojson_polygon": {
        "en": "{field} must be a GeoJSON Polygon or MultiPolygon.",
        "ar": "يجب أن يكون {field} مضلعاً بصيغة GeoJSON (Polygon أو MultiPolygon).",
        "ku": "{field} دەبێت فرەگۆشەیەکی GeoJSON بێت (Polygon یان MultiPolygon).",
    },
    "public_area": {
        "en": "{field}: the public map is asked by place: give a box, a polygon or a governorate.",
        "ar": "{field}: تُطلب الخريطة العامة حسب المكان: حدّد مستطيلاً أو مضلعاً أو محافظة.",
        "ku": "{field}: نەخشەی گشتی بەپێی شوێن داوا دەکرێت: چوارگۆشەیەک، فرەگۆشەیەک یان پارێزگایەک بدە.",
    },
    "geojson_ring": {
        "en": "{field}: a ring needs at least 4 positions and must end where it starts.",
        "ar": "{field}: تحتاج الحلقة إلى 4 نقاط على الأقل ويجب أن تنتهي حيث تبدأ.",
        "ku": "{field}: ئەڵقە پێویستی بە لانیکەم 4 خاڵ هەیە و دەبێت لەو شوێنە کۆتایی بێت کە دەستی پێکردووە.",
    },
    "geojson_position": {
        "en": "{field} must be a position [longitude, latitude].",
        "ar": "يجب أن يكون {field} نقطة بالصيغة [خط الطول، خط العرض].",
        "ku": "{field} دەبێت خاڵێک بێت بە شێوەی [درێژی، پانی].",
    },
    "geojson_vertices": {
        "en": "{field} may have at most {high} vertices.",
        "ar": "يجب ألا يتجاوز عدد رؤوس {field} {high} رأساً.",
        "ku": "{field} نابێت لە {high} گۆشە زیاتری هەبێت.",
    },
    "not_before": {
        "en": "{field} cannot be before {other}.",
        "ar": "لا يمكن أن يكون {field} قبل {other}.",
        "ku": "{field} ناتوانێت پێش {other} بێت.",
    },
    "patrol_ended_at": {
        "en": "{field}: the patrol already ended at {at}.",
        "ar": "{field}: انتهت الدورية بالفعل في {at}.",
        "ku": "{field}: پاسەوانییەکە پێشتر لە {at} کۆتایی هاتووە.",
    },
    "before_last_fix": {
        "en": "{field} cannot be before the patrol's last GPS fix ({at}).",
        "ar": "لا يمكن أن يكون {field} قبل آخر موقع GPS مسجّل للدورية ({at}).",
        "ku": "{field} ناتوانێت پێش دوایین شوێنی GPSی پاسەوانییەکە بێت ({at}).",
    },
    "at_most_one_of": {
        "en": "Give at most one of {field} and {other}.",
        "ar": "حدّد واحداً على الأكثر من {field} و{other}.",
        "ku": "لانیزۆر یەکێک لە {field} و {other} دیاری بکە.",
    },
    "too_far_ahead": {
        "en": "{field} cannot be more than {years} years ahead.",
        "ar": "لا يمكن أن يكون {field} بعد أكثر من {years} سنة من الآن.",
        "ku": "{field} ناتوانێت زیاتر لە {years} ساڵ لە داهاتوودا بێت.",
    },
    "patrol_other_station": {
        "en": "{field}: the patrol belongs to another station than the engagement.",
        "ar": "{field}: الدورية تابعة لمركز غير مركز النشاط.",
        "ku": "{field}: پاسەوانییەکە سەر بە بنکەیەکی ترە، نەک بنکەی چالاکییەکە.",
    },
    "not_follow_up_owner": {
        "en": "{field}: only the action's owner, the station's commander, supervisors and administrators "
        "may change it.",
        "ar": "{field}: لا يغيّر هذا الإجراء إلا المكلّف به أو آمر المركز أو المشرفون أو المدراء.",
        "ku": "{field}: تەنها خاوەنی کارەکە، فەرماندەی بنکە، سەرپەرشتیاران و بەڕێوەبەران دەتوانن بیگۆڕن.",
    },
    "area_too_large": {
        "en": "{field} is too large for this resolution: it would need more than {high} cells; choose a "
        "coarser resolution or a smaller area.",
        "ar": "{field} كبيرة جداً لهذه الدقة: تحتاج إلى أكثر من {high} خلية؛ اختر دقة أخشن أو منطقة أصغر.",
        "ku": "{field} بۆ ئەم وردییە زۆر گەورەیە: پێویستی بە زیاتر لە {high} خانە هەیە؛ وردییەکی "
        "نزمتر یان ناوچەیەکی بچووکتر هەڵبژێرە.",
    },
    "choice": {
        "en": "{field} must be one of: {choices}.",
        "ar": "يجب أن تكون قيمة {field} إحدى القيم: {choices}.",
        "ku": "{field} دەبێت یەکێک بێت لەمانە: {choices}.",
    },
    "whole_hour": {
        "en": "{field} must fall on a whole hour (minutes and seconds zero).",
        "ar": "يجب أن يقع {field} على ساعة كاملة (الدقائق والثواني صفر).",
        "ku": "{field} دەبێت لەسەر کاتژمێرێکی تەواو بێت (خولەک و چرکە سفر).",
    },
    "period_too_long": {
        "en": "{field} may cover at most {high}.",
        "ar": "يجب ألا تتجاوز مدة {field} {high}.",
        "ku": "{field} نابێت لە {high} زیاتر بێت.",
    },
    # --- corrections, follow-up actions of incidents, and the officer's own sign-ins (issue 14) ---
    "nothing_to_correct": {
        "en": "Give at least one of {fields} to correct.",
        "ar": "حدّد واحداً على الأقل مما يُراد تصحيحه: {fields}.",
        "ku": "لانیکەم یەکێک لەمانە بۆ ڕاستکردنەوە دیاری بکە: {fields}.",
    },
    "already_recorded": {
        "en": "{field} is already recorded so: nothing to correct.",
        "ar": "{field} مسجّل هكذا بالفعل: لا شيء لتصحيحه.",
        "ku": "{field} پێشتر بەم شێوەیە تۆمارکراوە: هیچ شتێک بۆ ڕاستکردنەوە نییە.",
    },
    "may_not_correct_incident": {
        "en": "{field}: only the officers who reported it or are assigned to it, the station's commander and "
        "administrators may correct an incident.",
        "ar": "{field}: لا يصحّح البلاغ إلا من أبلغ عنه أو كُلّف به، أو آمر المركز، أو المدراء.",
        "ku": "{field}: تەنها ئەو ئەفسەرانەی ڕاپۆرتیان کردووە یان بۆی دیاریکراون، فەرماندەی بنکە و "
        "بەڕێوەبەران دەتوانن ڕووداوێک ڕاست بکەنەوە.",
    },
    "may_not_unmark_sensitive": {
        "en": "{field}: only the station's commander and administrators may make an incident no longer "
        "sensitive.",
        "ar": "{field}: لا يرفع صفة الحساسية عن البلاغ إلا آمر المركز أو المدراء.",
        "ku": "{field}: تەنها فەرماندەی بنکە و بەڕێوەبەران دەتوانن هەستیاری لەسەر ڕووداوێک لاببەن.",
    },
    "always_sensitive": {
        "en": "{field}: a {category} incident is always sensitive.",
        "ar": "{field}: البلاغ من نوع {category} حساس دائماً.",
        "ku": "{field}: ڕووداوی {category} هەمیشە هەستیارە.",
    },
    "may_not_correct_engagement": {
        "en": "{field}: only the officer who held it, the station's commander and administrators may correct "
        "an engagement.",
        "ar": "{field}: لا يصحّح النشاط إلا المنتسب الذي أقامه، أو آمر المركز، أو المدراء.",
        "ku": "{field}: تەنها ئەو ئەفسەرەی چالاکییەکەی ئەنجامداوە، فەرماندەی بنکە و بەڕێوەبەران دەتوانن "
        "ڕاستی بکەنەوە.",
    },
    "may_not_add_follow_up": {
        "en": "{field}: only the people on this sensitive incident's case may add actions to it.",
        "ar": "{field}: لا يضيف إجراءات إلى هذا البلاغ الحساس إلا المعنيون بقضيته.",
        "ku": "{field}: تەنها ئەو کەسانەی لەسەر دۆسیەی ئەم ڕووداوە هەستیارەن دەتوانن کاری بۆ زیاد بکەن.",
    },
    "exactly_one_of": {
        "en": "Give exactly one of {fields}.",
        "ar": "حدّد واحداً فقط من: {fields}.",
        "ku": "تەنها یەکێک لەمانە دیاری بکە: {fields}.",
    },
    "action_of_incident": {
        "en": "This follow-up action belongs to an incident, not an engagement: select `subject` instead.",
        "ar": "هذا الإجراء تابع لبلاغ وليس لنشاط: اختر `subject` بدلاً من ذلك.",
        "ku": "ئەم کارە سەر بە ڕووداوێکە نەک چالاکییەک: لە جیاتی ئەوە `subject` هەڵبژێرە.",
    },
    "wrong_current_password": {
        "en": "{field} is not your current password.",
        "ar": "{field} ليست كلمة مرورك الحالية.",
        "ku": "{field} وشەی نهێنیی ئێستای تۆ نییە.",
    },
    "password_same": {
        "en": "{field} must differ from the current password.",
        "ar": "يجب أن تختلف {field} عن كلمة المرور الحالية.",
        "ku": "{field} دەبێت جیاواز بێت لە وشەی نهێنیی ئێستا.",
    },
    "password_too_short": {
        "en": "{field} needs at least {low} characters.",
        "ar": "يجب أن تتكون {field} من {low} حرفاً على الأقل.",
        "ku": "{field} پێویستی بە لانیکەم {low} پیت هەیە.",
    },
    "password_too_long": {
        "en": "{field} may have at most {high} characters.",
        "ar": "يجب ألا تتجاوز {field} {high} حرفاً.",
        "ku": "{field} نابێت لە {high} پیت زیاتر بێت.",
    },
    "password_spaces": {
        "en": "{field} may not start or end with spaces.",
        "ar": "يجب ألا تبدأ {field} أو تنتهي بمسافة.",
        "ku": "{field} نابێت بە بۆشایی دەست پێبکات یان کۆتایی بێت.",
    },
    "password_common": {
        "en": "{field} is one of the most common passwords: choose another.",
        "ar": "{field} من أكثر كلمات المرور شيوعاً: اختر غيرها.",
        "ku": "{field} یەکێکە لە باوترین وشە نهێنییەکان: یەکێکی تر هەڵبژێرە.",
    },
    "password_predictable": {
        "en": "{field} is repeated or sequential characters or a keyboard run: choose another.",
        "ar": "{field} أحرف مكررة أو متتالية أو صف من لوحة المفاتيح: اختر غيرها.",
        "ku": "{field} پیتی دووبارە یان یەک لە دوای یەک یان ڕیزێکی تەختەکلیلە: یەکێکی تر هەڵبژێرە.",
    },
    "password_padded": {
        "en": "{field} is a common or predictable password with a few characters added: choose another.",
        "ar": "{field} كلمة مرور شائعة أو متوقعة أضيفت إليها بضعة أحرف: اختر غيرها.",
        "ku": "{field} وشەیەکی نهێنیی باو یان پێشبینیکراوە کە چەند پیتێکی بۆ زیادکراوە: یەکێکی تر هەڵبژێرە.",
    },
    "password_context": {
        "en": "{field} is built on your badge number, your name or the service's name: choose another.",
        "ar": "{field} مبنية على رقم شارتك أو اسمك أو اسم الخدمة: اختر غيرها.",
        "ku": "{field} لەسەر ژمارەی باجەکەت، ناوەکەت یان ناوی خزمەتگوزارییەکە دروستکراوە: یەکێکی تر "
        "هەڵبژێرە.",
    },
    "password_throttled": {
        "en": "Too many wrong current passwords. Try again in {seconds} seconds.",
        "ar": "أُدخلت كلمة المرور الحالية خطأً مرات كثيرة. حاول مرة أخرى بعد {seconds} ثانية.",
        "ku": "وشەی نهێنیی ئێستا زۆر جار هەڵە نووسراوە. دوای {seconds} چرکە دووبارە هەوڵ بدەرەوە.",
    },
    # problems (SARA) and what a station publishes
    "problem_transition": {
        "en": "{field}: a problem cannot go from {current} to {target}; from {current}: {allowed}.",
        "ar": "{field}: لا يمكن نقل المشكلة من {current} إلى {target}؛ المسموح من {current}: {allowed}.",
        "ku": "{field}: کێشەکە ناتوانێت لە {current}ەوە بچێتە {target}؛ ڕێگەپێدراو: {allowed}.",
    },
    "may_not_write_problem": {
        "en": "{field}: only the officers and the commander of the station work on its problems.",
        "ar": "{field}: لا يعمل على مشكلات المركز إلا منتسبوه وآمره.",
        "ku": "{field}: تەنها ئەفسەران و فەرماندەی بنکە کار لەسەر کێشەکانی دەکەن.",
    },
    "other_station_record": {
        "en": "{field}: this {kind} belongs to another station than the problem's.",
        "ar": "{field}: هذا {kind} تابع لمركز غير مركز المشكلة.",
        "ku": "{field}: ئەم {kind}ە سەر بە بنکەیەکی ترە نەک بنکەی کێشەکە.",
    },
    "may_not_link_sensitive": {
        "en": "{field}: only the people on this sensitive record's case may tie it to a problem.",
        "ar": "{field}: لا يربط هذا السجل الحساس بمشكلة إلا المعنيون بقضيته.",
        "ku": "{field}: تەنها ئەو کەسانەی لەسەر دۆسیەی ئەم تۆمارە هەستیارەن دەتوانن بە کێشەیەکەوە ببەستنەوە.",
    },
    "not_linked": {
        "en": "{field}: this {kind} is not tied to the problem.",
        "ar": "{field}: هذا {kind} غير مرتبط بالمشكلة.",
        "ku": "{field}: ئەم {kind}ە بە کێشەکەوە نەبەستراوەتەوە.",
    },
    "may_not_publish": {
        "en": "{field}: only the station's commander publishes for the public.",
        "ar": "{field}: لا ينشر للجمهور إلا آمر المركز.",
        "ku": "{field}: تەنها فەرماندەی بنکە بۆ خەڵک بڵاو دەکاتەوە.",
    },
    "personal_data": {
        "en": "{field} must not hold personal data ({what}): it is published for everyone.",
        "ar": "يجب ألا يحتوي {field} على بيانات شخصية ({what}): فهو يُنشر للجميع.",
        "ku": "{field} نابێت زانیاریی کەسی تێدا بێت ({what}): بۆ هەمووان بڵاو دەکرێتەوە.",
    },
    "meeting_household": {
        "en": "{field}: a home visit or a family-protection follow-up is never published.",
        "ar": "{field}: لا تُنشر الزيارات المنزلية ولا متابعات حماية الأسرة أبداً.",
        "ku": "{field}: سەردانی ماڵ و بەدواداچوونی پاراستنی خێزان هەرگیز بڵاو ناکرێنەوە.",
    },
    "not_published": {
        "en": "{field}: this {kind} is not published.",
        "ar": "{field}: هذا {kind} غير منشور.",
        "ku": "{field}: ئەم {kind}ە بڵاو نەکراوەتەوە.",
    },
    # photos and documents (api/uploads.py, resolvers/media.py)
    "upload_too_large": {
        "en": "The file is {size} bytes; the largest upload accepted is {high} bytes. Send a smaller photo "
        "(a lower resolution) or split the document.",
        "ar": "حجم الملف {size} بايت؛ وأكبر حجم مقبول {high} بايت. أرسل صورة أصغر (بدقة أقل) أو قسّم المستند.",
        "ku": "قەبارەی فایلەکە {size} بایتە؛ گەورەترین بارکردنی پەسەندکراو {high} بایتە. وێنەیەکی بچووکتر "
        "بنێرە یان بەڵگەنامەکە دابەش بکە.",
    },
    "upload_quota": {
        "en": "You have {high} unfinished uploads, the most allowed: finish or cancel some first.",
        "ar": "لديك {high} عمليات رفع غير مكتملة، وهو الحد الأقصى: أكمل بعضها أو ألغِها أولاً.",
        "ku": "{high} بارکردنی تەواونەکراوت هەیە، کە زۆرترینی ڕێگەپێدراوە: سەرەتا هەندێکیان تەواو بکە یان "
        "هەڵیانبوەشێنەوە.",
    },
    "upload_unknown": {
        "en": "{field}: no upload of yours has this id (it may have expired).",
        "ar": "{field}: لا توجد عملية رفع لك بهذا المعرّف (ربما انتهت صلاحيتها).",
        "ku": "{field}: هیچ بارکردنێکی تۆ ئەم ناسنامەیەی نییە (لەوانەیە بەسەرچووبێت).",
    },
    "upload_unfinished": {
        "en": "{field}: the upload is not finished ({offset} of {length} bytes arrived): resume it first.",
        "ar": "{field}: لم يكتمل الرفع (وصل {offset} من {length} بايت): أكمله أولاً.",
        "ku": "{field}: بارکردنەکە تەواو نەبووە ({offset} لە {length} بایت گەیشتووە): سەرەتا تەواوی بکە.",
    },
    "media_type": {
        "en": "{field}: the file is not a JPEG, PNG or WebP photo or a PDF document (judged by its content, "
        "not its name).",
        "ar": "{field}: الملف ليس صورة JPEG أو PNG أو WebP ولا مستند PDF (بحسب محتواه لا اسمه).",
        "ku": "{field}: فایلەکە وێنەی JPEG، PNG یان WebP یان بەڵگەنامەی PDF نییە (بەپێی ناوەڕۆکەکەی، نەک "
        "ناوەکەی).",
    },
    "media_broken": {
        "en": "{field}: the image could not be read (damaged, or larger than {high} megapixels).",
        "ar": "{field}: تعذّرت قراءة الصورة (تالفة، أو أكبر من {high} ميغابكسل).",
        "ku": "{field}: وێنەکە نەخوێندرایەوە (تێکچووە، یان لە {high} مێگاپیکسڵ گەورەترە).",
    },
    "may_not_attach": {
        "en": "{field}: only the people on this record's case may attach photos or documents to it.",
        "ar": "{field}: لا يرفق الصور أو المستندات بهذا السجل إلا المعنيون بقضيته.",
        "ku": "{field}: تەنها ئەوانەی لەسەر دۆسیەی ئەم تۆمارەن دەتوانن وێنە یان بەڵگەنامەی پێوە بلکێنن.",
    },
}


def message(key: str, lang: str, **params: object) -> str:
    return localized(CATALOG[key], lang).format(**params)
