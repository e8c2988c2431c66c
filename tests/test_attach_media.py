"""attachMedia (resolvers/media.py): a finished tus upload tied to an incident or an engagement, with its
content judged by its bytes, photos served without their metadata (a real JPEG with EXIF GPS tags), the
/media/ links, the policy from both sides (a sensitive incident's and a household engagement's media
only on the case), idempotency by clientId, expected versus received, and the syncFieldLog entry."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from PIL import Image, PngImagePlugin
from sqlalchemy import text

from tests.factories import age_arrivals, make_officer, make_station, sign_in

TUS = {"tus-resumable": "1.0.0"}
EN = {"accept-language": "en"}
HERE = {"latitude": 36.40123, "longitude": 43.20456}

ATTACHMENT = (
    "id contentType bytes width height sha256 takenAt takenPlace { latitude longitude } caption url "
    "thumbnailUrl"
)
ATTACH = f"""
mutation Attach($input: AttachMediaInput!) {{
  attachMedia(input: $input) {{ attachment {{ {ATTACHMENT} }} errors {{ field code message }} }}
}}
"""
REPORT = """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id } errors { field code message } }
}
"""
LOG = """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) { engagement { id } errors { field code message } }
}
"""
INCIDENT = f"""
query Incident($id: ID!) {{
  node(id: $id) {{
    ... on Incident {{ attachments {{ {ATTACHMENT} }} attachmentsExpected attachmentsReceived }}
    ... on Engagement {{ attachments {{ {ATTACHMENT} }} attachmentsExpected attachmentsReceived }}
  }}
}}
"""
NODE = f"query Node($id: ID!) {{ node(id: $id) {{ ... on Attachment {{ {ATTACHMENT} }} }} }}"
SYNC = """
mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) {
    results { clientId kind status errors { field code message } node { __typename id } }
    errors { field code message }
  }
}
"""


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def jpeg_with_gps() -> bytes:
    """A real JPEG as a phone writes it: EXIF with the camera, the time, an orientation and a GPS fix."""
    image = Image.new("RGB", (640, 480), (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Field Phone 7"  # Model
    exif[0x0112] = 6  # Orientation: turn 90 degrees to show it upright
    exif[0x8769] = {0x9003: "2026:11:30 09:15:00", 0x9011: "+03:00"}  # DateTimeOriginal, its offset
    exif[0x8825] = {1: "N", 2: (36.0, 20.0, 15.5), 3: "E", 4: (43.0, 7.0, 30.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)[2] == (36.0, 20.0, 15.5)
    return data


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "36.3376, 43.1250")
    out = io.BytesIO()
    Image.new("RGB", (50, 30), (0, 90, 0)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def _world(gql, sessionmaker) -> SimpleNamespace:
    async with sessionmaker() as session:
        a = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        b = await make_station(session, governorate="IQ-NI", latitude=36.34, longitude=43.12)
        people = {
            "commander": await make_officer(session, role="STATION_COMMANDER", station_id=a),
            "reporter": await make_officer(session, station_id=a),
            "colleague": await make_officer(session, station_id=a),
            "supervisor": await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",)),
            "other_station": await make_officer(session, station_id=b),
        }
        await session.commit()
    world = SimpleNamespace(headers={})
    for name, (_, badge) in people.items():
        world.headers[name] = {**EN, **await sign_in(gql, badge)}
    return world


async def upload(client, headers, data: bytes, *, finish: bool = True) -> str:
    """An upload over tus; its id (the last part of its Location)."""
    created = await client.post(
        "/uploads/",
        headers={
            **headers,
            **TUS,
            "upload-length": str(len(data)),
            "upload-metadata": f"filename {base64.b64encode(b'x.jpg').decode()}",
        },
    )
    assert created.status_code == 201, created.text
    path = urlsplit(created.headers["location"]).path
    body = data if finish else data[: len(data) // 2]
    sent = await client.patch(
        path,
        content=body,
        headers={**headers, **TUS, "content-type": "application/offset+octet-stream", "upload-offset": "0"},
    )
    assert sent.status_code == 204, sent.text
    return path.rsplit("/", 1)[-1]


async def _report(gql, world, who="reporter", **overrides) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "category": "THEFT",
        "location": HERE,
        "occurredAt": _ago(hours=3),
        "description": "A motorcycle taken from outside the market.",
        **overrides,
    }
    body = await gql(REPORT, {"input": values}, headers=world.headers[who])
    assert body["data"]["reportIncident"]["errors"] == [], body
    return body["data"]["reportIncident"]["incident"]["id"]


async def _log(gql, world, who="reporter", **overrides) -> str:
    values = {
        "clientId": str(uuid.uuid4()),
        "kind": "COMMUNITY_MEETING",
        "location": HERE,
        "occurredAt": _ago(hours=2),
        "attendees": {"total": 30, "women": 12, "youth": 5},
        "topics": ["street lighting"],
        **overrides,
    }
    body = await gql(LOG, {"input": values}, headers=world.headers[who])
    assert body["data"]["logEngagement"]["errors"] == [], body
    return body["data"]["logEngagement"]["engagement"]["id"]


async def _attach(gql, world, who, **values) -> dict:
    body = await gql(ATTACH, {"input": {"clientId": str(uuid.uuid4()), **values}}, headers=world.headers[who])
    return body


async def test_a_photo_is_kept_upright_without_its_gps_and_served_by_its_link(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    original = jpeg_with_gps()
    upload_id = await upload(client, world.headers["reporter"], original)
    body = await _attach(
        gql, world, "reporter", uploadId=upload_id, incidentId=incident, caption="The broken lock"
    )
    payload = body["data"]["attachMedia"]
    assert payload["errors"] == [], payload
    made = payload["attachment"]
    assert made["contentType"] == "image/jpeg"
    assert (made["width"], made["height"]) == (480, 640)  # turned upright by its EXIF orientation
    assert made["caption"] == "The broken lock"
    assert made["takenAt"].startswith("2026-11-30T06:15:00")  # its EXIF time, +03:00, in UTC
    # where it was taken: the EXIF GPS fix, kept as a field (36°20'15.5" N, 43°7'30" E), not in the bytes
    place = made["takenPlace"]
    assert abs(place["latitude"] - (36 + 20 / 60 + 15.5 / 3600)) < 1e-6
    assert abs(place["longitude"] - (43 + 7 / 60 + 30 / 3600)) < 1e-6

    served = await client.get(made["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    data = served.content
    assert len(data) == made["bytes"] and hashlib.sha256(data).hexdigest() == made["sha256"]
    kept = Image.open(io.BytesIO(data))
    exif = kept.getexif()
    assert exif.get_ifd(0x8825) == {} and 0x8825 not in exif  # no GPS
    assert 0x010F not in exif and 0x0110 not in exif  # no camera
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"Field Phone" not in data
    assert kept.size == (480, 640)

    thumbnail = await client.get(made["thumbnailUrl"])
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    small = Image.open(io.BytesIO(thumbnail.content))
    assert max(small.size) <= 320 and b"Exif" not in thumbnail.content

    listed = (await gql(INCIDENT, {"id": incident}, headers=world.headers["colleague"]))["data"]["node"]
    assert [a["id"] for a in listed["attachments"]] == [made["id"]]  # not sensitive: the station sees it
    assert listed["attachmentsReceived"] == 1 and listed["attachmentsExpected"] is None
    async with sessionmaker() as session:  # the upload went; its bytes live on as the attachment's
        left = (await session.execute(text("SELECT count(*) FROM uploads"))).scalar()
    assert left == 0


async def test_links_that_are_altered_or_expired_are_404(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    upload_id = await upload(client, world.headers["reporter"], jpeg_with_gps())
    made = (await _attach(gql, world, "reporter", uploadId=upload_id, incidentId=incident))["data"][
        "attachMedia"
    ]["attachment"]
    url = made["url"]
    path, _, query = url.partition("?")
    params = dict(part.split("=") for part in query.split("&"))
    attachment_id = path.split("/")[2]
    forged = [
        path,  # no signature
        f"{path}?expires={params['expires']}&signature={'0' * 32}",
        f"/media/{int(attachment_id) + 1}/full?{query}",  # another attachment, this one's signature
        f"/media/{attachment_id}/thumb?{query}",
        f"{path}?expires={int(params['expires']) + 10}&signature={params['signature']}",
        f"{path}?expires=1000&signature={params['signature']}",  # long expired
    ]
    for link in forged:
        assert (await client.get(link)).status_code == 404, link
    assert (await client.get(url)).status_code == 200


async def test_retrying_attach_media_gives_one_attachment(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    upload_id = await upload(client, world.headers["reporter"], png_with_text())
    values = {"clientId": str(uuid.uuid4()), "uploadId": upload_id, "incidentId": incident}
    first = await gql(ATTACH, {"input": values}, headers=world.headers["reporter"])
    again = await gql(ATTACH, {"input": values}, headers=world.headers["reporter"])
    made = first["data"]["attachMedia"]["attachment"]
    assert again["data"]["attachMedia"] == {
        "attachment": {
            **made,
            "url": again["data"]["attachMedia"]["attachment"]["url"],
            "thumbnailUrl": again["data"]["attachMedia"]["attachment"]["thumbnailUrl"],
        },
        "errors": [],
    }
    assert made["contentType"] == "image/png" and (made["width"], made["height"]) == (50, 30)
    served = await client.get(made["url"])
    assert b"Location" not in served.content and b"43.1250" not in served.content  # text chunks gone
    other = await gql(
        ATTACH, {"input": {**values, "caption": "other content"}}, headers=world.headers["reporter"]
    )
    assert other["data"]["attachMedia"]["errors"][0]["code"] == "CONFLICT"
    async with sessionmaker() as session:
        count = (await session.execute(text("SELECT count(*) FROM attachments"))).scalar()
    assert count == 1


async def test_content_is_judged_by_its_bytes(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    me = world.headers["reporter"]
    pdf = await _attach(gql, world, "reporter", uploadId=await upload(client, me, PDF), incidentId=incident)
    made = pdf["data"]["attachMedia"]["attachment"]
    assert made["contentType"] == "application/pdf" and made["thumbnailUrl"] is None
    assert made["width"] is None and made["bytes"] == len(PDF)
    served = await client.get(made["url"])
    assert served.content == PDF and served.headers["content-disposition"].startswith("attachment")
    gif = b"GIF89a" + b"\x00" * 40
    for refused in (gif, b"<html><script>alert(1)</script></html>", b"MZ\x90\x00 a program"):
        body = await _attach(
            gql, world, "reporter", uploadId=await upload(client, me, refused), incidentId=incident
        )
        errors = body["data"]["attachMedia"]["errors"]
        assert [e["field"] for e in errors] == [["uploadId"]], errors
        assert "JPEG" in errors[0]["message"]
    broken = b"\xff\xd8\xff\xe0" + b"\x00" * 100  # says JPEG, is not one
    body = await _attach(
        gql, world, "reporter", uploadId=await upload(client, me, broken), incidentId=incident
    )
    assert body["data"]["attachMedia"]["errors"][0]["field"] == ["uploadId"]


async def test_bad_input_names_its_field_and_attaches_nothing(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    me = world.headers["reporter"]
    unfinished = await upload(client, me, PDF, finish=False)
    body = await _attach(gql, world, "reporter", uploadId=unfinished, incidentId=incident)
    (error,) = body["data"]["attachMedia"]["errors"]
    assert error["field"] == ["uploadId"] and "not finished" in error["message"]
    theirs = await upload(client, world.headers["colleague"], PDF)
    body = await _attach(gql, world, "reporter", uploadId=theirs, incidentId=incident)
    assert body["data"]["attachMedia"]["errors"][0] == {
        "field": ["uploadId"],
        "code": "NOT_FOUND",
        "message": body["data"]["attachMedia"]["errors"][0]["message"],
    }
    for bad in ("nonsense", uuid.uuid4().hex):
        body = await _attach(gql, world, "reporter", uploadId=bad, incidentId=incident)
        assert body["data"]["attachMedia"]["errors"][0]["field"] == ["uploadId"]
    mine = await upload(client, me, PDF)
    body = await _attach(gql, world, "reporter", uploadId=mine)
    assert body["data"]["attachMedia"]["errors"][0]["field"] == ["engagementId"]
    body = await _attach(gql, world, "reporter", uploadId=mine, incidentId=incident, expectedAttachments=0)
    assert body["data"]["attachMedia"]["errors"][0]["field"] == ["expectedAttachments"]
    body = await _attach(gql, world, "reporter", uploadId=mine, incidentId=incident, caption="x" * 501)
    assert body["data"]["attachMedia"]["errors"][0]["field"] == ["caption"]
    elsewhere = await _report(gql, world, "other_station")
    body = await _attach(gql, world, "reporter", uploadId=mine, incidentId=elsewhere)
    assert body["data"]["attachMedia"]["errors"][0]["code"] == "NOT_FOUND"  # not theirs to know of
    async with sessionmaker() as session:
        assert (await session.execute(text("SELECT count(*) FROM attachments"))).scalar() == 0
    upload_left = await gql(
        INCIDENT, {"id": incident}, headers=world.headers["reporter"]
    )  # the upload is still there to attach properly
    assert upload_left["data"]["node"]["attachmentsReceived"] == 0
    body = await _attach(gql, world, "reporter", uploadId=mine, incidentId=incident)
    assert body["data"]["attachMedia"]["errors"] == []


async def test_a_sensitive_incidents_media_only_on_its_case(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(
        gql, world, category="DOMESTIC_VIOLENCE", description="A woman beaten by her husband at home."
    )
    photo = await upload(client, world.headers["reporter"], jpeg_with_gps())
    made = await _attach(gql, world, "reporter", uploadId=photo, incidentId=incident, expectedAttachments=3)
    attachment = made["data"]["attachMedia"]["attachment"]
    assert made["data"]["attachMedia"]["errors"] == [] and attachment["url"]
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)

    # Refused: the station's other officers, supervisors (who see the incident only generalised).
    for who in ("colleague", "supervisor"):
        seen = (await gql(INCIDENT, {"id": incident}, headers=world.headers[who]))["data"]["node"]
        assert seen == {"attachments": [], "attachmentsExpected": None, "attachmentsReceived": None}, who
        assert (await gql(NODE, {"id": attachment["id"]}, headers=world.headers[who]))["data"]["node"] is None
        theirs = await upload(client, world.headers[who], PDF)
        refused = await _attach(gql, world, who, uploadId=theirs, incidentId=incident)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
    assert (await gql(NODE, {"id": attachment["id"]}, headers=world.headers["other_station"]))["data"][
        "node"
    ] is None

    # Allowed: the people on its case, the commander of its station and its reporter.
    for who in ("commander", "reporter"):
        seen = (await gql(INCIDENT, {"id": incident}, headers=world.headers[who]))["data"]["node"]
        assert [a["id"] for a in seen["attachments"]] == [attachment["id"]], who
        assert seen["attachmentsExpected"] == 3 and seen["attachmentsReceived"] == 1
        node = (await gql(NODE, {"id": attachment["id"]}, headers=world.headers[who]))["data"]["node"]
        served = await client.get(node["url"])
        assert served.status_code == 200 and b"Exif" not in served.content
    async with sessionmaker() as session:
        audited = (
            await session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'attachMedia'"))
        ).scalar()
    assert audited == 1


async def test_a_household_engagements_media_only_on_its_case(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    visit = await _log(gql, world, kind="HOME_VISIT")
    meeting = await _log(gql, world)
    photo = await upload(client, world.headers["reporter"], jpeg_with_gps())
    made = await _attach(gql, world, "reporter", uploadId=photo, engagementId=visit)
    assert made["data"]["attachMedia"]["errors"] == []
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    seen = (await gql(INCIDENT, {"id": visit}, headers=world.headers["colleague"]))["data"]["node"]
    assert seen["attachments"] == [] and seen["attachmentsReceived"] is None
    theirs = await upload(client, world.headers["colleague"], PDF)
    refused = await _attach(gql, world, "colleague", uploadId=theirs, engagementId=visit)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A meeting's sign-in sheet: anyone of the station may attach it and see it.
    sheet = await _attach(gql, world, "colleague", uploadId=theirs, engagementId=meeting)
    assert sheet["data"]["attachMedia"]["errors"] == []
    seen = (await gql(INCIDENT, {"id": meeting}, headers=world.headers["reporter"]))["data"]["node"]
    assert seen["attachmentsReceived"] == 1
    on_case = (await gql(INCIDENT, {"id": visit}, headers=world.headers["commander"]))["data"]["node"]
    assert on_case["attachmentsReceived"] == 1


async def test_attach_media_as_a_sync_entry_with_the_report_it_belongs_to(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    me = world.headers["reporter"]
    photo = await upload(client, me, jpeg_with_gps())
    unfinished = await upload(client, me, PDF, finish=False)
    report_id = str(uuid.uuid4())
    entries = [
        {
            "reportIncident": {
                "clientId": report_id,
                "category": "THEFT",
                "location": HERE,
                "occurredAt": _ago(hours=1),
                "description": "Windows of the school broken.",
            }
        },
        {
            "attachMedia": {
                "clientId": str(uuid.uuid4()),
                "uploadId": photo,
                "incidentClientId": report_id,
                "expectedAttachments": 2,
            }
        },
        {
            "attachMedia": {
                "clientId": str(uuid.uuid4()),
                "uploadId": unfinished,
                "incidentClientId": report_id,
            }
        },
    ]
    body = await gql(SYNC, {"input": {"entries": entries}}, headers=me)
    results = body["data"]["syncFieldLog"]["results"]
    assert [r["status"] for r in results] == ["APPLIED", "APPLIED", "REJECTED"], results
    assert results[1]["node"]["__typename"] == "Attachment"
    assert results[2]["errors"][0]["field"] == ["attachMedia", "uploadId"]
    again = (await gql(SYNC, {"input": {"entries": entries[:2]}}, headers=me))["data"]["syncFieldLog"][
        "results"
    ]
    assert [r["status"] for r in again] == ["DUPLICATE", "DUPLICATE"]
    assert again[1]["node"]["id"] == results[1]["node"]["id"]
    incident = results[0]["node"]["id"]
    seen = (await gql(INCIDENT, {"id": incident}, headers=world.headers["supervisor"]))["data"]["node"]
    # What a supervisor sees: one of the two photos the phone said it would send has arrived.
    assert seen["attachmentsExpected"] == 2 and seen["attachmentsReceived"] == 1


async def test_a_media_directory_keeps_the_bytes_as_files(sessionmaker, settings, tmp_path):
    import dataclasses

    import httpx

    from api.app import create_app
    from tests.conftest import GraphQL

    media = tmp_path / "media"
    app = create_app(dataclasses.replace(settings, media_dir=media), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://markaz.test"
    ) as client:
        gql = GraphQL(client)
        world = await _world(gql, sessionmaker)
        incident = await _report(gql, world)
        photo = await upload(client, world.headers["reporter"], jpeg_with_gps())
        made = (await _attach(gql, world, "reporter", uploadId=photo, incidentId=incident))["data"][
            "attachMedia"
        ]
        attachment = made["attachment"]
        key = int(attachment["url"].split("/")[2])
        stored = media / "attachments" / str(key) / "full"
        assert stored.read_bytes() == (await client.get(attachment["url"])).content
        assert (media / "attachments" / str(key) / "thumb").is_file()
        assert b"Exif" not in stored.read_bytes()
        assert not list(media.rglob("*.partial"))
    async with sessionmaker() as session:
        assert (await session.execute(text("SELECT count(*) FROM media_objects"))).scalar() == 0


async def test_the_phone_s_capture_place_wins_and_a_bad_one_is_refused_naming_it(client, gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _report(gql, world)
    upload_id = await upload(client, world.headers["reporter"], jpeg_with_gps())
    body = await _attach(gql, world, "reporter", uploadId=upload_id, incidentId=incident,
                         takenPlace={"latitude": 91, "longitude": 43.1})  # fmt: skip
    assert body["data"]["attachMedia"]["errors"][0]["field"] == ["takenPlace", "latitude"], body
    body = await _attach(gql, world, "reporter", uploadId=upload_id, incidentId=incident,
                         takenPlace={"latitude": 36.35, "longitude": 43.12})  # fmt: skip
    made = body["data"]["attachMedia"]["attachment"]
    assert made["takenPlace"] == {"latitude": 36.35, "longitude": 43.12}
