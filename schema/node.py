"""Relay global IDs, the Node interface and PageInfo.

A global ID is base64 of "Type:key". Clients treat it as opaque; the server decodes it once, here.
"""

from __future__ import annotations

import base64
import binascii

import strawberry

from resolvers.errors import InputError
from resolvers.messages import message


def to_global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode("ascii")


def from_global_id(value: str, argument: str, lang: str, expected: str | None = None) -> tuple[str, str]:
    """(type name, key) of a global ID; an InputError naming `argument` when it is not one of ours."""
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
        type_name, key = decoded.split(":", 1)
    except (ValueError, UnicodeError, binascii.Error):
        raise InputError(argument, message("bad_id", lang, field=argument, kind=expected or "node")) from None
    if not key or (expected is not None and type_name != expected):
        raise InputError(argument, message("bad_id", lang, field=argument, kind=expected or "node"))
    return type_name, key


def int_key(value: str, argument: str, lang: str, expected: str) -> int:
    _, key = from_global_id(value, argument, lang, expected)
    if not key.isdigit() or len(key) > 18:
        raise InputError(argument, message("bad_id", lang, field=argument, kind=expected))
    return int(key)


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="The global ID of the object.")


@strawberry.type(description="Where a page of a connection ends, and whether another follows.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")
