"""GraphiQL at /graphql in a browser, development only, from files shipped in the package.

The page (api/static/graphiql/index.html) and its start-up script are Markaz's own; React, GraphiQL and
its explorer plugin are vendored under api/static/graphiql/vendor with their licences (rebuilt by
web/graphiql/build.sh): the same files, byte for byte, that Strawberry's GraphiQL page loads from a CDN.
So GraphiQL works offline, like the /map page, and the page policy needs no other origin and no inline
script. In production neither the page nor its files are served.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static" / "graphiql"


def html() -> str:
    """The page GET /graphql answers to a browser (Accept: text/html) in development."""
    return (STATIC / "index.html").read_text(encoding="utf-8")


def routes(*, production: bool) -> list[BaseRoute]:
    """/graphiql/...: the page's script, styles and vendored libraries; nothing in production."""
    if production:
        return []
    return [Mount("/graphiql", app=StaticFiles(directory=STATIC), name="graphiql")]
