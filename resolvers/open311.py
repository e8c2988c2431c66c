"""Open311 GeoReport v2, the citizens' side: a report checked and routed to the triage of the station that
serves the place, and what the public sees of reports (docs/open311.md). The services are
resolvers/open311_services.py's; the station's triage is resolvers/service_requests.py's.

**Routing** (`route`). A report goes to the station whose imported area holds the place
(`locateStation`), when that station is active and offers the service's station service; a place no such
area holds goes to the nearest active station offering it within ROUTE_WITHIN_M, so that a deployment
with areas for some governorates only still serves the others. No station either way: the place is
outside every station's area, and the report is refused with a clear error.

**What the public sees** of a request (GET requests): its id, service, status, status notes, the
station responsible, its times, and its place as the centre of its H3 resolution-9 cell (about 0.1 km²,
some 200 m across), never the exact point. The description, the address, the photo and the reporter's
contact are never published: a neighbour's complaint names the neighbour, a photo shows faces and plates.
A request on a sensitive case (its incident, or that of the request it repeats, is sensitive: corrected
into domestic violence, say) is not published at all, neither listed nor found by its id: the public may
see nothing placed of a sensitive case (resolvers.disclosure.service_request_published).
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from h3.api import basic_int as h3i

from db import service_requests as repo
from db.rows import ServiceRequestRow
from resolvers import disclosure
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.field_checks import now_utc
from resolvers.lang import localized
from resolvers.messages import message
from resolvers.open311_services import BY_CODE, REFUSED_CODES, Service, service_name
from resolvers.text_checks import has_control

ROUTE_WITHIN_M = 25_000.0
PUBLIC_RESOLUTION = 9
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 250
MAX_URL = 1000
MAX_CONTACT = 200
MAX_LIST = 500
DEFAULT_DAYS = 90


class Open311Error(Exception):
    """A failure answered in Open311's error format: the HTTP status and a description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


async def route(ctx: Context, latitude: float, longitude: float, service: Service) -> Any | None:
    """The station whose triage a report at this point goes to: the station whose area holds the point
    (`locateStation`, resolvers/station_areas.py), when it is active and offers the service; else, for
    places no such area holds, the nearest active station offering the service within ROUTE_WITHIN_M
    (None: outside every station's area)."""
    from resolvers import station_areas

    responsible = await station_areas.locate_station(ctx, latitude, longitude)
    if responsible is not None:
        row = (await station_logic.station_rows(ctx, [responsible])).get(responsible)
        if row is not None and row.active and service.station_service in (row.services or ()):
            return row
    found = await station_logic.nearest(
        ctx,
        latitude=latitude,
        longitude=longitude,
        first=1,
        at=now_utc(),
        services=(service.station_service,),
        within_m=ROUTE_WITHIN_M,
    )
    return found[0].station if found else None


@dataclasses.dataclass(frozen=True, slots=True)
class NewRequest:
    service_code: str
    latitude: float | None
    longitude: float | None
    address_string: str | None
    description: str | None
    media_url: str | None
    email: str | None
    phone: str | None
    name: str | None
    attributes: dict[str, str]
    app: str | None


def _bounded(value: str | None, name: str, high: int, lang: str) -> str | None:
    if value is None:
        return None
    if has_control(value):
        raise Open311Error(400, message("control_characters", lang, field=name))
    value = value.strip()
    if len(value) > high:
        raise Open311Error(400, message("too_long", lang, field=name, high=high))
    return value or None


async def create_request(
    ctx: Context, new: NewRequest, *, emergency_number: str
) -> tuple[ServiceRequestRow, str]:
    """Check and store a citizen's report; (the request, the service notice to show them)."""
    lang = ctx.lang
    code = new.service_code.strip().lower()
    if code in REFUSED_CODES:
        phone = emergency_number
        if new.latitude is not None and new.longitude is not None and _finite(new.latitude, new.longitude):
            near = await station_logic.nearest(
                ctx,
                latitude=new.latitude,
                longitude=new.longitude,
                first=1,
                at=now_utc(),
                within_m=ROUTE_WITHIN_M,
            )
            if near and near[0].station.phone:
                phone = near[0].station.phone
        raise Open311Error(400, message("sensitive_service", lang, phone=phone, emergency=emergency_number))
    service = BY_CODE.get(code)
    if service is None:
        raise Open311Error(404, message("not_found", lang, field="service_code", kind="service"))
    if new.latitude is None or new.longitude is None:
        raise Open311Error(400, message("required", lang, field="lat, long"))
    if (
        not _finite(new.latitude, new.longitude)
        or not -90 <= new.latitude <= 90
        or not -180 <= new.longitude <= 180
    ):
        raise Open311Error(400, message("range", lang, field="lat, long", low=-180, high=180))
    description = _bounded(new.description, "description", MAX_DESCRIPTION, lang)
    media_url = _bounded(new.media_url, "media_url", MAX_URL, lang)
    if media_url is not None and not media_url.lower().startswith(("https://", "http://")):
        raise Open311Error(400, message("bad_url", lang, field="media_url"))
    if description is None and media_url is None:
        raise Open311Error(400, message("required", lang, field="description"))
    attributes = _attributes(service, new.attributes, lang)
    station = await route(ctx, new.latitude, new.longitude, service)
    if station is None:
        raise Open311Error(400, message("no_station_serves", lang))
    values = {
        "token": uuid.uuid4(),
        "service_code": service.code,
        "station_id": station.id,
        "description": description,
        "latitude": new.latitude,
        "longitude": new.longitude,
        "address_string": _bounded(new.address_string, "address_string", MAX_ADDRESS, lang),
        "media_url": media_url,
        "attributes": attributes,
        "contact_email": _bounded(new.email, "email", MAX_CONTACT, lang),
        "contact_phone": _bounded(new.phone, "phone", MAX_CONTACT, lang),
        "contact_name": _bounded(new.name, "first_name, last_name", MAX_CONTACT, lang),
        "app": new.app,
    }
    async with ctx.db() as session:
        made = await repo.insert_request(session, values)
        row = (await repo.requests_by_ids(session, [made]))[made]
    notice = message(
        "open311_notice", lang, station=localized(_station_names(station), lang), emergency=emergency_number
    )
    return row, notice


def _station_names(station: Any) -> dict[str, str | None]:
    return {"ar": station.name_ar, "ku": station.name_ku, "en": station.name_en}


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _attributes(service: Service, given: Mapping[str, str], lang: str) -> dict[str, str]:
    """The service's attributes as answered; codes the service does not define are ignored (clients
    send other jurisdictions' attributes, the spec's own example among them)."""
    if len(given) > 20:
        raise Open311Error(400, message("too_many", lang, field="attribute", high=20))
    found: dict[str, str] = {}
    for attribute in service.attributes:
        value = given.get(attribute.code)
        if value is None:
            if attribute.required:
                raise Open311Error(400, message("required", lang, field=f"attribute[{attribute.code}]"))
            continue
        keys = [key for key, _ in attribute.values]
        if value not in keys:
            field = f"attribute[{attribute.code}]"
            raise Open311Error(400, message("choice", lang, field=field, choices=", ".join(keys)))
        found[attribute.code] = value
    return found


# --- what the public sees ----------------------------------------------------------------------------


def public_point(latitude: float, longitude: float) -> tuple[float, float]:
    """A request's place as published: the centre of its resolution-9 cell, rounded to 5 decimals."""
    lat, lon = h3i.cell_to_latlng(h3i.latlng_to_cell(latitude, longitude, PUBLIC_RESOLUTION))
    return round(lat, 5), round(lon, 5)


def public_request(
    row: ServiceRequestRow, station_names: Mapping[str, str | None], lang: str
) -> dict[str, Any]:
    """The GeoReport v2 fields of a request that anyone may read (see the module's docstring)."""
    lat, lon = public_point(row.latitude, row.longitude)
    return {
        "service_request_id": str(row.id),
        "status": row.status,
        "status_notes": row.status_notes,
        "service_name": service_name(row.service_code, lang),
        "service_code": row.service_code,
        "agency_responsible": localized(station_names, lang),
        "service_notice": None,
        "requested_datetime": _w3c(row.requested_at),
        "updated_datetime": _w3c(row.updated_at),
        "expected_datetime": None,
        "lat": lat,
        "long": lon,
    }


def _w3c(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


async def station_names(ctx: Context, rows: Sequence[ServiceRequestRow]) -> dict[int, dict[str, str | None]]:
    found = await station_logic.station_rows(ctx, [r.station_id for r in rows])
    return {i: _station_names(s) for i, s in found.items()}


async def public_list(
    ctx: Context,
    *,
    ids: Sequence[int] | None,
    service_codes: Sequence[str],
    status: str | None,
    start: datetime | None,
    end: datetime | None,
) -> list[dict[str, Any]]:
    if ids is None and start is None and end is None:
        start = now_utc() - timedelta(days=DEFAULT_DAYS)
    async with ctx.db() as session:
        rows = await repo.public_requests(
            session, ids=ids, service_codes=service_codes, status=status, start=start, end=end, limit=MAX_LIST
        )
    rows = [r for r in rows if disclosure.service_request_published(r)]
    names = await station_names(ctx, rows)
    return [public_request(r, names.get(r.station_id, {}), ctx.lang) for r in rows]


async def request_of_token(ctx: Context, token: str) -> int | None:
    try:
        key = uuid.UUID(token)
    except ValueError:
        return None
    async with ctx.db() as session:
        return await repo.request_id_by_token(session, key)
