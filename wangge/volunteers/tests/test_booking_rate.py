"""The resident served rates a finished micro-project booking (自设服务菜单) on a page: 1–5 stars and a
comment; the member's points follow the hours × the rating like a volunteer task. A score out of range or a
second rating shows the message next to the score; another person's booking is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.points.selectors import points_balance
from wangge.testing import PASSWORD, Tree, horizontal_overflow, make_user
from wangge.volunteers import services
from wangge.volunteers.models import Booking


def _done_booking(tree: Tree, hours: float = 2) -> tuple[Any, Any, Booking]:
    member = make_user(Role.VOLUNTEER, username="barber", display_name="李师傅")
    resident = make_user(Role.RESIDENT, username="served", display_name="张阿姨")
    p = services.micro_project_create(user=member, title="义务理发", community=tree.community)
    b = services.booking_create(
        project=p, resident=resident, wanted_at=timezone.now() - dt.timedelta(hours=3)
    )
    services.booking_transition(booking_id=b.pk, by=member, to="accepted")
    services.booking_transition(booking_id=b.pk, by=member, to="done", hours=hours)
    return member, resident, b


@pytest.mark.django_db
def test_rating_on_the_page_pays_hours_times_the_rating(client: Any, tree: Tree) -> None:
    member, resident, b = _done_booking(tree, hours=2)
    client.force_login(resident)
    listing = client.get("/volunteers/bookings/").content.decode()
    assert "义务理发" in listing and f"/volunteers/bookings/{b.pk}/rate/" in listing
    res = client.post(f"/volunteers/bookings/{b.pk}/rate/", {"score": "4", "comment": "很耐心"})
    assert res.status_code == 302
    b.refresh_from_db()
    assert (b.score, b.comment) == (4, "很耐心")
    assert points_balance(member) == 22 == b.points_awarded  # 10 × 2 h × 1.1 (four stars)
    assert "很耐心" in client.get("/volunteers/bookings/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("score", ["0", "6", "abc", ""])
def test_a_score_out_of_range_is_refused_next_to_the_score(client: Any, tree: Tree, score: str) -> None:
    member, resident, b = _done_booking(tree)
    client.force_login(resident)
    res = client.post(f"/volunteers/bookings/{b.pk}/rate/", {"score": score})
    assert res.status_code == 422
    html = res.content.decode()
    assert "errorlist" in html and ("评分须为 1 到 5 分" in html or "请选择评分" in html)
    b.refresh_from_db()
    assert b.score is None and points_balance(member) == 0


@pytest.mark.django_db
def test_only_the_resident_served_sees_the_page(client: Any, tree: Tree) -> None:
    member, resident, b = _done_booking(tree)
    client.force_login(member)  # the member cannot rate their own service
    assert client.get(f"/volunteers/bookings/{b.pk}/rate/").status_code == 404
    assert client.post(f"/volunteers/bookings/{b.pk}/rate/", {"score": "5"}).status_code == 404
    client.force_login(make_user(Role.RESIDENT))
    assert client.get(f"/volunteers/bookings/{b.pk}/rate/").status_code == 404
    assert client.get("/volunteers/bookings/987654321/rate/").status_code == 404
    b.refresh_from_db()
    assert b.score is None


@pytest.mark.django_db
def test_a_booking_not_yet_done_cannot_be_rated(client: Any, tree: Tree) -> None:
    member = make_user(Role.VOLUNTEER)
    resident = make_user(Role.RESIDENT)
    p = services.micro_project_create(user=member, title="手机辅导", community=tree.community)
    b = services.booking_create(project=p, resident=resident, wanted_at=timezone.now())
    client.force_login(resident)
    assert "服务完成后才能评价" in client.get(f"/volunteers/bookings/{b.pk}/rate/").content.decode()
    res = client.post(f"/volunteers/bookings/{b.pk}/rate/", {"score": "5"})
    assert res.status_code == 409 and "服务完成后才能评价" in res.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_resident_rates_with_stars_and_a_second_rating_is_refused(browser_page: Any, tree: Tree) -> None:
    member, resident, b = _done_booking(tree, hours=1.5)
    page = browser_page
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 360, "height": 780})
    browser_login(page, resident.username, PASSWORD)
    page.goto(page.base_url + "/volunteers/bookings/")
    page.locator(f"[data-booking='{b.pk}'] a.button").click()
    form = page.locator("#booking-rate-form")
    expect(form).to_be_visible()
    assert horizontal_overflow(page) == 0
    # Error path: a tampered score past the browser's checks → the message next to the stars.
    form.evaluate("f => f.noValidate = true")
    form.locator("input[name=score][value='5']").evaluate("i => { i.value = '9'; i.checked = true; }")
    form.locator("button[type=submit]").click()
    expect(page.locator("#booking-rate-form fieldset .errorlist")).to_contain_text("评分须为 1 到 5 分")
    # Another tab rates first: this one is told, next to the score, and nothing is paid twice.
    services.booking_rate(booking_id=b.pk, by=resident, score=3)
    page.locator("#booking-rate-form label[for$='_4']").click()  # the fifth star
    page.locator("#booking-rate-form button[type=submit]").click()
    expect(page.locator("#booking-rate-form .errorlist")).to_contain_text("已评价")
    assert points_balance(member) == 15  # 10 × 1.5 h × 1.0 (three stars), once
    # Happy path on a second finished booking.
    p2 = services.micro_project_create(user=member, title="修理小家电", community=tree.community)
    b2 = services.booking_create(
        project=p2, resident=resident, wanted_at=timezone.now() - dt.timedelta(hours=1)
    )
    services.booking_transition(booking_id=b2.pk, by=member, to="accepted")
    services.booking_transition(booking_id=b2.pk, by=member, to="done", hours=1)
    page.goto(page.base_url + f"/volunteers/bookings/{b2.pk}/rate/")
    page.locator("#booking-rate-form label[for$='_4']").click()
    page.fill("#booking-rate-form textarea[name=comment]", "修好了，谢谢")
    page.locator("#booking-rate-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("12 积分")  # 10 × 1 h × 1.2
    expect(page.locator(f"[data-booking='{b2.pk}']")).to_contain_text("修好了，谢谢")
    assert points_balance(member) == 27
