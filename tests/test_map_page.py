"""The /map page in headless Chromium against a real server with data: it signs in, draws the activity
hexagons of a governorate, and shows live events as they are committed.

Needs Debian's chromium (.ci/run installs it). Set MARKAZ_UPDATE_SCREENSHOT=1 to refresh docs/map.png.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from pathlib import Path

import h3
import httpx
import pytest

from resolvers.policy import SUPERVISOR
from schema import build_schema
from schema.strawberry_internals import graphql_schema
from tests.browser import Browser, chromium_path
from tests.factories import PASSWORD, make_officer, make_station
from tests.feed_support import Server, log_engagement, login, report_incident, running

SCREENSHOT = Path(__file__).parent.parent / "docs" / "map.png"
STATIONS = [(30.5128, 47.838), (30.545, 47.79), (30.47, 47.86)]

if chromium_path() is None and not os.environ.get("CI"):
    pytest.skip(
        "chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True
    )


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with running(database_url, tmp_path_factory.mktemp("map-server")) as started:
        yield started


async def _seed(server: Server, committed_sessionmaker) -> tuple[str, set[str]]:
    """Officers at three Basra stations, incidents and engagements around them; the supervisor's badge and
    the resolution-8 cells the records fall in."""
    async with committed_sessionmaker() as session:
        stations = [
            await make_station(session, governorate="IQ-BA", latitude=lat, longitude=lon)
            for lat, lon in STATIONS
        ]
        officers = [(await make_officer(session, station_id=s))[1] for s in stations]
        supervisor = (await make_officer(session, role=SUPERVISOR, governorates=("IQ-BA",)))[1]
        await session.commit()
    tokens = [await login(server, badge, PASSWORD) for badge in officers]
    rng = random.Random(7)
    writes, cells = [], set()
    for n in range(90):
        k = n % len(STATIONS)
        # Clustered: most activity near the station, a tail further out (as on real maps).
        spread = 0.012 if rng.random() < 0.7 else 0.05
        lat = STATIONS[k][0] + rng.gauss(0, spread)
        lon = STATIONS[k][1] + rng.gauss(0, spread)
        # Records keep their resolution-10 cell and maps count its ancestors (H3 children do not nest
        # exactly, so near an edge this can differ from the resolution-8 cell of the point itself).
        cells.add(h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 10), 8))
        write = report_incident if n % 3 else log_engagement
        writes.append(write(server, tokens[k], stations[k], lat, lon))
    for start in range(0, len(writes), 10):
        await asyncio.gather(*writes[start : start + 10])
    return supervisor, cells, (tokens[0], stations[0])


# activityMap is built beside the page (issue 4); until it is on the branch, the page shows the error.
needs_activity_map = pytest.mark.skipif(
    "activityMap" not in graphql_schema(build_schema()).query_type.fields,
    reason="activityMap is not in the schema of this branch yet",
)


SIGN_IN = """(() => {{ const f = document.querySelector('#login');
    f.badge.value = {badge}; f.password.value = {password}; f.requestSubmit(); }})()"""


async def _signed_in(page, server: Server, badge: str) -> None:
    await page.navigate(server.url + "/map")
    await page.wait_for("window.markazMap.governorates === 18")
    await page.evaluate(SIGN_IN.format(badge=json.dumps(badge), password=json.dumps(PASSWORD)))
    await page.wait_for("window.markazMap.ready && document.querySelector('#query select').length")


async def _ask(page) -> None:
    await page.evaluate("window.markazMap.summary = null; document.querySelector('#query').requestSubmit()")
    await page.wait_for("(window.markazMap.cells > 0 && window.markazMap.summary) || window.markazMap.error")
    assert await page.evaluate("window.markazMap.error") is None


async def _choose(page, lang: str) -> None:
    await page.evaluate(
        f"(() => {{ const s = document.querySelector('#lang'); s.value = {json.dumps(lang)};"
        " s.dispatchEvent(new Event('change')); })()"
    )
    await page.wait_for(f"window.markazMap.lang === {json.dumps(lang)}")


@needs_activity_map
async def test_the_map_page_draws_the_hexagons_and_the_live_feed(server, committed_sessionmaker, tmp_path):
    # given a server with activity around three Basra stations
    supervisor, cells, (token, station) = await _seed(server, committed_sessionmaker)
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=en-GB",)) as browser:
        page = await browser.new_page()
        # when a supervisor opens /map, signs in, and asks for Basra over the last 30 days at resolution 8
        await _signed_in(page, server, supervisor)
        await _ask(page)
        # then every hexagon with activity is drawn, one SVG path each
        assert await page.evaluate("window.markazMap.cells") == len(cells)
        assert await page.evaluate("document.querySelectorAll('path.markaz-cell').length") == len(cells)
        assert await page.evaluate("document.querySelector('#legend').children.length") >= 2
        # and an incident reported now appears on the map and in the list
        await page.wait_for("document.querySelector('#live-state').dataset.state === 'liveOn'")
        await asyncio.sleep(0.5)  # the subscription registers after the acknowledgement
        await report_incident(server, token, station, STATIONS[0][0] + 0.004, STATIONS[0][1] + 0.004)
        await page.wait_for("window.markazMap.events >= 1", seconds=10)
        assert await page.evaluate("document.querySelectorAll('path.markaz-live').length") >= 1
        assert "theft" in await page.evaluate("document.querySelector('#feed li').textContent")
        image = await page.screenshot()
        assert page.problems == []  # no script error, no CSP violation, no failed request
        await page.close()
    assert image.startswith(b"\x89PNG")
    (tmp_path / "map.png").write_bytes(image)
    if os.environ.get("MARKAZ_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(image)


async def test_the_map_page_is_served_with_a_strict_content_security_policy(server):
    async with httpx.AsyncClient() as client:
        page = await client.get(server.url + "/map")
        script = await client.get(server.url + "/map/static/vendor/leaflet/leaflet.js")
        licence = await client.get(server.url + "/map/static/vendor/leaflet/LICENSE")
        missing = await client.get(server.url + "/map/static/../../app.py")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert 'data-tiles=""' in page.text  # no tile server configured: a plain background
    assert "http" not in page.text.split("<body", 1)[1]  # nothing is loaded from elsewhere
    assert script.status_code == 200 and "Leaflet" in script.text[:500]
    assert licence.status_code == 200 and "Redistribution and use" in licence.text
    assert missing.status_code == 404
