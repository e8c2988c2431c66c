"""syncFieldLog: a phone's offline queue applied in order, each entry on its own (APPLIED, DUPLICATE,
CONFLICT, REJECTED); references by client id inside a batch; replays; limits; authenticity flags;
permissions; and the same entry sent twice at once on separate, committing transactions."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import text

from schema.node import to_global_id
from tests.conftest import GraphQL
from tests.factories import make_officer, make_station, sign_in, statements

SYNC = """
mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) {
    results {
      clientId kind status currentVersion errors { field code message }
      node {
        __typename id
        ... on Patrol { clientId patrolStatus: status fixCount endedAt flags recordedAt receivedAt }
        ... on Engagement { clientId flags recordedAt receivedAt patrol { id } }
        ... on Incident { clientId incidentStatus: status version flags recordedAt reportedAt }
      }
    }
    errors { field code message }
  }
}
"""
REPORT = """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id clientId version } errors { field code message } }
}
"""
NIL = "00000000-0000-0000-0000-000000000000"
EN = {"accept-language": "en"}
# East Mosul (Nineveh), walking north-east along a street.
PATH = [(36.3400, 43.1500), (36.3409, 43.1510), (36.3418, 43.1519), (36.3427, 43.1530), (36.3436, 43.1541)]
HERE = {"latitude": 36.3420, "longitude": 43.1520, "accuracyMeters": 8.0}
TABLES = (
    "patrols",
    "patrol_fixes",
    "engagements",
    "follow_up_actions",
    "incidents",
    "incident_status_changes",
    "client_requests",
    "audit_log",
)


def gid(type_name: str, key: object) -> str:
    return to_global_id(type_name, key)


def _iso(at: datetime) -> str:
    return at.isoformat()


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


# --- entries, as a phone queues them ------------------------------------------------------------------


def start_patrol(client_id: str, started_at: datetime, **extra) -> dict:
    lat, lon = PATH[0]
    return {
        "startPatrol": {
            "clientId": client_id,
            "startedAt": _iso(started_at),
            "location": {"latitude": lat, "longitude": lon, "accuracyMeters": 5.0},
            **extra,
        }
    }


def append_track(patrol_client_id: str, times: list[datetime], client_id: str | None = None) -> dict:
    fixes = [
        {"latitude": lat, "longitude": lon, "accuracyMeters": 5.0, "recordedAt": _iso(at)}
        for (lat, lon), at in zip(PATH[1:], times, strict=False)
    ]
    values = {"patrolClientId": patrol_client_id, "fixes": fixes}
    if client_id is not None:
        values["clientId"] = client_id
    return {"appendPatrolTrack": values}


def end_patrol(patrol_client_id: str, ended_at: datetime, client_id: str | None = None) -> dict:
    values = {"patrolClientId": patrol_client_id, "endedAt": _iso(ended_at)}
    if client_id is not None:
        values["clientId"] = client_id
    return {"endPatrol": values}


def log_engagement(client_id: str, occurred_at: datetime, **extra) -> dict:
    return {
        "logEngagement": {
            "clientId": client_id,
            "kind": "HOME_VISIT",
            "location": HERE,
            "occurredAt": _iso(occurred_at),
            "durationMinutes": 20,
            "attendees": {"total": 5, "women": 2, "youth": 1},
            "topics": ["street lighting"],
            **extra,
        }
    }


def report_incident(client_id: str, occurred_at: datetime, station: int, **extra) -> dict:
    return {
        "reportIncident": {
            "clientId": client_id,
            "category": "THEFT",
            "location": HERE,
            "occurredAt": _iso(occurred_at),
            "stationId": gid("Station", station),
            "description": "A motorcycle taken from outside the market.",
            **extra,
        }
    }


def update_status(
    incident_client_id: str, status: str, expected_version: int, client_id: str | None = None, **extra
) -> dict:
    values = {
        "incidentClientId": incident_client_id,
        "status": status,
        "expectedVersion": expected_version,
        **extra,
    }
    if client_id is not None:
        values["clientId"] = client_id
    return {"updateIncidentStatus": values}


# --- helpers ------------------------------------------------------------------------------------------


async def sync(gql, headers: dict, entries: list[dict]) -> dict:
    body = await gql(SYNC, {"input": {"entries": entries}}, headers={**EN, **headers})
    assert "errors" not in body, body
    return body["data"]["syncFieldLog"]


async def _officer(sessionmaker, gql) -> tuple[int, int, dict]:
    """A station in Nineveh with a signed-in officer of it: (station, officer, headers)."""
    async with sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=36.34, longitude=43.15)
        officer_id, badge = await make_officer(session, station_id=station)
        await session.commit()
    return station, officer_id, await sign_in(gql, badge)


async def _other_station(sessionmaker) -> int:
    async with sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=36.36, longitude=43.17)
        await session.commit()
    return station


async def _counts(sessionmaker) -> dict[str, int]:
    async with sessionmaker() as session:
        return {
            table: (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            for table in TABLES
        }


async def _scalar(sessionmaker, sql: str, **params):
    async with sessionmaker() as session:
        return (await session.execute(text(sql), params)).scalar()


async def _id_of(sessionmaker, table: str, client_id: str) -> int:
    return await _scalar(
        sessionmaker,
        f"SELECT id FROM {table} WHERE client_id = :c",  # noqa: S608
        c=uuid.UUID(client_id),
    )


async def _stored(sessionmaker, table: str, client_id: str) -> int:
    return await _scalar(
        sessionmaker,
        f"SELECT count(*) FROM {table} WHERE client_id = :c",  # noqa: S608
        c=uuid.UUID(client_id),
    )


def _summary(results: list[dict]) -> list[tuple[str, str]]:
    return [(r["kind"], r["status"]) for r in results]


def _errors(result: dict) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


def _day_batch(station: int) -> tuple[list[dict], dict[str, str]]:
    """A patrol with a track, an engagement on it, an incident and its status change, in the order made."""
    t0 = (_now() - timedelta(hours=2)).replace(microsecond=0)
    ids = {name: _new_id() for name in ("patrol", "append", "engagement", "incident", "status", "end")}
    entries = [
        start_patrol(ids["patrol"], t0),
        append_track(ids["patrol"], [t0 + timedelta(minutes=m) for m in (1, 2, 3, 4)], ids["append"]),
        log_engagement(ids["engagement"], t0 + timedelta(minutes=30), patrolClientId=ids["patrol"]),
        report_incident(ids["incident"], t0 + timedelta(minutes=45), station),
        update_status(ids["incident"], "IN_PROGRESS", 1, ids["status"], note="Officer on the way."),
        end_patrol(ids["patrol"], t0 + timedelta(minutes=90), ids["end"]),
    ]
    return entries, ids


KINDS = [
    "startPatrol",
    "appendPatrolTrack",
    "logEngagement",
    "reportIncident",
    "updateIncidentStatus",
    "endPatrol",
]


# --- tests --------------------------------------------------------------------------------------------


async def test_a_day_of_field_work_is_applied_in_order_naming_records_by_client_id(gql, sessionmaker):
    # given an officer with a day's queue: a patrol, its track, an engagement on it, an incident, its update
    station, officer_id, headers = await _officer(sessionmaker, gql)
    entries, ids = _day_batch(station)
    before = await _counts(sessionmaker)
    # when the phone syncs it
    payload = await sync(gql, headers, entries)
    # then every entry is applied, in order, answered with its record
    assert payload["errors"] == []
    results = payload["results"]
    assert _summary(results) == [(kind, "APPLIED") for kind in KINDS]
    assert [r["clientId"] for r in results] == [
        ids[k] for k in ("patrol", "append", "engagement", "incident", "status", "end")
    ]
    assert all(r["errors"] == [] for r in results)
    patrol_id = await _id_of(sessionmaker, "patrols", ids["patrol"])
    engagement_id = await _id_of(sessionmaker, "engagements", ids["engagement"])
    incident_id = await _id_of(sessionmaker, "incidents", ids["incident"])
    nodes = [r["node"] for r in results]
    assert [(n["__typename"], n["id"]) for n in nodes] == [
        ("Patrol", gid("Patrol", patrol_id)),
        ("Patrol", gid("Patrol", patrol_id)),
        ("Engagement", gid("Engagement", engagement_id)),
        ("Incident", gid("Incident", incident_id)),
        ("Incident", gid("Incident", incident_id)),
        ("Patrol", gid("Patrol", patrol_id)),
    ]
    # each node is the record as that entry left it
    assert (nodes[0]["patrolStatus"], nodes[0]["fixCount"]) == ("ACTIVE", 1)
    assert (nodes[1]["patrolStatus"], nodes[1]["fixCount"]) == ("ACTIVE", 5)
    assert nodes[2]["patrol"] == {"id": gid("Patrol", patrol_id)}
    assert nodes[2]["clientId"] == ids["engagement"]
    assert (nodes[3]["incidentStatus"], nodes[3]["version"]) == ("REPORTED", 1)
    assert (nodes[4]["incidentStatus"], nodes[4]["version"]) == ("IN_PROGRESS", 2)
    assert nodes[5]["patrolStatus"] == "ENDED" and nodes[5]["endedAt"] is not None
    # and the rows are in the tables
    after = await _counts(sessionmaker)
    grown = {table: after[table] - before[table] for table in TABLES}
    assert grown == {
        "patrols": 1,
        "patrol_fixes": 5,
        "engagements": 1,
        "follow_up_actions": 0,
        "incidents": 1,
        "incident_status_changes": 2,
        "client_requests": 6,
        "audit_log": 6,
    }
    async with sessionmaker() as session:
        patrol = (
            await session.execute(
                text("SELECT status, fix_count, officer_ids FROM patrols WHERE id = :i"), {"i": patrol_id}
            )
        ).one()
        engagement_patrol = (
            await session.execute(
                text("SELECT patrol_id FROM engagements WHERE id = :i"), {"i": engagement_id}
            )
        ).scalar_one()
        incident = (
            await session.execute(
                text("SELECT status, version, station_id, reported_by_id FROM incidents WHERE id = :i"),
                {"i": incident_id},
            )
        ).one()
        actions = (
            (await session.execute(text("SELECT action FROM audit_log ORDER BY id DESC LIMIT 6")))
            .scalars()
            .all()
        )
        claims = (
            await session.execute(
                text(
                    "SELECT client_id, kind, result_type, result_id FROM client_requests WHERE client_id = "
                    "ANY(:c)"
                ),
                {"c": [uuid.UUID(v) for v in ids.values()]},
            )
        ).all()
    assert tuple(patrol) == ("ENDED", 5, [officer_id])
    assert engagement_patrol == patrol_id
    assert tuple(incident) == ("IN_PROGRESS", 2, station, officer_id)
    assert list(actions)[::-1] == KINDS
    assert {(str(c.client_id), c.kind, c.result_type, c.result_id) for c in claims} == {
        (ids["patrol"], "startPatrol", "Patrol", patrol_id),
        (ids["append"], "appendPatrolTrack", "Patrol", patrol_id),
        (ids["engagement"], "logEngagement", "Engagement", engagement_id),
        (ids["incident"], "reportIncident", "Incident", incident_id),
        (ids["status"], "updateIncidentStatus", "Incident", incident_id),
        (ids["end"], "endPatrol", "Patrol", patrol_id),
    }


async def test_a_bad_entry_is_rejected_alone_and_the_others_stand(gql, sessionmaker):
    # given a batch whose middle entry has a latitude of 91
    station, _, headers = await _officer(sessionmaker, gql)
    at = _now() - timedelta(hours=1)
    good_before, bad, good_after, update_after, update_bad = (_new_id() for _ in range(5))
    entries = [
        report_incident(good_before, at, station),
        report_incident(bad, at, station, location={"latitude": 91.0, "longitude": 43.15}),
        log_engagement(good_after, at),
        update_status(good_before, "CLOSED", 1, update_after),
        update_status(bad, "CLOSED", 1, update_bad),  # names the rejected report: there is no such incident
    ]
    before = await _counts(sessionmaker)
    # when
    payload = await sync(gql, headers, entries)
    # then only that entry is rejected, naming the field inside the entry
    results = payload["results"]
    assert payload["errors"] == []
    assert _summary(results) == [
        ("reportIncident", "APPLIED"),
        ("reportIncident", "REJECTED"),
        ("logEngagement", "APPLIED"),
        ("updateIncidentStatus", "APPLIED"),
        ("updateIncidentStatus", "REJECTED"),
    ]
    rejected = results[1]
    assert rejected["clientId"] == bad and rejected["node"] is None
    assert _errors(rejected) == [(["reportIncident", "location", "latitude"], "INVALID")]
    assert "location.latitude" in rejected["errors"][0]["message"]
    assert results[3]["node"]["incidentStatus"] == "CLOSED"
    assert _errors(results[4]) == [(["updateIncidentStatus", "incidentClientId"], "NOT_FOUND")]
    # and what came before and after it is stored, and nothing of it
    assert await _stored(sessionmaker, "incidents", good_before) == 1
    assert await _stored(sessionmaker, "engagements", good_after) == 1
    assert await _stored(sessionmaker, "incidents", bad) == 0
    assert await _stored(sessionmaker, "client_requests", bad) == 0
    assert await _stored(sessionmaker, "client_requests", update_bad) == 0
    after = await _counts(sessionmaker)
    assert after["incidents"] - before["incidents"] == 1
    assert after["client_requests"] - before["client_requests"] == 3
    assert after["audit_log"] - before["audit_log"] == 3
    # the rejected entry, corrected, can be sent again with the same client id
    fixed = await sync(gql, headers, [report_incident(bad, at, station)])
    assert _summary(fixed["results"]) == [("reportIncident", "APPLIED")]


async def test_a_create_the_database_refuses_is_rejected_alone_and_the_batch_stands(
    gql, sessionmaker, caplog
):
    """Incidents and engagements are written without a savepoint of their own (their checks come first);
    a write the database refuses all the same sends the batch back to its start, to be applied again
    with a savepoint for every entry: the answers are those of a batch applied that way throughout."""
    # given a database that refuses one incident (a real trigger, standing in for a timeout or a bug)
    station, _, headers = await _officer(sessionmaker, gql)
    async with sessionmaker() as session:
        await session.execute(
            text(
                "CREATE FUNCTION test_refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.description = 'refused by the database' THEN RAISE EXCEPTION 'refused for the test'; "
                "END IF; RETURN NEW; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER test_refuse_marked BEFORE INSERT ON incidents "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_marked()"
            )
        )
        await session.commit()
    at = _now() - timedelta(hours=1)
    first, meeting, refused, last, update = (_new_id() for _ in range(5))
    entries = [
        report_incident(first, at, station),
        log_engagement(meeting, at),
        report_incident(refused, at, station, description="refused by the database"),
        report_incident(last, at, station),
        update_status(first, "IN_PROGRESS", 1, update),
    ]
    before = await _counts(sessionmaker)
    # when the batch is sent
    payload = await sync(gql, headers, entries)
    # then that entry alone is rejected, with the request's id to report, and the others stand, once
    results = payload["results"]
    assert _summary(results) == [
        ("reportIncident", "APPLIED"),
        ("logEngagement", "APPLIED"),
        ("reportIncident", "REJECTED"),
        ("reportIncident", "APPLIED"),
        ("updateIncidentStatus", "APPLIED"),
    ]
    assert _errors(results[2]) == [(["reportIncident"], "INVALID")]
    assert results[4]["node"]["version"] == 2
    after = await _counts(sessionmaker)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "patrols": 0,
        "patrol_fixes": 0,
        "engagements": 1,
        "follow_up_actions": 0,
        "incidents": 2,
        "incident_status_changes": 3,
        "client_requests": 4,
        "audit_log": 4,
    }
    assert await _stored(sessionmaker, "client_requests", refused) == 0
    assert any("applied again" in r.getMessage() for r in caplog.records)
    # and the batch sent again is answered from what was stored: the refused entry is refused again
    again = (await sync(gql, headers, entries))["results"]
    assert [r["status"] for r in again] == ["DUPLICATE", "DUPLICATE", "REJECTED", "DUPLICATE", "DUPLICATE"]


async def test_replaying_a_whole_batch_changes_nothing(gql, sessionmaker):
    # given a batch that was applied, but whose answer the phone never got
    station, _, headers = await _officer(sessionmaker, gql)
    entries, _ = _day_batch(station)
    first = await sync(gql, headers, entries)
    assert {r["status"] for r in first["results"]} == {"APPLIED"}
    before = await _counts(sessionmaker)
    # when it sends the same batch again
    with statements(sessionmaker) as sent:
        again = await sync(gql, headers, entries)
    # then every entry is a duplicate answered with the same record, and nothing is written or audited;
    # the batch's claims are read once, so no entry even tries a write, and each costs about one read
    assert not [x for x in sent if x.lstrip().startswith(("INSERT", "UPDATE", "WITH", "DELETE"))], sent
    assert len(sent) <= len(entries) + 10, "\n".join(x[:90] for x in sent)
    assert again["errors"] == []
    assert _summary(again["results"]) == [(kind, "DUPLICATE") for kind in KINDS]
    assert [(r["node"]["__typename"], r["node"]["id"]) for r in again["results"]] == [
        (r["node"]["__typename"], r["node"]["id"]) for r in first["results"]
    ]
    assert all(r["errors"] == [] for r in again["results"])
    assert await _counts(sessionmaker) == before
    incident = again["results"][4]["node"]
    assert (incident["incidentStatus"], incident["version"]) == ("IN_PROGRESS", 2)
    # and the same entries sent one at a time are duplicates too, as is an entry repeated within a batch
    one_by_one = [(await sync(gql, headers, [entry]))["results"][0]["status"] for entry in entries]
    assert one_by_one == ["DUPLICATE"] * len(entries)
    assert await _counts(sessionmaker) == before
    twice = report_incident(_new_id(), _now() - timedelta(hours=1), station)
    repeated = (await sync(gql, headers, [twice, twice]))["results"]
    assert [r["status"] for r in repeated] == ["APPLIED", "DUPLICATE"]
    assert repeated[0]["node"]["id"] == repeated[1]["node"]["id"]
    assert (await _counts(sessionmaker))["incidents"] == before["incidents"] + 1


async def test_a_reused_client_id_or_a_stale_version_is_a_conflict(gql, sessionmaker):
    # given an applied batch: the incident is now at version 2 (IN_PROGRESS)
    station, _, headers = await _officer(sessionmaker, gql)
    entries, ids = _day_batch(station)
    await sync(gql, headers, entries)
    before = await _counts(sessionmaker)
    # when a later batch reuses client ids for other content, and changes the incident from version 1
    t0 = _now() - timedelta(hours=1)
    fresh = _new_id()
    payload = await sync(
        gql,
        headers,
        [
            report_incident(ids["incident"], t0, station, description="Another story altogether."),
            start_patrol(ids["patrol"], t0),
            log_engagement(ids["incident"], t0),  # an incident's client id reused for an engagement
            update_status(ids["incident"], "CLOSED", 1, _new_id()),
            report_incident(fresh, t0, station),
        ],
    )
    # then
    results = payload["results"]
    assert _summary(results) == [
        ("reportIncident", "CONFLICT"),
        ("startPatrol", "CONFLICT"),
        ("logEngagement", "CONFLICT"),
        ("updateIncidentStatus", "CONFLICT"),
        ("reportIncident", "APPLIED"),
    ]
    assert _errors(results[0]) == [(["reportIncident", "clientId"], "CONFLICT")]
    assert _errors(results[1]) == [(["startPatrol", "clientId"], "CONFLICT")]
    assert _errors(results[2]) == [(["logEngagement", "clientId"], "CONFLICT")]
    assert _errors(results[3]) == [(["updateIncidentStatus", "expectedVersion"], "CONFLICT")]
    assert "2" in results[3]["errors"][0]["message"]
    assert results[3]["currentVersion"] == 2 and results[0]["currentVersion"] is None
    assert all(r["node"] is None for r in results[:4])
    # and nothing but the last entry was written
    after = await _counts(sessionmaker)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "patrols": 0,
        "patrol_fixes": 0,
        "engagements": 0,
        "follow_up_actions": 0,
        "incidents": 1,
        "incident_status_changes": 1,
        "client_requests": 1,
        "audit_log": 1,
    }
    assert (
        await _scalar(
            sessionmaker, "SELECT version FROM incidents WHERE client_id = :c", c=uuid.UUID(ids["incident"])
        )
        == 2
    )


async def test_an_entry_for_a_station_out_of_scope_is_rejected_as_forbidden(gql, sessionmaker):
    # given an officer, and a station that is not his
    station, _, headers = await _officer(sessionmaker, gql)
    other = await _other_station(sessionmaker)
    at = _now() - timedelta(hours=1)
    mine, theirs, patrol, engagement = _new_id(), _new_id(), _new_id(), _new_id()
    before = await _counts(sessionmaker)
    # when his batch holds an incident and a patrol at that station among his own entries
    payload = await sync(
        gql,
        headers,
        [
            report_incident(mine, at, station),
            report_incident(theirs, at, other),
            start_patrol(patrol, at, stationId=gid("Station", other)),
            log_engagement(engagement, at, stationId=gid("Station", other)),
            update_status(mine, "IN_PROGRESS", 1, _new_id()),
        ],
    )
    # then those entries are rejected with FORBIDDEN (not a top-level error), and the rest is applied
    assert payload["errors"] == []
    results = payload["results"]
    assert _summary(results) == [
        ("reportIncident", "APPLIED"),
        ("reportIncident", "REJECTED"),
        ("startPatrol", "REJECTED"),
        ("logEngagement", "REJECTED"),
        ("updateIncidentStatus", "APPLIED"),
    ]
    assert _errors(results[1]) == [(["reportIncident", "stationId"], "FORBIDDEN")]
    assert _errors(results[2]) == [(["startPatrol", "stationId"], "FORBIDDEN")]
    assert _errors(results[3]) == [(["logEngagement", "stationId"], "FORBIDDEN")]
    after = await _counts(sessionmaker)
    assert after["incidents"] - before["incidents"] == 1
    assert after["patrols"] == before["patrols"] and after["engagements"] == before["engagements"]
    assert after["client_requests"] - before["client_requests"] == 2
    for client_id in (theirs, patrol, engagement):
        assert await _stored(sessionmaker, "client_requests", client_id) == 0


async def test_an_update_of_a_record_out_of_scope_is_rejected_as_not_found(gql, sessionmaker):
    # given an incident reported at another station by its own officer
    _, _, headers = await _officer(sessionmaker, gql)
    other = await _other_station(sessionmaker)
    async with sessionmaker() as session:
        _, badge = await make_officer(session, station_id=other)
        await session.commit()
    theirs = _new_id()
    reported = await sync(gql, await sign_in(gql, badge), [report_incident(theirs, _now(), other)])
    incident_id = reported["results"][0]["node"]["id"]
    # when our officer's batch changes it
    payload = await sync(
        gql,
        headers,
        [
            {
                "updateIncidentStatus": {
                    "incidentId": incident_id,
                    "status": "CLOSED",
                    "expectedVersion": 1,
                    "clientId": _new_id(),
                }
            }
        ],
    )
    # then
    (result,) = payload["results"]
    assert result["status"] == "REJECTED" and result["node"] is None
    # as for a missing one: the batch's officer must not learn that another station's record exists
    assert _errors(result) == [(["updateIncidentStatus", "incidentId"], "NOT_FOUND")]
    assert (
        await _scalar(sessionmaker, "SELECT version FROM incidents WHERE client_id = :c", c=uuid.UUID(theirs))
        == 1
    )


async def test_entries_without_a_client_id_are_rejected(gql, sessionmaker):
    # given a started patrol and a reported incident
    station, _, headers = await _officer(sessionmaker, gql)
    t0 = (_now() - timedelta(hours=1)).replace(microsecond=0)
    patrol, incident = _new_id(), _new_id()
    await sync(gql, headers, [start_patrol(patrol, t0), report_incident(incident, t0, station)])
    before = await _counts(sessionmaker)
    # when a batch holds updates without a clientId (optional on the direct mutations)
    payload = await sync(
        gql,
        headers,
        [
            append_track(patrol, [t0 + timedelta(minutes=1)]),
            update_status(incident, "IN_PROGRESS", 1),
            end_patrol(patrol, t0 + timedelta(minutes=30)),
            append_track(patrol, [t0 + timedelta(minutes=2)], _new_id()),
        ],
    )
    # then each is rejected, answered with the nil UUID, naming clientId; the one with a clientId is applied
    results = payload["results"]
    assert _summary(results) == [
        ("appendPatrolTrack", "REJECTED"),
        ("updateIncidentStatus", "REJECTED"),
        ("endPatrol", "REJECTED"),
        ("appendPatrolTrack", "APPLIED"),
    ]
    for result in results[:3]:
        assert result["clientId"] == NIL and result["node"] is None
    assert [_errors(r) for r in results[:3]] == [
        [([kind, "clientId"], "INVALID")]
        for kind in ("appendPatrolTrack", "updateIncidentStatus", "endPatrol")
    ]
    assert "clientId" in results[0]["errors"][0]["message"]
    assert results[3]["node"]["fixCount"] == 2
    after = await _counts(sessionmaker)
    assert after["patrol_fixes"] - before["patrol_fixes"] == 1
    assert after["incident_status_changes"] == before["incident_status_changes"]
    assert (
        await _scalar(sessionmaker, "SELECT status FROM patrols WHERE client_id = :c", c=uuid.UUID(patrol))
        == "ACTIVE"
    )


async def test_an_empty_batch_and_a_batch_of_the_most_entries(gql, sessionmaker):
    station, _, headers = await _officer(sessionmaker, gql)
    assert await sync(gql, headers, []) == {"results": [], "errors": []}
    at = _now() - timedelta(hours=1)
    entries = [report_incident(_new_id(), at, station) for _ in range(500)]
    payload = await sync(gql, headers, entries)
    assert payload["errors"] == []
    assert [r["status"] for r in payload["results"]] == ["APPLIED"] * 500


async def test_more_than_500_entries_are_refused_whole(gql, sessionmaker):
    # given
    station, _, headers = await _officer(sessionmaker, gql)
    at = _now() - timedelta(hours=1)
    entries = [report_incident(_new_id(), at, station) for _ in range(501)]
    before = await _counts(sessionmaker)
    # when
    payload = await sync(gql, headers, entries)
    # then
    assert payload["results"] == []
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["entries"], "LIMIT_EXCEEDED")]
    assert "500" in payload["errors"][0]["message"]
    assert await _counts(sessionmaker) == before


async def test_a_body_over_one_mebibyte_is_refused_with_413(gql, sessionmaker):
    station, _, headers = await _officer(sessionmaker, gql)
    at = _now() - timedelta(hours=1)
    entries = [report_incident(_new_id(), at, station, description="x" * 3000) for _ in range(400)]
    before = await _counts(sessionmaker)
    body = await gql(SYNC, {"input": {"entries": entries}}, headers=headers, status=413)
    assert "larger than" in body["errors"][0]["message"]
    assert await _counts(sessionmaker) == before


async def test_authenticity_flags_and_the_servers_receipt_time(gql, sessionmaker):
    # given
    station, _, headers = await _officer(sessionmaker, gql)
    now = _now()
    skewed, late, poor, mocked, too_far, patrol = (_new_id() for _ in range(6))
    # when: a phone clock 10 minutes fast (the tolerance: accepted, flagged), a report recorded two days
    # ago, a poor fix, a mock location, a clock 11 minutes fast (refused), a patrol started on a fast clock
    sent = _now()
    payload = await sync(
        gql,
        headers,
        [
            log_engagement(skewed, now - timedelta(hours=1), recordedAt=_iso(now + timedelta(minutes=10))),
            report_incident(late, now - timedelta(days=2), station, recordedAt=_iso(now - timedelta(days=2))),
            report_incident(
                poor, now - timedelta(hours=1), station, location={**HERE, "accuracyMeters": 250.0}
            ),
            log_engagement(
                mocked,
                now - timedelta(hours=1),
                recordedAt=_iso(now - timedelta(minutes=50)),
                location={**HERE, "mocked": True, "accuracyMeters": 250.0},
            ),
            report_incident(
                too_far, now - timedelta(hours=1), station, recordedAt=_iso(now + timedelta(minutes=11))
            ),
            start_patrol(patrol, now - timedelta(hours=1), recordedAt=_iso(now + timedelta(minutes=3))),
        ],
    )
    received = _now()
    # then
    results = payload["results"]
    assert [r["status"] for r in results] == ["APPLIED"] * 4 + ["REJECTED", "APPLIED"]
    nodes = [r["node"] for r in results]
    assert nodes[0]["flags"] == ["CLOCK_SKEW"]
    assert nodes[0]["recordedAt"] == _iso(now + timedelta(minutes=10))
    assert nodes[1]["flags"] == ["LATE_SYNC"]
    assert nodes[2]["flags"] == ["POOR_GPS_ACCURACY"]
    assert nodes[3]["flags"] == ["POOR_GPS_ACCURACY", "MOCK_LOCATION"]
    assert _errors(results[4]) == [(["reportIncident", "recordedAt"], "INVALID")]
    assert nodes[5]["flags"] == ["CLOCK_SKEW"]
    # the server stamps its own receipt time, whatever the phone's clock says
    for node in (nodes[0], nodes[3], nodes[5]):
        assert sent <= datetime.fromisoformat(node["receivedAt"]) <= received, node
    # (an incident's reportedAt is its transaction's start: here the test's, which began before `sent`)
    assert now - timedelta(minutes=5) < datetime.fromisoformat(nodes[1]["reportedAt"]) <= received
    async with sessionmaker() as session:
        stored = (
            await session.execute(
                text("SELECT flags, received_at FROM engagements WHERE client_id = :c"),
                {"c": uuid.UUID(skewed)},
            )
        ).one()
    assert stored.flags == ["CLOCK_SKEW"] and sent <= stored.received_at <= received


async def test_citizens_are_unauthenticated(gql, sessionmaker):
    station = await _other_station(sessionmaker)
    before = await _counts(sessionmaker)
    entries = [report_incident(_new_id(), _now() - timedelta(hours=1), station)]
    body = await gql(SYNC, {"input": {"entries": entries}})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _counts(sessionmaker) == before


async def test_an_entry_must_hold_exactly_one_action(gql, sessionmaker):
    station, _, headers = await _officer(sessionmaker, gql)
    at = _now() - timedelta(hours=1)
    both = {**report_incident(_new_id(), at, station), **log_engagement(_new_id(), at)}
    for entry in (both, {}):
        body = await gql(SYNC, {"input": {"entries": [entry]}}, headers=headers, status=400)
        assert body.get("data") is None and body["errors"]


async def test_the_same_entry_sent_twice_at_once_is_applied_once(committed_sessionmaker, committed_client):
    """Each request on its own connection and transaction, committing for real, as in production."""
    # given a committed station and officer, signed in
    gql = GraphQL(committed_client)
    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI", latitude=36.34, longitude=43.15)
        _, badge = await make_officer(session, station_id=station)
        await session.commit()
    headers = {**EN, **await sign_in(gql, badge)}
    for _ in range(5):
        # when the same report goes twice at once, as the mutation ...
        values = report_incident(_new_id(), _now() - timedelta(hours=1), station)["reportIncident"]
        answers = await asyncio.gather(*(gql(REPORT, {"input": values}, headers=headers) for _ in range(2)))
        # then both succeed with the one incident
        payloads = [a["data"]["reportIncident"] for a in answers]
        assert [p["errors"] for p in payloads] == [[], []], payloads
        assert payloads[0]["incident"]["id"] == payloads[1]["incident"]["id"]
        assert await _stored(committed_sessionmaker, "incidents", values["clientId"]) == 1
        # ... and inside two sync batches (each with an entry of its own besides)
        shared = report_incident(_new_id(), _now() - timedelta(hours=1), station)
        own = [log_engagement(_new_id(), _now() - timedelta(hours=1)) for _ in range(2)]
        batches = ([own[0], shared], [shared, own[1]])
        answers = await asyncio.gather(
            *(gql(SYNC, {"input": {"entries": batch}}, headers=headers) for batch in batches)
        )
        first, second = (a["data"]["syncFieldLog"]["results"] for a in answers)
        assert sorted([first[1]["status"], second[0]["status"]]) == ["APPLIED", "DUPLICATE"], (first, second)
        assert first[1]["node"]["id"] == second[0]["node"]["id"]
        assert first[0]["status"] == second[1]["status"] == "APPLIED"
        assert await _stored(committed_sessionmaker, "incidents", shared["reportIncident"]["clientId"]) == 1


def test_content_hashes_stay_the_same_from_release_to_release():
    # A phone that sent a batch before an upgrade and resends it after must be answered DUPLICATE, not
    # CONFLICT: the hash of an input may never change. These two were computed by the first release.
    import strawberry

    from resolvers.idempotency import content_hash
    from schema import engagements as se
    from schema import incidents as si
    from schema.common import GeoPointInput

    baghdad = timezone(timedelta(hours=3))
    incident = si.ReportIncidentInput(
        client_id=uuid.UUID("5f0e2a9c-3b1d-4c7e-9a2f-1d2e3f4a5b6c"),
        category=si.IncidentCategory("DOMESTIC_VIOLENCE"),
        location=GeoPointInput(latitude=36.3456, longitude=43.1575, accuracy_meters=12.5, mocked=False),
        occurred_at=datetime(2026, 11, 28, 21, 40, tzinfo=baghdad),
        description="شجار عائلي في حي الثقافة، طفلان في البيت",
        station_id=strawberry.ID("U3RhdGlvbjo0Mg=="),
        people=[
            si.PersonInput(
                name="Hêvî Ahmed", role=si.PersonRole("VICTIM"), age=34, gender=si.Gender("FEMALE")
            )
        ],
        recorded_at=datetime(2026, 11, 28, 18, 45, 3, tzinfo=UTC),
    )
    engagement = se.LogEngagementInput(
        client_id=uuid.UUID("0b7d4a1e-8c2f-4e3a-b5d6-7f8091a2b3c4"),
        kind=se.EngagementKind("COMMUNITY_MEETING"),
        location=GeoPointInput(latitude=36.36, longitude=43.12),
        occurred_at=datetime(2026, 11, 27, 10, 0, tzinfo=baghdad),
        duration_minutes=45,
        attendees=se.AttendeesInput(total=23, women=9, youth=5),
        topics=["street lighting", "water supply"],
        follow_ups=[
            se.FollowUpInput(description="Ask the municipality about the lights", due_on=date(2026, 12, 10))
        ],
    )
    assert (
        content_hash("reportIncident", incident)
        == "4a1bff13230eb274323dc4a86d03464cca3e347630507e1d2fb5664508082f73"
    )
    assert (
        content_hash("logEngagement", engagement)
        == "f340d6c51df149e37cd1ffc811012e1712f98d04b18ec214564477f2cf18553a"
    )
    # and any change of content changes it
    moved = dataclasses.replace(
        incident,
        location=GeoPointInput(latitude=36.3457, longitude=43.1575, accuracy_meters=12.5, mocked=False),
    )
    assert content_hash("reportIncident", moved) != content_hash("reportIncident", incident)


def test_an_update_of_a_follow_up_action_hashes_as_before_it_could_be_named_by_client_id():
    # updateFollowUpAction gained followUpActionClientId: given its id, an update queued by an older
    # release must hash as that release hashed it (computed by the code before the field existed).
    import strawberry

    from resolvers import engagements as logic
    from schema import engagements as se

    update = se.UpdateFollowUpActionInput(
        client_id=uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
        follow_up_action_id=strawberry.ID("Rm9sbG93VXBBY3Rpb246MTI="),
        status=se.FollowUpStatus("DONE"),
        note="Lights fixed on Monday.",
    )
    assert logic._update_hash(update) == "ef708850113065482a339479cc0745ef9f73fc38c9a52b403ba8441fb6dd37b5"
    by_client_id = dataclasses.replace(
        update, follow_up_action_id=None, follow_up_action_client_id=uuid.UUID(int=12)
    )
    assert logic._update_hash(by_client_id) != logic._update_hash(update)
