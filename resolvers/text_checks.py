"""Checks of what citizens type and where they send it from: free text with no control characters, and
the source a rate limit counts (an address; an IPv6 client by its /64, which one subscriber holds)."""

from __future__ import annotations

import functools
import ipaddress
import re

from resolvers.field_checks import check_text
from resolvers.mutation_errors import Collector

# C0 controls but tab, line feed and carriage return; DEL; and NUL, which PostgreSQL's text refuses.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def check_plain_text(
    errors: Collector, path: tuple[str, ...], value: str | None, *, max_length: int, required: bool = False
) -> str | None:
    """`check_text`, refusing control characters (NUL among them) too."""
    if value is not None and has_control(value):
        errors.add(path, "control_characters")
        return None
    return check_text(errors, path, value, max_length=max_length, required=required)


@functools.lru_cache(maxsize=65536)
def source_key(address: str | None) -> str:
    """What a per-source limit counts: the address, an IPv6 one by its /64."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
