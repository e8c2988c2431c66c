"""Exports of activity: the map's cells month by month, as CSV or a GeoJSON FeatureCollection, streamed.

Used by `markaz export activity` (as an administrator: whoever runs the command holds the database) and
by `GET /exports/activity` for commanders, supervisors and admins, scoped like their maps:

    export = await prepare(ctx, area, start, end, resolution, "csv")   # validates, checks permission
    async for text in export.chunks(progress):                         # one chunk per month
        ...
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import h3
import orjson

from resolvers import activity, activity_plan, disclosure, inputs, policy
from resolvers.areas import resolve_area
from resolvers.context import Context
from resolvers.errors import InputError
from resolvers.messages import message

FORMATS = ("csv", "geojson")
CSV_HEADER = (
    "period_start",
    "period_end",
    "h3_index",
    "latitude",
    "longitude",
    "incidents",
    "engagements",
    "patrol_minutes",
    "sensitive_incidents_withheld",
    "sensitive_engagements_withheld",
)


@dataclasses.dataclass(slots=True)
class Export:
    ctx: Context
    area: Any
    windows: list[tuple[datetime, datetime]]
    resolution: int
    format: str

    @property
    def media_type(self) -> str:
        return "text/csv; charset=utf-8" if self.format == "csv" else "application/geo+json"

    async def chunks(self, progress: Callable[[int], None] | None = None) -> AsyncIterator[str]:
        """The export's text: a header, then each month's cells (one chunk a month), then a footer.

        For a viewer who sees sensitive records generalised (resolvers.disclosure), each month also says
        how many sensitive incidents and engagements it counted but could not place at this resolution: a
        CSV row with no cell and the numbers in the two `..._withheld` columns, and in GeoJSON the
        collection's `withheld` list.
        """
        generalised = not disclosure.for_viewer(self.ctx.viewer).exact_aggregates
        if self.format == "csv":
            yield ",".join(CSV_HEADER) + "\r\n"
        else:
            yield '{"type":"FeatureCollection","features":['
        first, withheld = True, []
        for done, (start, end) in enumerate(self.windows, 1):
            found = await activity.activity_map(self.ctx, self.area, start, end, self.resolution, None, None)
            totals = found.totals
            withheld.append(
                {
                    "periodStart": start.isoformat(),
                    "periodEnd": end.isoformat(),
                    "sensitiveIncidents": totals.sensitive_withheld,
                    "sensitiveEngagements": totals.sensitive_engagements_withheld,
                }
            )
            # A month of a governorate's cells is thousands of rows, hexagons and numbers to write: done in
            # a thread, so the server's event loop keeps answering everyone else meanwhile.
            if self.format == "csv":
                yield await asyncio.to_thread(_csv, found, start, end, generalised)
            elif found.cells:
                yield ("" if first else ",") + await asyncio.to_thread(_features, found, start, end)
                first = False
            if progress is not None:
                progress(done)
        if self.format == "geojson":
            yield "]" + (',"withheld":' + orjson.dumps(withheld).decode() if generalised else "") + "}\n"


def _features(found: activity.ActivityMap, start: datetime, end: datetime) -> str:
    features = activity.feature_collection(found.cells)["features"]
    for feature in features:
        feature["properties"].update(periodStart=start.isoformat(), periodEnd=end.isoformat())
    return ",".join(orjson.dumps(f).decode() for f in features)


def _csv(found: activity.ActivityMap, start: datetime, end: datetime, generalised: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for cell in found.cells:
        lat, lon = h3.cell_to_latlng(h3.int_to_str(cell.h3_index))
        writer.writerow(
            (
                start.isoformat(),
                end.isoformat(),
                h3.int_to_str(cell.h3_index),
                f"{lat:.6f}",
                f"{lon:.6f}",
                cell.incidents,
                cell.engagements,
                f"{cell.patrol_minutes:.2f}",
                "",
                "",
            )
        )
    if generalised:
        totals = found.totals
        writer.writerow(
            (
                start.isoformat(),
                end.isoformat(),
                "",
                "",
                "",
                "",
                "",
                "",
                totals.sensitive_withheld,
                totals.sensitive_engagements_withheld,
            )
        )
    return out.getvalue()


async def prepare(
    ctx: Context, area_input: inputs.Area, start: datetime, end: datetime, resolution: int, fmt: str
) -> Export:
    """Check everything before the first byte goes out: the viewer may export, the input is good."""
    policy.may_export_activity(ctx.viewer)
    if fmt not in FORMATS:
        raise InputError("format", message("choice", ctx.lang, field="format", choices=", ".join(FORMATS)))
    activity.check_resolution(resolution, ctx.lang)
    start, end = activity.check_period(start, end, ctx.lang)
    area = await resolve_area(ctx, area_input)
    activity.check_area_scope(ctx, area)
    if area.is_place:
        area.cells(resolution, lang=ctx.lang)  # too large an area is refused now, not mid-stream
    windows, at = [], start
    while at < end:  # calendar months of Baghdad, the first and last clipped to the period
        following = min(activity_plan.next_month(activity_plan.month_floor(at)).astimezone(UTC), end)
        windows.append((at, following))
        at = following
    return Export(ctx, area_input, windows, resolution, fmt)
