"""MUST-SHOW: the public wall and the public API carry no name, phone, address or health detail;
the claimant sees the contact only after claiming."""

from __future__ import annotations

import pytest
from django.test import Client

from wangge.core.errors import InvalidInput
from wangge.testing import api_client
from wangge.wishes import services

from .conftest import open_wish

SECRETS = ("宋明华", "明华", "13812345678", "东园路", "8号", "糖尿病", "腿脚", "残疾", "大病")


def _assert_clean(text: str) -> None:
    for s in SECRETS:
        assert s not in text, f"public output leaks {s!r}"


@pytest.mark.django_db
def test_public_label_masks_surname_and_shows_only_chosen_category(world):
    wish = open_wish(world)
    assert wish.public_label == "独居老人 宋** 想要一台收音机"
    assert wish.status == "open"


@pytest.mark.django_db
def test_sensitive_category_cannot_be_made_public(world):
    wish = services.wish_create(by=world.grid_worker, beneficiary=world.resident, title="轮椅")
    with pytest.raises(InvalidInput):
        services.wish_review(wish=wish, by=world.staff, approve=True, public_category="残疾")
    wish.refresh_from_db()
    assert wish.status == "pending_review" and wish.public_label == ""


@pytest.mark.django_db
def test_public_api_and_wall_carry_no_identity(world):
    wish = open_wish(world)
    anon = Client()
    r = anon.get("/api/v1/wishes")
    assert r.status_code == 200
    assert r.json()[0]["label"] == "独居老人 宋** 想要一台收音机"
    _assert_clean(r.content.decode())
    r = anon.get(f"/api/v1/wishes/{wish.pk}")
    assert r.status_code == 200 and r.json()["contact"] is None and r.json()["private"] is None
    _assert_clean(r.content.decode())
    r = anon.get("/wishes/")
    assert r.status_code == 200 and "宋**" in r.content.decode()
    _assert_clean(r.content.decode())
    r = anon.get(f"/wishes/{wish.pk}/")
    assert r.status_code == 200
    _assert_clean(r.content.decode())
    # A signed-in volunteer who has not claimed sees the same public view.
    r = api_client(world.volunteer).get(f"/api/v1/wishes/{wish.pk}")
    assert r.json()["contact"] is None
    _assert_clean(r.content.decode())


@pytest.mark.django_db
def test_unreviewed_wish_is_not_public(world):
    wish = services.wish_create(by=world.grid_worker, beneficiary=world.resident, title="收音机")
    assert Client().get(f"/api/v1/wishes/{wish.pk}").status_code == 404
    assert Client().get("/api/v1/wishes").json() == []


@pytest.mark.django_db
def test_claimant_sees_contact_only_after_claiming(world):
    wish = open_wish(world)
    c1 = api_client(world.volunteer)
    before = c1.get(f"/api/v1/wishes/{wish.pk}").json()
    assert before["contact"] is None
    r = c1.post(f"/api/v1/wishes/{wish.pk}/claim", {}, content_type="application/json")
    assert r.status_code == 201, r.content
    contact = r.json()["contact"]
    assert (
        contact["name"] == "宋明华"
        and contact["phone"] == "13812345678"
        and "东园路8号" in contact["address"]
    )
    # Someone else still sees the public view only, and the anonymous wall shows it claimed.
    other = api_client(world.volunteer2).get(f"/api/v1/wishes/{wish.pk}").json()
    assert other["contact"] is None and other["status"] == "claimed"
    _assert_clean(Client().get("/api/v1/wishes").content.decode())
    # After cancelling, the former claimant no longer sees the contact.
    c1.post(f"/api/v1/wishes/{wish.pk}/cancel-claim", {"reason": "临时出差"}, content_type="application/json")
    assert c1.get(f"/api/v1/wishes/{wish.pk}").json()["contact"] is None


@pytest.mark.django_db
def test_staff_in_scope_see_contact_other_community_does_not(world, tree):
    from wangge.accounts.roles import Role
    from wangge.testing import make_user

    wish = open_wish(world)
    assert api_client(world.staff).get(f"/api/v1/wishes/{wish.pk}").json()["contact"]["name"] == "宋明华"
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    body = api_client(outsider).get(f"/api/v1/wishes/{wish.pk}").json()
    assert body["contact"] is None and body["private"] is None
    staff_list = api_client(outsider).get("/api/v1/wishes?view=manage").json()
    assert staff_list == []
