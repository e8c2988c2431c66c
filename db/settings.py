"""Settings read from the environment, once, into a frozen object passed down explicitly."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import platformdirs


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Everything Markaz reads from its environment. See the README for each variable."""

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
    # The /map page's base-map tiles ({z}/{x}/{y} URL template); none: a plain background.
    map_tiles: str | None = None

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
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(data_dir).expanduser(),
            env=mode,
            secret_key=env.get("MARKAZ_SECRET_KEY") or None,
            log_level=env.get("MARKAZ_LOG_LEVEL", "INFO").upper(),
            log_format=env.get("MARKAZ_LOG_FORMAT", "json").lower(),
            feed_subscriptions_per_connection=_positive(env, "MARKAZ_FEED_SUBSCRIPTIONS", 10),
            feed_queue=_positive(env, "MARKAZ_FEED_QUEUE", 1000),
            map_tiles=env.get("MARKAZ_MAP_TILES") or None,
        )


def _positive(env, name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def async_url(url: str) -> str:
    """SQLAlchemy's asyncpg URL for a plain PostgreSQL URL (postgres://, postgresql://)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://user@host:port/db)")
