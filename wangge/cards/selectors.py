"""Every read of the 便民服务卡 (service card), scoped to the viewer.

A card belongs to a household and shows only what is public: the grid, the community's hotline, the grid
worker's name and work phone (the post's, never the person's own mobile), the door it is for, and a QR code
that opens the report page with the building filled in. No resident's data ever appears on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from wangge.accounts.models import Post
from wangge.accounts.roles import user_can
from wangge.appeals.prefill import report_path_for_building
from wangge.areas.models import Area, Level
from wangge.registry.models import Household, Resident

GRID_LEVELS = (Level.GRID, Level.MICROGRID)


@dataclass(frozen=True)
class Card:
    household_id: int
    building_id: int
    door: str  # building address, unit and room: where the card is handed out
    grid_code: str
    grid_name: str
    community_name: str
    hotline: str
    worker_name: str
    work_phone: str
    report_path: str  # the report page with this building filled in


def report_path(building_id: int) -> str:
    """The report page with this building filled in (a signed token: see ``appeals.prefill``)."""
    return report_path_for_building(building_id)


def _cards(households: list[dict[str, Any]]) -> list[Card]:
    """Cards for household rows (pk, building id, address, entrance, room, area code): three more queries."""
    grid_codes = {h["house__building__area__code"][:15] for h in households}
    community_codes = {c[:12] for c in grid_codes}
    areas = {
        a["code"]: a
        for a in Area.objects.filter(code__in=grid_codes | community_codes).values("code", "name", "hotline")
    }
    workers: dict[str, tuple[str, str]] = {}
    posts = (
        Post.objects.filter(
            active=True, user__is_active=True, kind=Post.Kind.GRID_WORKER, area__code__in=grid_codes
        )
        .order_by("area__code", "-work_phone", "id")  # a post with a work phone first
        .values_list("area__code", "user__display_name", "user__username", "work_phone")
    )
    for code, display, username, phone in posts:
        workers.setdefault(code, (display or username, phone))
    out = []
    for h in households:
        grid = h["house__building__area__code"][:15]
        community = areas.get(grid[:12], {})
        name, phone = workers.get(grid, ("", ""))
        out.append(
            Card(
                household_id=h["pk"],
                building_id=h["house__building_id"],
                door=f"{h['house__building__address']} {h['house__entrance']}单元 {h['house__room']}",
                grid_code=grid,
                grid_name=areas.get(grid, {}).get("name", ""),
                community_name=community.get("name", ""),
                hotline=community.get("hotline", ""),
                worker_name=name,
                work_phone=phone,
                report_path=report_path(h["house__building_id"]),
            )
        )
    return out


HOUSEHOLD_FIELDS = (
    "pk",
    "house__building_id",
    "house__building__address",
    "house__entrance",
    "house__room",
    "house__building__area__code",
)


def grid_get(*, viewer: Any, code: str) -> Area:
    """A grid (or micro-grid) in the viewer's scope, for staff who may read the registry; 404 otherwise."""
    if not user_can(viewer, "registry.read"):
        raise Http404
    area = Area.objects.visible_to(viewer).filter(code=code, level__in=GRID_LEVELS).first()
    if area is None:
        raise Http404
    return area


def grid_cards(*, viewer: Any, code: str) -> tuple[Area, list[Card]]:
    """One card per active household of a grid in the viewer's scope (out of scope: 404, like missing)."""
    area = grid_get(viewer=viewer, code=code)
    households = (
        Household.objects.visible_to(viewer)
        .filter(active=True, house__building__area__code__startswith=area.code)
        .order_by("house__building__address", "house__entrance", "house__room", "pk")
        .values(*HOUSEHOLD_FIELDS)
    )
    return area, _cards(list(households[:5000]))


def grid_choices(*, viewer: Any) -> list[dict[str, Any]]:
    """The grids the viewer may print for, under their community, in tree order."""
    if not user_can(viewer, "registry.read"):
        return []
    areas = list(
        Area.objects.visible_to(viewer)
        .filter(level__in=(Level.COMMUNITY, Level.GRID))
        .order_by("code")
        .values("code", "name", "level")
    )
    names = {a["code"]: a["name"] for a in areas if a["level"] == Level.COMMUNITY}
    missing = {a["code"][:12] for a in areas if a["level"] == Level.GRID} - set(names)
    names.update(Area.objects.filter(code__in=missing).values_list("code", "name"))
    groups: dict[str, dict[str, Any]] = {}
    for a in areas:
        if a["level"] != Level.GRID:
            continue
        c = a["code"][:12]
        groups.setdefault(c, {"code": c, "name": names.get(c, c), "grids": []})["grids"].append(a)
    return list(groups.values())


def my_card(*, viewer: Any) -> Card | None:
    """The card of the viewer's own household (a resident linked to the registry), or None."""
    if not getattr(viewer, "is_authenticated", False):
        return None
    hid = (
        Resident.objects.filter(account_id=viewer.pk, active=True)
        .values_list("household_id", flat=True)
        .first()
    )
    if hid is None:
        return None
    rows = list(Household.objects.visible_to(viewer).filter(pk=hid, active=True).values(*HOUSEHOLD_FIELDS))
    return _cards(rows)[0] if rows else None
