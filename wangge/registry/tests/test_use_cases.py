"""One use case is one service, all or nothing: a create or update with a bad tag (or any bad field) writes
nothing at all. And text that would break the export (control characters) is refused at the door."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from wangge.accounts.roles import Role
from wangge.core.models import AuditLog
from wangge.registry import services
from wangge.registry.models import Building, House, Household, Resident, Tagging
from wangge.testing import api_client, make_user

from .factories import admin_user, make_household, make_resident

pytestmark = pytest.mark.django_db


def _post(client: Any, path: str, data: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/{path}", data, content_type="application/json")


def _patch(client: Any, path: str, data: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/{path}", data, content_type="application/json")


def test_household_create_with_an_unknown_tag_writes_nothing(tree: Any) -> None:
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    c = api_client(worker)
    b = _post(c, "buildings", {"area": tree.grid_a.code, "name": "1幢", "address": "东园路1号"}).json()
    house = _post(c, "houses", {"building_id": b["id"], "room": "101"}).json()
    audits = AuditLog.objects.count()
    resp = _post(c, "households", {"house_id": house["id"], "number": "H1", "tags": ["empty_nest", "nope"]})
    assert resp.status_code == 422
    assert resp.json()["errors"] == [{"field": "tags", "message": "未知标签：nope"}]
    assert not Household.objects.exists()
    assert not Tagging.objects.exists()
    assert AuditLog.objects.count() == audits


def test_household_create_with_a_resident_only_tag_writes_nothing(tree: Any) -> None:
    c = api_client(make_user(Role.GRID_WORKER, tree.grid_a))
    b = _post(c, "buildings", {"area": tree.grid_a.code, "name": "1幢", "address": "东园路1号"}).json()
    house = _post(c, "houses", {"building_id": b["id"], "room": "101"}).json()
    resp = _post(c, "households", {"house_id": house["id"], "tags": ["empty_nest", "disabled"]})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "tags"
    assert not Household.objects.exists() and not Tagging.objects.exists()


def test_household_update_with_a_bad_tag_changes_nothing(tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    services.tags_set(codes=["empty_nest"], household=household, by=admin)
    c = api_client(admin)
    resp = _patch(c, f"households/{household.pk}", {"number": "CHANGED", "tags": ["long_term", "nope"]})
    assert resp.status_code == 422
    household.refresh_from_db()
    assert household.number != "CHANGED"
    assert Tagging.objects.filter(household=household).count() == 1  # empty_nest kept, long_term not added


def test_resident_create_and_update_with_a_bad_tag_write_nothing(tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    c = api_client(admin)
    resp = _post(c, "residents", {"household_id": household.pk, "name": "小红", "tags": ["long_term"]})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "tags"  # a household-only tag
    assert not Resident.objects.exists()
    r = make_resident(household=household, by=admin)
    resp = _patch(c, f"residents/{r.pk}", {"name": "新名字", "tags": ["veteran", "nope"]})
    assert resp.status_code == 422
    r.refresh_from_db()
    assert r.name != "新名字" and not Tagging.objects.filter(resident=r).exists()


def test_resident_create_with_tags_is_one_call(tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    r = services.resident_create(
        household=household, name="老王", gender="male", by=admin, tags=["veteran", "veteran"]
    )
    assert Tagging.objects.filter(resident=r).count() == 1


def test_a_use_case_cannot_be_nested_in_another_transaction(tree: Any) -> None:
    """Durable: a caller cannot wrap two use cases into one by accident (and lose the guarantee that the
    service's commit is the commit)."""
    admin = admin_user()
    building = Building.objects.create(area=tree.grid_a, name="1幢", address="东园路1号")
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.house_create(building=building, room="101", by=admin)
    assert not House.objects.exists()


@pytest.mark.parametrize("bad", ["张\x07三", "\x1b[31m李四", "王\x00五", "赵\n六"])
def test_control_characters_in_names_are_refused_naming_the_field(tree: Any, bad: str) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    c = api_client(admin)
    resp = _post(c, "residents", {"household_id": household.pk, "name": bad})
    assert resp.status_code == 422, resp.content
    assert resp.json()["errors"][0]["field"] == "name"
    assert not Resident.objects.exists()
    resp = _post(c, "buildings", {"area": tree.grid_a.code, "name": bad, "address": "东园路9号"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "name"
    resp = _patch(c, f"households/{household.pk}", {"number": bad})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "number"


def test_notes_may_hold_line_breaks_but_no_other_control_characters(tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    c = api_client(admin)
    assert _patch(c, f"households/{household.pk}", {"notes": "第一行\n第二行\t完"}).status_code == 200
    resp = _patch(c, f"households/{household.pk}", {"notes": "响铃\x07"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "notes"
