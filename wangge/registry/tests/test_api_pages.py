"""API create/update of buildings, houses, households, residents; the list and detail pages render."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.core.models import AuditLog
from wangge.registry.models import Resident
from wangge.testing import PASSWORD, api_client, make_id_number, make_user

from .factories import admin_user, make_resident


@pytest.mark.django_db
def test_grid_worker_builds_the_registry_through_the_api(tree: Any) -> None:
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    c = api_client(worker)

    def post(path: str, data: dict[str, Any]) -> Any:
        return c.post(f"/api/v1/{path}", data, content_type="application/json")

    def patch(path: str, data: dict[str, Any]) -> Any:
        return c.patch(f"/api/v1/{path}", data, content_type="application/json")

    assert post("buildings", {"area": tree.grid_b.code, "name": "1幢", "address": "别处"}).status_code == 422
    b = post("buildings", {"area": tree.grid_a.code, "name": "1幢", "address": "东园路1号", "entrances": 2})
    assert b.status_code == 201, b.json()
    bid = b.json()["id"]
    assert patch(f"buildings/{bid}", {"floors": 6}).json()["floors"] == 6
    h = post("houses", {"building_id": bid, "room": "301", "entrance": 2, "exclusive_area": "95.20"})
    assert h.status_code == 201, h.json()
    assert post("houses", {"building_id": bid, "room": "301", "entrance": 3}).status_code == 422
    hid = h.json()["id"]
    assert patch(f"houses/{hid}", {"floor": 3}).json()["floor"] == 3
    hh = post("households", {"house_id": hid, "number": "H1", "tags": ["empty_nest"]})
    assert hh.status_code == 201, hh.json()
    assert [t["code"] for t in hh.json()["tags"]] == ["empty_nest"]
    hhid = hh.json()["id"]
    updated = patch(f"households/{hhid}", {"is_party_center": True, "tags": ["party_center", "long_term"]})
    assert updated.json()["is_party_center"] and {t["code"] for t in updated.json()["tags"]} == {
        "party_center",
        "long_term",
    }
    idn = make_id_number("20150301", 22)
    r = post(
        "residents", {"household_id": hhid, "name": "小明", "id_number": idn, "tags": ["left_behind_child"]}
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["id_number"] == idn[:6] + "********" + idn[-4:]
    assert body["birth_date"] == "2015-03-01" and body["gender"] == "female"
    assert [t["code"] for t in body["tags"]] == ["left_behind_child"]
    rid = body["id"]
    assert patch(f"residents/{rid}", {"phone": "13600001234"}).json()["phone"] == "136****1234"
    assert patch(f"residents/{rid}", {"relation": "nonsense"}).status_code == 422
    assert Resident.objects.get(pk=rid).phone == "13600001234"
    assert c.get(f"/api/v1/houses?building={bid}").json()["count"] == 1
    assert AuditLog.objects.filter(actor=worker, action="create").count() == 4


@pytest.mark.django_db
def test_pages_render_for_staff(tree: Any) -> None:
    admin = admin_user()
    r = make_resident(tree.grid_a, admin, name="页面测试")
    user = make_user(Role.COMMUNITY_STAFF, tree.community)
    c = Client()
    c.login(username=user.username, password=PASSWORD)
    for url in (
        "/registry/residents/",
        "/registry/residents/?tag=low_income&political_status=party&residence_type=renting",
        f"/registry/residents/{r.pk}/",
        "/registry/households/",
        "/registry/households/?party_center=1",
        f"/registry/households/{r.household_id}/",
        "/registry/buildings/",
        "/registry/import/",
    ):
        resp = c.get(url)
        assert resp.status_code == 200, url
    assert "页面测试" in c.get(f"/registry/households/{r.household_id}/").content.decode()
    partial = c.get("/registry/households/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and r.household.number in partial
    assert c.get("/registry/import/template/").status_code == 200
