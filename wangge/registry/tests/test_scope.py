"""Each area-bound model of registry, areas and accounts declares its scope once: ``visible_to``."""

from __future__ import annotations

from typing import Any

import pytest

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.areas.models import Area, PartyOrg
from wangge.core.scoping import get_visible_or_404, scoped_models
from wangge.registry import services
from wangge.registry.models import Building, House, Household, HouseOwner, Resident, Tagging
from wangge.testing import make_user

from .factories import admin_user, make_resident

pytestmark = pytest.mark.django_db

REGISTRY = [Building, House, Household, Resident, HouseOwner, Tagging]


def _chain(r: Resident) -> dict[type, set[int]]:
    hh = r.household
    return {
        Building: {hh.house.building_id},
        House: {hh.house_id},
        Household: {hh.pk},
        Resident: {r.pk},
        HouseOwner: set(HouseOwner.objects.filter(house=hh.house).values_list("pk", flat=True)),
        Tagging: set(
            Tagging.objects.filter(resident=r).values_list("pk", flat=True)
            | Tagging.objects.filter(household=hh).values_list("pk", flat=True)
        ),
    }


@pytest.fixture
def two(tree: Any) -> tuple[Any, Resident, Resident]:
    admin = admin_user()
    made = []
    for grid in (tree.grid_a, tree.grid_c):
        r = make_resident(grid, admin)
        services.tags_set(codes=["veteran"], resident=r, by=admin)
        services.tags_set(codes=["empty_nest"], household=r.household, by=admin)
        services.owner_create(house=r.household.house, name="产权人", by=admin)
        made.append(r)
    return admin, made[0], made[1]


def test_every_area_bound_model_declares_a_scope() -> None:
    assert {*REGISTRY, Area, PartyOrg, Post} <= set(scoped_models())


def test_staff_see_their_areas_rows_of_every_model(tree: Any, two: Any) -> None:
    _, inside, outside = two
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    for model in REGISTRY:
        seen = set(model.objects.visible_to(worker).values_list("pk", flat=True))  # type: ignore[attr-defined]
        assert seen == _chain(inside)[model], model
        assert not seen & _chain(outside)[model], model


def test_a_resident_sees_their_own_household_and_nothing_else(tree: Any, two: Any) -> None:
    _, home, other = two
    user = make_user(Role.RESIDENT)
    home.account = user
    home.save(update_fields=["account"])
    for model in REGISTRY:
        seen = set(model.objects.visible_to(user).values_list("pk", flat=True))  # type: ignore[attr-defined]
        expected = set() if model is HouseOwner else _chain(home)[model]  # owners are for staff only
        assert seen == expected, model
    # Their own household is for viewing: changing or revealing needs a role with area scope.
    assert not Resident.objects.visible_to(user, "change").exists()  # type: ignore[attr-defined]
    assert not Resident.objects.visible_to(user, "reveal").exists()  # type: ignore[attr-defined]


def test_admin_sees_everything_and_nobody_sees_anything_without_a_role(tree: Any, two: Any) -> None:
    admin, inside, outside = two
    for model in REGISTRY:
        assert model.objects.visible_to(admin).count() == model.objects.count()  # type: ignore[attr-defined]
    department = make_user(Role.DEPARTMENT_STAFF)
    for model in REGISTRY:
        assert not model.objects.visible_to(department).exists(), model  # type: ignore[attr-defined]


def test_areas_posts_and_party_orgs_follow_the_tree(tree: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    make_user(Role.GRID_WORKER, tree.grid_c)
    PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name="一支部", area=tree.grid_a)
    PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name="三支部", area=tree.grid_c)
    codes = set(Area.objects.visible_to(staff).values_list("code", flat=True))  # type: ignore[attr-defined]
    assert codes == {tree.community.code, tree.grid_a.code, tree.grid_b.code, tree.micro_a1.code}
    assert [o.name for o in PartyOrg.objects.visible_to(staff)] == ["一支部"]  # type: ignore[attr-defined]
    assert {p.area_id for p in Post.objects.visible_to(staff)} == {tree.community.pk}  # type: ignore[attr-defined]
    from wangge.core.errors import NotFound

    with pytest.raises(NotFound):
        get_visible_or_404(Area, staff, code=tree.grid_c.code)
    with pytest.raises(NotFound):
        get_visible_or_404(Area, staff, code="999999999999999")
