"""Claim → deliver (photo) → confirm; disputes, lapses, auto-confirm, review rights, figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.core.models import AuditLog
from wangge.testing import api_client, make_user
from wangge.wishes import selectors, services, tasks
from wangge.wishes.models import Wish, WishClaim

from .conftest import open_wish, verify
from .factories import png_bytes


def _photo(data: bytes | None = None, name: str = "p.png", ctype: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else png_bytes(), content_type=ctype)


@pytest.mark.django_db
def test_full_path_with_photo_and_beneficiary_confirmation(world):
    wish = open_wish(world)
    services.wish_claim(wish_id=wish.pk, by=world.volunteer)
    claim = services.wish_deliver(wish_id=wish.pk, by=world.volunteer, note="已送到", photo=_photo())
    assert claim.status == "delivering" and claim.delivery_photo.name.endswith(".jpg")
    from PIL import Image

    with claim.delivery_photo.open("rb") as f, Image.open(f) as img:
        assert img.format == "JPEG"
    wish = services.wish_confirm(wish_id=wish.pk, by=world.resident_user)
    assert wish.status == "fulfilled" and wish.fulfilled_at is not None
    from wangge.points.models import PointEntry

    # The real ledger: one earning for the claimant, from this wish.
    earned = list(
        PointEntry.objects.filter(kind="earn").values("user", "rule_code", "source_key", "by", "reason")
    )
    assert earned == [
        {
            "user": world.volunteer.pk,
            "rule_code": "wish_fulfilled",
            "source_key": f"wish:{wish.pk}",
            "by": world.resident_user.pk,
            "reason": f"微心愿#{wish.pk}已实现",
        }
    ]


@pytest.mark.django_db
def test_bad_photo_is_rejected_and_nothing_written(world):
    wish = open_wish(world)
    services.wish_claim(wish_id=wish.pk, by=world.volunteer)
    with pytest.raises(InvalidInput):
        services.wish_deliver(wish_id=wish.pk, by=world.volunteer, photo=_photo(b"<script>x</script>"))
    with pytest.raises(InvalidInput):
        services.wish_deliver(wish_id=wish.pk, by=world.volunteer, photo=_photo(ctype="application/pdf"))
    assert WishClaim.objects.get(wish=wish).status == "claimed"
    assert Wish.objects.get(pk=wish.pk).status == "claimed"


@pytest.mark.django_db
def test_deliver_via_api_multipart(world):
    wish = open_wish(world)
    c = api_client(world.volunteer)
    assert c.post(f"/api/v1/wishes/{wish.pk}/claim", {}, content_type="application/json").status_code == 201
    r = c.post(f"/api/v1/wishes/{wish.pk}/deliver", {"note": "送到了", "photo": _photo()})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "delivering" and r.json()["my_claim"]["has_photo"] is True
    r = api_client(world.grid_worker).post(
        f"/api/v1/wishes/{wish.pk}/confirm", {"accept": True}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "fulfilled"
    entry = AuditLog.objects.filter(object_type="wishes.wish", object_id=str(wish.pk), note="代心愿人确认")
    assert entry.filter(actor=world.grid_worker).exists()


@pytest.mark.django_db
def test_second_claim_is_409_and_db_allows_one_active_claim(world):
    wish = open_wish(world)
    services.wish_claim(wish_id=wish.pk, by=world.volunteer)
    with pytest.raises(Conflict) as exc:
        services.wish_claim(wish_id=wish.pk, by=world.volunteer2)
    assert exc.value.extra["state"] == "claimed"
    with pytest.raises(IntegrityError), transaction.atomic():
        WishClaim.objects.create(wish=wish, claimant_user=world.volunteer2, last_progress_at=timezone.now())
    r = api_client(world.volunteer2).post(
        f"/api/v1/wishes/{wish.pk}/claim", {}, content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["state"] == "claimed"


@pytest.mark.django_db
def test_unit_claim_and_only_unit_members_see_contact(world, tree):
    unit = Unit.objects.create(name="海安农商银行", kind=Unit.Kind.CO_BUILDING)
    member = make_user(Role.VOLUNTEER, unit=unit)
    colleague = make_user(Role.VOLUNTEER, unit=unit)
    verify(member, community=tree.community, by=world.staff)
    wish = open_wish(world)
    claim = services.wish_claim(wish_id=wish.pk, by=member, as_unit=True)
    assert claim.claimant_unit == unit and claim.claimant_user is None
    assert selectors.wish_contact(viewer=colleague, wish=wish)["name"] == "宋明华"
    assert selectors.wish_contact(viewer=world.volunteer, wish=wish) is None
    with pytest.raises(Forbidden):
        services.wish_claim(wish_id=wish.pk, by=world.volunteer, as_unit=True)


@pytest.mark.django_db
def test_dispute_blocks_auto_confirm_and_stale_claims_lapse(world):
    w1 = open_wish(world, title="一台收音机")
    w2 = open_wish(world, title="理发服务", kind="service")
    w3 = open_wish(world, title="一双棉鞋")
    services.wish_claim(wish_id=w1.pk, by=world.volunteer)
    services.wish_deliver(wish_id=w1.pk, by=world.volunteer, photo=_photo())
    services.wish_claim(wish_id=w2.pk, by=world.volunteer2)
    services.wish_claim(wish_id=w3.pk, by=world.volunteer2)
    services.wish_deliver(wish_id=w3.pk, by=world.volunteer2, photo=_photo())
    services.wish_confirm(wish_id=w3.pk, by=world.resident_user, accept=False, note="鞋码不对")
    later = timezone.now() + timedelta(days=30)
    result = tasks.tick(later)
    assert result == {"wishes_expired": 0, "claims_lapsed": 1, "wishes_auto_confirmed": 1, "skipped": 0}
    assert Wish.objects.get(pk=w1.pk).status == "fulfilled"
    assert WishClaim.objects.get(wish=w1).auto_confirmed is True
    assert Wish.objects.get(pk=w2.pk).status == "open"  # back on the wall
    assert WishClaim.objects.get(wish=w2).status == "lapsed"
    assert Wish.objects.get(pk=w3.pk).status == "delivering"  # disputed: waits for a person
    assert tasks.tick(later) == {
        "wishes_expired": 0,
        "claims_lapsed": 0,
        "wishes_auto_confirmed": 0,
        "skipped": 0,
    }


@pytest.mark.django_db
def test_open_wish_past_deadline_expires(world):
    wish = open_wish(world, deadline=timezone.localdate() + timedelta(days=3))
    assert tasks.tick(timezone.now() + timedelta(days=5))["wishes_expired"] == 1
    assert Wish.objects.get(pk=wish.pk).status == "expired"


@pytest.mark.django_db
def test_review_rights(world, tree):
    wish = services.wish_create(by=world.grid_worker, beneficiary=world.resident, title="收音机")
    with pytest.raises(Forbidden):  # the grid worker posts, the community reviews
        services.wish_review(wish=wish, by=world.grid_worker, approve=True)
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    with pytest.raises(NotFound):
        services.wish_review(wish=wish, by=outsider, approve=True)
    with pytest.raises(InvalidInput):
        services.wish_review(wish=wish, by=world.staff, approve=False, note="")
    services.wish_review(wish=wish, by=world.staff, approve=False, note="请改为服务类心愿")
    assert Wish.objects.get(pk=wish.pk).status == "rejected"
    outsider_gw = make_user(Role.GRID_WORKER, tree.grid_c)
    with pytest.raises(NotFound):  # out of scope answers like missing
        services.wish_create(by=outsider_gw, beneficiary=world.resident, title="收音机")


@pytest.mark.django_db
def test_resident_posts_own_wish_via_api(world):
    r = api_client(world.resident_user).post(
        "/api/v1/wishes", {"title": "想学用智能手机", "kind": "service"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "pending_review"
    assert Wish.objects.get(pk=r.json()["id"]).on_behalf is False


@pytest.mark.django_db
def test_ranking_counts_fulfilled_not_claimed(world):
    for i in range(3):
        w = open_wish(world, title=f"物品{i}")
        services.wish_claim(wish_id=w.pk, by=world.volunteer2)  # claims, never delivers
    w = open_wish(world, title="棉被")
    services.wish_claim(wish_id=w.pk, by=world.volunteer)
    services.wish_deliver(wish_id=w.pk, by=world.volunteer, photo=_photo())
    services.wish_confirm(wish_id=w.pk, by=world.staff)
    figs = selectors.figures()
    assert figs["posted"] == 4 and figs["claimed"] == 4 and figs["fulfilled"] == 1
    assert figs["ranking"] == [{"name": "李**", "kind": "user", "fulfilled": 1}]


@pytest.mark.django_db
def test_three_lists_suggest_resources_of_same_kind_nearest_first(world, tree):
    from wangge.wishes.models import Resource

    unit = Unit.objects.create(name="共建单位甲", kind=Unit.Kind.CO_BUILDING)
    near = services.resource_create(unit=unit, community=tree.community, title="收音机5台", by=world.staff)
    far = services.resource_create(
        unit=unit, community=tree.community, title="旧家电", by=world.staff, lat=32.59, lng=120.49
    )
    services.resource_create(
        unit=unit, community=tree.community, title="义诊", kind="service", by=world.staff
    )
    wish = open_wish(world)
    lists = selectors.three_lists(viewer=world.staff)
    matches = [m["resource"] for m in lists["needs"][0]["matches"]]
    assert lists["needs"][0]["wish"] == wish
    assert matches == [near, far]
    assert Resource.objects.count() == 3 and len(lists["resources"]) == 3
