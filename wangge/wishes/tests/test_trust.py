"""Issue 7 for wishes: contacts cannot be harvested by claiming and cancelling (verified members only, at most
N active claims, M cancellations in a window suspend claiming and tell the community), every contact view is
audited and listed for the community, out of scope = missing = 404, bounded input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.notifications.models import Notification
from wangge.testing import api_client, make_user
from wangge.volunteers import services as volunteer_services
from wangge.volunteers.models import Member
from wangge.wishes import services, tasks
from wangge.wishes.models import Wish, WishClaim

from .conftest import open_wish
from .factories import make_resident

J = "application/json"


def _claim(user, wish) -> int:
    return api_client(user).post(f"/api/v1/wishes/{wish.pk}/claim", {}, content_type=J).status_code


def _cancel(user, wish) -> int:
    r = api_client(user).post(f"/api/v1/wishes/{wish.pk}/cancel-claim", {"reason": "没空"}, content_type=J)
    return r.status_code


@pytest.mark.django_db
def test_only_members_the_community_verified_may_claim(world):
    stranger = make_user(Role.VOLUNTEER, display_name="新来的")
    wish = open_wish(world)
    r = api_client(stranger).post(f"/api/v1/wishes/{wish.pk}/claim", {}, content_type=J)
    assert r.status_code == 403 and "核实" in r.json()["detail"]
    assert r.json().get("contact") is None and not WishClaim.objects.exists()
    # The community verifies them (API), then the claim goes through and shows the contact.
    volunteer_services.member_update(user=stranger, by=stranger, home_community=world.tree.community)
    member = Member.objects.get(user=stranger)
    r = api_client(world.staff).post(
        f"/api/v1/members/{member.pk}/verify", {"verified": True}, content_type=J
    )
    assert r.status_code == 200, r.content
    assert r.json()["verified"] is True
    assert _claim(stranger, wish) == 201
    # Revoked: no new claims.
    r = api_client(world.staff).post(
        f"/api/v1/members/{member.pk}/verify", {"verified": False}, content_type=J
    )
    assert r.status_code == 200 and r.json()["verified"] is False
    assert _claim(stranger, open_wish(world, title="棉被")) == 403


@pytest.mark.django_db
def test_verification_is_by_community_staff_in_scope(world, tree):
    v = make_user(Role.VOLUNTEER)
    volunteer_services.member_update(user=v, by=v, home_community=tree.community)
    member = Member.objects.get(user=v)
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    assert (
        api_client(outsider)
        .post(f"/api/v1/members/{member.pk}/verify", {"verified": True}, content_type=J)
        .status_code
        == 404
    )
    assert api_client(v).post(
        f"/api/v1/members/{member.pk}/verify", {"verified": True}, content_type=J
    ).status_code in (
        403,
        404,
    )
    assert Member.objects.get(pk=member.pk).verified_at is None


@pytest.mark.django_db
def test_a_member_holds_at_most_n_active_claims(world, settings):
    settings.WANGGE_WISH_MAX_ACTIVE_CLAIMS = 2
    wishes = [open_wish(world, title=f"物品{i}") for i in range(3)]
    assert _claim(world.volunteer, wishes[0]) == 201
    assert _claim(world.volunteer, wishes[1]) == 201
    r = api_client(world.volunteer).post(f"/api/v1/wishes/{wishes[2].pk}/claim", {}, content_type=J)
    assert r.status_code == 409 and r.json()["state"] == "claim_limit"
    assert Wish.objects.get(pk=wishes[2].pk).status == "open"
    # Delivering one still holds it; a fulfilled one frees the place.
    assert _cancel(world.volunteer, wishes[0]) == 200
    assert _claim(world.volunteer, wishes[2]) == 201


@pytest.mark.django_db
def test_m_cancellations_in_the_window_suspend_claiming_and_tell_the_community(world, settings):
    settings.WANGGE_WISH_MAX_CANCELLATIONS = 3
    settings.WANGGE_WISH_CANCELLATION_WINDOW_DAYS = 30
    wishes = [open_wish(world, title=f"物品{i}") for i in range(4)]
    for w in wishes[:3]:
        assert _claim(world.volunteer, w) == 201
        assert _cancel(world.volunteer, w) == 200
    r = api_client(world.volunteer).post(f"/api/v1/wishes/{wishes[3].pk}/claim", {}, content_type=J)
    assert r.status_code == 403 and "暂停" in r.json()["detail"]
    sent = Notification.objects.filter(event="wishes.claims_suspended")
    assert list(sent.values_list("user", flat=True)) == [world.staff.pk]
    # Another member is not affected.
    assert _claim(world.volunteer2, wishes[3]) == 201
    # The community lifts the suspension by verifying the member again.
    member = Member.objects.get(user=world.volunteer)
    r = api_client(world.staff).post(
        f"/api/v1/members/{member.pk}/verify", {"verified": True}, content_type=J
    )
    assert r.status_code == 200 and r.json()["claims_suspended"] is False
    assert _claim(world.volunteer, open_wish(world, title="棉被")) == 201


@pytest.mark.django_db
def test_cancellations_outside_the_window_do_not_count(world, settings):
    settings.WANGGE_WISH_MAX_CANCELLATIONS = 2
    w1, w2, w3 = (open_wish(world, title=f"物品{i}") for i in range(3))
    for w in (w1, w2):
        assert _claim(world.volunteer, w) == 201
        assert _cancel(world.volunteer, w) == 200
    # Suspended now; 31 days later both cancellations are outside the window.
    assert _claim(world.volunteer, w3) == 403
    WishClaim.objects.filter(status="cancelled").update(ended_at=timezone.now() - timedelta(days=31))
    Member.objects.filter(user=world.volunteer).update(
        claims_suspended_at=timezone.now() - timedelta(days=31)
    )
    assert _claim(world.volunteer, w3) == 201


@pytest.mark.django_db
def test_lapsed_claims_count_as_cancellations(world, settings):
    settings.WANGGE_WISH_MAX_CANCELLATIONS = 1
    w1, w2 = open_wish(world, title="物品1"), open_wish(world, title="物品2")
    assert _claim(world.volunteer, w1) == 201
    tasks.tick(timezone.now() + timedelta(days=20))
    assert WishClaim.objects.get(wish=w1).status == "lapsed"
    assert _claim(world.volunteer, w2) == 403


@pytest.mark.django_db
def test_the_community_sees_who_viewed_which_contact(world, tree):
    wish = open_wish(world)
    assert _claim(world.volunteer, wish) == 201  # the claim response shows the contact: one view
    api_client(world.volunteer).get(f"/api/v1/wishes/{wish.pk}")  # a second view
    rows = api_client(world.staff).get("/api/v1/wishes/contact-views").json()
    volunteer_rows = [r for r in rows if r["actor_id"] == world.volunteer.pk]
    assert len(volunteer_rows) == 2 and all(r["wish_id"] == wish.pk for r in volunteer_rows)
    assert volunteer_rows[0]["actor"] == "李志强" and volunteer_rows[0]["as_claimant"] is True
    # Other communities see none of it; members cannot list it.
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    assert api_client(outsider).get("/api/v1/wishes/contact-views").json() == []
    assert api_client(world.volunteer).get("/api/v1/wishes/contact-views").status_code == 403
    # The review page has the section.
    page = Client()
    page.force_login(world.staff)
    html = page.get("/wishes/review/").content.decode()
    assert "联系方式查看记录" in html and "李志强" in html


@pytest.mark.django_db
def test_wish_for_out_of_scope_or_missing_resident_is_404(world, tree):
    outside = make_resident(tree.grid_c, name="外社区居民")
    c = api_client(world.grid_worker)
    r_out = c.post("/api/v1/wishes", {"title": "收音机", "beneficiary_id": outside.pk}, content_type=J)
    r_missing = c.post("/api/v1/wishes", {"title": "收音机", "beneficiary_id": 987654}, content_type=J)
    assert (r_out.status_code, r_missing.status_code) == (404, 404)
    assert r_out.json()["detail"] == r_missing.json()["detail"]
    # A resident cannot post for a neighbour either (same answer).
    r = api_client(world.resident_user).post(
        "/api/v1/wishes", {"title": "收音机", "beneficiary_id": outside.pk}, content_type=J
    )
    assert r.status_code == 404
    assert not Wish.objects.exists()


@pytest.mark.django_db
def test_unreviewed_wish_and_its_claim_endpoints_are_404_for_others(world, tree):
    wish = services.wish_create(by=world.grid_worker, beneficiary=world.resident, title="收音机")
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    for user in (outsider, world.volunteer):
        c = api_client(user)
        assert c.get(f"/api/v1/wishes/{wish.pk}").status_code == 404
        assert c.post(f"/api/v1/wishes/{wish.pk}/claim", {}, content_type=J).status_code == 404
        assert c.post(f"/api/v1/wishes/{wish.pk}/withdraw").status_code == 404
        assert (
            c.post(f"/api/v1/wishes/{wish.pk}/review", {"approve": True}, content_type=J).status_code == 404
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"title": "收音\x00机"},
        {"title": "\ud800"},
        {"title": "x" * 500},
        {"title": "收音机", "estimated_value": "1e400"},
        {"title": "收音机", "estimated_value": 10**20},
        {"title": "收音机", "deadline": "9999-12-31"},
        {"title": "收音机", "beneficiary_id": 10**30},
        {"title": "收音机", "season": 10**30},
    ],
)
def test_wish_input_is_bounded(world, body):
    r = api_client(world.grid_worker).post(
        "/api/v1/wishes", {"beneficiary_id": world.resident.pk, **body}, content_type=J
    )
    assert r.status_code == 422, r.content
    assert not Wish.objects.exists()


@pytest.mark.django_db
def test_claim_endpoints_refuse_bad_text(world):
    wish = open_wish(world)
    assert _claim(world.volunteer, wish) == 201
    r = api_client(world.volunteer).post(
        f"/api/v1/wishes/{wish.pk}/cancel-claim", {"reason": "a\x00b"}, content_type=J
    )
    assert r.status_code == 422
    assert WishClaim.objects.get(wish=wish).active is True


@pytest.mark.django_db
def test_deliver_note_with_nul_is_422_and_private_wish_endpoints_are_404(world, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .factories import png_bytes

    wish = open_wish(world)
    assert _claim(world.volunteer, wish) == 201
    photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    r = api_client(world.volunteer).post(
        f"/api/v1/wishes/{wish.pk}/deliver", {"note": "送到\x00", "photo": photo}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    assert WishClaim.objects.get(wish=wish).status == "claimed"
    draft = services.wish_create(by=world.grid_worker, beneficiary=world.resident, title="棉被")
    outsider = api_client(make_user(Role.VOLUNTEER))
    for action in ("deliver", "confirm", "cancel-claim"):
        assert outsider.post(f"/api/v1/wishes/{draft.pk}/{action}", {}, content_type=J).status_code == 404
        assert outsider.post(f"/api/v1/wishes/987654/{action}", {}, content_type=J).status_code == 404
