"""Activity exports: `GET /exports/activity` for supervisors (scoped, refused otherwise) and
`markaz export activity` on the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import h3

from db import incidents as incident_repo
from tests.factories import age_arrivals, make_officer, make_station
from tests.test_activity import MOSUL, NOW, _report, _world, gid

REPO = Path(__file__).resolve().parent.parent


def _params(**overrides) -> dict:
    values = {
        "format": "csv",
        "from": (NOW - timedelta(days=40)).isoformat(),
        "to": (NOW + timedelta(hours=1)).isoformat(),
        "resolution": "8",
        "governorateId": gid("Governorate", "IQ-NI"),
    }
    values.update(overrides)
    return values


async def test_a_supervisor_exports_their_governorate_month_by_month(client, gql, sessionmaker) -> None:
    # given
    world = await _world(gql, sessionmaker)
    for days_ago in (1, 2, 35):
        await _report(gql, world.headers["officer"], MOSUL, NOW - timedelta(days=days_ago, hours=2))
    await _report(gql, world.headers["officer"], MOSUL, NOW - timedelta(days=3), "DOMESTIC_VIOLENCE")
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    # when
    response = await client.get("/exports/activity", params=_params(), headers=world.headers["supervisor"])
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    cells = [r for r in rows if r["h3_index"]]
    assert sum(int(r["incidents"]) for r in cells) == 3
    assert {r["h3_index"] for r in cells} == {h3.cell_to_parent(h3.latlng_to_cell(*MOSUL, 10), 8)}
    assert len({r["period_start"] for r in rows}) >= 2  # the month of 35 days ago, and this one
    # each month says how many sensitive incidents it counted but could not place at resolution 8
    withheld = [r for r in rows if not r["h3_index"]]
    assert len(withheld) == len({r["period_start"] for r in rows})
    assert sum(int(r["sensitive_incidents_withheld"]) for r in withheld) == 1
    # the same as GeoJSON
    response = await client.get(
        "/exports/activity", params=_params(format="geojson"), headers=world.headers["supervisor"]
    )
    collection = json.loads(response.text)
    assert collection["type"] == "FeatureCollection"
    assert sum(f["properties"]["incidents"] for f in collection["features"]) == 3
    assert all(f["geometry"]["type"] == "Polygon" for f in collection["features"])
    assert sum(w["sensitiveIncidents"] for w in collection["withheld"]) == 1
    # the station's commander, on its cases, gets it placed and nothing withheld
    params = {k: v for k, v in _params(stationId=gid("Station", world.mosul)).items() if k != "governorateId"}
    response = await client.get("/exports/activity", params=params, headers=world.headers["commander"])
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sum(int(r["incidents"]) for r in rows) == 4 and all(r["h3_index"] for r in rows)


async def test_exports_are_refused_to_those_policy_refuses(client, gql, sessionmaker) -> None:
    world = await _world(gql, sessionmaker)
    cases = [
        ({}, {}, 401, "UNAUTHENTICATED"),
        ({"authorization": "Bearer not-a-token"}, {}, 401, "UNAUTHENTICATED"),
        (world.headers["officer"], {}, 403, "FORBIDDEN"),
        (world.headers["basra_supervisor"], {}, 403, "FORBIDDEN"),
        (world.headers["supervisor"], {"resolution": "12"}, 400, "BAD_USER_INPUT"),
        (world.headers["supervisor"], {"format": "xlsx"}, 400, "BAD_USER_INPUT"),
        (world.headers["supervisor"], {"from": "yesterday"}, 400, "BAD_USER_INPUT"),
    ]
    for headers, change, status, code in cases:
        response = await client.get("/exports/activity", params=_params(**change), headers=headers)
        assert response.status_code == status, (change, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == code
    body = (
        await client.get(
            "/exports/activity", params=_params(resolution="12"), headers=world.headers["supervisor"]
        )
    ).json()
    assert body["errors"][0]["extensions"]["argument"] == "resolution"


async def test_the_command_writes_an_export_with_progress(
    committed_sessionmaker, database_url, tmp_path
) -> None:
    # given: committed incidents, as the command reads them on a connection of its own
    async with committed_sessionmaker() as session:
        station = await make_station(session, governorate="IQ-NI")
        await make_officer(session, station_id=station)
        for days_ago in (1, 3):
            await incident_repo.insert_incident(
                session,
                {
                    "client_id": uuid.uuid4(),
                    "station_id": station,
                    "category": "THEFT",
                    "sensitive": False,
                    "latitude": MOSUL[0],
                    "longitude": MOSUL[1],
                    "occurred_at": NOW - timedelta(days=days_ago),
                    "description": "x",
                },
            )
        await session.commit()
    output = tmp_path / "activity.geojson"
    # when
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "api.cli",
            "export",
            "activity",
            "--format",
            "geojson",
            "--governorate",
            "IQ-NI",
            "--from",
            (NOW - timedelta(days=10)).isoformat(),
            "--to",
            (NOW + timedelta(hours=1)).isoformat(),
            "--resolution",
            "7",
            "--output",
            str(output),
        ],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then
    assert result.returncode == 0, result.stderr
    assert "months:" in result.stderr  # progress, on standard error
    collection = json.loads(output.read_text())
    assert sum(f["properties"]["incidents"] for f in collection["features"]) == 2
    # a bad argument is a clear error, not a traceback
    refused = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "api.cli",
            "export",
            "activity",
            "--governorate",
            "IQ-NI",
            "--from",
            NOW.isoformat(),
            "--to",
            (NOW + timedelta(hours=1)).isoformat(),
            "--resolution",
            "3",
        ],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "resolution" in refused.stderr
