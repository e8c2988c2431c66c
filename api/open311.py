"""Open311 GeoReport v2 at /open311/v2/: services, service definitions, requests (GET and POST), one
request, and tokens, in JSON or XML as the spec gives them (docs/open311.md). Errors are Open311's:
`[{"code": 400, "description": "..."}]` with the same HTTP status. Input is bounded (a body of at most
MAX_BODY bytes, each field by resolvers/open311.py); every citizen's request counts in the address's
rate-limit bucket, and POSTs in a bucket of their own too."""

from __future__ import annotations

import hmac
import logging
import math
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from db.faults import is_unavailable
from resolvers import open311 as logic
from resolvers import open311_services as catalog
from resolvers.context import Context
from resolvers.lang import localized, pick_language
from resolvers.messages import message
from resolvers.text_checks import source_key

_log = logging.getLogger("markaz.open311")
PREFIX = "/open311/v2/"
MAX_BODY = 64 * 1024
MAX_PATH = 200
POST_BURST = 10
POST_RATE = 1 / 180  # then one every three minutes per source
_LANGS = ("ar", "ku", "en")


def routes(settings: Any) -> list[Route]:
    endpoint = Open311(settings)
    return [Route(PREFIX + "{rest:path}", endpoint.handle, methods=["GET", "POST"])]


def _to_xml(root: str, item: str, items: Sequence[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for entry in items:
        _fill(ET.SubElement(top, item), entry)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
        top, encoding="utf-8", xml_declaration=False
    )


def _fill(element: ET.Element, entry: dict[str, Any]) -> None:
    for key, value in entry.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            singular = {"attributes": "attribute", "values": "value", "keywords": "keyword"}.get(key, "item")
            for part in value:
                _fill(ET.SubElement(child, singular), part) if isinstance(part, dict) else None
        elif isinstance(value, dict):
            _fill(child, value)
        elif value is None:
            continue
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = str(value)


class Open311:
    def __init__(self, settings: Any) -> None:
        self.emergency = getattr(settings, "emergency_number", "104")
        self.keys = tuple(getattr(settings, "open311_keys", ()))
        self.require_key = bool(getattr(settings, "open311_require_key", False))
        self.citizen = (
            float(getattr(settings, "citizen_rate", 15.0)),
            float(getattr(settings, "citizen_burst", 30)),
        )

    async def handle(self, request: Request) -> Response:
        lang = _lang(request)
        rest = request.path_params.get("rest", "")
        fmt = "xml" if rest.endswith(".xml") else "json"
        try:
            if len(rest) > MAX_PATH:
                raise logic.Open311Error(404, message("not_found", lang, field="path", kind="resource"))
            return await self._route(request, rest, fmt, lang)
        except logic.Open311Error as error:
            return _error(error.status, error.description, fmt)
        except Exception as error:
            if is_unavailable(error):
                return _error(503, message("database_unavailable", lang), fmt, {"Retry-After": "5"})
            _log.exception("open311 request failed")
            return _error(500, message("internal", lang), fmt)

    async def _route(self, request: Request, rest: str, fmt: str, lang: str) -> Response:
        stem, dot, extension = rest.rpartition(".")
        if not dot or extension not in ("json", "xml"):
            raise logic.Open311Error(404, message("not_found", lang, field="format", kind="json or xml"))
        parts = stem.split("/")
        method = request.method
        wait = await self._limit(request, f"ip:{source_key(_client(request))}", None)
        if wait is not None:
            return _error(429, message("rate_limited", lang, seconds=wait), fmt, {"Retry-After": str(wait)})
        if parts == ["services"] and method == "GET":
            notice = message("not_for_emergencies", lang, emergency=self.emergency)
            return _answer(fmt, "services", "service", [_service(s, lang, notice) for s in catalog.SERVICES])
        if len(parts) == 2 and parts[0] == "services" and method == "GET":
            service = catalog.BY_CODE.get(parts[1])
            if service is None:
                raise logic.Open311Error(
                    404, message("not_found", lang, field="service_code", kind="service")
                )
            return _definition(service, lang, fmt)
        if parts == ["requests"] and method == "GET":
            return await self._list(request, lang, fmt)
        if parts == ["requests"] and method == "POST":
            return await self._post(request, lang, fmt)
        if len(parts) == 2 and parts[0] == "requests" and method == "GET":
            ids = _ids(parts[1], lang)
            return await self._list(request, lang, fmt, ids=ids, one=True)
        if len(parts) == 2 and parts[0] == "tokens" and method == "GET":
            return await self._token(request, parts[1], lang, fmt)
        raise logic.Open311Error(404, message("not_found", lang, field="path", kind="resource"))

    async def _limit(self, request: Request, key: str, bucket: tuple[float, float] | None) -> int | None:
        limiter = getattr(request.app.state, "rate_limiter", None)
        if limiter is None:
            return None
        rate, burst = bucket or self.citizen
        wait = await limiter.take(key, rate, burst)
        return None if wait is None else max(1, math.ceil(wait))

    def _context(self, request: Request, lang: str) -> Context:
        return Context(
            sessionmaker=request.app.state.sessionmaker,
            lang=lang,
            request=request,
            client_ip=_client(request),
        )

    async def _list(
        self, request: Request, lang: str, fmt: str, *, ids: list[int] | None = None, one: bool = False
    ) -> Response:
        params = request.query_params
        if ids is None and params.get("service_request_id"):
            ids = _ids(params["service_request_id"], lang)
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()][:20]
        statuses = {part.strip() for part in params.get("status", "").split(",") if part.strip()}
        if not statuses <= {"open", "closed"}:
            raise logic.Open311Error(400, message("choice", lang, field="status", choices="open, closed"))
        status = statuses.pop() if len(statuses) == 1 else None
        start = _when(params.get("start_date"), "start_date", lang)
        end = _when(params.get("end_date"), "end_date", lang)
        ctx = self._context(request, lang)
        try:
            found = await logic.public_list(
                ctx, ids=ids, service_codes=codes, status=status, start=start, end=end
            )
        finally:
            await ctx.close(commit=False)
        if one and not found:
            raise logic.Open311Error(
                404, message("not_found", lang, field="service_request_id", kind="request")
            )
        return _answer(fmt, "service_requests", "request", found)

    async def _token(self, request: Request, token: str, lang: str, fmt: str) -> Response:
        ctx = self._context(request, lang)
        try:
            found = await logic.request_of_token(ctx, token)
        finally:
            await ctx.close(commit=False)
        if found is None:
            raise logic.Open311Error(404, message("not_found", lang, field="token", kind="token"))
        return _answer(
            fmt, "service_requests", "request", [{"service_request_id": str(found), "token": token}]
        )

    async def _post(self, request: Request, lang: str, fmt: str) -> Response:
        form = await _form(request, lang)
        app = self._app(form.get("api_key"), lang)
        wait = await self._limit(request, f"open311:{source_key(_client(request))}", (POST_RATE, POST_BURST))
        if wait is not None:
            return _error(429, message("rate_limited", lang, seconds=wait), fmt, {"Retry-After": str(wait)})
        names = " ".join(n for n in (form.get("first_name"), form.get("last_name")) if n) or None
        attributes = {
            key[len("attribute[") : -1]: value
            for key, value in form.items()
            if key.startswith("attribute[") and key.endswith("]")
        }
        new = logic.NewRequest(
            service_code=form.get("service_code") or "",
            latitude=_float(form.get("lat"), "lat", lang),
            longitude=_float(form.get("long"), "long", lang),
            address_string=form.get("address_string"),
            description=form.get("description"),
            media_url=form.get("media_url"),
            email=form.get("email"),
            phone=form.get("phone"),
            name=names,
            attributes=attributes,
            app=app,
        )
        if not new.service_code:
            raise logic.Open311Error(400, message("required", lang, field="service_code"))
        ctx = self._context(request, lang)
        committed = False
        try:
            row, notice = await logic.create_request(ctx, new, emergency_number=self.emergency)
            await ctx.close(commit=True)
            committed = True
        finally:
            if not committed:
                await ctx.close(commit=False)
        answer = [
            {
                "service_request_id": str(row.id),
                "token": str(row.token),
                "service_notice": notice,
                "account_id": None,
            }
        ]
        return _answer(fmt, "service_requests", "request", answer)

    def _app(self, key: str | None, lang: str) -> str | None:
        if key:
            for name, known in self.keys:
                if hmac.compare_digest(known.encode(), key.encode()):
                    return name
            raise logic.Open311Error(403, message("bad_api_key", lang))
        if self.require_key:
            raise logic.Open311Error(403, message("required", lang, field="api_key"))
        return None


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _lang(request: Request) -> str:
    locale = (request.query_params.get("locale") or "").split("_")[0].split("-")[0].lower()
    return locale if locale in _LANGS else pick_language(request.headers.get("accept-language"))


def _service(service: catalog.Service, lang: str, notice: str) -> dict[str, Any]:
    """A service as GET services gives it; its description ends with the emergency number."""
    return {
        "service_code": service.code,
        "service_name": localized(service.names, lang),
        "description": f"{localized(service.descriptions, lang)} {notice}",
        "metadata": bool(service.attributes),
        "type": "realtime",
        "keywords": service.code.replace("_", ", "),
        "group": service.group,
    }


def _definition(service: catalog.Service, lang: str, fmt: str) -> Response:
    attributes = [
        {
            "variable": True,
            "code": a.code,
            "datatype": "singlevaluelist",
            "required": a.required,
            "datatype_description": None,
            "order": order,
            "description": localized(a.names, lang),
            "values": [{"key": key, "name": localized(names, lang)} for key, names in a.values],
        }
        for order, a in enumerate(service.attributes, start=1)
    ]
    body = {"service_code": service.code, "attributes": attributes}
    if fmt == "xml":
        top = ET.Element("service_definition")
        _fill(top, body)
        return Response(
            b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8"),
            media_type="text/xml; charset=utf-8",
        )
    return Response(orjson.dumps(body), media_type="application/json")


def _answer(fmt: str, root: str, item: str, items: list[dict[str, Any]], status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_to_xml(root, item, items), status_code=status, media_type="text/xml; charset=utf-8")
    return Response(orjson.dumps(items), status_code=status, media_type="application/json")


def _error(status: int, description: str, fmt: str, headers: dict[str, str] | None = None) -> Response:
    errors = [{"code": status, "description": description}]
    if fmt == "xml":
        return Response(
            _to_xml("errors", "error", errors),
            status_code=status,
            media_type="text/xml; charset=utf-8",
            headers=headers,
        )
    return Response(orjson.dumps(errors), status_code=status, media_type="application/json", headers=headers)


def _ids(text: str, lang: str) -> list[int]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or len(parts) > 100 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise logic.Open311Error(
            404 if len(parts) == 1 else 400,
            message("not_found", lang, field="service_request_id", kind="request"),
        )
    return [int(p) for p in parts]


def _when(value: str | None, name: str, lang: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value[:40].replace("Z", "+00:00"))
    except ValueError:
        raise logic.Open311Error(400, message("bad_request_body", lang, field=name)) from None
    if at.tzinfo is None:
        raise logic.Open311Error(400, message("bad_request_body", lang, field=name))
    return at


def _float(value: str | None, name: str, lang: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value[:40])
    except ValueError:
        raise logic.Open311Error(400, message("not_finite", lang, field=name)) from None
    if not math.isfinite(number):
        raise logic.Open311Error(400, message("not_finite", lang, field=name))
    return number


async def _form(request: Request, lang: str) -> dict[str, str]:
    """The POST's fields: the form-encoded body (as the spec sends them) over the query string's."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            raise logic.Open311Error(413, message("too_long", lang, field="body", high=MAX_BODY))
    fields = dict(request.query_params)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and kind not in ("", "application/x-www-form-urlencoded"):
        raise logic.Open311Error(400, message("bad_request_body", lang, field="content-type"))
    try:
        text = bytes(body).decode("utf-8")
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=False, max_num_fields=100, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError):
        raise logic.Open311Error(400, message("bad_request_body", lang, field="body")) from None
    fields.update(pairs)
    return fields
