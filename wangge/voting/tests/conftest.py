from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.registry import services as registry
from wangge.registry.models import Building, House, Resident
from wangge.testing import make_id_number, make_tree, make_user
from wangge.voting.models import RuleSet, Vote

_serial = itertools.count(100)


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class World:
    tree: Any
    staff: Any
    building: Building

    def house(
        self, room: str, area: str | int | None, entrance: int = 1, building: Building | None = None
    ) -> House:
        return registry.house_create(
            building=building or self.building, room=room, entrance=entrance,
            exclusive_area=Decimal(str(area)) if area is not None else None, by=self.staff,
        )  # fmt: skip

    def own(self, house: House, name: str, id_number: str = "", **kw: Any) -> Any:
        return registry.owner_create(house=house, name=name, id_number=id_number, by=self.staff, **kw)

    def person(
        self, house: House, name: str, *, account: bool = True, id_number: str | None = None
    ) -> Resident:
        """A resident living in ``house`` (a new household) with an account, registered as its owner."""
        hh = house.households.first() or registry.household_create(house=house, by=self.staff)
        idn = id_number or make_id_number(serial=next(_serial))
        r = registry.resident_create(household=hh, name=name, id_number=idn, by=self.staff)
        if account:
            user = make_user(Role.RESIDENT, display_name=name)
            Resident.objects.filter(pk=r.pk).update(account=user)
            r.refresh_from_db()
        return r

    def vote(
        self, matter: str = "other", *, rule: str = "民法典（全国通用）", open_: bool = True, **kw: Any
    ) -> Vote:
        from wangge.voting import services

        now = timezone.now()
        must = kw.pop("must_consent", None)
        v = services.vote_create(
            title=kw.pop("title", "测试表决"), matter=matter, area=kw.pop("area", self.tree.community),
            rule_set=RuleSet.objects.get(name=rule), opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=7), by=self.staff, **kw,
        )  # fmt: skip
        if open_:
            v = services.vote_open(vote=v, by=self.staff, must_consent=must)
        return v


@pytest.fixture
def world(db: Any) -> World:
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, display_name="社区干事")
    building = registry.building_create(
        area=tree.grid_a, name="3号楼", address="东园小区3号楼", entrances=2, by=staff
    )
    return World(tree=tree, staff=staff, building=building)


def photo_bytes() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 200)).save(buf, format="JPEG")
    return buf.getvalue()
