"""Geodesy on the WGS-84 ellipsoid: geodesic distances (Karney's algorithm, as geopy computes them) and
ECEF chords.

The database orders candidates by the straight-line (chord) distance between earth-centred points;
`chord_m` here is the same computation, used by tests to check the SQL and by the search to know
that a chord never exceeds the geodesic between the same two points.
"""

from __future__ import annotations

import math

from pyproj import Geod

# geopy's `geodesic` is Karney's algorithm, run by geographiclib in pure Python: 110-140 µs a distance
# here. PROJ ships the C implementation of the same algorithm (by the same author); through pyproj it
# takes about 5 µs and agrees with geopy to 1e-8 m (tests/test_nearest.py), and the nearest-station
# search computes one per candidate.
_WGS84 = Geod(ellps="WGS84")

_A = 6378137.0
_E2 = 0.00669437999014


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres between two WGS-84 points."""
    return _WGS84.inv(lon1, lat1, lon2, lat2)[2]


def ecef(lat: float, lon: float) -> tuple[float, float, float]:
    """Earth-centred, earth-fixed coordinates in metres (the same formula as SQL `markaz_ecef`)."""
    phi, lam = math.radians(lat), math.radians(lon)
    n = _A / math.sqrt(1 - _E2 * math.sin(phi) ** 2)
    across = n * math.cos(phi)
    return (across * math.cos(lam), across * math.sin(lam), n * (1 - _E2) * math.sin(phi))


def chord_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Straight-line distance through the earth; never more than the geodesic."""
    return math.dist(ecef(lat1, lon1), ecef(lat2, lon2))
