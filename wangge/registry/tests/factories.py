"""Registry test data built through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from wangge.accounts.roles import Role
from wangge.areas.models import Area, Level
from wangge.registry import services
from wangge.registry.models import Building, Household, Resident
from wangge.testing import make_id_number, make_user

_serial = itertools.count(1)


def admin_user() -> Any:
    return make_user(Role.ADMIN, username=f"regadmin{next(_serial)}")


def make_household(area: Area, by: Any, *, address: str | None = None, room: str | None = None) -> Household:
    n = next(_serial)
    building, _ = Building.objects.get_or_create(
        area=area, address=address or f"{area.name}测试路{n}号", defaults={"name": f"{n}幢", "entrances": 2}
    )
    house = services.house_create(building=building, room=room or f"{n:03d}", by=by)
    return services.household_create(house=house, number=f"H{n:05d}", by=by)


def make_resident(
    area: Area | None = None, by: Any = None, *, household: Household | None = None, **fields: Any
) -> Resident:
    by = by or admin_user()
    if household is None:
        assert area is not None
        household = make_household(area, by)
    n = next(_serial)
    fields.setdefault("id_number", make_id_number("19800101", n))
    fields.setdefault("phone", f"139{n:08d}")
    return services.resident_create(household=household, name=fields.pop("name", f"居民{n}"), by=by, **fields)


def outside_areas() -> dict[str, Area]:
    """Areas outside the standard tree: another street of 320621 and another district (no boundaries)."""
    d = Area.objects.get(code="320621")
    s2 = Area.objects.create(code="320621002", name="城西街道", level=Level.STREET, parent=d)
    c3 = Area.objects.create(code="320621002001", name="西城社区", level=Level.COMMUNITY, parent=s2)
    g3 = Area.objects.create(code="320621002001001", name="西城一网格", level=Level.GRID, parent=c3)
    d2 = Area.objects.create(code="320622", name="如皋市", level=Level.DISTRICT)
    s3 = Area.objects.create(code="320622001", name="如城街道", level=Level.STREET, parent=d2)
    c4 = Area.objects.create(code="320622001001", name="如城社区", level=Level.COMMUNITY, parent=s3)
    g4 = Area.objects.create(code="320622001001001", name="如城一网格", level=Level.GRID, parent=c4)
    return {"other_street_grid": g3, "other_district_grid": g4}
