"""Registry records for the wishes and pairing tests (created directly: the registry is not under test)."""

from __future__ import annotations

import importlib
import io
import itertools
from typing import Any

from wangge.areas.models import Area
from wangge.core import pii
from wangge.registry.models import Building, House, Household, Resident, Tag, Tagging

_seq = itertools.count(1)


def ensure_tags() -> None:
    """The tag catalogue is seeded by a migration; a transactional test's flush empties it, so re-seed."""
    if not Tag.objects.exists():
        from django.apps import apps

        importlib.import_module("wangge.registry.migrations.0002_seed_tags").seed(apps, None)


def make_resident(
    area: Area,
    *,
    name: str = "宋明华",
    phone: str = "13812345678",
    address: str | None = None,
    tags: tuple[str, ...] = (),
    account: Any = None,
) -> Resident:
    ensure_tags()
    n = next(_seq)
    lat, lng = area.center_lat or 32.5, area.center_lng or 120.4
    building = Building.objects.create(
        area=area, name=f"{n}号楼", address=address or f"海安市城东街道东园路{n}号", lat=lat, lng=lng
    )
    house = House.objects.create(building=building, entrance=1, room=f"{100 + n}")
    household = Household.objects.create(house=house, number=f"H{n}")
    resident = Resident.objects.create(
        household=household,
        name=name,
        gender="male",
        phone=phone,
        phone_hash=pii.phone_hash(phone),
        account=account,
    )
    for code in tags:
        Tagging.objects.create(resident=resident, token=pii.tag_token(code))
    return resident


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format="PNG")
    return out.getvalue()
