"""`/uploads/`: tus 1.0 resumable uploads of photos and documents, for signed-in officers (docs/media.md).

    OPTIONS /uploads/               what the server supports (no sign-in)
    POST    /uploads/               creation: Upload-Length, Upload-Metadata -> 201, Location
    HEAD    /uploads/{id}           Upload-Offset, Upload-Length: where to resume
    PATCH   /uploads/{id}           the bytes from Upload-Offset (application/offset+octet-stream)
    DELETE  /uploads/{id}           termination

Every request but OPTIONS carries `Tus-Resumable: 1.0.0` (412 otherwise) and `Authorization: Bearer` as
on /graphql (401 otherwise). An upload is its officer's: anyone else is answered 404, as for one that does
not exist. Extensions: creation, creation-with-upload, termination, checksum (sha1, sha256, md5: 460 on a
mismatch, nothing kept), expiration (`Upload-Expires`).

What a hostile or broken client can cost is bounded:
- an Upload-Length over MARKAZ_UPLOAD_MAX_BYTES is refused at creation with 413, saying the limit;
- an officer holds at most MARKAZ_UPLOAD_QUOTA unfinished uploads (403 beyond, saying so);
- bytes are read from the socket as they come and written to PostgreSQL a part (256 KiB) at a time, so a
  request never holds more than a part in memory (with a checksum, the request's bytes wait in a
  temporary file, in memory up to a part, until they are checked); the database connection is taken for
  each part's write only, never while waiting on a slow phone;
- a body that stalls for MARKAZ_UPLOAD_IDLE_SECONDS, or a PATCH running past MARKAZ_UPLOAD_PATCH_SECONDS,
  is cut off: what arrived is kept (without a checksum) and the phone resumes from HEAD's offset;
- bytes past the declared length are refused (400) and never stored;
- unfinished uploads expire MARKAZ_UPLOAD_EXPIRY_HOURS after creation and are deleted with their bytes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.config import Settings
from db import media as repo
from db.faults import is_unavailable
from resolvers import auth, tokens
from resolvers.context import Context
from resolvers.lang import pick_language
from resolvers.messages import message
from resolvers.policy import Viewer

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration"
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}
OFFSET_TYPE = "application/offset+octet-stream"
PART_BYTES = 256 * 1024
MAX_METADATA = 4096  # characters of Upload-Metadata
_DIGITS = re.compile(r"[0-9]{1,15}")
_ID = re.compile(r"[0-9a-f]{32}")
_log = logging.getLogger("markaz.uploads")


class _Stopped(Exception):
    """The body stopped coming: the phone went away, or was too slow."""

    def __init__(self, why: str) -> None:
        self.why = why


class _Refused(Exception):
    def __init__(self, status: int, text: str = "", headers: dict[str, str] | None = None) -> None:
        self.status, self.text, self.headers = status, text, headers or {}


class Uploads:
    """The tus endpoint, a plain ASGI app mounted at /uploads (api/app.py)."""

    def __init__(self, settings: Settings, secret_key: str, sessionmaker: Any = None) -> None:
        self.settings = settings
        self.secret_key = secret_key
        self.sessionmaker = sessionmaker  # else the app's (set by its lifespan)
        self.max_bytes = settings.upload_max_bytes
        self.quota = settings.upload_quota
        self.expiry = timedelta(hours=settings.upload_expiry_hours)
        self.idle = float(settings.upload_idle_seconds)
        self.patch_seconds = float(settings.upload_patch_seconds)
        # PATCHes running in this process, by upload: (asked to stop, finished). A phone that lost its
        # signal leaves its PATCH waiting on a connection that may look open for a while; its next HEAD or
        # PATCH of the same upload stops that one (what it received is kept) and answers after it.
        self._running: dict[uuid.UUID, tuple[asyncio.Event, asyncio.Event]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - mounted for HTTP only
            return
        headers = Headers(scope=scope)
        lang = pick_language(headers.get("accept-language"))
        method = headers.get("x-http-method-override", scope["method"]).upper()
        rest = scope["path"].split("/uploads", 1)[-1].strip("/")
        try:
            response = await self._answer(scope, receive, headers, lang, method, rest)
        except _Refused as refused:
            response = _plain(refused.status, refused.text, refused.headers)
        except Exception as error:
            if not is_unavailable(error):
                raise
            _log.warning("upload refused: database unavailable (%s)", type(error).__name__)
            response = _plain(503, message("database_unavailable", lang), {"Retry-After": "5"})
        response.headers["Tus-Resumable"] = TUS_VERSION
        await response(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, headers: Headers, lang: str, method: str, rest: str
    ) -> Response:
        if method == "OPTIONS":
            return Response(
                status_code=204,
                headers={
                    "Tus-Version": TUS_VERSION,
                    "Tus-Extension": EXTENSIONS,
                    "Tus-Max-Size": str(self.max_bytes),
                    "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
                },
            )
        if headers.get("tus-resumable") != TUS_VERSION:
            raise _Refused(412, "Tus-Resumable 1.0.0 is required.", {"Tus-Version": TUS_VERSION})
        viewer = await self._viewer(scope, headers, lang)
        if not rest:
            if method != "POST":
                raise _Refused(405, "", {"Allow": "OPTIONS, POST"})
            return await self._create(scope, receive, headers, lang, viewer)
        upload_id = _upload_id(rest)
        sessions = self._sessions(scope)
        if method == "HEAD":
            return await self._head(sessions, viewer, upload_id)
        if method == "PATCH":
            return await self._patch(sessions, receive, headers, lang, viewer, upload_id)
        if method == "DELETE":
            return await self._delete(sessions, viewer, upload_id)
        raise _Refused(405, "", {"Allow": "OPTIONS, HEAD, PATCH, DELETE"})

    def _sessions(self, scope: Scope) -> Any:
        return self.sessionmaker or scope["app"].state.sessionmaker

    async def _viewer(self, scope: Scope, headers: Headers, lang: str) -> Viewer:
        token = tokens.bearer_token(headers.get("authorization"))
        refusal = _Refused(401, message("unauthenticated", lang), {"WWW-Authenticate": "Bearer"})
        if token is None:
            raise refusal
        ctx = Context(sessionmaker=self._sessions(scope), secret_key=self.secret_key, lang=lang)
        try:
            return await auth.viewer_for_token(ctx, token)
        except tokens.TokenError:
            raise refusal from None
        finally:
            await ctx.close(commit=False)

    # --- creation -----------------------------------------------------------------------------------

    async def _create(
        self, scope: Scope, receive: Receive, headers: Headers, lang: str, viewer: Viewer
    ) -> Response:
        if headers.get("upload-defer-length") is not None:
            raise _Refused(400, "Upload-Defer-Length is not supported: send Upload-Length.")
        length = _number(headers.get("upload-length"), "Upload-Length")
        if length > self.max_bytes:
            text = message("upload_too_large", lang, size=length, high=self.max_bytes)
            raise _Refused(413, text, {"Tus-Max-Size": str(self.max_bytes)})
        metadata = _metadata(headers.get("upload-metadata"))
        sessions = self._sessions(scope)
        async with sessions() as session:
            await repo.delete_expired(session)
            count, _ = await repo.unfinished_of(session, viewer.officer_id)
            if count >= self.quota:
                await session.commit()
                raise _Refused(403, message("upload_quota", lang, high=self.quota))
            row = await repo.create_upload(
                session,
                upload_id=uuid.uuid4(),
                officer_id=viewer.officer_id,
                length=length,
                metadata=metadata,
                expires_at=datetime.now(UTC) + self.expiry,
            )
            if length == 0:
                await repo.seal(session, row.id)
            await session.commit()
        location = _location(scope, row.id)
        answer = {"Location": location, "Upload-Expires": format_datetime(row.expires_at, usegmt=True)}
        if headers.get("content-type") == OFFSET_TYPE and length:  # creation-with-upload
            sent = await self._patch(sessions, receive, headers, lang, viewer, row.id, offset=0)
            answer["Upload-Offset"] = sent.headers["Upload-Offset"]
        return Response(status_code=201, headers=answer)

    # --- HEAD, DELETE ---------------------------------------------------------------------------------

    async def _supersede(self, upload_id: uuid.UUID) -> bool:
        """Stop this process's PATCH of the upload still running, and wait (a little) for it to keep what it
        received; whether there was one."""
        running = self._running.get(upload_id)
        if running is None:
            return False
        stop, finished = running
        stop.set()
        try:
            await asyncio.wait_for(finished.wait(), timeout=10)
        except TimeoutError:
            _log.warning("a superseded PATCH did not finish in 10 s", extra={"upload": upload_id.hex})
        return True

    async def _current(self, sessions: Any, viewer: Viewer, upload_id: uuid.UUID) -> Any:
        """The viewer's upload as it is once any PATCH of it still running here has stopped."""
        row = await self._mine(sessions, viewer, upload_id)
        if await self._supersede(upload_id):
            row = await self._mine(sessions, viewer, upload_id)
        return row

    async def _mine(self, sessions: Any, viewer: Viewer, upload_id: uuid.UUID) -> Any:
        async with sessions() as session:
            row = await repo.upload(session, upload_id)
        if row is None or row.officer_id != viewer.officer_id:
            raise _Refused(404)  # another officer's upload is answered as a missing one
        return row

    async def _head(self, sessions: Any, viewer: Viewer, upload_id: uuid.UUID) -> Response:
        row = await self._current(sessions, viewer, upload_id)
        answer = {
            "Upload-Offset": str(row.upload_offset),
            "Upload-Length": str(row.length),
            "Cache-Control": "no-store",
        }
        if row.metadata:
            answer["Upload-Metadata"] = ",".join(
                f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in row.metadata.items()
            )
        if row.completed_at is None:
            answer["Upload-Expires"] = format_datetime(row.expires_at, usegmt=True)
        return Response(status_code=200, headers=answer)

    async def _delete(self, sessions: Any, viewer: Viewer, upload_id: uuid.UUID) -> Response:
        await self._current(sessions, viewer, upload_id)
        async with sessions() as session:
            await repo.delete_upload(session, upload_id)
            await session.commit()
        return Response(status_code=204)

    # --- PATCH ----------------------------------------------------------------------------------------

    async def _patch(
        self,
        sessions: Any,
        receive: Receive,
        headers: Headers,
        lang: str,
        viewer: Viewer,
        upload_id: uuid.UUID,
        *,
        offset: int | None = None,
    ) -> Response:
        if headers.get("content-type") != OFFSET_TYPE:
            raise _Refused(415, f"Content-Type must be {OFFSET_TYPE}.")
        given = offset if offset is not None else _number(headers.get("upload-offset"), "Upload-Offset")
        checksum = _checksum(headers.get("upload-checksum"))
        row = await self._current(sessions, viewer, upload_id)
        if row.upload_offset != given:
            raise _Refused(
                409,
                f"Upload-Offset is {row.upload_offset}, not {given}: ask HEAD where to resume.",
                {"Upload-Offset": str(row.upload_offset)},
            )
        room = row.length - row.upload_offset
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > room:
            raise _Refused(400, f"The body goes past Upload-Length: {room} bytes are left to send.")
        writer = _Writer(sessions, upload_id, given)
        spool = tempfile.SpooledTemporaryFile(max_size=PART_BYTES) if checksum else None
        hasher = CHECKSUMS[checksum[0]]() if checksum else None
        received = 0
        stop, finished = asyncio.Event(), asyncio.Event()
        self._running[upload_id] = (stop, finished)
        try:
            try:
                async for chunk in self._body(receive, stop):
                    received += len(chunk)
                    if received > room:
                        raise _Refused(400, f"The body goes past Upload-Length: {room} bytes were left.")
                    if spool is not None and hasher is not None:
                        hasher.update(chunk)
                        await asyncio.to_thread(spool.write, chunk)
                    else:
                        await writer.add(chunk)
            except _Stopped as stopped:
                if spool is None:
                    await writer.flush()  # what arrived is kept; the phone resumes from HEAD's offset
                _log.info(
                    "upload body stopped (%s)",
                    stopped.why,
                    extra={"upload": upload_id.hex, "received": received, "kept": writer.offset - given},
                )
                return Response(status_code=408 if stopped.why != "disconnected" else 400)
            if spool is not None and hasher is not None and checksum is not None:
                if hasher.digest() != checksum[1]:
                    raise _Refused(460, "Checksum mismatch: nothing of this request was kept.")
                await asyncio.to_thread(spool.seek, 0)
                await writer.write_spool(spool)
            else:
                await writer.flush()
        finally:
            if spool is not None:
                spool.close()
            finished.set()
            if self._running.get(upload_id) == (stop, finished):
                del self._running[upload_id]
        return Response(status_code=204, headers={"Upload-Offset": str(writer.offset)})

    async def _body(self, receive: Receive, stop: asyncio.Event) -> AsyncIterator[bytes]:
        """The request body as it comes, within the idle and the whole-request deadlines, until a later
        request of the same upload asks this one to stop."""
        deadline = time.monotonic() + self.patch_seconds
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _Stopped("took too long")
                arriving = asyncio.ensure_future(receive())
                done, _ = await asyncio.wait(
                    {arriving, stopped}, timeout=min(self.idle, left), return_when=asyncio.FIRST_COMPLETED
                )
                if arriving not in done:
                    arriving.cancel()
                    raise _Stopped("superseded" if stopped in done else "stalled")
                message_ = arriving.result()
                if message_["type"] == "http.disconnect":
                    raise _Stopped("disconnected")
                chunk = message_.get("body", b"")
                if chunk:
                    yield chunk
                if not message_.get("more_body", False):
                    return
        finally:
            stopped.cancel()


class _Writer:
    """Bytes of a PATCH on their way to PostgreSQL, a part at a time (a connection only per write)."""

    def __init__(self, sessions: Any, upload_id: uuid.UUID, offset: int) -> None:
        self.sessions, self.upload_id, self.offset = sessions, upload_id, offset
        self.pending = bytearray()

    async def add(self, chunk: bytes) -> None:
        self.pending += chunk
        while len(self.pending) >= PART_BYTES:
            part = bytes(self.pending[:PART_BYTES])
            del self.pending[:PART_BYTES]
            await self._write([part])

    async def flush(self) -> None:
        if self.pending:
            part = bytes(self.pending)
            self.pending.clear()
            await self._write([part])

    async def write_spool(self, spool: Any) -> None:
        parts = []
        while part := await asyncio.to_thread(spool.read, PART_BYTES):
            parts.append(part)  # a checked request's bytes go in together, or not at all
        if parts:
            await self._write(parts)

    async def _write(self, parts: list[bytes]) -> None:
        async with self.sessions() as session:
            for part in parts:
                row = await repo.append_part(session, self.upload_id, self.offset, part)
                if row is None:  # another PATCH of the same upload got there first
                    await session.rollback()
                    raise _Refused(409, "The upload moved on meanwhile: ask HEAD where to resume.")
                self.offset = row.upload_offset
                if row.completed_at is not None:
                    await repo.seal(session, self.upload_id)
            await session.commit()


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text or None, status_code=status, headers=headers, media_type="text/plain")


def _number(value: str | None, name: str) -> int:
    if value is None or not _DIGITS.fullmatch(value.strip()):
        raise _Refused(400, f"{name} must be a whole number of bytes.")
    return int(value)


def _upload_id(rest: str) -> uuid.UUID:
    if "/" in rest or not _ID.fullmatch(rest):
        raise _Refused(404)
    return uuid.UUID(hex=rest)


def _location(scope: Scope, upload_id: uuid.UUID) -> str:
    """The upload's URL as a path from the server's root (`root_path` kept): every tus client resolves it
    against the URL it created the upload at, and no scheme or host has to be guessed behind a proxy."""
    root = scope.get("root_path", "")
    if root.endswith("/uploads"):
        root = root[: -len("/uploads")]
    return f"{root}/uploads/{upload_id.hex}"


def _metadata(raw: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs; the values must be UTF-8 text."""
    if not raw:
        return {}
    if len(raw) > MAX_METADATA:
        raise _Refused(400, f"Upload-Metadata is longer than {MAX_METADATA} characters.")
    found: dict[str, str] = {}
    for pair in raw.split(","):
        key, _, value = pair.strip().partition(" ")
        if not key or " " in value.strip() or not key.isascii():
            raise _Refused(400, "Upload-Metadata must be comma-separated `key base64value` pairs.")
        try:
            found[key] = base64.b64decode(value.strip(), validate=True).decode() if value.strip() else ""
        except (binascii.Error, UnicodeDecodeError):
            raise _Refused(400, f"Upload-Metadata {key}: the value is not base64 of UTF-8 text.") from None
    return found


def _checksum(raw: str | None) -> tuple[str, bytes] | None:
    if raw is None:
        return None
    algorithm, _, value = raw.strip().partition(" ")
    if algorithm.lower() not in CHECKSUMS:
        raise _Refused(400, f"Upload-Checksum: the algorithm is one of {', '.join(CHECKSUMS)}.")
    try:
        return algorithm.lower(), base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        raise _Refused(400, "Upload-Checksum: the checksum is not base64.") from None
