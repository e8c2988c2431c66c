"""Every operation the mobile apps ship validates against the live schema (one named operation a file)."""

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, validate

from schema import build_schema
from schema.strawberry_internals import graphql_schema

OPERATIONS = sorted((Path(__file__).parent.parent / "mobile_contract" / "operations").rglob("*.graphql"))


def test_there_are_operations_for_each_app():
    apps = {path.parent.name for path in OPERATIONS}
    assert apps == {"citizen", "officer", "supervisor"}


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_operation_validates_and_is_named_after_its_file(path):
    document = parse(path.read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1 and operations[0].name is not None
    assert operations[0].name.value == path.stem
    assert validate(graphql_schema(build_schema()), document) == []
