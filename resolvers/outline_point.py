"""A point inside a building outline, for the stations OpenStreetMap draws as areas.

A station is one point. OpenStreetMap often draws a police station as its building (a Polygon) or as a
compound of buildings (a MultiPolygon). The outline's centroid can fall outside it (an L- or U-shaped
building, a courtyard), so the point taken is the outline's pole of inaccessibility: the point inside
it farthest from its edges, which is inside by construction. It is found by the grid search of
Garcia-Castellanos and Lombardo (2007), also known from Mapbox's polylabel: cover the outline with
square cells, and keep splitting the cell that could hold a point farther from the edges than the best
one found, until no cell can beat it by more than `PRECISION_M`. Of a MultiPolygon, the part with the
largest area is taken (the main building).

Coordinates are GeoJSON's [longitude, latitude]. Distances are computed on a local plane (longitudes
scaled by the cosine of the outline's latitude): over a building that is exact to well below a metre,
and scaling one axis keeps every point on the same side of every edge, so "inside" is exact.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Any

# Positions read from one outline at most: a building has tens, a large compound a few thousand. Each
# cell of the search measures its distance to every edge, so this bounds the work a hostile file can ask.
MAX_POSITIONS = 20_000
PRECISION_M = 0.05
_M_PER_DEGREE = 111_195.0  # of latitude (mean Earth radius), for the precision only
# A bound on the search itself, in distances from a cell to an edge (about a second of Python). Reached,
# the best point found so far is taken: nearer an edge than it could be, and still checked to be inside.
_WORK = 1_500_000

Ring = list[tuple[float, float]]  # (x, y) on the local plane, closed (first == last)


class OutlineError(ValueError):
    """The geometry is not a usable outline; the message says why, in one line."""


def _positions(ring: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise OutlineError(f"{where} must have at least 4 positions, the last equal to the first")
    points = []
    for position in ring:
        if not (
            isinstance(position, list)
            and len(position) in (2, 3)  # a third value is an altitude, allowed and dropped
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in position)
            and all(math.isfinite(c) for c in position)
        ):
            raise OutlineError(f"{where} has a position that is not [longitude, latitude] numbers")
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise OutlineError(f"{where} has a position ({lon}, {lat}) outside longitude/latitude range")
        points.append((lon, lat))
    if points[0] != points[-1]:
        raise OutlineError(f"{where} is not closed: its last position must equal its first")
    return points


def _polygons(geometry: dict[str, Any]) -> list[list[list[tuple[float, float]]]]:
    """The geometry's polygons, each a list of rings of (lon, lat), checked (RFC 7946 shapes)."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    parts = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(parts, list) or not parts:
        raise OutlineError(
            f"{kind} coordinates must be a list of {'rings' if kind == 'Polygon' else 'polygons'}"
        )
    polygons, count = [], 0
    for number, rings in enumerate(parts):
        name = "the outline" if kind == "Polygon" else f"polygon {number + 1}"
        if not isinstance(rings, list) or not rings:
            raise OutlineError(f"{name} must be a list of rings, the outer one first")
        checked = []
        for index, ring in enumerate(rings):
            count += len(ring) if isinstance(ring, list) else 0
            if count > MAX_POSITIONS:
                raise OutlineError(f"has more than {MAX_POSITIONS:,} positions; simplify the outline")
            where = f"{name}'s outer ring" if index == 0 else f"{name}'s hole {index}"
            checked.append(_positions(ring, where))
        polygons.append(checked)
    return polygons


def _area(ring: Ring) -> float:
    """Twice the signed area (shoelace); positive when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def _signed_distance(x: float, y: float, rings: list[Ring]) -> float:
    """Distance from (x, y) to the nearest edge: positive inside (even-odd over all rings), else negative."""
    inside = False
    nearest = math.inf
    for ring in rings:
        for (ax, ay), (bx, by) in itertools.pairwise(ring):
            if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                inside = not inside
            dx, dy = bx - ax, by - ay
            t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy) if dx or dy else 0.0
            t = min(1.0, max(0.0, t))
            nearest = min(nearest, (ax + t * dx - x) ** 2 + (ay + t * dy - y) ** 2)
    distance = math.sqrt(nearest)
    return distance if inside else -distance


def _centroid(ring: Ring) -> tuple[float, float]:
    twice = _area(ring)
    edges = list(itertools.pairwise(ring))
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in edges) / (3 * twice)
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in edges) / (3 * twice)
    return cx, cy


def _pole(rings: list[Ring], precision: float) -> tuple[float, float, float]:
    """(x, y, distance to the nearest edge) of the pole of inaccessibility of a polygon with holes."""
    xs, ys = [x for x, _ in rings[0]], [y for _, y in rings[0]]
    west, south, east, north = min(xs), min(ys), max(xs), max(ys)
    edges = sum(len(ring) - 1 for ring in rings)
    budget = _WORK // edges  # cells that may be measured
    # Square cells as large as the box's short side, but few enough to start with that measuring them
    # takes at most half the budget (a sliver kilometres long and a metre wide has a short side of a metre).
    across = max(1, min(1000, budget // 4))
    size = max(min(east - west, north - south), max(east - west, north - south) / across)
    half = size / 2

    def cell(x: float, y: float, h: float) -> tuple[float, float, float, float, float]:
        d = _signed_distance(x, y, rings)
        return (-(d + h * math.sqrt(2)), x, y, h, d)  # heap key first: the most a cell could hold

    # Candidates to beat: the centroid of the outer ring (often inside, and then a good start) and the
    # middle of the box.
    best = max(
        (cell(*_centroid(rings[0]), 0), cell((west + east) / 2, (south + north) / 2, 0)), key=lambda c: c[4]
    )
    queue: list[tuple[float, float, float, float, float]] = []
    x = west
    while x < east:
        y = south
        while y < north:
            heapq.heappush(queue, cell(x + half, y + half, half))
            y += size
        x += size
    measured = len(queue) + 2
    while queue and measured < budget:
        candidate = heapq.heappop(queue)
        if candidate[4] > best[4]:
            best = candidate
        if -candidate[0] - best[4] <= precision:
            break  # the most promising cell left cannot beat the best by more than the precision
        _, x, y, h, _ = candidate
        h /= 2
        for dx, dy in ((-h, -h), (h, -h), (-h, h), (h, h)):
            heapq.heappush(queue, cell(x + dx, y + dy, h))
        measured += 4
    return best[1], best[2], best[4]


def inner_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """(latitude, longitude) inside a Polygon or MultiPolygon outline; raises OutlineError when unusable."""
    polygons = _polygons(geometry)
    outer = [lat for polygon in polygons for _, lat in polygon[0]]
    scale = math.cos(math.radians(sum(outer) / len(outer)))
    planar = [[[(lon * scale, lat) for lon, lat in ring] for ring in polygon] for polygon in polygons]

    def area(rings: list[Ring]) -> float:
        return abs(_area(rings[0])) - sum(abs(_area(hole)) for hole in rings[1:])

    main = max(planar, key=area)
    if area(main) <= 0:
        raise OutlineError("the outline has no area (all its positions lie on a line)")
    x, y, distance = _pole(main, PRECISION_M / _M_PER_DEGREE)
    if distance <= 0:
        raise OutlineError("no point inside the outline was found; check that its rings do not overlap")
    # Rounded to 1e-7 degree (about a centimetre) when that keeps it inside: files stay readable.
    lat, lon = round(y, 7), round(x / scale, 7)
    if _signed_distance(lon * scale, lat, main) <= 0:
        lat, lon = y, x / scale
    return lat, lon
