"""The committed schema snapshot is the live schema: a change to the API shows up in review."""

from pathlib import Path

from schema import build_schema
from schema.strawberry_internals import graphql_schema

SNAPSHOT = Path(__file__).parent.parent / "mobile_contract" / "schema.graphql"


def test_schema_snapshot_matches_the_live_schema():
    live = build_schema().as_str() + "\n"
    assert SNAPSHOT.read_text(encoding="utf-8") == live, (
        "mobile_contract/schema.graphql is stale: run `markaz schema --write mobile_contract/schema.graphql` "
        "and review the difference"
    )


def test_every_type_and_field_has_a_description():
    from graphql import GraphQLInputObjectType, GraphQLObjectType

    schema = graphql_schema(build_schema())
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in ("Query", "Mutation", "Subscription"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType):
            if not type_.description:
                missing.append(name)
            missing += [f"{name}.{f}" for f, field in type_.fields.items() if not field.description]
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        if root is not None:
            missing += [f"{root.name}.{f}" for f, field in root.fields.items() if not field.description]
    assert missing == []
