"""Running GraphQL documents: parse and validate once per distinct document, then execute.

Parsing and validation dominate the cost of a small query (see PERFORMANCE.md), so both results are
kept in a bounded LRU keyed by the document text. The HTTP and WebSocket transports share this. The
shape of each operation (api/limits.py: depth, aliases, cost plan) is worked out once too, before
validation, and documents beyond the limits are refused with the limit named.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
    Visitor,
    execute,
    parse,
    specified_rules,
    visit,
)
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import validate_document

from api.limits import LimitExceeded, Limits, Shape, check_shape, shape_of
from resolvers.messages import message
from resolvers.policy import PASSWORD_CHANGE_FIELDS


@dataclasses.dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed and validated document, or the errors that stopped it."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    operations: dict[str | None, OperationDefinitionNode]
    # Compiled operations by operation name (schema/compiled), made on first use; None: ordinary execution.
    plans: dict[str | None, Any] = dataclasses.field(default_factory=dict, compare=False)
    shapes: dict[str | None, Shape] = dataclasses.field(default_factory=dict)


class Executor:
    """Executes operations against one schema, caching parse + validation per document text."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        cache_size: int = 1000,
        planner: Callable[[OperationDefinitionNode, DocumentNode], Any] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.schema = schema
        # Compiles an operation of a document (or gives None); without it, every operation is executed
        # field by field.
        self.planner = planner
        self.limits = limits or Limits()
        self._cache: OrderedDict[str, Prepared] = OrderedDict()
        self._cache_size = cache_size

    def prepare(self, query: str) -> Prepared:
        found = self._cache.get(query)
        if found is not None:
            self._cache.move_to_end(query)
            return found
        prepared = self._prepare(query)
        self._cache[query] = prepared
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return prepared

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            if "tokens" in error.message:  # graphql-core's "Document contains more than N tokens"
                error = LimitExceeded("tokens", None, self.limits.max_tokens)
            return Prepared(None, (error,), {})
        operations: dict[str | None, OperationDefinitionNode] = {}
        shapes: dict[str | None, Shape] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                name = definition.name.value if definition.name else None
                operations[name] = definition
                # Before validation: validating a document that expands to millions of fields is itself
                # the attack the limits are there to stop.
                shape = shape_of(self.schema, document, definition, self.limits)
                refused = shape if isinstance(shape, LimitExceeded) else check_shape(shape, self.limits)
                if refused is not None:
                    return Prepared(document, (refused,), operations)
                shapes[name] = shape  # type: ignore[assignment]
        errors = validate_document(self.schema, document, (*specified_rules, NoNulCharacter))
        errors = _name_arguments(document, errors)
        return Prepared(document, tuple(errors), operations, shapes=shapes)

    @staticmethod
    def operation(prepared: Prepared, name: str | None) -> OperationDefinitionNode | None:
        if name is None:
            return next(iter(prepared.operations.values())) if len(prepared.operations) == 1 else None
        return prepared.operations.get(name)

    async def execute(
        self, prepared: Prepared, op: OperationDefinitionNode, variables: dict[str, Any] | None, context: Any
    ) -> ExecutionResult:
        viewer = getattr(context, "viewer", None)
        if viewer is not None and viewer.must_change_password and not password_change_only(op):
            # Signed in with a one-time password: nothing but changing it (resolvers/officer_admin.py).
            # A field error of the first root field (data null, HTTP 200), as a refusal is.
            text = message("password_change_required", getattr(context, "lang", "ar"))
            first = op.selection_set.selections[0]
            key = first.alias or first.name if isinstance(first, FieldNode) else None
            refused = GraphQLError(
                text,
                path=[key.value] if key is not None else ["data"],
                extensions={"code": "PASSWORD_CHANGE_REQUIRED"},
            )
            return ExecutionResult(None, [refused])
        if self.planner is not None:
            name = op.name.value if op.name else None
            if name in prepared.plans:
                plan = prepared.plans[name]
            else:
                plan = prepared.plans[name] = self.planner(op, prepared.document)  # type: ignore[arg-type]
            if plan is not None:
                answered = await plan.run(variables, context)
                if answered is not None:
                    return answered
        assert prepared.document is not None  # an operation was found in it
        result = execute(
            self.schema,
            prepared.document,
            variable_values=variables,
            operation_name=op.name.value if op.name else None,
            context_value=context,
            is_awaitable=cast("Any", optimized_is_awaitable),  # a TypeGuard in graphql-core's types
        )
        if optimized_is_awaitable(result):
            result = await result  # type: ignore[misc]
        return result  # type: ignore[return-value]


def password_change_only(op: OperationDefinitionNode) -> bool:
    """Whether an operation asks for nothing but what an officer who must change their password may run
    (resolvers.policy.PASSWORD_CHANGE_FIELDS); fragments at the root are not looked into, but refused."""
    return all(
        isinstance(selection, FieldNode) and selection.name.value in PASSWORD_CHANGE_FIELDS
        for selection in op.selection_set.selections
    )


NUL_TEXT = "Text may not contain the NUL character (U+0000)."


class NoNulCharacter(ValidationRule):
    """PostgreSQL cannot store or compare text holding U+0000: a string with one is refused here, as a
    bad argument, instead of failing in the database."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError(NUL_TEXT, node))


_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def without_suggestions(formatted: dict[str, Any]) -> dict[str, Any]:
    """An error as sent to the client, less graphql-core's "Did you mean 'incidents'?": the names it
    offers map the schema, which in production is open to admins only (resolvers.policy.may_introspect).
    Every suggestion is made by graphql-core's `did_you_mean`, in this one form."""
    text = formatted.get("message")
    if not isinstance(text, str) or "Did you mean" not in text:
        return formatted
    return {**formatted, "message": _SUGGESTION.sub("", text)}


# Variables may nest this deep (the variables object itself is level 1). The deepest input of the schema,
# a MultiPolygon area in a sync batch, needs under 10; thousands of levels would overflow Python's stack
# in anything that walks them recursively (graphql-core's coercion, the cost plan).
MAX_VARIABLES_DEPTH = 32
DEEP_TEXT = f"`variables` may nest at most {MAX_VARIABLES_DEPTH} levels deep."


def variables_problem(variables: Any) -> str | None:
    """What is wrong with decoded JSON variables before anything walks them: nesting deeper than
    MAX_VARIABLES_DEPTH, or U+0000 in a string or key; None when nothing is. Walks with a list of its
    own, never recursion, so no input can exhaust the stack here."""
    stack = [(variables, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return f"`variables`: {NUL_TEXT}"
        elif isinstance(value, dict | list):
            if depth > MAX_VARIABLES_DEPTH:
                return DEEP_TEXT
            if isinstance(value, dict):
                if any("\x00" in key for key in value):
                    return f"`variables`: {NUL_TEXT}"
                value = value.values()
            stack.extend((item, depth + 1) for item in value)
    return None


class _ArgumentPaths(Visitor):
    """Records, for every value written inline in a document, the argument path it belongs to."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: dict[int, str] = {}
        self._stack: list[str] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self._stack.append(node.name.value)

    def leave_argument(self, *_: Any) -> None:
        self._stack.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self._stack.append(node.name.value)

    def leave_object_field(self, *_: Any) -> None:
        self._stack.pop()

    def enter(self, node: Node, *_: Any) -> None:
        if self._stack and isinstance(node, ValueNode):
            self.paths[id(node)] = ".".join(self._stack)


def _name_arguments(document: DocumentNode, errors: list[GraphQLError]) -> list[GraphQLError]:
    """Validation errors about an inline value name the argument it was given for, like `near.latitude`:
    graphql-core says what is wrong with the value but not where it went."""
    if not errors:
        return errors
    visitor = _ArgumentPaths()
    visit(document, visitor)
    named = []
    for error in errors:
        path = visitor.paths.get(id(error.nodes[0])) if error.nodes else None
        if path is None:
            named.append(error)
            continue
        named.append(
            GraphQLError(
                f"Argument '{path}': {error.message}",
                error.nodes,
                error.source,
                error.positions,
                error.path,
                error.original_error,
                {**(error.extensions or {}), "code": "BAD_USER_INPUT", "argument": path},
            )
        )
    return named
