"""Registry services: validation of ID numbers and phones, derived fields, scope on writes, tags."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.core.models import AuditLog
from wangge.registry import selectors, services
from wangge.registry.models import Resident, Tag, Tagging
from wangge.testing import api_client, make_id_number, make_user

from .factories import admin_user, make_household, make_resident


@pytest.mark.django_db
def test_id_check_digit_error_names_the_field(tree: Any) -> None:
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    household = make_household(tree.grid_a, worker)
    good = make_id_number("19900215", 12)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    resp = api_client(worker).post(
        "/api/v1/residents",
        {"household_id": household.pk, "name": "王五", "id_number": bad},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == [{"field": "id_number", "message": "身份证号校验位错误"}]
    with pytest.raises(InvalidInput) as exc:
        services.resident_create(household=household, name="王五", id_number=good, phone="123", by=worker)
    assert exc.value.errors[0]["field"] == "phone"
    assert not Resident.objects.exists()


@pytest.mark.django_db
def test_gender_and_birth_date_come_from_the_id_number(tree: Any) -> None:
    admin = admin_user()
    hh = make_household(tree.grid_a, admin)
    idn = make_id_number("19850607", 13)  # serial 013: odd → male
    r = services.resident_create(household=hh, name="赵六", id_number=idn.lower(), by=admin)
    assert (r.gender, r.birth_date) == ("male", date(1985, 6, 7))
    assert r.id_hash == pii.id_hash(idn)
    with pytest.raises(InvalidInput) as exc:
        services.resident_create(
            household=hh, name="钱七", id_number=make_id_number("19850607", 14), gender="male", by=admin
        )
    assert exc.value.errors[0]["field"] == "gender"
    with pytest.raises(Conflict):
        services.resident_create(household=hh, name="重复", id_number=idn, by=admin)


@pytest.mark.django_db
def test_grid_worker_writes_only_in_their_grid(tree: Any) -> None:
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    other = make_household(tree.grid_b, admin_user())
    with pytest.raises(Forbidden):
        services.resident_create(household=other, name="越权", by=worker)
    with pytest.raises(Forbidden):
        services.building_create(area=tree.grid_b, name="1幢", address="别处1号", by=worker)
    b = services.building_create(area=tree.grid_a, name="1幢", address="东园路1号", by=worker)
    assert AuditLog.objects.filter(
        action="create", object_type="registry.building", object_id=str(b.pk)
    ).exists()


@pytest.mark.django_db
def test_update_audit_never_holds_the_plain_values(tree: Any) -> None:
    admin = admin_user()
    r = make_resident(tree.grid_a, admin)
    old_phone = r.phone
    services.resident_update(resident=r, phone="13700001111", name="新名字", by=admin)
    entry = AuditLog.objects.filter(action="update").latest("id")
    assert entry.changes["phone"] == "(changed)"
    assert entry.changes["name"][1] == "新名字"
    assert old_phone not in str(entry.changes) and "13700001111" not in str(entry.changes)


@pytest.mark.django_db
def test_tags_are_tokens_and_sensitive_ones_hidden_from_residents(tree: Any) -> None:
    admin = admin_user()
    r = make_resident(tree.grid_a, admin)
    me = make_user(Role.RESIDENT)
    r.account = me
    r.save(update_fields=["account"])
    services.tags_set(codes=["low_income", "long_term"], household=r.household, by=admin)
    assert set(Tagging.objects.values_list("token", flat=True)) == {
        pii.tag_token("low_income"),
        pii.tag_token("long_term"),
    }
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    assert [
        t.code for t in selectors.tags_of(selectors.household_get(viewer=worker, pk=r.household_id), worker)
    ] == [
        "long_term",
        "low_income",
    ]
    own = selectors.household_get(viewer=me, pk=r.household_id)
    assert [t.code for t in selectors.tags_of(own, me)] == ["long_term"]
    data = api_client(me).get(f"/api/v1/households/{r.household_id}").json()
    assert [t["code"] for t in data["tags"]] == ["long_term"]
    # Filtering by a tag the viewer may not see finds nothing.
    assert list(selectors.household_list(viewer=worker, tag="low_income")) == [r.household]
    assert list(selectors.resident_list(viewer=me, tag="low_income")) == []
    with pytest.raises(InvalidInput):
        services.tags_set(codes=["nope"], household=r.household, by=admin)
    services.tags_set(codes=[], household=r.household, by=admin)
    assert not Tagging.objects.exists()


@pytest.mark.django_db
def test_tag_catalogue_is_seeded() -> None:
    tags = {t.name: t for t in Tag.objects.all()}
    for name in ("长居", "短租", "空巢", "独居老人", "残疾", "留守儿童", "低保", "党员中心户"):
        assert name in tags
    assert tags["残疾"].sensitive and tags["低保"].sensitive and tags["留守儿童"].sensitive
    assert not tags["长居"].sensitive
    assert tags["独居老人"].visit_every_days == 7


@pytest.mark.django_db
def test_api_filters(tree: Any) -> None:
    admin = admin_user()
    a = make_resident(
        tree.grid_a, admin, name="孙悟空", residence_type="renting", political_status="party_member"
    )
    make_resident(tree.grid_b, admin, name="猪八戒")
    client = api_client(make_user(Role.COMMUNITY_STAFF, tree.community))

    def ids(query: str) -> list[int]:
        return [r["id"] for r in client.get(f"/api/v1/residents?{query}").json()["items"]]

    assert ids("q=悟空") == [a.pk]
    assert ids(f"phone={a.phone}") == [a.pk]
    assert ids(f"id_number={a.id_number}") == [a.pk]
    assert ids("residence_type=renting") == [a.pk]
    assert ids("political_status=party") == [a.pk]
    assert ids(f"area={tree.grid_a.code}") == [a.pk]
    assert len(ids("")) == 2
