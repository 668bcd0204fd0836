"""Distances for the 5-minute circle (5分钟服务圈).

Walking distance is estimated as the straight line times a detour factor; both, and the walk that makes the
circle, are settings. ``walking_m`` is the one function a routing engine would replace."""

from __future__ import annotations

import math

from django.conf import settings

EARTH_M = 6_371_008.8  # mean Earth radius


def straight_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def detour_factor() -> float:
    return float(getattr(settings, "WANGGE_PLACES_DETOUR_FACTOR", 1.3))


def walking_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The walking distance between two points: the straight line × the detour factor."""
    return straight_m(lat1, lng1, lat2, lng2) * detour_factor()


def circle_walk_m() -> float:
    """How far one walks in the circle's minutes: minutes × metres per minute (5 × 80 = 400 m by default)."""
    minutes = float(getattr(settings, "WANGGE_PLACES_CIRCLE_MINUTES", 5))
    speed = float(getattr(settings, "WANGGE_PLACES_WALK_M_PER_MIN", 80))
    return minutes * speed


def circle_radius_m() -> float:
    """The circle drawn on a map: the straight-line radius whose walk is ``circle_walk_m``."""
    return circle_walk_m() / detour_factor()


def box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lat/lng box that contains every point within ``radius_m`` of (lat, lng): a prefilter for indexes."""
    dlat = math.degrees(radius_m / EARTH_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng
