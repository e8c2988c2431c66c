"""Station areas as geometry, without I/O: checking a GeoJSON Polygon or MultiPolygon, its bounding box,
and whether it holds a point, by a rule that gives a point on a shared boundary to exactly one area.

**Checks.** Positions are [longitude, latitude] in range, finite; each ring has at least four positions
and is closed; no ring crosses itself or another ring of its polygon (a hole crossing its outer ring
included), and each hole lies inside its outer ring. At most `MAX_VERTICES` positions an area, and the
crossing check stops after `MAX_PAIR_CHECKS` pairs of edges (a hostile file costs a bounded time):
an area too intricate for that is refused, saying so.

**The boundary rule.** Areas are planar in longitude and latitude (edges are drawn straight on a map).
A point is in an area when a ray from it due east crosses the area's rings an odd number of times,
counting an edge as crossed when one end is north of the point and the other at or south of it
(half-open). So a point on an edge shared by two areas belongs to exactly one of them: the one to its
east, or on an east-west edge, the one to its north; a point on the outer edge of the map of areas may
fall outside all of them. Two areas that share a border must share its vertices for this to hold.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Sequence
from typing import Any

MAX_VERTICES = 20_000
MAX_POLYGONS = 500
MAX_PAIR_CHECKS = 1_000_000

Ring = list[tuple[float, float]]
Polygon = list[Ring]


class AreaError(ValueError):
    """A geometry that cannot be an area: `field` is its path ("geometry.coordinates.0.3"), the message
    says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclasses.dataclass(frozen=True, slots=True)
class Area:
    """A checked area: its polygons (outer ring, then holes), its GeoJSON, box and vertex count."""

    polygons: list[Polygon]
    geometry: dict[str, Any]
    west: float
    south: float
    east: float
    north: float
    vertices: int


def check_area(geometry: Any, field: str = "geometry") -> Area:
    """The area of a GeoJSON geometry, or AreaError naming the first problem."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        found = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise AreaError(field, f"expected a Polygon or MultiPolygon geometry, got {str(found)[:40]}")
    multi = geometry["type"] == "MultiPolygon"
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise AreaError(f"{field}.coordinates", "must be a non-empty array")
    given = coordinates if multi else [coordinates]
    if len(given) > MAX_POLYGONS:
        raise AreaError(f"{field}.coordinates", f"{len(given)} polygons; at most {MAX_POLYGONS} allowed")
    polygons: list[Polygon] = []
    vertices = 0
    for p, polygon in enumerate(given):
        polygon_path = f"{field}.coordinates" + (f".{p}" if multi else "")
        if not isinstance(polygon, list) or not polygon:
            raise AreaError(polygon_path, "must be an array of rings (the outer ring, then holes)")
        rings: Polygon = []
        for r, ring in enumerate(polygon):
            ring_path = f"{polygon_path}.{r}"
            if not isinstance(ring, list) or len(ring) < 4:
                raise AreaError(ring_path, "a ring needs at least 4 positions, the last equal to the first")
            vertices += len(ring)
            if vertices > MAX_VERTICES:
                raise AreaError(f"{field}.coordinates", f"more than {MAX_VERTICES} positions")
            rings.append([_position(position, f"{ring_path}.{v}") for v, position in enumerate(ring)])
            if rings[-1][0] != rings[-1][-1]:
                raise AreaError(ring_path, "is not closed: its last position must equal its first")
            if len(set(rings[-1])) < 3:
                raise AreaError(ring_path, "has fewer than 3 distinct positions")
        _check_crossings(rings, polygon_path)
        for h, hole in enumerate(rings[1:], start=1):
            if not _in_ring(rings[0], *hole[0]):
                raise AreaError(f"{polygon_path}.{h}", "a hole must lie inside its polygon's outer ring")
        polygons.append(rings)
    xs = [x for polygon in polygons for x, _ in polygon[0]]
    ys = [y for polygon in polygons for _, y in polygon[0]]
    clean = [[[list(pt) for pt in ring] for ring in polygon] for polygon in polygons]
    return Area(
        polygons=polygons,
        geometry={"type": geometry["type"], "coordinates": clean if multi else clean[0]},
        west=min(xs),
        south=min(ys),
        east=max(xs),
        north=max(ys),
        vertices=vertices,
    )


def _position(value: Any, path: str) -> tuple[float, float]:
    if not (
        isinstance(value, list)
        and 2 <= len(value) <= 3
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in value)
    ):
        raise AreaError(path, "a position is [longitude, latitude]")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise AreaError(f"{path}.0", "longitude must be between -180 and 180")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise AreaError(f"{path}.1", "latitude must be between -90 and 90")
    return lon, lat


def _orientation(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> bool:
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def _touch(p1: Any, p2: Any, q1: Any, q2: Any) -> bool:
    """Whether segments p1p2 and q1q2 share any point."""
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(q1, q2, p1))
        or (d2 == 0 and _on_segment(q1, q2, p2))
        or (d3 == 0 and _on_segment(p1, p2, q1))
        or (d4 == 0 and _on_segment(p1, p2, q2))
    )


def _check_crossings(rings: Polygon, path: str) -> None:
    """No two edges of the polygon's rings share a point, but consecutive edges of one ring their common
    vertex. A sweep over longitude: only edges whose spans of longitude overlap are compared."""
    edges = []  # (west, east, ring, index, a, b)
    for r, ring in enumerate(rings):
        for i in range(len(ring) - 1):
            a, b = ring[i], ring[i + 1]
            if a == b:
                raise AreaError(f"{path}.{r}.{i + 1}", "repeats the position before it")
            edges.append((min(a[0], b[0]), max(a[0], b[0]), r, i, a, b))
    edges.sort(key=lambda e: e[0])
    active: dict[int, Any] = {}  # the edges whose span of longitude reaches the sweep, by position
    ends: list[tuple[float, int]] = []  # a heap of (east end, position) of the active edges
    checks = 0
    for n, edge in enumerate(edges):
        west = edge[0]
        while ends and ends[0][0] < west:
            del active[heapq.heappop(ends)[1]]
        for other in active.values():
            checks += 1
            if checks > MAX_PAIR_CHECKS:
                raise AreaError(path, "too intricate to check (simplify its rings)")
            if other[2] == edge[2]:
                last = len(rings[edge[2]]) - 2
                gap = abs(other[3] - edge[3])
                if gap == 1 or gap == last:  # neighbours share exactly their common vertex
                    if _overlapping_neighbours(other, edge):
                        raise AreaError(
                            f"{path}.{edge[2]}", "crosses itself (an edge folds back on the one before it)"
                        )
                    continue
            if _touch(other[4], other[5], edge[4], edge[5]):
                where = f"{path}.{edge[2]}" if other[2] == edge[2] else path
                what = (
                    "crosses itself"
                    if other[2] == edge[2]
                    else f"rings {other[2]} and {edge[2]} cross or touch"
                )
                raise AreaError(where, f"{what} (near {edge[4][0]:.6f}, {edge[4][1]:.6f})")
        active[n] = edge
        heapq.heappush(ends, (edge[1], n))


def _overlapping_neighbours(e1: Any, e2: Any) -> bool:
    """Consecutive edges that run back over each other (collinear, pointing apart from their vertex by
    less than a straight angle the wrong way): the ring doubles back."""
    a1, b1, a2, b2 = e1[4], e1[5], e2[4], e2[5]
    shared = b1 if b1 in (a2, b2) else a1
    u = a1 if shared == b1 else b1
    v = b2 if shared == a2 else a2
    if _orientation(shared, u, v) != 0:
        return False
    return (u[0] - shared[0]) * (v[0] - shared[0]) + (u[1] - shared[1]) * (v[1] - shared[1]) > 0


def _in_ring(ring: Sequence[tuple[float, float]], x: float, y: float) -> bool:
    """The half-open crossing rule of the module's docstring, for one ring."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def polygons_of(geometry: dict[str, Any]) -> list[Polygon]:
    """The polygons of a stored (checked) area."""
    given = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in given]


def holds(polygons: Sequence[Polygon], latitude: float, longitude: float) -> bool:
    """Whether the area holds the point: in an outer ring and in none of its holes (half-open rule)."""
    for outer, *holes in polygons:
        if _in_ring(outer, longitude, latitude) and not any(_in_ring(h, longitude, latitude) for h in holes):
            return True
    return False
