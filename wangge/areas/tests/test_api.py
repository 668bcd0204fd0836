import pytest

from wangge.accounts.roles import Role
from wangge.areas import geo
from wangge.testing import api_client, make_user

pytestmark = pytest.mark.django_db


def _codes(nodes):  # type: ignore[no-untyped-def]
    out = []
    for n in nodes:
        out.append(n["code"])
        out.extend(_codes(n["children"]))
    return out


def test_tree_is_scoped_to_the_viewer(tree) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    body = api_client(worker).get("/api/v1/areas").json()
    assert [n["code"] for n in body] == [tree.grid_a.code]
    assert _codes(body) == [tree.grid_a.code, tree.micro_a1.code]

    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    codes = _codes(api_client(staff).get("/api/v1/areas").json())
    assert tree.grid_b.code in codes and tree.grid_c.code not in codes and tree.street.code not in codes

    admin = make_user(Role.ADMIN)
    assert [n["code"] for n in api_client(admin).get("/api/v1/areas").json()] == ["320621"]
    assert api_client(make_user(Role.RESIDENT)).get("/api/v1/areas").json() == []


def test_locate_answers_grid_and_microgrid(tree) -> None:  # type: ignore[no-untyped-def]
    client = api_client(make_user(Role.RESIDENT))
    body = client.get("/api/v1/areas/locate", {"lat": 32.505, "lng": 120.4025}).json()
    assert body["grid"] == {"code": tree.grid_a.code, "name": tree.grid_a.name}
    assert body["microgrid"]["code"] == tree.micro_a1.code
    body = client.get("/api/v1/areas/locate", {"lat": 10, "lng": 10}).json()
    assert body["grid"] is None and body["microgrid"] is None


def test_locate_converts_gcj02(tree) -> None:  # type: ignore[no-untyped-def]
    client = api_client(make_user(Role.RESIDENT))
    glat, glng = geo.wgs84_to_gcj02(32.505, 120.4075)
    as_wgs = client.get("/api/v1/areas/locate", {"lat": glat, "lng": glng}).json()
    as_gcj = client.get("/api/v1/areas/locate", {"lat": glat, "lng": glng, "coord_system": "gcj02"}).json()
    assert (as_wgs["grid"] or {}).get("code") != tree.grid_a.code
    assert as_gcj["grid"]["code"] == tree.grid_a.code


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 95, "lng": 120}, "lat"),
        ({"lat": 32, "lng": 200}, "lng"),
        ({"lat": "x", "lng": 120}, "lat"),
        ({"lng": 120}, "lat"),
        ({"lat": 32, "lng": 120, "coord_system": "bd09"}, "coord_system"),
    ],
)
def test_locate_rejects_bad_coordinates_naming_the_field(tree, params, field) -> None:  # type: ignore[no-untyped-def]
    resp = api_client(make_user(Role.RESIDENT)).get("/api/v1/areas/locate", params)
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["errors"]] == [field]


def test_detail_shows_chain_children_orgs_posts_and_counts(tree) -> None:  # type: ignore[no-untyped-def]
    from wangge.areas.models import PartyOrg

    PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name="东园一网格党支部", area=tree.grid_a)
    worker = make_user(Role.GRID_WORKER, tree.grid_a, display_name="王小明")
    body = api_client(worker).get(f"/api/v1/areas/{tree.grid_a.code}").json()
    assert [p["code"] for p in body["parents"]] == ["320621", "320621001", "320621001001"]
    assert [c["code"] for c in body["children"]] == [tree.micro_a1.code]
    assert body["party_orgs"][0]["name"] == "东园一网格党支部"
    assert body["posts"] == [
        {"kind": "grid_worker", "kind_label": "专职网格员", "name": "王**", "username": worker.username}
    ]
    assert body["counts"]["microgrids"] == 1 and body["counts"]["residents"] == 0


def test_out_of_scope_areas_answer_404(tree) -> None:  # type: ignore[no-untyped-def]
    client = api_client(make_user(Role.GRID_WORKER, tree.grid_a))
    for path in (tree.grid_b.code, tree.community.code, f"{tree.grid_c.code}/geojson", "999999"):
        assert client.get(f"/api/v1/areas/{path}").status_code == 404


def test_geojson_lists_the_areas_below(tree) -> None:  # type: ignore[no-untyped-def]
    client = api_client(make_user(Role.STREET_STAFF, tree.street))
    body = client.get(f"/api/v1/areas/{tree.community.code}/geojson").json()
    assert body["type"] == "FeatureCollection"
    codes = [f["properties"]["code"] for f in body["features"]]
    assert codes == sorted([tree.grid_a.code, tree.grid_b.code, tree.micro_a1.code])
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    assert body["bbox"] == pytest.approx([120.40, 32.50, 120.42, 32.51])
    grid = client.get(f"/api/v1/areas/{tree.grid_a.code}/geojson").json()
    assert [f["properties"]["code"] for f in grid["features"]] == [tree.grid_a.code, tree.micro_a1.code]
    streets = client.get(f"/api/v1/areas/{tree.street.code}/geojson?levels=community").json()
    assert len(streets["features"]) == 2
    assert client.get(f"/api/v1/areas/{tree.street.code}/geojson?levels=planet").status_code == 422


def test_detail_and_tree_query_counts_do_not_grow_with_the_tree(tree, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = api_client(make_user(Role.ADMIN))
    client.get("/api/v1/areas")  # warm the token's last-used touch
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/v1/areas/{tree.district.code}").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/areas").status_code == 200
