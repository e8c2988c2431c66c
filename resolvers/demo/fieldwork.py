"""The demo field-work data set: officers of every role, and 90 days of patrols, engagements and
incidents around the model stations, reproducible from a seed.

Times follow the working day (most activity between 08:00 and 20:00 Baghdad time), places scatter a
few kilometres around each station, older incidents are further along their workflow, and sensitive
categories keep their share. Officers' credentials are returned so the seed can print them.
"""

from __future__ import annotations

import dataclasses
import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import activity_feed as feed_log
from db import demo_fieldwork as repo
from db.models import Engagement, FollowUpAction, Incident, IncidentStatusChange, Patrol, PatrolFix
from resolvers import officers as accounts
from resolvers.patrols import TrackFix, walk_track
from resolvers.policy import SENSITIVE_CATEGORIES

DEMO_PASSWORD = "markaz-demo-2026"  # noqa: S105 - demo only: printed by the seed, never for real deployments
_NAMESPACE = uuid.UUID("6d61726b-617a-4000-8000-64656d6f0000")
_MODEL_KEYS = ("baghdad", "basra", "fallujah", "ramadi", "mosul-al-thaqafa", "mosul-west")
_SUPERVISED = (("IQ-NI", "Nineveh"), ("IQ-BG", "Baghdad"), ("IQ-AN", "Anbar"), ("IQ-BA", "Basra"))
_KINDS = (
    ("HOME_VISIT", 18),
    ("SCHOOL_VISIT", 8),
    ("COMMUNITY_MEETING", 14),
    ("RELIGIOUS_LEADER_MEETING", 5),
    ("TRIBAL_LEADER_MEETING", 5),
    ("MARKET_WALK", 16),
    ("AWARENESS_SESSION", 10),
    ("FAMILY_PROTECTION_FOLLOW_UP", 8),
    ("WOMEN_OUTREACH", 8),
    ("YOUTH_ACTIVITY", 8),
)
_CATEGORIES = (
    ("THEFT", 22),
    ("ASSAULT", 10),
    ("DOMESTIC_VIOLENCE", 8),
    ("CHILD_PROTECTION", 4),
    ("JUVENILE", 4),
    ("TRAFFIC_ACCIDENT", 18),
    ("DISPUTE", 14),
    ("MISSING_PERSON", 3),
    ("SUSPICIOUS_ACTIVITY", 9),
    ("FRAUD", 5),
    ("OTHER", 3),
)
_TOPICS = (
    "street lighting",
    "school safety",
    "drugs among youth",
    "traffic near the market",
    "water supply dispute",
    "harassment at the bus stop",
    "unlicensed weapons",
    "stray dogs",
    "women's access to the station",
    "juvenile gangs",
    "early marriage",
    "theft from shops",
    "noise at night",
    "missing documents",
)
_WORKFLOW = ("REPORTED", "ASSIGNED", "IN_PROGRESS", "RESOLVED", "CLOSED")
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 9, 8, 8, 8, 8, 8, 7, 7, 6, 5, 4, 3, 2)
_BAGHDAD = timedelta(hours=3)


@dataclasses.dataclass(slots=True)
class Credential:
    badge: str
    role: str
    where: str


def _cid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts))


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _when(rng: random.Random, now: datetime, days: int = 90) -> datetime:
    """A time in the last `days` days, at an hour of the Baghdad working day."""
    day = (now - timedelta(days=rng.randrange(days))).date()
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=UTC) - _BAGHDAD
    return min(local, now - timedelta(minutes=5))


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    distance, bearing = km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return (
        lat + distance / 111.0 * math.cos(bearing),
        lon + distance / (111.0 * math.cos(math.radians(lat))) * math.sin(bearing),
    )


async def _officers(
    session: AsyncSession, stations: dict[str, Any]
) -> tuple[list[Credential], dict[str, list[int]]]:
    """Create the demo accounts that do not exist yet; (credentials, officer ids per station key)."""
    plan: list[tuple[str, str, dict[str, Any]]] = [("ADMIN-1", "ADMIN", {"name": "Demo Administrator"})]
    for code, name in _SUPERVISED:
        plan.append(
            (f"SUP-{code[3:]}", "SUPERVISOR", {"name": f"Supervisor, {name}", "governorates": (code,)})
        )
    for key in _MODEL_KEYS:
        short = key.upper().replace("MOSUL-", "")[:8]
        station_id = stations[key].id
        plan.append(
            (
                f"CMD-{short}",
                "STATION_COMMANDER",
                {"name": f"Commander, {key}", "station_id": station_id, "where": f"model-{key}"},
            )
        )
        for n in range(1, 5):
            plan.append(
                (
                    f"OFC-{short}-{n}",
                    "OFFICER",
                    {
                        "name": f"Officer {n}, {key}",
                        "station_id": station_id,
                        "where": f"model-{key}",
                        "gender": "FEMALE" if n % 2 == 0 else "MALE",
                    },
                )
            )  # women officers are half the community teams
    existing = await repo.officer_ids_by_badge(session, [badge for badge, _, _ in plan])
    credentials = []
    for badge, role, extra in plan:
        if badge not in existing:
            await accounts.add_officer(
                session,
                badge=badge,
                role=role,
                password=DEMO_PASSWORD,
                name=extra["name"],
                gender=extra.get("gender", "MALE"),
                station_id=extra.get("station_id"),
                governorates=extra.get("governorates", ()),
                published_password=True,
            )
        where = extra.get("where") or (extra["governorates"][0] if "governorates" in extra else "everything")
        credentials.append(Credential(badge, role, where))
    ids = await repo.officer_ids_by_badge(session, [badge for badge, _, _ in plan])
    per_station = {
        key: [
            ids[b]
            for b, role, _ in plan
            if role == "OFFICER" and b.startswith(f"OFC-{key.upper().replace('MOSUL-', '')[:8]}-")
        ]
        for key in _MODEL_KEYS
    }
    return credentials, per_station


def _track(rng: random.Random, lat: float, lon: float, start: datetime, fixes: int) -> list[tuple]:
    """A walk or slow drive from the station: (time, lat, lon, accuracy)."""
    points, heading = [], rng.uniform(0, 2 * math.pi)
    for i in range(fixes):
        heading += rng.uniform(-0.6, 0.6)
        step_km = rng.uniform(0.05, 0.25)
        lat += step_km / 111.0 * math.cos(heading)
        lon += step_km / (111.0 * math.cos(math.radians(lat))) * math.sin(heading)
        points.append((start + timedelta(minutes=2 * i), lat, lon, round(rng.uniform(4, 30), 1)))
    return points


async def seed_fieldwork(
    session: AsyncSession,
    *,
    seed: int = 2026,
    days: int = 90,
    scale: float = 1.0,
    now: datetime | None = None,
) -> tuple[list[Credential], dict[str, int]]:
    """Officers, then (when there is no field data yet) `days` days of activity at the model stations."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    stations = await repo.stations_by_external_ids(session, [f"model-{k}" for k in _MODEL_KEYS])
    stations = {key.removeprefix("model-"): row for key, row in stations.items()}
    credentials, officers = await _officers(session, stations)
    counts = {"patrols": 0, "engagements": 0, "incidents": 0}
    if await repo.has_field_data(session):
        return credentials, counts
    # Ninety days of history are not news: they stay out of the live feed (and the seed stays fast).
    await feed_log.without_live_feed(session)
    for key in _MODEL_KEYS:
        station, team = stations[key], officers[key]
        patrol_rows, tracks = [], []
        for n in range(int(2 * days * scale)):
            start = _when(rng, now - timedelta(hours=2), days)
            track = _track(rng, station.latitude, station.longitude, start, rng.randrange(15, 40))
            walk = walk_track([TrackFix(*fix) for fix in track])  # the app's measure, and the steps it stores
            crew = rng.sample(team, 2)
            patrol_rows.append(
                {
                    "client_id": _cid(seed, key, "patrol", n),
                    "station_id": station.id,
                    "started_by_id": crew[0],
                    "officer_ids": crew,
                    "status": "ENDED",
                    "started_at": start,
                    "ended_at": track[-1][0],
                    "distance_m": walk.distance_m,
                    "fix_count": len(track),
                    "recorded_at": start,
                    "received_at": start,
                }
            )
            tracks.append((track, walk))
        patrol_ids = await repo.insert_returning_ids(session, Patrol, patrol_rows)
        await repo.insert_rows(
            session,
            PatrolFix,
            [
                {
                    "patrol_id": pid,
                    "recorded_at": t,
                    "latitude": la,
                    "longitude": lo,
                    "accuracy_m": acc,
                    "step_m": walk.steps.get(t),
                }
                for pid, (track, walk) in zip(patrol_ids, tracks, strict=True)
                for t, la, lo, acc in track
            ],
        )
        counts["patrols"] += len(patrol_ids)

        engagement_rows, follow_ups = [], []
        for n in range(int(1.5 * days * scale)):
            when = _when(rng, now, days)
            lat, lon = _near(rng, station.latitude, station.longitude, 4.0)
            total = rng.randrange(1, 60)
            kind = _weighted(rng, _KINDS)
            women = rng.randrange(0, total + 1) if kind != "WOMEN_OUTREACH" else total
            engagement_rows.append(
                {
                    "client_id": _cid(seed, key, "engagement", n),
                    "station_id": station.id,
                    "officer_id": rng.choice(team),
                    "kind": kind,
                    "latitude": lat,
                    "longitude": lon,
                    "accuracy_m": round(rng.uniform(3, 40), 1),
                    "occurred_at": when,
                    "duration_minutes": rng.choice((15, 30, 45, 60, 90, 120)),
                    "attendees_total": total,
                    "attendees_women": women,
                    "attendees_youth": rng.randrange(0, total + 1),
                    "topics": rng.sample(_TOPICS, rng.randrange(1, 4)),
                    "recorded_at": when,
                    "received_at": when,
                    "patrol_id": rng.choice(patrol_ids) if rng.random() < 0.3 else None,
                }
            )
        engagement_ids = await repo.insert_returning_ids(session, Engagement, engagement_rows)
        for eid, row in zip(engagement_ids, engagement_rows, strict=True):
            if rng.random() < 0.35:
                due = (row["occurred_at"] + timedelta(days=rng.randrange(3, 30))).date()
                follow_ups.append(
                    {
                        "engagement_id": eid,
                        "description": f"Follow up: {row['topics'][0]}",
                        "owner_id": rng.choice(team),
                        "due_on": due,
                        "status": "DONE" if due < now.date() and rng.random() < 0.7 else "OPEN",
                    }
                )
        await repo.insert_rows(session, FollowUpAction, follow_ups)
        counts["engagements"] += len(engagement_ids)

        incident_rows, histories = [], []
        for n in range(int(3 * days * scale)):
            occurred = _when(rng, now, days)
            category = _weighted(rng, _CATEGORIES)
            age_days = (now - occurred).days
            reach = min(len(_WORKFLOW) - 1, rng.randrange(0, 2 + age_days // 10))
            lat, lon = _near(rng, station.latitude, station.longitude, 5.0)
            reporter = rng.choice(team)
            incident_rows.append(
                {
                    "client_id": _cid(seed, key, "incident", n),
                    "station_id": station.id,
                    "category": category,
                    "status": _WORKFLOW[reach],
                    "version": reach + 1,
                    "sensitive": category in SENSITIVE_CATEGORIES,
                    "latitude": lat,
                    "longitude": lon,
                    "accuracy_m": round(rng.uniform(3, 50), 1),
                    "occurred_at": occurred,
                    "reported_at": occurred + timedelta(minutes=rng.randrange(5, 180)),
                    "description": f"Demo {category.lower().replace('_', ' ')} report near {key}.",
                    "reported_by_id": reporter,
                    "assigned_officer_ids": [rng.choice(team)] if reach >= 1 else [],
                    "resolved_at": occurred + timedelta(days=rng.randrange(1, 10)) if reach >= 3 else None,
                    "recorded_at": occurred,
                }
            )
            histories.append(reach)
        incident_ids = await repo.insert_returning_ids(session, Incident, incident_rows)
        await repo.insert_rows(
            session,
            IncidentStatusChange,
            [
                {
                    "incident_id": iid,
                    "from_status": _WORKFLOW[step - 1] if step else None,
                    "to_status": _WORKFLOW[step],
                    "version": step + 1,
                    "changed_by_id": row["reported_by_id"],
                    "changed_at": row["reported_at"] + timedelta(hours=6 * step),
                }
                for iid, row, reach in zip(incident_ids, incident_rows, histories, strict=True)
                for step in range(reach + 1)
            ],
        )
        counts["incidents"] += len(incident_ids)
    return credentials, counts
