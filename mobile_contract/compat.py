"""`markaz contract check`: can the live schema still serve every kept release?

For each kept manifest: every operation must validate against the live schema; graphql-core's breaking
and dangerous changes between the schema the release was built against (and the committed snapshot) and
the live one are matched with what each operation uses, so a finding names the release, the operation
and the reason. A breaking change an operation depends on is an error; a dangerous one a warning (an
error with `strict`). Deprecated fields and arguments still used are listed, and a deprecation without
a reason is an error.
"""

from __future__ import annotations

import dataclasses
import re

from graphql import (
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    is_enum_type,
    is_input_object_type,
    is_interface_type,
    is_object_type,
    parse,
    validate,
)

from mobile_contract.documents import Usage, usage_of
from mobile_contract.releases import Manifest

_DEFAULT_REASON = "No longer supported"
# Change kinds, by the part of the schema they concern (names shared by graphql-core 3.2 and 3.3).
_FIELD_KINDS = {"FIELD_REMOVED", "FIELD_CHANGED_KIND", "INPUT_FIELD_DEFAULT_VALUE_CHANGE"}
_ARG_KINDS = {"ARG_REMOVED", "ARG_CHANGED_KIND", "ARG_DEFAULT_VALUE_CHANGE"}
_ARG_ADDED_KINDS = {"REQUIRED_ARG_ADDED", "OPTIONAL_ARG_ADDED"}
_TYPE_KINDS = {
    "TYPE_REMOVED",
    "TYPE_CHANGED_KIND",
    "TYPE_REMOVED_FROM_UNION",
    "TYPE_ADDED_TO_UNION",
    "VALUE_REMOVED_FROM_ENUM",
    "VALUE_ADDED_TO_ENUM",
    "REQUIRED_INPUT_FIELD_ADDED",
    "OPTIONAL_INPUT_FIELD_ADDED",
    "IMPLEMENTED_INTERFACE_REMOVED",
    "IMPLEMENTED_INTERFACE_ADDED",
}
_NAME = r"[_A-Za-z][_0-9A-Za-z]*"


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Finding:
    level: str  # "error" or "warning"
    release: str  # officer-1.0.0, or "schema" for findings about the schema alone
    operation: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.release}: {self.operation}: " if self.operation else f"{self.release}: "
        return f"{self.level}: {where}{self.reason}"


def _coordinates(description: str) -> tuple[set[str], set[str], set[str]]:
    """Types, `Type.field` and `Type.field(arg:)` named in a change's description, in either
    graphql-core's 3.3 wording (`Argument Q.f(a:) was removed.`) or 3.2's (`Q.f arg a was removed.`)."""
    text = re.sub(rf"({_NAME})\.({_NAME}) arg ({_NAME})", r"\1.\2(\3:)", description)
    text = re.sub(rf"arg ({_NAME}) on ({_NAME})\.({_NAME})", r"\2.\3(\1:)", text)
    arguments = set(re.findall(rf"{_NAME}\.{_NAME}\({_NAME}:\)", text))
    fields = set(re.findall(rf"{_NAME}\.{_NAME}(?![(_0-9A-Za-z])", text))
    fields |= {a.split("(")[0] for a in arguments}
    types = set(re.findall(rf"(?<![.@_0-9A-Za-z]){_NAME}(?![._0-9A-Za-z(])", text))
    types |= {f.split(".")[0] for f in fields}
    return types, fields, arguments


def _affects(kind: str, description: str, usage: Usage) -> bool:
    types, fields, arguments = _coordinates(description)
    if kind in _FIELD_KINDS:
        return bool(fields & usage.fields)
    if kind in _ARG_KINDS:
        return bool(arguments & usage.arguments)
    if kind in _ARG_ADDED_KINDS:
        return bool(fields & usage.fields)
    if kind in _TYPE_KINDS:
        return bool(types & usage.types)
    return False  # directives: the apps' operations use only @skip and @include


def _changes(old: GraphQLSchema, new: GraphQLSchema) -> list[tuple[str, str, str]]:
    """(level, kind, description) of every breaking and dangerous change from `old` to `new`."""
    return [("error", c.type.name, c.description) for c in find_breaking_changes(old, new)] + [
        ("warning", c.type.name, c.description) for c in find_dangerous_changes(old, new)
    ]


def deprecations(schema: GraphQLSchema) -> dict[str, str | None]:
    """Every deprecated field, argument, input field and enum value of the schema, with its reason."""
    found: dict[str, str | None] = {}
    for type_name, type_ in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if is_object_type(type_) or is_interface_type(type_) or is_input_object_type(type_):
            for field_name, field in type_.fields.items():
                if field.deprecation_reason is not None:
                    found[f"{type_name}.{field_name}"] = field.deprecation_reason
                for arg_name, arg in getattr(field, "args", {}).items():
                    if arg.deprecation_reason is not None:
                        found[f"{type_name}.{field_name}({arg_name}:)"] = arg.deprecation_reason
        elif is_enum_type(type_):
            for value_name, value in type_.values.items():
                if value.deprecation_reason is not None:
                    found[f"{type_name}.{value_name}"] = value.deprecation_reason
    return found


def check(
    live: GraphQLSchema, manifests: list[Manifest], snapshot_sdl: str | None = None, *, strict: bool = False
) -> list[Finding]:
    findings: set[Finding] = set()
    snapshot = build_schema(snapshot_sdl) if snapshot_sdl else None
    snapshot_changes = _changes(snapshot, live) if snapshot is not None else []
    deprecated = deprecations(live)
    for coordinate, reason in deprecated.items():
        if not reason or not reason.strip() or reason == _DEFAULT_REASON:
            findings.add(
                Finding(
                    "error",
                    "schema",
                    "",
                    f"{coordinate} is deprecated without a reason: say what to use instead",
                )
            )
    for manifest in manifests:
        built_against = build_schema(manifest.schema_sdl)
        changes = _changes(built_against, live) + snapshot_changes
        for op in manifest.operations:
            document = parse(op.document)
            for error in validate(live, document):
                findings.add(
                    Finding("error", manifest.release, op.name, f"no longer validates: {error.message}")
                )
            usage = usage_of(built_against, document)
            if snapshot is not None:
                snap = usage_of(snapshot, document)
                usage.types |= snap.types
                usage.fields |= snap.fields
                usage.arguments |= snap.arguments
            for level, kind, description in changes:
                if _affects(kind, description, usage):
                    level = "error" if strict else level
                    tag = "breaking" if kind in _BREAKING else "dangerous"
                    findings.add(Finding(level, manifest.release, op.name, f"{description} ({tag}: {kind})"))
            live_usage = usage_of(live, document)
            for coordinate in sorted((live_usage.fields | live_usage.arguments) & deprecated.keys()):
                findings.add(
                    Finding(
                        "warning",
                        manifest.release,
                        op.name,
                        f"uses deprecated {coordinate}: {deprecated[coordinate]}",
                    )
                )
    return sorted(findings)


_BREAKING = {
    "TYPE_REMOVED",
    "TYPE_CHANGED_KIND",
    "TYPE_REMOVED_FROM_UNION",
    "VALUE_REMOVED_FROM_ENUM",
    "REQUIRED_INPUT_FIELD_ADDED",
    "IMPLEMENTED_INTERFACE_REMOVED",
    "FIELD_REMOVED",
    "FIELD_CHANGED_KIND",
    "REQUIRED_ARG_ADDED",
    "ARG_REMOVED",
    "ARG_CHANGED_KIND",
    "DIRECTIVE_REMOVED",
    "DIRECTIVE_ARG_REMOVED",
    "REQUIRED_DIRECTIVE_ARG_ADDED",
    "DIRECTIVE_REPEATABLE_REMOVED",
    "DIRECTIVE_LOCATION_REMOVED",
}
