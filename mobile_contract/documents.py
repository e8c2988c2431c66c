"""Operation documents as the apps send them: normalised text, its sha256, and what of the schema it uses.

The normal form is the one Apollo Client puts on the wire: the document printed as graphql-js 16 prints
it (the `graphql` package the apps bundle), with `__typename` appended to every selection set but an
operation's own, unless the set already asks for it. An app built with Apollo then sends, and hashes,
exactly the manifest's text, so a hash-first request hits the safelist without ever sending the document.
graphql-core's own printer follows graphql-js 17 (`{ a: 1 }`, wrapped lists), so the printer is here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    is_input_object_type,
    parse,
    visit,
)
from graphql.language.block_string import print_block_string
from graphql.language.print_string import print_string

_TYPENAME = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())


class _AddTypename(Visitor):
    def enter_selection_set(self, node: SelectionSetNode, _key, parent, *_):
        if isinstance(parent, OperationDefinitionNode):
            return None
        # A set that asks for __typename (or any introspection field) already is left alone, as Apollo does.
        if any(isinstance(s, FieldNode) and s.name.value.startswith("__") for s in node.selections):
            return None
        if isinstance(parent, FieldNode) and any(d.name.value == "export" for d in parent.directives or ()):
            return None
        return SelectionSetNode(selections=(*node.selections, _TYPENAME))


def normalise(text: str) -> str:
    """The wire form of a document (see the module's docstring). Raises GraphQLSyntaxError."""
    document = parse(text, no_location=True)
    return _print(visit(document, _AddTypename()))


_MAX_LINE = 80


def _join(items, separator: str = "") -> str:
    return separator.join(item for item in items if item)


def _wrap(start: str, text: str | None, end: str = "") -> str:
    return f"{start}{text}{end}" if text else ""


def _indent(text: str) -> str:
    return _wrap("  ", text.replace("\n", "\n  "))


def _block(items) -> str:
    return _wrap("{\n", _indent(_join(items, "\n")), "\n}")


def _print(node) -> str:
    """graphql-js 16's `print` for executable documents, string for string."""
    p = _print
    match node.kind:
        case "document":
            return _join((p(d) for d in node.definitions), "\n\n")
        case "operation_definition":
            var_defs = _wrap("(", _join((p(v) for v in node.variable_definitions or ()), ", "), ")")
            name = node.name.value if node.name else ""
            prefix = _join(
                (
                    node.operation.value,
                    _join((name, var_defs)),
                    _join((p(d) for d in node.directives or ()), " "),
                ),
                " ",
            )
            return ("" if prefix == "query" else prefix + " ") + p(node.selection_set)
        case "variable_definition":
            return (
                f"${node.variable.name.value}: {p(node.type)}"
                + _wrap(" = ", p(node.default_value) if node.default_value else "")
                + _wrap(" ", _join((p(d) for d in node.directives or ()), " "))
            )
        case "selection_set":
            return _block(p(s) for s in node.selections)
        case "field":
            prefix = _wrap("", node.alias.value if node.alias else "", ": ") + node.name.value
            args = [p(a) for a in node.arguments or ()]
            line = prefix
            if args:
                joined = ", ".join(args)
                line = (
                    prefix + _wrap("(\n", _indent("\n".join(args)), "\n)")
                    if len(prefix) + len(joined) + 2 > _MAX_LINE
                    else f"{prefix}({joined})"
                )
            return (
                line
                + _wrap(" ", _join((p(d) for d in node.directives or ()), " "))
                + _wrap(" ", p(node.selection_set) if node.selection_set else "")
            )
        case "argument" | "object_field":
            return f"{node.name.value}: {p(node.value)}"
        case "fragment_spread":
            return "..." + node.name.value + _wrap(" ", _join((p(d) for d in node.directives or ()), " "))
        case "inline_fragment":
            condition = _wrap("on ", node.type_condition.name.value if node.type_condition else "")
            return _join(
                ("...", condition, _join((p(d) for d in node.directives or ()), " "), p(node.selection_set)),
                " ",
            )
        case "fragment_definition":
            return (
                f"fragment {node.name.value} on {node.type_condition.name.value} "
                + _wrap("", _join((p(d) for d in node.directives or ()), " "), " ")
                + p(node.selection_set)
            )
        case "int_value" | "float_value" | "enum_value":
            return node.value
        case "string_value":
            return print_block_string(node.value) if node.block else print_string(node.value)
        case "boolean_value":
            return "true" if node.value else "false"
        case "null_value":
            return "null"
        case "variable":
            return "$" + node.name.value
        case "list_value":
            return "[" + ", ".join(p(v) for v in node.values) + "]"
        case "object_value":
            return "{" + ", ".join(p(f) for f in node.fields) + "}"
        case "directive":
            return "@" + node.name.value + _wrap("(", ", ".join(p(a) for a in node.arguments or ()), ")")
        case "named_type":
            return node.name.value
        case "list_type":
            return f"[{p(node.type)}]"
        case "non_null_type":
            return f"{p(node.type)}!"
    raise ValueError(f"not an executable document node: {node.kind}")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def operation_name(document: DocumentNode) -> str | None:
    names = [
        d.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name is not None
    ]
    return names[0] if len(names) == 1 else None


@dataclass
class Usage:
    """The parts of a schema one operation depends on, as schema coordinates (`Type.field`, `Type`)."""

    types: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)  # output fields selected, and input fields sent
    arguments: set[str] = field(default_factory=set)  # Type.field(arg:)

    def touches(self, coordinate: str) -> bool:
        return coordinate in self.types or coordinate in self.fields or coordinate in self.arguments


class _Collect(Visitor):
    def __init__(self, schema: GraphQLSchema, type_info: TypeInfo, usage: Usage) -> None:
        super().__init__()
        self.schema, self.type_info, self.usage = schema, type_info, usage

    def enter_field(self, node: FieldNode, *_):
        parent = self.type_info.get_parent_type()
        definition = self.type_info.get_field_def()
        if parent is None or definition is None or node.name.value.startswith("__"):
            return
        self.usage.types.add(parent.name)
        self.usage.fields.add(f"{parent.name}.{node.name.value}")
        self.usage.types.add(get_named_type(definition.type).name)
        for arg_name, arg in definition.args.items():
            coordinate = f"{parent.name}.{node.name.value}({arg_name}:)"
            given = any(a.name.value == arg_name for a in node.arguments or ())
            # An argument left out still matters: its default value decides the answer.
            if given or arg.default_value is not None:
                self.usage.arguments.add(coordinate)
                _add_input(get_named_type(arg.type), self.usage)

    def enter_inline_fragment(self, node: InlineFragmentNode, *_):
        if node.type_condition is not None:
            self.usage.types.add(node.type_condition.name.value)

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_):
        self.usage.types.add(node.type_condition.name.value)

    def enter_variable_definition(self, node, *_):
        named = node.type
        while hasattr(named, "type"):  # [T!]! down to T
            named = named.type
        type_ = self.schema.get_type(named.name.value)
        if type_ is not None:
            _add_input(type_, self.usage)


def _add_input(type_, usage: Usage, seen: set[str] | None = None) -> None:
    """An input type sent through a variable: the app may set any of its fields, so it uses them all."""
    seen = seen if seen is not None else set()
    usage.types.add(type_.name)
    if not is_input_object_type(type_) or type_.name in seen:
        return
    seen.add(type_.name)
    for name, input_field in type_.fields.items():
        usage.fields.add(f"{type_.name}.{name}")
        _add_input(get_named_type(input_field.type), usage, seen)


def usage_of(schema: GraphQLSchema, document: DocumentNode) -> Usage:
    """What `document` uses of `schema` (the schema it was built against)."""
    usage = Usage()
    type_info = TypeInfo(schema)
    visit(document, TypeInfoVisitor(type_info, _Collect(schema, type_info, usage)))
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            if root is not None:
                usage.types.add(root.name)
    return usage
