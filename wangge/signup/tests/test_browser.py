"""In a real browser (phone viewport): a resident signs up with a phone and the code read from the SMS outbox,
consents to the privacy notice, reports a case and sees it on their home page; and each error of the form
(no consent, wrong code, expired code, a registered phone) shows next to its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.appeals.tests.conftest import ensure_categories
from wangge.notifications.models import OutboxMessage
from wangge.signup.models import Consent, PhoneCode
from wangge.testing import Tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13955556666"


@pytest.fixture(autouse=True)
def _clean() -> None:
    cache.clear()


def _code() -> str:
    msg = OutboxMessage.objects.filter(channel="sms", event="signup.signup_code").order_by("-pk").first()
    assert msg is not None and msg.phone == PHONE
    return str(msg.payload["code"])


def _fill(page: Any, code: str, *, consent: bool = True) -> None:
    page.fill("#id_code", code)
    page.fill("#id_display_name", "周自注")
    page.fill("#id_password", "Gridpass-2026")
    if consent and not page.is_checked("#id_consent"):
        page.check("#id_consent")


def test_resident_signs_up_with_a_phone_code_reports_a_case_and_sees_it_at_home(
    browser_page: Any, tree: Tree
) -> None:
    ensure_categories()
    make_user(Role.GRID_WORKER, tree.grid_a, username="gw", display_name="网格员甲", phone="13800001111")
    page = browser_page
    page.goto(page.base_url + "/accounts/login/")
    page.click("text=居民注册")
    page.fill("#id_phone", PHONE)
    page.click("#send-code")
    expect(page.locator("#code-sent")).to_be_visible()
    code = _code()

    # No consent: refused, the message next to the checkbox, nothing created.
    _fill(page, code, consent=False)
    page.click("#do-signup")
    expect(page.locator("#id_consent-error")).to_contain_text("请阅读并同意")
    assert not User.objects.filter(role=Role.RESIDENT).exists()

    # A wrong code: refused next to the code field.
    _fill(page, "000000" if code != "000000" else "111111")
    page.click("#do-signup")
    expect(page.locator("#id_code-error")).to_contain_text("验证码不正确")

    # The privacy notice is one tap away.
    assert page.get_attribute("a[href='/signup/privacy/']", "href")

    _fill(page, code)
    page.click("#do-signup")
    page.wait_for_url(page.base_url + "/")
    user = User.objects.get(role=Role.RESIDENT)
    assert Consent.objects.filter(user=user).count() == 1

    # Report a case with the phone's location.
    lat, lng = Tree.point_in(tree.grid_a)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": lat, "longitude": lng})
    page.goto(page.base_url + "/appeals/report/")
    page.select_option("#id_parent", "SQ01")
    page.wait_for_selector('#id_category option[value="SQ0101"]', state="attached")
    page.select_option("#id_category", "SQ0101")
    page.fill("#id_description", "3单元楼道灯不亮，晚上看不见台阶")
    page.click("#locate-me")
    expect(page.locator("#id_lat")).not_to_have_value("")
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/appeals/*/")
    appeal = Appeal.objects.get(reporter=user)

    page.goto(page.base_url + "/")
    mine = page.locator("#home-my-cases")
    expect(mine).to_contain_text(f"#{appeal.pk}")
    expect(mine).to_contain_text("等待受理")
    expect(page.locator("#home-my-grid-worker")).to_contain_text("网格员甲")
    # Phone login works for the new account.
    page.context.clear_cookies()
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", PHONE)
    page.fill("#id_password", "Gridpass-2026")
    page.click("form button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def test_expired_code_and_registered_phone_are_told_next_to_their_fields(
    browser_page: Any, tree: Tree
) -> None:
    page = browser_page
    page.goto(page.base_url + "/signup/")
    page.fill("#id_phone", PHONE)
    page.click("#send-code")
    expect(page.locator("#code-sent")).to_be_visible()
    code = _code()
    PhoneCode.objects.update(expires_at=PhoneCode.objects.get().created_at - dt.timedelta(seconds=1))
    _fill(page, code)
    page.click("#do-signup")
    expect(page.locator("#id_code-error")).to_contain_text("验证码已过期")

    make_user(Role.RESIDENT, username="taken", phone="13900009999")
    page.fill("#id_phone", "13900009999")
    page.click("#send-code")
    expect(page.locator("#id_phone-error")).to_contain_text("该手机号已注册")
