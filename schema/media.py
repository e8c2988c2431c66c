"""Photos and documents: the Attachment type, `attachMedia`, and the attachments of incidents and
engagements (resolvers/media.py; the uploads themselves are tus, api/uploads.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from db.rows import AttachmentRow
from resolvers import disclosure
from resolvers import engagements as engagement_logic
from resolvers import incidents as incident_logic
from resolvers import media as logic
from resolvers.context import Context
from schema.common import GeoPoint, GeoPointInput, UserError
from schema.loaders import _loader
from schema.mutations import run
from schema.node import Node, to_global_id


@strawberry.type(description="A photo or document attached to an incident or an engagement.")
class Attachment(Node):
    content_type: str = strawberry.field(
        description="What it is, judged by its bytes: image/jpeg, image/png, image/webp or application/pdf."
    )
    bytes: int = strawberry.field(description="Its size as stored and served (a photo without its metadata).")
    width: int | None = strawberry.field(description="In pixels (photos), upright.")
    height: int | None = strawberry.field(description="In pixels (photos), upright.")
    sha256: str = strawberry.field(description="SHA-256 of the bytes served, in hex.")
    taken_at: datetime | None = strawberry.field(
        description="When it was taken: as the phone said, else the photo's own EXIF time."
    )
    taken_place: GeoPoint | None = strawberry.field(
        description="Where it was taken: as the phone said, else the photo's own EXIF GPS position (the "
        "image served carries none). Shown to whoever may see the attachment, as its record's place is."
    )
    caption: str | None = strawberry.field(description="What it shows, as the officer wrote.")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: AttachmentRow) -> Attachment:
        return cls(
            id=strawberry.ID(to_global_id("Attachment", row.id)),
            content_type=row.content_type,
            bytes=row.size_bytes,
            width=row.width,
            height=row.height,
            sha256=row.sha256,
            taken_at=row.taken_at,
            taken_place=GeoPoint(latitude=row.taken_latitude, longitude=row.taken_longitude)
            if row.taken_latitude is not None and row.taken_longitude is not None
            else None,
            caption=row.caption,
            row=row,
        )

    @strawberry.field(
        description="A link to its bytes under /media/, relative to the API's address; it works for 15 "
        "minutes: ask again for a new one."
    )
    def url(self, info: strawberry.Info[Context]) -> str | None:
        return logic.media_url(info.context.secret_key, self.row.id, "full")

    @strawberry.field(description="A link to a JPEG of at most 320 pixels a side (photos; null for PDFs).")
    def thumbnail_url(self, info: strawberry.Info[Context]) -> str | None:
        if not self.row.has_thumbnail:
            return None
        return logic.media_url(info.context.secret_key, self.row.id, "thumb")


@strawberry.input(
    description="Attach a finished upload to an incident or an engagement: name it by exactly one of "
    "`engagementId`, `engagementClientId`, `incidentId` and `incidentClientId`. To a sensitive incident or "
    "a household engagement, only the people on its case may attach."
)
class AttachMediaInput:
    client_id: uuid.UUID = strawberry.field(
        description="Made on the device, once per attachment; sending it again attaches nothing more."
    )
    upload_id: str = strawberry.field(
        description="The upload: the last part of the Location URL its tus creation answered (or the URL)."
    )
    incident_id: strawberry.ID | None = strawberry.field(default=None, description="The incident.")
    incident_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId the incident was reported with."
    )
    engagement_id: strawberry.ID | None = strawberry.field(default=None, description="The engagement.")
    engagement_client_id: uuid.UUID | None = strawberry.field(
        default=None, description="The clientId the engagement was logged with."
    )
    caption: str | None = strawberry.field(default=None, description="What it shows, at most 500 characters.")
    taken_at: datetime | None = strawberry.field(
        default=None, description="When it was taken (default: the photo's EXIF time, if any)."
    )
    taken_place: GeoPointInput | None = strawberry.field(
        default=None, description="Where it was taken (default: the photo's EXIF GPS position, if any)."
    )
    expected_attachments: int | None = strawberry.field(
        default=None,
        description="How many attachments the record should have in all, 1 to 50 (so that a supervisor "
        "sees which have not arrived: attachmentsExpected).",
    )


@strawberry.type(description="The result of attachMedia.")
class AttachmentPayload:
    attachment: Attachment | None = strawberry.field(
        description="The attachment; null when there are errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was attached; empty on success.")


@strawberry.type
class MediaMutation:
    @strawberry.mutation(
        description="Attach a finished upload (tus, /uploads/) to an incident or an engagement; the same "
        "clientId again returns the same attachment."
    )
    async def attach_media(
        self, info: strawberry.Info[Context], input: AttachMediaInput
    ) -> AttachmentPayload:
        ctx = info.context
        applied, errors, _ = await run(ctx, lambda: logic.attach_media(ctx, input))
        return AttachmentPayload(
            attachment=Attachment.from_row(applied.row) if applied else None, errors=errors
        )


# --- the attachments of a record -------------------------------------------------------------------------


async def _rows(info: strawberry.Info[Context], record: Any, *, incident: bool) -> list[AttachmentRow] | None:
    """The record's attachments, or None when they are withheld from the viewer."""
    ctx = info.context
    if disclosure.for_viewer(ctx.viewer).media_withheld(record, incident=incident):
        return None
    if incident:
        incident_logic.read_details(ctx, record)  # audited, for a sensitive incident's
        loader = _loader(ctx, "AttachmentsByIncidentId", logic.incident_attachments, [])
    else:
        loader = _loader(ctx, "AttachmentsByEngagementId", logic.engagement_attachments, [])
    return list(await loader.load(record.id))


async def attachments(info: strawberry.Info[Context], record: Any, *, incident: bool) -> list[Attachment]:
    rows = await _rows(info, record, incident=incident)
    return [Attachment.from_row(r) for r in rows or ()]


async def received(info: strawberry.Info[Context], record: Any, *, incident: bool) -> int | None:
    rows = await _rows(info, record, incident=incident)
    return None if rows is None else len(rows)


async def expected(info: strawberry.Info[Context], record: Any, *, incident: bool) -> int | None:
    rows = await _rows(info, record, incident=incident)
    declared = [r.expected_total for r in rows or () if r.expected_total is not None]
    return max(declared) if declared else None


async def resolve_attachment_nodes(ctx: Context, keys: list[str]) -> dict[str, Any]:
    """Attachment nodes for `node`/`nodes`: only those whose record the viewer may see the media of."""
    ids = [int(k) for k in keys if k.isdigit() and len(k) <= 18]
    if ctx.viewer is None or not ids:
        return {}
    async with ctx.db() as session:
        from db import media as repo

        rows = await repo.attachments_by_ids(session, ids)
    incidents = await incident_logic.visible_incidents(
        ctx, [r.incident_id for r in rows.values() if r.incident_id is not None]
    )
    engagements = await engagement_logic.visible_engagements(
        ctx, [r.engagement_id for r in rows.values() if r.engagement_id is not None]
    )
    found: dict[str, Any] = {}
    view = disclosure.for_viewer(ctx.viewer)
    for key, row in rows.items():
        if row.incident_id is not None:
            record, incident = incidents.get(row.incident_id), True
        else:
            record, incident = engagements.get(row.engagement_id or 0), False
        if record is not None and not view.media_withheld(record, incident=incident):
            found[str(key)] = Attachment.from_row(row)
    return found
