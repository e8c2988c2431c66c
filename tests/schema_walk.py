"""Operations written from the live schema, so that a field added tomorrow is in the security tests too.

`selection(type)` selects every field of a type (arguments filled in), objects inside to a depth;
`literal(type)` is a valid literal of an input type; `string_positions()` names every place a string
can be sent (arguments and input-object fields, at any depth), with an operation that sends one there.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)

from schema import build_schema
from schema.strawberry_internals import graphql_schema

SCHEMA: GraphQLSchema = graphql_schema(build_schema())
STRING_SCALARS = ("String", "ID")


def _now() -> datetime:
    return datetime.now(UTC)


# A valid value of each scalar, as a GraphQL literal; one hour ago for instants (most must be in the past).
SCALAR_LITERALS: dict[str, Callable[[], str]] = {
    "String": lambda: '"x"',
    "ID": lambda: '"x"',
    "Int": lambda: "1",
    "Float": lambda: "1.5",
    "Boolean": lambda: "false",
    "UUID": lambda: json.dumps(str(uuid.uuid4())),
    "DateTime": lambda: json.dumps((_now() - timedelta(hours=1)).isoformat()),
    "Date": lambda: json.dumps(_now().date().isoformat()),
    "GeoJSON": lambda: json.dumps('{"type": "Point", "coordinates": [43.1, 36.3]}'),
}


def _unwrap(type_):
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def literal(
    type_: GraphQLInputType,
    *,
    path: tuple[str, ...] = (),
    target: tuple[str, ...] | None = None,
    value: str = "",
) -> str:
    """A valid literal of `type_`: required input fields only, one item per list, the first member of a
    @oneOf input; with `target`, the literal `value` at that path (and the fields leading there)."""
    if target is not None and path == target and get_named_type(type_).name in STRING_SCALARS:
        return f"[{value}]" if _is_list(type_) else value
    if isinstance(type_, GraphQLNonNull):
        return literal(type_.of_type, path=path, target=target, value=value)
    if isinstance(type_, GraphQLList):
        return f"[{literal(type_.of_type, path=path, target=target, value=value)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return SCALAR_LITERALS[type_.name]()
    assert isinstance(type_, GraphQLInputObjectType), type_
    towards = target[len(path)] if target is not None and target[: len(path)] == path else None
    if _is_one_of(type_):
        fields = [(towards, type_.fields[towards])] if towards else list(type_.fields.items())[:1]
    else:
        fields = [
            (n, f)
            for n, f in type_.fields.items()
            if n == towards or (isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined)
        ]
    parts = [
        f"{name}: {literal(f.type, path=(*path, name), target=target, value=value)}" for name, f in fields
    ]
    return "{" + ", ".join(parts) + "}"


def arguments(field: GraphQLField, *, target: tuple[str, ...] | None = None, value: str = "") -> str:
    """The field's required arguments (and the one `target` goes through), as `(a: ..., b: ...)` or ``."""
    parts = []
    for name, arg in field.args.items():
        on_path = target is not None and target[0] == name
        if not on_path and not (isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined):
            continue
        parts.append(f"{name}: {literal(arg.type, path=(name,), target=target, value=value)}")
    return f"({', '.join(parts)})" if parts else ""


def selection(type_, depth: int = 3, alias: str = "") -> str:
    """Every field of an output type with its required arguments, objects to `depth` levels; for an
    interface or union, `__typename` and a fragment per possible type."""
    named = _unwrap(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        if depth <= 0:
            return "{ __typename }"
        # Fields of the fragments get aliases by type: `status` of a Patrol and of an Incident differ.
        fragments = " ".join(
            f"... on {t.name} {selection(t, depth - 1, alias=t.name + '_')}"
            for t in SCHEMA.get_possible_types(named)
        )
        return "{ __typename " + fragments + " }"
    assert isinstance(named, GraphQLObjectType), named
    parts = ["__typename"]
    for name, field in named.fields.items():
        inner = _unwrap(field.type)
        named_as = f"{alias}{name}: {name}" if alias else name
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(f"{named_as}{arguments(field)}")
        elif depth > 0:
            parts.append(f"{named_as}{arguments(field)} {selection(inner, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


@dataclasses.dataclass(frozen=True)
class StringPosition:
    """A place a string goes: `operation` ("query" or "mutation"), root `field`, path of argument and
    input-object field names."""

    operation: str
    field: str
    path: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.operation} {self.field}({'.'.join(self.path)})"

    def document(self, value: str) -> str:
        """An operation that sends `value` (a GraphQL string literal) at this position, the rest valid."""
        root = SCHEMA.query_type if self.operation == "query" else SCHEMA.mutation_type
        field = root.fields[self.field]
        return (
            f"{self.operation} {{ {self.field}{arguments(field, target=self.path, value=value)} "
            f"{selection(field.type, 1)} }}"
        )


def _is_one_of(type_: GraphQLInputObjectType) -> bool:
    # Strawberry keeps @oneOf on its own definition (and checks it in its own validation rule).
    definition = (type_.extensions or {}).get("strawberry-definition")
    return type_.is_one_of or bool(getattr(definition, "is_one_of", False))


def _is_list(type_) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def string_positions() -> Iterator[StringPosition]:
    """Every argument and input-object field, at any depth, whose named type is String or ID."""
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        for field_name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                yield from _positions(operation, field_name, (arg_name,), arg, set())


def _positions(
    operation: str, field: str, path: tuple[str, ...], holder: GraphQLArgument, seen: set[str]
) -> Iterator[StringPosition]:
    named = get_named_type(holder.type)
    if isinstance(named, GraphQLScalarType) and named.name in STRING_SCALARS:
        yield StringPosition(operation, field, path)
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, inner in named.fields.items():
            yield from _positions(operation, field, (*path, name), inner, seen | {named.name})
