"""Security, with the operations written from the live schema (tests/schema_walk.py), so that a field
added tomorrow is tested without anyone remembering to:

- every root query, with every field below it to three levels, as a citizen: refused, or answered with
  nothing but the public types of `resolvers.policy.CITIZEN_TYPES` (for `CITIZEN_QUERIES`); `node` and
  `nodes` with an object of every type that implements Node;
- the same as officers of another station (and another governorate): nothing of station A appears;
- every mutation as a citizen: refused with nothing written (the sign-in ones: answered, nothing
  signed in); every mutation an officer can call is a row of the permission matrix (test_permissions);
- forged, expired, unsigned, mis-typed and incomplete tokens: 401, also on mutations;
- injection through every string argument and input field: never a 500, nothing leaked, nothing
  changed that the request had no business changing.

The world is test_permissions' (stations A and B in Nineveh, C in Basra, eight accounts, records).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from graphql import GraphQLNonNull

from resolvers.policy import CITIZEN_MUTATIONS, CITIZEN_QUERIES, CITIZEN_TYPES
from schema.node import SHOWN_ID, to_global_id
from tests import schema_walk
from tests import test_permissions as permissions
from tests.schema_walk import SCHEMA, arguments, literal, selection, string_positions
from tests.test_permissions import EXPECTED, World

# The permission matrix's world and its per-test savepoint, as fixtures of this module too.
world = permissions.world
w = permissions.w

LEAKS = (
    "Traceback",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "DELETE ",
    "[SQL",
    "asyncpg",
    "sqlalchemy",
    'File "',
    "psycopg",
    "pg_",
    "password_hash",
)
TABLES = (
    "stations",
    "station_closures",
    "officers",
    "auth_sessions",
    "refresh_tokens",
    "patrols",
    "patrol_fixes",
    "engagements",
    "follow_up_actions",
    "incidents",
    "incident_status_changes",
    "client_requests",
    "audit_log",
    "login_throttle",
    "problems",
    "problem_links",
    "community_meetings",
)
REFUSED = {"UNAUTHENTICATED", "FORBIDDEN"}
# What no refused request may change: failed sign-ins leave their trace (the throttle's count of them,
# and an audit entry each), nothing else does.
UNCHANGED = tuple(
    "(SELECT * FROM audit_log WHERE action <> 'login_failed')" if t == "audit_log" else t
    for t in TABLES
    if t != "login_throttle"
)


def _all_ids(w: World) -> dict[str, str]:
    """A global ID of an object of every Node type (record name -> ID), checked against the schema."""
    ids = {f"{s}.{name}": gid for s, made in w.records.items() for name, gid in made.items()}
    ids |= {f"station {s}": to_global_id("Station", key) for s, key in w.stations.items()}
    ids |= {f"officer {role}": to_global_id("Officer", key) for role, key in w.officers.items()}
    ids["governorate"] = to_global_id("Governorate", "IQ-NI")
    node_types = {t.name for t in SCHEMA.get_possible_types(SCHEMA.get_type("Node"))}
    covered = {base64.b64decode(v).decode().split(":", 1)[0] for v in ids.values()}
    assert node_types <= covered, f"add an object of {node_types - covered} to the world"
    return ids


def _station_a_private(w: World) -> set[str]:
    """IDs only those who may see station A may see: its records and its officers."""
    officers = {to_global_id("Officer", w.officers[r]) for r in ("offA", "offA2", "cmdA")}
    return set(w.records["A"].values()) | officers


def _walk(value: Any, on_object) -> None:
    if isinstance(value, dict):
        on_object(value)
        for inner in value.values():
            _walk(inner, on_object)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, on_object)


def _typenames(data: Any) -> set[str]:
    found: set[str] = set()
    _walk(data, lambda obj: found.add(obj["__typename"]) if "__typename" in obj else None)
    return found


def _ids(data: Any) -> set[str]:
    found: set[str] = set()

    def collect(obj: dict) -> None:
        for key, value in obj.items():
            if (key == "id" or key.endswith("_id")) and isinstance(value, str):
                found.add(value)

    _walk(data, collect)
    return found


def _clean(body: dict, what: str, echo: str = "") -> None:
    """Never an unexpected error, never driver, SQL or Python text (other than `echo`, what was sent)."""
    raw = json.dumps(body, ensure_ascii=False)
    if echo:
        raw = raw.replace(json.dumps(echo, ensure_ascii=False)[1:-1], "")
        # a bad id is quoted back cut short (schema/node.py)
        raw = raw.replace(json.dumps(echo[:SHOWN_ID], ensure_ascii=False)[1:-1] + "…", "")
    for leak in LEAKS:
        assert leak not in raw, f"{what} leaked {leak!r}: {raw[:600]}"
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
    assert "INTERNAL_SERVER_ERROR" not in codes, f"{what}: {raw[:600]}"


def _root_queries(w: World) -> dict[str, str]:
    """Every root query with every field to three levels; node and nodes asked for every kind of object."""
    ids = list(_all_ids(w).values())
    documents = {}
    for name, field in SCHEMA.query_type.fields.items():
        takes_id = "id" in field.args and isinstance(field.args["id"].type, GraphQLNonNull)
        if name == "nodes":
            documents[name] = f"query {{ nodes(ids: {json.dumps(ids)}) {selection(field.type, 3)} }}"
        elif takes_id:  # node(id), station(id), ...: asked for an object of every kind there is
            for label, gid in _all_ids(w).items():
                documents[f"{name}({label})"] = f'query {{ {name}(id: "{gid}") {selection(field.type, 2)} }}'
        else:
            documents[name] = f"query {{ {name}{arguments(field)} {selection(field.type, 3)} }}"
    return documents


async def test_public_lists_name_real_fields() -> None:
    assert CITIZEN_QUERIES <= set(SCHEMA.query_type.fields)
    assert CITIZEN_MUTATIONS <= set(SCHEMA.mutation_type.fields)
    assert CITIZEN_TYPES <= set(SCHEMA.type_map)


async def test_citizens_reach_public_data_only(w: World) -> None:
    for name, document in _root_queries(w).items():
        body = await w.gql(document, headers=w.headers["citizen"])
        _clean(body, name)
        root = name.split("(")[0]
        if root in CITIZEN_QUERIES:
            private = _typenames(body.get("data")) - CITIZEN_TYPES
            assert not private, f"a citizen's {name} reached {private}"
            # station(id) given another kind's id says so; nothing else may go wrong.
            codes = {e["extensions"]["code"] for e in body.get("errors", ())}
            assert codes <= {"BAD_USER_INPUT"}, f"{name}: {body['errors']}"
        else:
            assert (body.get("data") or {}).get(root) is None, f"a citizen got {name}: {body}"
            codes = {e["extensions"]["code"] for e in body.get("errors", ())}
            assert codes and codes <= REFUSED, f"{name} not refused: {body}"
    # The public answers are not empty: the test would prove nothing on an empty world.
    body = await w.gql("query { stations(first: 5) { totalCount } governorates { code } }")
    assert body["data"]["stations"]["totalCount"] >= 3 and body["data"]["governorates"]


@pytest.mark.parametrize("role", ["offB", "supBA"])
async def test_other_stations_see_nothing_of_station_a(w: World, role: str) -> None:
    private = _station_a_private(w)
    seen_anything = False
    for name, document in _root_queries(w).items():
        body = await w.gql(document, headers=w.headers[role])
        _clean(body, f"{role} {name}")
        leaked = _ids(body.get("data")) & private
        assert not leaked, f"{role} saw station A's {leaked} through {name}"
        seen_anything |= bool(_ids(body.get("data")) - {to_global_id("Station", w.stations["A"])})
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
        assert codes <= REFUSED | {"BAD_USER_INPUT"}, f"{role} {name}: {body['errors']}"
    assert seen_anything
    # The control: station A's own officer sees the records through the same documents.
    seen = set()
    for document in _root_queries(w).values():
        seen |= _ids((await w.gql(document, headers=w.headers["offA"])).get("data"))
    assert set(w.records["A"].values()) <= seen


async def _counts(w: World) -> dict[str, int]:
    return {t: await w.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}  # noqa: S608 - fixed names


async def _checksums(w: World, tables=TABLES) -> dict[str, str]:
    sums = {}
    for table in tables:
        sums[table] = await w.scalar(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"  # noqa: S608
        )
    return sums


async def test_every_mutation_refuses_citizens_and_is_in_the_permission_matrix(w: World) -> None:
    officer_mutations = set(SCHEMA.mutation_type.fields) - CITIZEN_MUTATIONS
    missing = officer_mutations - set(EXPECTED)
    assert not missing, f"add {missing} to the permission matrix in tests/test_permissions.py"
    before = await _checksums(w, UNCHANGED)
    for name, field in SCHEMA.mutation_type.fields.items():
        document = f"mutation {{ {name}{arguments(field)} {selection(field.type, 2)} }}"
        body = await w.gql(document, headers=w.headers["citizen"])
        _clean(body, name)
        if name == "submitFeedback":  # anonymous feedback: its made-up input names no station there is
            payload = body["data"][name]
            codes = {e["code"] for e in payload["errors"]}
            assert not payload["accepted"] and codes and codes <= {"INVALID", "NOT_FOUND"}, body
        elif name in CITIZEN_MUTATIONS:
            payload = body["data"][name]
            codes = {e["code"] for e in payload["errors"]}
            assert codes == {"INVALID_CREDENTIALS"}, body
        else:
            assert body.get("data") is None or body["data"].get(name) is None, body
            assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}, body
    assert await _checksums(w, UNCHANGED) == before


# --- tokens --------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(header: dict, claims: dict, key: bytes | None, digest=hashlib.sha256) -> str:
    """A JWT made by hand, so that any header (alg none, RS256, HS512) can be tried."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), digest).digest() if key is not None else b""
    return f"{signing_input}.{_b64(signature)}"


ME = "query { me { id role } }"
REPORT = """mutation R($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id } errors { code } } }"""


async def test_bad_tokens_are_refused(w: World) -> None:
    good = w.headers["offA"]["authorization"].split()[1]
    claims = jwt.decode(good, options={"verify_signature": False})
    key = _signing_key(w).encode()
    now = int(time.time())
    hs256 = {"alg": "HS256", "typ": "JWT"}
    bad = {
        "wrong signature": _token(hs256, claims, b"another key of at least thirty-two characters!"),
        "expired": _token(hs256, {**claims, "exp": now - 5}, key),
        "issued in the future, expired": _token(hs256, {**claims, "iat": now + 3600, "exp": now - 1}, key),
        "alg none": _token({"alg": "none", "typ": "JWT"}, claims, None),
        "alg None": _token({"alg": "None"}, claims, None),
        "alg NONE, signed": _token({"alg": "NONE"}, claims, key),
        "alg RS256 (HS/RS confusion)": _token({"alg": "RS256", "typ": "JWT"}, claims, key),
        "alg HS512 with our key": _token({"alg": "HS512"}, claims, key, hashlib.sha512),
        "alg ES256": _token({"alg": "ES256"}, claims, key),
        "another issuer": _token(hs256, {**claims, "iss": "someone-else"}, key),
        "sub not a number": _token(hs256, {**claims, "sub": "1 OR 1=1"}, key),
        "sid not a uuid": _token(hs256, {**claims, "sid": "' OR 1=1 --"}, key),
        "another officer's session": _token(hs256, {**claims, "sub": str(w.officers["admin"])}, key),
        "signature cut": good[:-4],
        "payload swapped": ".".join(
            [good.split(".")[0], _b64(json.dumps({**claims, "sub": "1"}).encode()), good.split(".")[2]]
        ),
        "garbage": "garbage",
        "empty segments": "..",
    }
    for claim in ("exp", "iat", "sub", "sid", "iss"):
        bad[f"no {claim}"] = _token(hs256, {k: v for k, v in claims.items() if k != claim}, key)
    for label, token in bad.items():
        for document, variables in ((ME, None), (REPORT, {"input": {}})):
            response = await w.gql.client.post(
                "/graphql",
                json={"query": document, "variables": variables},
                headers={"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"},
            )
            assert response.status_code == 401, f"{label}: {response.status_code} {response.text[:300]}"
            body = response.json()
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", (label, body)
            assert response.headers["www-authenticate"].startswith("Bearer"), label
            _clean(body, label)
    for scheme in ("Basic", "Token", "bearer"):
        response = await w.gql.client.post(
            "/graphql", json={"query": ME}, headers={"authorization": f"{scheme} {good}"}
        )
        assert response.status_code == (200 if scheme == "bearer" else 401), scheme
    # The control: the good token, and one made by hand the same way, are accepted.
    assert (await w.gql(ME, headers=w.headers["offA"]))["data"]["me"]["role"] == "OFFICER"
    remade = _token(hs256, claims, key)
    assert (await w.gql(ME, headers={"authorization": f"Bearer {remade}"}))["data"]["me"] is not None


def _signing_key(w: World) -> str:
    routes = w.gql.client._transport.app.routes  # the endpoint holds the key it signs with
    return next(r.endpoint.__self__.secret_key for r in routes if getattr(r, "path", None) == "/graphql")


# --- injection ----------------------------------------------------------------------------------------

INJECTIONS = [
    "' OR 1=1 --",
    "'; DROP TABLE stations; --",
    '" OR ""="',
    "1; SELECT pg_sleep(3)",
    "%' AND '%'='",
    "%_%",
    "\\",
    "' UNION SELECT password_hash, badge_number FROM officers --",
    "\u0000",
    "a\u0000b",
    "\u202eevil\u202c",  # right-to-left override
    "مركز\u200dشرطة",  # a zero-width joiner inside Arabic
    "ي ی ى",  # three look-alike yehs
    "ＳＥＬＥＣＴ",  # full-width letters
    "e\u0301\u0301\u0301",  # stacked combining accents
    "😀" * 500,
    '{"$gt": ""}',
    '{"__proto__": {"role": "ADMIN"}}',
    "<script>alert(1)</script>",
    "${jndi:ldap://127.0.0.1/x}",
    "../../../../etc/passwd",
    "A" * 100_000,
]
# Tables no mutation under test may change: stations, accounts, sign-ins.
GUARDED = ("stations", "station_closures", "officers", "refresh_tokens")


def _literal(payload: str) -> str:
    return json.dumps(payload)  # a JSON string is a valid GraphQL string literal


async def _inject(w: World, role: str, *, queries: list[str], mutations: list[str]) -> int:
    """Every payload of `queries` through every string position of a query, those of `mutations`
    through every position of a mutation (fewer: most are refused before any SQL runs)."""
    sent = 0
    for position in string_positions():
        if role != "citizen" and position.field == "logout":
            continue  # it would end the signed-in session the rest of the test uses
        for payload in queries if position.operation == "query" else mutations:
            document = position.document(_literal(payload))
            response = await w.gql.client.post(
                "/graphql",
                json={"query": document},
                headers={**w.headers[role], "accept": "application/graphql-response+json"},
            )
            sent += 1
            assert response.status_code in (200, 400, 401, 413), (str(position), response.status_code)
            body = response.json()
            _clean(body, f"{role} {position} {payload[:40]!r}", echo=payload)
    return sent


async def test_injection_through_every_string_argument_as_a_citizen(w: World) -> None:
    before = await _checksums(w, UNCHANGED)
    sent = await _inject(w, "citizen", queries=INJECTIONS, mutations=INJECTIONS[:4] + INJECTIONS[-1:])
    assert sent >= 600
    assert await _checksums(w, UNCHANGED) == before
    # A search with SQL in it finds nothing, rather than everything.
    body = await w.gql('query { stations(search: "\' OR 1=1 --", first: 5) { totalCount } }')
    assert body["data"]["stations"]["totalCount"] == 0


async def test_injection_through_every_string_argument_as_an_admin(w: World) -> None:
    guarded = await _checksums(w, GUARDED)
    counts = await _counts(w)
    await _inject(w, "admin", queries=INJECTIONS[:6] + INJECTIONS[-1:], mutations=INJECTIONS[:4])
    assert await _checksums(w, GUARDED) == guarded
    assert (await _counts(w))["officers"] == counts["officers"]
    # What was stored is the text as sent, to the character.
    tricky = "'); DELETE FROM incidents; -- \u202e ي"
    document = schema_walk.StringPosition("mutation", "reportIncident", ("input", "description")).document(
        _literal(tricky)
    )
    station = to_global_id("Station", w.stations["A"])
    document = document.replace("(input: {", f'(input: {{stationId: "{station}", ')
    body = await w.gql(document, headers=w.headers["admin"])
    assert body["data"]["reportIncident"]["errors"] == [], body
    stored = await w.scalar("SELECT description FROM incidents WHERE description LIKE '%DELETE FROM%'")
    assert stored == tricky
    assert (await _counts(w))["incidents"] > counts["incidents"]


def test_positions_cover_the_schema() -> None:
    """Every String or ID argument of every root field is among the positions (and a literal is valid)."""
    positions = list(string_positions())
    assert len(positions) >= 60
    for position in positions:
        assert position.document('"x"').count("x") >= 1
    assert literal(SCHEMA.type_map["GeoPointInput"]).startswith("{latitude:")
