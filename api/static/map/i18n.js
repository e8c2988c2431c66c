// The /map page's words in Arabic (the default), Kurdish (Sorani) and English, and the formats of numbers
// and dates in each. Kept apart from map.js so a translator edits one file. `{name}` is filled in.
(function () {
  "use strict";
  const words = {
    ar: {
      problems: "المشكلات المفتوحة", noProblems: "لا مشكلات مفتوحة هنا.",
      stage_SCANNING: "الرصد", stage_ANALYSIS: "التحليل", stage_RESPONSE: "الاستجابة", stage_ASSESSMENT: "التقييم", stage_CLOSED: "مغلقة",
      title: "مركز: خريطة النشاط", map: "خريطة النشاط", language: "اللغة",
      badge: "رقم الشارة", password: "كلمة المرور", signIn: "تسجيل الدخول", signingIn: "جارٍ تسجيل الدخول…",
      area: "المنطقة", governorate: "المحافظة", station: "المركز", box: "مستطيل", draw: "ارسم على الخريطة",
      south: "الجنوب", west: "الغرب", north: "الشمال", east: "الشرق",
      period: "الفترة", from: "من", to: "إلى", hexSize: "حجم الخلية", colourBy: "التلوين حسب",
      incidents: "الحوادث", engagements: "اللقاءات المجتمعية", patrolMinutes: "دقائق الدوريات",
      gapsLayer: "حوادث بلا دورية (٢٨ يوماً)", show: "اعرض", report: "التقرير الشهري",
      counting: "جارٍ العد…", summary: "الملخص", timeline: "الخط الزمني", cellRecords: "الحوادث في هذه الخلية",
      live: "مباشر", liveOn: "مباشر", liveOff: "غير متصل", reconnecting: "إعادة الاتصال…",
      catchingUp: "جارٍ اللحاق…", stopped: "توقف: {reason}", refused: "مرفوض: سجّل الدخول مجدداً",
      hexagons: "{cells} خلية (الدقة {resolution}): {incidents} حادثة، {engagements} لقاء، {minutes} دقيقة دورية.",
      tooltip: "{incidents} حادثة · {engagements} لقاء · {minutes} دقيقة دورية",
      withheld: "{n} سجلاً حساساً محسوباً في المجموع لا يظهر في خلايا بهذه الدقة.",
      gapCells: "{n} خلية فيها حوادث بلا أي دورية في آخر ٢٨ يوماً.",
      medianHours: "الوسيط لساعات الحل", womenShare: "نسبة النساء بين الحضور", youthShare: "نسبة الشباب بين الحضور",
      attendees: "الحضور", patrolHours: "ساعات الدوريات", activeOfficers: "الضباط الفاعلون",
      window_LAST_28_DAYS: "آخر ٢٨ يوماً", window_YEAR_TO_DATE: "منذ بداية السنة",
      change: "التغيّر", current: "الآن", previous: "قبل", noRecords: "لا حوادث تراها في هذه الخلية.",
      cellCoarse: "الحوادث الحساسة لا تُعرض إلا في خلايا بدقة ٧ أو أخشن.",
      patrols: "الدوريات", zoomInTitle: "تكبير", zoomOutTitle: "تصغير",
      networkError: "تعذّر الاتصال بالخادم. تحقّق من الشبكة وحاول مجدداً.",
      pageError: "حدث خطأ في الصفحة. أعد تحميلها وحاول مجدداً.",
      hidden: "تفاصيل محجوبة", sensitive: "حساس", reportTitle: "التقرير الشهري: {area}",
      reportPeriod: "من {from} إلى {to}", reportNote: "أُعدّ من مركز. الأرقام الحساسة معمّمة وفق قاعدة الإفصاح.",
      modelStation: "مركز شرطة نموذجي", role_SUPERVISOR: "مشرف", role_ADMIN: "مدير النظام",
      role_STATION_COMMANDER: "آمر مركز", role_OFFICER: "ضابط",
      code: { THEFT: "سرقة", ASSAULT: "اعتداء", DOMESTIC_VIOLENCE: "عنف أسري", CHILD_PROTECTION: "حماية الطفل", JUVENILE: "أحداث", TRAFFIC_ACCIDENT: "حادث مروري", DISPUTE: "نزاع", MISSING_PERSON: "شخص مفقود", SUSPICIOUS_ACTIVITY: "نشاط مريب", FRAUD: "احتيال", OTHER: "أخرى", HOME_VISIT: "زيارة منزلية", SCHOOL_VISIT: "زيارة مدرسة", COMMUNITY_MEETING: "اجتماع مجتمعي", RELIGIOUS_LEADER_MEETING: "لقاء مع رجل دين", TRIBAL_LEADER_MEETING: "لقاء مع شيخ عشيرة", MARKET_WALK: "جولة في السوق", AWARENESS_SESSION: "جلسة توعية", WOMEN_OUTREACH: "تواصل مع النساء", YOUTH_ACTIVITY: "نشاط شبابي", FAMILY_PROTECTION_FOLLOW_UP: "متابعة حماية الأسرة" }, patrolPosition: "موقع دورية",
    },
    ku: {
      problems: "کێشە کراوەکان", noProblems: "هیچ کێشەیەکی کراوە لێرە نییە.",
      stage_SCANNING: "دۆزینەوە", stage_ANALYSIS: "شیکردنەوە", stage_RESPONSE: "وەڵامدانەوە", stage_ASSESSMENT: "هەڵسەنگاندن", stage_CLOSED: "داخراو",
      title: "مەرکەز: نەخشەی چالاکی", map: "نەخشەی چالاکی", language: "زمان",
      badge: "ژمارەی باج", password: "وشەی نهێنی", signIn: "چوونەژوورەوە", signingIn: "چوونەژوورەوە…",
      area: "ناوچە", governorate: "پارێزگا", station: "بنکە", box: "چوارگۆشە", draw: "لەسەر نەخشە بیکێشە",
      south: "باشوور", west: "ڕۆژئاوا", north: "باکوور", east: "ڕۆژهەڵات",
      period: "ماوە", from: "لە", to: "بۆ", hexSize: "قەبارەی خانە", colourBy: "ڕەنگکردن بەپێی",
      incidents: "ڕووداوەکان", engagements: "دیدارە کۆمەڵایەتییەکان", patrolMinutes: "خولەکی پاسەوانی",
      gapsLayer: "ڕووداو بێ پاسەوانی (٢٨ ڕۆژ)", show: "پیشاندان", report: "ڕاپۆرتی مانگانە",
      counting: "ژماردن…", summary: "کورتە", timeline: "هێڵی کات", cellRecords: "ڕووداوەکانی ئەم خانەیە",
      live: "ڕاستەوخۆ", liveOn: "ڕاستەوخۆ", liveOff: "پەیوەست نییە", reconnecting: "پەیوەستبوونەوە…",
      catchingUp: "گەیشتنەوە…", stopped: "وەستا: {reason}", refused: "ڕەتکرایەوە: دووبارە بچۆ ژوورەوە",
      hexagons: "{cells} خانە (وردی {resolution}): {incidents} ڕووداو، {engagements} دیدار، {minutes} خولەکی پاسەوانی.",
      tooltip: "{incidents} ڕووداو · {engagements} دیدار · {minutes} خولەکی پاسەوانی",
      withheld: "{n} تۆماری هەستیار لە کۆدا ژمێردراون و لە خانەی ئەم وردییەدا نیشان نادرێن.",
      gapCells: "{n} خانە ڕووداویان تێدایە بێ هیچ پاسەوانییەک لە ٢٨ ڕۆژی ڕابردوودا.",
      medianHours: "ناوەندی کاتژمێری چارەسەر", womenShare: "بەشی ئافرەتان لە ئامادەبووان", youthShare: "بەشی گەنجان لە ئامادەبووان",
      attendees: "ئامادەبووان", patrolHours: "کاتژمێری پاسەوانی", activeOfficers: "ئەفسەرە چالاکەکان",
      window_LAST_28_DAYS: "٢٨ ڕۆژی ڕابردوو", window_YEAR_TO_DATE: "لە سەرەتای ساڵەوە",
      change: "گۆڕان", current: "ئێستا", previous: "پێشتر", noRecords: "هیچ ڕووداوێک لەم خانەیەدا نابینیت.",
      cellCoarse: "ڕووداوە هەستیارەکان تەنها لە خانەی وردی ٧ یان گەورەتردا نیشان دەدرێن.",
      patrols: "پاسەوانییەکان", zoomInTitle: "گەورەکردن", zoomOutTitle: "بچووککردنەوە",
      networkError: "پەیوەندی بە ڕاژەکارەوە نەکرا. تۆڕەکە بپشکنە و دووبارە هەوڵ بدەرەوە.",
      pageError: "هەڵەیەک لە پەڕەکەدا ڕوویدا. پەڕەکە نوێ بکەرەوە و دووبارە هەوڵ بدەرەوە.",
      hidden: "وردەکاری شاراوە", sensitive: "هەستیار", reportTitle: "ڕاپۆرتی مانگانە: {area}",
      reportPeriod: "لە {from} بۆ {to}", reportNote: "لە مەرکەزەوە ئامادەکراوە. ژمارە هەستیارەکان گشتاندراون بەپێی یاسای ئاشکراکردن.",
      modelStation: "بنکەی پۆلیسی نموونەیی", role_SUPERVISOR: "سەرپەرشتیار", role_ADMIN: "بەڕێوەبەر",
      role_STATION_COMMANDER: "فەرماندەی بنکە", role_OFFICER: "ئەفسەر",
      code: { THEFT: "دزی", ASSAULT: "دەستدرێژی", DOMESTIC_VIOLENCE: "توندوتیژی خێزانی", CHILD_PROTECTION: "پاراستنی منداڵ", JUVENILE: "هەرزەکاران", TRAFFIC_ACCIDENT: "ڕووداوی هاتوچۆ", DISPUTE: "ناکۆکی", MISSING_PERSON: "کەسی ونبوو", SUSPICIOUS_ACTIVITY: "چالاکی گومانلێکراو", FRAUD: "فێڵ", OTHER: "هی تر", HOME_VISIT: "سەردانی ماڵ", SCHOOL_VISIT: "سەردانی قوتابخانە", COMMUNITY_MEETING: "کۆبوونەوەی کۆمەڵایەتی", RELIGIOUS_LEADER_MEETING: "دیدار لەگەڵ پیاوی ئایینی", TRIBAL_LEADER_MEETING: "دیدار لەگەڵ سەرۆک هۆز", MARKET_WALK: "گەڕان لە بازاڕ", AWARENESS_SESSION: "دانیشتنی هۆشیاری", WOMEN_OUTREACH: "پەیوەندی لەگەڵ ئافرەتان", YOUTH_ACTIVITY: "چالاکی گەنجان", FAMILY_PROTECTION_FOLLOW_UP: "بەدواداچوونی پاراستنی خێزان" }, patrolPosition: "شوێنی پاسەوانی",
    },
    en: {
      problems: "Open problems", noProblems: "No open problem here.",
      stage_SCANNING: "scanning", stage_ANALYSIS: "analysis", stage_RESPONSE: "response", stage_ASSESSMENT: "assessment", stage_CLOSED: "closed",
      title: "Markaz: activity map", map: "Activity map", language: "Language",
      badge: "Badge number", password: "Password", signIn: "Sign in", signingIn: "Signing in…",
      area: "Area", governorate: "Governorate", station: "Station", box: "Box", draw: "Draw on the map",
      south: "South", west: "West", north: "North", east: "East",
      period: "Period", from: "From", to: "To", hexSize: "Hexagon size", colourBy: "Colour by",
      incidents: "Incidents", engagements: "Engagements", patrolMinutes: "Patrol minutes",
      gapsLayer: "Incidents without a patrol (28 days)", show: "Show", report: "Monthly report",
      counting: "Counting…", summary: "Summary", timeline: "Timeline", cellRecords: "Incidents in this hexagon",
      live: "Live", liveOn: "live", liveOff: "not connected", reconnecting: "reconnecting…",
      catchingUp: "catching up…", stopped: "stopped: {reason}", refused: "refused: sign in again",
      hexagons: "{cells} hexagons (resolution {resolution}): {incidents} incidents, {engagements} engagements, {minutes} patrol minutes.",
      tooltip: "{incidents} incidents · {engagements} engagements · {minutes} patrol min",
      withheld: "{n} sensitive records are counted in the totals but not placed in hexagons this fine.",
      gapCells: "{n} hexagons had incidents and no patrol in the last 28 days.",
      medianHours: "Median hours to resolve", womenShare: "Women among attendees", youthShare: "Youth among attendees",
      attendees: "Attendees", patrolHours: "Patrol hours", activeOfficers: "Active officers",
      window_LAST_28_DAYS: "Last 28 days", window_YEAR_TO_DATE: "Year to date",
      change: "Change", current: "Now", previous: "Before", noRecords: "No incident you may see in this hexagon.",
      cellCoarse: "Sensitive incidents are listed only in hexagons of size 7 or coarser.",
      patrols: "Patrols", zoomInTitle: "Zoom in", zoomOutTitle: "Zoom out",
      networkError: "Could not reach the server. Check the network and try again.",
      pageError: "Something went wrong on this page. Reload it and try again.",
      hidden: "details hidden", sensitive: "sensitive", reportTitle: "Monthly report: {area}",
      reportPeriod: "{from} to {to}", reportNote: "Prepared with Markaz. Sensitive figures are generalised under the disclosure rule.",
      modelStation: "Model police station", role_SUPERVISOR: "supervisor", role_ADMIN: "administrator",
      role_STATION_COMMANDER: "station commander", role_OFFICER: "officer",
      code: { THEFT: "theft", ASSAULT: "assault", DOMESTIC_VIOLENCE: "domestic violence", CHILD_PROTECTION: "child protection", JUVENILE: "juvenile", TRAFFIC_ACCIDENT: "traffic accident", DISPUTE: "dispute", MISSING_PERSON: "missing person", SUSPICIOUS_ACTIVITY: "suspicious activity", FRAUD: "fraud", OTHER: "other", HOME_VISIT: "home visit", SCHOOL_VISIT: "school visit", COMMUNITY_MEETING: "community meeting", RELIGIOUS_LEADER_MEETING: "religious leader meeting", TRIBAL_LEADER_MEETING: "tribal leader meeting", MARKET_WALK: "market walk", AWARENESS_SESSION: "awareness session", WOMEN_OUTREACH: "women's outreach", YOUTH_ACTIVITY: "youth activity", FAMILY_PROTECTION_FOLLOW_UP: "family protection follow-up" }, patrolPosition: "patrol position",
    },
  };
  // Number and date formats: Arabic-Indic digits in Arabic and Kurdish, as Iraqi documents print them.
  const locales = { ar: "ar-IQ", ku: "ckb-IQ", en: "en-GB" };
  const numbering = { ar: "arab", ku: "arab", en: "latn" };
  const direction = { ar: "rtl", ku: "rtl", en: "ltr" };
  const htmlLang = { ar: "ar", ku: "ckb", en: "en" };
  // Dates for a language the browser's ICU may lack (Chromium has no `ckb`): the Gregorian months as Iraqi
  // Kurdistan names them, and how a day is written. Used only when Intl has no locale for the language.
  const dates = {
    ku: {
      months: ["کانوونی دووەم", "شوبات", "ئازار", "نیسان", "ئایار", "حوزەیران",
               "تەممووز", "ئاب", "ئەیلوول", "تشرینی یەکەم", "تشرینی دووەم", "کانوونی یەکەم"],
      day: "{day} {month} {year}",
    },
  };

  // The browser's language first (navigator.languages), then the officer's own choice once made.
  function fromBrowser() {
    for (const tag of navigator.languages || [navigator.language || ""]) {
      const base = tag.toLowerCase().split("-")[0];
      if (base === "ar") return "ar";
      if (base === "ckb" || base === "ku" || base === "sdh") return "ku";
      if (base === "en") return "en";
    }
    return "ar";
  }

  function initial() {
    try {
      const chosen = localStorage.getItem("markaz.map.lang");
      if (chosen && words[chosen]) return chosen;
    } catch (e) { /* storage disabled: the browser's language */ }
    return fromBrowser();
  }

  window.markazI18n = { words, locales, numbering, direction, htmlLang, dates, initial, fromBrowser };
})();
