"""Follow-up actions of engagements and of incidents, added and moved along offline: addFollowUpAction,
updateFollowUpAction by the client id an action was added with, both as syncFieldLog entries; who sees an
action of a sensitive incident; the lists as shipped apps ask them; and a sync batch mixing every new
entry with the old ones (APPLIED, then DUPLICATE when resent; CONFLICT, REJECTED, each on its own)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.factories import age_arrivals
from tests.test_corrections import EN, HERE, PEOPLE, _ago, _world, gid, key_of

OPERATIONS = Path(__file__).parent.parent / "mobile_contract" / "operations"
ACTION = """
fragment ActionFields on FollowUpAction {
  id clientId description dueOn status subjectKind owner { id }
  subject { __typename ... on Incident { id detailsHidden } ... on Engagement { id } }
}
"""
ADD = (
    ACTION
    + """
mutation Add($input: AddFollowUpActionInput!) {
  addFollowUpAction(input: $input) { followUpAction { ...ActionFields } errors { field code message } }
}
"""
)
UPDATE = (
    ACTION
    + """
mutation Update($input: UpdateFollowUpActionInput!) {
  updateFollowUpAction(input: $input) { followUpAction { ...ActionFields } errors { field code message } }
}
"""
)
LIST = (
    ACTION
    + """
query List($filter: FollowUpActionFilter) {
  followUpActions(filter: $filter, first: 100) { totalCount edges { node { ...ActionFields } } }
}
"""
)
INCIDENT_ACTIONS = """
query Node($id: ID!) { node(id: $id) { ... on Incident { followUps { id description owner { id } } } } }
"""
NODE = ACTION + "query Node($id: ID!) { node(id: $id) { ...ActionFields } }"
REPORT = """
mutation Report($input: ReportIncidentInput!) {
  reportIncident(input: $input) { incident { id clientId version } errors { field code } }
}
"""
LOG = """
mutation Log($input: LogEngagementInput!) {
  logEngagement(input: $input) { engagement { id clientId occurredAt } errors { field code } }
}
"""
SYNC = """
mutation Sync($input: SyncFieldLogInput!) {
  syncFieldLog(input: $input) {
    results {
      clientId kind status currentVersion errors { field code message }
      node {
        __typename id
        ... on Incident { version category description corrections { fields } }
        ... on Engagement { version notes }
        ... on FollowUpAction { clientId status subjectKind }
      }
    }
    errors { field code message }
  }
}
"""


async def _call(gql, query, field, headers, values) -> dict:
    body = await gql(query, {"input": values}, headers=headers)
    assert "errors" not in body, body
    return body["data"][field]


async def _incident(gql, world, who="reporter", **overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "category": "THEFT",
        "location": HERE,
        "occurredAt": _ago(hours=3),
        "description": "A motorcycle taken from outside the market.",
        **overrides,
    }
    payload = await _call(gql, REPORT, "reportIncident", world.headers[who], values)
    assert payload["errors"] == [], payload
    return payload["incident"]


async def _engagement(gql, world, who="reporter", **overrides) -> dict:
    values = {
        "clientId": str(uuid.uuid4()),
        "kind": "COMMUNITY_MEETING",
        "location": HERE,
        "occurredAt": _ago(days=2),
        **overrides,
    }
    payload = await _call(gql, LOG, "logEngagement", world.headers[who], values)
    assert payload["errors"] == [], payload
    return payload["engagement"]


async def _add(gql, world, who, **values) -> dict:
    return await _call(
        gql, ADD, "addFollowUpAction", world.headers[who], {"clientId": str(uuid.uuid4()), **values}
    )


async def _count(sessionmaker, sql: str = "SELECT count(*) FROM follow_up_actions") -> int:
    async with sessionmaker() as session:
        return (await session.execute(text(sql))).scalar()


async def test_an_action_is_added_to_an_engagement_or_an_incident(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    engagement = await _engagement(gql, world)
    incident = await _incident(gql, world)
    due = (date.today() + timedelta(days=7)).isoformat()
    # by the engagement's id, with the adding officer as its owner by default
    first = await _add(
        gql, world, "reporter", engagementId=engagement["id"], description="Ask for lights.", dueOn=due
    )
    assert first["errors"] == []
    action = first["followUpAction"]
    assert action["subjectKind"] == "ENGAGEMENT" and action["subject"] == {
        "__typename": "Engagement",
        "id": engagement["id"],
    }
    assert action["owner"] == {"id": gid("Officer", world.ids["reporter"])} and action["dueOn"] == due
    assert action["status"] == "OPEN" and action["clientId"]
    # by the incident's client id, owned by a colleague
    second = await _add(
        gql,
        world,
        "commander",
        incidentClientId=incident["clientId"],
        description="Check the market's camera.",
        ownerId=gid("Officer", world.ids["colleague"]),
    )
    assert second["errors"] == []
    action = second["followUpAction"]
    assert action["subjectKind"] == "INCIDENT"
    assert action["subject"] == {"__typename": "Incident", "id": incident["id"], "detailsHidden": False}
    assert action["owner"] == {"id": gid("Officer", world.ids["colleague"])}
    listed = (await gql(INCIDENT_ACTIONS, {"id": incident["id"]}, headers=world.headers["colleague"]))["data"]
    assert [a["description"] for a in listed["node"]["followUps"]] == ["Check the market's camera."]
    async with sessionmaker() as session:
        entries = (
            await session.execute(
                text("SELECT officer_id, after FROM audit_log WHERE action = 'addFollowUpAction' ORDER BY id")
            )
        ).all()
    assert [(e.officer_id, e.after["incidentId"], e.after["description"]) for e in entries] == [
        (world.ids["reporter"], None, "Ask for lights."),
        (world.ids["commander"], key_of(incident["id"]), "Check the market's camera."),
    ]


async def test_the_same_action_again_adds_nothing_and_other_content_conflicts(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    engagement = await _engagement(gql, world)
    values = {
        "clientId": str(uuid.uuid4()),
        "engagementId": engagement["id"],
        "description": "Call the school.",
    }
    first = await _call(gql, ADD, "addFollowUpAction", world.headers["reporter"], values)
    again = await _call(gql, ADD, "addFollowUpAction", world.headers["reporter"], values)
    other = await _call(
        gql, ADD, "addFollowUpAction", world.headers["reporter"], {**values, "description": "Something else."}
    )
    assert first["errors"] == again["errors"] == [] and again["followUpAction"] == first["followUpAction"]
    assert [(e["field"], e["code"]) for e in other["errors"]] == [(["clientId"], "CONFLICT")]
    assert await _count(sessionmaker) == 1
    assert (
        await _count(sessionmaker, "SELECT count(*) FROM audit_log WHERE action = 'addFollowUpAction'") == 1
    )


async def test_bad_input_to_add_names_its_field_and_adds_nothing(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    engagement = await _engagement(gql, world)
    incident = await _incident(gql, world)
    occurred = datetime.fromisoformat(engagement["occurredAt"])
    cases = [
        ({"description": "x"}, [(["engagementId"], "INVALID")]),
        (
            {"engagementId": engagement["id"], "incidentId": incident["id"], "description": "x"},
            [(["engagementId"], "INVALID")],
        ),
        ({"engagementId": "nonsense", "description": "x"}, [(["engagementId"], "INVALID")]),
        ({"incidentId": gid("Incident", 10**9), "description": "x"}, [(["incidentId"], "NOT_FOUND")]),
        (
            {"engagementClientId": str(uuid.uuid4()), "description": "x"},
            [(["engagementClientId"], "NOT_FOUND")],
        ),
        (
            {"incidentClientId": engagement["clientId"], "description": "x"},
            [(["incidentClientId"], "NOT_FOUND")],
        ),
        ({"engagementId": engagement["id"], "description": "  "}, [(["description"], "INVALID")]),
        (
            {
                "engagementId": engagement["id"],
                "description": "x",
                "ownerId": gid("Officer", world.ids["other_station"]),
            },
            [(["ownerId"], "INVALID")],
        ),
        (
            {"engagementId": engagement["id"], "description": "x", "ownerId": "bad"},
            [(["ownerId"], "INVALID")],
        ),
        (
            {
                "engagementId": engagement["id"],
                "description": "x",
                "dueOn": (occurred - timedelta(days=3)).date().isoformat(),
            },
            [(["dueOn"], "INVALID")],
        ),
        ({"incidentId": incident["id"], "description": "x", "dueOn": "2099-01-01"}, [(["dueOn"], "INVALID")]),
    ]
    for values, expected in cases:
        payload = await _add(gql, world, "reporter", **values)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, values
        assert payload["followUpAction"] is None
    assert await _count(sessionmaker) == 0
    assert (
        await _count(sessionmaker, "SELECT count(*) FROM client_requests WHERE kind = 'addFollowUpAction'")
        == 0
    )


async def test_an_action_of_a_sensitive_incident_is_its_cases_and_its_owners(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    dv = await _incident(
        gql, world, category="DOMESTIC_VIOLENCE", description="Beaten at home.", people=PEOPLE
    )
    # off its case, the colleague may not add to it; another station's officer does not find it
    body = await gql(
        ADD,
        {"input": {"clientId": str(uuid.uuid4()), "incidentId": dv["id"], "description": "x"}},
        headers=world.headers["colleague"],
    )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hidden = await _add(gql, world, "other_station", incidentId=dv["id"], description="x")
    assert [(e["field"], e["code"]) for e in hidden["errors"]] == [(["incidentId"], "NOT_FOUND")]
    # its reporter adds two: one of their own, one for the female officer (who is not on the case)
    mine = await _add(gql, world, "reporter", incidentId=dv["id"], description="Take her to the shelter.")
    hers = await _add(
        gql,
        world,
        "commander",
        incidentId=dv["id"],
        description="Visit her sister in Hay al-Zahraa.",
        ownerId=gid("Officer", world.ids["assignee"]),
    )
    assert mine["errors"] == [] and hers["errors"] == []
    await age_arrivals(sessionmaker)  # asked as on a later day (resolvers.disclosure.arrivals_held_from)
    ids = {mine["followUpAction"]["id"], hers["followUpAction"]["id"]}
    both = {"filter": {"subjects": ["ENGAGEMENT", "INCIDENT"]}}

    async def listed(who: str) -> set[str]:
        body = await gql(LIST, both, headers=world.headers[who])
        page = body["data"]["followUpActions"]
        assert page["totalCount"] == len(page["edges"])
        return {e["node"]["id"] for e in page["edges"]}

    async def by_node(who: str) -> set[str]:
        found = set()
        for action_id in ids:
            node = (await gql(NODE, {"id": action_id}, headers=world.headers[who]))["data"]["node"]
            if node is not None:
                found.add(node["id"])
        return found

    async def of_incident(who: str) -> set[str]:
        node = (await gql(INCIDENT_ACTIONS, {"id": dv["id"]}, headers=world.headers[who]))["data"]["node"]
        return {a["id"] for a in node["followUps"]} if node else set()

    for who, expected in (
        ("reporter", ids),
        ("commander", ids),
        ("admin", ids),
        ("assignee", {hers["followUpAction"]["id"]}),  # its owner, not on the case
        ("colleague", set()),
        ("supervisor", set()),
        ("other_station", set()),
    ):
        assert await listed(who) == expected, who
        assert await by_node(who) == expected, who
        assert await of_incident(who) == expected, who
    # the owner sees the incident itself as anyone off its case does: generalised
    node = (await gql(NODE, {"id": hers["followUpAction"]["id"]}, headers=world.headers["assignee"]))["data"]
    assert node["node"]["subject"]["detailsHidden"] is True
    # and the audit keeps no text of it
    async with sessionmaker() as session:
        afters = (
            await session.execute(text("SELECT after FROM audit_log WHERE action = 'addFollowUpAction'"))
        ).scalars()
        assert all("description" not in a and len(a["descriptionSha256"]) == 64 for a in afters)
    # the owner moves it along, by the client id it was added with; the colleague cannot find it
    values = {"followUpActionClientId": hers["followUpAction"]["clientId"], "status": "IN_PROGRESS"}
    refused = await _call(gql, UPDATE, "updateFollowUpAction", world.headers["colleague"], values)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["followUpActionClientId"], "NOT_FOUND")]
    moved = await _call(gql, UPDATE, "updateFollowUpAction", world.headers["assignee"], values)
    assert moved["errors"] == [] and moved["followUpAction"]["status"] == "IN_PROGRESS"


async def test_lists_as_shipped_apps_ask_them_hold_actions_of_engagements_only(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    engagement = await _engagement(gql, world)
    incident = await _incident(gql, world)
    of_engagement = (await _add(gql, world, "reporter", engagementId=engagement["id"], description="A"))[
        "followUpAction"
    ]
    of_incident = (await _add(gql, world, "reporter", incidentId=incident["id"], description="B"))[
        "followUpAction"
    ]
    # the officer app's shipped operation selects `engagement { id kind }`, which an incident's action lacks
    shipped = (OPERATIONS / "officer" / "FollowUpActions.graphql").read_text()
    body = await gql(shipped, {"first": 50}, headers=world.headers["reporter"])
    assert "errors" not in body, body
    assert [e["node"]["id"] for e in body["data"]["followUpActions"]["edges"]] == [of_engagement["id"]]
    # asked for, the incident's are there too; only INCIDENT, only those
    for subjects, expected in (
        (["INCIDENT"], {of_incident["id"]}),
        (["ENGAGEMENT", "INCIDENT"], {of_engagement["id"], of_incident["id"]}),
        (None, {of_engagement["id"]}),
    ):
        page = (await gql(LIST, {"filter": {"subjects": subjects}}, headers=world.headers["reporter"]))[
            "data"
        ]
        assert {e["node"]["id"] for e in page["followUpActions"]["edges"]} == expected, subjects
        assert page["followUpActions"]["totalCount"] == len(expected)
    # `engagement` of an incident's action is an error naming what to use instead
    body = await gql(
        "query N($id: ID!) { node(id: $id) { ... on FollowUpAction { engagement { id } } } }",
        {"id": of_incident["id"]},
        headers={**EN, **world.headers["reporter"]},
    )
    assert "subject" in body["errors"][0]["message"]


# --- syncFieldLog ---------------------------------------------------------------------------------------


async def _sync(gql, headers, entries) -> list[dict]:
    body = await gql(SYNC, {"input": {"entries": entries}}, headers=headers)
    assert "errors" not in body and body["data"]["syncFieldLog"]["errors"] == [], body
    return body["data"]["syncFieldLog"]["results"]


async def test_a_day_offline_with_corrections_and_follow_ups_syncs_and_resends_harmlessly(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    reporter = world.headers["reporter"]
    incident_cid, engagement_cid, action_cid = (str(uuid.uuid4()) for _ in range(3))
    now = datetime.now(UTC)
    entries = [
        {
            "reportIncident": {
                "clientId": incident_cid,
                "category": "THEFT",
                "location": HERE,
                "occurredAt": (now - timedelta(hours=5)).isoformat(),
                "description": "A phone taken.",
            }
        },
        {
            "logEngagement": {
                "clientId": engagement_cid,
                "kind": "MARKET_WALK",
                "location": HERE,
                "occurredAt": (now - timedelta(hours=4)).isoformat(),
                "notes": "Shopkeepers worried.",
            }
        },
        {
            "correctIncident": {
                "clientId": str(uuid.uuid4()),
                "incidentClientId": incident_cid,
                "expectedVersion": 1,
                "reason": "It was a wallet.",
                "description": "A wallet taken.",
            }
        },
        {
            "correctEngagement": {
                "clientId": str(uuid.uuid4()),
                "engagementClientId": engagement_cid,
                "expectedVersion": 1,
                "reason": "More precise.",
                "notes": "Shopkeepers worried about thefts at night.",
            }
        },
        {
            "addFollowUpAction": {
                "clientId": action_cid,
                "incidentClientId": incident_cid,
                "description": "Check CCTV.",
            }
        },
        {
            "addFollowUpAction": {
                "clientId": str(uuid.uuid4()),
                "engagementClientId": engagement_cid,
                "description": "Ask for a night patrol.",
            }
        },
        {
            "updateFollowUpAction": {
                "clientId": str(uuid.uuid4()),
                "followUpActionClientId": action_cid,
                "status": "DONE",
                "note": "Nothing on the tapes.",
            }
        },
    ]
    results = await _sync(gql, reporter, entries)
    assert [(r["kind"], r["status"], r["errors"]) for r in results] == [
        (k, "APPLIED", [])
        for k in (
            "reportIncident",
            "logEngagement",
            "correctIncident",
            "correctEngagement",
            "addFollowUpAction",
            "addFollowUpAction",
            "updateFollowUpAction",
        )
    ]
    incident, engagement = results[2]["node"], results[3]["node"]
    assert incident["version"] == 2 and incident["description"] == "A wallet taken."
    assert incident["corrections"] == [{"fields": ["DESCRIPTION"]}]
    assert engagement["version"] == 2 and engagement["notes"].endswith("at night.")
    assert (
        results[4]["node"]["subjectKind"] == "INCIDENT" and results[5]["node"]["subjectKind"] == "ENGAGEMENT"
    )
    assert results[6]["node"]["id"] == results[4]["node"]["id"] and results[6]["node"]["status"] == "DONE"
    counts = (
        "SELECT (SELECT count(*) FROM incident_corrections) || ' ' "
        "|| (SELECT count(*) FROM engagement_corrections) || ' ' "
        "|| (SELECT count(*) FROM follow_up_actions) || ' ' || (SELECT count(*) FROM audit_log)"
    )
    before = await _count(sessionmaker, counts)
    # when: the whole batch again (the answer was lost on the way)
    again = await _sync(gql, reporter, entries)
    # then: every entry a DUPLICATE answered with its record, and nothing written
    assert [r["status"] for r in again] == ["DUPLICATE"] * len(entries)
    assert [r["node"]["id"] for r in again] == [r["node"]["id"] for r in results]
    assert await _count(sessionmaker, counts) == before


async def test_each_bad_entry_of_a_batch_is_answered_on_its_own(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    incident = await _incident(gql, world)
    elsewhere = await _incident(gql, world, who="other_station")
    corrected_cid = str(uuid.uuid4())
    first = {
        "clientId": corrected_cid,
        "incidentId": incident["id"],
        "expectedVersion": 1,
        "reason": "r",
        "description": "Corrected once.",
    }
    assert (await _sync(gql, world.headers["reporter"], [{"correctIncident": first}]))[0][
        "status"
    ] == "APPLIED"
    entries = [
        # stale: made against version 1, the incident is at 2
        {"correctIncident": {**first, "clientId": str(uuid.uuid4()), "description": "Corrected twice."}},
        # the same client id with other content
        {"correctIncident": {**first, "description": "Other."}},
        # naming what does not exist, or what this officer may not see
        {
            "updateFollowUpAction": {
                "clientId": str(uuid.uuid4()),
                "followUpActionClientId": str(uuid.uuid4()),
                "status": "DONE",
            }
        },
        {
            "addFollowUpAction": {
                "clientId": str(uuid.uuid4()),
                "incidentClientId": str(uuid.uuid4()),
                "description": "x",
            }
        },
        {
            "correctIncident": {
                "clientId": str(uuid.uuid4()),
                "incidentId": elsewhere["id"],
                "expectedVersion": 1,
                "reason": "r",
                "description": "x",
            }
        },
        # without a clientId
        {"updateFollowUpAction": {"followUpActionId": gid("FollowUpAction", 1), "status": "DONE"}},
        # and a good one among them
        {
            "addFollowUpAction": {
                "clientId": str(uuid.uuid4()),
                "incidentId": incident["id"],
                "description": "Call back.",
            }
        },
    ]
    results = await _sync(gql, world.headers["reporter"], entries)
    assert [(r["status"], [(e["field"], e["code"]) for e in r["errors"]]) for r in results] == [
        ("CONFLICT", [(["correctIncident", "expectedVersion"], "CONFLICT")]),
        ("CONFLICT", [(["correctIncident", "clientId"], "CONFLICT")]),
        ("REJECTED", [(["updateFollowUpAction", "followUpActionClientId"], "NOT_FOUND")]),
        ("REJECTED", [(["addFollowUpAction", "incidentClientId"], "NOT_FOUND")]),
        ("REJECTED", [(["correctIncident", "incidentId"], "NOT_FOUND")]),
        ("REJECTED", [(["updateFollowUpAction", "clientId"], "INVALID")]),
        ("APPLIED", []),
    ]
    assert results[0]["currentVersion"] == 2
    # the colleague's correction is refused as not theirs to make, and a commander's applies
    theirs = {**first, "clientId": str(uuid.uuid4()), "expectedVersion": 2, "description": "By a colleague."}
    (refused,) = await _sync(gql, world.headers["colleague"], [{"correctIncident": theirs}])
    assert refused["status"] == "REJECTED" and [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    (done,) = await _sync(gql, world.headers["commander"], [{"correctIncident": theirs}])
    assert done["status"] == "APPLIED" and done["node"]["description"] == "By a colleague."
    # the other new entries, from the side of the policy that is refused: each REJECTED as FORBIDDEN
    dv = await _incident(gql, world, category="DOMESTIC_VIOLENCE", description="Beaten at home.")
    engagement = await _engagement(gql, world)
    refused = await _sync(
        gql,
        world.headers["colleague"],
        [
            {
                "addFollowUpAction": {
                    "clientId": str(uuid.uuid4()),
                    "incidentId": dv["id"],
                    "description": "x",
                }
            },
            {
                "correctEngagement": {
                    "clientId": str(uuid.uuid4()),
                    "engagementId": engagement["id"],
                    "expectedVersion": 1,
                    "reason": "r",
                    "notes": "Not mine to change.",
                }
            },
        ],
    )
    assert [(r["status"], [e["code"] for e in r["errors"]]) for r in refused] == [
        ("REJECTED", ["FORBIDDEN"]),
        ("REJECTED", ["FORBIDDEN"]),
    ]
    assert await _count(sessionmaker, "SELECT count(*) FROM incident_corrections") == 2
    assert await _count(sessionmaker) == 1


def _operation(name: str) -> str:
    return (OPERATIONS / "officer" / f"{name}.graphql").read_text(encoding="utf-8")


async def test_the_officer_apps_operations_for_corrections_and_follow_ups(gql, sessionmaker):
    world = await _world(gql, sessionmaker)
    reporter = world.headers["reporter"]
    incident = await _incident(gql, world)
    engagement = await _engagement(gql, world)
    corrected = await gql(
        _operation("CorrectIncident"),
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "incidentId": incident["id"],
                "expectedVersion": 1,
                "reason": "Wrong category.",
                "category": "FRAUD",
            }
        },
        headers=reporter,
    )
    payload = corrected["data"]["correctIncident"]
    assert payload["errors"] == [] and payload["currentVersion"] == 2
    assert payload["incident"]["corrections"][0]["fields"] == ["CATEGORY"]
    fixed = await gql(
        _operation("CorrectEngagement"),
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "engagementId": engagement["id"],
                "expectedVersion": 1,
                "reason": "Forgot them.",
                "topics": ["water"],
            }
        },
        headers=reporter,
    )
    assert fixed["data"]["correctEngagement"]["engagement"]["topics"] == ["water"]
    added = await gql(
        _operation("AddFollowUpAction"),
        {
            "input": {
                "clientId": str(uuid.uuid4()),
                "incidentId": incident["id"],
                "description": "Call the bank.",
            }
        },
        headers=reporter,
    )
    action = added["data"]["addFollowUpAction"]["followUpAction"]
    assert action["subjectKind"] == "INCIDENT" and action["owner"]["id"] == gid(
        "Officer", world.ids["reporter"]
    )
    mine = await gql(
        _operation("MyFollowUpActions"),
        {
            "filter": {
                "ownerId": gid("Officer", world.ids["reporter"]),
                "subjects": ["ENGAGEMENT", "INCIDENT"],
            }
        },
        headers=reporter,
    )
    (edge,) = mine["data"]["followUpActions"]["edges"]
    assert edge["node"]["subject"] == {"__typename": "Incident", "id": incident["id"], "category": "FRAUD"}
    history = (await gql(_operation("IncidentHistory"), {"id": incident["id"]}, headers=reporter))["data"][
        "node"
    ]
    assert [c["categoryAfter"] for c in history["corrections"]] == ["FRAUD"]
    assert [f["id"] for f in history["followUps"]] == [action["id"]]
    assert [s["toStatus"] for s in history["statusHistory"]] == ["REPORTED"]
    logged = (await gql(_operation("EngagementHistory"), {"id": engagement["id"]}, headers=reporter))["data"]
    assert logged["node"]["corrections"][0]["topicsAfter"] == ["water"]
    # the shipped SyncFieldLog operation carries the new entries as they are
    synced = await gql(
        _operation("SyncFieldLog"),
        {
            "input": {
                "entries": [
                    {
                        "updateFollowUpAction": {
                            "clientId": str(uuid.uuid4()),
                            "followUpActionClientId": action["clientId"],
                            "status": "DONE",
                        }
                    }
                ]
            }
        },
        headers=reporter,
    )
    (result,) = synced["data"]["syncFieldLog"]["results"]
    assert (result["status"], result["node"]) == (
        "APPLIED",
        {"id": action["id"], "__typename": "FollowUpAction"},
    )
