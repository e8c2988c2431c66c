"""Rate limits: a token bucket per client address (citizens) and per officer (signed in), shared by every
process through PostgreSQL (db/rate_limits.py) or Redis (`REDIS_URL`).

    limiter = RateLimiter(PostgresBuckets(sessionmaker), sync_interval=0.2)
    wait = await limiter.take("ip:203.0.113.9", rate=15, burst=30)   # None: go on; else seconds to wait

A bucket holds up to `burst` tokens and refills at `rate` a second; a request takes one, and is refused
(429) when none is left, as data.police.uk does with 15 a second and bursts of 30. Refused requests take
nothing, so a client that slows down gets through again.

Sharing without a round trip per request: a process decides from its own copy of each bucket and
settles what it took with the shared store at most every `sync_interval` (one statement for every
bucket touched), learning what the other processes took. The first request of a key in a process asks
the store itself (an exact, atomic take), so a client moving to another process starts from the shared
level, not a full bucket. Between settles the processes together may let through at most
`processes × rate × sync_interval` requests more than the limit (with 4 processes, 15/s and 0.2 s: 12).
`sync_interval=0` asks the store on every request: exact, at the cost of a round trip each.

When the store fails, each process goes on deciding alone (the limits hold per process) and logs it:
an outage of Redis or a busy database must not take the API down with it. A store that does not answer
within STORE_TIMEOUT_S has failed: a frozen database must not hold each request up by its own timeout
before the request has even started.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import ipaddress
import logging
import math
import time
from collections import OrderedDict
from typing import Any, Protocol

import orjson

from resolvers.lang import pick_language
from resolvers.messages import message
from resolvers.tokens import TokenError, bearer_token, read_access

_log = logging.getLogger("markaz.ratelimit")
STORE_TIMEOUT_S = 0.5


class Buckets(Protocol):
    """A shared store of buckets. Both calls refill each bucket by the time since its last use first."""

    async def take(self, key: str, rate: float, burst: float) -> tuple[bool, float]:
        """Take one token if there is one: (taken, level after)."""

    async def settle(self, entries: list[tuple[str, float, float, float]]) -> list[float]:
        """Subtract what this process already let through, (key, rate, burst, taken) each, even below
        zero (down to -burst): the levels after, in the same order."""


@dataclasses.dataclass(slots=True)
class _Bucket:
    level: float
    stamp: float
    rate: float
    burst: float
    pending: float = 0.0  # let through here since the last settle


class RateLimiter:
    def __init__(self, store: Buckets, *, sync_interval: float, max_keys: int = 100_000) -> None:
        self.store = store
        self.sync_interval = sync_interval
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._last_settle = time.monotonic()
        self._settling = False

    async def take(self, key: str, rate: float, burst: float) -> float | None:
        """None when the request may go on; otherwise the seconds until a token is back."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None or self.sync_interval == 0:
            try:
                async with asyncio.timeout(STORE_TIMEOUT_S):
                    taken, level = await self.store.take(key, rate, burst)
                bucket = _Bucket(level, time.monotonic(), rate, burst)
            except Exception as error:
                _log.warning(
                    "rate-limit store unavailable, deciding in this process: %s", type(error).__name__
                )
                bucket = bucket or _Bucket(burst, now, rate, burst)
                taken = self._take_locally(bucket, now)
            self._remember(key, bucket)
        else:
            self._buckets.move_to_end(key)
            bucket.rate, bucket.burst = rate, burst
            taken = self._take_locally(bucket, now)
        if self.sync_interval and now - self._last_settle >= self.sync_interval and not self._settling:
            await self.settle()
        return None if taken else max((1 - bucket.level) / rate, 0.001)

    @staticmethod
    def _take_locally(bucket: _Bucket, now: float) -> bool:
        bucket.level = min(bucket.burst, bucket.level + (now - bucket.stamp) * bucket.rate)
        bucket.stamp = now
        if bucket.level < 1:
            return False
        bucket.level -= 1
        bucket.pending += 1
        return True

    def _remember(self, key: str, bucket: _Bucket) -> None:
        self._buckets[key] = bucket
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    async def settle(self) -> None:
        """Send what this process let through since the last settle; take the shared levels back."""
        self._settling = True
        self._last_settle = time.monotonic()
        try:
            sent = [(key, b) for key, b in self._buckets.items() if b.pending]
            if not sent:
                return
            amounts = [b.pending for _, b in sent]
            for _, bucket in sent:
                bucket.pending = 0.0
            try:
                async with asyncio.timeout(STORE_TIMEOUT_S):
                    levels = await self.store.settle(
                        sorted((key, b.rate, b.burst, n) for (key, b), n in zip(sent, amounts, strict=True))
                    )
            except Exception as error:
                _log.warning("rate-limit store unavailable, settling later: %s", type(error).__name__)
                for (_, bucket), n in zip(sent, amounts, strict=True):
                    bucket.pending += n
                return
            order = sorted(range(len(sent)), key=lambda i: sent[i][0])
            now = time.monotonic()
            for index, level in zip(order, levels, strict=True):
                bucket = sent[index][1]
                # What was let through while the statement ran is still this process's to report.
                bucket.level, bucket.stamp = level - bucket.pending, now
        finally:
            self._settling = False


@functools.lru_cache(maxsize=65536)
def _client_key(address: str | None) -> str:
    """Citizens by address; an IPv6 client by its /64, which one subscriber usually holds whole."""
    if not address:
        return "ip:unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address[:64]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"ip:{ip}"


class RateLimit:
    """ASGI middleware: the bucket of the officer (a validly signed bearer token) or of the client's
    address, for /graphql over HTTP and WebSocket; 429 with Retry-After and a GraphQL-shaped body."""

    def __init__(
        self,
        app: Any,
        *,
        limiter: RateLimiter,
        secret_key: str,
        citizen: tuple[float, float],
        officer: tuple[float, float],
        paths: tuple[str, ...] = ("/graphql",),
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.secret_key = secret_key
        self.citizen = citizen
        self.officer = officer
        self.paths = paths
        self._tokens: dict[bytes, tuple[str, float]] = {}

    def _bucket_of(self, scope) -> tuple[str, float, float]:
        headers = scope.get("headers") or ()
        authorization = next((value for name, value in headers if name == b"authorization"), None)
        if authorization is not None:
            officer = self._officer_of(authorization)
            if officer is not None:
                return officer, *self.officer
        client = scope.get("client")
        return _client_key(client[0] if client else None), *self.citizen

    def _officer_of(self, authorization: bytes) -> str | None:
        """The officer's bucket for a validly signed bearer token, else None (the address is used, and the
        endpoint answers 401). Checking a signature costs ~150 µs, so a token once checked is known for a
        minute: which bucket to count in is no security decision, the endpoint still authenticates."""
        now = time.monotonic()
        known = self._tokens.get(authorization)
        if known is not None and known[1] > now:
            return known[0]
        token = bearer_token(authorization.decode("latin-1"))
        if token is None:
            return None
        try:
            officer_id, _ = read_access(self.secret_key, token)
        except TokenError:
            return None
        self._tokens[authorization] = (f"officer:{officer_id}", now + 60)
        if len(self._tokens) > 10_000:
            self._tokens.pop(next(iter(self._tokens)))
        return f"officer:{officer_id}"

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] not in ("http", "websocket")
            or scope["path"] not in self.paths
            or scope.get("method") == "OPTIONS"
        ):  # CORS preflights cost nothing and carry no token
            await self.app(scope, receive, send)
            return
        key, rate, burst = self._bucket_of(scope)
        wait = await self.limiter.take(key, rate, burst)
        if wait is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["rate_limited"] = key
        seconds = max(1, math.ceil(wait))
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # "try again later"
            return
        headers = dict(scope.get("headers") or ())
        lang = pick_language(headers.get(b"accept-language", b"").decode("latin-1") or None)
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": message("rate_limited", lang, seconds=seconds),
                        "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds},
                    }
                ]
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(seconds).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def limiter_for(settings: Any, sessionmaker: Any) -> RateLimiter:
    """The limiter a process uses: Redis when `REDIS_URL` is set, else PostgreSQL."""
    if settings.redis_url:
        from db.redis_buckets import RedisBuckets  # needs the `redis` extra

        store: Buckets = RedisBuckets(settings.redis_url)
    else:
        from db.rate_limits import PostgresBuckets

        store = PostgresBuckets(sessionmaker)
    return RateLimiter(store, sync_interval=settings.rate_sync_ms / 1000)
