"""What a ping before every pool checkout (`pool_pre_ping=True`) would cost a request.

Run by hand: `.venv/bin/python bench/pre_ping.py [--database-url URL] [--requests N]`.

Markaz does not ping: a connection a database restart killed fails its first statement, SQLAlchemy
drops it and every older pooled connection, and the request is run once more (db/faults.py,
api/graphql_http.py). This measures the price of the alternative: the same one-statement read as a
citizen's query makes (checkout, SELECT, checkin on an autocommit session), with and without the ping,
one request after another and 20 at a time, on engines made the way the server makes them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from common import run_async, say

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


async def measure(url: str, requests: int, concurrency: int, pre_ping: bool) -> tuple[float, float]:
    """(mean microseconds per request, requests per second)."""
    from sqlalchemy import text

    from db.engine import make_engine, make_reader

    engine = make_engine(url, pool_size=concurrency, pre_ping=pre_ping)
    reader = make_reader(engine)
    statement = text("SELECT oid FROM pg_database WHERE datname = current_database()")

    async def one() -> float:
        started = time.perf_counter()
        async with reader() as session:
            (await session.execute(statement)).scalar()
        return time.perf_counter() - started

    try:
        await asyncio.gather(*(one() for _ in range(concurrency * 2)))  # fill the pool
        started = time.perf_counter()
        durations: list[float] = []
        for _ in range(requests // concurrency):
            durations += await asyncio.gather(*(one() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    finally:
        await engine.dispose()
    return statistics.fmean(durations) * 1e6, len(durations) / wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    say("pool_pre_ping: a one-statement read (checkout, SELECT, checkin), mean per request")
    for concurrency in (1, 20):
        results = {}
        for pre_ping in (False, True, False, True):  # alternated, against drift on a shared machine
            results.setdefault(pre_ping, []).append(
                run_async(measure(args.database_url, args.requests, concurrency, pre_ping))
            )
        for pre_ping, runs in results.items():
            mean = min(r[0] for r in runs)
            rate = max(r[1] for r in runs)
            say(
                f"  {concurrency:>2} at a time, pre_ping={pre_ping!s:<5}: {mean:8.0f} µs, "
                f"{rate:8.0f} requests/s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
