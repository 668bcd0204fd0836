"""Duty rosters at places: staff of the place's area put people on shifts; the roster shows names only; the
same person at the same shift in two places is refused by the database, also under concurrent requests."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.places.models import DutyShift, Place
from wangge.testing import PASSWORD, Tree, api_client, make_tree, make_user


@pytest.fixture
def tree(db: Any) -> Tree:
    return make_tree()


def _place(area: Any, name: str = "东园驿站") -> Place:
    return Place.objects.create(
        name=name, kind="post", area=area, lat=32.505, lng=120.405, phone="0513-88888888"
    )


@pytest.mark.django_db
def test_staff_add_a_shift_and_everyone_signed_in_sees_names_only(tree: Tree) -> None:
    place = _place(tree.grid_a)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    worker = make_user(Role.GRID_WORKER, tree.grid_a, display_name="周网格", phone="13812345678")
    day = timezone.localdate() + dt.timedelta(days=1)
    resp = api_client(staff).post(
        f"/api/v1/places/{place.pk}/duties", {"user_id": worker.pk, "date": day.isoformat(), "shift": "morning"},
        content_type="application/json",
    )  # fmt: skip
    assert resp.status_code == 201, resp.content
    roster = api_client(make_user(Role.RESIDENT)).get(f"/api/v1/places/{place.pk}/duties")
    assert roster.status_code == 200
    assert roster.json() == [
        {"id": resp.json()["id"], "date": day.isoformat(), "shift": "morning", "shift_display": "上午 08:30–12:00",
         "name": "周网格"}
    ]  # fmt: skip
    assert "138" not in roster.content.decode()


@pytest.mark.django_db
def test_the_same_person_at_the_same_shift_elsewhere_is_409_and_outsiders_cannot_edit(tree: Tree) -> None:
    a, b = _place(tree.grid_a), _place(tree.grid_b, "二网格驿站")
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    person = make_user(Role.GRID_WORKER, tree.grid_a)
    day = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    c = api_client(staff)
    body = {"user_id": person.pk, "date": day, "shift": "afternoon"}
    assert c.post(f"/api/v1/places/{a.pk}/duties", body, content_type="application/json").status_code == 201
    clash = c.post(f"/api/v1/places/{b.pk}/duties", body, content_type="application/json")
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "user"
    evening = c.post(
        f"/api/v1/places/{b.pk}/duties", {**body, "shift": "evening"}, content_type="application/json"
    )
    assert evening.status_code == 201
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    assert (
        api_client(outsider)
        .post(f"/api/v1/places/{a.pk}/duties", {**body, "shift": "morning"}, content_type="application/json")
        .status_code
        == 404
    )
    resident = make_user(Role.RESIDENT)
    assert (
        api_client(resident)
        .post(f"/api/v1/places/{a.pk}/duties", {**body, "shift": "morning"}, content_type="application/json")
        .status_code
        == 403
    )
    bad = c.post(f"/api/v1/places/{a.pk}/duties", {**body, "shift": "night"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "shift"
    assert DutyShift.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyShift.objects.create(place=b, user=person, date=day, shift="afternoon")


@pytest.mark.django_db
def test_place_page_shows_the_roster_and_staff_add_by_form(client: Any, tree: Tree) -> None:
    place = _place(tree.grid_a)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, display_name="吴社工")
    client.login(username=staff.username, password=PASSWORD)
    today = timezone.localdate()
    resp = client.post(
        reverse("places:duty_add", args=[place.pk]),
        {"user": staff.pk, "date": today.isoformat(), "shift": "morning"},
    )
    assert resp.status_code == 302
    page = client.get(reverse("places:detail", args=[place.pk])).content.decode()
    assert "吴社工" in page and 'id="station-code"' in page
    duty = DutyShift.objects.get(place=place)
    assert client.post(reverse("places:duty_remove", args=[place.pk]), {"duty": duty.pk}).status_code == 302
    assert not DutyShift.objects.filter(pk=duty.pk).exists()
    client.post(
        reverse("places:duty_add", args=[place.pk]),
        {"user": staff.pk, "date": today.isoformat(), "shift": "morning"},
    )
    resident = make_user(Role.RESIDENT)
    client.login(username=resident.username, password=PASSWORD)
    page = client.get(reverse("places:detail", args=[place.pk])).content.decode()
    assert "吴社工" in page and 'id="station-code"' not in page and 'id="duty-form"' not in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_person_and_shift_leave_one_row(tree: Tree) -> None:
    """Eight threads post the same person and shift to four places at once: exactly one 201, the rest 409."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race is real on PostgreSQL")
    places = [_place(tree.grid_a, f"驿站{i}") for i in range(4)]
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    person = make_user(Role.GRID_WORKER, tree.grid_a)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def post(i: int) -> None:
        c = api_client(staff)
        barrier.wait()
        r = c.post(
            f"/api/v1/places/{places[i % 4].pk}/duties", {"user_id": person.pk, "date": day, "shift": "morning"},
            content_type="application/json",
        )  # fmt: skip
        codes.append(r.status_code)
        connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 7
    assert DutyShift.objects.filter(user=person).count() == 1
