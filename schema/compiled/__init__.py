"""Compiled operations: query operations run from a plan made once per document (docs/compiled-execution.md).

`make_plan(strawberry_schema, operation, document)` gives a `CompiledOperation` whose `run(variables,
context)` returns the ExecutionResult ordinary execution would return (the same data, the same errors in
the same order), or None when ordinary execution must answer; or it gives None for an operation that is
never compiled (mutations, subscriptions, introspection, a schema with extensions).
"""

from schema.compiled.operation import CompiledOperation, make_plan

__all__ = ["CompiledOperation", "make_plan"]
