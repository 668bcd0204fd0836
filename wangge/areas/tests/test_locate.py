import pytest

from wangge.areas import geo
from wangge.areas.models import Level
from wangge.areas.selectors import locate
from wangge.areas.services import area_create
from wangge.core.errors import InvalidInput
from wangge.testing import square

pytestmark = pytest.mark.django_db


def test_locate_finds_grid_and_microgrid(tree) -> None:  # type: ignore[no-untyped-def]
    grid, micro = locate(32.505, 120.4025)
    assert grid == tree.grid_a and micro == tree.micro_a1
    grid, micro = locate(32.505, 120.415)
    assert grid == tree.grid_b and micro is None
    assert locate(10.0, 10.0) == (None, None)


def test_locate_converts_gcj02(tree) -> None:  # type: ignore[no-untyped-def]
    glat, glng = geo.wgs84_to_gcj02(32.505, 120.4075)
    assert locate(glat, glng, "wgs84")[0] != tree.grid_a  # the offset lands elsewhere
    assert locate(glat, glng, "gcj02")[0] == tree.grid_a


def test_gcj02_round_trip_is_submetre() -> None:
    lat, lng = 32.53, 120.45
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lng))
    assert geo.distance_m(lat, lng, *back) < 0.5


def test_boundary_overlapping_a_sibling_is_rejected(tree) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        area_create(
            code="320621001001003",
            name="重叠网格",
            level=Level.GRID,
            parent=tree.community,
            by=None,
            boundary=square(120.405, 32.50, 0.01),
        )
    assert err.value.errors[0]["field"] == "boundary" and "重叠" in err.value.errors[0]["message"]


def test_boundary_outside_parent_and_unclosed_are_rejected(tree) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="超出上级"):
        area_create(
            code="320621001001009",
            name="出界",
            level=Level.GRID,
            parent=tree.community,
            by=None,
            boundary=square(120.45, 32.45, 0.01),
        )
    open_ring = {
        "type": "Polygon",
        "coordinates": [[[120.4, 32.5], [120.41, 32.5], [120.41, 32.51], [120.4, 32.51]]],
    }
    with pytest.raises(InvalidInput, match="未闭合"):
        area_create(
            code="320621001001008",
            name="未闭合",
            level=Level.GRID,
            parent=tree.community,
            by=None,
            boundary=open_ring,
        )


def test_code_must_extend_parent_code(tree) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        area_create(code="320621009001003", name="错码", level=Level.GRID, parent=tree.community, by=None)
    assert err.value.errors[0]["field"] == "code"


def test_index_is_rebuilt_when_a_boundary_changes(tree) -> None:  # type: ignore[no-untyped-def]
    from wangge.accounts.roles import Role
    from wangge.areas.services import area_set_boundary
    from wangge.testing import make_user

    assert locate(32.505, 120.418)[0] == tree.grid_b
    half = {
        "type": "Polygon",
        "coordinates": [
            [[120.41, 32.50], [120.415, 32.50], [120.415, 32.51], [120.41, 32.51], [120.41, 32.50]]
        ],
    }
    area_set_boundary(area=tree.grid_b, boundary=half, by=make_user(Role.ADMIN))
    assert locate(32.505, 120.418)[0] is None
    assert locate(32.505, 120.412)[0] == tree.grid_b
