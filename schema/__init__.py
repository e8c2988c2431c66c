"""The GraphQL schema: Strawberry types per domain, assembled in `root`."""

from __future__ import annotations

from functools import cache

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema import input_builders, root
from schema.engagements import Engagement, FollowUpAction
from schema.incidents import Incident
from schema.media import Attachment
from schema.officers import Officer
from schema.patrols import Patrol
from schema.scalars import SCALARS
from schema.service_requests import ServiceRequest
from schema.stations import Governorate, Station


@cache
def build_schema() -> strawberry.Schema:
    """The one schema of the service, built once per process."""
    return make_schema()


def make_schema(schema_class: type[strawberry.Schema] = strawberry.Schema) -> strawberry.Schema:
    """A new schema of the service's types; the contract tests pass a subclass that changes one."""
    schema = schema_class(
        query=root.Query,
        mutation=root.Mutation,
        subscription=root.Subscription,
        types=[
            Station,
            Governorate,
            Officer,
            Patrol,
            Incident,
            Engagement,
            FollowUpAction,
            ServiceRequest,
            Attachment,
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )
    input_builders.install(schema)
    return schema
