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
}


def message(key: str, lang: str, **params: object) -> str:
    return localized(CATALOG[key], lang).format(**params)
