"""What Markaz relies on in Strawberry beyond its documented API (schema/strawberry_internals.py), checked
against the installed Strawberry. A failure names what changed: mend schema/strawberry_internals.py (and
what it serves) before raising the pin in pyproject.toml.

Besides the names of that module, this checks the few undocumented names other modules import directly
(api/executor.py, schema/compiled), so a Strawberry upgrade is judged here in one place."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from importlib.metadata import version

import pytest
import strawberry
from graphql import GraphQLSchema, OperationType

from schema import build_schema
from schema import strawberry_internals as internals

STRAWBERRY = version("strawberry-graphql")


def changed(what: str) -> str:
    return f"strawberry-graphql {STRAWBERRY} changed {what}: see schema/strawberry_internals.py"


def parameters(function) -> list[str]:
    return [p for p in inspect.signature(function).parameters if p != "self"]


def test_the_graphql_core_schema_is_at_schema_underscore_schema():
    schema = build_schema()
    assert isinstance(getattr(schema, "_schema", None), GraphQLSchema), changed("Schema._schema")
    assert internals.graphql_schema(schema).query_type.name == "Query", changed("Schema._schema")


def test_a_schema_lists_its_extensions_and_makes_new_instances_per_execution():
    schema = build_schema()
    for name in ("extensions", "directives", "get_extensions", "stream"):
        assert hasattr(schema, name), changed(f"Schema.{name}")
    assert isinstance(schema.get_extensions(), list), changed("Schema.get_extensions() (a list)")
    assert {"query", "variable_values", "context_value", "operation_name", "allowed_operation_types"} <= set(
        parameters(schema.stream)
    ), changed("the parameters of Schema.stream")


def test_the_execution_context_has_the_fields_the_pipeline_sets():
    fields = {f.name for f in dataclasses.fields(internals.ExecutionContext)}
    wanted = {
        "query",
        "schema",
        "allowed_operations",
        "context",
        "variables",
        "graphql_document",
        "pre_execution_errors",
        "result",
        "extensions_results",
    }
    assert wanted <= fields, changed(f"ExecutionContext's fields (missing {sorted(wanted - fields)})")
    assert "provided_operation_name" in parameters(internals.ExecutionContext), changed(
        "ExecutionContext(provided_operation_name=...)"
    )


def test_the_extension_runner_has_its_hooks():
    assert parameters(internals.SchemaExtensionsRunner) == ["execution_context", "extensions"], changed(
        "SchemaExtensionsRunner(execution_context, extensions)"
    )
    for hook in ("operation", "parsing", "validation", "executing", "get_extensions_results"):
        assert callable(getattr(internals.SchemaExtensionsRunner, hook, None)), changed(
            f"SchemaExtensionsRunner.{hook}"
        )
    assert callable(getattr(internals.SchemaExtension, "resolve", None)), changed("SchemaExtension.resolve")


async def test_the_hooks_run_in_strawberrys_order_and_give_their_results():
    from strawberry.extensions import SchemaExtension

    from api.executor import Executor
    from api.pipeline import ExtensionHooks, Operation
    from schema import make_schema

    seen: list[str] = []

    class Recorder(SchemaExtension):
        def on_operation(self):
            seen.append("operation")
            yield
            seen.append("operation done")

        def on_parse(self):
            seen.append("parse")
            yield

        def on_validate(self):
            seen.append("validate")
            yield

        def on_execute(self):
            seen.append(f"execute {self.execution_context.operation_name}")
            yield

        def get_results(self):
            return {"recorded": len(seen)}

    class WithRecorder(strawberry.Schema):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, extensions=[Recorder], **kwargs)

    schema = make_schema(WithRecorder)
    executor = Executor(internals.graphql_schema(schema))
    prepared = executor.prepare("query Q { __typename }")
    op = executor.operation(prepared, None)
    assert op is not None and op.operation == OperationType.QUERY

    async def execute():
        seen.append("executor")
        return await executor.execute(prepared, op, None, None)

    result, extensions = await ExtensionHooks(schema).run(Operation(prepared, op, []), None, None, execute)
    assert result.data == {"__typename": "Query"}
    assert seen == ["operation", "parse", "validate", "execute Q", "executor", "operation done"], changed(
        "the order of the extension hooks"
    )
    assert extensions == {"recorded": 6}, changed("SchemaExtension.get_results")


def test_the_transport_ws_handler_has_what_the_subclass_overrides_and_calls():
    handler = internals.TransportWSHandler
    overridden_or_called = {
        "send_message": ["message"],
        "handle_message": ["message"],
        "handle_connection_init": ["message"],
        "handle_invalid_message": ["error_message"],
        "handle_task_exception": ["error"],
        "shutdown": [],
        "run_operation": ["operation"],
        "_send_result_stream": ["operation", "result_source"],
    }
    for name, wanted in overridden_or_called.items():
        method = getattr(handler, name, None)
        assert callable(method), changed(f"BaseGraphQLTransportWSHandler.{name}")
        assert parameters(method) == wanted, changed(f"BaseGraphQLTransportWSHandler.{name}'s parameters")
    source = inspect.getsource(handler.__init__)
    for attribute in ("self.operations", "self.connection_acknowledged", "self.view", "self.websocket"):
        assert attribute in source, changed(f"BaseGraphQLTransportWSHandler's {attribute}")
    assert issubclass(internals.OperationStreamClosed, Exception), changed("_OperationStreamClosed")
    run = inspect.getsource(handler.run_operation)
    assert "_OperationStreamClosed" in run and "_send_result_stream" in run, changed(
        "how run_operation streams results (api/graphql_ws.py mirrors it)"
    )


def test_the_view_has_the_hooks_the_websocket_half_sets():
    from strawberry.asgi import GraphQL

    for name in ("graphql_transport_ws_handler_class", "decode_json", "get_context", "on_ws_connect"):
        assert hasattr(GraphQL, name), changed(f"strawberry.asgi.GraphQL.{name}")
    assert parameters(GraphQL.on_ws_connect) == ["context"], changed("GraphQL.on_ws_connect(context)")


@pytest.mark.parametrize(
    "module, names",
    [
        (
            "strawberry.types.base",
            [
                "StrawberryList",
                "StrawberryMaybe",
                "StrawberryObjectDefinition",
                "StrawberryOptional",
                "has_object_definition",
            ],
        ),
        ("strawberry.types.arguments", ["InputContext", "convert_argument", "convert_arguments"]),
        ("strawberry.types.enum", ["StrawberryEnumDefinition", "has_enum_definition"]),
        ("strawberry.types.lazy_type", ["LazyType"]),
        ("strawberry.relay.types", ["GlobalID"]),
        ("strawberry.schema.schema", ["validate_document"]),  # api/executor.py
        ("strawberry.execution", ["optimized_is_awaitable"]),  # api/executor.py
    ],
)
def test_the_type_system_names_exist(module, names):
    found = importlib.import_module(module)
    for name in names:
        assert hasattr(found, name), changed(f"{module}.{name}")


def test_input_definitions_carry_what_the_input_builders_read():
    fields = {f.name for f in dataclasses.fields(internals.StrawberryObjectDefinition)}
    wanted = {"fields", "is_input", "from_input", "name"}
    assert wanted <= fields, changed(
        f"StrawberryObjectDefinition's fields (missing {sorted(wanted - fields)})"
    )
    assert isinstance(getattr(internals.StrawberryObjectDefinition, "is_graphql_generic", None), property), (
        changed("StrawberryObjectDefinition.is_graphql_generic")
    )
    assert parameters(internals.convert_argument)[:4] == ["value", "type_", "scalar_registry", "config"], (
        changed("convert_argument's parameters")
    )
