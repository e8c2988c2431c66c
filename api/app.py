"""The ASGI application: routes, middleware and the lifespan that opens the database."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from datetime import timedelta

import strawberry
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from api import feedback_page, graphiql_page, map_page, open311
from api.audit_anchors import AuditAnchors
from api.compaction import Compactor
from api.compression import CompressionMiddleware
from api.config import Settings
from api.database import open_database
from api.executor import Executor
from api.exports import make_endpoint as make_export_endpoint
from api.graphql_http import RETRY_AFTER_S, GraphQLEndpoint
from api.graphql_ws import GraphQLWebSocket
from api.limits import Limits
from api.logs import RequestIdMiddleware
from api.media import make_endpoint as make_media_endpoint
from api.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from api.persisted import PersistedQueries
from api.ratelimit import RateLimit, limiter_for
from api.security import ClientAddress, SecurityHeaders, audit_keys, secret_key, trusted_networks
from api.tracing import TracingMiddleware, trace_statements, tracer_provider
from api.uploads import Uploads
from db import migrate
from db.engine import give_audit_key
from db.faults import is_unavailable
from mobile_contract import releases
from resolvers.feed import FeedHub
from resolvers.media import store_for as media_store_for
from schema import build_schema
from schema.compiled import make_plan
from schema.strawberry_internals import graphql_schema

_log = logging.getLogger("markaz.app")


def create_app(
    settings: Settings | None = None,
    *,
    sessionmaker=None,
    reader=None,
    demo: bool = False,
    plans: bool = True,
    schema: strawberry.Schema | None = None,
    migrate_first: bool = True,
) -> Starlette:
    """The Markaz app. Tests pass their own `sessionmaker` (bound to a rolled-back transaction), and may
    pass a `reader` (autocommit sessions for queries) as the server makes one, or turn compiled
    operations off (schema/compiled) to compare with ordinary execution, or give a `schema` of their own
    (one with extensions). A worker of `markaz serve --workers N` is made with `migrate_first=False`: the
    parent process migrated the database before starting the workers."""
    settings = settings or Settings.from_env()
    schema = schema or build_schema()
    executor = Executor(
        graphql_schema(schema),
        planner=functools.partial(make_plan, schema) if plans else None,
        limits=Limits.from_settings(settings),
    )
    key = secret_key(settings)
    audit_key, _ = audit_keys(settings)
    if sessionmaker is not None:
        give_audit_key(sessionmaker, audit_key)
    limiter = limiter_for(settings, sessionmaker) if settings.rate_limit else None
    metrics = Metrics()
    anchors = AuditAnchors(settings.anchor_file, every_seconds=settings.audit_anchor_seconds)
    metrics.registry.register(anchors)
    tracing = tracer_provider(settings)
    tracer = tracing.get_tracer("markaz") if tracing is not None else None
    endpoint = GraphQLEndpoint(
        executor,
        sessionmaker=sessionmaker,
        production=settings.production,
        graphiql_html=None if settings.production else graphiql_page.html(),
        secret_key=key,
        reader=reader,
        persisted=PersistedQueries(
            {**releases.known_documents(), **map_page.known_documents()}, production=settings.production
        ),
        schema=schema,
    )
    websocket = GraphQLWebSocket(
        schema,
        endpoint,
        max_subscriptions=settings.feed_subscriptions_per_connection,
        per_officer=settings.feed_subscriptions_per_officer,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if sessionmaker is not None:
            yield
            return
        async with open_database(settings, serving=True, migrate_first=migrate_first) as database:
            app.state.sessionmaker = endpoint.sessionmaker = database.sessionmaker
            endpoint.reader = database.reader
            if limiter is not None and hasattr(limiter.store, "sessionmaker"):
                limiter.store.sessionmaker = database.reader  # one statement, its own transaction
            metrics.engine = database.engine
            if tracer is not None:
                trace_statements(database.engine, tracer)
            if demo:
                from resolvers.demo.seeding import seed_demo_if_empty

                await seed_demo_if_empty(database.sessionmaker)
            # One LISTEN connection per process feeds every subscription of the process.
            hub = websocket.hub = FeedHub(database.reader, database.url, queue_size=settings.feed_queue)
            await hub.start()
            # The per-officer subscription cap, counted across every server process (api/graphql_ws.py).
            websocket.per_officer.url = database.url
            retention = settings.feed_retention_hours
            compactor = Compactor(
                database.sessionmaker,
                every_seconds=settings.compact_seconds,
                feed_retention=timedelta(hours=retention) if retention else None,
            )
            await compactor.start()
            anchors.sessionmaker = database.reader
            await anchors.start()
            _log.info("markaz ready", extra={"embedded_database": database.embedded})
            # What start-up made (modules, the schema, reference data) lives as long as the process: out
            # of the collector's sight, full collections stay short and requests do not stall on them.
            gc.freeze()
            try:
                yield
            finally:
                await anchors.stop()
                await compactor.stop()
                await hub.stop()
                await websocket.per_officer.close()
                if tracing is not None:
                    tracing.shutdown()  # sends the spans still batched

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
            return JSONResponse(
                {"status": "unavailable", "reason": reason},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
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
            *open311.routes(settings),
            *feedback_page.routes(settings, key),
            *graphiql_page.routes(production=settings.production),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route(
                "/metrics",
                metrics_endpoint(metrics, production=settings.production, token=settings.metrics_token),
                methods=["GET"],
            ),
            Route("/exports/activity", make_export_endpoint(secret_key(settings), settings), methods=["GET"]),
            # photos and documents: tus uploads, and the stored bytes by signed link (docs/media.md)
            Mount("/uploads", app=Uploads(settings, key)),
            Route("/media/{attachment_id:int}/{variant}", make_media_endpoint(key), methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.sessionmaker = sessionmaker
    app.state.media_store = media_store_for(settings.media_dir)
    app.state.rate_limiter, app.state.metrics = limiter, metrics
    app.state.executor = executor  # the tests ask it which operations ran compiled
    # Added innermost first. Rate limits come before any work; CORS and the security headers wrap their
    # 429s too; metrics and traces see every outcome; the client's address is settled before all.
    app.add_middleware(CompressionMiddleware)
    if limiter is not None:
        app.add_middleware(
            RateLimit,
            limiter=limiter,
            secret_key=key,
            citizen=(settings.citizen_rate, settings.citizen_burst),
            officer=(settings.officer_rate, settings.officer_burst),
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            max_age=600,
            allow_headers=["authorization", "content-type", "accept-language", "x-device-id", "x-request-id"],
            expose_headers=["x-request-id", "retry-after"],
        )
    tiles = getattr(settings, "map_tiles", None)
    app.add_middleware(
        SecurityHeaders, production=settings.production, img_sources=(_origin(tiles),) if tiles else ()
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if tracer is not None:
        app.add_middleware(TracingMiddleware, tracer=tracer)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(ClientAddress, networks=trusted_networks(settings.trusted_proxies))
    return app


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL template, for the page policy's image sources."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
