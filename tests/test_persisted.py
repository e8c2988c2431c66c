"""Persisted queries (APQ), the production safelist, HTTP caching of public GETs, and compression."""

from __future__ import annotations

import gzip
import json
import secrets

import brotli
import httpx
import pytest

from api.app import create_app
from api.config import Settings
from api.persisted import MAX_DOCUMENT_BYTES
from mobile_contract import releases
from mobile_contract.documents import sha256_hex
from resolvers import policy
from tests.factories import make_officer, make_station

ACCEPT = {"accept": "application/graphql-response+json"}
OPS = {(m.app, op.name): op for m in releases.load_all() for op in m.operations}
NEAREST = OPS[("citizen", "NearestStations")]
NEAR = {"near": {"latitude": 36.35, "longitude": 43.15}, "first": 3, "openNow": False}
GOVERNORATES = "query G { governorates { code name } }"


def apq(sha: str, query: str | None = None, variables: dict | None = None) -> dict:
    body: dict = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}},
        "variables": variables or {},
    }
    if query is not None:
        body["query"] = query
    return body


def get_params(sha: str, variables: dict | None = None) -> dict:
    return {
        "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}}),
        "variables": json.dumps(variables or {}),
    }


async def test_hash_alone_is_not_found_until_the_document_is_sent(client, sessionmaker, settings):
    sha = sha256_hex(GOVERNORATES)
    first = await client.post("/graphql", json=apq(sha), headers=ACCEPT)
    # 200, so that every client reads the body and resends with the document.
    assert first.status_code == 200
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = await client.post("/graphql", json=apq(sha, GOVERNORATES), headers=ACCEPT)
    assert registered.status_code == 200 and len(registered.json()["data"]["governorates"]) == 18
    again = await client.post("/graphql", json=apq(sha), headers=ACCEPT)
    assert again.json() == registered.json()
    # Another server process (a new app, its own memory) finds it in PostgreSQL.
    other = create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://x") as c:
        shared = await c.post("/graphql", json=apq(sha), headers=ACCEPT)
    assert shared.json() == registered.json()


async def test_a_document_that_does_not_match_its_hash_is_refused_and_not_stored(client):
    wrong = sha256_hex(GOVERNORATES + " ")
    refused = await client.post("/graphql", json=apq(wrong, GOVERNORATES), headers=ACCEPT)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    still = await client.post("/graphql", json=apq(wrong), headers=ACCEPT)
    assert still.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [{"version": 2, "sha256Hash": "0" * 64}, {"version": 1, "sha256Hash": "ABC"}, {"version": 1}, "yes"],
)
async def test_a_malformed_extension_is_a_bad_request(client, extension):
    body = {"query": GOVERNORATES, "extensions": {"persistedQuery": extension}}
    response = await client.post("/graphql", json=body, headers=ACCEPT)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_INVALID"


async def test_documents_are_bounded_and_only_valid_ones_are_stored(client):
    big = "query Big { governorates { code } }" + " " * MAX_DOCUMENT_BYTES
    response = await client.post("/graphql", json=apq(sha256_hex(big), big), headers=ACCEPT)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_TOO_LARGE"
    invalid = "query Bad { governorates { noSuchField } }"
    answer = await client.post("/graphql", json=apq(sha256_hex(invalid), invalid), headers=ACCEPT)
    assert answer.status_code == 400 and "noSuchField" in answer.json()["errors"][0]["message"]
    later = await client.post("/graphql", json=apq(sha256_hex(invalid)), headers=ACCEPT)
    assert later.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_the_manifests_operations_are_known_from_the_start(client, sessionmaker):
    async with sessionmaker() as session:
        await make_station(session)
        await session.commit()
    response = await client.post("/graphql", json=apq(NEAREST.sha256, variables=NEAR), headers=ACCEPT)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["nearestStations"][0]["station"]["__typename"] == "Station"


def test_only_admins_may_send_documents_in_production():
    def viewer(role: str) -> policy.Viewer:
        import uuid

        return policy.Viewer(1, role, None, None, frozenset(), uuid.uuid4())

    assert policy.may_send_documents(None, production=False)
    assert policy.may_send_documents(viewer("OFFICER"), production=False)
    assert policy.may_send_documents(viewer("ADMIN"), production=True)
    for role in ("OFFICER", "STATION_COMMANDER", "SUPERVISOR"):
        assert not policy.may_send_documents(viewer(role), production=True)
    assert not policy.may_send_documents(None, production=True)


@pytest.fixture
async def production(sessionmaker, tmp_path):
    settings = Settings.from_env(
        {
            "MARKAZ_DATA_DIR": str(tmp_path),
            "MARKAZ_ENV": "production",
            "MARKAZ_SECRET_KEY": secrets.token_urlsafe(48),
        }
    )
    app = create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://markaz.test") as c:
        yield c


async def _sign_in(client, badge: str) -> dict[str, str]:
    from tests.factories import PASSWORD

    login = OPS[("officer", "Login")]
    body = apq(login.sha256, variables={"badgeNumber": badge, "password": PASSWORD})
    payload = (await client.post("/graphql", json=body, headers=ACCEPT)).json()["data"]["login"]
    assert payload["errors"] == []
    return {"authorization": f"Bearer {payload['accessToken']}", **ACCEPT}


async def test_production_runs_only_manifest_operations_for_the_apps(production, sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(session)
        await make_officer(session, station_id=station, badge="SAFE-OFC")
        await make_officer(session, role="ADMIN", badge="SAFE-ADM")
        await session.commit()
    # A citizen: a manifest operation by hash, or sent in full (however it is spaced), runs...
    by_hash = await production.post("/graphql", json=apq(NEAREST.sha256, variables=NEAR), headers=ACCEPT)
    assert by_hash.status_code == 200 and by_hash.json()["data"]["nearestStations"]
    spaced = " ".join(NEAREST.document.split())
    in_full = await production.post("/graphql", json={"query": spaced, "variables": NEAR}, headers=ACCEPT)
    assert in_full.status_code == 200 and in_full.json()["data"] == by_hash.json()["data"]
    # ...anything else is refused, in the person's language.
    refused = await production.post(
        "/graphql", json={"query": GOVERNORATES}, headers={**ACCEPT, "accept-language": "en"}
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
    assert "not an operation of any released Markaz app" in refused.json()["errors"][0]["message"]
    # An officer's token does not lift the safelist; an admin's does, also through APQ registration.
    officer = await _sign_in(production, "SAFE-OFC")
    me = OPS[("officer", "Me")]
    assert (await production.post("/graphql", json=apq(me.sha256), headers=officer)).status_code == 200
    sent = await production.post("/graphql", json={"query": GOVERNORATES}, headers=officer)
    assert sent.status_code == 403
    admin = await _sign_in(production, "SAFE-ADM")
    sha = sha256_hex(GOVERNORATES)
    assert (await production.post("/graphql", json=apq(sha, GOVERNORATES), headers=admin)).status_code == 200
    assert (await production.post("/graphql", json=apq(sha), headers=admin)).status_code == 200
    # What an admin stored is still not an app operation.
    assert (await production.post("/graphql", json=apq(sha), headers=officer)).status_code == 403
    # Outside the safelist a citizen learns nothing about the schema: refused before validation.
    probe = await production.post("/graphql", json={"query": "{ secretThing }"}, headers=ACCEPT)
    assert probe.status_code == 403 and "secretThing" not in probe.text
    # A citizen cannot store a document either: refused before anything is kept.
    other = "query H { governorates { code } }"
    refused = await production.post("/graphql", json=apq(sha256_hex(other), other), headers=ACCEPT)
    assert refused.status_code == 403
    missing = await production.post("/graphql", json=apq(sha256_hex(other)), headers=admin)
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_production_runs_the_follow_up_and_public_map_operations_of_the_new_releases(
    production, sessionmaker
):
    """officer-1.1.0 and supervisor-1.2.0 read and update follow-up actions, citizen-1.1.0 reads the public
    map: by hash alone, in production, as the released apps send them."""
    import datetime as dt
    import uuid

    async with sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI")
        await make_officer(session, station_id=station, badge="FU-OFC")
        await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",), badge="FU-SUP")
        await session.commit()

    async def run(app: str, name: str, variables: dict, headers: dict) -> dict:
        response = await production.post(
            "/graphql", json=apq(OPS[(app, name)].sha256, variables=variables), headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    officer = await _sign_in(production, "FU-OFC")
    me = (await run("officer", "Me", {}, officer))["me"]
    logged = await run(
        "officer",
        "LogEngagement",
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "kind": "COMMUNITY_MEETING",
                "location": NEAR["near"],
                "occurredAt": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(),
                "followUps": [{"description": "Ask the municipality to mend the street lights"}],
            }
        },
        officer,
    )
    assert logged["logEngagement"]["errors"] == []
    mine = await run("officer", "FollowUpActions", {"filter": {"ownerId": me["id"]}}, officer)
    mine = mine["followUpActions"]
    assert mine["totalCount"] == 1
    action = mine["edges"][0]["node"]
    started = await run(
        "officer",
        "UpdateFollowUpAction",
        {"input": {"followUpActionId": action["id"], "status": "IN_PROGRESS", "clientId": str(uuid.uuid4())}},
        officer,
    )
    assert started["updateFollowUpAction"]["followUpAction"]["status"] == "IN_PROGRESS"

    supervisor = await _sign_in(production, "FU-SUP")
    listed = await run("supervisor", "FollowUpActions", {"filter": {"overdue": False}}, supervisor)
    node = listed["followUpActions"]["edges"][0]["node"]
    assert node["id"] == action["id"] and node["owner"]["id"] == me["id"]
    done = await run(
        "supervisor",
        "UpdateFollowUpAction",
        {"input": {"followUpActionId": action["id"], "status": "DONE", "note": "Lights mended"}},
        supervisor,
    )
    assert done["updateFollowUpAction"]["followUpAction"]["status"] == "DONE"

    area = {"bbox": {"south": 36.0, "west": 42.8, "north": 36.8, "east": 43.6}}
    public = await run(
        "citizen",
        "PublicSafetyMap",
        {"area": area, "from": "2026-01-01T00:00:00+03:00", "to": "2026-04-01T00:00:00+03:00"},
        ACCEPT,
    )
    assert public["publicSafetyMap"]["resolution"] == 7 and public["publicSafetyMap"]["cells"] == []


async def test_production_runs_the_commanders_feedback_operations_of_supervisor_1_4_0(
    production, sessionmaker
):
    """Only the station's commander reads its feedback comments and its QR link: supervisor-1.4.0 ships
    FeedbackComments and FeedbackLink, and in production they run by hash alone, for the commander, and
    refuse everyone else by the policy (the safelist lets the operation through, not the person)."""
    import datetime as dt

    from schema.node import to_global_id
    from tests.factories import make_feedback

    comments_op, link_op = OPS[("supervisor", "FeedbackComments")], OPS[("supervisor", "FeedbackLink")]
    # given a station with its commander, its officer, the governorate's supervisor, a neighbour's commander
    async with sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI")
        neighbour = await make_station(session, governorate="IQ-NI")
        await make_officer(session, role="STATION_COMMANDER", station_id=station, badge="FB-CMD")
        await make_officer(session, station_id=station, badge="FB-OFC")
        await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",), badge="FB-SUP")
        await make_officer(session, role="STATION_COMMANDER", station_id=neighbour, badge="FB-NBR")
        # and a comment of the last completed month
        last_month = dt.date.today().replace(day=1) - dt.timedelta(days=20)
        await make_feedback(session, station_id=station, on=last_month, comment="The desk was quick")
        await session.commit()
    station_id = to_global_id("Station", station)
    period = {
        "from": f"{last_month.replace(day=1)}T00:00:00+03:00",
        "to": f"{dt.date.today()}T00:00:00+03:00",
    }

    async def by_hash(op, variables: dict, headers: dict) -> dict:
        response = await production.post(
            "/graphql", json=apq(op.sha256, variables=variables), headers=headers
        )
        assert response.status_code == 200, response.text  # never OPERATION_NOT_ALLOWED: a released operation
        return response.json()

    # when the commander runs them by hash: the comments, with their month only, and the form's link
    commander = await _sign_in(production, "FB-CMD")
    read = await by_hash(comments_op, {"stationId": station_id, **period}, commander)
    assert read["data"]["feedbackComments"] == [
        {
            "__typename": "FeedbackComment",
            "month": f"{last_month.replace(day=1)}",
            "comment": "The desk was quick",
        }
    ]
    link = (await by_hash(link_op, {"stationId": station_id}, commander))["data"]["feedbackLink"]
    assert link.startswith(f"/feedback/{station}?t=")
    assert (await production.get(link)).status_code == 200
    # then the station's officer, the supervisor and the neighbour's commander are refused, by hash too
    for badge in ("FB-OFC", "FB-SUP", "FB-NBR"):
        headers = await _sign_in(production, badge)
        for op, variables in (
            (comments_op, {"stationId": station_id, **period}),
            (link_op, {"stationId": station_id}),
        ):
            body = await by_hash(op, variables, headers)
            assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (
                badge,
                op.name,
            )
    # and a citizen must sign in
    body = await by_hash(comments_op, {"stationId": station_id, **period}, ACCEPT)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("lang", "says", "not_says"),
    [
        ("en", "any released Markaz app", "Update"),
        ("ar", "أيّ إصدار منشور", "حدّث"),
        ("ku", "هیچ وەشانێکی بڵاوکراوە", "نوێ بکەرەوە"),
    ],
)
async def test_an_operation_of_no_release_is_refused_plainly_not_with_update_the_app(
    production, lang, says, not_says
):
    """Nothing the server knows of was retired (a release is retired by deleting its manifest): the person
    is told the request is in no released app, not sent to update an app that may be the newest."""
    response = await production.post(
        "/graphql", json={"query": GOVERNORATES}, headers={**ACCEPT, "accept-language": lang}
    )
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
    assert says in error["message"] and not_says not in error["message"], error["message"]


async def test_public_gets_are_cacheable_with_an_etag(client, sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(session)
        await make_officer(session, station_id=station, badge="GET-OFC")
        await session.commit()
    params = get_params(NEAREST.sha256, NEAR)
    first = await client.get("/graphql", params=params, headers=ACCEPT)
    assert first.status_code == 200 and first.json()["data"]["nearestStations"]
    assert first.headers["cache-control"] == "public, no-cache"  # revalidated: stations change at once
    assert "Accept-Language" in first.headers["vary"]
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = await client.get("/graphql", params=params, headers={**ACCEPT, "if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = await client.get("/graphql", params=params, headers={**ACCEPT, "if-none-match": 'W/"stale"'})
    assert other.status_code == 200
    # With a token, the same query is private: no shared cache may keep an officer's request.
    from tests.conftest import GraphQL

    officer = await _sign_in_dev(GraphQL(client), "GET-OFC")
    private = await client.get("/graphql", params=params, headers={**ACCEPT, **officer})
    assert private.status_code == 200 and private.headers["cache-control"] == "private, no-store"
    assert "etag" not in private.headers
    # Not public data: private even without a token; and an error is never cached.
    me = await client.get("/graphql", params=get_params(OPS[("officer", "Me")].sha256), headers=ACCEPT)
    assert me.status_code == 200 and me.headers["cache-control"] == "private, no-store"
    wrong = get_params(NEAREST.sha256, {"near": {"latitude": 91, "longitude": 0}})
    bad = await client.get("/graphql", params=wrong, headers=ACCEPT)
    assert bad.headers["cache-control"] == "private, no-store"
    # POST with a token: no-store.
    posted = await client.post(
        "/graphql", json=apq(NEAREST.sha256, variables=NEAR), headers={**ACCEPT, **officer}
    )
    assert posted.headers["cache-control"] == "private, no-store"


async def _sign_in_dev(gql, badge: str) -> dict[str, str]:
    from tests.factories import sign_in

    return await sign_in(gql, badge)


async def test_responses_are_compressed_by_accept_encoding(client, sessionmaker):
    async with sessionmaker() as session:
        for i in range(8):
            await make_station(session, latitude=36.35 + i / 1000)
        await session.commit()
    body = apq(NEAREST.sha256, variables={**NEAR, "first": 8})
    plain = await client.post("/graphql", json=body, headers={**ACCEPT, "accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) > 1000
    assert plain.headers["vary"] == "Accept-Encoding"
    for coding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        request = client.build_request(
            "POST", "/graphql", json=body, headers={**ACCEPT, "accept-encoding": f"{coding}, identity;q=0.5"}
        )
        response = await client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        assert response.headers["content-encoding"] == coding
        assert int(response.headers["content-length"]) == len(raw) < len(plain.content) / 3
        assert decode(raw) == plain.content
    both = await client.post("/graphql", json=body, headers={**ACCEPT, "accept-encoding": "gzip, br"})
    assert both.headers["content-encoding"] == "br"
    refused_br = await client.post(
        "/graphql", json=body, headers={**ACCEPT, "accept-encoding": "br;q=0, gzip"}
    )
    assert refused_br.headers["content-encoding"] == "gzip"
    # A small body is sent as it is: compression would not pay for its headers.
    small = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={**ACCEPT, "accept-encoding": "br, gzip"}
    )
    assert "content-encoding" not in small.headers and small.json()["data"] == {"__typename": "Query"}


async def test_request_bodies_may_be_compressed_within_the_body_limit(client):
    from api.graphql_http import MAX_BODY_BYTES

    body = json.dumps({"query": GOVERNORATES}).encode()
    for coding, encode in (("gzip", gzip.compress), ("br", brotli.compress)):
        response = await client.post(
            "/graphql",
            content=encode(body),
            headers={**ACCEPT, "content-type": "application/json", "content-encoding": coding},
        )
        assert response.status_code == 200 and len(response.json()["data"]["governorates"]) == 18
    # A bomb: a few kilobytes that would inflate past the body limit are refused, not inflated.
    bomb = gzip.compress(b'{"query": "' + b" " * (MAX_BODY_BYTES * 4) + b'"}')
    assert len(bomb) < 10_000
    refused = await client.post(
        "/graphql",
        content=bomb,
        headers={**ACCEPT, "content-type": "application/json", "content-encoding": "gzip"},
    )
    assert refused.status_code == 413
    corrupt = await client.post(
        "/graphql",
        content=b"not gzip",
        headers={**ACCEPT, "content-type": "application/json", "content-encoding": "gzip"},
    )
    assert corrupt.status_code == 400 and "gzip" in corrupt.json()["errors"][0]["message"]
    truncated = await client.post(
        "/graphql",
        content=gzip.compress(body)[:-12],
        headers={**ACCEPT, "content-type": "application/json", "content-encoding": "gzip"},
    )
    assert truncated.status_code == 400
    unknown = await client.post(
        "/graphql",
        content=body,
        headers={**ACCEPT, "content-type": "application/json", "content-encoding": "compress"},
    )
    assert unknown.status_code == 415 and unknown.headers["accept-encoding"] == "gzip, br"
