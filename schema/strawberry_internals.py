"""Every use Markaz makes of Strawberry beyond its documented API, in one place.

Strawberry documents its schema (`strawberry.Schema`), its types and fields, `SchemaExtension` and its
views. Markaz needs a few things past those, and each is named here, with why:

- `graphql_schema`: the graphql-core schema Strawberry built (`Schema._schema`), which the executor
  (api/executor.py), the contract checks and the limits walk.
- `extension_runs`: Strawberry's `SchemaExtensionsRunner` and `ExecutionContext`, to run the schema's
  extensions around an execution that Markaz's executor does (api/pipeline.py), as `Schema.execute` would.
- `resolve_hook_extensions`: which extensions hook into field resolution (`SchemaExtension.resolve`).
- `OperationStreamClosed`, `send_result_stream`, `TransportWSHandler`: the graphql-transport-ws handler
  that api/graphql_ws.py subclasses, its private "the client went away" exception and its private
  loop that sends a subscription's results.
- The type-system classes the input builders read (schema/input_builders.py): `strawberry.types.base`,
  `.arguments`, `.enum`, `.lazy_type`, `strawberry.relay.types`.

tests/test_strawberry_internals.py checks each of these against the installed Strawberry (that it exists,
has the signature used, and behaves as relied on) and fails naming what changed; run it first after
raising Strawberry's pin in pyproject.toml.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any

from graphql import GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.relay.types import GlobalID
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    _OperationStreamClosed,
)
from strawberry.types import ExecutionContext
from strawberry.types.arguments import InputContext, convert_argument, convert_arguments
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.types.lazy_type import LazyType

__all__ = [
    "ExtensionRun",
    "GlobalID",
    "InputContext",
    "LazyType",
    "OperationStreamClosed",
    "StrawberryEnumDefinition",
    "StrawberryList",
    "StrawberryMaybe",
    "StrawberryObjectDefinition",
    "StrawberryOptional",
    "TransportWSHandler",
    "convert_argument",
    "convert_arguments",
    "extension_runs",
    "graphql_schema",
    "has_enum_definition",
    "has_object_definition",
    "resolve_hook_extensions",
    "send_result_stream",
]

# Raised inside a subscription's task when its client has gone (Strawberry's handler, private).
OperationStreamClosed = _OperationStreamClosed
TransportWSHandler = BaseGraphQLTransportWSHandler


def graphql_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema of a Strawberry schema."""
    found = schema._schema
    if not isinstance(found, GraphQLSchema):  # pragma: no cover - the test names this change
        raise TypeError("strawberry.Schema._schema is no longer graphql-core's GraphQLSchema")
    return found


@dataclasses.dataclass(slots=True)
class ExtensionRun:
    """The schema's extensions for one execution, and the context they read and write."""

    context: ExecutionContext
    runner: SchemaExtensionsRunner


def extension_runs(schema: Any, operation: Any, variables: dict[str, Any] | None, ctx: Any) -> ExtensionRun:
    """New extension instances for one execution of `operation` (api.pipeline.Operation), as
    `Schema.execute` makes them (one instance per request: an extension may keep state)."""
    op = operation.op
    execution_context = ExecutionContext(
        query=None,
        schema=schema,
        allowed_operations=(StrawberryOperationType(op.operation.value),),
        context=ctx,
        variables=variables,
        provided_operation_name=operation.name,
    )
    extensions = schema.get_extensions()
    for extension in extensions:
        extension.execution_context = execution_context
    return ExtensionRun(execution_context, SchemaExtensionsRunner(execution_context, extensions))


def resolve_hook_extensions(schema: Any) -> list[str]:
    """The names of the schema's extensions that implement `resolve` (field middleware)."""
    names = []
    for extension in schema.extensions:
        kind = extension if isinstance(extension, type) else type(extension)
        if issubclass(kind, SchemaExtension) and kind.resolve is not SchemaExtension.resolve:
            names.append(kind.__name__)
    return names


async def send_result_stream(handler: Any, operation: Any, source: AsyncGenerator[Any, None]) -> None:
    """Send a subscription's results as `next` messages, as Strawberry's handler does."""
    await handler._send_result_stream(operation, source)
