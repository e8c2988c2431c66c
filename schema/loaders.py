"""The request's DataLoaders: one per key, shared by every type that needs it.

Each loads every key asked for in the same tick with one query, and lives as long as its request (never
across users). Loaders of records apply the policy as the record's own list does: officers are those the
viewer may see (resolvers.officers.visible_officers), patrols those of stations the viewer may see.

    station = await loaders.station(info.context).load(row.station_id)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from resolvers import engagements as engagement_logic
from resolvers import incidents as incident_logic
from resolvers import officers as officer_logic
from resolvers import patrols as patrol_logic
from resolvers import problem_links as problem_links_logic
from resolvers import station_areas as area_logic
from resolvers import station_publishing as publishing_logic
from resolvers import stations as station_logic
from resolvers.context import Context

Load = Callable[[Context, list[int]], Awaitable[dict[int, Any]]]


def _loader(ctx: Context, name: str, load: Load, default: Any = None) -> DataLoader[int, Any]:
    """The request's loader `name`: one query for every key asked for in the same tick."""

    async def load_fn(keys: Sequence[int]) -> list[Any]:
        found = await load(ctx, list(keys))
        return [found.get(key, default) for key in keys]

    return ctx.loader(name, lambda _: DataLoader(load_fn=load_fn))


def station(ctx: Context) -> DataLoader[int, Any]:
    """Stations by id (public: any station)."""
    return _loader(ctx, "StationById", station_logic.stations_by_ids)


def station_area(ctx: Context) -> DataLoader[int, Any]:
    """Station areas by station id (public; None for a station without one)."""
    return _loader(ctx, "StationAreaByStation", area_logic.areas_of)


def officer(ctx: Context) -> DataLoader[int, Any]:
    """Officers by id, those the viewer may see (None for the others)."""
    return _loader(ctx, "OfficerById", officer_logic.visible_officers)


def patrol(ctx: Context) -> DataLoader[int, Any]:
    """Patrols by id, of the stations the viewer may see."""
    return _loader(ctx, "PatrolById", patrol_logic.visible_patrols)


def engagement(ctx: Context) -> DataLoader[int, Any]:
    """Engagements by id, of the follow-up actions the viewer already sees."""
    return _loader(ctx, "EngagementById", engagement_logic.engagements_by_ids)


def follow_ups(ctx: Context) -> DataLoader[int, Any]:
    """Each engagement's follow-up actions, in the order they were logged."""
    return _loader(ctx, "FollowUpsByEngagementId", engagement_logic.follow_ups_of, [])


def status_history(ctx: Context) -> DataLoader[int, Any]:
    """Each incident's status changes, oldest first."""
    return _loader(ctx, "StatusChangesByIncidentId", incident_logic.status_history, [])


def track_end(ctx: Context) -> DataLoader[int, Any]:
    """Each patrol's last kept fix and its time."""
    return _loader(ctx, "TrackEndByPatrolId", patrol_logic.track_ends)


def track(ctx: Context) -> DataLoader[int, Any]:
    """Each patrol's kept track as GeoJSON."""
    return _loader(ctx, "TrackByPatrolId", patrol_logic.kept_tracks)


def incident_corrections(ctx: Context) -> DataLoader[int, Any]:
    """Each incident's corrections, oldest first."""
    return _loader(ctx, "CorrectionsByIncidentId", incident_logic.corrections_of, [])


def engagement_corrections(ctx: Context) -> DataLoader[int, Any]:
    """Each engagement's corrections, oldest first."""
    return _loader(ctx, "CorrectionsByEngagementId", engagement_logic.corrections_of, [])


def incident_follow_ups(ctx: Context) -> DataLoader[int, Any]:
    """Each incident's follow-up actions that the viewer may see, in the order they were added."""
    return _loader(ctx, "FollowUpsByIncidentId", engagement_logic.incident_follow_ups, [])


def action_incident(ctx: Context) -> DataLoader[int, Any]:
    """Incidents by id, of the follow-up actions the viewer already sees (shown as Incident.from_row
    shows any incident: a sensitive one's details only to the people on its case)."""
    return _loader(ctx, "IncidentOfActionById", incident_logic.incidents_by_ids)


def problem_links(ctx: Context) -> DataLoader[int, Any]:
    """Each problem's links, in the order they were made."""
    return _loader(ctx, "LinksByProblemId", problem_links_logic.links_of, [])


def public_priorities(ctx: Context) -> DataLoader[int, Any]:
    """Each station's published priorities (public)."""
    return _loader(ctx, "PublicPrioritiesByStationId", publishing_logic.published_priorities, [])


def upcoming_meetings(ctx: Context) -> DataLoader[int, Any]:
    """Each station's published meetings not over yet (public)."""
    return _loader(ctx, "UpcomingMeetingsByStationId", publishing_logic.upcoming_meetings, [])


def visible_incident(ctx: Context) -> DataLoader[int, Any]:
    """Incidents by id, of the stations the viewer may see (how each shows is Incident.from_row's)."""
    return _loader(ctx, "VisibleIncidentById", incident_logic.visible_incidents)


def visible_engagement(ctx: Context) -> DataLoader[int, Any]:
    """Engagements by id, of the stations the viewer may see."""
    return _loader(ctx, "VisibleEngagementById", engagement_logic.visible_engagements)


def visible_follow_up(ctx: Context) -> DataLoader[int, Any]:
    """Follow-up actions by id that the viewer may see (resolvers.policy.sees_follow_up)."""
    return _loader(ctx, "VisibleFollowUpById", engagement_logic.visible_follow_ups)
