"""A compiled operation: made once per document and operation, run for every request that sends it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields
from graphql.execution.values import VariableValues, get_variable_values
from graphql.pyutils import Undefined

from schema.compiled.tree import Build, ObjectRun, Run, Unsupported
from schema.strawberry_internals import graphql_schema

_log = logging.getLogger("markaz.compiled")

# As graphql-core's `execute` (max_coercion_errors): variables stop being coerced after this many errors.
MAX_COERCION_ERRORS = 50
_INTROSPECTION = frozenset({"__schema", "__type"})


class Refused(Exception):
    """Why an operation is left to ordinary execution."""


class CompiledOperation:
    """One query operation of one document, compiled.

    The tree of fields depends on the document and on the values of the variables that @skip/@include
    read, nothing else: it is made on the first request with each combination of those values (for
    most operations, none: one tree) and kept.
    """

    def __init__(
        self, strawberry_schema: Any, document: DocumentNode, operation: OperationDefinitionNode
    ) -> None:
        self.strawberry = strawberry_schema
        self.schema: GraphQLSchema = graphql_schema(strawberry_schema)
        self.document = document
        self.operation = operation
        self.name = operation.name.value if operation.name else None
        self.fragment_definitions: dict[str, FragmentDefinitionNode] = {}
        self.fragments: dict[str, FragmentDetails] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragment_definitions[definition.name.value] = definition
                self.fragments[definition.name.value] = FragmentDetails(definition, None)
        root = self.schema.query_type
        if root is None:
            raise Refused("the schema has no query type")
        self.root_type = root
        self.directive_variables = tuple(sorted(_directive_variables(operation, self.fragment_definitions)))
        self.direct_resolvers = not getattr(
            strawberry_schema.schema_converter, "_exception_handler_specs", True
        )
        self.trees: dict[tuple[Any, ...], ObjectRun] = {}
        self.ways: dict[str, int] = {}
        # Requests answered, and handed over to ordinary execution: the tests assert on them.
        self.answered = 0
        self.handed_over = 0
        self.refused: str | None = None

    async def run(self, variables: dict[str, Any] | None, context: Any) -> ExecutionResult | None:
        """The result ordinary execution would give, or None when it must give it."""
        coerced = get_variable_values(
            self.schema,
            self.operation.variable_definitions or (),
            variables or {},
            max_errors=MAX_COERCION_ERRORS,
            hide_suggestions=False,
        )
        if self.refused is not None:
            self.handed_over += 1
            return None
        if isinstance(coerced, list):
            self.answered += 1
            return ExecutionResult(None, coerced)
        try:
            tree = self.tree(coerced)
        except Unsupported as why:
            _log.debug("operation %s runs through ordinary execution: %s", self.name, why)
            self.refused = str(why)  # the tree cannot be made: not tried again
            self.handed_over += 1
            return None
        run = Run(self, coerced, context)
        audited = len(getattr(context, "audit", ()))
        try:
            data = tree(run, None, None)
            if not isinstance(data, dict):
                data = await data
        except GraphQLError as error:
            run.add_error(error, None)
            data = None
        except Unsupported as why:
            _log.debug("operation %s runs through ordinary execution: %s", self.name, why)
            if audited < len(getattr(context, "audit", ())):
                del context.audit[audited:]  # ordinary execution reads (and audits) it all again
            self.handed_over += 1
            return None
        self.answered += 1
        return ExecutionResult(data, run.errors or None)

    def tree(self, variables: VariableValues) -> ObjectRun:
        key = tuple(variables.coerced.get(name, Undefined) for name in self.directive_variables)
        found = self.trees.get(key)
        if found is None:
            build = Build(
                self.schema, self.strawberry, self.fragments, self.operation, variables, self.direct_resolvers
            )
            collected = collect_fields(
                self.schema, self.fragments, variables, self.root_type, self.operation, False
            )
            found = self.trees[key] = build.object_run(self.root_type, collected.grouped_field_set)
            self.ways = build.ways
        return found


def make_plan(
    strawberry_schema: Any, operation: OperationDefinitionNode, document: DocumentNode | None = None
) -> CompiledOperation | None:
    """The compiled operation, or None when ordinary execution must run it (the reason logged once, at
    debug, here: plans are made once per document)."""
    name = operation.name.value if operation.name else None
    try:
        refuse_early(strawberry_schema, operation, document)
        assert document is not None
        return CompiledOperation(strawberry_schema, document, operation)
    except Refused as why:
        _log.debug("operation %s runs through ordinary execution: %s", name, why)
        return None


def refuse_early(
    strawberry_schema: Any, operation: OperationDefinitionNode, document: DocumentNode | None
) -> None:
    """Raise Refused for what is never compiled."""
    if operation.operation != OperationType.QUERY:
        raise Refused(f"a {operation.operation.value}: mutations and subscriptions run field by field")
    if document is None:
        raise Refused("no document given (its fragments are needed)")
    if strawberry_schema.extensions:
        raise Refused("the schema has extensions, which hook into ordinary execution")
    if operation.directives:
        raise Refused("directives on the operation")
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode) and definition.variable_definitions:
            raise Refused("fragment variables")
    for node in _walk(operation.selection_set, document):
        if isinstance(node, FieldNode) and node.name.value in _INTROSPECTION:
            raise Refused("introspection")


def _walk(selection_set: SelectionSetNode, document: DocumentNode) -> Iterator[Node]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    seen: set[str] = set()
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for selection in current.selections:
            yield selection
            if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)


def _directive_variables(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> set[str]:
    """The variables whose values decide which fields are collected: those @skip and @include read."""
    names: set[str] = set()
    sets = [operation.selection_set, *(f.selection_set for f in fragments.values())]
    for selection_set in sets:
        stack = [selection_set]
        while stack:
            current = stack.pop()
            for selection in current.selections:
                for directive in selection.directives or ():
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            names.add(argument.value.name.value)
                        elif not isinstance(argument.value, BooleanValueNode):
                            names.add("")  # pragma: no cover - validation allows only these
                sub = getattr(selection, "selection_set", None)
                if sub is not None:
                    stack.append(sub)
    return names
