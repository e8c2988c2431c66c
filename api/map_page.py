"""The supervisors' map page at /map: one HTML page and its static files, shipped in the package.

The page (api/static/map) signs in with the `login` mutation, asks `activityMap` for hexagons and follows
`activityFeed`; it holds no data of its own, so everything it shows passes the same permission checks as
any client. Leaflet is vendored under api/static/map/vendor (rebuilt by web/map/build.sh): no CDN. The
base map's tiles come from MARKAZ_MAP_TILES (a {z}/{x}/{y} URL template); without it the page draws the
hexagons on a plain background and requests nothing from elsewhere.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mobile_contract.documents import normalise, sha256_hex

STATIC = Path(__file__).parent / "static" / "map"


def operations() -> dict[str, str]:
    """The page's GraphQL operations by name: api/static/map/operations/<Name>.graphql."""
    return {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted((STATIC / "operations").glob("*.graphql"))
    }


def known_documents() -> dict[str, str]:
    """sha256 -> wire form of the page's operations. The server ships the page, so it knows exactly these
    documents: with the app releases' operations they make the production safelist, and the page works
    there for supervisors as the apps do (no other document is let through for it)."""
    found = {}
    for document in operations().values():
        wire = normalise(document)
        found[sha256_hex(wire)] = wire
    return found


def tile_origin(template: str | None) -> str | None:
    """The origin the page may load tiles from ("{s}" subdomains become a wildcard); ValueError for a
    template that is not an http(s) URL."""
    if not template:
        return None
    parts = urlsplit(template.replace("{s}", "tiles"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            "MARKAZ_MAP_TILES must be an http(s) URL template such as "
            "https://tiles.example.org/{z}/{x}/{y}.png"
        )
    host = urlsplit(template).netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def routes(tiles: str | None) -> list[BaseRoute]:
    origin = tile_origin(tiles)
    page = (
        (STATIC / "index.html")
        .read_text(encoding="utf-8")
        .replace("{{TILES}}", html.escape(tiles or "", quote=True))
    )
    # Scripts and styles from this server only; the tiles' origin for images; the API over HTTP and
    # WebSocket on this origin ('self' covers ws/wss of the same host). Inline styles: Leaflet positions
    # its panes with style attributes.
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:" + (f" {origin}" if origin else ""),
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    headers = {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-cache",
    }

    documents = operations()

    async def map_page(request: Request) -> Response:
        return HTMLResponse(page, headers=headers)

    async def map_operations(request: Request) -> Response:
        return JSONResponse(documents, headers={"cache-control": "no-cache"})

    return [
        Route("/map", map_page, methods=["GET"]),
        Route("/map/operations.json", map_operations, methods=["GET"]),
        Mount("/map/static", StaticFiles(directory=STATIC), name="map-static"),
    ]
