"""Who may read and write which registry records: role × inside/outside scope × read/write, on the API
and on the pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.core.models import AuditLog
from wangge.registry.models import Resident
from wangge.testing import PASSWORD, api_client, make_user

from .factories import admin_user, make_resident, outside_areas

FULL_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture
def world(tree: Any) -> dict[str, Any]:
    admin = admin_user()
    out = outside_areas()
    w: dict[str, Any] = {
        "tree": tree,
        "admin": admin,
        "a": make_resident(tree.grid_a, admin, name="张甲"),  # grid_a of community 1
        "a2": make_resident(tree.grid_a, admin, name="李乙"),  # another household of grid_a
        "b": make_resident(tree.grid_b, admin, name="王丙"),  # grid_b of community 1
        "c": make_resident(tree.grid_c, admin, name="赵丁"),  # community 2, same street
        "s2": make_resident(out["other_street_grid"], admin, name="钱戊"),  # another street, same district
        "d2": make_resident(out["other_district_grid"], admin, name="孙己"),  # another district
    }
    resident_user = make_user(Role.RESIDENT)
    w["a"].account = resident_user
    w["a"].save(update_fields=["account"])
    w["users"] = {
        "grid_worker": make_user(Role.GRID_WORKER, tree.grid_a),
        "community_staff": make_user(Role.COMMUNITY_STAFF, tree.community),
        "street_staff": make_user(Role.STREET_STAFF, tree.street),
        "district": make_user(Role.DISTRICT, tree.district),
        "resident": resident_user,
        "department_staff": make_user(Role.DEPARTMENT_STAFF),
    }
    return w


# role → (the resident inside their scope, the resident outside it)
INSIDE_OUTSIDE = {
    "grid_worker": ("a", "b"),
    "community_staff": ("b", "c"),
    "street_staff": ("c", "s2"),
    "district": ("s2", "d2"),
    "resident": ("a", "a2"),
    "department_staff": ("a", "a2"),
}
# role → expected status for (read inside, read outside, write inside, write outside)
EXPECTED = {
    "grid_worker": (200, 404, 200, 404),
    "community_staff": (200, 404, 200, 404),
    "street_staff": (200, 404, 200, 404),
    "district": (200, 404, 200, 404),
    "resident": (200, 404, 403, 404),
    "department_staff": (404, 404, 404, 404),  # no registry role: every id is "not found"
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_api_access_matrix(world: dict[str, Any], role: str) -> None:
    user = world["users"][role]
    client = api_client(user)
    inside, outside = (world[k] for k in INSIDE_OUTSIDE[role])
    got = (
        client.get(f"/api/v1/residents/{inside.pk}").status_code,
        client.get(f"/api/v1/residents/{outside.pk}").status_code,
        client.patch(
            f"/api/v1/residents/{inside.pk}", {"name": "改名"}, content_type="application/json"
        ).status_code,
        client.patch(
            f"/api/v1/residents/{outside.pk}", {"name": "改名"}, content_type="application/json"
        ).status_code,
    )
    assert got == EXPECTED[role]
    names = set(Resident.objects.filter(name="改名").values_list("pk", flat=True))
    assert names == ({inside.pk} if EXPECTED[role][2] == 200 else set())


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_page_access_matrix(world: dict[str, Any], role: str) -> None:
    """Pages: read = the resident page; write = the audited reveal (a resident may not reveal)."""
    user = world["users"][role]
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    inside, outside = (world[k] for k in INSIDE_OUTSIDE[role])
    read_in, read_out, write_in, write_out = EXPECTED[role]
    assert client.get(f"/registry/residents/{inside.pk}/").status_code == read_in
    assert client.get(f"/registry/residents/{outside.pk}/").status_code == read_out
    assert client.post(f"/registry/residents/{inside.pk}/reveal/phone/").status_code == write_in
    assert client.post(f"/registry/residents/{outside.pk}/reveal/phone/").status_code == write_out
    # The list page shows the inside resident and never the outside one.
    page = client.get("/registry/residents/")
    if role != "department_staff":
        body = page.content.decode()
        assert f"/registry/residents/{inside.pk}/" in body
        assert f"/registry/residents/{outside.pk}/" not in body
    else:  # a role with no access to the registry may not list it at all
        assert page.status_code == 403


@pytest.mark.django_db
def test_grid_worker_token_lists_only_their_grid(world: dict[str, Any]) -> None:
    client = api_client(world["users"]["grid_worker"])
    data = client.get("/api/v1/residents?limit=100").json()
    assert {r["id"] for r in data["items"]} == {world["a"].pk, world["a2"].pk}
    assert {r["area_code"] for r in data["items"]} == {world["tree"].grid_a.code}
    assert client.get(f"/api/v1/residents/{world['c'].pk}").status_code == 404
    assert client.get(f"/api/v1/households/{world['c'].household_id}").status_code == 404
    buildings = client.get("/api/v1/buildings").json()["items"]
    assert {b["area"]["code"] for b in buildings} == {world["tree"].grid_a.code}


@pytest.mark.django_db
def test_resident_sees_only_own_household(world: dict[str, Any]) -> None:
    client = api_client(world["users"]["resident"])
    items = client.get("/api/v1/residents").json()["items"]
    assert [r["id"] for r in items] == [world["a"].pk]
    assert client.get(f"/api/v1/households/{world['a2'].household_id}").status_code == 404


@pytest.mark.django_db
def test_no_response_to_a_grid_worker_contains_a_full_id_number(world: dict[str, Any]) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    user = world["users"]["grid_worker"]
    a = world["a"]
    client = api_client(user)
    responses = [
        client.get("/api/v1/residents"),
        client.get(f"/api/v1/residents/{a.pk}"),
        client.get(f"/api/v1/residents?id_number={a.id_number}"),
        client.get("/api/v1/households"),
        client.get(f"/api/v1/households/{a.household_id}"),
    ]
    page = Client()
    page.login(username=user.username, password=PASSWORD)
    responses += [
        page.get("/registry/residents/"),
        page.get(f"/registry/residents/{a.pk}/"),
        page.get(f"/registry/households/{a.household_id}/"),
        page.get(f"/registry/residents/?q={a.name}", HTTP_HX_REQUEST="true"),
    ]
    for resp in responses:
        assert resp.status_code == 200
        text = resp.content.decode()
        assert not FULL_ID.search(text), resp.request["PATH_INFO"]
        assert a.phone not in text
    # The id_number filter found the resident (by the keyed hash) and returned it masked.
    found = responses[2].json()["items"]
    assert [r["id"] for r in found] == [a.pk]
    assert found[0]["id_number"] == a.id_number[:6] + "********" + a.id_number[-4:]
    assert found[0]["phone"] == a.phone[:3] + "****" + a.phone[-4:]
    for export in (client.get("/api/v1/residents/export"), page.get("/registry/residents/export/")):
        assert export.status_code == 200
        ws = load_workbook(BytesIO(export.content), read_only=True).worksheets[0]
        cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        assert a.name in cells
        assert not any(FULL_ID.search(c) for c in cells)
        assert a.phone not in cells
    assert AuditLog.objects.filter(action="export", actor=user).count() == 2


@pytest.mark.django_db
def test_reveal_returns_the_full_value_and_is_audited(world: dict[str, Any]) -> None:
    user = world["users"]["grid_worker"]
    a = world["a"]
    resp = api_client(user).post(
        f"/api/v1/residents/{a.pk}/reveal", {"field": "id_number"}, content_type="application/json"
    )
    assert resp.status_code == 200
    assert resp.json()["value"] == a.id_number
    entry = AuditLog.objects.get(action="reveal", actor=user)
    assert entry.object_id == str(a.pk) and entry.changes == {"field": "id_number"}
    assert a.id_number not in str(entry.changes) + entry.note


@pytest.mark.django_db
def test_reveal_is_refused_without_permission_and_outside_scope(world: dict[str, Any]) -> None:
    resident_client = api_client(world["users"]["resident"])
    r = resident_client.post(
        f"/api/v1/residents/{world['a'].pk}/reveal", {"field": "phone"}, content_type="application/json"
    )
    assert r.status_code == 403
    gw = api_client(world["users"]["grid_worker"])
    r = gw.post(
        f"/api/v1/residents/{world['b'].pk}/reveal", {"field": "phone"}, content_type="application/json"
    )
    assert r.status_code == 404
    assert not AuditLog.objects.filter(action="reveal").exists()


@pytest.mark.django_db
def test_list_page_query_count_does_not_grow_with_rows(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    user = world["users"]["district"]
    for _ in range(10):
        make_resident(world["tree"].grid_b, world["admin"])
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    client.get("/registry/residents/")  # warm the session
    with django_assert_max_num_queries(12):
        resp = client.get("/registry/residents/")
    assert resp.status_code == 200
    # 9: + the viewer's own household ids, read as a list (so the scope stays one index range).
    with django_assert_max_num_queries(9):
        assert api_client(user).get("/api/v1/residents?limit=50").status_code == 200


@pytest.mark.django_db
def test_admin_is_scoped_and_masked(world: dict[str, Any]) -> None:
    tree = world["tree"]
    staff = make_user(Role.GRID_WORKER, tree.grid_a, is_staff=True)
    client = Client()
    assert client.login(username=staff.username, password=PASSWORD)
    resp = client.get("/admin/registry/resident/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert world["a"].name in body and world["b"].name not in body
    assert not FULL_ID.search(body)
    assert world["a"].id_number[:6] + "********" in body
    assert client.get(f"/admin/registry/resident/{world['b'].pk}/change/").status_code in (302, 404)
    detail = client.get(f"/admin/registry/resident/{world['a'].pk}/change/")
    assert detail.status_code == 200 and not FULL_ID.search(detail.content.decode())
    tags = client.get("/admin/registry/tag/")
    assert tags.status_code == 200 and "低保" in tags.content.decode()
