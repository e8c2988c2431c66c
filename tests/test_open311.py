"""Open311 GeoReport v2 at /open311/v2/: the spec's own request, the fields of every response in JSON
and XML, routing to the station's triage, its status coming back, hostile input, and a real Open311
client (the `georeport` library) over a real socket."""

from __future__ import annotations

import asyncio
import base64
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from h3.api import basic_int as h3i
from sqlalchemy import text

from api.app import create_app
from api.config import Settings
from resolvers import disclosure
from schema.node import time_cursor, to_global_id
from tests.factories import age_arrivals, make_officer, make_station, sign_in
from tests.servers import free_port

BASE = "/open311/v2"
# The fields GeoReport v2 gives each response (http://wiki.open311.org/GeoReport_v2).
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {
    "variable", "code", "datatype", "required", "datatype_description", "order", "description", "values",
}  # fmt: skip
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "agency_responsible",
    "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "lat", "long",
}  # fmt: skip
# Never published: what the citizen wrote, their photo and address, and who they are.
PRIVATE_FIELDS = {"description", "media_url", "address", "address_string", "email", "phone", "first_name",
                  "last_name", "device_id", "account_id"}  # fmt: skip
MOSUL = (36.3400, 43.1300)
# The spec's example POST, with a service code and a place of this jurisdiction (and its attributes,
# which this service does not define, left in: they are ignored).
SPEC_EXAMPLE = {
    "api_key": "",
    "jurisdiction_id": "city.gov",
    "service_code": "street_lighting",
    "lat": str(MOSUL[0]),
    "long": str(MOSUL[1]),
    "address_string": "1234 5th street",
    "email": "smit333@sfgov.edu",
    "device_id": "tt222111",
    "account_id": "123456",
    "first_name": "john",
    "last_name": "smith",
    "phone": "111111111",
    "description": "A large sinkhole is destroying the street",
    "media_url": "http://www.city.gov/media/12345",
    "attribute[WHISPAWN]": "123456",
    "attribute[WHISDORN]": "COTEP",
}
LIST = """
query Requests($filter: ServiceRequestFilter) {
  serviceRequests(filter: $filter) {
    edges { node { id serviceCode stationId station { id } status triage statusNotes description version
                   location { latitude longitude } contact { name email phone } } }
  }
}
"""
UPDATE = """
mutation Update($input: UpdateServiceRequestInput!) {
  updateServiceRequest(input: $input) {
    serviceRequest { id status triage statusNotes version incidentId }
    currentVersion
    errors { field code message }
  }
}
"""


async def stations(sessionmaker):
    """A station at Mosul, a farther one, and people of each; the near one's phone is known."""
    async with sessionmaker() as session:
        near = await make_station(
            session,
            latitude=MOSUL[0] + 0.01,
            longitude=MOSUL[1],
            phone="+964 770 000 0001",
            services=("COMMUNITY_POLICING", "CRIME_REPORTING", "TRAFFIC"),
        )
        far = await make_station(session, latitude=MOSUL[0] + 0.2, longitude=MOSUL[1])
        _, officer = await make_officer(session, station_id=near)
        _, commander = await make_officer(session, role="STATION_COMMANDER", station_id=near)
        _, far_officer = await make_officer(session, station_id=far)
        _, supervisor = await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",))
        await session.commit()
    return near, far, officer, commander, far_officer, supervisor


async def post(client, fields: dict, fmt: str = "json") -> httpx.Response:
    return await client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in fields.items() if v != ""})


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - the app's own answers, made by ElementTree


def assert_error(response: httpx.Response, status: int) -> str:
    """An Open311 error: the status, and [{"code", "description"}] with the same code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and set(body[0]) == {"code", "description"} and body[0]["code"] == status
    return body[0]["description"]


async def test_services_in_json_and_xml_in_three_languages(client) -> None:
    services = (await client.get(f"{BASE}/services.json", params={"locale": "en"})).json()
    assert all(set(s) == SERVICE_FIELDS for s in services)
    codes = {s["service_code"] for s in services}
    assert {"street_lighting", "noise", "abandoned_vehicle", "road_hazard", "suspicious_activity"} <= codes
    assert not codes & {"domestic_violence", "child_protection"}
    english = {s["service_code"]: s["service_name"] for s in services}
    assert english["street_lighting"] == "Street light out"
    arabic = (await client.get(f"{BASE}/services.json")).json()  # Arabic by default
    assert {s["service_code"]: s["service_name"] for s in arabic}["street_lighting"] == "إنارة شارع معطلة"
    kurdish = (await client.get(f"{BASE}/services.json", headers={"accept-language": "ckb"})).json()
    assert kurdish[0]["service_name"] != arabic[0]["service_name"]
    xml = await client.get(f"{BASE}/services.xml", params={"locale": "en"})
    assert xml.headers["content-type"].startswith("text/xml")
    root = parse_xml(xml.content)
    assert root.tag == "services" and {c.tag for c in root[0]} == SERVICE_FIELDS
    # a definition, with its attributes and their values
    definition = (await client.get(f"{BASE}/services/road_hazard.json", params={"locale": "en"})).json()
    assert definition["service_code"] == "road_hazard"
    attribute = definition["attributes"][0]
    assert set(attribute) == ATTRIBUTE_FIELDS and attribute["datatype"] == "singlevaluelist"
    assert {"key": "pothole", "name": "Pothole"} in attribute["values"]
    root = parse_xml((await client.get(f"{BASE}/services/road_hazard.xml")).content)
    assert root.tag == "service_definition" and root.find("attributes/attribute/values/value/key") is not None
    # an unknown service code, in Open311's error format, in both
    assert_error(await client.get(f"{BASE}/services/no_such.json"), 404)
    error = await client.get(f"{BASE}/services/no_such.xml")
    assert error.status_code == 404 and parse_xml(error.content).find("error/code").text == "404"


async def test_the_spec_example_lands_in_the_nearest_station_and_its_status_comes_back(
    client, gql, sessionmaker
) -> None:
    near, _far, officer, commander, far_officer, supervisor = await stations(sessionmaker)
    # when a citizen's app posts the spec's example
    response = await post(client, SPEC_EXAMPLE)
    # then it gets its id and a token, and a notice naming the station and the emergency number
    assert response.status_code == 200, response.text
    [made] = response.json()
    assert set(made) == {"service_request_id", "token", "service_notice", "account_id"}
    assert "104" in made["service_notice"]
    request_id = made["service_request_id"]
    token = (await client.get(f"{BASE}/tokens/{made['token']}.json")).json()
    assert token == [{"service_request_id": request_id, "token": made["token"]}]
    # and the public sees it open, placed only at its resolution-9 cell, without anything private
    [public] = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert set(public) <= REQUEST_FIELDS and not set(public) & PRIVATE_FIELDS
    assert public["status"] == "open" and public["service_code"] == "street_lighting"
    cell = h3i.latlng_to_cell(*MOSUL, 9)
    assert (public["lat"], public["long"]) != MOSUL
    assert h3i.latlng_to_cell(public["lat"], public["long"], 9) == cell
    listed = (await client.get(f"{BASE}/requests.json", params={"status": "open,closed"})).json()
    assert [r["service_request_id"] for r in listed] == [request_id]
    root = parse_xml((await client.get(f"{BASE}/requests/{request_id}.xml")).content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == request_id
    assert root.find("request/description") is None
    # the near station's officer has it in triage, with the reporter's contact to call back
    node_id = to_global_id("ServiceRequest", request_id)
    body = await gql(LIST, headers=await sign_in(gql, officer))
    [edge] = body["data"]["serviceRequests"]["edges"]
    assert edge["node"]["stationId"] == edge["node"]["station"]["id"] == to_global_id("Station", near)
    assert edge["node"]["description"] == "A large sinkhole is destroying the street"
    assert edge["node"]["location"] == {"latitude": MOSUL[0], "longitude": MOSUL[1]}
    assert edge["node"]["contact"] == {
        "name": "john smith",
        "email": "smit333@sfgov.edu",
        "phone": "111111111",
    }
    # the supervisor sees it without the contact; the far station's officer does not see it
    body = await gql(LIST, headers=await sign_in(gql, supervisor))
    assert body["data"]["serviceRequests"]["edges"][0]["node"]["contact"] is None
    body = await gql(LIST, headers=await sign_in(gql, far_officer))
    assert body["data"]["serviceRequests"]["edges"] == []
    # citizens may not list the triage
    body = await gql(LIST)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # when the officer accepts it with a note, the citizen reads the note back
    update = {"serviceRequestId": node_id, "expectedVersion": 1, "triage": "ACCEPTED",
              "statusNotes": "A patrol will check the street tonight."}  # fmt: skip
    body = await gql(UPDATE, {"input": update}, headers=await sign_in(gql, officer))
    payload = body["data"]["updateServiceRequest"]
    assert payload["errors"] == [] and payload["serviceRequest"]["version"] == 2
    # and the report has become an incident of the station, where the citizen put it, without the contact
    incident_id = payload["serviceRequest"]["incidentId"]
    incident = await gql(
        "query($id: ID!) { node(id: $id) { ... on Incident { category description station { id }"
        " location { latitude longitude } } } }",
        {"id": incident_id},
        headers=await sign_in(gql, officer),
    )
    became = incident["data"]["node"]
    assert became["station"]["id"] == to_global_id("Station", near) and became["category"] == "OTHER"
    assert became["location"] == {"latitude": MOSUL[0], "longitude": MOSUL[1]}
    assert "sinkhole" in became["description"] and "smit333" not in became["description"]
    [public] = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert public["status"] == "open" and public["status_notes"] == "A patrol will check the street tonight."
    # a stale version is a CONFLICT with the current one
    body = await gql(
        UPDATE, {"input": {**update, "triage": "RESOLVED"}}, headers=await sign_in(gql, commander)
    )
    payload = body["data"]["updateServiceRequest"]
    assert payload["errors"][0]["code"] == "CONFLICT" and payload["currentVersion"] == 2
    # refused: the supervisor (reads, does not triage), the far officer (not theirs), a citizen
    closing = {**update, "expectedVersion": 2, "triage": "RESOLVED", "statusNotes": "Lamp replaced."}
    body = await gql(UPDATE, {"input": closing}, headers=await sign_in(gql, supervisor))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(UPDATE, {"input": closing}, headers=await sign_in(gql, far_officer))
    assert body["data"]["updateServiceRequest"]["errors"][0]["code"] == "NOT_FOUND"
    body = await gql(UPDATE, {"input": closing})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # the commander resolves it: closed, for everyone; resent with its clientId, it changes nothing more
    closing["clientId"] = "6f1c1d3e-7d0a-4c59-9a55-2f0f2d0c0001"
    for _ in range(2):
        body = await gql(UPDATE, {"input": closing}, headers=await sign_in(gql, commander))
        resolved = body["data"]["updateServiceRequest"]
        assert resolved["errors"] == [] and resolved["serviceRequest"]["status"] == "CLOSED"
        assert resolved["serviceRequest"]["version"] == 3
    [public] = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert public["status"] == "closed" and public["status_notes"] == "Lamp replaced."
    assert public["updated_datetime"] >= public["requested_datetime"]


async def test_a_post_in_xml_answers_in_xml(client, sessionmaker) -> None:
    await stations(sessionmaker)
    response = await post(client, SPEC_EXAMPLE, fmt="xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    root = parse_xml(response.content)
    assert root.tag == "service_requests"
    assert {c.tag for c in root.find("request")} == {
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    }
    token = root.find("request/token").text
    answer = parse_xml((await client.get(f"{BASE}/tokens/{token}.xml")).content)
    assert answer.find("request/service_request_id").text == root.find("request/service_request_id").text


async def test_a_duplicate_names_the_report_it_repeats(client, gql, sessionmaker) -> None:
    _near, _far, officer, *_ = await stations(sessionmaker)
    first = (await post(client, SPEC_EXAMPLE)).json()[0]["service_request_id"]
    second = (await post(client, SPEC_EXAMPLE)).json()[0]["service_request_id"]
    headers = await sign_in(gql, officer)
    update = {"serviceRequestId": to_global_id("ServiceRequest", second), "expectedVersion": 1,
              "triage": "DUPLICATE"}  # fmt: skip
    body = await gql(UPDATE, {"input": update}, headers=headers)
    assert body["data"]["updateServiceRequest"]["errors"][0]["field"] == ["duplicateOfId"]
    update["duplicateOfId"] = to_global_id("ServiceRequest", first)
    update["statusNotes"] = "Already reported: see the first report."
    body = await gql(UPDATE, {"input": update}, headers=headers)
    assert body["data"]["updateServiceRequest"]["serviceRequest"]["triage"] == "DUPLICATE"
    [public] = (await client.get(f"{BASE}/requests/{second}.json")).json()
    assert public["status"] == "closed"


async def test_bad_reports_get_clear_open311_errors(client, sessionmaker) -> None:
    await stations(sessionmaker)
    # outside every station's area
    description = assert_error(await post(client, {**SPEC_EXAMPLE, "lat": "30.0", "long": "40.0"}), 400)
    assert "outside every station" in description or "خارج" in description
    # an unknown service code
    assert_error(await post(client, {**SPEC_EXAMPLE, "service_code": "pizza"}), 404)
    # a sensitive category is not offered: the answer points to the station's phone and the family desk
    described = assert_error(
        await client.post(
            f"{BASE}/requests.json",
            data={**SPEC_EXAMPLE, "service_code": "domestic_violence"},
            headers={"accept-language": "en"},
        ),
        400,
    )
    assert "+964 770 000 0001" in described and "family-protection" in described and "104" in described
    # no place, a place that is not a number, or not finite
    assert_error(await post(client, {**SPEC_EXAMPLE, "lat": "", "long": ""}), 400)
    assert_error(await post(client, {**SPEC_EXAMPLE, "lat": "abc"}), 400)
    assert_error(await post(client, {**SPEC_EXAMPLE, "lat": "nan"}), 400)
    assert_error(await post(client, {**SPEC_EXAMPLE, "lat": "1e400"}), 400)
    # neither description nor photo; control characters; too long
    assert_error(await post(client, {**SPEC_EXAMPLE, "description": "", "media_url": ""}), 400)
    assert_error(await post(client, {**SPEC_EXAMPLE, "description": "a\x00b"}), 400)
    assert_error(await post(client, {**SPEC_EXAMPLE, "description": "x" * 5000}), 400)
    assert_error(await post(client, {**SPEC_EXAMPLE, "media_url": "javascript:alert(1)"}), 400)
    # a required attribute missing, a value not offered
    assert_error(await post(client, {**SPEC_EXAMPLE, "service_code": "road_hazard"}), 400)
    assert_error(
        await post(client, {**SPEC_EXAMPLE, "service_code": "road_hazard", "attribute[kind]": "x"}), 400
    )
    ok = await post(client, {**SPEC_EXAMPLE, "service_code": "road_hazard", "attribute[kind]": "pothole"})
    assert ok.status_code == 200
    # an unknown api_key
    assert_error(await post(client, {**SPEC_EXAMPLE, "api_key": "guess"}), 403)
    # a body too large, a body that is not a form, bytes that are not UTF-8
    big = await client.post(f"{BASE}/requests.json", content=b"description=" + b"x" * 70_000,
                            headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert_error(big, 413)
    assert_error(await client.post(f"{BASE}/requests.json", json={"service_code": "noise"}), 400)
    raw = await client.post(f"{BASE}/requests.json", content=b"description=\xff\xfe",
                            headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert_error(raw, 400)
    # paths, ids, tokens and dates that are no such thing
    assert_error(await client.get(f"{BASE}/nothing.json"), 404)
    assert_error(await client.get(f"{BASE}/requests.txt"), 404)
    assert_error(await client.get(f"{BASE}/requests/999999999.json"), 404)
    assert_error(await client.get(f"{BASE}/requests/abc.json"), 404)
    assert_error(await client.get(f"{BASE}/requests/" + "9" * 40 + ".json"), 404)
    assert_error(await client.get(f"{BASE}/tokens/not-a-token.json"), 404)
    assert_error(await client.get(f"{BASE}/requests.json", params={"start_date": "yesterday"}), 400)
    assert_error(await client.get(f"{BASE}/requests.json", params={"status": "pending"}), 400)
    assert_error(await client.get(f"{BASE}/" + "a" * 300 + ".json"), 404)


@pytest.fixture
def limited_settings(tmp_path) -> Settings:
    return Settings.from_env(
        {
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_ENV": "development",
            "MARKAZ_AUDIT_KEY": os.environ["MARKAZ_AUDIT_KEY"],
            "MARKAZ_RATE_LIMIT": "on",
            "MARKAZ_RATE_SYNC_MS": "0",
            "MARKAZ_OPEN311_KEYS": "fixmystreet-iq:s3cret-key",
            "MARKAZ_OPEN311_REQUIRE_KEY": "on",
            "MARKAZ_EMERGENCY_NUMBER": "911",
        }
    )


async def test_registered_apps_and_a_flood_from_one_source(sessionmaker, limited_settings) -> None:
    await stations(sessionmaker)
    app = create_app(limited_settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://markaz.test"
    ) as client:
        # a key is required: none, or a wrong one, is refused
        assert_error(await post(client, SPEC_EXAMPLE), 403)
        assert_error(await post(client, {**SPEC_EXAMPLE, "api_key": "wrong"}), 403)
        keyed = {**SPEC_EXAMPLE, "api_key": "s3cret-key"}
        statuses = [(await post(client, keyed)).status_code for _ in range(11)]
        assert statuses[:10] == [200] * 10
        response = await post(client, keyed)
        assert_error(response, 429)
        assert int(response.headers["retry-after"]) >= 1
        # the emergency number is the setting's, in every service's description
        services = (await client.get(f"{BASE}/services.json")).json()
        assert services and all("911" in s["description"] for s in services)
    async with sessionmaker() as session:
        from sqlalchemy import text

        apps = (await session.execute(text("SELECT DISTINCT app FROM service_requests"))).scalars().all()
    assert apps == ["fixmystreet-iq"]


async def test_a_real_open311_client_reads_everything(sessionmaker, settings) -> None:
    """georeport (a GeoReport v2 client on PyPI) against the app served by uvicorn on a real socket. It
    reads only (it does not post): the report is posted as the spec's example, form-encoded."""
    import uvicorn
    from georeport import GeoReport

    await stations(sessionmaker)
    app = create_app(settings, sessionmaker=sessionmaker)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
        root = f"http://127.0.0.1:{port}{BASE}"
        async with httpx.AsyncClient() as http:
            made = (await http.post(f"{root}/requests.json", data=SPEC_EXAMPLE)).json()[0]
        for fmt in ("json", "xml"):
            client = GeoReport(root, jurisdiction="city.gov", output_format=fmt)
            services = await asyncio.to_thread(client.get_service_list)
            assert {s["service_code"] for s in services} >= {"street_lighting", "noise"}
            definition = await asyncio.to_thread(client.get_service_definition, "road_hazard")
            assert definition["service_code"] == "road_hazard"
            requests = await asyncio.to_thread(client.get_service_requests, status="open")
            listed = requests if isinstance(requests, list) else [requests]  # xmltodict: one is a dict
            assert [r["service_request_id"] for r in listed] == [made["service_request_id"]]
            one = await asyncio.to_thread(client.get_service_request, made["service_request_id"])
            assert one["status"] == "open" and "description" not in one
    finally:
        server.should_exit = True
        await task


async def test_a_report_goes_to_the_station_whose_area_holds_it_not_the_nearest(
    client, gql, sessionmaker
) -> None:
    from resolvers.station_areas import parse_areas, write_areas

    near, far, officer, _commander, far_officer, _supervisor = await stations(sessionmaker)
    # given the farther station's beat reaching across the point (a river or a district line between)
    lat, lon = MOSUL
    ring = [
        [lon - 0.02, lat - 0.02],
        [lon + 0.02, lat - 0.02],
        [lon + 0.02, lat + 0.3],
        [lon - 0.02, lat + 0.3],
    ]
    ring.append(ring[0])
    beat = {"type": "Feature", "properties": {"station_id": str(far)},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    async with sessionmaker() as session:
        await write_areas(
            session, parse_areas(orjson.dumps({"type": "FeatureCollection", "features": [beat]})).areas
        )
        await session.commit()
    # when a citizen reports there
    made = (await post(client, SPEC_EXAMPLE)).json()[0]
    # then it is in the farther station's triage, the responsible one, and not the nearest's
    body = await gql(LIST, headers=await sign_in(gql, far_officer))
    [edge] = body["data"]["serviceRequests"]["edges"]
    assert edge["node"]["id"] == to_global_id("ServiceRequest", made["service_request_id"])
    assert edge["node"]["stationId"] == to_global_id("Station", far)
    body = await gql(LIST, headers=await sign_in(gql, officer))
    assert body["data"]["serviceRequests"]["edges"] == []
    assert near != far


# --- a request whose incident becomes sensitive ---------------------------------------------------------

REQUEST_FIELDS_QUERY = """
fragment Request on ServiceRequest {
  id detailsHidden incidentId duplicateOfId triage status statusNotes description addressString mediaUrl
  attributes requestedAt updatedAt location { latitude longitude } contact { name email phone }
}
"""
CASE_LIST = REQUEST_FIELDS_QUERY + "query { serviceRequests { edges { cursor node { ...Request } } } }"
CASE_NODE = REQUEST_FIELDS_QUERY + "query($id: ID!) { node(id: $id) { ...Request } }"
REPORT_INCIDENT = """
mutation($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id version } errors { field code } }
}
"""
CORRECT_INCIDENT = """
mutation($input: CorrectIncidentInput!) {
  correctIncident(input: $input) { incident { id sensitive } errors { field code } }
}
"""


async def test_a_request_follows_its_incident_corrected_into_domestic_violence(
    client, gql, sessionmaker
) -> None:
    near, _far, officer, commander, _far_officer, supervisor = await stations(sessionmaker)
    async with sessionmaker() as session:
        _, colleague = await make_officer(session, station_id=near)
        _, admin = await make_officer(session, role="ADMIN")
        await session.commit()
    headers = {
        name: await sign_in(gql, badge)
        for name, badge in (
            ("reporter", officer),
            ("commander", commander),
            ("colleague", colleague),
            ("supervisor", supervisor),
            ("admin", admin),
        )
    }
    # given: a citizen's report of men trying car doors, a second and a third report of the same street,
    # and an unrelated one
    report = {**SPEC_EXAMPLE, "service_code": "suspicious_activity", "address_string": "House 7, Al-Zuhur",
              "description": "A man trying car doors in front of house 7, shouting at a woman."}  # fmt: skip
    first = (await post(client, report)).json()[0]["service_request_id"]
    again = {**report, "service_code": "road_hazard", "attribute[kind]": "obstacle",
             "description": "A car left across the lane in front of house 7."}  # fmt: skip
    second = (await post(client, again)).json()[0]["service_request_id"]
    third = (await post(client, again)).json()[0]["service_request_id"]
    other = (await post(client, SPEC_EXAMPLE)).json()[0]["service_request_id"]
    ids = {n: to_global_id("ServiceRequest", n) for n in (first, second, third, other)}
    # the officer reports it as a theft and accepts the first report for it; the second repeats it, and
    # the third the second
    body = await gql(
        REPORT_INCIDENT,
        {
            "input": {
                "clientId": "0b7e7f0e-1d55-4c2e-9a3e-6d3c1f5a0001",
                "category": "THEFT",
                "location": {"latitude": MOSUL[0], "longitude": MOSUL[1]},
                "occurredAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "description": "Attempted theft from parked cars.",
                "stationId": to_global_id("Station", near),
            }
        },
        headers=headers["reporter"],
    )
    theft = body["data"]["reportIncident"]["incident"]["id"]

    async def triage(who: str, request: str, version: int, **values) -> dict:
        update = {"serviceRequestId": ids[request], "expectedVersion": version, **values}
        return await gql(UPDATE, {"input": update}, headers=headers[who])

    body = await triage("reporter", first, 1, triage="ACCEPTED", incidentId=theft,
                        statusNotes="An officer will call you back.")  # fmt: skip
    assert body["data"]["updateServiceRequest"]["errors"] == []
    body = await triage("reporter", second, 1, triage="DUPLICATE", duplicateOfId=ids[first])
    assert body["data"]["updateServiceRequest"]["errors"] == []
    body = await triage("reporter", third, 1, triage="DUPLICATE", duplicateOfId=ids[second])
    assert body["data"]["updateServiceRequest"]["errors"] == []
    listed = (await client.get(f"{BASE}/requests.json", params={"status": "open,closed"})).json()
    assert {r["service_request_id"] for r in listed} == {first, second, third, other}

    # when: the reporter corrects the theft into domestic violence (the woman told the station)
    body = await gql(
        CORRECT_INCIDENT,
        {
            "input": {
                "clientId": "0b7e7f0e-1d55-4c2e-9a3e-6d3c1f5a0002",
                "incidentId": theft,
                "expectedVersion": 1,
                "reason": "She came to the station: it was her husband.",
                "category": "DOMESTIC_VIOLENCE",
                "description": "Her husband beat her in the street in front of house 7.",
            }
        },
        headers=headers["reporter"],
    )
    assert body["data"]["correctIncident"]["errors"] == []
    assert body["data"]["correctIncident"]["incident"]["sensitive"] is True

    # then: the public sees neither report of the case, listed or by id, as for an unknown id
    unknown = assert_error(await client.get(f"{BASE}/requests/999999999.json"), 404)
    for gone in (first, second, third):
        assert assert_error(await client.get(f"{BASE}/requests/{gone}.json"), 404) == unknown
        assert (await client.get(f"{BASE}/requests/{gone}.xml")).status_code == 404
    listed = (await client.get(f"{BASE}/requests.json", params={"status": "open,closed"})).json()
    assert [r["service_request_id"] for r in listed] == [other]
    asked = ",".join((first, second, third, other))
    by_ids = (await client.get(f"{BASE}/requests.json", params={"service_request_id": asked})).json()
    assert [r["service_request_id"] for r in by_ids] == [other]

    async def seen(who: str) -> dict[str, dict]:
        """{request id: (edge, node)} of the requests `who` lists, each also asked by node (they agree)."""
        body = await gql(CASE_LIST, headers=headers[who])
        found = {}
        for edge in body["data"]["serviceRequests"]["edges"]:
            node = (await gql(CASE_NODE, {"id": edge["node"]["id"]}, headers=headers[who]))["data"]["node"]
            assert node == edge["node"], (who, node, edge["node"])
            found[edge["node"]["id"]] = edge
        return found

    # off the case, on the day its incident arrived: its reports are in no list, no node, no triage
    for who in ("colleague", "supervisor"):
        assert set(await seen(who)) == {ids[other]}, who
        for gone in (first, second, third):
            assert (await gql(CASE_NODE, {"id": ids[gone]}, headers=headers[who]))["data"]["node"] is None
    body = await triage("colleague", first, 2, triage="RESOLVED")
    assert body["data"]["updateServiceRequest"]["errors"][0]["code"] == "NOT_FOUND"

    # on the case: exactly as the citizen sent it, ordered by its day (for everyone), its read audited
    async def reads() -> int:
        async with sessionmaker() as session:
            return (
                await session.execute(
                    text(
                        "SELECT count(*) FROM audit_log WHERE action = 'read_sensitive' "
                        "AND entity_type = 'Incident' AND entity_id = :i"
                    ),
                    {"i": base64.b64decode(theft).decode().split(":", 1)[1]},
                )
            ).scalar_one()

    before = await reads()
    exact = await seen("reporter")
    assert await reads() > before
    edge = exact[ids[first]]
    mine = edge["node"]
    assert mine["detailsHidden"] is False and mine["incidentId"] == theft
    assert mine["location"] == {"latitude": MOSUL[0], "longitude": MOSUL[1]}
    assert mine["description"] == report["description"] and mine["addressString"] == "House 7, Al-Zuhur"
    assert mine["mediaUrl"] == SPEC_EXAMPLE["media_url"]
    assert mine["statusNotes"] == "An officer will call you back."
    assert mine["contact"] == {"name": "john smith", "email": "smit333@sfgov.edu", "phone": "111111111"}
    assert exact[ids[second]]["node"]["attributes"] == {"kind": "obstacle"}
    requested = datetime.fromisoformat(mine["requestedAt"])
    day = disclosure.coarse_time(requested)
    assert requested != day
    assert edge["cursor"] == time_cursor("ServiceRequestCursor", day, int(first))
    assert list(exact) == [ids[other], ids[third], ids[second], ids[first]]  # by day, then id
    for who in ("commander", "admin"):
        assert (await seen(who))[ids[first]] == edge, who

    # off the case, from the next day on: generalised like the incident, nothing of what was sent or said
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    cell = h3i.latlng_to_cell(*MOSUL, 7)
    centre = dict(zip(("latitude", "longitude"), h3i.cell_to_latlng(cell), strict=True))
    for who in ("colleague", "supervisor"):
        found = await seen(who)
        assert list(found) == [ids[other], ids[third], ids[second], ids[first]], who
        assert found[ids[other]]["node"]["detailsHidden"] is False
        for request in (first, second, third):
            hidden = found[ids[request]]
            node = hidden["node"]
            assert node["detailsHidden"] is True, (who, node)
            assert node["location"] == centre
            assert node["description"] is node["addressString"] is node["mediaUrl"] is None
            assert node["statusNotes"] is node["contact"] is None and node["attributes"] == {}
            assert node["requestedAt"] == day.isoformat()
            assert node["updatedAt"] == disclosure.coarse_time(requested).isoformat()
            assert hidden["cursor"] == time_cursor("ServiceRequestCursor", day, int(request))
        assert found[ids[first]]["node"]["incidentId"] == theft
        assert found[ids[second]]["node"]["duplicateOfId"] == ids[first]
        assert found[ids[third]]["node"]["duplicateOfId"] == ids[second]
    # ... and the triage of its reports is for its case: not answered, not repeated, not tied to it
    body = await triage("colleague", first, 2, triage="RESOLVED", statusNotes="Done.")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await triage("colleague", other, 1, triage="DUPLICATE", duplicateOfId=ids[first])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await triage("colleague", other, 1, triage="ACCEPTED", incidentId=theft)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await seen("reporter"))[ids[first]]["node"] == mine  # nothing changed
    # the commander, on the case, resolves it: still exact for them, and still not published
    body = await triage("commander", first, 2, triage="RESOLVED", statusNotes="Referred to the FPU.")
    assert body["data"]["updateServiceRequest"]["errors"] == []
    assert body["data"]["updateServiceRequest"]["serviceRequest"]["statusNotes"] == "Referred to the FPU."
    assert assert_error(await client.get(f"{BASE}/requests/{first}.json"), 404) == unknown
    hidden = (await seen("colleague"))[ids[first]]["node"]
    assert hidden["status"] == "CLOSED" and hidden["statusNotes"] is None
    # taking a report off the case is the commander's (as lowering a sensitivity): not its reporter's
    body = await triage("reporter", third, 2, triage="DECLINED", statusNotes="Nothing to do.")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert assert_error(await client.get(f"{BASE}/requests/{third}.json"), 404) == unknown
    # accepting a report that repeats one of the case makes an incident marked sensitive: it stays on it
    body = await triage("reporter", second, 2, triage="ACCEPTED")
    accepted = body["data"]["updateServiceRequest"]
    assert accepted["errors"] == [] and accepted["serviceRequest"]["incidentId"] not in (None, theft)
    became = await gql(
        "query($id: ID!) { node(id: $id) { ... on Incident { sensitive category } } }",
        {"id": accepted["serviceRequest"]["incidentId"]},
        headers=headers["reporter"],
    )
    assert became["data"]["node"] == {"sensitive": True, "category": "OTHER"}  # a road hazard
    for gone in (second, third):
        assert assert_error(await client.get(f"{BASE}/requests/{gone}.json"), 404) == unknown
    # the commander may take one off it: then it is an ordinary report again, published
    body = await triage("commander", third, 2, triage="DECLINED", statusNotes="Nothing to do.")
    assert body["data"]["updateServiceRequest"]["errors"] == []
    [public] = (await client.get(f"{BASE}/requests/{third}.json")).json()
    assert public["status"] == "closed" and public["status_notes"] == "Nothing to do."
