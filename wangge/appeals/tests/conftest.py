"""Fixtures for the case loop: a small district with the four roles, a property company and a department."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wangge.accounts.models import Unit, User
from wangge.accounts.roles import Role
from wangge.areas.models import Area
from wangge.registry.models import Building
from wangge.testing import Tree, make_user

SH = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2026, 09:00: an ordinary working day (no holiday around it).
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)


@dataclass
class World:
    tree: Tree
    resident: User
    resident2: User
    grid_worker: User  # grid_a
    grid_worker_b: User  # grid_b
    community: User  # 东园社区 staff: dispatcher and supervisor
    street: User
    property_co: Unit
    property_staff: User
    department: Unit
    department_staff: User
    other_department: Unit
    other_department_staff: User

    def point(self, area: Area, dlat: float = 0.0, dlng: float = 0.0) -> tuple[float, float]:
        lat, lng = Tree.point_in(area)
        return lat + dlat, lng + dlng


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Hashing a dozen passwords with PBKDF2 per test would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ensure_categories() -> None:
    """Transactional tests flush the database, seeded categories included: seed them again if gone."""
    import importlib

    from django.apps import apps

    from wangge.appeals.models import Category

    if not Category.objects.exists():
        importlib.import_module("wangge.appeals.migrations.0002_seed_categories").seed(apps, None)


@pytest.fixture
def world(tree: Tree) -> World:
    ensure_categories()
    property_co = Unit.objects.create(
        name="海安安居物业", kind=Unit.Kind.PROPERTY_COMPANY, area=tree.community
    )
    department = Unit.objects.create(name="城市管理局", kind=Unit.Kind.DEPARTMENT, area=tree.district)
    other = Unit.objects.create(name="水务局", kind=Unit.Kind.DEPARTMENT, area=tree.district)
    lat, lng = Tree.point_in(tree.grid_a)
    Building.objects.create(
        area=tree.grid_a,
        name="1号楼",
        address="东园小区1号楼",
        lat=lat,
        lng=lng,
        property_company=property_co,
    )
    return World(
        tree=tree,
        resident=make_user(Role.RESIDENT, username="resident", display_name="王小明", phone="13812345678"),
        resident2=make_user(Role.RESIDENT, username="resident2", display_name="李四", phone="13900001111"),
        grid_worker=make_user(Role.GRID_WORKER, tree.grid_a, username="gw_a", display_name="网格员甲"),
        grid_worker_b=make_user(Role.GRID_WORKER, tree.grid_b, username="gw_b", display_name="网格员乙"),
        community=make_user(Role.COMMUNITY_STAFF, tree.community, username="cs", display_name="社区张"),
        street=make_user(Role.STREET_STAFF, tree.street, username="st", display_name="街道赵"),
        property_co=property_co,
        property_staff=make_user(Role.PROPERTY_STAFF, username="pm", display_name="物业刘", unit=property_co),
        department=department,
        department_staff=make_user(
            Role.DEPARTMENT_STAFF, username="cg", display_name="城管陈", unit=department
        ),
        other_department=other,
        other_department_staff=make_user(
            Role.DEPARTMENT_STAFF, username="sw", display_name="水务孙", unit=other
        ),
    )


def submit_kwargs(world: World, category: str = "SQ0101", **extra: Any) -> dict[str, Any]:
    lat, lng = world.point(world.tree.grid_a)
    return {
        "category": category,
        "description": "3单元楼道灯不亮",
        "channel": "resident_web",
        "lat": lat,
        "lng": lng,
        **extra,
    }
