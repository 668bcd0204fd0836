"""Buildings at known offsets and track points for the patrol tests (registry rows made directly: the
registry is not under test)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

from wangge.areas.models import Area
from wangge.registry.models import Building

_seq = itertools.count(1)


def offset(lat: float, lng: float, north_m: float = 0, east_m: float = 0) -> tuple[float, float]:
    """A point ``north_m`` / ``east_m`` metres from (lat, lng) (the same projection as the coverage code)."""
    m = 6_371_000 * math.pi / 180  # metres per degree on the haversine's sphere
    return lat + north_m / m, lng + east_m / (m * math.cos(math.radians(lat)))


def make_building(area: Area, north_m: float = 0, east_m: float = 0, *, located: bool = True) -> Building:
    """A building ``north_m``/``east_m`` metres from the area's centre (no coordinates when not located)."""
    n = next(_seq)
    lat, lng = offset(area.center_lat or 0, area.center_lng or 0, north_m, east_m)
    return Building.objects.create(
        area=area,
        name=f"{n}号楼",
        address=f"巡查路{n}号",
        lat=lat if located else None,
        lng=lng if located else None,
    )


def point(
    area: Area, at: dt.datetime, north_m: float = 0, east_m: float = 0, accuracy_m: float = 10
) -> dict[str, Any]:
    lat, lng = offset(area.center_lat or 0, area.center_lng or 0, north_m, east_m)
    return {"recorded_at": at, "lat": lat, "lng": lng, "accuracy_m": accuracy_m}


def api_point(area: Area, at: dt.datetime, **kw: Any) -> dict[str, Any]:
    p = point(area, at, **kw)
    return {**p, "recorded_at": p["recorded_at"].isoformat()}
