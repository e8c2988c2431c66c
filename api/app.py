"""The ASGI application: routes, middleware and the lifespan that opens the database."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from api import map_page
from api.compression import CompressionMiddleware
from api.database import open_database
from api.executor import Executor
from api.graphql_http import RETRY_AFTER_S, GraphQLEndpoint
from api.graphql_ws import GraphQLWebSocket
from api.logs import RequestIdMiddleware
from api.persisted import PersistedQueries
from db import migrate
from db.faults import is_unavailable
from db.settings import Settings
from mobile_contract import releases
from resolvers.feed import FeedHub
from resolvers.tokens import development_key
from schema import build_schema
from schema.plans import make_plan

_log = logging.getLogger("markaz.app")


def _graphiql_html() -> str:
    from strawberry.http.ides import get_graphql_ide_html

    return get_graphql_ide_html(graphql_ide="graphiql")


def secret_key(settings: Settings) -> str:
    """The signing key: MARKAZ_SECRET_KEY, or in development a key made once in the data directory."""
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise RuntimeError("MARKAZ_SECRET_KEY must be at least 32 characters")
        return settings.secret_key
    if settings.production:
        raise RuntimeError("MARKAZ_SECRET_KEY must be set in production (32 or more random characters)")
    return development_key(settings.data_dir)


def create_app(settings: Settings | None = None, *, sessionmaker=None, reader=None, demo: bool = False,
               plans: bool = True) -> Starlette:
    """The Markaz app. Tests pass their own `sessionmaker` (bound to a rolled-back transaction), and may
    pass a `reader` (autocommit sessions for queries) as the server makes one, or turn execution plans
    off (schema/plans.py) to compare with ordinary execution."""
    settings = settings or Settings.from_env()
    schema = build_schema()
    executor = Executor(schema._schema, planner=functools.partial(make_plan, schema) if plans else None)
    endpoint = GraphQLEndpoint(executor, sessionmaker=sessionmaker, production=settings.production,
                               graphiql_html=None if settings.production else _graphiql_html(),
                               secret_key=secret_key(settings), reader=reader,
                               persisted=PersistedQueries(
                                   {**releases.known_documents(), **map_page.known_documents()},
                                   production=settings.production))
    websocket = GraphQLWebSocket(schema, endpoint,
                                 max_subscriptions=settings.feed_subscriptions_per_connection)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if sessionmaker is not None:
            yield
            return
        async with open_database(settings) as database:
            app.state.sessionmaker = endpoint.sessionmaker = database.sessionmaker
            endpoint.reader = database.reader
            if demo:
                from api.seeding import seed_demo_if_empty

                await seed_demo_if_empty(database.sessionmaker)
            # One LISTEN connection per process feeds every subscription of the process.
            hub = websocket.hub = FeedHub(database.reader, database.url, queue_size=settings.feed_queue)
            await hub.start()
            _log.info("markaz ready", extra={"embedded_database": database.embedded})
            # What start-up made (modules, the schema, reference data) lives as long as the process: out
            # of the collector's sight, full collections stay short and requests do not stall on them.
            gc.freeze()
            try:
                yield
            finally:
                await hub.stop()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            async with request.app.state.sessionmaker() as session:
                version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        except Exception as error:
            # Unreachable (restarting, down, pool exhausted) or broken: either way not ready; load
            # balancers take the process out of rotation and put it back once this answers 200 again.
            reason = "database unavailable" if is_unavailable(error) else type(error).__name__
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503,
                                headers={"Retry-After": str(RETRY_AFTER_S)})
        head = migrate.head_revision()
        if version != head:
            reason = f"schema at {version}, code needs {head}"
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready", "schema": version})

    app = Starlette(
        routes=[
            Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", websocket),
            *map_page.routes(settings.map_tiles),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.sessionmaker = sessionmaker
    app.add_middleware(CompressionMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
