"""The feedback form citizens reach from a station's QR code: /feedback/<station>?t=<token>.

A small page of plain HTML (no script at all), Arabic by default and right to left, Kurdish and English
(`?lang=`, or Accept-Language); it posts back to itself, and the answer goes through the same logic as
`submitFeedback` (resolvers/feedback.py): the same checks, rate limit, duplicate rule. A hidden clientId
made when the page is served makes a second tap of the button, or a resend after going back, a duplicate.
Every page shows the emergency number."""

from __future__ import annotations

import html
import logging
import urllib.parse
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from db.faults import is_unavailable
from resolvers import feedback as logic
from resolvers import stations as station_logic
from resolvers.atomic import applied_whole
from resolvers.context import Context
from resolvers.lang import localized, pick_language
from resolvers.mutation_errors import MutationFailed

_log = logging.getLogger("markaz.feedback")
# The largest answer the form can send fits: a comment of 1000 characters of up to 4 bytes in UTF-8, each
# byte percent-encoded as 3, and the other fields (about 300 bytes). A larger body is refused with 413.
MAX_BODY = 16 * 1024
_LANGS = {"ar": ("ar", "rtl"), "ku": ("ckb", "rtl"), "en": ("en", "ltr")}

TEXT: dict[str, dict[str, str]] = {
    "title": {
        "ar": "رأيك في خدمة المركز",
        "ku": "ڕای تۆ لەسەر خزمەتی بنکە",
        "en": "Your view of the station",
    },
    "anonymous": {
        "ar": "الاستبيان مجهول الهوية: لا نحفظ اسمك ولا رقمك ولا جهازك.",
        "ku": "ئەم ڕاپرسییە بێناوە: ناو و ژمارە و ئامێرەکەت هەڵناگرین.",
        "en": "This survey is anonymous: we keep no name, number or device.",
    },
    "service": {"ar": "الخدمة التي استخدمتها", "ku": "ئەو خزمەتەی وەرتگرت", "en": "The service you used"},
    "rating": {
        "ar": "كيف كانت التجربة؟ (1 سيئة – 5 ممتازة)",
        "ku": "ئەزموونەکە چۆن بوو؟ (1 خراپ – 5 زۆر باش)",
        "en": "How did it go? (1 badly – 5 very well)",
    },
    "respected": {
        "ar": "هل عوملت باحترام؟",
        "ku": "ئایا بە ڕێزەوە مامەڵەت لەگەڵ کرا؟",
        "en": "Were you treated with respect?",
    },
    "come_back": {
        "ar": "هل ستعود إلى هذا المركز؟",
        "ku": "ئایا دەگەڕێیتەوە بۆ ئەم بنکەیە؟",
        "en": "Would you come back to this station?",
    },
    "safe": {
        "ar": "هل شعرت بالأمان عند الإبلاغ؟",
        "ku": "ئایا لە کاتی ڕاپۆرتکردندا هەستت بە ئاسایش کرد؟",
        "en": "Did you feel safe reporting here?",
    },
    "gender": {"ar": "الجنس (اختياري)", "ku": "ڕەگەز (ئارەزوومەندانە)", "en": "Gender (optional)"},
    "female": {"ar": "أنثى", "ku": "مێ", "en": "Female"},
    "male": {"ar": "ذكر", "ku": "نێر", "en": "Male"},
    "unsaid": {"ar": "أفضل ألا أقول", "ku": "حەز دەکەم نەیڵێم", "en": "I prefer not to say"},
    "yes": {"ar": "نعم", "ku": "بەڵێ", "en": "Yes"},
    "no": {"ar": "لا", "ku": "نەخێر", "en": "No"},
    "comment": {
        "ar": "تعليق (اختياري؛ يقرؤه آمر المركز فقط ولا يُنشر)",
        "ku": "تێبینی (ئارەزوومەندانە؛ تەنها فەرماندەی بنکە دەیخوێنێتەوە و بڵاو ناکرێتەوە)",
        "en": "Comment (optional; read by the station's commander only, never published)",
    },
    "send": {"ar": "إرسال", "ku": "ناردن", "en": "Send"},
    "thanks": {
        "ar": "شكراً لك. وصل رأيك.",
        "ku": "سوپاس. ڕاکەت گەیشت.",
        "en": "Thank you. Your answer is in.",
    },
    "emergency": {
        "ar": "في حالة الطوارئ اتصل بـ",
        "ku": "لە کاتی فریاکەوتندا پەیوەندی بکە بە",
        "en": "In an emergency call",
    },
    "not_found": {
        "ar": "لم نجد هذا المركز. امسح الرمز في المركز مرة أخرى.",
        "ku": "ئەم بنکەیە نەدۆزرایەوە. دووبارە کۆدەکە لە بنکەکە بخوێنەرەوە.",
        "en": "This station was not found. Scan the code at the station again.",
    },
    "failed": {"ar": "تعذر الإرسال:", "ku": "نەنێردرا:", "en": "Not sent:"},
    "too_large": {
        "ar": "الإجابة أطول من أن تُرسل. ارجع، واختصر التعليق، ثم أرسل مرة أخرى.",
        "ku": "وەڵامەکە زۆر درێژە بۆ ناردن. بگەڕێوە، تێبینییەکە کورت بکەرەوە و دووبارە بینێرە.",
        "en": "The answer is too long to send. Go back, shorten the comment and send it again.",
    },
}
SERVICES: dict[str, dict[str, str]] = {
    "CRIME_REPORTING": {"ar": "الإبلاغ عن جريمة", "ku": "ڕاپۆرتکردنی تاوان", "en": "Reporting a crime"},
    "COMMUNITY_MEETING": {"ar": "اجتماع مجتمعي", "ku": "کۆبوونەوەی کۆمەڵگە", "en": "A community meeting"},
    "COMMUNITY_POLICING": {"ar": "الشرطة المجتمعية", "ku": "پۆلیسی کۆمەڵگە", "en": "Community policing"},
    "FAMILY_AND_CHILD_PROTECTION": {
        "ar": "حماية الأسرة والطفل",
        "ku": "پاراستنی خێزان و منداڵ",
        "en": "Family and child protection",
    },
    "JUVENILE_POLICE": {"ar": "شرطة الأحداث", "ku": "پۆلیسی هەرزەکاران", "en": "Juvenile police"},
    "WOMEN_OFFICERS_DESK": {
        "ar": "مكتب الشرطيات",
        "ku": "مێزی پۆلیسە ئافرەتەکان",
        "en": "Women officers' desk",
    },
    "TRAFFIC": {"ar": "المرور", "ku": "هاتوچۆ", "en": "Traffic"},
    "CIVIL_DOCUMENTS": {"ar": "الوثائق المدنية", "ku": "بەڵگەنامە مەدەنییەکان", "en": "Civil documents"},
    "OTHER": {"ar": "أخرى", "ku": "هی تر", "en": "Other"},
}
_STYLE = """
body{font:18px/1.5 system-ui,sans-serif;margin:0 auto;max-width:34rem;padding:1rem;color:#111}
h1{font-size:1.4rem}fieldset{border:1px solid #bbb;border-radius:.5rem;margin:0 0 1rem;padding:.6rem}
legend{font-weight:600}label{display:inline-block;margin:.2rem .6rem;min-height:2.75rem}
select,textarea,button{font:inherit;width:100%;box-sizing:border-box}textarea{min-height:6rem}
button{padding:.8rem;background:#14532d;color:#fff;border:0;border-radius:.5rem}
.emergency{background:#fee2e2;padding:.6rem;border-radius:.5rem;font-weight:600}.error{color:#991b1b}
"""


def routes(settings: Any, secret_key: str) -> list[Route]:
    page = FeedbackPage(getattr(settings, "emergency_number", "104"), secret_key)
    return [Route("/feedback/{station}", page.handle, methods=["GET", "POST"])]


class FeedbackPage:
    def __init__(self, emergency: str, secret_key: str) -> None:
        self.emergency = emergency
        self.secret_key = secret_key

    async def handle(self, request: Request) -> Response:
        lang = _lang(request)
        try:
            return await self._handle(request, lang)
        except Exception as error:  # a page, never a stack trace
            if not is_unavailable(error):
                _log.exception("feedback page failed")
            return self._page(lang, f"<p class=error>{_t('failed', lang)}</p>", status=503)

    async def _handle(self, request: Request, lang: str) -> Response:
        raw = request.path_params.get("station", "")
        station_id = int(raw) if raw.isdigit() and len(raw) <= 18 else None
        if request.method == "POST":
            try:
                form = await _form(request)
            except _TooLarge:  # before the station is looked up: the answer is the same for every station
                return self._page(lang, f"<p class=error>{_t('too_large', lang)}</p>", status=413)
            token = form.get("t", "")
        else:
            form, token = {}, request.query_params.get("t", "")
        ctx = Context(
            sessionmaker=request.app.state.sessionmaker,
            lang=lang,
            request=request,
            client_ip=request.client.host if request.client else None,
            secret_key=self.secret_key,
        )
        committed = False
        try:
            station = (
                (await station_logic.station_rows(ctx, [station_id])).get(station_id) if station_id else None
            )
            if (
                station is None
                or not station.active
                or not logic.token_matches(self.secret_key, station.id, token)
            ):
                return self._page(lang, f"<p class=error>{_t('not_found', lang)}</p>", status=404)
            name = localized({"ar": station.name_ar, "ku": station.name_ku, "en": station.name_en}, lang)
            if request.method == "GET":
                return self._page(lang, self._form(lang, station.id, token, name, uuid.uuid4()))
            answer = _answer(form, station.id, token)
            if answer is None:
                return self._page(
                    lang, self._form(lang, station.id, token, name, uuid.uuid4(), ["?"]), status=400
                )
            try:
                await applied_whole(ctx, lambda: logic.submit_feedback(ctx, answer))
            except MutationFailed as failure:
                problems = [e.message for e in failure.errors]
                status = 429 if any(e.code == "LIMIT_EXCEEDED" for e in failure.errors) else 400
                return self._page(
                    lang, self._form(lang, station.id, token, name, answer.client_id, problems), status=status
                )
            await ctx.close(commit=True)
            committed = True
            return self._page(lang, f"<h1>{html.escape(name)}</h1><p>{_t('thanks', lang)}</p>")
        finally:
            if not committed:
                await ctx.close(commit=False)

    def _form(
        self,
        lang: str,
        station_id: int,
        token: str,
        name: str,
        client_id: uuid.UUID,
        problems: Sequence[str] = (),
    ) -> str:
        def yes_no(field: str) -> str:
            return (
                f"<fieldset><legend>{_t(field, lang)}</legend>"
                f"<label><input type=radio name={field} value=yes required> {_t('yes', lang)}</label>"
                f"<label><input type=radio name={field} value=no> {_t('no', lang)}</label></fieldset>"
            )

        services = "".join(
            f"<option value={code}>{html.escape(localized(names, lang))}</option>"
            for code, names in SERVICES.items()
        )
        ratings = "".join(
            f"<label><input type=radio name=rating value={n} required> {n}</label>" for n in range(1, 6)
        )
        genders = "".join(
            f'<label><input type=radio name=gender value="{value}"{checked}> {_t(label, lang)}</label>'
            for value, label, checked in (
                ("FEMALE", "female", ""),
                ("MALE", "male", ""),
                ("", "unsaid", " checked"),
            )
        )
        errors = "".join(f"<p class=error>{_t('failed', lang)} {html.escape(p)}</p>" for p in problems)
        action = f"/feedback/{station_id}?lang={lang}"
        return (
            f"<h1>{html.escape(name)}</h1><p>{_t('anonymous', lang)}</p>{errors}"
            f'<form method=post action="{html.escape(action, quote=True)}">'
            f'<input type=hidden name=client_id value="{client_id}">'
            f'<input type=hidden name=t value="{html.escape(token, quote=True)}">'
            f"<fieldset><legend>{_t('service', lang)}</legend>"
            f"<select name=service required>{services}</select></fieldset>"
            f"<fieldset><legend>{_t('rating', lang)}</legend>{ratings}</fieldset>"
            f"{yes_no('respected')}{yes_no('come_back')}{yes_no('safe')}"
            f"<fieldset><legend>{_t('gender', lang)}</legend>{genders}</fieldset>"
            f"<fieldset><legend>{_t('comment', lang)}</legend>"
            "<textarea name=comment maxlength=1000></textarea></fieldset>"
            f"<button type=submit>{_t('send', lang)}</button></form>"
        )

    def _page(self, lang: str, body: str, status: int = 200) -> HTMLResponse:
        code, direction = _LANGS[lang]
        emergency = f"<p class=emergency>{_t('emergency', lang)} <bdi>{html.escape(self.emergency)}</bdi></p>"
        document = (
            f'<!doctype html><html lang="{code}" dir="{direction}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>{_t('title', lang)}</title><style>{_STYLE}</style></head>"
            f"<body>{emergency}{body}</body></html>"
        )
        return HTMLResponse(document, status_code=status, headers={"cache-control": "no-store"})


def _t(key: str, lang: str) -> str:
    return html.escape(localized(TEXT[key], lang))


def _lang(request: Request) -> str:
    asked = (request.query_params.get("lang") or "").lower()
    return asked if asked in _LANGS else pick_language(request.headers.get("accept-language"))


class _TooLarge(Exception):
    """The body is over MAX_BODY: answered 413, without reading the rest."""


async def _form(request: Request) -> dict[str, str]:
    """The posted fields; {} for a body that is not a form. _TooLarge over MAX_BODY (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            raise _TooLarge
    try:
        pairs = urllib.parse.parse_qsl(bytes(body).decode("utf-8"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(pairs)


def _answer(form: dict[str, str], station_id: int, token: str) -> logic.Answer | None:
    """The form's answer, or None when a required field is missing or not a choice the form offers."""
    try:
        client_id = uuid.UUID(form.get("client_id", ""))
        rating = int(form.get("rating", ""))
    except ValueError:
        return None
    service = form.get("service", "")
    answers = [form.get(k) for k in ("respected", "come_back", "safe")]
    gender = form.get("gender") or None
    if (
        service not in SERVICES
        or any(a not in ("yes", "no") for a in answers)
        or gender not in (None, "FEMALE", "MALE")
    ):
        return None
    from schema.node import to_global_id  # the id the API would be given

    return logic.Answer(
        client_id=client_id,
        station_id=to_global_id("Station", station_id),
        service=service,
        rating=rating,
        treated_with_respect=answers[0] == "yes",
        would_come_back=answers[1] == "yes",
        felt_safe_reporting=answers[2] == "yes",
        gender=gender,
        comment=form.get("comment") or None,
        station_token=token,
    )
