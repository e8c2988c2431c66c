"""The audit log's SQL: appending entries to the chain, reading it back in order, and its head.

The chain's key is no part of the database: a process puts it on the sessions it makes
(`db.engine.make_sessionmaker(audit_key=...)`, under `KEY_INFO` in `session.info`), from its settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import statements
from db.models import AuditEntry

_AUDIT_LOCK = 7_272_002
GENESIS = "0" * 64
KEY_INFO = "markaz.audit_key"


def session_key(session: AsyncSession) -> bytes | None:
    """The audit chain's key the session was made with, if any."""
    return session.info.get(KEY_INFO)


async def last_hash_locked(session: AsyncSession) -> str:
    """The chain's last hash, holding the chain's lock until the transaction ends.

    Appends are serialized so that each entry's `prev_hash` really is the entry before it. The lock is
    taken as late as possible (entries are buffered per request and written just before commit).
    """
    await statements.execute(session, text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK})
    last = select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    found = (await statements.execute(session, last)).scalar()
    return found or GENESIS


async def insert_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await statements.execute(session, insert(AuditEntry), list(rows))


async def entries_in_order(session: AsyncSession, batch: int = 5000) -> AsyncIterator[Any]:
    last_id = 0
    while True:
        rows = (
            await statements.execute(
                session,
                select(AuditEntry.__table__)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch),
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id


async def head(session: AsyncSession) -> Any | None:
    """The newest entry's id, hash and key id (entries commit in chain order: appends hold the lock)."""
    query = select(AuditEntry.id, AuditEntry.hash, AuditEntry.key_id).order_by(AuditEntry.id.desc()).limit(1)
    return (await statements.execute(session, query)).first()


# --- Reading the log (the auditLog query) ------------------------------------------------------------

# Each entry with what its subject is now: the station it belongs to (and that station's governorate),
# and what the disclosure rule needs to know of a field record (an incident's category, mark and case; an
# engagement's kind and officer; a follow-up action's incident or engagement). An entry's subject is
# named by `entity_type` and `entity_id`; ids that are not keys of that type match nothing.
_READ = """
SELECT a.id, a.at, a.officer_id, a.device_id, a.request_id, a.action, a.entity_type, a.entity_id,
       a.before, a.after, s.station_id AS subject_station_id, st.governorate_code AS subject_governorate,
       s.incident_category, s.incident_sensitive, s.incident_reported_by_id,
       s.incident_assigned_officer_ids, s.engagement_kind, s.engagement_officer_id
FROM audit_log a
CROSS JOIN LATERAL (
  SELECT CASE WHEN a.entity_id ~ '^[0-9]{1,18}$' THEN a.entity_id::bigint END AS k,
         CASE WHEN a.entity_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN a.entity_id::uuid END AS u
) key
LEFT JOIN LATERAL (
  SELECT i.station_id, i.category AS incident_category, i.sensitive AS incident_sensitive,
         i.reported_by_id AS incident_reported_by_id, i.assigned_officer_ids AS incident_assigned_officer_ids,
         NULL::text AS engagement_kind, NULL::bigint AS engagement_officer_id, NULL::text[] AS governorates
  FROM incidents i WHERE a.entity_type = 'Incident' AND i.id = key.k
  UNION ALL
  SELECT e.station_id, NULL, NULL, NULL, NULL, e.kind, e.officer_id, NULL
  FROM engagements e WHERE a.entity_type = 'Engagement' AND e.id = key.k
  UNION ALL
  SELECT coalesce(i.station_id, e.station_id), i.category, i.sensitive, i.reported_by_id,
         i.assigned_officer_ids, e.kind, e.officer_id, NULL
  FROM follow_up_actions f
  LEFT JOIN incidents i ON i.id = f.incident_id
  LEFT JOIN engagements e ON e.id = f.engagement_id
  WHERE a.entity_type = 'FollowUpAction' AND f.id = key.k
  UNION ALL
  SELECT p.station_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM patrols p WHERE a.entity_type = 'Patrol' AND p.id = key.k
  UNION ALL
  SELECT o.station_id, NULL, NULL, NULL, NULL, NULL, NULL, o.governorates
  FROM officers o WHERE a.entity_type = 'Officer' AND o.id = key.k
  UNION ALL
  SELECT o.station_id, NULL, NULL, NULL, NULL, NULL, NULL, o.governorates
  FROM auth_sessions x JOIN officers o ON o.id = x.officer_id
  WHERE a.entity_type = 'AuthSession' AND x.id = key.u
  UNION ALL
  SELECT t.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM stations t WHERE a.entity_type = 'Station' AND t.id = key.k
  LIMIT 1
) s ON true
LEFT JOIN stations st ON st.id = s.station_id
WHERE {where}
ORDER BY a.id {order}
LIMIT :limit OFFSET :offset
"""


async def read_entries(
    session: AsyncSession,
    *,
    governorates: Sequence[str] | None,
    before_id: int | None,
    limit: int,
    offset: int = 0,
    oldest_first: bool = False,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor_id: int | None = None,
    actions: Sequence[str] = (),
    at_from: Any = None,
    at_to: Any = None,
) -> Sequence[Any]:
    """Entries newest first (or oldest first, paged by `offset`); `governorates`: only those whose
    subject belongs to a station in them (or is a supervisor of one of them); None: every entry."""
    where: list[str] = ["true"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if governorates is not None:
        where.append("(st.governorate_code = ANY(:govs) OR s.governorates && CAST(:govs AS text[]))")
        params["govs"] = list(governorates)
    if before_id is not None:
        where.append("a.id < :before_id")
        params["before_id"] = before_id
    if subject_type is not None:
        where.append("a.entity_type = :subject_type")
        params["subject_type"] = subject_type
    if subject_id is not None:
        where.append("a.entity_id = :subject_id")
        params["subject_id"] = subject_id
    if actor_id is not None:
        where.append("a.officer_id = :actor_id")
        params["actor_id"] = actor_id
    if actions:
        where.append("a.action = ANY(:actions)")
        params["actions"] = list(actions)
    if at_from is not None:
        where.append("a.at >= :at_from")
        params["at_from"] = at_from
    if at_to is not None:
        where.append("a.at < :at_to")
        params["at_to"] = at_to
    # Only the fixed conditions above are joined in; every value is a bound parameter.
    query = text(
        _READ.replace("{where}", " AND ".join(where)).replace("{order}", "ASC" if oldest_first else "DESC")
    )
    return (await statements.execute(session, query, params)).all()
