"""schema/input_builders.py builds every input the way Strawberry's own conversion does."""

from __future__ import annotations

import contextlib
import random
import string
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from graphql.utilities import coerce_input_value
from strawberry.types.arguments import convert_argument

from schema import build_schema
from schema.input_builders import _Builder
from schema.strawberry_internals import StrawberryObjectDefinition, graphql_schema

SCHEMA = build_schema()
INPUTS = sorted(
    name for name, t in graphql_schema(SCHEMA).type_map.items() if isinstance(t, GraphQLInputObjectType)
)


@contextlib.contextmanager
def _strawberry_alone():
    """Strawberry's generic conversion: the builders taken off for the block."""
    taken = {}
    for concrete in SCHEMA.schema_converter.type_map.values():
        definition = concrete.definition
        if isinstance(definition, StrawberryObjectDefinition) and isinstance(definition.from_input, _Builder):
            taken[definition] = definition.from_input
            definition.from_input = None
    try:
        yield
    finally:
        for definition, builder in taken.items():
            definition.from_input = builder


def _scalar(rng: random.Random, name: str):
    if name in ("String", "ID"):
        return "".join(rng.choice(string.ascii_letters + "ءاب ") for _ in range(rng.randint(0, 12)))
    if name == "Int":
        return rng.randint(-5, 500)
    if name == "Float":
        return rng.uniform(-90, 90)
    if name == "Boolean":
        return rng.random() < 0.5
    if name == "DateTime":
        return (datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 40_000))).isoformat()
    if name == "Date":
        return (date(2026, 11, 1) + timedelta(days=rng.randint(0, 60))).isoformat()
    if name == "UUID":
        return str(uuid.UUID(int=rng.getrandbits(128)))
    if name == "GeoJSON":
        return {"type": "Polygon", "coordinates": [[[43.1, 36.3], [43.2, 36.3], [43.2, 36.4], [43.1, 36.3]]]}
    raise AssertionError(f"no values for the scalar {name}")


def _value(rng: random.Random, type_, depth: int = 0):
    """A raw (JSON) value of a GraphQL input type: optional fields left out, null or given at random."""
    if isinstance(type_, GraphQLNonNull):
        return _value(rng, type_.of_type, depth)
    if isinstance(type_, GraphQLList):
        return [_value(rng, type_.of_type, depth + 1) for _ in range(rng.randint(0, 3))]
    if isinstance(type_, GraphQLScalarType):
        return _scalar(rng, type_.name)
    if isinstance(type_, GraphQLEnumType):
        return rng.choice(list(type_.values))
    assert isinstance(type_, GraphQLInputObjectType)
    fields = type_.fields
    if SCHEMA.get_type_by_name(type_.name).is_one_of:  # @oneOf: exactly one field, not null
        name = rng.choice(sorted(fields))
        return {name: _value(rng, GraphQLNonNull(fields[name].type), depth + 1)}
    value = {}
    for name, field in fields.items():
        required = isinstance(field.type, GraphQLNonNull)
        roll = rng.random()
        if required or roll < 0.6:
            value[name] = _value(rng, field.type, depth + 1) if required or depth < 4 else None
        elif roll < 0.8:
            value[name] = None
    return value


@pytest.mark.parametrize("name", INPUTS)
def test_every_input_type_is_built_as_strawberry_builds_it(name):
    graphql_type = graphql_schema(SCHEMA).type_map[name]
    python_type = SCHEMA.get_type_by_name(name).origin
    rng = random.Random(name)
    built = 0
    for _ in range(60):
        coerced = coerce_input_value(_value(rng, graphql_type), graphql_type)
        fast = convert_argument(coerced, python_type, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)
        with _strawberry_alone():
            slow = convert_argument(
                coerced, python_type, SCHEMA.schema_converter.scalar_registry, SCHEMA.config
            )
        assert type(fast) is type(slow) is python_type
        assert fast == slow
        built += 1
    assert built == 60


def test_the_builders_are_installed_and_a_list_is_never_the_one_given():
    from schema.engagements import LogEngagementInput

    assert isinstance(LogEngagementInput.__strawberry_definition__.from_input, _Builder)
    raw = coerce_input_value(
        {
            "clientId": str(uuid.uuid4()),
            "kind": "HOME_VISIT",
            "location": {"latitude": 36.3, "longitude": 43.1},
            "occurredAt": "2026-11-29T08:00:00+03:00",
            "topics": ["water"],
        },
        graphql_schema(SCHEMA).type_map["LogEngagementInput"],
    )
    built = convert_argument(raw, LogEngagementInput, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)
    assert built.topics == ["water"] and built.topics is not raw["topics"]
    assert built.location.latitude == 36.3 and built.notes is None
