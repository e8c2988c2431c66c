"""What a station publishes for its community: its priorities (problems the commander chose to publish,
with a title and what is being done, written for the public in Arabic, Kurdish and English) and the
community meetings residents may come to (when, where, what about).

Only the commander of the station (and admins) publishes and withdraws; everyone reads, signed in or
not (`Station.publicPriorities`, `Station.upcomingMeetings`). Nothing an officer wrote for the station
reaches the public: a priority shows only the text the commander wrote for publication, checked to hold
no phone number, e-mail address, badge number, or name of an officer of the station or of a person of
the problem's incidents; a meeting is never a household engagement (a home visit, a family-protection
follow-up), and its place is a name and a point rounded to about 100 m (docs/privacy.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from db import incidents as incident_repo
from db import officers as officer_repo
from db import problems as repo
from db.rows import MeetingRow, ReadProblemRow, StationRow
from resolvers import audit, policy
from resolvers import engagements as engagement_logic
from resolvers import problem_links as links_logic
from resolvers import problems as problem_logic
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.field_checks import check_point, check_text
from resolvers.idempotency import Applied, content_hash, create_once
from resolvers.ids import plain, record_key
from resolvers.lang import SUPPORTED
from resolvers.mutation_errors import Collector, fail
from resolvers.text_fold import fold

KIND_PUBLISH, KIND_UNPUBLISH = "publishPriority", "unpublishPriority"
KIND_MEETING, KIND_UNPUBLISH_MEETING = "publishMeeting", "unpublishMeeting"
MEETING_ENTITY = "CommunityMeeting"
MAX_PUBLIC_TITLE, MAX_PUBLIC_ACTION = 200, 1000
MAX_PLACE, MAX_TOPIC = 200, 300
MAX_AHEAD = timedelta(days=366)
MAX_MEETING = timedelta(hours=24)
MEETINGS_SHOWN = 20  # upcoming meetings a station shows
PRIORITIES_SHOWN = 20
POINT_DECIMALS = 3  # about 110 m of latitude: where a meeting is, not a doorstep

# Seven digits or more, whatever the separators (spaces, dashes, dots, brackets, a leading +), in Latin,
# Arabic-Indic or Eastern Arabic-Indic digits: a phone number.
_DIGIT = r"[0-9\u0660-\u0669\u06f0-\u06f9]"
_PHONE = re.compile(rf"\+?{_DIGIT}(?:[\s\-.()/]*{_DIGIT}){{6,}}")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


# --- checks of public text ----------------------------------------------------------------------------


def _localized(errors: Collector, field: str, given: Any, max_length: int) -> dict[str, str] | None:
    """A text in all three languages, each required."""
    found: dict[str, str] = {}
    for lang in SUPPORTED:
        text = check_text(errors, (field, lang), getattr(given, lang), max_length=max_length, required=True)
        if text is not None:
            found[lang] = text
    return found if len(found) == len(SUPPORTED) else None


def personal_data(text: str, names: Sequence[str], badges: Sequence[str]) -> str | None:
    """What personal data a public text holds (for the message), or None."""
    if _PHONE.search(text):
        return "a phone number"
    if _EMAIL.search(text):
        return "an e-mail address"
    folded = fold(text)
    words = set(re.findall(r"\w+", folded))
    if any(badge.casefold() in words for badge in badges if badge):
        return "a badge number"
    # A name counts as whole words ("Omar" is not refused inside "Omariya").
    if any(re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", folded) for name in names if name):
        return "a person's name"
    return None


async def _people_of(
    ctx: Context, station_id: int, incident_ids: Sequence[int]
) -> tuple[list[str], list[str]]:
    """Names and badge numbers that must not be published: the station's officers', and the names of the
    people of the given incidents."""
    async with ctx.db() as session:
        officers = await officer_repo.list_officers(session, station_id=station_id)
        incidents = await incident_repo.incidents_by_ids(session, incident_ids) if incident_ids else {}
    names = [o.name for o in officers]
    names += [str(p.get("name") or "") for row in incidents.values() for p in row.people or ()]
    # A name is matched whole; a name of one short word would refuse ordinary words.
    names = [n.strip() for n in names if len(n.strip()) >= 4]
    return names, [o.badge_number for o in officers]


def _check_public(
    errors: Collector, texts: dict[str, dict[str, str]], names: Sequence[str], badges: Sequence[str]
) -> None:
    for field, by_lang in texts.items():
        for lang, text in by_lang.items():
            what = personal_data(text, names, badges)
            if what is not None:
                errors.add((field, lang), "personal_data", what=what)


# --- priorities -----------------------------------------------------------------------------------------


async def _publishable(ctx: Context, problem_id: str) -> ReadProblemRow:
    viewer = policy.require_officer(ctx.viewer)
    errors = Collector(ctx.lang)
    key = record_key(errors, ("problemId",), problem_id, "Problem")
    errors.check()
    assert key is not None  # errors.check() raised otherwise
    async with ctx.db() as session:
        row = (await repo.problems_by_ids(session, [key], lock=True)).get(key)
    if row is None or not policy.sees_problem(viewer, row):
        fail(ctx.lang, ("problemId",), "not_found", "NOT_FOUND", kind="problem")
    if not policy.may_publish(viewer, row.station_id):
        fail(ctx.lang, ("problemId",), "may_not_publish", "FORBIDDEN")
    return row


async def publish_priority(ctx: Context, input: Any) -> Applied:
    """Publish a problem as one of the station's priorities, with the public text given (publishing again
    replaces it); the public sees it at once."""
    row = await _publishable(ctx, input.problem_id)
    errors = Collector(ctx.lang)
    title = _localized(errors, "title", input.title, MAX_PUBLIC_TITLE)
    action = _localized(errors, "action", input.action, MAX_PUBLIC_ACTION)
    links = (await links_logic.links_of(ctx, [row.id]))[row.id]
    names, badges = await _people_of(ctx, row.station_id, links_logic.linked_ids(links, links_logic.INCIDENT))
    _check_public(errors, {"title": title or {}, "action": action or {}}, names, badges)
    errors.check()
    public = {"title": title, "action": action}
    if row.public_text == public:  # published so already: a resent request
        return Applied(row, duplicate=True)
    async with ctx.db() as session:
        await repo.set_public_text(session, row.id, public, ctx.viewer.officer_id)
        updated = (await repo.problems_by_ids(session, [row.id]))[row.id]
    audit.record(
        ctx,
        KIND_PUBLISH,
        problem_logic.ENTITY,
        row.id,
        before={"public": row.public_text},
        after={"public": public},
    )
    return Applied(updated)


async def unpublish_priority(ctx: Context, input: Any) -> Applied:
    """Withdraw a published priority; one not published stays so (a resent request changes nothing)."""
    row = await _publishable(ctx, input.problem_id)
    if row.published_at is None:
        return Applied(row, duplicate=True)
    async with ctx.db() as session:
        await repo.set_public_text(session, row.id, None, None)
        updated = (await repo.problems_by_ids(session, [row.id]))[row.id]
    audit.record(ctx, KIND_UNPUBLISH, problem_logic.ENTITY, row.id, before={"public": row.public_text})
    return Applied(updated)


# --- community meetings ---------------------------------------------------------------------------------


async def _publishing_station(ctx: Context, errors: Collector, station_id: str | None) -> StationRow | None:
    viewer = ctx.viewer
    station = await station_logic.station_for_write(ctx, errors, station_id)
    if station is None:
        return None
    if not policy.may_publish(viewer, station.id):
        fail(ctx.lang, ("stationId",), "may_not_publish", "FORBIDDEN")
    return station


async def publish_meeting(ctx: Context, input: Any) -> Applied:
    """Publish a community meeting of the station; the same `clientId` again publishes nothing more."""
    viewer = policy.require_officer(ctx.viewer)

    async def prepare() -> dict[str, Any]:
        errors = Collector(ctx.lang)
        station = await _publishing_station(ctx, errors, input.station_id)
        now = datetime.now(UTC)
        if input.starts_at <= now:
            errors.add(("startsAt",), "not_before", other="now")
        elif input.starts_at > now + MAX_AHEAD:
            errors.add(("startsAt",), "too_far_ahead", years=1)
        if input.ends_at is not None and not input.starts_at < input.ends_at <= input.starts_at + MAX_MEETING:
            errors.add(("endsAt",), "range", low="startsAt", high="startsAt + 24 h")
        place = _localized(errors, "place", input.place, MAX_PLACE)
        topic = _localized(errors, "topic", input.topic, MAX_TOPIC)
        location = input.location
        check_point(errors, ("location",), location.latitude, location.longitude, None)
        kind = plain(input.kind) if input.kind is not None else "COMMUNITY_MEETING"
        if policy.is_household(kind):
            errors.add(("kind",), "meeting_household")
        engagement_id = problem_id = None
        if station is not None and input.engagement_id is not None:
            engagement_id = record_key(errors, ("engagementId",), input.engagement_id, "Engagement")
            found = await engagement_logic.visible_engagements(ctx, [engagement_id] if engagement_id else [])
            engagement = found.get(engagement_id) if engagement_id else None
            if engagement_id is not None and (engagement is None or engagement.station_id != station.id):
                errors.add(("engagementId",), "not_found", "NOT_FOUND", kind="engagement")
            elif engagement is not None and policy.is_household(engagement.kind):
                errors.add(("engagementId",), "meeting_household")
        if station is not None and input.problem_id is not None:
            problem_id = record_key(errors, ("problemId",), input.problem_id, "Problem")
            problems = await problem_logic.visible_problems(ctx, [problem_id] if problem_id else [])
            problem = problems.get(problem_id) if problem_id else None
            if problem_id is not None and (problem is None or problem.station_id != station.id):
                errors.add(("problemId",), "not_found", "NOT_FOUND", kind="problem")
        if station is not None:
            names, badges = await _people_of(ctx, station.id, [])
            _check_public(errors, {"place": place or {}, "topic": topic or {}}, names, badges)
        errors.check()
        assert station is not None  # errors.check() raised otherwise
        return {
            "client_id": input.client_id,
            "station_id": station.id,
            "kind": kind,
            "starts_at": input.starts_at,
            "ends_at": input.ends_at,
            "place": place,
            "topic": topic,
            "latitude": round(location.latitude, POINT_DECIMALS),
            "longitude": round(location.longitude, POINT_DECIMALS),
            "problem_id": problem_id,
            "engagement_id": engagement_id,
            "published_by_id": viewer.officer_id,
        }

    async def write(values: dict[str, Any], claimant: Any) -> Any:
        async with ctx.db() as session:
            return await repo.insert_meeting(session, values, claimant, MEETING_ENTITY)

    applied = await create_once(
        ctx,
        input.client_id,
        KIND_MEETING,
        content_hash(KIND_MEETING, input),
        prepare,
        write,
        lambda result_id: _meeting(ctx, result_id),
    )
    if not applied.duplicate:
        row = applied.row
        audit.record(
            ctx,
            KIND_MEETING,
            MEETING_ENTITY,
            row.id,
            after={
                "stationId": row.station_id,
                "startsAt": row.starts_at,
                "place": row.place,
                "topic": row.topic,
            },
        )
    return applied


async def _meeting(ctx: Context, meeting_id: int | None) -> MeetingRow:
    async with ctx.db() as session:
        row = (await repo.meetings_by_ids(session, [meeting_id])).get(meeting_id) if meeting_id else None
    if row is None:
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return row


async def unpublish_meeting(ctx: Context, input: Any) -> Applied:
    """Withdraw a published meeting (cancelled, or published by mistake); withdrawn already: no change."""
    viewer = policy.require_officer(ctx.viewer)
    errors = Collector(ctx.lang)
    key = record_key(errors, ("meetingId",), input.meeting_id, MEETING_ENTITY)
    errors.check()
    assert key is not None  # errors.check() raised otherwise
    async with ctx.db() as session:
        row = (await repo.meetings_by_ids(session, [key])).get(key)
    station = (await station_logic.station_rows(ctx, [row.station_id])).get(row.station_id) if row else None
    if (
        row is None
        or station is None
        or not policy.can_access_station(viewer, row.station_id, station.governorate_code)
    ):
        fail(ctx.lang, ("meetingId",), "not_found", "NOT_FOUND", kind="meeting")
    if not policy.may_publish(viewer, row.station_id):
        fail(ctx.lang, ("meetingId",), "may_not_publish", "FORBIDDEN")
    if row.unpublished_at is not None:
        return Applied(row, duplicate=True)
    async with ctx.db() as session:
        updated = await repo.unpublish_meeting(session, row.id)
    audit.record(ctx, KIND_UNPUBLISH_MEETING, MEETING_ENTITY, row.id, before={"startsAt": row.starts_at})
    return Applied(updated or row)


# --- reading (public) -----------------------------------------------------------------------------------


async def published_priorities(ctx: Context, station_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each station's published priorities (their public text only), the newest first."""
    async with ctx.db() as session:
        found = await repo.published_priorities(session, station_ids)
    return {i: rows[:PRIORITIES_SHOWN] for i, rows in found.items()}


async def upcoming_meetings(ctx: Context, station_ids: Sequence[int]) -> dict[int, list[MeetingRow]]:
    """Each station's published meetings not over yet, soonest first."""
    async with ctx.db() as session:
        return await repo.upcoming_meetings(session, station_ids, datetime.now(UTC), MEETINGS_SHOWN)
