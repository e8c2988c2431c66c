"""Fuzzing: queries and mutations generated from the live schema by hypothesis-graphql, sent through the
real app as a citizen, an officer and an administrator, on test_permissions' world.

Whatever is sent: the answer is 200 or 400 (never 500), no error is an unexpected one, no answer holds
a trace, driver or SQL text, and a mutation that was not applied leaves every table as it was (row
counts of all of them), so no failing mutation writes half of itself. Bounded for CI: the examples are
drawn once, derandomized (the same documents every run), a few hundred requests in all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis_graphql as hg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from tests import test_permissions as permissions
from tests.schema_walk import SCHEMA
from tests.test_permissions import World
from tests.test_security import LEAKS, TABLES

world = permissions.world
w = permissions.w

QUERIES_PER_ROLE = 50
MUTATIONS_PER_FIELD = 5
ROLES = ("citizen", "offA", "admin")
# Written although the mutation failed, on purpose: a failed sign-in is counted (throttling).
KEPT_ON_FAILURE = {"login_throttle"}
# ... and audited although it failed, on purpose: a failed sign-in, a wrong current password, a reused
# refresh token (resolvers/auth.py, resolvers/sessions.py).
AUDITED_ON_FAILURE = {"login", "changePassword", "refreshSession"}


def _scalars(ids: list[str]) -> dict[str, st.SearchStrategy]:
    """Our custom scalars, and IDs that are often real ones (else every lookup would just miss)."""
    now = datetime.now(UTC)
    instants = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
    return {
        "ID": st.one_of(st.sampled_from(ids), st.text(max_size=20)).map(nodes.String),
        "UUID": st.one_of(st.uuids().map(str), st.text(max_size=10)).map(nodes.String),
        "DateTime": st.one_of(st.sampled_from([now - timedelta(hours=1), now - timedelta(days=3)]), instants)
        .map(lambda d: d.isoformat())
        .map(nodes.String),
        "Date": st.dates().map(str).map(nodes.String),
        "GeoJSON": st.sampled_from(['{"type": "Point", "coordinates": [43.1, 36.3]}', "{}", "[]"]).map(
            nodes.String
        ),
    }


def _draw(strategy: st.SearchStrategy, count: int) -> list[str]:
    """`count` examples of `strategy`, the same ones every run."""
    drawn: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: str) -> None:
        drawn.append(document)

    collect()
    return drawn


def _documents(w: World) -> tuple[list[str], list[tuple[str, str]]]:
    ids = sorted({i for made in w.records.values() for i in made.values()})
    sdl_schema = SCHEMA
    scalars = _scalars(ids)
    queries = _draw(hg.queries(sdl_schema, custom_scalars=scalars), QUERIES_PER_ROLE)
    mutations = [
        (name, document)
        for name in SCHEMA.mutation_type.fields
        for document in _draw(
            hg.mutations(sdl_schema, fields=[name], custom_scalars=scalars), MUTATIONS_PER_FIELD
        )
    ]
    return queries, mutations


async def _counts(w: World) -> dict[str, int]:
    return {t: await w.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}  # noqa: S608 - fixed names


def _check(response, document: str) -> dict[str, Any]:
    where = f"\n--- document\n{document[:1500]}\n--- answer\n{response.text[:800]}"
    assert response.status_code in (200, 400), f"status {response.status_code}{where}"
    body = response.json()
    raw = json.dumps(body, ensure_ascii=False)
    for leak in LEAKS:
        # Text the document itself sent may come back (a stored description); anything else may not.
        if leak not in document:
            assert leak not in raw, f"leaked {leak!r}{where}"
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
    assert "INTERNAL_SERVER_ERROR" not in codes, f"unexpected error{where}"
    return body


def _applied(body: dict[str, Any], name: str) -> bool:
    """Whether the answer says the mutation (or an entry of a sync batch) was applied."""
    payload = (body.get("data") or {}).get(name) if isinstance(body.get("data"), dict) else None
    if not isinstance(payload, dict):
        return False
    if name == "syncFieldLog":
        return any(r.get("status") in ("APPLIED", None) for r in payload.get("results") or ())
    return payload.get("errors") in ([], None)


async def test_generated_operations_never_fail_badly(w: World) -> None:
    queries, mutations = _documents(w)
    assert len(queries) >= QUERIES_PER_ROLE // 2 and len(mutations) >= len(SCHEMA.mutation_type.fields)
    sent = 0
    for role in ROLES:
        headers = {**w.headers[role], "accept": "application/graphql-response+json"}
        for document in queries:
            response = await w.gql.client.post("/graphql", json={"query": document}, headers=headers)
            _check(response, document)
            sent += 1
        for name, document in mutations:
            if role != "citizen" and name == "logout":
                continue  # it would end the session the rest of the run signs in with
            before = await _counts(w)
            response = await w.gql.client.post("/graphql", json={"query": document}, headers=headers)
            body = _check(response, document)
            sent += 1
            if not _applied(body, name):
                after = await _counts(w)
                changed = {
                    t: (before[t], after[t])
                    for t in TABLES
                    if before[t] != after[t]
                    and t not in KEPT_ON_FAILURE
                    and not (t == "audit_log" and name in AUDITED_ON_FAILURE)
                }
                answer = response.text[:800]
                assert not changed, f"{role}: {name} failed, yet wrote {changed}\n{document}\n{answer}"
    print(f"\nfuzz: {sent} requests; per role {len(queries)} queries, {len(mutations)} mutations")


async def test_a_failing_field_does_not_break_its_siblings_statements(w: World) -> None:
    """A field failing in a non-null position makes GraphQL cancel its siblings, some in the middle of a
    statement: the statement is let finish (db/statements.py), so the connection and the request's
    transaction stay usable (found by the fuzzing above)."""
    ids = json.dumps(sorted(w.records["A"].values()))
    document = f"{{ patrols(first: -5) {{ totalCount }} nodes(ids: {ids}) {{ id }} }}"
    headers = {**w.headers["offA"], "accept": "application/graphql-response+json"}
    for _ in range(3):
        response = await w.gql.client.post("/graphql", json={"query": document}, headers=headers)
        body = _check(response, document)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await w.scalar("SELECT 1") == 1
    assert (await w.gql("{ me { role } }", headers=w.headers["offA"]))["data"]["me"]["role"] == "OFFICER"
