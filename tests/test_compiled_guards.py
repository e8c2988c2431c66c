"""What compiled operations (schema/compiled) rely on in graphql-core and Strawberry, checked so that an
upgrade that changes it fails here first: the GraphQLResolveInfo fields, how Strawberry marks and calls its
resolvers, the leaf coercions' answers, and ordinary execution's behaviour on every kind of failure (a
small schema of its own, built to fail in each way, run through both engines)."""

from __future__ import annotations

import asyncio
import enum
import inspect
import math

import pytest
import strawberry
from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLResolveInfo,
    GraphQLString,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)
from strawberry.execution import optimized_is_awaitable
from strawberry.types.field import StrawberryField

from schema import build_schema
from schema.compiled import CompiledOperation, make_plan
from schema.compiled.tree import fast_coerce
from schema.strawberry_internals import graphql_schema


def test_the_resolve_info_has_the_fields_the_compiled_tree_fills_in_order():
    assert GraphQLResolveInfo._fields == (
        "field_name",
        "field_nodes",
        "return_type",
        "parent_type",
        "path",
        "schema",
        "fragments",
        "root_value",
        "operation",
        "variable_values",
        "context",
        "is_awaitable",
        "abort_signal",
        "async_helpers",
    )


def test_strawberry_marks_basic_fields_and_calls_resolvers_as_the_tree_does():
    schema = graphql_schema(build_schema())
    station = schema.get_type("Station")
    basic = station.fields["name"]
    assert basic.resolve._is_default is True and basic.resolve.__name__ == "_get_basic_result"
    resolver = station.fields["nextChangeAt"]
    assert resolver.resolve._is_default is False and resolver.resolve.__name__ == "_async_resolver"
    # get_result calls the resolver with the arguments the wrapper worked out, and nothing else
    source = inspect.getsource(StrawberryField.get_result)
    assert "self.base_resolver(*args, **kwargs)" in source
    assert "self.default_resolver(source, self.python_name)" in source
    assert build_schema().config.default_resolver is getattr
    # no exception handlers, no schema extensions: the compiled tree calls resolvers directly
    assert not build_schema().schema_converter._exception_handler_specs
    assert not build_schema().extensions


def test_strawberrys_interface_type_check_never_reads_its_info():
    from schema.compiled.tree import is_strawberry_type_check

    check = graphql_schema(build_schema()).get_type("Station").is_type_of
    assert is_strawberry_type_check(check)
    assert list(inspect.signature(check).parameters) == ["obj", "_info"]
    body = inspect.getsource(check)
    assert "_info" not in body.split(":", 1)[1].split("\n", 1)[1]  # named, never used


@pytest.mark.parametrize(
    "type_,values",
    [
        (GraphQLString, ["a", "", "ع", True, 1, 2.5, 1e300]),
        (GraphQLID, ["x", 7, 7.0]),
        (GraphQLBoolean, [True, False, 0, 1, 0.0]),
        (GraphQLFloat, [1.5, 0.0, -2.0, 3, True, "4.5", math.inf, math.nan]),
        (GraphQLInt, [0, 1, -5, 2**31 - 1, -(2**31), 2**31, 7.0, 7.5, True, "8"]),
    ],
)
def test_fast_coercion_answers_as_the_type_does(type_, values):
    fast = fast_coerce(type_)
    for value in values:
        try:
            expected = type_.coerce_output_value(value)
        except Exception as error:
            with pytest.raises(type(error)):
                fast(value)
            continue
        got = fast(value)
        assert got == expected and type(got) is type(expected), value


def test_fast_coercion_of_a_strawberry_enum_answers_as_the_type_does():
    enum_type = graphql_schema(build_schema()).get_type("StationService")
    fast = fast_coerce(enum_type)
    for member in enum_type.wrapped_cls:
        assert fast(member) == enum_type.coerce_output_value(member) == fast(member)
    assert fast("TRAFFIC") == enum_type.coerce_output_value("TRAFFIC")


# --- a small schema that fails in every way ordinary execution knows ---------------------------------


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Thing:
    id: strawberry.ID


@strawberry.type
class Leaf(Thing):
    name: str
    maybe: int | None
    colours: list[Colour]
    required_missing: str | None = None

    @strawberry.field
    def too_big(self) -> int | None:
        return 2**40

    @strawberry.field
    def null_for_required(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def not_a_list(self) -> list[int] | None:
        return 5  # type: ignore[return-value]

    @strawberry.field
    def bad_items(self) -> list[int | None]:
        return [1, "x", 3]  # type: ignore[list-item]

    @strawberry.field
    def bad_required_items(self) -> list[int] | None:
        return [1, None, 3]  # type: ignore[list-item]

    @strawberry.field
    async def slow_failure(self, delay: int = 0) -> str | None:
        await asyncio.sleep(delay / 1000)
        raise ValueError(f"slow failure after {delay}")

    @strawberry.field
    async def slow_required_failure(self) -> str:
        await asyncio.sleep(0)
        raise ValueError("required and failed")

    @strawberry.field
    def echo(self, info: strawberry.Info, word: str = "hi") -> str:
        return f"{word} at {'/'.join(str(p) for p in info.path.as_list())} by {info.context['who']}"


@strawberry.type
class Other(Thing):
    colour: Colour


@strawberry.type
class Query:
    @strawberry.field
    async def things(self) -> list[Thing]:
        return [Leaf(id="1", name="one", maybe=None, colours=[Colour.RED]), Other(id="2", colour=Colour.BLUE)]

    @strawberry.field
    async def leaves(self) -> list[Leaf] | None:
        return [Leaf(id=str(i), name=f"n{i}", maybe=i, colours=[Colour.BLUE, Colour.RED]) for i in range(3)]

    @strawberry.field
    def leaf(self) -> Leaf | None:
        return Leaf(id="9", name="nine", maybe=9, colours=[])

    @strawberry.field
    def wrong_type(self) -> Leaf | None:
        return Other(id="3", colour=Colour.RED)  # type: ignore[return-value]

    @strawberry.field
    def unresolvable(self) -> Thing | None:
        return "a string"  # type: ignore[return-value]


FAILURES = {
    "leaf errors": "{ leaf { id tooBig nullForRequired } }",
    "bubbling through a list": "{ leaves { id nullForRequired } }",
    "items": "{ leaf { notAList badItems badRequiredItems } }",
    "async failures, in order": (
        "{ leaves { a: slowFailure(delay: 3) b: slowFailure(delay: 1) c: slowFailure } }"
    ),
    "async bubbling": "{ leaves { slowRequiredFailure slowFailure } leaf { name } }",
    "interfaces": "{ things { __typename id ... on Leaf { name colours } ... on Other { colour } } }",
    "wrong type": "{ wrongType { id } unresolvable { id } }",
    "info": '{ leaf { echo a: echo(word: "x") } leaves { echo } }',
    "directives": "query($x: Boolean!) { leaf { id @include(if: $x) name @skip(if: $x) } }",
    "merged": "{ leaf { id } leaf { name } l: leaf { ...F } } fragment F on Leaf { maybe colours }",
}


@pytest.mark.parametrize("what", sorted(FAILURES))
@pytest.mark.parametrize("variables", [{"x": True}, {"x": False}, {}])
async def test_the_compiled_tree_fails_as_ordinary_execution_does(what, variables):
    schema = strawberry.Schema(query=Query, types=[Leaf, Other])
    document = parse(FAILURES[what])
    assert validate(graphql_schema(schema), document) == []
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    context = {"who": "tester"}
    ordinary = execute(
        graphql_schema(schema),
        document,
        variable_values=variables,
        context_value=context,
        is_awaitable=optimized_is_awaitable,
    )
    if optimized_is_awaitable(ordinary):
        ordinary = await ordinary
    plan = make_plan(schema, operation, document)
    assert isinstance(plan, CompiledOperation)
    compiled = await plan.run(variables, context)
    assert compiled is not None and plan.handed_over == 0
    assert compiled.data == ordinary.data
    assert [e.formatted for e in compiled.errors or ()] == [e.formatted for e in ordinary.errors or ()]


@strawberry.type
class Streaming:
    @strawberry.field
    async def numbers(self) -> list[int]:
        async def numbers():
            for n in range(3):
                yield n

        return numbers()  # type: ignore[return-value]


async def test_what_the_tree_does_not_mirror_is_handed_over_to_ordinary_execution():
    schema = strawberry.Schema(query=Streaming)
    document = parse("{ numbers }")
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    plan = make_plan(schema, operation, document)
    assert isinstance(plan, CompiledOperation)
    assert await plan.run({}, None) is None and plan.handed_over == 1
    ordinary = await execute(graphql_schema(schema), document, is_awaitable=optimized_is_awaitable)
    assert ordinary.data == {"numbers": [0, 1, 2]}
