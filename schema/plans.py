"""Execution plans: a known kind of query answered without graphql-core's field-by-field execution.

On a small query, graphql-core's execution (a resolver call, an info object, an awaitable check and a
completion step for every field of every object) costs more CPU than the database and the logic
together (see PERFORMANCE.md). A plan is made once per parsed document and operation, when the operation
is one whose whole answer can be computed directly:

- a query with exactly one root field, listed in `_ROOTS`, that takes no field extension or permission
  class and has a plain function behind it (the same function its resolver calls);
- below it, only fields that Strawberry resolves by reading an attribute (no resolver of their own, no
  arguments) and `__typename`, on object types (no interface or union to resolve), selected directly:
  no fragment, no directive, and no response key given twice (no field merging);
- a schema without extensions (they could hook into every field's resolution, which a plan skips).

A plan coerces the variables and the root field's arguments with graphql-core's and Strawberry's own
functions, calls the root function, and builds the answer with each field type's own `serialize`. It only
ever answers a request that succeeds: whenever anything would make an error (variables that do not
coerce, an argument refused by the logic, a null where the schema forbids one, anything unexpected), the
plan gives up and the request goes through ordinary execution, which then reports the error exactly as
it always does. Plans are only made for queries, which change nothing, so running one twice is harmless.
Everything around execution (the transport's checks, authentication, limits, the context's language
and viewer) is the same for both; tests/test_plans.py checks that both answer alike.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Undefined
from strawberry.types.arguments import convert_arguments

from db.faults import is_unavailable
from schema.stations import nearest_stations

_DEFINITION = "strawberry-definition"  # where Strawberry keeps its own definition of a GraphQL field

# Root fields a plan may answer, by GraphQL name: the function the field's resolver calls with the
# request's context and the converted arguments.
_ROOTS: dict[str, Callable[..., Awaitable[Any]]] = {"nearestStations": nearest_stations}


class _GiveUp(Exception):
    """The plan cannot answer this request as ordinary execution would: let ordinary execution do it."""


Complete = Callable[[Any], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    schema: GraphQLSchema
    operation: OperationDefinitionNode
    field: GraphQLField
    node: FieldNode
    key: str
    resolve: Callable[..., Awaitable[Any]]
    arguments: Any  # the Strawberry arguments of the root field
    strawberry: Any  # the strawberry.Schema (scalar registry, config)
    complete: Complete

    async def run(self, variables: dict[str, Any] | None, context: Any) -> ExecutionResult | None:
        """The result of the operation, or None when ordinary execution must answer."""
        coerced = get_variable_values(self.schema, self.operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            return None  # variables that do not coerce: a request error, reported by ordinary execution
        try:
            raw = get_argument_values(self.field, self.node, coerced)
            kwargs = convert_arguments(
                raw,
                self.arguments,
                scalar_registry=self.strawberry.schema_converter.scalar_registry,
                config=self.strawberry.config,
            )
            value = await self.resolve(context, **kwargs)
            return ExecutionResult({self.key: self.complete(value)})
        except Exception as error:  # any failure: ordinary execution runs and reports it as it always
            # does, from a clean slate: a new session, not one whose connection may just have failed
            with contextlib.suppress(Exception):
                await context.close(commit=False)
            if is_unavailable(error):
                raise  # except an unreachable database: ordinary execution would only wait on it again
            return None


def make_plan(strawberry_schema: Any, operation: OperationDefinitionNode) -> Plan | None:
    """A plan for the operation, or None when it must go through ordinary execution."""
    if strawberry_schema.extensions or operation.operation != OperationType.QUERY or operation.directives:
        return None
    schema: GraphQLSchema = strawberry_schema._schema
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode) or selections[0].directives:
        return None
    node = selections[0]
    resolve = _ROOTS.get(node.name.value)
    root = schema.query_type
    if resolve is None or root is None or node.name.value not in root.fields:
        return None
    field = root.fields[node.name.value]
    definition = (field.extensions or {}).get(_DEFINITION)
    if (
        definition is None
        or definition.extensions
        or definition.permission_classes
        or getattr(definition, "exception_handlers", None)
    ):
        return None
    try:
        complete = _completer(field.type, node.selection_set)
    except _GiveUp:
        return None
    return Plan(
        schema,
        operation,
        field,
        node,
        node.alias.value if node.alias else node.name.value,
        resolve,
        definition.arguments,
        strawberry_schema,
        complete,
    )


def _completer(type_: Any, selection_set: SelectionSetNode | None) -> Complete:
    """How to turn a resolved value of `type_` into its answer, as graphql-core's completion would."""
    if isinstance(type_, GraphQLNonNull):
        inner = _completer(type_.of_type, selection_set)

        def non_null(value: Any) -> Any:
            result = inner(value)
            if result is None:
                raise _GiveUp  # a null where the schema forbids one: an error in ordinary execution
            return result

        return non_null
    if isinstance(type_, GraphQLList):
        item = _completer(type_.of_type, selection_set)

        def listed(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                raise _GiveUp
            return [item(v) for v in value]

        return listed
    if is_leaf_type(type_):
        serialize = type_.serialize

        def leaf(value: Any) -> Any:
            if value is None:
                return None
            result = serialize(value)
            if result is None or result is Undefined:
                raise _GiveUp
            return result

        return leaf
    if isinstance(type_, GraphQLObjectType) and selection_set is not None:
        return _object(type_, selection_set)
    raise _GiveUp  # interfaces and unions: their type is resolved per value


def _object(type_: GraphQLObjectType, selection_set: SelectionSetNode) -> Complete:
    definition = (type_.extensions or {}).get(_DEFINITION)
    if definition is None:
        raise _GiveUp
    origin = definition.origin
    # (response key, attribute, completer); no attribute or completer: __typename
    fields: list[tuple[str, str | None, Complete | None]] = []
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives or selection.arguments:
            raise _GiveUp
        key = selection.alias.value if selection.alias else selection.name.value
        if any(key == known for known, _, _ in fields):
            raise _GiveUp  # merged fields: ordinary execution merges them
        name = selection.name.value
        if name == "__typename":
            fields.append((key, None, None))
            continue
        field = type_.fields[name]
        found = (field.extensions or {}).get(_DEFINITION)
        if (
            found is None
            or found.base_resolver is not None
            or found.arguments
            or found.extensions
            or found.permission_classes
        ):
            raise _GiveUp  # a field with logic of its own
        fields.append((key, found.python_name, _completer(field.type, selection.selection_set)))
    type_name = type_.name

    def complete(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, origin):
            raise _GiveUp
        return {
            key: type_name if finish is None else finish(getattr(value, attribute))  # type: ignore[arg-type]
            for key, attribute, finish in fields
        }

    return complete
