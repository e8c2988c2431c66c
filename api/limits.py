"""Query limits, worked out before anything runs: tokens, fields, depth, aliases and cost.

    limits = Limits(max_depth=12, max_aliases=30, max_cost=10_000)
    shape = shape_of(schema, document, operation, limits)   # once per document (cached with it)
    cost = shape.cost(variables)                             # per request: a few arithmetic steps

The shape walks the operation with its fragments expanded, so an alias or a level of nesting hidden in
a fragment counts every time the fragment is used. The walk itself stops at `max_fields`, which
protects against fragments that double at each level (a few hundred tokens can otherwise expand to
millions of fields, and graphql-core's validation of overlapping fields is quadratic in them): the shape
is taken before validation for that reason.

Cost, in points, estimates the work of an operation, the way GitHub and Shopify bound theirs: a field
of object type costs 1, a scalar 0 (and so does an object that is a value within its parent's row,
`FREE_TYPES`, like an error or a point); a list of objects multiplies its own cost by its length, taken from
`first` (a connection's edges use their connection's `first`), the number of `ids` asked for, a known
bound (`LIST_BOUNDS`), or `DEFAULT_LIST_BOUND`; a mutation adds `MUTATION_COST`. Nested lists multiply.
Introspection (`__schema`, `__type`) is left out of depth and cost: it is bounded by the schema, and
in production only admins may run it. `__typename` is free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)

from resolvers import policy

MAX_PAGE = 100  # resolvers.errors.check_first refuses larger pages
DEFAULT_PAGE = 20  # what the list resolvers use when `first` is not given
DEFAULT_LIST_BOUND = 10
MUTATION_COST = 10
# Lists of objects without `first`, bounded by the data they hold (the input limits of resolvers/);
# a string names an argument of the parent field whose length bounds the list.
LIST_BOUNDS: dict[str, int | str] = {
    "Query.governorates": 18,
    "Officer.governorates": 18,
    "Station.closures": 20,
    "Patrol.officers": 10,
    "Incident.assignedOfficers": 10,
    "Incident.statusHistory": 20,
    "Engagement.followUps": 20,
    "SyncFieldLogPayload.results": "input.entries",
    # corrections and follow-up actions (issue 14): a record's history, like its status history; an
    # officer's live sign-ins (resolvers.sessions.MAX_SESSIONS lists at most 100)
    "Incident.corrections": 20,
    "Engagement.corrections": 20,
    "Incident.followUps": 20,
    "Query.mySessions": 100,
}
# Lists longer than MAX_PAGE, sized by their parent field's `first`: (the most it may ask, its default).
# deviceChanges sends the phone's working set in pages of up to 1000 (resolvers/device_sync.py); a larger
# `first` is refused by the resolver, naming it.
BULK_PAGES: dict[str, tuple[int, int]] = {"DeviceChanges.changes": (1000, 500)}
# Objects that are values carried in their parent's row, costing no work of their own.
FREE_TYPES = frozenset(
    {"UserError", "GeoPoint", "LocalizedText", "Attendees", "PageInfo", "Person", "OpeningPeriod"}
)


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """The bounds an operation must stay within (defaults let every shipped mobile operation pass)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 10_000
    max_fields: int = 2000

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
        )


class LimitExceeded(GraphQLError):
    """A request error naming the limit, the operation's value (when known) and the maximum."""

    def __init__(self, limit: str, value: int | None, maximum: int) -> None:
        if value is None:
            text = f"The operation exceeds the {limit} limit of {maximum}."
        else:
            text = f"The operation's {limit} is {value}; the limit is {maximum}."
        extensions: dict[str, Any] = {"code": "LIMIT_EXCEEDED", "limit": limit, "max": maximum}
        if value is not None:
            extensions["value"] = value
        super().__init__(text, extensions=extensions)


Multiplier = int | Callable[[dict[str, Any]], int]


@dataclasses.dataclass(frozen=True, slots=True)
class _Node:
    """One field of object type in the cost plan: `multiplier × (1 + children) + extra`."""

    multiplier: Multiplier
    children: tuple[_Node | int, ...]
    extra: int = 0

    def cost(self, variables: dict[str, Any]) -> int:
        m = self.multiplier if isinstance(self.multiplier, int) else self.multiplier(variables)
        inner = 1
        for child in self.children:
            inner += child if isinstance(child, int) else child.cost(variables)
        return m * inner + self.extra


@dataclasses.dataclass(frozen=True, slots=True)
class Shape:
    """What the limits need to know of one operation, worked out once per document."""

    depth: int
    aliases: int
    fields: int
    introspection: bool
    plan: tuple[_Node | int, ...]
    defaults: dict[str, Any]

    def cost(self, variables: dict[str, Any] | None) -> int:
        values = {**self.defaults, **variables} if variables else self.defaults
        total = 0
        for part in self.plan:
            total += part if isinstance(part, int) else part.cost(values)
        return total


def check_shape(shape: Shape, limits: Limits) -> LimitExceeded | None:
    if shape.depth > limits.max_depth:
        return LimitExceeded("depth", shape.depth, limits.max_depth)
    if shape.aliases > limits.max_aliases:
        return LimitExceeded("aliases", shape.aliases, limits.max_aliases)
    return None


def check_request(
    shape: Shape, variables: dict[str, Any] | None, limits: Limits, *, viewer: Any, production: bool
) -> tuple[int, GraphQLError | None]:
    """The operation's cost with these variables, and the error refusing it (cost over budget, or
    introspection by someone the policy does not allow)."""
    if shape.introspection and not policy.may_introspect(viewer, production=production):
        return 0, GraphQLError("Introspection is not available.", extensions={"code": "FORBIDDEN"})
    try:
        cost = shape.cost(variables)
    except (TypeError, AttributeError):  # variables of the wrong shape: coercion reports them by name
        return 0, None
    return cost, (LimitExceeded("cost", cost, limits.max_cost) if cost > limits.max_cost else None)


class _TooManyFields(Exception):
    pass


class _Walker:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, max_fields: int) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.max_fields = max_fields
        self.fields = 0
        self.aliases = 0
        self.depth = 0
        self.introspection = False

    def selections(
        self,
        parent_type: Any,
        selection_set: SelectionSetNode | None,
        depth: int,
        parent_args: dict[str, Any],
        visiting: frozenset[str],
    ) -> list[_Node | int]:
        """The plan of a selection set; counts fields, aliases and depth on the way."""
        plan: list[_Node | int] = []
        if selection_set is None:
            return plan
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                node = self.field(parent_type, selection, depth, parent_args, visiting)
                if node:
                    plan.append(node)
            elif isinstance(selection, InlineFragmentNode):
                inner = parent_type
                if selection.type_condition is not None:
                    inner = self.schema.get_type(selection.type_condition.name.value) or parent_type
                plan.extend(self.selections(inner, selection.selection_set, depth, parent_args, visiting))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visiting:  # unknown or cyclic: validation reports it
                    continue
                inner = self.schema.get_type(fragment.type_condition.name.value) or parent_type
                plan.extend(
                    self.selections(inner, fragment.selection_set, depth, parent_args, visiting | {name})
                )
        return plan

    def field(
        self,
        parent_type: Any,
        node: FieldNode,
        depth: int,
        parent_args: dict[str, Any],
        visiting: frozenset[str],
    ) -> _Node | int | None:
        self.fields += 1
        if self.fields > self.max_fields:
            raise _TooManyFields
        if node.alias is not None:
            self.aliases += 1
        name = node.name.value
        if name.startswith("__"):
            self.introspection = self.introspection or name in ("__schema", "__type")
            # Its fields count towards `max_fields` (they are walked and validated too), not its depth.
            depth_so_far = self.depth
            self.selections(None, node.selection_set, depth + 1, {}, visiting)
            self.depth = depth_so_far
            return None
        self.depth = max(self.depth, depth)
        definition = getattr(parent_type, "fields", {}).get(name) if parent_type is not None else None
        if definition is None:  # an unknown field: validation reports it; count what is below it
            self.selections(None, node.selection_set, depth + 1, {}, visiting)
            return None
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        named = get_named_type(field_type)
        if not is_composite_type(named):
            return None
        if named.name in FREE_TYPES:
            self.selections(named, node.selection_set, depth + 1, {}, visiting)
            return None
        args = {arg.name.value: arg.value for arg in node.arguments or ()}
        multiplier: Multiplier = 1
        if isinstance(field_type, GraphQLList):
            multiplier = _list_length(f"{parent_type.name}.{name}", definition, args, parent_args)
        children = tuple(self.selections(named, node.selection_set, depth + 1, args, visiting))
        if isinstance(multiplier, int) and all(isinstance(c, int) for c in children):
            return multiplier * (1 + sum(children))  # type: ignore[arg-type]
        return _Node(multiplier, children)


def _list_length(key: str, definition: Any, args: dict[str, Any], parent_args: dict[str, Any]) -> Multiplier:
    if "first" in definition.args:
        return _page(args.get("first"), definition.args["first"].default_value)
    if "ids" in definition.args:
        return _length(args.get("ids"), (), MAX_PAGE)
    if key in BULK_PAGES:
        high, default = BULK_PAGES[key]
        return _bulk(parent_args.get("first"), high, default)
    bound = LIST_BOUNDS.get(key)
    if isinstance(bound, int):
        return bound
    if isinstance(bound, str):
        argument, *path = bound.split(".")
        return _length(parent_args.get(argument), tuple(path), DEFAULT_LIST_BOUND)
    if "first" in parent_args:  # a connection's edges: as many as the connection's `first`
        return _page(parent_args["first"], None)
    return DEFAULT_LIST_BOUND


def _page(value_node: Any, default: Any) -> Multiplier:
    def size(value: Any) -> int:
        if value is None:
            value = default
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            return DEFAULT_PAGE if value is None else MAX_PAGE
        # A page out of 1..MAX_PAGE is refused by its resolver, naming `first`, before any work.
        return value if 1 <= value <= MAX_PAGE else 1

    if value_node is None:
        return size(None)
    return _thunk(value_node, size)


def _bulk(value_node: Any, high: int, default: int) -> Multiplier:
    def size(value: Any) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            return high
        return value if 1 <= value <= high else 1  # out of range: refused by the resolver, naming `first`

    if value_node is None:
        return default
    return _thunk(value_node, size)


def _length(value_node: Any, path: tuple[str, ...], default: int) -> Multiplier:
    def size(value: Any) -> int:
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return default
        return len(value) if isinstance(value, list) else 1  # one value stands for a list of one

    if value_node is None:
        return default
    return _thunk(value_node, size)


def _thunk(value_node: Any, size: Callable[[Any], int]) -> Multiplier:
    """The size now when the argument is written inline, else a function of the request's variables."""
    from graphql import VariableNode

    def value(variables: dict[str, Any] | None) -> Any:
        found = value_from_ast_untyped(value_node, variables)
        return None if found is Undefined else found

    if isinstance(value_node, VariableNode) or _has_variable(value_node):
        return lambda variables: size(value(variables))
    return size(value(None))


def _has_variable(value_node: Any) -> bool:
    from graphql import ListValueNode, ObjectValueNode, VariableNode

    if isinstance(value_node, VariableNode):
        return True
    if isinstance(value_node, ListValueNode):
        return any(_has_variable(v) for v in value_node.values)
    if isinstance(value_node, ObjectValueNode):
        return any(_has_variable(f.value) for f in value_node.fields)
    return False


def shape_of(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, limits: Limits
) -> Shape | LimitExceeded:
    """The shape of one operation of a parsed (not necessarily valid) document, or the fields limit."""
    walker = _Walker(schema, document, limits.max_fields)
    root = schema.get_root_type(operation.operation)
    try:
        plan = walker.selections(root, operation.selection_set, 1, {}, frozenset())
    except _TooManyFields:
        return LimitExceeded("fields", None, limits.max_fields)
    if operation.operation == OperationType.MUTATION:
        plan = [
            p + MUTATION_COST if isinstance(p, int) else dataclasses.replace(p, extra=p.extra + MUTATION_COST)
            for p in plan
        ]
    defaults = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            defaults[definition.variable.name.value] = value_from_ast_untyped(definition.default_value, None)
    return Shape(walker.depth, walker.aliases, walker.fields, walker.introspection, tuple(plan), defaults)
