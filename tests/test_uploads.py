"""tus 1.0 uploads at /uploads/ (api/uploads.py): the protocol over the real ASGI app (creation, HEAD,
PATCH, termination, checksum, expiration), its refusals (version 412, offset 409, size 413, type 415,
another officer's upload 404, quota, bytes past the length), and a real tus client (tuspy) against a live
`markaz serve`, including an upload cut off half-way through a PATCH and resumed from HEAD's offset."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import io
import os
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from tests.factories import make_officer, make_station, sign_in
from tests.servers import MarkazServer

TUS = {"tus-resumable": "1.0.0"}
OFFSET_TYPE = {"content-type": "application/offset+octet-stream"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


async def _officers(gql, sessionmaker, count: int = 2) -> list[dict[str, str]]:
    async with sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        made = [await make_officer(session, station_id=station) for _ in range(count)]
        await session.commit()
    return [{**TUS, "accept-language": "en", **await sign_in(gql, badge)} for _, badge in made]


async def _create(client, headers, length: int, **extra: str) -> httpx.Response:
    return await client.post(
        "/uploads/",
        headers={
            **headers,
            "upload-length": str(length),
            "upload-metadata": metadata(filename="photo.jpg", contentType="image/jpeg"),
            **extra,
        },
    )


def _path(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return urlsplit(response.headers["location"]).path


async def test_options_say_what_the_server_supports(client):
    response = await client.options("/uploads/")
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert response.headers["tus-version"] == "1.0.0"
    extensions = response.headers["tus-extension"].split(",")
    assert {"creation", "creation-with-upload", "termination", "checksum", "expiration"} <= set(extensions)
    assert int(response.headers["tus-max-size"]) == 20 * 1024 * 1024
    assert "sha1" in response.headers["tus-checksum-algorithm"].split(",")


async def test_an_upload_in_pieces_then_head_gives_the_offset_and_the_bytes_are_kept(
    client, gql, sessionmaker
):
    me, _ = await _officers(gql, sessionmaker)
    data = os.urandom(700_000)
    created = await _create(client, me, len(data))
    path = _path(created)
    assert created.headers["tus-resumable"] == "1.0.0" and "upload-expires" in created.headers
    upload_id = path.rsplit("/", 1)[-1]
    assert len(upload_id) == 32

    head = await client.head(path, headers=me)
    assert head.status_code == 200
    assert head.headers["upload-offset"] == "0" and head.headers["upload-length"] == str(len(data))
    assert head.headers["cache-control"] == "no-store" and head.headers["tus-resumable"] == "1.0.0"
    assert "filename" in head.headers["upload-metadata"]

    offset = 0
    for size in (300_000, 300_000, 100_000):
        chunk = data[offset : offset + size]
        sent = await client.patch(
            path, content=chunk, headers={**me, **OFFSET_TYPE, "upload-offset": str(offset)}
        )
        assert sent.status_code == 204, sent.text
        offset += size
        assert sent.headers["upload-offset"] == str(offset)
        assert sent.headers["tus-resumable"] == "1.0.0"
    head = await client.head(path, headers=me)
    assert head.headers["upload-offset"] == str(len(data))
    async with sessionmaker() as session:
        row = (
            await session.execute(
                text("SELECT sha256, completed_at FROM uploads WHERE id = :id"), {"id": uuid.UUID(upload_id)}
            )
        ).one()
        parts = (
            await session.execute(
                text("SELECT data FROM upload_parts WHERE upload_id = :id ORDER BY start"),
                {"id": uuid.UUID(upload_id)},
            )
        ).scalars()
        stored = b"".join(parts)
    assert stored == data
    assert row.completed_at is not None and row.sha256 == hashlib.sha256(data).hexdigest()


async def test_the_wrong_offset_is_409_and_changes_nothing(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    path = _path(await _create(client, me, 100))
    await client.patch(path, content=b"x" * 40, headers={**me, **OFFSET_TYPE, "upload-offset": "0"})
    for wrong in ("0", "39", "41", "100"):
        refused = await client.patch(
            path, content=b"y" * 10, headers={**me, **OFFSET_TYPE, "upload-offset": wrong}
        )
        assert refused.status_code == 409, wrong
        assert refused.headers["upload-offset"] == "40" and refused.headers["tus-resumable"] == "1.0.0"
    assert (await client.head(path, headers=me)).headers["upload-offset"] == "40"


async def test_a_wrong_version_is_412_and_no_token_401(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    for version in (None, "0.2.2", "2.0.0"):
        headers = {k: v for k, v in me.items() if k != "tus-resumable"}
        if version:
            headers["tus-resumable"] = version
        refused = await client.post("/uploads/", headers={**headers, "upload-length": "10"})
        assert refused.status_code == 412, version
        assert refused.headers["tus-version"] == "1.0.0" and refused.headers["tus-resumable"] == "1.0.0"
    anonymous = await client.post("/uploads/", headers={**TUS, "upload-length": "10"})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    forged = await client.post(
        "/uploads/", headers={**TUS, "upload-length": "10", "authorization": "Bearer not.a.token"}
    )
    assert forged.status_code == 401


async def test_too_large_is_refused_at_creation_with_413_saying_the_limit(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    limit = 20 * 1024 * 1024
    refused = await _create(client, me, limit + 1)
    assert refused.status_code == 413
    assert str(limit) in refused.text and str(limit + 1) in refused.text
    assert refused.headers["tus-max-size"] == str(limit)
    assert (await _create(client, me, limit)).status_code == 201  # the limit itself is allowed
    arabic = await _create(client, {**me, "accept-language": "ar"}, limit + 1)
    assert arabic.status_code == 413 and "بايت" in arabic.text


async def test_another_officers_upload_is_404_to_every_method(client, gql, sessionmaker):
    me, other = await _officers(gql, sessionmaker)
    path = _path(await _create(client, me, 10))
    assert (await client.head(path, headers=other)).status_code == 404
    patched = await client.patch(
        path, content=b"0123", headers={**other, **OFFSET_TYPE, "upload-offset": "0"}
    )
    assert patched.status_code == 404
    assert (await client.delete(path, headers=other)).status_code == 404
    assert (await client.head(path, headers=me)).headers["upload-offset"] == "0"
    assert (await client.head(f"/uploads/{uuid.uuid4().hex}", headers=me)).status_code == 404
    assert (await client.head("/uploads/not-an-id", headers=me)).status_code == 404


async def test_termination_deletes_the_upload_and_its_bytes(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    path = _path(await _create(client, me, 10))
    await client.patch(path, content=b"01234", headers={**me, **OFFSET_TYPE, "upload-offset": "0"})
    deleted = await client.delete(path, headers=me)
    assert deleted.status_code == 204 and deleted.headers["tus-resumable"] == "1.0.0"
    assert (await client.head(path, headers=me)).status_code == 404
    again = await client.patch(path, content=b"56789", headers={**me, **OFFSET_TYPE, "upload-offset": "5"})
    assert again.status_code == 404
    async with sessionmaker() as session:
        left = (await session.execute(text("SELECT count(*) FROM upload_parts"))).scalar()
    assert left == 0


async def test_unfinished_uploads_expire_and_are_cleaned_up(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    path = _path(await _create(client, me, 10))
    await client.patch(path, content=b"01234", headers={**me, **OFFSET_TYPE, "upload-offset": "0"})
    upload_id = uuid.UUID(path.rsplit("/", 1)[-1])
    async with sessionmaker() as session:
        await session.execute(
            text("UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": upload_id},
        )
        await session.commit()
    assert (await client.head(path, headers=me)).status_code == 404
    refused = await client.patch(path, content=b"56789", headers={**me, **OFFSET_TYPE, "upload-offset": "5"})
    assert refused.status_code == 404
    assert (await _create(client, me, 10)).status_code == 201  # a creation sweeps the expired away
    async with sessionmaker() as session:
        gone = await session.execute(text("SELECT 1 FROM uploads WHERE id = :id"), {"id": upload_id})
        parts = await session.execute(
            text("SELECT 1 FROM upload_parts WHERE upload_id = :id"), {"id": upload_id}
        )
        assert gone.first() is None and parts.first() is None


async def test_the_quota_of_unfinished_uploads(sessionmaker, settings, gql, client):
    me, other = await _officers(gql, sessionmaker)
    app = create_app(dataclasses.replace(settings, upload_quota=2), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://markaz.test"
    ) as small:
        first = _path(await _create(small, me, 10))
        _path(await _create(small, me, 10))
        refused = await _create(small, me, 10)
        assert refused.status_code == 403 and "2 unfinished uploads" in refused.text
        assert (await _create(small, other, 10)).status_code == 201  # the quota is each officer's
        await small.patch(first, content=b"0" * 10, headers={**me, **OFFSET_TYPE, "upload-offset": "0"})
        assert (await _create(small, me, 10)).status_code == 201  # a finished one no longer counts


async def test_checksums_are_checked_and_a_mismatch_keeps_nothing(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    path = _path(await _create(client, me, 20))
    chunk = b"0123456789"
    good = base64.b64encode(hashlib.sha1(chunk).digest()).decode()  # noqa: S324 - tus's required algorithm
    bad = base64.b64encode(hashlib.sha1(b"other").digest()).decode()  # noqa: S324
    mismatch = await client.patch(
        path,
        content=chunk,
        headers={**me, **OFFSET_TYPE, "upload-offset": "0", "upload-checksum": f"sha1 {bad}"},
    )
    assert mismatch.status_code == 460 and mismatch.headers["tus-resumable"] == "1.0.0"
    assert (await client.head(path, headers=me)).headers["upload-offset"] == "0"
    checked = await client.patch(
        path,
        content=chunk,
        headers={**me, **OFFSET_TYPE, "upload-offset": "0", "upload-checksum": f"sha1 {good}"},
    )
    assert checked.status_code == 204 and checked.headers["upload-offset"] == "10"
    sha256 = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
    checked = await client.patch(
        path,
        content=chunk,
        headers={**me, **OFFSET_TYPE, "upload-offset": "10", "upload-checksum": f"sha256 {sha256}"},
    )
    assert checked.status_code == 204 and checked.headers["upload-offset"] == "20"
    unknown = await client.patch(
        _path(await _create(client, me, 10)),
        content=chunk,
        headers={**me, **OFFSET_TYPE, "upload-offset": "0", "upload-checksum": "crc32 AAAA"},
    )
    assert unknown.status_code == 400


async def test_bad_requests_are_refused_plainly(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    path = _path(await _create(client, me, 10))
    past = await client.patch(path, content=b"x" * 11, headers={**me, **OFFSET_TYPE, "upload-offset": "0"})
    assert past.status_code == 400 and "Upload-Length" in past.text
    assert (await client.head(path, headers=me)).headers["upload-offset"] == "0"
    wrong_type = await client.patch(
        path, content=b"x", headers={**me, "content-type": "image/jpeg", "upload-offset": "0"}
    )
    assert wrong_type.status_code == 415
    no_offset = await client.patch(path, content=b"x", headers={**me, **OFFSET_TYPE})
    assert no_offset.status_code == 400
    for length in ("", "-1", "ten", "1" * 40):
        refused = await client.post("/uploads/", headers={**me, "upload-length": length})
        assert refused.status_code == 400, length
    bad_metadata = await client.post(
        "/uploads/", headers={**me, "upload-length": "5", "upload-metadata": "filename !!notbase64"}
    )
    assert bad_metadata.status_code == 400 and "filename" in bad_metadata.text
    deferred = await client.post("/uploads/", headers={**me, "upload-defer-length": "1"})
    assert deferred.status_code == 400
    assert (await client.get(path, headers=me)).status_code == 405


async def test_creation_with_upload(client, gql, sessionmaker):
    me, _ = await _officers(gql, sessionmaker)
    created = await client.post(
        "/uploads/",
        content=b"hello",
        headers={**me, **OFFSET_TYPE, "upload-length": "8"},
    )
    assert created.status_code == 201 and created.headers["upload-offset"] == "5"
    path = _path(created)
    assert (await client.head(path, headers=me)).headers["upload-offset"] == "5"


# --- a real tus client, against a live server -------------------------------------------------------


@pytest.fixture
async def live_officer(committed_sessionmaker, database_url, tmp_path) -> Any:
    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=36.40, longitude=43.10)
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    # A short idle timeout, for the test of a stalled body.
    server = MarkazServer(database_url, tmp_path / "served", env={"MARKAZ_UPLOAD_IDLE_SECONDS": "2"})
    try:
        server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base) as http:
            from tests.conftest import GraphQL

            headers = await sign_in(GraphQL(http), badge)
        yield server, headers, database_url
    finally:
        server.stop()


@contextlib.contextmanager
def _stalled_patch(base: str, path: str, headers: dict[str, str], offset: int, body: bytes, sent: int):
    """A PATCH that announces `body` and sends only its first `sent` bytes, its connection then left
    hanging (a phone that lost its signal: nothing says the connection is gone) until the block ends."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        lines = [
            f"PATCH {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Tus-Resumable: 1.0.0",
            "Content-Type: application/offset+octet-stream",
            f"Upload-Offset: {offset}",
            f"Content-Length: {len(body)}",
            f"Authorization: {headers['authorization']}",
        ]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[:sent])
        time.sleep(0.5)  # the bytes reach the server
        yield


async def test_tuspy_uploads_in_pieces_and_resumes_after_a_dropped_connection(live_officer):
    import asyncio

    from tusclient import client as tus

    server, headers, database_url = live_officer
    data = os.urandom(1_300_000)

    def run() -> tuple[str, int, int]:
        uploads = tus.TusClient(f"{server.base}/uploads/", headers=headers)
        first = uploads.uploader(
            file_stream=io.BytesIO(data),
            chunk_size=256 * 1024,
            metadata={"filename": "sign-in-sheet.pdf", "contentType": "application/pdf"},
        )
        first.upload_chunk()  # one piece, then the phone loses its signal half-way through the next
        path = urlsplit(first.url).path
        started = time.monotonic()
        with _stalled_patch(server.base, path, headers, first.offset, data[first.offset :], 400_000):
            # The phone, back on the network with a new connection, asks HEAD where to resume: the
            # hanging PATCH is stopped at once (not after the idle timeout) and what it got is kept.
            resumed = uploads.uploader(file_stream=io.BytesIO(data), url=first.url, chunk_size=256 * 1024)
            resumed_from = resumed.offset  # asked by HEAD
            assert time.monotonic() - started < 10
            resumed.upload()
        return first.url, resumed_from, resumed.offset

    url, resumed_from, final = await asyncio.to_thread(run)
    # Only what never arrived was sent again: what came before the drop was kept.
    assert resumed_from == 256 * 1024 + 400_000, resumed_from
    assert final == len(data)
    async with httpx.AsyncClient() as http:
        head = await http.head(url, headers={**headers, **TUS})
    assert head.headers["upload-offset"] == str(len(data))
    upload_id = uuid.UUID(urlsplit(url).path.rsplit("/", 1)[-1])
    from db.engine import make_engine

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            digest = (
                await conn.execute(text("SELECT sha256 FROM uploads WHERE id = :id"), {"id": upload_id})
            ).scalar()
    finally:
        await engine.dispose()
    assert digest == hashlib.sha256(data).hexdigest()


async def test_a_stalled_body_is_cut_off_and_what_arrived_is_kept(live_officer):
    import asyncio

    server, headers, _ = live_officer
    data = os.urandom(300_000)
    async with httpx.AsyncClient(base_url=server.base) as http:
        created = await http.post("/uploads/", headers={**headers, **TUS, "upload-length": str(len(data))})
        path = _path(created)

        def stall() -> bytes:
            parts = urlsplit(server.base)
            with socket.create_connection((parts.hostname, parts.port), timeout=20) as conn:
                head = (
                    f"PATCH {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTus-Resumable: 1.0.0\r\n"
                    "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
                    f"Content-Length: {len(data)}\r\nAuthorization: {headers['authorization']}\r\n\r\n"
                )
                conn.sendall(head.encode() + data[:100_000])
                started = time.monotonic()
                answer = conn.recv(200)  # the server answers once the body has stalled for 2 s
                assert 1.5 < time.monotonic() - started < 15
                return answer

        answer = await asyncio.to_thread(stall)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        head = await http.head(path, headers={**headers, **TUS})
        assert head.headers["upload-offset"] == "100000"
        rest = await http.patch(
            path,
            content=data[100_000:],
            headers={**headers, **TUS, **OFFSET_TYPE, "upload-offset": "100000"},
        )
        assert rest.status_code == 204 and rest.headers["upload-offset"] == str(len(data))
