"""The service's configuration: read from the environment once, into a frozen object passed down
explicitly (to the app, the database, the rate limits, the live feed, the CLI)."""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from pathlib import Path

import platformdirs

from db.engine import async_url


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Everything Markaz reads from its environment. See the README for each variable.

    Fields after `log_format` have defaults, so a test may build Settings with only what it cares about.
    """

    database_url: str | None
    data_dir: Path
    env: str
    secret_key: str | None
    log_level: str
    log_format: str
    # The live feed: subscriptions one WebSocket may hold, and events a subscriber may fall behind by
    # before it is ended with FEED_TOO_SLOW (and resumes from its cursor).
    feed_subscriptions_per_connection: int = 10
    feed_queue: int = 1000
    # Live subscriptions one officer may hold in one process, over all their sockets (api/graphql_ws.py):
    # opening many sockets must not get around the cap per socket.
    feed_subscriptions_per_officer: int = 20
    # The /map page's base-map tiles ({z}/{x}/{y} URL template); none: a plain background.
    map_tiles: str | None = None
    # Browser origins allowed to call the API (CORS); none: no cross-origin browser access.
    cors_origins: tuple[str, ...] = ()
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    # Query limits, checked before execution (api/limits.py).
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 10_000
    # PostgreSQL cancels any one statement running longer than this (0: no limit).
    statement_timeout_ms: int = 10_000
    # The longest the server waits on the database for one thing (a connection from the pool, a new
    # connection, the answer to one command) before it answers 503: a database that is frozen or cut off
    # cancels nothing itself (db/engine.py).
    database_timeout_ms: int = 5_000
    # Rate limits (api/ratelimit.py): a token bucket per client address (citizens) and per officer. On in
    # production; off in development, where one address (the developer's, or the tests') does everything.
    rate_limit: bool = False
    citizen_rate: float = 15.0
    citizen_burst: int = 30
    officer_rate: float = 15.0
    # An officer's app empties its offline queue in a burst when the network comes back.
    officer_burst: int = 60
    # Activity exports (api/exports.py): a bucket of their own per officer, in exports a minute (with the
    # rate limits above: on in production), and how long one may take to produce before it is stopped.
    export_rate: float = 1.0
    export_burst: int = 5
    export_seconds: int = 60
    # How often a process settles its rate-limit buckets with the shared store; 0: every request.
    rate_sync_ms: int = 200
    redis_url: str | None = None
    # Bearer token that /metrics asks for; in production without it /metrics answers loopback only.
    metrics_token: str | None = None
    # OpenTelemetry: traces are exported over OTLP/HTTP when this is set (needs the `otel` extra).
    otel_endpoint: str | None = None
    # Seconds between runs of the activity rollups' compaction (api/compaction.py); 0: never (tests).
    compact_seconds: int = 60
    # Hours the live feed's event log keeps (a cursor older than that is told to reload); 0: for ever.
    feed_retention_hours: int = 168
    # The audit chain's key (resolvers/audit.py); none: one made from `secret_key`. Earlier ones, after a
    # rotation, so that the entries made with them still verify.
    audit_key: str | None = None
    audit_old_keys: tuple[str, ...] = ()
    # Seconds between anchors of the audit chain's head (api/audit_anchors.py); 0: none. Their file.
    audit_anchor_seconds: int = 60
    audit_anchor_file: Path | None = None
    # The emergency number shown on every public form and Open311 answer (docs/open311.md); set it to the
    # number in force where the service runs.
    emergency_number: str = "104"
    # Open311 apps registered for POST requests, as (name, key) pairs (MARKAZ_OPEN311_KEYS=app:key,...);
    # with `open311_require_key` a POST without a known key is refused.
    open311_keys: tuple[tuple[str, str], ...] = ()
    open311_require_key: bool = False
    # Photos and documents (api/uploads.py, docs/media.md): the largest upload, how many unfinished uploads
    # an officer may hold, the hours before an unfinished one expires, the seconds a PATCH body may stall
    # and the seconds one PATCH may take (then cut off, what arrived kept).
    upload_max_bytes: int = 20 * 1024 * 1024
    upload_quota: int = 20
    upload_expiry_hours: int = 24
    upload_idle_seconds: int = 30
    upload_patch_seconds: int = 600
    # Where attachments' kept bytes go: none, PostgreSQL (the default: every backup carries them); a
    # directory, files under it (MARKAZ_MEDIA_DIR). Uploads in progress are always in PostgreSQL.
    media_dir: Path | None = None

    @property
    def anchor_file(self) -> Path:
        """Where anchors are appended and read from: MARKAZ_AUDIT_ANCHOR_FILE, or in the data directory."""
        return self.audit_anchor_file or self.data_dir / "audit-anchors.jsonl"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = env.get("MARKAZ_DATA_DIR") or platformdirs.user_data_dir("markaz", appauthor=False)
        mode = env.get("MARKAZ_ENV", "development").strip().lower()
        if mode not in ("development", "production"):
            raise ValueError(f"MARKAZ_ENV must be 'development' or 'production', not {mode!r}")
        defaults = cls(None, Path(), "", None, "", "")
        return cls(
            database_url=_database_url(env.get("DATABASE_URL") or None),
            data_dir=Path(data_dir).expanduser(),
            env=mode,
            secret_key=env.get("MARKAZ_SECRET_KEY") or None,
            log_level=env.get("MARKAZ_LOG_LEVEL", "INFO").upper(),
            log_format=env.get("MARKAZ_LOG_FORMAT", "json").lower(),
            feed_subscriptions_per_connection=_positive(env, "MARKAZ_FEED_SUBSCRIPTIONS", 10),
            feed_queue=_positive(env, "MARKAZ_FEED_QUEUE", 1000),
            feed_subscriptions_per_officer=_positive(
                env, "MARKAZ_FEED_SUBSCRIPTIONS_PER_OFFICER", defaults.feed_subscriptions_per_officer
            ),
            map_tiles=env.get("MARKAZ_MAP_TILES") or None,
            cors_origins=_list(env, "MARKAZ_CORS_ORIGINS"),
            trusted_proxies=_list(env, "MARKAZ_TRUSTED_PROXIES"),
            max_depth=_number(env, "MARKAZ_MAX_DEPTH", defaults.max_depth),
            max_aliases=_number(env, "MARKAZ_MAX_ALIASES", defaults.max_aliases),
            max_tokens=_number(env, "MARKAZ_MAX_TOKENS", defaults.max_tokens),
            max_cost=_number(env, "MARKAZ_MAX_COST", defaults.max_cost),
            statement_timeout_ms=_number(
                env, "MARKAZ_STATEMENT_TIMEOUT_MS", defaults.statement_timeout_ms, low=0
            ),
            database_timeout_ms=_number(
                env, "MARKAZ_DATABASE_TIMEOUT_MS", defaults.database_timeout_ms, low=100
            ),
            rate_limit=_switch(env, "MARKAZ_RATE_LIMIT", default=mode == "production"),
            citizen_rate=_number(env, "MARKAZ_RATE_CITIZEN", defaults.citizen_rate, kind=float, low=0.001),
            citizen_burst=_number(env, "MARKAZ_RATE_CITIZEN_BURST", defaults.citizen_burst),
            officer_rate=_number(env, "MARKAZ_RATE_OFFICER", defaults.officer_rate, kind=float, low=0.001),
            officer_burst=_number(env, "MARKAZ_RATE_OFFICER_BURST", defaults.officer_burst),
            export_rate=_number(env, "MARKAZ_RATE_EXPORT", defaults.export_rate, kind=float, low=0.001),
            export_burst=_number(env, "MARKAZ_RATE_EXPORT_BURST", defaults.export_burst),
            export_seconds=_number(env, "MARKAZ_EXPORT_SECONDS", defaults.export_seconds),
            rate_sync_ms=_number(env, "MARKAZ_RATE_SYNC_MS", defaults.rate_sync_ms, low=0),
            redis_url=env.get("REDIS_URL") or None,
            metrics_token=env.get("MARKAZ_METRICS_TOKEN") or None,
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            compact_seconds=_number(env, "MARKAZ_COMPACT_SECONDS", defaults.compact_seconds, low=0),
            feed_retention_hours=_number(
                env, "MARKAZ_FEED_RETENTION_HOURS", defaults.feed_retention_hours, low=0
            ),
            audit_key=env.get("MARKAZ_AUDIT_KEY") or None,
            audit_old_keys=_list(env, "MARKAZ_AUDIT_OLD_KEYS"),
            audit_anchor_seconds=_number(
                env, "MARKAZ_AUDIT_ANCHOR_SECONDS", defaults.audit_anchor_seconds, low=0
            ),
            upload_max_bytes=_number(env, "MARKAZ_UPLOAD_MAX_BYTES", defaults.upload_max_bytes),
            upload_quota=_number(env, "MARKAZ_UPLOAD_QUOTA", defaults.upload_quota),
            upload_expiry_hours=_number(env, "MARKAZ_UPLOAD_EXPIRY_HOURS", defaults.upload_expiry_hours),
            upload_idle_seconds=_number(env, "MARKAZ_UPLOAD_IDLE_SECONDS", defaults.upload_idle_seconds),
            upload_patch_seconds=_number(env, "MARKAZ_UPLOAD_PATCH_SECONDS", defaults.upload_patch_seconds),
            media_dir=Path(env["MARKAZ_MEDIA_DIR"]).expanduser() if env.get("MARKAZ_MEDIA_DIR") else None,
            audit_anchor_file=Path(env["MARKAZ_AUDIT_ANCHOR_FILE"]).expanduser()
            if env.get("MARKAZ_AUDIT_ANCHOR_FILE")
            else None,
            emergency_number=env.get("MARKAZ_EMERGENCY_NUMBER", "").strip() or defaults.emergency_number,
            open311_keys=tuple(
                (name.strip(), key.strip())
                for name, _, key in (item.partition(":") for item in _list(env, "MARKAZ_OPEN311_KEYS"))
                if name.strip() and key.strip()
            ),
            open311_require_key=_switch(env, "MARKAZ_OPEN311_REQUIRE_KEY", default=False),
        )


def _database_url(url: str | None) -> str | None:
    """DATABASE_URL as given, once it reads as a PostgreSQL URL; the error never repeats it (a password)."""
    if url is None:
        return None
    async_url(url)  # the scheme
    try:
        parts = urllib.parse.urlsplit(url)
        if "," not in parts.netloc:  # several hosts (h1:5432,h2:5432) are libpq's and asyncpg's own
            parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as error:
        raise ValueError(
            f"DATABASE_URL is not a valid URL ({error}); the form is "
            "postgresql://user:password@host:port/database"
        ) from None
    return url


def _positive(env, name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _list(env, name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _switch(env, name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off", "true", "false", "1", "0"):
        raise ValueError(f"{name} must be 'on' or 'off', not {raw!r}")
    return raw in ("on", "true", "1")


def _number(env, name: str, default, *, kind=int, low: float = 1):
    """A whole (or real) number of at least `low` from the environment, naming the variable when bad."""
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        value = None
    if value is None or value != value or value < low:
        raise ValueError(f"{name} must be a number of at least {low}, not {raw!r}")
    return value
