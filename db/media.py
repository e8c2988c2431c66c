"""SQL of photos and documents: tus uploads and their parts, attachments, and the PostgreSQL media store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.rows import AttachmentRow, UploadRow

_UPLOAD_COLUMNS = (
    "id, officer_id, length, upload_offset, metadata, sha256, created_at, expires_at, completed_at"
)


async def create_upload(
    session: AsyncSession,
    *,
    upload_id: uuid.UUID,
    officer_id: int,
    length: int,
    metadata: dict[str, Any],
    expires_at: datetime,
) -> UploadRow:
    result = await statements.execute(
        session,
        text(
            "INSERT INTO uploads (id, officer_id, length, metadata, expires_at, completed_at) "  # noqa: S608
            "VALUES (:id, :officer, CAST(:length AS bigint), CAST(:metadata AS jsonb), :expires, "
            "CASE WHEN CAST(:length AS bigint) = 0 THEN now() END) "
            f"RETURNING {_UPLOAD_COLUMNS}"
        ),
        {
            "id": upload_id,
            "officer": officer_id,
            "length": length,
            "metadata": _json(metadata),
            "expires": expires_at,
        },
    )
    return cast(UploadRow, result.one())


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


async def upload(session: AsyncSession, upload_id: uuid.UUID) -> UploadRow | None:
    """An upload that has not expired (an unfinished one past `expires_at` is as good as gone)."""
    result = await statements.execute(
        session,
        text(
            f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE id = :id "  # noqa: S608 - fixed columns
            "AND (completed_at IS NOT NULL OR expires_at > now())"
        ),
        {"id": upload_id},
    )
    return cast("UploadRow | None", result.first())


async def unfinished_of(session: AsyncSession, officer_id: int) -> tuple[int, int]:
    """(how many, how many bytes declared) of an officer's live unfinished uploads."""
    row: Any = (
        await statements.execute(
            session,
            text(
                "SELECT count(*), coalesce(sum(length), 0) FROM uploads WHERE officer_id = :officer "
                "AND completed_at IS NULL AND expires_at > now()"
            ),
            {"officer": officer_id},
        )
    ).one()
    return int(row[0]), int(row[1])


async def append_part(
    session: AsyncSession, upload_id: uuid.UUID, start: int, data: bytes
) -> UploadRow | None:
    """Add the bytes that follow `start`, if the upload is still at `start` (a concurrent PATCH that got
    there first wins); the upload as it now is, or None when it had moved on (or is gone)."""
    result = await statements.execute(
        session,
        text(
            "WITH moved AS (UPDATE uploads SET upload_offset = upload_offset + CAST(:size AS bigint), "  # noqa: S608
            "completed_at = CASE WHEN upload_offset + CAST(:size AS bigint) = length THEN now() END "
            "WHERE id = :id AND upload_offset = CAST(:start AS bigint) AND completed_at IS NULL "
            "AND upload_offset + CAST(:size AS bigint) <= length "
            f"RETURNING {_UPLOAD_COLUMNS}), "
            "part AS (INSERT INTO upload_parts (upload_id, start, data) "
            "SELECT id, CAST(:start AS bigint), CAST(:data AS bytea) FROM moved) "
            f"SELECT {_UPLOAD_COLUMNS} FROM moved"
        ),
        {"id": upload_id, "start": start, "size": len(data), "data": data},
    )
    return cast("UploadRow | None", result.first())


async def seal(session: AsyncSession, upload_id: uuid.UUID) -> str:
    """The SHA-256 of a complete upload's bytes (computed in PostgreSQL, kept on the upload)."""
    result = await statements.execute(
        session,
        text(
            "UPDATE uploads SET sha256 = (SELECT encode(sha256(coalesce(string_agg(data, ''::bytea "
            "ORDER BY start), ''::bytea)), 'hex') FROM upload_parts WHERE upload_id = :id) "
            "WHERE id = :id RETURNING sha256"
        ),
        {"id": upload_id},
    )
    return cast(str, result.scalar_one())


async def upload_bytes(session: AsyncSession, upload_id: uuid.UUID) -> AsyncIterator[bytes]:
    """An upload's bytes in order, part by part."""
    result = await statements.execute(
        session, text("SELECT data FROM upload_parts WHERE upload_id = :id ORDER BY start"), {"id": upload_id}
    )
    for (data,) in result:
        yield bytes(data)


async def delete_upload(session: AsyncSession, upload_id: uuid.UUID) -> None:
    await statements.execute(session, text("DELETE FROM uploads WHERE id = :id"), {"id": upload_id})


async def delete_expired(session: AsyncSession, *, limit: int = 100) -> int:
    """Delete unfinished uploads past their expiry, and finished ones never attached past it (a few at a
    time: whoever calls it does not wait for a backlog); how many went."""
    result = await statements.execute(
        session,
        text(
            "DELETE FROM uploads WHERE id IN (SELECT id FROM uploads WHERE expires_at <= now() "
            "LIMIT :limit FOR UPDATE SKIP LOCKED)"
        ),
        {"limit": limit},
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- attachments ----------------------------------------------------------------------------------------

_ATTACHMENT_COLUMNS = (
    "id, client_id, incident_id, engagement_id, attached_by_id, content_type, size_bytes, width, height, "
    "sha256, upload_sha256, has_thumbnail, taken_at, taken_latitude, taken_longitude, caption, "
    "expected_total, created_at"
)


async def insert_attachment(session: AsyncSession, values: dict[str, Any]) -> AttachmentRow:
    names = sorted(values)
    result = await statements.execute(
        session,
        text(
            f"INSERT INTO attachments ({', '.join(names)}) "  # noqa: S608 - the columns are ours
            f"VALUES ({', '.join(':' + n for n in names)}) RETURNING {_ATTACHMENT_COLUMNS}"
        ),
        values,
    )
    return cast(AttachmentRow, result.one())


async def attachments_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, AttachmentRow]:
    result = await statements.execute(
        session,
        text(f"SELECT {_ATTACHMENT_COLUMNS} FROM attachments WHERE id = ANY(:ids)"),  # noqa: S608
        {"ids": list(ids)},
    )
    return {row.id: cast(AttachmentRow, row) for row in result}


async def attachments_of(
    session: AsyncSession, column: str, record_ids: Sequence[int]
) -> dict[int, list[AttachmentRow]]:
    """Each record's attachments, oldest first; `column` is incident_id or engagement_id."""
    assert column in ("incident_id", "engagement_id")
    result = await statements.execute(
        session,
        text(
            f"SELECT {_ATTACHMENT_COLUMNS} FROM attachments "  # noqa: S608 - fixed columns
            f"WHERE {column} = ANY(:ids) ORDER BY id"
        ),
        {"ids": list(record_ids)},
    )
    found: dict[int, list[AttachmentRow]] = {}
    for row in result:
        found.setdefault(getattr(row, column), []).append(cast(AttachmentRow, row))
    return found


# --- the PostgreSQL media store -------------------------------------------------------------------------


async def put_object(session: AsyncSession, key: str, data: bytes) -> None:
    await statements.execute(
        session,
        text(
            "INSERT INTO media_objects (key, data) VALUES (:key, :data) "
            "ON CONFLICT (key) DO UPDATE SET data = excluded.data"
        ),
        {"key": key, "data": data},
    )


async def get_object(session: AsyncSession, key: str) -> bytes | None:
    found = (
        await statements.execute(
            session, text("SELECT data FROM media_objects WHERE key = :key"), {"key": key}
        )
    ).scalar()
    return bytes(found) if found is not None else None
