"""小事网格议、大事社区议: the council follows the matter's scope."""

from __future__ import annotations

import pytest

from wangge.registry.models import Building

from .. import services
from ..models import Council
from ..routing import matter_level, route_council


def test_grid_matter_goes_to_the_grid_council(world) -> None:
    assert route_council(area=world.tree.grid_a) == world.grid_council


def test_community_matter_goes_to_the_community_council_never_a_grid_one(world) -> None:
    assert route_council(area=world.tree.community) == world.community_council


def test_grid_without_council_goes_up_to_its_community(world) -> None:
    assert route_council(area=world.tree.grid_b) == world.community_council


def test_microgrid_goes_to_its_grid_council(world) -> None:
    assert route_council(area=world.tree.micro_a1) == world.grid_council


def test_no_council_anywhere_above(world) -> None:
    assert route_council(area=world.tree.grid_c) is None


def test_inactive_council_is_skipped(world) -> None:
    Council.objects.filter(pk=world.grid_council.pk).update(active=False)
    assert route_council(area=world.tree.grid_a) == world.community_council


def test_building_matter_goes_to_its_building_council_else_to_its_grid(world) -> None:
    building = Building.objects.create(area=world.tree.grid_a, name="9号楼", address="东园路9号")
    assert route_council(area=world.tree.grid_a, building=building) == world.grid_council
    bc = services.council_create(
        name="9号楼楼栋议事", area=world.tree.grid_a, kind="building", building=building, by=world.staff
    )
    assert route_council(area=world.tree.grid_a, building=building) == bc
    # A building council never takes matters that do not name its building.
    assert route_council(area=world.tree.grid_a) == world.grid_council


@pytest.mark.parametrize(
    "attr,expected",
    [("grid_a", "grid"), ("micro_a1", "grid"), ("community", "community"), ("street", "street")],
)
def test_matter_level(world, attr: str, expected: str) -> None:
    assert matter_level(getattr(world.tree, attr)) == expected


def test_resident_proposal_scope_picks_the_level(world) -> None:
    r = world.residents_a[1]
    small = services.proposal_create(
        by=r, title="楼道灯不亮", body="三号楼楼道灯坏了一个多月了，请修一下", scope="grid"
    )
    big = services.proposal_create(
        by=r, title="社区增设充电桩", body="全社区电动车多，充电难，建议集中建充电棚", scope="community"
    )
    assert (small.council, small.area, small.threshold) == (world.grid_council, world.tree.grid_a, 3)
    assert (big.council, big.area, big.threshold) == (world.community_council, world.tree.community, 5)
