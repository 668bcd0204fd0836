"""Reads of places: opening hours on the working calendar, the nearest open places, circle coverage."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from wangge.areas.models import Area
from wangge.core import pii
from wangge.core.scoping import get_visible_or_404, scope_for
from wangge.registry.models import Household, Tag, Tagging
from wangge.workdays.calendar import Calendar
from wangge.workdays.selectors import calendar_current

from . import geo
from .models import DutyShift, Place

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _t(text: str) -> dt.time:
    return dt.time.max if text == "24:00" else dt.time.fromisoformat(text)


def day_hours(place: Place, day: dt.date, cal: Calendar) -> list[list[str]]:
    """The intervals a place keeps on ``day``: its holiday hours on a statutory holiday, Monday's hours on a
    weekend made a working day (调休上班), else that weekday's."""
    override = cal.overrides.get(day)
    if override is False:
        return list(place.holiday_hours or [])
    if override is True and day.weekday() >= 5:
        return list((place.hours or {}).get("0", []))
    return list((place.hours or {}).get(str(day.weekday()), []))


def is_open(place: Place, at: dt.datetime, cal: Calendar | None = None) -> bool:
    cal = cal or calendar_current()
    local = timezone.localtime(at)
    now = local.time()
    return any(_t(a) <= now < _t(b) for a, b in day_hours(place, local.date(), cal))


def next_opening(place: Place, at: dt.datetime, cal: Calendar | None = None) -> dt.datetime | None:
    """When a closed place opens next (within two weeks), for "opens at …"."""
    cal = cal or calendar_current()
    local = timezone.localtime(at)
    for days in range(15):
        day = local.date() + dt.timedelta(days=days)
        for a, _b in sorted(day_hours(place, day, cal)):
            start = timezone.make_aware(dt.datetime.combine(day, _t(a)), local.tzinfo)
            if start > local:
                return start
    return None


@dataclass
class Nearby:
    place: Place
    walking_m: float
    open_now: bool
    in_circle: bool


def nearest(
    viewer: Any,
    lat: float,
    lng: float,
    *,
    at: dt.datetime | None = None,
    kind: str | None = None,
    service: str | None = None,
    open_only: bool = True,
    limit: int = 5,
    radius_m: float = 5000.0,
) -> list[Nearby]:
    """The places nearest to (lat, lng) by walking distance within ``radius_m``, open ones only unless asked.

    An index serves the box prefilter (lat, lng); distances and hours are computed for the few in the box."""
    at = at or timezone.now()
    cal = calendar_current()
    s, n, w, e = geo.box(lat, lng, radius_m / geo.detour_factor())
    qs: QuerySet[Place] = Place.objects.visible_to(viewer).filter(
        active=True, lat__gte=s, lat__lte=n, lng__gte=w, lng__lte=e
    )
    if kind:
        qs = qs.filter(kind=kind)
    if service:
        qs = qs.filter(services__code=service)
    out = []
    circle = geo.circle_walk_m()
    for place in qs.select_related("area").prefetch_related("services"):
        walk = geo.walking_m(lat, lng, place.lat, place.lng)
        if walk > radius_m:
            continue
        open_now = is_open(place, at, cal)
        if open_only and not open_now:
            continue
        out.append(Nearby(place, walk, open_now, walk <= circle))
    out.sort(key=lambda x: (x.walking_m, x.place.pk))
    return out[:limit]


@dataclass
class GridCoverage:
    grid: Area
    households: int
    covered: int
    special: int
    special_covered: int

    @property
    def rate(self) -> float | None:
        return round(self.covered / self.households, 4) if self.households else None

    @property
    def special_rate(self) -> float | None:
        return round(self.special_covered / self.special, 4) if self.special else None


def coverage(viewer: Any, area: Area) -> list[GridCoverage]:
    """Per grid under ``area``: active households whose building is inside some active place's circle, and the
    same for special households (a tag marked 重点关爱 on the household or one of its active residents).

    Households are placed at their building. Places of neighbouring areas count too (a circle ignores
    boundaries), so places are read without the viewer's scope: their locations are public."""
    grids = list(
        Area.objects.visible_to(viewer).filter(code__startswith=area.code, level="grid").order_by("code")
    )
    if not grids:
        return []
    rows = list(
        Household.objects.filter(
            active=True, house__building__area__in=grids, house__building__lat__isnull=False
        ).values_list("pk", "house__building__area_id", "house__building__lat", "house__building__lng")
    )
    care = {
        pii.tag_token(c)
        for c in Tag.objects.filter(active=True, needs_care=True).values_list("code", flat=True)
    }
    special_ids: set[int] = set()
    if care and rows:
        ids = [r[0] for r in rows]
        special_ids.update(
            Tagging.objects.filter(household_id__in=ids, token__in=care).values_list(
                "household_id", flat=True
            )
        )
        special_ids.update(
            Tagging.objects.filter(
                resident__household_id__in=ids, resident__active=True, token__in=care
            ).values_list("resident__household_id", flat=True)
        )
    radius = geo.circle_radius_m()
    # Places bucketed by a ~radius grid of cells so each building looks at its 9 neighbouring cells only.
    cell = geo.box(0, 0, radius)[1]  # degrees of latitude per radius
    buckets: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for plat, plng in Place.objects.filter(active=True).values_list("lat", "lng"):
        buckets[(int(plat // cell), int(plng // cell))].append((plat, plng))
    walk = geo.circle_walk_m()
    stats = {g.pk: GridCoverage(g, 0, 0, 0, 0) for g in grids}
    for hid, grid_id, lat, lng in rows:
        row = stats[grid_id]
        special = hid in special_ids
        row.households += 1
        row.special += special
        ci, cj = int(lat // cell), int(lng // cell)
        # Longitude cells shrink with latitude: look as many cells east and west as the radius spans there.
        span = math.ceil(1 / max(math.cos(math.radians(lat)), 1e-6))
        inside = any(
            geo.walking_m(lat, lng, plat, plng) <= walk
            for di in (-1, 0, 1)
            for dj in range(-span, span + 1)
            for plat, plng in buckets.get((ci + di, cj + dj), ())
        )
        if inside:
            row.covered += 1
            row.special_covered += special
    return list(stats.values())


def home_area(viewer: Any) -> Area | None:
    """The area a staff viewer looks at by default: the root for the whole scope, else their one post."""
    scope = scope_for(viewer)
    if scope.everything:
        return Area.objects.filter(parent__isnull=True).order_by("code").first()
    if len(scope.codes) == 1:
        return Area.objects.filter(code=scope.codes[0]).first()
    return None


def place_list(viewer: Any, *, area: str | None = None, kind: str | None = None) -> QuerySet[Place]:
    qs = Place.objects.visible_to(viewer).select_related("area").prefetch_related("services")
    if area:
        qs = qs.filter(area__code__startswith=area)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("area__code", "id")


def place_get(viewer: Any, pk: int) -> Place:
    return get_visible_or_404(
        Place.objects.select_related("area").prefetch_related("services"), viewer, pk=pk
    )


def suppress_below() -> int:
    """Counts of special households below this are withheld on every page and answer (a setting)."""
    from django.conf import settings

    return int(getattr(settings, "WANGGE_MAP_SUPPRESS_BELOW", 5))


def duty_list(place: Place, *, first: dt.date | None = None, days: int = 14) -> list[Any]:
    """A place's roster from ``first`` (today) for ``days`` days, with the people's names: one query."""
    first = first or timezone.localdate()
    order = {s: i for i, s in enumerate(DutyShift.Shift.values)}
    rows = list(
        DutyShift.objects.filter(place=place, date__gte=first, date__lt=first + dt.timedelta(days=days))
        .select_related("user")
        .order_by("date", "id")
    )
    rows.sort(key=lambda d: (d.date, order.get(d.shift, 9), d.pk))
    return rows
