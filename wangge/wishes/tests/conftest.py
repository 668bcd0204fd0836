from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.testing import make_user
from wangge.wishes import services
from wangge.wishes.models import Wish

from .factories import make_resident


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    tree: Any
    staff: Any
    grid_worker: Any
    volunteer: Any
    volunteer2: Any
    resident: Any
    resident_user: Any


def verify(user: Any, *, community: Any, by: Any) -> None:
    """The community verifies a member (only verified members may claim wishes)."""
    from wangge.volunteers import services as volunteer_services

    volunteer_services.member_update(user=user, by=user, home_community=community)
    volunteer_services.member_verify(member=volunteer_services.member_for(user), by=by, verified=True)


@pytest.fixture
def world(tree: Any) -> World:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    v1 = make_user(Role.VOLUNTEER, display_name="李志强")
    v2 = make_user(Role.VOLUNTEER, display_name="王芳")
    ru = make_user(Role.RESIDENT, display_name="宋明华")
    resident = make_resident(
        tree.grid_a,
        name="宋明华",
        phone="13812345678",
        address="海安市城东街道东园路8号",
        tags=("elderly_alone", "disabled", "serious_illness"),
        account=ru,
    )
    for v in (v1, v2):
        verify(v, community=tree.community, by=staff)
    return World(tree, staff, gw, v1, v2, resident, ru)


def open_wish(w: World, title: str = "一台收音机", **kw: Any) -> Wish:
    wish = services.wish_create(
        by=w.grid_worker,
        beneficiary=w.resident,
        title=title,
        reason="独居在家，腿脚不便，患有糖尿病，想听戏曲",
        estimated_value=kw.pop("estimated_value", 120),
        **kw,
    )
    return services.wish_review(wish=wish, by=w.staff, approve=True, public_category="独居老人")
