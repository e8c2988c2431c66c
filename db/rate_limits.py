"""Rate-limit buckets in PostgreSQL: one atomic statement per take, one per settle of many buckets.

Each statement refills the bucket by the time since it was last written (the database's clock, the
same for every process), then subtracts. Keys are settled in sorted order, so two processes settling
the same keys lock them in the same order and never deadlock.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Float, Text

_REFILLED = (
    "least(EXCLUDED.burst, b.level + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at) * EXCLUDED.rate)"
)

_TAKE = text(
    """
INSERT INTO rate_limit_buckets AS b (key, level, rate, burst, taken, granted, updated_at)
VALUES (:key, greatest(:burst - 1, 0), :rate, :burst, 1, :burst >= 1, clock_timestamp())
ON CONFLICT (key) DO UPDATE SET
  granted = REFILLED >= 1,
  level = CASE WHEN REFILLED >= 1 THEN REFILLED - 1 ELSE REFILLED END,
  rate = EXCLUDED.rate, burst = EXCLUDED.burst, taken = 1, updated_at = clock_timestamp()
RETURNING granted, level
""".replace("REFILLED", _REFILLED)
).bindparams(bindparam("key", type_=Text), bindparam("rate", type_=Float), bindparam("burst", type_=Float))

_SETTLE = text(
    """
INSERT INTO rate_limit_buckets AS b (key, level, rate, burst, taken, granted, updated_at)
SELECT key, greatest(-burst, burst - taken), rate, burst, taken, true, clock_timestamp()
FROM unnest(:keys, :rates, :bursts, :taken) AS given(key, rate, burst, taken)
ON CONFLICT (key) DO UPDATE SET
  level = greatest(-EXCLUDED.burst, REFILLED - EXCLUDED.taken),
  rate = EXCLUDED.rate, burst = EXCLUDED.burst, taken = EXCLUDED.taken, granted = true,
  updated_at = clock_timestamp()
RETURNING key, level
""".replace("REFILLED", _REFILLED)
).bindparams(
    bindparam("keys", type_=ARRAY(Text)),
    bindparam("rates", type_=ARRAY(Float)),
    bindparam("bursts", type_=ARRAY(Float)),
    bindparam("taken", type_=ARRAY(Float)),
)

# A bucket idle long enough to be full again is the same as no bucket.
_FORGET = text("""
DELETE FROM rate_limit_buckets
WHERE updated_at < clock_timestamp() - make_interval(secs => (burst - level) / rate) - interval '1 minute'
""")


class PostgresBuckets:
    """Buckets in the `rate_limit_buckets` table, through sessions of `sessionmaker` (the server passes
    its autocommit reader: each statement is its own transaction)."""

    def __init__(self, sessionmaker: Any, *, forget_every: int = 100) -> None:
        self.sessionmaker = sessionmaker
        self._settles = itertools.count(1)
        self._forget_every = forget_every

    async def take(self, key: str, rate: float, burst: float) -> tuple[bool, float]:
        async with self.sessionmaker() as session:
            row = (await session.execute(_TAKE, {"key": key, "rate": rate, "burst": burst})).one()
            await session.commit()
        return bool(row.granted), float(row.level)

    async def settle(self, entries: list[tuple[str, float, float, float]]) -> list[float]:
        keys, rates, bursts, taken = (list(column) for column in zip(*entries, strict=True))
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    _SETTLE, {"keys": keys, "rates": rates, "bursts": bursts, "taken": taken}
                )
            ).all()
            if next(self._settles) % self._forget_every == 0:
                await session.execute(_FORGET)
            await session.commit()
        levels = {row.key: float(row.level) for row in rows}
        return [levels[key] for key in keys]
