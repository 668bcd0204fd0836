"""Pages: post on behalf, review, the three lists with a resource form, figures; the wall's query count."""

from __future__ import annotations

import pytest
from django.test import Client

from wangge.accounts.models import Unit
from wangge.wishes import services
from wangge.wishes.models import Resource, Wish

from .conftest import open_wish


@pytest.mark.django_db
def test_grid_worker_posts_and_staff_approve_through_pages(world, client):
    client.force_login(world.grid_worker)
    page = client.get("/wishes/new/").content.decode()
    assert "宋*" in page and "宋明华" not in page  # the picker masks names
    r = client.post(
        "/wishes/new/",
        {"beneficiary": world.resident.pk, "title": "一台收音机", "kind": "goods", "estimated_value": "80"},
    )
    wish = Wish.objects.get()
    assert r.status_code == 302 and wish.status == "pending_review" and wish.on_behalf
    client.force_login(world.staff)
    assert "一台收音机" in client.get("/wishes/review/").content.decode()
    r = client.post(
        f"/wishes/{wish.pk}/review/",
        {"decision": "approve", "public_category": "独居老人", "public_title": "一台收音机"},
    )
    assert r.status_code == 302
    assert Wish.objects.get().public_label == "独居老人 宋** 想要一台收音机"


@pytest.mark.django_db
def test_lists_page_records_a_resource_and_suggests_it(world, client, tree):
    unit = Unit.objects.create(name="海安供电公司", kind=Unit.Kind.CO_BUILDING)
    open_wish(world)
    client.force_login(world.staff)
    r = client.post(
        "/wishes/lists/",
        {
            "unit": unit.pk,
            "community": tree.community.code,
            "title": "收音机10台",
            "kind": "goods",
            "quantity": "10",
        },
    )
    assert r.status_code == 302 and Resource.objects.get().quantity == 10
    page = client.get("/wishes/lists/").content.decode()
    assert "海安供电公司：收音机10台" in page


@pytest.mark.django_db
def test_volunteer_claims_delivers_and_sees_contact_on_pages(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .factories import png_bytes

    wish = open_wish(world)
    client.force_login(world.volunteer)
    assert "13812345678" not in client.get(f"/wishes/{wish.pk}/").content.decode()
    assert client.post(f"/wishes/{wish.pk}/claim/").status_code == 302
    page = client.get(f"/wishes/{wish.pk}/").content.decode()
    assert "13812345678" in page and "宋明华" in page
    photo = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    assert client.post(f"/wishes/{wish.pk}/deliver/", {"photo": photo, "note": "送到"}).status_code == 302
    assert Wish.objects.get(pk=wish.pk).status == "delivering"
    assert client.get(f"/wishes/{wish.pk}/photo/")["Content-Type"] == "image/jpeg"
    assert "独居老人 宋** 想要一台收音机" in client.get("/wishes/mine/").content.decode()
    assert Client().get(f"/wishes/{wish.pk}/photo/").status_code == 302  # login required


@pytest.mark.django_db
def test_wall_and_public_api_query_counts_do_not_grow_with_wishes(
    world, django_assert_max_num_queries, settings
):
    settings.WANGGE_WISH_MAX_ACTIVE_CLAIMS = 10
    for i in range(12):
        w = open_wish(world, title=f"物品{i}")
        if i % 2:
            services.wish_claim(wish_id=w.pk, by=world.volunteer)
    anon = Client()
    with django_assert_max_num_queries(4):
        assert len(anon.get("/api/v1/wishes").json()) == 12
    with django_assert_max_num_queries(8):
        assert anon.get("/wishes/").status_code == 200
    with django_assert_max_num_queries(6):
        assert anon.get("/wishes/figures/").status_code == 200
