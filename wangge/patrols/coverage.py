"""Pure geometry of a patrol: which buildings a track passed, and how long the track is.

Buildings go into square buckets of the coverage distance's size in a local equirectangular projection
(metres east/north of the first building); a point looks only into its own bucket and the eight around it, so
a batch costs O(points + buildings) instead of points × buildings, and a point far from every building (outside
the grid's box) touches no bucket at all. Each candidate is confirmed with the haversine distance.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

from wangge.areas import geo

M_PER_DEG_LAT = 6_371_000.0 * math.pi / 180  # the haversine's sphere, so buckets and distances agree


class BuildingIndex:
    """The buildings of a grid, bucketed for "which are within ``distance_m`` of this point"."""

    def __init__(self, buildings: Iterable[tuple[int, float, float]], distance_m: float) -> None:
        self.distance_m = float(distance_m)
        self.buildings = [(int(pk), float(lat), float(lng)) for pk, lat, lng in buildings]
        self.lat0 = self.buildings[0][1] if self.buildings else 0.0
        self.kx = M_PER_DEG_LAT * math.cos(math.radians(self.lat0))
        # A little wider than the distance: the projection is exact only at lat0, and a building within reach
        # must never be two buckets away.
        self.cell = max(self.distance_m * 1.01, 1.0)
        self.buckets: dict[tuple[int, int], list[tuple[int, float, float]]] = defaultdict(list)
        for b in self.buildings:
            self.buckets[self._key(b[1], b[2])].append(b)

    def _key(self, lat: float, lng: float) -> tuple[int, int]:
        return math.floor(lng * self.kx / self.cell), math.floor(lat * M_PER_DEG_LAT / self.cell)

    def near(self, lat: float, lng: float) -> list[int]:
        """The buildings within ``distance_m`` of (lat, lng)."""
        i, j = self._key(lat, lng)
        out = []
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for pk, blat, blng in self.buckets.get((i + di, j + dj), ()):
                    if geo.distance_m(lat, lng, blat, blng) <= self.distance_m:
                        out.append(pk)
        return out


def passed(
    index: BuildingIndex, points: Iterable[tuple[dt.datetime, float, float]]
) -> dict[int, dt.datetime]:
    """Building id → the earliest time one of ``points`` (time, lat, lng) came within the distance."""
    first: dict[int, dt.datetime] = {}
    for at, lat, lng in points:
        for pk in index.near(lat, lng):
            if pk not in first or at < first[pk]:
                first[pk] = at
    return first


def track_length_m(points: Iterable[tuple[float, float]]) -> float:
    """The length of a track of (lat, lng) points in time order."""
    total, prev = 0.0, None
    for lat, lng in points:
        if prev is not None:
            total += geo.distance_m(prev[0], prev[1], lat, lng)
        prev = (lat, lng)
    return total
