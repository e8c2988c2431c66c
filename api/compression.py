"""Compression: responses by Accept-Encoding (brotli or gzip), request bodies by Content-Encoding.

Brotli, where the client accepts it: on the apps' answers it is 5-10% smaller than gzip (bench/bytes.py),
and Android (OkHttp), iOS (URLSession) and every browser read it. At quality 5 (gzip: level 6) it costs
about 0.2 ms for the largest answer the apps get (7 KB; gzip 0.08 ms). Bodies under `MINIMUM_SIZE` are
sent as they are: the headers and framing would eat what compression saves. Only whole (non-streamed)
bodies are compressed, which is every GraphQL response; `Vary: Accept-Encoding` tells caches the body
depends on it.

An app may gzip or brotli its request bodies too (`Content-Encoding`), which matters for the offline
queue: a synced batch is mostly variables, which persisted queries do not shrink. Decompression is bounded
by the same limit as an uncompressed body, so a small bomb cannot become a large body.
"""

from __future__ import annotations

import gzip
import zlib

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 512
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
_COMPRESSIBLE = ("application/json", "application/graphql-response+json", "text/", "application/geo+json")


def choose(accept_encoding: str | None) -> str | None:
    """ "br", "gzip" or None (identity), by the client's Accept-Encoding and its q-values."""
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
            compressible = not headers.get("content-encoding") and headers.get("content-type", "").startswith(
                _COMPRESSIBLE
            )
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


class BodyError(ValueError):
    """A request body that cannot be decoded; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status, self.headers = status, headers or {}


def decode_body(body: bytes, coding: str | None, limit: int) -> bytes:
    """The body decoded by its Content-Encoding, never more than `limit` bytes of it."""
    coding = (coding or "identity").strip().lower()
    if coding == "identity":
        return body
    too_large = BodyError(413, f"The decompressed body is larger than {limit} bytes.")
    if coding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        try:
            out = decoder.decompress(body, limit + 1)
        except zlib.error:
            raise BodyError(400, "The body is not valid gzip.") from None
        if len(out) > limit:
            raise too_large
        if not decoder.eof:
            raise BodyError(400, "The gzip body is truncated.")
        return out
    if coding == "br":
        brotli_decoder = brotli.Decompressor()
        try:
            out = brotli_decoder.process(body, output_buffer_limit=limit + 1)
        except brotli.error:
            raise BodyError(400, "The body is not valid brotli.") from None
        if len(out) > limit:
            raise too_large
        if not brotli_decoder.is_finished():
            raise BodyError(400, "The brotli body is truncated.")
        return out
    raise BodyError(
        415,
        f"Content-Encoding {coding} is not supported: send gzip, br or identity.",
        {"Accept-Encoding": "gzip, br"},
    )
