"""Registry records for the visits tests (created directly: the registry is not under test)."""

from __future__ import annotations

import itertools

from wangge.areas.models import Area
from wangge.core import pii
from wangge.registry.models import Building, House, Household, Resident, Tagging
from wangge.wishes.tests.factories import ensure_tags

_seq = itertools.count(1)


def make_household(
    area: Area,
    *,
    tags: tuple[str, ...] = (),
    resident_tags: tuple[str, ...] = (),
    lat: float | None = None,
    lng: float | None = None,
    building: Building | None = None,
) -> Household:
    """A household in ``area`` (its building at the area's centre unless told), with household tags and one
    resident carrying ``resident_tags``."""
    ensure_tags()
    n = next(_seq)
    if building is None:
        building = Building.objects.create(
            area=area,
            name=f"{n}号楼",
            address=f"东园路{n}号",
            lat=area.center_lat if lat is None else lat,
            lng=area.center_lng if lng is None else lng,
        )
    house = House.objects.create(building=building, entrance=1, room=f"{100 + n}")
    household = Household.objects.create(house=house, number=f"H{n}")
    resident = Resident.objects.create(household=household, name=f"居民{n}", gender="male")
    for code in tags:
        Tagging.objects.create(household=household, token=pii.tag_token(code))
    for code in resident_tags:
        Tagging.objects.create(resident=resident, token=pii.tag_token(code))
    return household


def offset(lat: float, lng: float, north_m: float = 0, east_m: float = 0) -> tuple[float, float]:
    """A point ``north_m`` / ``east_m`` metres from (lat, lng)."""
    import math

    return lat + north_m / 111_320, lng + east_m / (111_320 * math.cos(math.radians(lat)))
