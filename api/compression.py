"""Response compression chosen by Accept-Encoding: brotli or gzip, for bodies worth compressing.

Brotli, where the client accepts it: it makes JSON about a fifth smaller than gzip does at similar speed,
and Android (OkHttp), iOS (URLSession) and every browser read it. Quality 5 and gzip level 6 keep the
cost near a tenth of a millisecond for a typical answer. Bodies under `MINIMUM_SIZE` are sent as they are:
the headers and framing would eat what compression saves. Only whole (non-streamed) bodies are compressed,
which is every GraphQL response; `Vary: Accept-Encoding` tells caches the body depends on the header.
"""

from __future__ import annotations

import gzip

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 512
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
_COMPRESSIBLE = ("application/json", "application/graphql-response+json", "text/", "application/geo+json")


def choose(accept_encoding: str | None) -> str | None:
    """"br", "gzip" or None (identity), by the client's Accept-Encoding and its q-values."""
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        weights[coding.lower()] = q
    star = weights.get("*", 0.0)
    best, best_q = None, 0.0
    for coding in ("br", "gzip"):  # brotli first on equal weight: it is the smaller
        q = weights.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    return best


def compress(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = choose(Headers(scope=scope).get("accept-encoding"))
        start: Message | None = None
        passing = False

        async def send_compressed(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            assert start is not None
            headers = MutableHeaders(raw=start["headers"])
            body = message.get("body", b"")
            compressible = (not headers.get("content-encoding")
                            and headers.get("content-type", "").startswith(_COMPRESSIBLE))
            if message.get("more_body") or not compressible:
                passing = True  # streamed or not worth it: sent as it comes
                await send(start)
                await send(message)
                return
            if len(body) >= self.minimum_size:
                headers.add_vary_header("Accept-Encoding")
                if coding is not None:
                    body = compress(body, coding)
                    headers["Content-Encoding"] = coding
                    headers["Content-Length"] = str(len(body))
            await send(start)
            await send({**message, "body": body})

        await self.app(scope, receive, send_compressed)
