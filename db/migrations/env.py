"""Alembic environment: runs migrations over asyncpg, with the URL given by `db.migrate`."""

import asyncio

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import async_url
from db.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # The k-nearest indexes and the station areas' box index are expression indexes; autogenerate cannot
    # compare those.
    expression = ("ix_stations_ecef", "ix_station_areas_bbox")
    return not (type_ == "index" and name is not None and name.startswith(expression))


# Several processes may start at once (two API servers, a CLI command): one migrates, the others wait.
_MIGRATION_LOCK = 7_272_001


def _run(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=_include_object,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    engine = create_async_engine(async_url(config.get_main_option("sqlalchemy.url") or ""))
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


# Alembic calls this module synchronously; `db.migrate` runs it in a worker thread when an event loop
# is already running, so this loop never nests in another.
asyncio.run(_main())
