"""What production asks of the transport: a real signing key, security headers, and the client's address.

key = secret_key(settings)                       # refuses to start on a missing or weak key
app.add_middleware(SecurityHeaders, production=settings.production, extra_img=...)
client = client_address(scope, trusted)          # X-Forwarded-For only from trusted proxies
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter
from typing import Any

from api.config import Settings
from resolvers.audit import chain_key
from resolvers.tokens import development_key

MIN_KEY_LENGTH = 32
MIN_KEY_BITS = 96


def key_problem(key: str) -> str | None:
    """Why a signing key is not a real secret, or None. A length alone lets `aaaa...` or
    `changeme-changeme-...` through; the key's own character entropy and periodicity catch those."""
    if len(key) < MIN_KEY_LENGTH:
        return f"must be at least {MIN_KEY_LENGTH} characters"
    if key in (key + key)[1:-1]:  # a shorter string repeated
        return "must not be a repetition of a shorter string"
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    if per_char * len(key) < MIN_KEY_BITS:
        return (
            'looks too regular to be random (generate one with `python -c "import secrets; '
            'print(secrets.token_urlsafe(48))"`)'
        )
    return None


def secret_key(settings: Settings) -> str:
    """The signing key: MARKAZ_SECRET_KEY, or in development a key made once in the data directory."""
    if settings.secret_key:
        # Development takes any key of the length (tests and trials); production only a random one.
        problem = key_problem(settings.secret_key)
        if not settings.production and len(settings.secret_key) >= MIN_KEY_LENGTH:
            problem = None
        if problem is not None:
            raise RuntimeError(f"MARKAZ_SECRET_KEY {problem}")
        return settings.secret_key
    if settings.production:
        raise RuntimeError("MARKAZ_SECRET_KEY must be set in production (32 or more random characters)")
    return development_key(settings.data_dir)


def audit_keys(settings: Settings) -> tuple[bytes | None, tuple[bytes, ...]]:
    """The audit chain's key, and the keys it was rotated away from (for verifying only).

    MARKAZ_AUDIT_KEY when set, else MARKAZ_SECRET_KEY (in development, the data directory's key): either
    way through `resolvers.audit.chain_key`, never the token-signing key itself. A separate audit key is
    the better choice in production: rotating the signing key (after a leak, say) then leaves the chain
    alone, and the key can be kept, like the anchors, by someone other than who runs the server. None
    in production without either key: commands that write no audit entry (`migrate`) still run.
    """
    old = tuple(chain_key(value) for value in settings.audit_old_keys)
    if settings.audit_key:
        if settings.production and (problem := key_problem(settings.audit_key)):
            raise RuntimeError(f"MARKAZ_AUDIT_KEY {problem}")
        if not settings.production and len(settings.audit_key) < MIN_KEY_LENGTH:
            raise RuntimeError(f"MARKAZ_AUDIT_KEY must be at least {MIN_KEY_LENGTH} characters")
        return chain_key(settings.audit_key), old
    if settings.production and not settings.secret_key:
        return None, old
    return chain_key(secret_key(settings)), old


def content_security_policy(*, img_sources: tuple[str, ...] = ()) -> str:
    """The page policy. Pages are our own (the /map page, and GraphiQL in development only, whose files
    are all vendored: api/graphiql_page.py); no script from elsewhere or inline; nothing may frame them.
    Inline styles stay allowed: GraphiQL and Leaflet position their panes with style attributes."""
    img = " ".join(("'self'", "data:", "blob:", *img_sources))
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src {img}; "
        "connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Adds the headers every response should carry (OWASP's secure headers), HSTS in production."""

    def __init__(self, app: Any, *, production: bool, img_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        csp = content_security_policy(img_sources=img_sources)
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", csp.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if production:
            # Production runs behind TLS; browsers then refuse plain HTTP to this host for a year.
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.headers = headers

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                # A page that sets its own policy (the /map page's is stricter) keeps it.
                given = message.get("headers", [])
                present = {name.lower() for name, _ in given}
                message["headers"] = [*given, *(h for h in self.headers if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    """MARKAZ_TRUSTED_PROXIES as networks (a single address is a /32 or /128); a bad entry is refused."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(f"MARKAZ_TRUSTED_PROXIES: {value!r} is not an address or network") from None
    return tuple(networks)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: dict[str, Any], networks: tuple[Network, ...]) -> str | None:
    """The address of whoever sent the request. X-Forwarded-For is believed only when the peer is a
    trusted proxy, and read from the right: each trusted hop vouches for the one before it, and the
    first address not a trusted proxy is the client (anything to its left may be forged)."""
    peer = scope.get("client")
    address = peer[0] if peer else None
    if address is None or not networks or not _trusted(address, networks):
        return address
    headers = scope.get("headers") or ()
    forwarded = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
    hops = [hop.strip() for line in forwarded for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address  # garbage from a proxy: fall back to the proxy itself
        address = hop
    return address


class ClientAddress:
    """Replaces the ASGI scope's client with the address `client_address` finds, so every reader
    (rate limits, audit, logs) sees the same one."""

    def __init__(self, app: Any, *, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope, receive, send) -> None:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            address = client_address(scope, self.networks)
            if address != scope["client"][0]:
                scope["client"] = (address, 0)
        await self.app(scope, receive, send)
