"""Who may read and write what: every permission decision of Markaz is made here.

Roles, from the narrowest: an OFFICER and a STATION_COMMANDER work on their own station's records;
a SUPERVISOR on the records of stations in their governorates; an ADMIN on everything. Citizens (no
token) see public station data only.

Sensitive records are sensitive incidents (domestic violence, child protection, juveniles, or marked
sensitive) and engagements that reveal a household (home visits, family-protection follow-ups). The
people *on the case* of one (`on_incident_case`, `on_engagement_case`) see all of it; everyone else sees
it only as resolvers.disclosure generalises it (its resolution-7 cell and its day, never its details).
Which records are sensitive and who is on their case is decided here; how precisely the others see them,
in every output, is resolvers.disclosure's (docs/privacy.md).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from db.disclosure import CaseViewpoint
from resolvers.errors import Forbidden, Unauthenticated

OFFICER, COMMANDER, SUPERVISOR, ADMIN = "OFFICER", "STATION_COMMANDER", "SUPERVISOR", "ADMIN"
ROLES = (OFFICER, COMMANDER, SUPERVISOR, ADMIN)
# Keep equal to the SQL functions markaz_sensitive_incident and markaz_sensitive_engagement (migration 0011;
# tests/test_disclosure.py compares them).
SENSITIVE_CATEGORIES = frozenset({"DOMESTIC_VIOLENCE", "CHILD_PROTECTION", "JUVENILE"})
# Engagements held at a family's home: where they happened is where the family lives.
HOUSEHOLD_KINDS = frozenset({"HOME_VISIT", "FAMILY_PROTECTION_FOLLOW_UP"})

# What a citizen (no token) may reach: these root queries, answering with objects of these types only
# (`me` is null, `node`/`nodes` null for anything else). Signing in is open to all, through the
# mutations below; every other mutation needs an officer. tests/test_security.py runs every root field
# of the live schema as a citizen and holds the answers to these lists, so a new field that is not
# refused fails there until it is refused or added here on purpose.
CITIZEN_QUERIES = frozenset(
    {
        "nearestStations",
        "stations",
        "station",
        "governorates",
        "me",
        "node",
        "nodes",
        "publicSafetyMap",
        "publicHolidays",
        "locateStation",
    }
)
CITIZEN_TYPES = frozenset(
    {
        "Station",
        "NearbyStation",
        "StationConnection",
        "StationEdge",
        "PageInfo",
        "Governorate",
        "LocalizedText",
        "GeoPoint",
        "OpeningPeriod",
        "StationClosure",
        "ServiceDesk",
        "PublicHoliday",
        "ActivityMap",
        "ActivityCell",
        "ActivityCounts",
        # what a station publishes (Station.publicPriorities, Station.upcomingMeetings)
        "PublicPriority",
        "CommunityMeeting",
    }
)
CITIZEN_MUTATIONS = frozenset({"login", "refreshSession", "logout", "submitFeedback"})


@dataclasses.dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in officer of a request."""

    officer_id: int
    role: str
    station_id: int | None
    station_governorate: str | None
    governorates: frozenset[str]
    session_id: uuid.UUID
    device_id: str | None = None
    name: str = ""
    gender: str = ""
    # Signed in with a one-time password: only PASSWORD_CHANGE_FIELDS until it is changed.
    must_change_password: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Scope:
    """The stations whose records a viewer may see: all, those in some governorates, or one station."""

    everything: bool = False
    governorates: frozenset[str] = frozenset()
    station_ids: frozenset[int] = frozenset()


def require_officer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise Unauthenticated()
    return viewer


def record_scope(viewer: Viewer) -> Scope:
    if viewer.role == ADMIN:
        return Scope(everything=True)
    if viewer.role == SUPERVISOR:
        return Scope(governorates=viewer.governorates)
    return Scope(station_ids=frozenset({viewer.station_id}) if viewer.station_id else frozenset())


def can_access_station(viewer: Viewer, station_id: int, station_governorate: str) -> bool:
    """Read and write the records of this station (field work is read and written by the same people)."""
    scope = record_scope(viewer)
    return scope.everything or station_id in scope.station_ids or station_governorate in scope.governorates


def require_station(viewer: Viewer, station_id: int, station_governorate: str) -> None:
    if not can_access_station(viewer, station_id, station_governorate):
        raise Forbidden("This station's records are not yours.")


def is_sensitive(category: str, marked: bool) -> bool:
    return bool(marked) or category in SENSITIVE_CATEGORIES


def is_household(kind: str) -> bool:
    """An engagement whose place is a family's home."""
    return kind in HOUSEHOLD_KINDS


def on_incident_case(viewer: Viewer | None, incident: Any) -> bool:
    """The people on an incident's case: the commander of its station, its reporting and assigned
    officers, and admins."""
    if viewer is None:
        return False
    if viewer.role == ADMIN or (viewer.role == COMMANDER and viewer.station_id == incident.station_id):
        return True
    assigned = incident.assigned_officer_ids or ()
    return viewer.officer_id == incident.reported_by_id or viewer.officer_id in assigned


def on_engagement_case(viewer: Viewer | None, engagement: Any) -> bool:
    """The people on a household engagement's case: the officer who held it, the commander of its
    station, and admins."""
    if viewer is None:
        return False
    if viewer.role == ADMIN or (viewer.role == COMMANDER and viewer.station_id == engagement.station_id):
        return True
    return viewer.officer_id == engagement.officer_id


def sees_sensitive_details(viewer: Viewer, incident: Any) -> bool:
    """Description, people and exact place of an incident: anyone for an incident that is not sensitive,
    the people on its case for one that is."""
    return not is_sensitive(incident.category, incident.sensitive) or on_incident_case(viewer, incident)


def case_viewpoint(viewer: Viewer) -> CaseViewpoint:
    """The cases `on_incident_case` and `on_engagement_case` put the viewer on, for SQL to test."""
    return CaseViewpoint(
        everything=viewer.role == ADMIN,
        station_id=viewer.station_id if viewer.role == COMMANDER else None,
        officer_id=viewer.officer_id,
    )


def can_assign(viewer: Viewer) -> bool:
    """Assigning incidents to officers is for commanders, supervisors and admins."""
    return viewer.role in (COMMANDER, SUPERVISOR, ADMIN)


def may_update_follow_up(viewer: Viewer, action: Any) -> bool:
    """A follow-up action's status: its owner, the commander of its station, supervisors over it, admins."""
    if viewer.role == ADMIN or viewer.officer_id == action.owner_id:
        return True
    if viewer.role == COMMANDER:
        return viewer.station_id == action.station_id
    if viewer.role == SUPERVISOR:
        return action.station_governorate in viewer.governorates
    return False


def may_correct_incident(viewer: Viewer, incident: Any) -> bool:
    """Correcting an incident (its description, category, people, place) is for the people on its case:
    who reported it, the officers assigned to it, the commander of its station, admins. The same rule for
    every incident, sensitive or not: a correction rewrites what the station reported, so it is for those
    who answer for the report. Supervisors, who oversee many stations' cases, and the station's other
    officers may not (they may see it; they are answered FORBIDDEN). Whoever may not see the station's
    records at all is answered NOT_FOUND before this is asked."""
    return on_incident_case(viewer, incident)


def may_unmark_sensitive(viewer: Viewer, incident: Any) -> bool:
    """Lowering an incident's sensitivity (a correction's `sensitive: false`, once it is out of a sensitive
    category) is for the commander of its station and admins: it opens its details to the station's
    officers and its supervisors, so the officer who reported it does not decide it alone."""
    return viewer.role == ADMIN or (viewer.role == COMMANDER and viewer.station_id == incident.station_id)


def may_correct_engagement(viewer: Viewer, engagement: Any) -> bool:
    """Correcting an engagement (attendees, topics, notes) is for the officer who held it, the commander
    of its station and admins: the people on its case, for every kind of engagement."""
    return on_engagement_case(viewer, engagement)


def may_add_follow_up(viewer: Viewer, record: Any, *, incident: bool) -> bool:
    """Adding a follow-up action to a record the viewer may write (its station is in their scope): to an
    engagement, anyone who may; to a sensitive incident, only the people on its case (what the action
    says to do may tell the case)."""
    if incident:
        return sees_sensitive_details(viewer, record)
    return True


def may_attach_media(viewer: Viewer, record: Any, *, incident: bool) -> bool:
    """Attaching a photo or document to a record the viewer may write (its station is in their scope):
    to a sensitive incident or a household engagement, only the people on its case (a photo shows far
    more than its coarse cell and day); to any other, anyone who may write it."""
    return sees_media(viewer, record, incident=incident)


def sees_media(viewer: Viewer | None, record: Any, *, incident: bool) -> bool:
    """A record's photos and documents (and the links to them): whoever may see the record's details. Of
    a sensitive incident or a household engagement, the people on its case only; everyone else is shown
    none of them (resolvers.disclosure.media_withheld), never a generalised version."""
    if viewer is None:
        return False
    if incident:
        return sees_sensitive_details(viewer, record)
    return not is_household(record.kind) or on_engagement_case(viewer, record)


def sees_follow_up(viewer: Viewer, action: Any) -> bool:
    """A follow-up action: its owner, and whoever may see its station's records; an action of a sensitive
    incident, or of a household engagement (a home visit, a family-protection follow-up: what is to be
    done there names the household, and its times time the visit), only its owner and the people on that
    record's case."""
    if viewer.officer_id == action.owner_id:
        return True
    if not can_access_station(viewer, action.station_id, action.station_governorate):
        return False
    if action.incident_id is None:
        if action.engagement_kind is None or not is_household(action.engagement_kind):
            return True
        return on_engagement_case(viewer, _EngagementCase.of_action(action))
    if not is_sensitive(action.incident_category, action.incident_sensitive):
        return True
    return on_incident_case(viewer, _IncidentCase.of_action(action))


@dataclasses.dataclass(frozen=True, slots=True)
class _EngagementCase:
    """The fields `on_engagement_case` reads, of the engagement an action belongs to."""

    station_id: int
    officer_id: int | None

    @classmethod
    def of_action(cls, action: Any) -> _EngagementCase:
        return cls(action.station_id, action.engagement_officer_id)


@dataclasses.dataclass(frozen=True, slots=True)
class _IncidentCase:
    """The fields `on_incident_case` reads, of the incident an action belongs to."""

    station_id: int
    reported_by_id: int | None
    assigned_officer_ids: tuple[int, ...]

    @classmethod
    def of_action(cls, action: Any) -> _IncidentCase:
        return cls(
            action.station_id,
            action.incident_reported_by_id,
            tuple(action.incident_assigned_officer_ids or ()),
        )


# --- Problems (SARA) and what a station publishes ----------------------------------------------------


def may_write_problem(viewer: Viewer, station_id: int) -> bool:
    """Opening and working a problem: the officers and the commander of its station, and admins.
    Supervisors read the problems of their governorates but do not write them (FORBIDDEN)."""
    if viewer.role == ADMIN:
        return True
    return viewer.role in (OFFICER, COMMANDER) and viewer.station_id == station_id


def sees_problem(viewer: Viewer, problem: Any) -> bool:
    """A problem: whoever may see its station's records (supervisors within their governorates)."""
    return can_access_station(viewer, problem.station_id, problem.station_governorate)


def may_link_incident(viewer: Viewer, incident: Any) -> bool:
    """Tying an incident to a problem (or untying it): to a sensitive one, only the people on its case."""
    return sees_sensitive_details(viewer, incident)


def may_link_engagement(viewer: Viewer, engagement: Any) -> bool:
    """Tying an engagement to a problem: a household one only by the people on its case."""
    return not is_household(engagement.kind) or on_engagement_case(viewer, engagement)


def lists_linked_incident(viewer: Viewer, incident: Any) -> bool:
    """Whether a problem's incident list shows this incident: a sensitive one only to the people on its
    case; to anyone else it is not listed at all (it counts in the figures only, generalised)."""
    return sees_sensitive_details(viewer, incident)


def lists_linked_engagement(viewer: Viewer, engagement: Any) -> bool:
    """Whether a problem's engagement list shows this engagement: a household one only to its case."""
    return may_link_engagement(viewer, engagement)


def may_publish(viewer: Viewer, station_id: int) -> bool:
    """Publishing for the public (a priority, a community meeting) and withdrawing it: the commander of
    the station, and admins."""
    return viewer.role == ADMIN or (viewer.role == COMMANDER and viewer.station_id == station_id)


def require_admin(viewer: Viewer | None) -> Viewer:
    viewer = require_officer(viewer)
    if viewer.role != ADMIN:
        raise Forbidden("Only administrators may do this.")
    return viewer


def may_manage_station(viewer: Viewer, station_id: int) -> bool:
    """A station's names, address, phone, services, hours and closures (updateStation,
    addStationClosure, removeStationClosure): its own commander, and admins for every station.
    Supervisors oversee stations' records, they do not run them; officers neither."""
    return viewer.role == ADMIN or (viewer.role == COMMANDER and viewer.station_id == station_id)


def may_change_public_holidays(viewer: Viewer) -> bool:
    """Moving a public holiday to the announced dates, or adding a one-off: admins only (the holidays
    are national; every station that closes on them follows)."""
    return viewer.role == ADMIN


def may_introspect(viewer: Viewer | None, *, production: bool) -> bool:
    """The schema is open to everyone in development (GraphiQL needs it), only to admins in production:
    it maps the attack surface, and the apps ship their operations already built."""
    return not production or (viewer is not None and viewer.role == ADMIN)


def can_read_officer(viewer: Viewer, officer: Any, officer_governorate: str | None) -> bool:
    """Officers' profiles: oneself, and the officers of the stations one may see."""
    if viewer.officer_id == officer.id or viewer.role == ADMIN:
        return True
    if officer.station_id is None:
        return False
    return can_access_station(viewer, officer.station_id, officer_governorate or "")


def may_send_documents(viewer: Viewer | None, *, production: bool) -> bool:
    """Whether a request may run a document that is not an operation of a kept app release.

    In production the apps run only their releases' operations (the safelist), so a stolen token or an
    altered app cannot run arbitrary queries; admins still may, for support and investigation. In
    development anyone may (GraphiQL).
    """
    return not production or (viewer is not None and viewer.role == ADMIN)


# --- Activity (maps, timelines, summaries, exports) -------------------------------------------------


def activity_scope(
    viewer: Viewer | None,
    *,
    station_id: int | None = None,
    governorate: str | None = None,
    station_governorate: str | None = None,
) -> Scope:
    """The records a signed-in officer may count on activity maps, after checking the area asked about.

    A station area must be a station whose records the viewer may read; a governorate area must be one
    of a supervisor's governorates (any, for admins; their own station's, for commanders and officers,
    who then see only their station). Drawn areas are not checked: the scope filters them.
    """
    viewer = require_officer(viewer)
    if station_id is not None:
        require_station(viewer, station_id, station_governorate or "")
    elif governorate is not None:
        scope = record_scope(viewer)
        mine = (
            scope.everything
            or governorate in scope.governorates
            or (bool(scope.station_ids) and viewer.station_governorate == governorate)
        )
        if not mine:
            raise Forbidden("This governorate's records are not yours.")
    return record_scope(viewer)


def on_every_case_in_scope(viewer: Viewer) -> bool:
    """Whether the viewer is on the case of every sensitive record their aggregates count: admins, and
    commanders (whose scope is their own station, whose cases they are all on). Their maps, timelines and
    summaries count sensitive records exactly; everyone else's count them generalised
    (resolvers.disclosure)."""
    return viewer.role in (ADMIN, COMMANDER)


def may_export_activity(viewer: Viewer | None) -> Viewer:
    """Exports of activity (all of one's scope at once) are for commanders, supervisors and admins."""
    viewer = require_officer(viewer)
    if viewer.role not in (COMMANDER, SUPERVISOR, ADMIN):
        raise Forbidden("Only commanders, supervisors and administrators may export activity.")
    return viewer


# --- Citizens' voice: feedback and Open311 reports ---------------------------------------------------


def may_read_feedback(viewer: Viewer) -> bool:
    """Feedback summaries (only ever sums of published base numbers: resolvers/feedback.py) are for
    commanders (their station), supervisors (their governorates) and admins; not for the officers whose
    service is rated."""
    return viewer.role in (COMMANDER, SUPERVISOR, ADMIN)


def may_read_feedback_comments(viewer: Viewer, station_id: int) -> bool:
    """Feedback comments are free text that may name people: the commander of the station only."""
    return viewer.role == COMMANDER and viewer.station_id == station_id


def sees_service_request(viewer: Viewer, request: Any) -> bool:
    """A citizen's report in a station's triage: whoever may see the station's records."""
    return can_access_station(viewer, request.station_id, request.station_governorate)


def sees_service_request_contact(viewer: Viewer, request: Any) -> bool:
    """The reporter's name, email and phone: the station's own officers and commander (who call back),
    and admins; not supervisors."""
    return viewer.role == ADMIN or (
        viewer.role in (OFFICER, COMMANDER) and viewer.station_id == request.station_id
    )


def may_triage_service_request(viewer: Viewer, request: Any) -> bool:
    """Accepting, declining, marking duplicate or resolving a report: the station's officers and
    commander, and admins. Supervisors read, they do not triage."""
    return viewer.role == ADMIN or (
        viewer.role in (OFFICER, COMMANDER) and viewer.station_id == request.station_id
    )


# --- The officer's device -------------------------------------------------------------------------------


def may_sync_device(viewer: Viewer | None) -> Viewer:
    """The offline working set (`deviceChanges`) is for every signed-in officer, of any role; what it
    holds is their own scope (resolvers/device_sync.py), never anyone else's."""
    return require_officer(viewer)


# --- Officer administration and the audit log --------------------------------------------------------

# What an officer signed in with a one-time password may run until it is changed (api/executor.py).
# (refreshSession only renews the tokens of the sign-in, which stays as restricted.)
PASSWORD_CHANGE_FIELDS = frozenset({"changePassword", "logout", "refreshSession", "me", "__typename"})


def may_list_officers(viewer: Viewer | None) -> Viewer:
    """The `officers` list: admins (everyone), commanders (their station's), supervisors (the officers of
    their governorates' stations, and the supervisors of those governorates). Officers have `me`."""
    viewer = require_officer(viewer)
    if viewer.role not in (COMMANDER, SUPERVISOR, ADMIN):
        raise Forbidden("Only commanders, supervisors and administrators may list officers.")
    return viewer


def officer_list_scope(viewer: Viewer) -> Scope:
    if viewer.role == COMMANDER:
        return Scope(station_ids=frozenset({viewer.station_id}) if viewer.station_id else frozenset())
    return record_scope(viewer)


def may_administer_officers(viewer: Viewer | None) -> Viewer:
    """Officer administration (create, update, reset a password, unlock) is for admins, and for station
    commanders over the officers of their own station; anyone else is refused outright."""
    viewer = require_officer(viewer)
    if viewer.role == ADMIN or (viewer.role == COMMANDER and viewer.station_id is not None):
        return viewer
    raise Forbidden("Only administrators and station commanders may administer officers.")


def may_manage_officer(viewer: Viewer, officer: Any) -> bool:
    """Whether the viewer may change this account: an admin any account but their own; a commander the
    OFFICER accounts of their own station (never a commander's, a supervisor's or an admin's). Nobody
    administers their own account here: one changes one's password with changePassword."""
    if officer.id == viewer.officer_id:
        return False
    if viewer.role == ADMIN:
        return True
    return viewer.role == COMMANDER and officer.role == OFFICER and officer.station_id == viewer.station_id


def sees_officer_to_manage(viewer: Viewer, officer: Any) -> bool:
    """Whether the account is one the viewer may know of when administering (else NOT_FOUND): an admin
    all; a commander the accounts of their station."""
    return viewer.role == ADMIN or (
        officer.station_id is not None and officer.station_id == viewer.station_id
    )


def account_refusal(viewer: Viewer, role: str, station_id: int | None) -> str | None:
    """The input field a commander may not set so (None when allowed): a commander gives only the OFFICER
    role, and only at their own station. Admins may set any account."""
    if viewer.role == ADMIN:
        return None
    if role != OFFICER:
        return "role"
    if station_id != viewer.station_id:
        return "stationId"
    return None


def may_read_audit_log(viewer: Viewer | None) -> Viewer:
    """The audit log: admins all of it, supervisors the entries about their governorates' stations
    (and those stations' officers, records and sign-ins); anyone else is refused."""
    viewer = require_officer(viewer)
    if viewer.role not in (SUPERVISOR, ADMIN):
        raise Forbidden("Only administrators and supervisors may read the audit log.")
    return viewer
