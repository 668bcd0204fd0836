"""Test helpers shared by every app's tests: a small area tree with real polygons, users with posts,
registry records, API clients with bearer tokens. Uses the real services where they exist."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from django.test import Client

from wangge.accounts.models import Post, User
from wangge.accounts.roles import Role
from wangge.accounts.services import token_create, user_create
from wangge.areas.models import Area, Level
from wangge.areas.services import area_create
from wangge.core.pii import id_check_digit

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


def rect(lng: float, lat: float, width: float, height: float) -> dict[str, Any]:
    """A closed GeoJSON rectangle with its south-west corner at (lng, lat)."""
    ring = [[lng, lat], [lng + width, lat], [lng + width, lat + height], [lng, lat + height], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def square(lng: float, lat: float, size: float) -> dict[str, Any]:
    return rect(lng, lat, size, size)


@dataclass
class Tree:
    district: Area
    street: Area
    community: Area
    other_community: Area
    grid_a: Area  # 320621001001001, inside community
    grid_b: Area  # 320621001001002, inside community, east of grid_a
    grid_c: Area  # 320621001002001, inside other_community
    micro_a1: Area  # first micro-grid of grid_a (its western half)

    # A point inside each grid (lat, lng), WGS84.
    @staticmethod
    def point_in(area: Area) -> tuple[float, float]:
        return area.center_lat or 0.0, area.center_lng or 0.0


_LNG0, _LAT0 = 120.40, 32.50
# code, name, level, south-west corner offset (dlng, dlat), width, height; the parent is the code prefix.
_TREE = [
    ("320621", "海安市", Level.DISTRICT, (0, 0), 0.1, 0.1),
    ("320621001", "城东街道", Level.STREET, (0, 0), 0.05, 0.05),
    ("320621001001", "东园社区", Level.COMMUNITY, (0, 0), 0.02, 0.01),
    ("320621001002", "西园社区", Level.COMMUNITY, (0, 0.01), 0.01, 0.01),
    ("320621001001001", "东园社区第一网格", Level.GRID, (0, 0), 0.01, 0.01),
    ("320621001001002", "东园社区第二网格", Level.GRID, (0.01, 0), 0.01, 0.01),
    ("320621001002001", "西园社区第一网格", Level.GRID, (0, 0.01), 0.01, 0.01),
    ("32062100100100101", "东园一网格第1微网格", Level.MICROGRID, (0, 0), 0.005, 0.01),
]


def make_tree() -> Tree:
    """District 320621 (海安) → street 001 → communities 001 and 002 → grids of 0.01° squares, created
    through the real service (boundaries validated)."""
    made: dict[str, Area] = {}
    for code, name, level, (dlng, dlat), width, height in _TREE:
        parent = made.get(code[: {6: 0, 9: 6, 12: 9, 15: 12, 17: 15}[len(code)]])
        made[code] = area_create(
            code=code,
            name=name,
            level=level,
            parent=parent,
            by=None,
            boundary=rect(_LNG0 + dlng, _LAT0 + dlat, width, height),
        )
    return Tree(*made.values())


def make_outside_areas() -> tuple[Area, Area]:
    """Beyond ``make_tree``: another street of the district (320621002…) and another district (320622…),
    each down to one grid with a real boundary (cases submitted there are located). Returns the two grids
    (``320621002001001``, ``320622001001001``)."""
    district = Area.objects.get(code="320621")
    grids: list[Area] = []
    top: Area | None
    for top, codes, (dlng, name) in (
        (district, ("320621002", "320621002001", "320621002001001"), (0.05, "城西")),
        (None, ("320622", "320622001", "320622001001", "320622001001001"), (0.3, "如城")),
    ):
        boundary = rect(_LNG0 + dlng, _LAT0, 0.05, 0.05)
        parent = top
        for code in codes:
            level = {6: Level.DISTRICT, 9: Level.STREET, 12: Level.COMMUNITY, 15: Level.GRID}[len(code)]
            parent = area_create(
                code=code, name=f"{name}{code[-3:]}", level=level, parent=parent, by=None, boundary=boundary
            )
        assert parent is not None
        grids.append(parent)
    return grids[0], grids[1]


_ROLE_POST = {
    Role.GRID_WORKER: Post.Kind.GRID_WORKER,
    Role.COMMUNITY_STAFF: Post.Kind.COMMUNITY_STAFF,
    Role.STREET_STAFF: Post.Kind.STREET_STAFF,
    Role.DISTRICT: Post.Kind.DISTRICT_STAFF,
}


def make_user(role: str = Role.RESIDENT, *areas: Area, username: str | None = None, **kwargs: Any) -> User:
    """A user with ``role`` holding the matching post in each of ``areas``."""
    from wangge.accounts.services import post_assign

    user = user_create(
        username=username or f"{role}{next(_seq)}",
        password=PASSWORD,
        role=role,
        display_name=kwargs.pop("display_name", "测试用户"),
        **kwargs,
    )
    for area in areas:
        post_assign(user=user, area=area, kind=_ROLE_POST.get(Role(role), Post.Kind.COMMUNITY_STAFF), by=None)
    return user


def api_client(user: User) -> Client:
    """A test client that sends ``Authorization: Bearer <token>`` for ``user``."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def make_id_number(birth: str = "19800101", serial: int = 1, area: str = "320621") -> str:
    """A valid 18-digit ID number (correct GB 11643 check digit)."""
    body = f"{area}{birth}{serial % 1000:03d}"
    return body + id_check_digit(body)


# --- browser checks shared by every app's browser tests (docs/ui.md) ---------------------------------------

AXE_BLOCKING = ("serious", "critical")


def axe_violations(page: Any, impacts: tuple[str, ...] = AXE_BLOCKING) -> list[str]:
    """Run axe-core (npm, pinned in package.json; `make vendor` copies it to static/vendor) on the page as it
    is now and return the violations of those impacts, one line each. The test injects axe; no page loads it.
    It is injected by URL from our own static files, so the page's CSP (script-src 'self') allows it."""
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + (n.failureSummary || "").split("\\n")[1])}));
        }"""
    )
    return [
        f"{page.url} [{v['impact']}] {v['id']}: {v['help']} :: {' | '.join(v['nodes'])}"
        for v in result
        if v["impact"] in impacts
    ]


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits the viewport)."""
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    return max(0, int(width) - int(viewport))
