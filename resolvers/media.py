"""Photos and documents: `attachMedia` ties a finished tus upload (api/uploads.py) to an incident or an
engagement, and the short-lived signed links under /media/ that serve them (docs/media.md).

What is kept of a file is decided by its bytes, never its name or the type the phone claims: JPEG, PNG
and WebP photos and PDF documents are accepted. A photo is decoded and encoded again by Pillow, turned
upright by its EXIF orientation, and saved without any of its metadata (EXIF with its GPS position and
device, XMP, comments, text chunks): exactly those bytes are stored and served, with a thumbnail. The
capture time is kept as a field (`takenAt`, the phone's, else the photo's own EXIF time). A PDF is kept
as sent. Who may see a record's media is resolvers.policy's (`sees_media`), applied through
resolvers.disclosure, and a link is only ever made for someone who may.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import io
import os
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from db import client_requests as client_repo
from db import media as repo
from db.models import Attachment as AttachmentModel
from db.rows import AttachmentRow
from resolvers import audit, policy
from resolvers import engagements as engagement_logic
from resolvers.context import Context
from resolvers.field_checks import check_point, check_text, check_time, now_utc
from resolvers.idempotency import Applied, content_hash, create_once
from resolvers.mutation_errors import Collector, fail

KIND_ATTACH = "attachMedia"
ENTITY = "Attachment"
MAX_CAPTION = 500
MAX_EXPECTED = 50
MAX_MEGAPIXELS = 40
THUMBNAIL_PIXELS = 320
JPEG_QUALITY = 88
URL_SECONDS = 900  # how long a /media/ link works
JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
_TABLE = cast(Any, AttachmentModel.__table__)


# --- what a file is, from its bytes ---------------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show (magic numbers), or None for anything not accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class Kept:
    """What is stored of a file: the served bytes, their size in pixels, a thumbnail, the EXIF time."""

    content_type: str
    data: bytes
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    taken_at: datetime | None = None
    taken_place: tuple[float, float] | None = None  # (latitude, longitude) from the EXIF GPS


class Unreadable(Exception):
    """The bytes claim to be an image and are not one Pillow can decode (or are too many pixels)."""


_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}


def keep(data: bytes, content_type: str) -> Kept:
    """What is stored of an accepted file (runs in a thread: decoding a photo takes tens of ms)."""
    if content_type == PDF:
        return Kept(content_type, data)
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_MEGAPIXELS * 1_000_000
    try:
        with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]]) as image:
            taken = _exif_time(image)
            place = _exif_place(image)
            image.load()
            upright = ImageOps.exif_transpose(image)  # a new image: no EXIF, XMP or text chunks come along
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise Unreadable(str(error)) from None
    upright.info.clear()
    stored = io.BytesIO()
    if content_type == JPEG:
        upright.convert("RGB").save(stored, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif content_type == PNG:
        upright.save(stored, "PNG", optimize=True)
    else:
        upright.save(stored, "WEBP", quality=JPEG_QUALITY)
    small = upright.convert("RGB")
    small.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    thumbnail = io.BytesIO()
    small.save(thumbnail, "JPEG", quality=80)
    return Kept(
        content_type,
        stored.getvalue(),
        width=upright.width,
        height=upright.height,
        thumbnail=thumbnail.getvalue(),
        taken_at=taken,
        taken_place=place,
    )


def _exif_place(image: Any) -> tuple[float, float] | None:
    """(latitude, longitude) of a photo's EXIF GPS (its GPSInfo IFD), or None when it has none that make
    sense: read before the photo is saved without its metadata, and kept as fields under its record's
    policy (docs/privacy.md), never in the bytes served."""

    def degrees(value: Any, ref: Any, negative: str) -> float:
        d, m, sec = (float(part) for part in value)
        sign = -1.0 if str(ref).strip().upper() == negative else 1.0
        return sign * (d + m / 60 + sec / 3600)

    try:
        gps = image.getexif().get_ifd(0x8825)
        if not gps or 2 not in gps or 4 not in gps:
            return None
        latitude = degrees(gps[2], gps.get(1, "N"), "S")
        longitude = degrees(gps[4], gps.get(3, "E"), "W")
    except (ValueError, TypeError, KeyError, OSError, ZeroDivisionError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or latitude != latitude:
        return None
    return round(latitude, 7), round(longitude, 7)


def _exif_time(image: Any) -> datetime | None:
    """DateTimeOriginal (else DateTime) of a photo's EXIF, read as UTC when it names no offset."""
    try:
        exif = image.getexif()
        sub = exif.get_ifd(0x8769)
        raw = sub.get(0x9003) or exif.get(0x0132)
        offset = sub.get(0x9011)
        if not raw:
            return None
        stamp = datetime.strptime(str(raw).strip(), "%Y:%m:%d %H:%M:%S")
        if offset:
            return datetime.fromisoformat(f"{stamp.isoformat()}{str(offset).strip()}").astimezone(UTC)
        return stamp.replace(tzinfo=UTC)
    except (ValueError, TypeError, KeyError, OSError):
        return None


# --- the media store --------------------------------------------------------------------------------


class Store(Protocol):
    """Where the kept bytes of attachments live: `put` while attaching, `get` when serving."""

    async def put(self, ctx: Context, key: str, data: bytes) -> None: ...

    async def get(self, session: Any, key: str) -> bytes | None: ...


class PostgresStore:
    """Stored bytes in PostgreSQL (`media_objects`), in the request's transaction: an attachment and its
    bytes are written together or not at all, and every backup carries them. The default."""

    async def put(self, ctx: Context, key: str, data: bytes) -> None:
        async with ctx.db() as session:
            await repo.put_object(session, key, data)

    async def get(self, session: Any, key: str) -> bytes | None:
        return await repo.get_object(session, key)


_KEY = re.compile(r"attachments/[0-9]{1,18}/(full|thumb)")


class DirectoryStore:
    """Stored bytes as files under a directory (MARKAZ_MEDIA_DIR), for deployments that keep large media
    out of the database. A file is written whole (a temporary name, synced, then renamed) before the
    attachment's transaction commits; should that transaction then fail, the file is left unreferenced
    (attachment ids are never reused) and harmless. Backups must then copy the directory too."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    async def put(self, ctx: Context, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def get(self, session: Any, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)


POSTGRES = PostgresStore()


def store_for(media_dir: Path | None) -> Store:
    """The store the configuration chooses: a directory when MARKAZ_MEDIA_DIR is set, else PostgreSQL."""
    return DirectoryStore(media_dir) if media_dir is not None else POSTGRES


def store_of(ctx_or_request: Any) -> Store:
    """The app's store (api/app.py keeps it on the app's state), for a request or its Context."""
    request = getattr(ctx_or_request, "request", ctx_or_request)
    app = getattr(request, "app", None)
    return getattr(getattr(app, "state", None), "media_store", None) or POSTGRES


def object_key(attachment_id: int, variant: str) -> str:
    return f"attachments/{attachment_id}/{variant}"


# --- attachMedia ----------------------------------------------------------------------------------------


async def attach_media(ctx: Context, input: Any) -> Applied:
    """Attach a finished upload of the viewer's to an incident or an engagement; the same `clientId` again
    is a replay, answered with the attachment it made."""
    viewer = policy.require_officer(ctx.viewer)

    async def prepare() -> dict[str, Any]:
        errors = Collector(ctx.lang)
        subject = await engagement_logic._subject(ctx, errors, input)
        caption = check_text(errors, ("caption",), input.caption, max_length=MAX_CAPTION)
        now = now_utc()
        check_time(errors, ("takenAt",), input.taken_at, now, required=False)
        given_place = getattr(input, "taken_place", None)
        if given_place is not None:
            check_point(errors, ("takenPlace",), given_place.latitude, given_place.longitude, None)
        expected = input.expected_attachments
        if expected is not None and not 1 <= expected <= MAX_EXPECTED:
            errors.add(("expectedAttachments",), "range", low=1, high=MAX_EXPECTED)
        upload = await _upload(ctx, errors, input.upload_id, viewer)
        errors.check()
        assert subject is not None and upload is not None  # errors.check() raised otherwise
        path, row, incident = subject
        if not policy.may_attach_media(viewer, row, incident=incident):
            fail(ctx.lang, path, "may_not_attach", "FORBIDDEN")
        async with ctx.db() as session:
            data = b"".join([part async for part in repo.upload_bytes(session, upload.id)])
        content_type = sniff(data[:16])
        if content_type is None:
            fail(ctx.lang, ("uploadId",), "media_type")
        try:
            kept = await asyncio.to_thread(keep, data, content_type)
        except Unreadable:
            fail(ctx.lang, ("uploadId",), "media_broken", high=MAX_MEGAPIXELS)
        place = (given_place.latitude, given_place.longitude) if given_place is not None else kept.taken_place
        return {
            "values": {
                "client_id": input.client_id,
                "incident_id" if incident else "engagement_id": row.id,
                "attached_by_id": viewer.officer_id,
                "content_type": kept.content_type,
                "size_bytes": len(kept.data),
                "width": kept.width,
                "height": kept.height,
                "sha256": hashlib.sha256(kept.data).hexdigest(),
                "upload_sha256": upload.sha256 or hashlib.sha256(data).hexdigest(),
                "has_thumbnail": kept.thumbnail is not None,
                "taken_at": input.taken_at or kept.taken_at,
                "taken_latitude": place[0] if place else None,
                "taken_longitude": place[1] if place else None,
                "caption": caption,
                "expected_total": expected,
            },
            "kept": kept,
            "upload_id": upload.id,
        }

    async def write(what: dict[str, Any], claimant: Any) -> Any:
        async with ctx.db() as session:
            made = await client_repo.insert_claimed(session, _TABLE, what["values"], claimant, ENTITY)
            if made is None:
                return None
            await repo.delete_upload(session, what["upload_id"])  # its bytes live on as the attachment's
        kept: Kept = what["kept"]
        store = store_of(ctx)
        await store.put(ctx, object_key(made.id, "full"), kept.data)
        if kept.thumbnail is not None:
            await store.put(ctx, object_key(made.id, "thumb"), kept.thumbnail)
        return made

    applied = await create_once(
        ctx,
        input.client_id,
        KIND_ATTACH,
        content_hash(KIND_ATTACH, input),
        prepare,
        write,
        lambda result_id: _attachment(ctx, result_id),
    )
    if not applied.duplicate:
        row = applied.row
        audit.record(
            ctx,
            KIND_ATTACH,
            ENTITY,
            row.id,
            after={
                "incidentId": row.incident_id,
                "engagementId": row.engagement_id,
                "contentType": row.content_type,
                "bytes": row.size_bytes,
                "sha256": row.sha256,
            },
        )
    return applied


async def _upload(ctx: Context, errors: Collector, given: str | None, viewer: policy.Viewer) -> Any:
    """The viewer's finished upload named by `uploadId` (the last part of its Location URL)."""
    text = (given or "").strip().rstrip("/").rsplit("/", 1)[-1]
    try:
        key = uuid.UUID(hex=text)
    except ValueError:
        errors.add(("uploadId",), "upload_unknown", "NOT_FOUND")
        return None
    async with ctx.db() as session:
        row = await repo.upload(session, key)
    if row is None or row.officer_id != viewer.officer_id:
        errors.add(("uploadId",), "upload_unknown", "NOT_FOUND")
        return None
    if row.completed_at is None:
        errors.add(("uploadId",), "upload_unfinished", offset=row.upload_offset, length=row.length)
        return None
    return row


async def _attachment(ctx: Context, attachment_id: int | None) -> AttachmentRow:
    async with ctx.db() as session:
        found = await repo.attachments_by_ids(session, [attachment_id] if attachment_id else [])
    row = found.get(attachment_id) if attachment_id else None
    if row is None:  # cannot happen: the claim and the attachment are written in one statement
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return row


# --- reads ----------------------------------------------------------------------------------------------


async def incident_attachments(ctx: Context, incident_ids: list[int]) -> dict[int, list[AttachmentRow]]:
    async with ctx.db() as session:
        return await repo.attachments_of(session, "incident_id", incident_ids)


async def engagement_attachments(ctx: Context, engagement_ids: list[int]) -> dict[int, list[AttachmentRow]]:
    async with ctx.db() as session:
        return await repo.attachments_of(session, "engagement_id", engagement_ids)


# --- signed links -----------------------------------------------------------------------------------


def _link_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"markaz /media/ links", hashlib.sha256).digest()


def _signature(secret_key: str, attachment_id: int, variant: str, expires: int) -> str:
    text = f"{attachment_id}/{variant}/{expires}".encode()
    return hmac.new(_link_key(secret_key), text, hashlib.sha256).hexdigest()[:32]


def media_url(secret_key: str, attachment_id: int, variant: str, *, now: float | None = None) -> str:
    """A link to an attachment's bytes (`full` or `thumb`) that works for URL_SECONDS, for anyone holding
    it: made only for a viewer the policy lets see them (the app shows it in an image view, which cannot
    send a bearer token)."""
    expires = int((now if now is not None else time.time()) + URL_SECONDS)
    signature = _signature(secret_key, attachment_id, variant, expires)
    return f"/media/{attachment_id}/{variant}?expires={expires}&signature={signature}"


def link_valid(
    secret_key: str, attachment_id: int, variant: str, expires: int, signature: str, *, now: float
) -> bool:
    if expires < now or expires > now + URL_SECONDS + 60:
        return False
    return hmac.compare_digest(_signature(secret_key, attachment_id, variant, expires), signature)
