"""`GET /media/{id}/{full|thumb}`: the stored bytes of an attachment, by a short-lived signed link.

The links are made by `Attachment.url` and `Attachment.thumbnailUrl` only for a viewer the policy lets see
the record's media (resolvers.policy.sees_media), and work for 15 minutes (resolvers/media.py): an image
view cannot send a bearer token. A link that is not one of ours, altered or expired, is answered 404
whatever it names. What is served is exactly what was stored: a photo without its metadata (EXIF GPS and
device, XMP), a PDF as sent, never sniffed by the browser as something else, never run as a page.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from db import media as repo
from resolvers import media as logic

_VARIANTS = frozenset({"full", "thumb"})


def make_endpoint(secret_key: str):
    async def serve(request: Request) -> Response:
        params = request.query_params
        variant = request.path_params["variant"]
        attachment_id = request.path_params["attachment_id"]
        now = time.time()
        expires = params.get("expires", "")
        if (
            variant not in _VARIANTS
            or not expires.isdigit()
            or len(expires) > 12
            or not logic.link_valid(
                secret_key, attachment_id, variant, int(expires), params.get("signature", ""), now=now
            )
        ):
            return Response("This link is not valid (or has expired): ask for the record again.", 404)
        async with request.app.state.sessionmaker() as session:
            rows = await repo.attachments_by_ids(session, [attachment_id])
            data = await logic.store_of(request).get(session, logic.object_key(attachment_id, variant))
        row = rows.get(attachment_id)
        if row is None or data is None:
            return Response("Not found.", 404)
        content_type = row.content_type if variant == "full" else logic.JPEG
        disposition = "attachment" if content_type == logic.PDF else "inline"
        return Response(
            data,
            media_type=content_type,
            headers={
                "cache-control": f"private, max-age={max(0, int(expires) - int(now))}",
                "content-disposition": f'{disposition}; filename="attachment-{attachment_id}-{variant}"',
                "x-content-type-options": "nosniff",
                "content-security-policy": "default-src 'none'; sandbox",
            },
        )

    return serve
