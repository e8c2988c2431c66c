"""The compiled tree of one operation: for every object in the answer, its fields in response order, each
with the way its value is found and completed, worked out once.

Each step mirrors one of graphql-core's executor (graphql/execution/executor.py, 3.3), in the same
order and with the same concurrency, so that the answer, the errors and the order of the errors are
those of ordinary execution:

- `execute_fields`: the fields of an object run in order; those whose value is awaitable are awaited
  together (one task each, `gather_with_cancel`), a single one is awaited directly;
- `execute_field`: arguments, the resolver, completion; an error is located at the field's path and
  nodes, kept when the field is nullable and raised to the parent when it is not;
- `complete_value`: non-null, list (items awaited together), leaf (`coerce_output_value`), abstract
  (`resolve_type`), object (`is_type_of`, then its fields).

What is saved is the work graphql-core repeats for every field of every object: field lookup, info
objects, argument coercion for fields without arguments, the type dispatch of completion, and
Strawberry's generic resolver wrapper (argument conversion, the Info object, extension chain) where the
field has none of what it exists for. A field is resolved in one of three ways:

- a Strawberry field without a resolver of its own (`is_basic_field`): its attribute is read, as
  Strawberry's default resolver does;
- a Strawberry resolver without extensions, permission classes or exception handlers: called as
  Strawberry's wrapper calls it (converted arguments, `self`/root/info parameters, an `Info` around a
  complete GraphQLResolveInfo);
- anything else (a field with extensions or permission classes, a graphql-core resolver): the field's
  own `resolve` with a complete GraphQLResolveInfo, the very call ordinary execution makes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum
from math import isfinite
from types import CoroutineType
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    TypeNameMetaFieldDef,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
    located_error,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_subfields
from graphql.execution.executor import default_type_resolver
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import FieldNode, VariableNode
from graphql.pyutils import Path, Undefined, gather_with_cancel, inspect, is_iterable
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution import optimized_is_awaitable

from schema.strawberry_internals import convert_arguments

DEFINITION = "strawberry-definition"  # where Strawberry keeps its own definition of a GraphQL type or field

# run(state, source, parent path) -> value or coroutine: one field
FieldRun = Callable[["Run", Any, Path | None], Any]
# complete(state, value, path, field path) -> value or coroutine: completion of one value
Complete = Callable[["Run", Any, Path, Path], Any]
# execute(state, source, path) -> dict or coroutine: the fields of one object
ObjectRun = Callable[["Run", Any, Path | None], Any]


class Unsupported(BaseException):
    """Something the tree does not mirror (an async iterable for a list): ordinary execution answers.

    A BaseException, so that no field's error handling turns it into a field error on its way to
    `CompiledOperation.run`."""


class Run:
    """The state of one execution of a compiled operation: what graphql-core's Executor holds."""

    __slots__ = ("_positions", "background", "context", "errors", "helpers", "operation", "variables")

    def __init__(self, operation: Any, variables: VariableValues, context: Any) -> None:
        self.operation = operation  # the CompiledOperation
        self.variables = variables
        self.context = context
        self.errors: list[GraphQLError] = []
        self._positions: set[Path | None] = set()
        self.background: set[asyncio.Future[Any]] = set()
        self.helpers = GraphQLResolveInfoHelpers(gather=self._gather, track=self._track)

    @staticmethod
    def _gather(values: Any) -> Any:
        return gather_with_cancel(*values)

    def _track(self, values: Any) -> None:
        awaitables = [v for v in values if optimized_is_awaitable(v)]
        if awaitables:
            self.settle_in_background(awaitables)

    def add_error(self, error: GraphQLError, path: Path | None) -> None:
        """graphql-core's CollectedErrors.add: an error below a position already nulled is dropped."""
        positions = self._positions
        at = path
        while at is not None:
            if at in positions:
                return
            at = at.prev
        if None in positions:
            return
        positions.add(path)
        self.errors.append(error)

    def field_error(
        self, raw: Exception, return_type: GraphQLOutputType, nodes: list[FieldNode], path: Path
    ) -> None:
        """graphql-core's handle_field_error: raised on to the parent when the type is non-null."""
        error = located_error(raw, nodes, path.as_list())
        if isinstance(return_type, GraphQLNonNull):
            raise error
        self.add_error(error, path)

    def settle_in_background(self, awaitables: list[Any]) -> None:
        future = asyncio.gather(*awaitables, return_exceptions=True)
        self.background.add(future)
        future.add_done_callback(self.background.discard)


class FieldInfo:
    """What the GraphQLResolveInfo of one field holds apart from the request and the path."""

    __slots__ = ("field_name", "nodes", "parent_type", "return_type")

    def __init__(self, field_name: str, nodes: list[FieldNode], return_type: Any, parent_type: Any) -> None:
        self.field_name = field_name
        self.nodes = nodes
        self.return_type = return_type
        self.parent_type = parent_type

    def info(self, run: Run, path: Path) -> GraphQLResolveInfo:
        operation = run.operation
        return GraphQLResolveInfo(
            self.field_name,
            self.nodes,
            self.return_type,
            self.parent_type,
            path,
            operation.schema,
            operation.fragment_definitions,
            None,  # root value: the executor passes none
            operation.operation,
            run.variables,
            run.context,
            optimized_is_awaitable,  # type: ignore[arg-type]
            None,  # no abort signal
            run.helpers,
        )


class Build:
    """What making a tree needs: the schema, the document's fragments, the variables the collection
    depends on (through @skip/@include), and how Strawberry resolves."""

    def __init__(
        self,
        schema: GraphQLSchema,
        strawberry_schema: Any,
        fragments: dict[str, FragmentDetails],
        operation: OperationDefinitionNode,
        variables: VariableValues,
        direct_resolvers: bool,
    ) -> None:
        self.schema = schema
        self.strawberry = strawberry_schema
        self.fragments = fragments
        self.operation = operation
        self.variables = variables
        # False when the schema has exception handlers: every resolver then goes through Strawberry's
        # wrapper, which applies them.
        self.direct_resolvers = direct_resolvers
        self.fields_planned = 0
        self.ways: dict[str, int] = {"attribute": 0, "resolver": 0, "resolve": 0, "typename": 0}

    def object_run(self, type_: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> ObjectRun:
        runs: list[tuple[str, FieldRun]] = []
        for key, details in grouped.items():
            run_field = self.field_run(type_, key, details)
            if run_field is not None:
                runs.append((key, run_field))
        return _execute_fields(tuple(runs))

    def subfields(self, type_: GraphQLObjectType, details: list[FieldDetails]) -> ObjectRun:
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, type_, details, False
        )
        return self.object_run(type_, collected.grouped_field_set)

    def field_run(self, parent: GraphQLObjectType, key: str, details: list[FieldDetails]) -> FieldRun | None:
        node = details[0].node
        name = node.name.value
        field = self.schema.get_field(parent, name)
        if field is None:
            return None  # as graphql-core: a field the type does not have is left out
        self.fields_planned += 1
        nodes = [d.node for d in details]
        about = FieldInfo(name, nodes, field.type, parent)
        if field is TypeNameMetaFieldDef:
            self.ways["typename"] += 1
            return _constant(parent.name)
        complete = self.completer(field.type, details, about)
        definition: Any = (field.extensions or {}).get(DEFINITION)
        takes_arguments = bool(field.args or node.arguments)
        direct = self.direct_resolvers and definition is not None
        if (
            direct
            and not takes_arguments
            and definition.is_basic_field
            and getattr(field.resolve, "_is_default", False)
            and self.strawberry.config.default_resolver is getattr
        ):
            _check_attribute(parent, definition)
            self.ways["attribute"] += 1
            if is_leaf_type(_nullable(field.type)):
                return _attribute_leaf(definition.python_name, key, parent.name, field.type, nodes)
            return _attribute(definition.python_name, key, parent.name, field.type, nodes, complete)
        if (
            direct
            and definition.base_resolver is not None
            and not definition.extensions
            and not getattr(definition, "permission_classes", None)
        ):
            self.ways["resolver"] += 1
            return self._resolver(field, definition, key, about, complete, takes_arguments)
        self.ways["resolve"] += 1
        return _resolve(field, key, about, complete, takes_arguments)

    def completer(self, type_: Any, details: list[FieldDetails], about: FieldInfo) -> Complete:
        """graphql-core's complete_value for `type_`, dispatched once."""
        if isinstance(type_, GraphQLNonNull):
            return _non_null(self.completer(type_.of_type, details, about), about)
        if isinstance(type_, GraphQLList):
            item = self.completer(type_.of_type, details, about)
            if is_leaf_type(_nullable(type_.of_type)):
                return _listed_leaves(item, type_.of_type, about)
            return _listed(item, type_.of_type, about)
        if is_leaf_type(type_):
            return _leaf(type_)
        if is_abstract_type(type_):
            return _abstract(self, type_, details, about)
        if is_object_type(type_):
            return _object(type_, self.subfields(type_, details), about)
        raise Unsupported(f"cannot complete a value of type {type_}")  # pragma: no cover

    def _resolver(
        self,
        field: GraphQLField,
        definition: Any,
        key: str,
        about: FieldInfo,
        complete: Complete,
        takes_arguments: bool,
    ) -> FieldRun:
        """A Strawberry resolver, called as Strawberry's resolver wrapper calls it."""
        resolver = definition.base_resolver
        arguments = definition.arguments
        config = self.strawberry.config
        registry = self.strawberry.schema_converter.scalar_registry
        info_class = config.info_class
        self_parameter = resolver.self_parameter is not None
        parent_name = resolver.parent_parameter.name if resolver.parent_parameter else None
        root_name = resolver.root_parameter.name if resolver.root_parameter else None
        info_name = resolver.info_parameter.name if resolver.info_parameter else None
        # Strawberry makes an Info for every call; it is only seen by argument conversion (input types
        # may build their value with it) and by the resolver when it asks for one.
        needs_info = info_name is not None or bool(arguments)
        get_result = definition.get_result
        node = about.nodes[0]
        return_type = field.type
        nodes = about.nodes
        parent_name_of_type = about.parent_type.name

        # Arguments written without variables (or not written at all) are the same at every call: when
        # they convert to plain values (no input objects, which could be changed by the resolver, and
        # which may be built with the Info), they are converted once.
        constant = _constant_arguments(field, node, self.variables, arguments, registry, config)
        if constant is not None:
            needs_info = info_name is not None
            takes_arguments = False  # nothing to work out per call

        def call(run: Run, source: Any, path: Path, raw: dict[str, Any]) -> Any:
            info = info_class(_raw_info=about.info(run, path), _field=definition) if needs_info else None
            if constant is not None:
                kwargs = dict(constant)
            elif arguments:
                kwargs = convert_arguments(raw, arguments, scalar_registry=registry, config=config, info=info)
            else:
                kwargs = {}
            args = [source] if self_parameter else []
            if parent_name is not None:
                kwargs[parent_name] = source
            if root_name is not None:
                kwargs[root_name] = source
            if info_name is not None:
                kwargs[info_name] = info
            return get_result(source, info, args, kwargs)

        if definition.is_async:

            async def resolve_async(run: Run, source: Any, path: Path, raw: dict[str, Any]) -> Any:
                # graphql-core's complete_awaitable_value around Strawberry's async wrapper
                try:
                    result = call(run, source, path, raw)
                    if optimized_is_awaitable(result):
                        result = await result
                    completed = complete(run, result, path, path)
                    if type(completed) is CoroutineType:
                        completed = await completed
                except Exception as raw_error:
                    run.field_error(raw_error, return_type, nodes, path)
                    return None
                return completed

            def run_async(run: Run, source: Any, parent_path: Path | None) -> Any:
                path = Path(parent_path, key, parent_name_of_type)
                try:
                    raw = (
                        get_argument_values(field, node, run.variables, None, False)
                        if takes_arguments
                        else {}
                    )
                except Exception as raw_error:
                    run.field_error(raw_error, return_type, nodes, path)
                    return None
                return resolve_async(run, source, path, raw)

            return run_async

        def run_sync(run: Run, source: Any, parent_path: Path | None) -> Any:
            path = Path(parent_path, key, parent_name_of_type)
            try:
                raw = get_argument_values(field, node, run.variables, None, False) if takes_arguments else {}
                result = call(run, source, path, raw)
                return _after_resolve(run, result, path, return_type, nodes, complete)
            except Exception as raw_error:
                run.field_error(raw_error, return_type, nodes, path)
                return None

        return run_sync


_PLAIN = (str, int, float, bool, type(None), Enum)


def _constant_arguments(
    field: GraphQLField,
    node: FieldNode,
    variables: VariableValues,
    arguments: Any,
    registry: Any,
    config: Any,
) -> dict[str, Any] | None:
    """The converted arguments of a field whose arguments hold no variable, when they are plain values
    (see `_resolver`); None otherwise."""
    if not arguments or _has_variable(node):
        return None
    try:
        raw = get_argument_values(field, node, variables, None, False)
        converted = convert_arguments(raw, arguments, scalar_registry=registry, config=config, info=None)
    except Exception:
        return None  # the error is for each call to make, as ordinary execution does
    if not all(isinstance(v, _PLAIN) for v in raw.values()):
        return None
    if not all(isinstance(v, _PLAIN) for v in converted.values()):
        return None
    return converted


def _has_variable(node: FieldNode) -> bool:
    stack: list[Any] = [a.value for a in node.arguments or ()]
    while stack:
        value = stack.pop()
        if isinstance(value, VariableNode):
            return True
        stack.extend(getattr(value, "values", ()) or ())
        stack.extend(f.value for f in getattr(value, "fields", ()) or ())
    return False


def _check_attribute(parent: GraphQLObjectType, definition: Any) -> None:
    """The round-trip guard of a field read as an attribute: Strawberry's type still declares the field
    under that Python name, with no resolver; otherwise the operation is left to ordinary execution."""
    owner = (parent.extensions or {}).get(DEFINITION)
    declared = {f.python_name: f for f in getattr(owner, "fields", ())}
    found = declared.get(definition.python_name)
    if found is None or found.base_resolver is not None or found.type != definition.type:
        raise Unsupported(f"{parent.name}.{definition.python_name} is not the plain attribute it was")


def _nullable(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _execute_fields(runs: tuple[tuple[str, FieldRun], ...]) -> ObjectRun:
    """graphql-core's execute_fields over fields known in advance."""

    def execute(run: Run, source: Any, path: Path | None) -> Any:
        results: dict[str, Any] = {}
        pending: list[str] | None = None
        try:
            for key, run_field in runs:
                result = run_field(run, source, path)
                results[key] = result
                if type(result) is CoroutineType:
                    if pending is None:
                        pending = [key]
                    else:
                        pending.append(key)
        except Exception:
            if pending:
                run.settle_in_background([results[k] for k in pending])
            raise
        if pending is None:
            return results
        return _await_fields(results, pending)

    return execute


async def _await_fields(results: dict[str, Any], pending: list[str]) -> dict[str, Any]:
    if len(pending) == 1:
        key = pending[0]
        results[key] = await results[key]
    else:
        awaited = await gather_with_cancel(*(results[k] for k in pending))
        results.update(zip(pending, awaited, strict=True))
    return results


def _after_resolve(
    run: Run, result: Any, path: Path, return_type: Any, nodes: list[FieldNode], complete: Complete
) -> Any:
    """The rest of graphql-core's execute_field once the resolver returned (inside its try)."""
    if optimized_is_awaitable(result):
        return _complete_awaitable(run, result, path, return_type, nodes, complete)
    completed = complete(run, result, path, path)
    if type(completed) is CoroutineType:
        return _await_completed(run, completed, path, return_type, nodes)
    return completed


async def _complete_awaitable(
    run: Run, result: Any, path: Path, return_type: Any, nodes: list[FieldNode], complete: Complete
) -> Any:
    try:
        resolved = await result
        completed = complete(run, resolved, path, path)
        if type(completed) is CoroutineType:
            completed = await completed
    except Exception as raw_error:
        run.field_error(raw_error, return_type, nodes, path)
        return None
    return completed


async def _await_completed(
    run: Run, completed: Any, path: Path, return_type: Any, nodes: list[FieldNode]
) -> Any:
    try:
        return await completed
    except Exception as raw_error:
        run.field_error(raw_error, return_type, nodes, path)
        return None


def _constant(value: str) -> FieldRun:
    def typename(run: Run, source: Any, parent_path: Path | None) -> Any:
        return value

    return typename


def _attribute_leaf(
    attribute: str, key: str, parent: str, return_type: Any, nodes: list[FieldNode]
) -> FieldRun:
    """A Strawberry field without a resolver, of a scalar or enum type: the attribute, coerced."""
    non_null = isinstance(return_type, GraphQLNonNull)
    leaf = return_type.of_type if non_null else return_type
    coerce = fast_coerce(leaf)
    null_message = f"Cannot return null for non-nullable field {parent}.{nodes[0].name.value}."

    def attribute_leaf(run: Run, source: Any, parent_path: Path | None) -> Any:
        try:
            value = getattr(source, attribute)
            if value is None or value is Undefined:
                if non_null:
                    raise TypeError(null_message)
                return None
            if isinstance(value, Exception):
                raise value
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise TypeError(_leaf_message(leaf, value, coerced))
            return coerced
        except Exception as raw_error:
            run.field_error(raw_error, return_type, nodes, Path(parent_path, key, parent))
            return None

    return attribute_leaf


def _attribute(
    attribute: str, key: str, parent: str, return_type: Any, nodes: list[FieldNode], complete: Complete
) -> FieldRun:
    """A Strawberry field without a resolver, of an object or list type."""

    def attribute_value(run: Run, source: Any, parent_path: Path | None) -> Any:
        path = Path(parent_path, key, parent)
        try:
            completed = complete(run, getattr(source, attribute), path, path)
            if type(completed) is CoroutineType:
                return _await_completed(run, completed, path, return_type, nodes)
            return completed
        except Exception as raw_error:
            run.field_error(raw_error, return_type, nodes, path)
            return None

    return attribute_value


def _resolve(
    field: GraphQLField, key: str, about: FieldInfo, complete: Complete, takes_arguments: bool
) -> FieldRun:
    """The field's own resolve function, as graphql-core calls it."""
    resolve = field.resolve
    if resolve is None:
        from graphql.execution.executor import default_field_resolver

        resolve = default_field_resolver
    node = about.nodes[0]
    nodes = about.nodes
    return_type = field.type
    parent = about.parent_type.name

    def resolved(run: Run, source: Any, parent_path: Path | None) -> Any:
        path = Path(parent_path, key, parent)
        info = about.info(run, path)
        try:
            args = get_argument_values(field, node, run.variables, None, False) if takes_arguments else {}
            result = resolve(source, info, **args)
            return _after_resolve(run, result, path, return_type, nodes, complete)
        except Exception as raw_error:
            run.field_error(raw_error, return_type, nodes, path)
            return None

    return resolved


def _non_null(inner: Complete, about: FieldInfo) -> Complete:
    message = f"Cannot return null for non-nullable field {about.parent_type}.{about.field_name}."

    def non_null(run: Run, result: Any, path: Path, field_path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        completed = inner(run, result, path, field_path)
        if completed is None:
            raise TypeError(message)
        return completed

    return non_null


def _listed(item: Complete, item_type: Any, about: FieldInfo) -> Complete:
    """graphql-core's complete_list_value and complete_iterable_value."""
    nodes = about.nodes
    not_iterable = (
        f"Expected Iterable, but did not find one for field '{about.parent_type}.{about.field_name}'."
    )

    def listed(run: Run, result: Any, path: Path, field_path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        if hasattr(result, "__aiter__"):
            raise Unsupported("an async iterable for a list")
        if not is_iterable(result):
            raise GraphQLError(not_iterable)
        completed: list[Any] = []
        pending: list[int] | None = None
        index = 0
        try:
            for value in result:
                item_path = Path(path, index, None)
                if optimized_is_awaitable(value):
                    completed.append(
                        _awaitable_item(run, value, item_path, field_path, item, item_type, nodes)
                    )
                    pending = [index] if pending is None else [*pending, index]
                else:
                    try:
                        done = item(run, value, item_path, field_path)
                        if type(done) is CoroutineType:
                            completed.append(_await_completed(run, done, item_path, item_type, nodes))
                            if pending is None:
                                pending = [index]
                            else:
                                pending.append(index)
                        else:
                            completed.append(done)
                    except Exception as raw_error:
                        run.field_error(raw_error, item_type, nodes, item_path)
                        completed.append(None)
                index += 1
        except Exception:
            if pending:
                run.settle_in_background([completed[i] for i in pending])
            raise
        if pending is None:
            return completed
        return _await_items(completed, pending)

    return listed


def _listed_leaves(item: Complete, item_type: Any, about: FieldInfo) -> Complete:
    """A list of scalars or enums: as `_listed` for every list whose items are all plain values (str, int,
    float, bool, or the enum's own members: never awaitable, never null, never an exception) that coerce;
    any other list, and any item that does not coerce, goes the general way, which locates each error at
    its item (coercing a leaf has no effect beyond its value, so starting again changes nothing)."""
    general = _listed(item, item_type, about)
    leaf = _nullable(item_type)
    coerce = fast_coerce(leaf)
    plain: set[type] = {str, int, float, bool}
    wrapped = getattr(leaf, "wrapped_cls", None)
    if isinstance(wrapped, type):
        plain.add(wrapped)

    def listed_leaves(run: Run, result: Any, path: Path, field_path: Path) -> Any:
        if type(result) is not list:
            return general(run, result, path, field_path)
        completed: list[Any] = []
        append = completed.append
        try:
            for value in result:
                if type(value) not in plain:
                    return general(run, result, path, field_path)
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    return general(run, result, path, field_path)
                append(coerced)
        except Exception:
            return general(run, result, path, field_path)
        return completed

    return listed_leaves


async def _awaitable_item(
    run: Run, value: Any, path: Path, field_path: Path, item: Complete, item_type: Any, nodes: list[FieldNode]
) -> Any:
    try:
        resolved = await value
        completed = item(run, resolved, path, field_path)
        if type(completed) is CoroutineType:
            completed = await completed
    except Exception as raw_error:
        run.field_error(raw_error, item_type, nodes, path)
        return None
    return completed


async def _await_items(completed: list[Any], pending: list[int]) -> list[Any]:
    if len(pending) == 1:
        index = pending[0]
        completed[index] = await completed[index]
    else:
        awaited = await gather_with_cancel(*(completed[i] for i in pending))
        for index, value in zip(pending, awaited, strict=True):
            completed[index] = value
    return completed


def _leaf_message(type_: Any, result: Any, coerced: Any) -> str:
    return (
        f"Expected `{inspect(type_)}.coerce_output_value("
        f"{inspect(result)})` to return non-nullable value, returned:"
        f" {inspect(coerced)}"
    )


def fast_coerce(type_: Any) -> Callable[[Any], Any]:
    """`type_.coerce_output_value`, with the answer given at once for the values it returns unchanged
    (a str for String and ID, a bool for Boolean, a finite float for Float, a 32-bit int for Int) and
    remembered for each member of a Strawberry enum (found by a walk over the type's values otherwise).
    tests/test_compiled_operations.py checks each against the type's own function."""
    coerce = type_.coerce_output_value
    if type_ is GraphQLString or type_ is GraphQLID:

        def text(value: Any) -> Any:
            return value if type(value) is str else coerce(value)

        return text
    if type_ is GraphQLBoolean:

        def boolean(value: Any) -> Any:
            return value if type(value) is bool else coerce(value)

        return boolean
    if type_ is GraphQLFloat:

        def number(value: Any) -> Any:
            return value if type(value) is float and isfinite(value) else coerce(value)

        return number
    if type_ is GraphQLInt:

        def integer(value: Any) -> Any:
            return value if type(value) is int and _INT_MIN <= value <= _INT_MAX else coerce(value)

        return integer
    wrapped = getattr(type_, "wrapped_cls", None)
    if isinstance(type_, GraphQLEnumType) and isinstance(wrapped, type) and issubclass(wrapped, Enum):
        names: dict[Any, Any] = {}

        def member(value: Any) -> Any:
            if type(value) is wrapped:
                found = names.get(value)
                if found is None:
                    found = names[value] = coerce(value)
                return found
            return coerce(value)

        return member
    return coerce


_INT_MAX = 2_147_483_647
_INT_MIN = -2_147_483_648


def _leaf(type_: Any) -> Complete:
    coerce = fast_coerce(type_)

    def leaf(run: Run, result: Any, path: Path, field_path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        coerced = coerce(result)
        if coerced is Undefined or coerced is None:
            raise TypeError(_leaf_message(type_, result, coerced))
        return coerced

    return leaf


def _object(type_: GraphQLObjectType, fields: ObjectRun, about: FieldInfo) -> Complete:
    """graphql-core's complete_object_value: `is_type_of` (when the type has one), then its fields."""
    is_type_of = type_.is_type_of
    nodes = about.nodes
    # The check Strawberry gives every type that implements an interface never reads its info: none is
    # made for it (tests/test_compiled_guards.py holds Strawberry to that).
    wants_info = not is_strawberry_type_check(is_type_of)

    def object_value(run: Run, result: Any, path: Path, field_path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        if is_type_of is not None:
            matches = is_type_of(result, about.info(run, field_path) if wants_info else None)  # type: ignore[arg-type]
            if optimized_is_awaitable(matches):
                return _object_after(run, matches, type_, fields, result, path, nodes)
            if not matches:
                raise _invalid_return_type(type_, result, nodes)
        return fields(run, result, path)

    return object_value


async def _object_after(
    run: Run, matches: Any, type_: Any, fields: ObjectRun, result: Any, path: Path, nodes: list[FieldNode]
) -> Any:
    if not await matches:
        raise _invalid_return_type(type_, result, nodes)
    done = fields(run, result, path)
    if type(done) is CoroutineType:
        return await done
    return done


def is_strawberry_type_check(is_type_of: Any) -> bool:
    """Whether `is_type_of` is the one Strawberry makes for a type with interfaces (`_info` unused)."""
    qualname = getattr(is_type_of, "__qualname__", "")
    return (
        qualname.endswith("_get_is_type_of.<locals>.is_type_of")
        and getattr(is_type_of, "__module__", "") == "strawberry.schema.schema_converter"
    )


def _invalid_return_type(type_: Any, result: Any, nodes: list[FieldNode]) -> GraphQLError:
    return GraphQLError(f"Expected value of type '{type_.name}' but got: {inspect(result)}.", nodes)


def _abstract(
    build: Build, type_: GraphQLAbstractType, details: list[FieldDetails], about: FieldInfo
) -> Complete:
    """graphql-core's complete_abstract_value: the runtime type of each value, its fields planned on
    first sight of that type."""
    resolve_type = type_.resolve_type or default_type_resolver
    by_type: dict[str, Complete] = {}
    schema = build.schema

    def for_type(runtime: GraphQLObjectType) -> Complete:
        found = by_type.get(runtime.name)
        if found is None:
            found = by_type[runtime.name] = _object(runtime, build.subfields(runtime, details), about)
        return found

    def abstract(run: Run, result: Any, path: Path, field_path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        info = about.info(run, field_path)
        runtime = resolve_type(result, info, type_)
        if optimized_is_awaitable(runtime):
            return _abstract_after(run, runtime, result, path, field_path, for_type, type_, schema, about)
        return for_type(_valid_runtime_type(runtime, type_, schema, about, result))(
            run, result, path, field_path
        )

    return abstract


async def _abstract_after(
    run: Run,
    runtime: Any,
    result: Any,
    path: Path,
    field_path: Path,
    for_type: Callable[[GraphQLObjectType], Complete],
    type_: Any,
    schema: GraphQLSchema,
    about: FieldInfo,
) -> Any:
    name = await runtime
    done = for_type(_valid_runtime_type(name, type_, schema, about, result))(run, result, path, field_path)
    if type(done) is CoroutineType:
        return await done
    return done


def _valid_runtime_type(
    name: Any, type_: Any, schema: GraphQLSchema, about: FieldInfo, result: Any
) -> GraphQLObjectType:
    """graphql-core's ensure_valid_runtime_type, with its messages."""
    nodes = about.nodes
    where = f"{about.parent_type}.{about.field_name}"
    if name is None:
        raise GraphQLError(
            f"Abstract type '{type_}' must resolve to an Object type at runtime for field '{where}'."
            f" Either the '{type_}' type should provide a 'resolve_type' function or each possible type"
            " should provide an 'is_type_of' function.",
            nodes,
        )
    if not isinstance(name, str):
        raise GraphQLError(
            f"Abstract type '{type_}' must resolve to an Object type at runtime for field '{where}' with"
            f" value {inspect(result)}, received '{inspect(name)}', which is not a valid Object type name.",
            nodes,
        )
    runtime = schema.get_type(name)
    if runtime is None:
        raise GraphQLError(
            f"Abstract type '{type_}' was resolved to a type '{name}' that does not exist inside the schema.",
            nodes,
        )
    if not is_object_type(runtime):
        raise GraphQLError(f"Abstract type '{type_}' was resolved to a non-object type '{name}'.", nodes)
    if not schema.is_sub_type(type_, runtime):
        raise GraphQLError(f"Runtime Object type '{runtime}' is not a possible type for '{type_}'.", nodes)
    return runtime
