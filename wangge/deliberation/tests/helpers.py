"""A small world for the deliberation tests: the test tree, staff with posts, residents with registry
records linked to their accounts, a community council and a grid council."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.areas.models import Area
from wangge.core import pii
from wangge.registry.models import Building, House, Household, Resident
from wangge.testing import Tree, make_tree, make_user

from .. import services
from ..models import Council, CouncilMember

_seq = itertools.count(1)


def make_resident_user(area: Area, name: str = "宋明华", username: str | None = None) -> User:
    """An account with the resident role and a registry record in ``area`` (a grid)."""
    n = next(_seq)
    user = make_user(Role.RESIDENT, username=username or f"res{n}", display_name=name)
    building = Building.objects.create(area=area, name=f"{n}号楼", address=f"海安市城东街道东园路{n}号")
    house = House.objects.create(building=building, entrance=1, room=f"{100 + n}")
    household = Household.objects.create(house=house, number=f"H{n}")
    phone = f"138{n:08d}"
    Resident.objects.create(
        household=household,
        name=name,
        gender="male",
        phone=phone,
        phone_hash=pii.phone_hash(phone),
        account=user,
    )
    return user


@dataclass
class World:
    tree: Tree
    staff: User  # community staff of tree.community
    grid_worker: User  # grid worker of grid_a
    other_staff: User  # community staff of other_community
    residents_a: list[User]  # live in grid_a
    resident_b: User  # lives in grid_b (same community)
    resident_c: User  # lives in grid_c (other community)
    community_council: Council
    grid_council: Council
    extra: dict[str, Any] = field(default_factory=dict)


def make_world(threshold: int = 3, n_residents: int = 4) -> World:
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, display_name="社区李书记")
    grid_worker = make_user(Role.GRID_WORKER, tree.grid_a, display_name="网格员王")
    other_staff = make_user(Role.COMMUNITY_STAFF, tree.other_community, display_name="西园张")
    residents_a = [make_resident_user(tree.grid_a, name=f"居民甲{i}") for i in range(n_residents)]
    resident_b = make_resident_user(tree.grid_b, name="居民乙")
    resident_c = make_resident_user(tree.grid_c, name="居民丙")
    community_council = services.council_create(
        name="东园社区党群议事会", area=tree.community, proposal_threshold=threshold + 2, by=staff
    )
    grid_council = services.council_create(
        name="东园一网格议事会", area=tree.grid_a, proposal_threshold=threshold, by=staff
    )
    services.council_member_add(
        council=grid_council, user=grid_worker, role=CouncilMember.Role.CONVENOR, by=staff
    )
    services.council_member_add(council=grid_council, user=residents_a[0], note="居民代表", by=staff)
    services.council_member_add(
        council=community_council, user=staff, role=CouncilMember.Role.CONVENOR, by=staff
    )
    return World(
        tree,
        staff,
        grid_worker,
        other_staff,
        residents_a,
        resident_b,
        resident_c,
        community_council,
        grid_council,
    )


def soon(hours: float = 2) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)
