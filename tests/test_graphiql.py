"""GraphiQL in development, from vendored files only: it works offline, like the /map page.

The page and every file it loads are served by Markaz itself (api/graphiql_page.py); the page policy lets
no script come from elsewhere or inline. In headless Chromium against a real `markaz serve`, GraphiQL
starts, reads the schema and runs a query, with no script error, CSP violation or failed request.
In production neither the page nor its files are served (tests/test_production.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from base64 import b64encode
from pathlib import Path

import pytest

from api.graphiql_page import STATIC
from tests.browser import Browser, chromium_path
from tests.feed_support import Server

HTML = {"accept": "text/html"}

# Each vendored file by the name of its URL's last segment in Strawberry's own GraphiQL page, which loads
# them from a CDN.
UPSTREAM = {
    "react.production.min.js": "react.production.min.js",
    "react-dom.production.min.js": "react-dom.production.min.js",
    "graphiql.min.js": "graphiql.min.js",
    "graphiql.min.css": "graphiql.min.css",
    "plugin-explorer.umd.js": "index.umd.js",
    "plugin-explorer.css": "style.css",
}


def _references(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


async def test_the_page_loads_only_files_this_server_serves(client):
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unpkg" not in policy
    assert "<script>" not in page.text  # the policy allows no inline script; graphiql.js starts it
    references = [ref for ref in _references(page.text) if ref != "data:,"]
    assert len(references) == 8
    for ref in references:
        assert ref.startswith("/graphiql/"), ref  # nothing from another origin
        served = await client.get(ref)
        assert served.status_code == 200, ref
        kind = "javascript" if ref.endswith(".js") else "css"
        assert kind in served.headers["content-type"], ref
    licence = await client.get("/graphiql/vendor/LICENSE")
    assert licence.status_code == 200 and licence.text.count("MIT License") >= 3


def test_the_vendored_files_are_the_ones_strawberry_tested():
    """Byte for byte the files of the installed Strawberry's GraphiQL page (by its integrity attributes):
    after a Strawberry upgrade that moves them, this fails until web/graphiql/build.sh vendors new ones."""
    import strawberry

    upstream = (Path(strawberry.__file__).parent / "static" / "graphiql.html").read_text(encoding="utf-8")
    found = re.findall(r'(?:src|href)="https://[^"]+/([^"/]+)"\s+integrity="sha384-([^"]+)"', upstream)
    integrity = dict(found)
    for name, url in UPSTREAM.items():
        digest = b64encode(hashlib.sha384((STATIC / "vendor" / name).read_bytes()).digest()).decode()
        assert digest == integrity.get(url), (
            f"{name} is not the file Strawberry's page loads: see web/graphiql"
        )


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    started = Server(database_url, tmp_path_factory.mktemp("graphiql-server"))
    try:
        started.wait_ready()
        yield started
    finally:
        started.stop()


@pytest.mark.skipif(
    chromium_path() is None and not os.environ.get("CI"),
    reason="chromium is not installed (apt-get install chromium); CI installs it",
)
async def test_graphiql_runs_a_query_in_a_browser(server, tmp_path):
    async with Browser.launch(tmp_path / "profile") as browser:
        page = await browser.new_page()
        # when a developer opens /graphql in a browser
        await page.navigate(server.url + "/graphql?q=" + "%7B%20__typename%20%7D")
        # then GraphiQL starts with the query from the link and reads the schema (the docs button appears)
        await page.wait_for("document.querySelector('.graphiql-execute-button') !== null")
        await page.wait_for(
            "document.querySelector('.graphiql-query-editor').textContent.includes('__typename')"
        )
        # and runs it against this server
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        result = await page.wait_for(
            "(document.querySelector('.result-window') || {textContent: ''}).textContent.includes('Query')"
            " && document.querySelector('.result-window').textContent"
        )
        assert '"__typename": "Query"' in result
        assert page.problems == []  # no script error, no CSP violation, no failed request
        await page.close()
