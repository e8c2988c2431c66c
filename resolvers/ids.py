"""Relay global IDs ("Type:key" in base64), decoded in one place for the schema and the logic."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from resolvers.mutation_errors import Collector


def global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode("ascii")


def parse_global_id(value: str) -> tuple[str, str] | None:
    """(type name, key), or None when the value is not one of our global IDs."""
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        return None
    type_name, sep, key = decoded.partition(":")
    return (type_name, key) if sep and type_name and key else None


def int_key(value: str, expected: str) -> int | None:
    """The integer key of a global ID of type `expected`, or None when it is not one."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != expected or not parsed[1].isdigit() or len(parsed[1]) > 18:
        return None
    return int(parsed[1])


def record_key(errors: Collector, path: tuple[str, ...], value: str, kind: str) -> int | None:
    """`int_key`, reporting a bad id at `path` (in the mutation's input) instead of returning silently."""
    key = int_key(value, kind)
    if key is None:
        errors.add(path, "bad_id", kind=kind)
    return key


def plain(item: Any) -> Any:
    """The plain value of an enum member (Strawberry inputs carry enums)."""
    return getattr(item, "value", item)
