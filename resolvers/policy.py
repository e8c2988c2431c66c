"""Who may read and write what: every permission decision of Markaz is made here.

Roles, from the narrowest: an OFFICER and a STATION_COMMANDER work on their own station's records;
a SUPERVISOR on the records of stations in their governorates; an ADMIN on everything. Citizens (no
token) see public station data only. Sensitive incidents (domestic violence, child protection,
juveniles, or marked sensitive) show their description and the people involved only to the owning
station's commander, the reporting and assigned officers, and admins.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from resolvers.errors import Forbidden, Unauthenticated

OFFICER, COMMANDER, SUPERVISOR, ADMIN = "OFFICER", "STATION_COMMANDER", "SUPERVISOR", "ADMIN"
ROLES = (OFFICER, COMMANDER, SUPERVISOR, ADMIN)
SENSITIVE_CATEGORIES = frozenset({"DOMESTIC_VIOLENCE", "CHILD_PROTECTION", "JUVENILE"})

# What a citizen (no token) may reach: these root queries, answering with objects of these types only
# (`me` is null, `node`/`nodes` null for anything else). Signing in is open to all, through the
# mutations below; every other mutation needs an officer. tests/test_security.py runs every root field
# of the live schema as a citizen and holds the answers to these lists, so a new field that is not
# refused fails there until it is refused or added here on purpose.
CITIZEN_QUERIES = frozenset({"nearestStations", "stations", "station", "governorates", "me", "node", "nodes",
                             "publicSafetyMap"})
CITIZEN_TYPES = frozenset({"Station", "NearbyStation", "StationConnection", "StationEdge", "PageInfo",
                           "Governorate", "LocalizedText", "GeoPoint", "OpeningPeriod", "StationClosure",
                           "ActivityMap", "ActivityCell", "ActivityCounts"})
CITIZEN_MUTATIONS = frozenset({"login", "refreshSession", "logout"})


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
    return marked or category in SENSITIVE_CATEGORIES


def sees_sensitive_details(viewer: Viewer, incident: Any) -> bool:
    """Description and people of a sensitive incident: commander of its station, its officers, admins."""
    if not is_sensitive(incident.category, incident.sensitive):
        return True
    if viewer.role == ADMIN:
        return True
    if viewer.role == COMMANDER and viewer.station_id == incident.station_id:
        return True
    assigned = incident.assigned_officer_ids or ()
    return viewer.officer_id == incident.reported_by_id or viewer.officer_id in assigned


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


def require_admin(viewer: Viewer | None) -> Viewer:
    viewer = require_officer(viewer)
    if viewer.role != ADMIN:
        raise Forbidden("Only administrators may do this.")
    return viewer


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

# Hexagons finer than this (resolution 7: about 5 km², 1.2 km across) are where a single sensitive
# incident could point at a household. Viewers who may not read sensitive details (supervisors,
# officers) get sensitive incidents in cells of 7 or coarser only; at finer resolutions they are counted
# in the totals (which must equal the incident list's count, where those incidents appear with their
# details hidden) but not placed. This matches the coarse (~1 km) location the Incident type gives them.
SENSITIVE_CELL_MAX_RESOLUTION = 7
# The citizens' map: coarse hexagons, only completed months, no sensitive incidents, no small counts.
PUBLIC_MAX_RESOLUTION = 7
PUBLIC_MIN_INCIDENTS = 5


def activity_scope(viewer: Viewer | None, *, station_id: int | None = None, governorate: str | None = None,
                   station_governorate: str | None = None) -> Scope:
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
        mine = scope.everything or governorate in scope.governorates or (
            bool(scope.station_ids) and viewer.station_governorate == governorate)
        if not mine:
            raise Forbidden("This governorate's records are not yours.")
    return record_scope(viewer)


def sees_sensitive_cells(viewer: Viewer) -> bool:
    """Whether sensitive incidents are placed in fine cells for this viewer: admins, and commanders
    (whose scope is their own station, whose sensitive details they may read)."""
    return viewer.role in (ADMIN, COMMANDER)


def may_export_activity(viewer: Viewer | None) -> Viewer:
    """Exports of activity (all of one's scope at once) are for commanders, supervisors and admins."""
    viewer = require_officer(viewer)
    if viewer.role not in (COMMANDER, SUPERVISOR, ADMIN):
        raise Forbidden("Only commanders, supervisors and administrators may export activity.")
    return viewer
