"""Top-level errors with a code in `extensions`, the way clients branch on them.

Arguments that fail validation are request errors: the message is localized and `extensions.argument`
names the argument (with a path into input objects, e.g. `near.latitude`), so an app can point at it.
"""

from __future__ import annotations

from graphql import GraphQLError

from resolvers.messages import message


class InputError(GraphQLError):
    """A bad argument: code BAD_USER_INPUT, naming the argument."""

    def __init__(self, argument: str, text: str) -> None:
        super().__init__(text, extensions={"code": "BAD_USER_INPUT", "argument": argument})


def check_range(value: float, argument: str, low: float, high: float, lang: str) -> None:
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(argument, message("not_finite", lang, field=argument))
    if not low <= value <= high:
        raise InputError(argument, message("range", lang, field=argument, low=low, high=high))


def check_first(first: int | None, lang: str, *, default: int, argument: str = "first") -> int:
    """Page sizes are 1..100, as on GitHub and Shopify: large pages cost the server and the phone."""
    if first is None:
        return default
    if not 1 <= first <= 100:
        raise InputError(argument, message("range", lang, field=argument, low=1, high=100))
    return first


class Unauthenticated(GraphQLError):
    """No valid sign-in where one is needed."""

    def __init__(self, text: str = "Sign in to do this.") -> None:
        super().__init__(text, extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    """Signed in, but this is not yours to read or change."""

    def __init__(self, text: str = "You may not do this.") -> None:
        super().__init__(text, extensions={"code": "FORBIDDEN"})
