"""Browser (360 px phone, geolocation set by the browser context): the cadre checks in by location; far away
the message stands next to the 位置 field; staff see the cadre list with this week's status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.attendance import services
from wangge.attendance.models import CheckIn
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, horizontal_overflow, make_tree, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _setup() -> Any:
    tree = make_tree()
    today = timezone.localdate()
    staff = make_user(Role.STREET_STAFF, tree.street)
    cadre = make_user(Role.DEPARTMENT_STAFF, display_name="王书记")
    a = services.assignment_create(
        by=staff, user=cadre, area=tree.community, role="first_secretary",
        starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=20),
    )  # fmt: skip
    return tree, staff, cadre, a


def _phone(page: Any, lat: float, lng: float) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 10})


def test_cadre_checks_in_by_location_on_a_phone(browser_page: Any) -> None:
    tree, _staff, cadre, a = _setup()
    page = browser_page
    _phone(page, tree.community.center_lat, tree.community.center_lng)
    browser_login(page, cadre.username, PASSWORD)
    page.goto(page.base_url + "/attendance/")
    assert horizontal_overflow(page) == 0
    page.click("#locate")
    expect(page.locator("#checkin-done")).to_contain_text("签到成功")
    expect(page.locator("#checkin-panel")).to_contain_text("本周到岗 1/2 天")
    assert CheckIn.objects.filter(assignment=a, counted=True).count() == 1


def test_far_away_the_message_stands_next_to_the_location_field(browser_page: Any) -> None:
    tree, _staff, cadre, a = _setup()
    page = browser_page
    _phone(page, 32.521, 120.41)  # ≈ 1.2 km north of the community
    browser_login(page, cadre.username, PASSWORD)
    page.goto(page.base_url + "/attendance/")
    page.click("#locate")
    error = page.locator("#checkin-form .field-error")
    expect(error).to_contain_text("距社区约 1.2 公里，超出签到范围 500 米")
    expect(page.locator("#id_location")).to_have_attribute("aria-invalid", "true")
    assert not CheckIn.objects.filter(assignment=a).exists()


def test_staff_see_the_cadre_list_on_a_phone(browser_page: Any) -> None:
    tree, staff, cadre, a = _setup()
    services.check_in(by=cadre, lat=tree.community.center_lat, lng=tree.community.center_lng)
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 780})
    browser_login(page, staff.username, PASSWORD)
    page.goto(page.base_url + "/attendance/cadres/")
    row = page.locator(f"#cadre-list tr[data-assignment='{a.pk}']")
    expect(row).to_contain_text("王书记")
    expect(row).to_contain_text("1/2")
    assert horizontal_overflow(page) == 0
    row.get_by_role("link", name="月度记录").click()
    expect(page.locator("#record-summary")).to_contain_text("到岗天数")
