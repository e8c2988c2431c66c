"""Relay global IDs, the Node interface and PageInfo.

A global ID is base64 of "Type:key". Clients treat it as opaque; the server decodes it once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import strawberry

from resolvers import ids
from resolvers.errors import InputError
from resolvers.messages import message


def to_global_id(type_name: str, key: object) -> str:
    return ids.global_id(type_name, key)


def from_global_id(value: str, argument: str, lang: str, expected: str | None = None) -> tuple[str, str]:
    """(type name, key) of a global ID; an InputError naming `argument` when it is not one of ours."""
    parsed = ids.parse_global_id(value)
    if parsed is None or (expected is not None and parsed[0] != expected):
        raise InputError(argument, message("bad_id", lang, field=argument, kind=expected or "node"))
    return parsed


# An unparsable id is quoted back in the error, cut to this many characters (the list may hold 100 of any
# length, and the message is for a person finding the bad one).
SHOWN_ID = 40


def parse_node_ids(values: Sequence[str], argument: str, lang: str, *, listed: bool) -> list[tuple[str, str]]:
    """(type name, key) of each id; the first that is not one of ours is named by index and value."""
    parsed = []
    for index, value in enumerate(values):
        found = ids.parse_global_id(value)
        if found is None:
            field = f"{argument}[{index}]" if listed else argument
            shown = value if len(value) <= SHOWN_ID else value[:SHOWN_ID] + "…"
            raise InputError(field, message("bad_node_id", lang, field=field, value=shown))
        parsed.append(found)
    return parsed


def int_key(value: str, argument: str, lang: str, expected: str) -> int:
    key = ids.int_key(value, expected)
    if key is None:
        raise InputError(argument, message("bad_id", lang, field=argument, kind=expected))
    return key


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def time_cursor(kind: str, at: datetime, key: int) -> str:
    """A cursor for lists in time order: the instant (to the microsecond) and the id that breaks ties."""
    return to_global_id(kind, f"{(at - _EPOCH) // _MICROSECOND}_{key}")


def parse_time_cursor(cursor: str, lang: str, kind: str) -> tuple[datetime, int]:
    """(instant, id) of a `time_cursor`; an InputError on `after` when it is not one this list gave out."""
    try:
        _, key = from_global_id(cursor, "after", lang, kind)
        micros, _, record_id = key.partition("_")
        if not record_id.isdigit() or len(record_id) > 18 or len(micros) > 20:
            raise ValueError(key)
        return _EPOCH + int(micros) * _MICROSECOND, int(record_id)
    except (InputError, ValueError, OverflowError):
        raise InputError("after", message("bad_cursor", lang, field="after")) from None


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="The global ID of the object.")


@strawberry.type(description="Where a page of a connection ends, and whether another follows.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")
