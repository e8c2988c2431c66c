"""Input objects built from plans made once per type, instead of by Strawberry's generic conversion.

Strawberry turns a GraphQL input value into its input classes by walking the type at every request: it
resolves each field's annotation, names the field, and asks what kind of type it is, for every field of
every object of every list. For a 500-entry sync batch that walk was a fifth of the server's time.
Strawberry lets an input type build its own value (`StrawberryObjectDefinition.from_input`); `install`
gives every input type of the schema a builder that does the same conversion with the names, types and
converters found on first use. Whatever the plan does not know (Maybe fields, global IDs, types of
other kinds) goes to Strawberry's own `convert_argument`, so the result is always what Strawberry makes;
tests/test_input_builders.py checks that on the inputs of every mutation the app has.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import strawberry
from strawberry.scalars import is_scalar
from strawberry.types.unset import UNSET

from schema.strawberry_internals import (
    GlobalID,
    InputContext,
    LazyType,
    StrawberryEnumDefinition,
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    convert_argument,
    has_enum_definition,
    has_object_definition,
)

Convert = Callable[[Any, InputContext], Any]


def install(schema: strawberry.Schema) -> None:
    """Give each input type of `schema` its builder (once: the types are shared by every schema)."""
    for concrete in list(schema.schema_converter.type_map.values()):
        definition = concrete.definition
        if (
            isinstance(definition, StrawberryObjectDefinition)
            and definition.is_input
            and definition.from_input is None
            and not definition.is_graphql_generic
        ):
            definition.from_input = _Builder(definition, schema)


class _Builder:
    """`from_input` of one input type: the field plan is made on first use, when every type is known."""

    def __init__(self, definition: StrawberryObjectDefinition, schema: strawberry.Schema) -> None:
        self.definition = definition
        self.registry = schema.schema_converter.scalar_registry
        self.config = schema.config
        self.plan: tuple[tuple[str, str, Convert], ...] | None = None
        # As Strawberry does: fields without a default are None unless given (required ones always are).
        self.nones = {
            f.python_name: None
            for f in definition.fields
            if f.default_value is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }

    def __call__(self, cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        plan = self.plan
        if plan is None:
            plan = self.plan = tuple(
                (
                    self.config.name_converter.from_field(f),
                    f.python_name,
                    self._converter(
                        f.resolve_type(type_definition=self.definition),
                        self.config.name_converter.from_field(f),
                    ),
                )
                for f in self.definition.fields
            )
        kwargs = dict(self.nones)
        for graphql_name, python_name, convert in plan:
            if graphql_name in value:
                kwargs[python_name] = convert(value[graphql_name], context)
        return cls(**kwargs)

    def _converter(self, type_: Any, key: str | int) -> Convert:
        """How to convert a value of `type_` found under `key`, in the order `convert_argument` decides."""
        if isinstance(type_, StrawberryMaybe):
            return self._strawberry(type_, key)
        if isinstance(type_, StrawberryOptional):
            return self._converter(type_.of_type, key)  # None and UNSET pass below, as there
        if isinstance(type_, LazyType):
            return self._converter(type_.resolve_type(), key)
        if isinstance(type_, StrawberryList):
            if self._leaf(type_.of_type):
                return _unset_or_none(list)  # a copy: graphql-core shares defaults between requests
            item = self._converter(type_.of_type, 0)
            return _unset_or_none(lambda items, context: [item(x, context) for x in items], with_context=True)
        if type_ is GlobalID:
            return self._strawberry(type_, key)
        if (
            is_scalar(type_, self.registry)
            or isinstance(type_, StrawberryEnumDefinition)
            or has_enum_definition(type_)
        ):
            return _as_it_is
        if has_object_definition(type_):
            definition = type_.__strawberry_definition__
            build = definition.from_input
            if build is None:
                return self._strawberry(type_, key)
            registry, config = self.registry, self.config

            def nested(value: Any, context: InputContext) -> Any:
                inner = InputContext(
                    info=context.info, config=config, scalar_registry=registry, path=(*context.path, key)
                )
                return build(type_, value, inner)

            return _unset_or_none(nested, with_context=True)
        return self._strawberry(type_, key)

    def _leaf(self, type_: Any) -> bool:
        """Items that need no converting, optional or not (Strawberry's test; GlobalIDs are decoded)."""
        if type_ is GlobalID:
            return False
        if isinstance(type_, StrawberryOptional):
            type_ = type_.of_type
        while isinstance(type_, LazyType):
            type_ = type_.resolve_type()
        return is_scalar(type_, self.registry) or isinstance(type_, StrawberryEnumDefinition)

    def _strawberry(self, type_: Any, key: str | int) -> Convert:
        registry, config = self.registry, self.config
        return lambda value, context: convert_argument(
            value, type_, registry, config, context.info, path=(*context.path, key)
        )


def _as_it_is(value: Any, context: InputContext) -> Any:
    return value  # scalars and enums: graphql-core has parsed them already


def _unset_or_none(convert: Callable[..., Any], *, with_context: bool = False) -> Convert:
    if with_context:
        return lambda value, context: value if value is None or value is UNSET else convert(value, context)
    return lambda value, context: value if value is None or value is UNSET else convert(value)
