"""Browser: a community worker reviews and approves a wish, sees it on the wall, opens a pairing and
records a hand-over (phone viewport)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.pairing import services as pairing_services
from wangge.pairing.models import Pairing
from wangge.testing import PASSWORD, make_tree, make_user
from wangge.wishes import services as wish_services
from wangge.wishes.models import Wish
from wangge.wishes.tests.factories import make_resident


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_community_worker_path(browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="shequ01", display_name="社区小陈")
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    v1 = make_user(Role.VOLUNTEER, display_name="骑手张伟")
    v2 = make_user(Role.VOLUNTEER, username="rider02", display_name="骑手刘洋")
    elder = make_resident(tree.grid_a, name="宋明华", tags=("elderly_alone",))
    wish = wish_services.wish_create(by=gw, beneficiary=elder, title="一台收音机", reason="想听戏")
    pairing = pairing_services.pairing_create(
        resident=elder,
        volunteer=v1,
        care_kind="elderly_alone",
        by=staff,
        starts_on=timezone.localdate() - timedelta(days=20),
    )
    pairing_services.visit_log(
        pairing=pairing, by=v1, visited_at=timezone.now() - timedelta(days=3), note="送了米和油"
    )

    page = browser_page
    browser_login(page, "shequ01", PASSWORD)
    page.goto(page.base_url + "/wishes/review/")
    panel = page.locator(f"[data-review='{wish.pk}']")
    panel.locator("select[name=public_category]").select_option("独居老人")
    panel.locator("button[value=approve]").click()
    page.wait_for_selector("#review-empty")
    assert Wish.objects.get(pk=wish.pk).status == "open"

    page.goto(page.base_url + "/wishes/")
    card = page.locator(f"[data-wish='{wish.pk}']")
    assert card.inner_text().startswith("独居老人 宋** 想要一台收音机")
    assert "宋明华" not in page.content()

    page.goto(page.base_url + "/pairing/")
    page.locator(f"[data-pairing='{pairing.pk}'] a").click()
    page.wait_for_selector("#handover-form")
    page.select_option("#handover-form select[name=to_volunteer]", str(v2.pk))
    page.fill("#handover-form input[name=overlap_days]", "7")
    page.fill("#handover-form input[name=reason]", "张伟搬家")
    page.fill("#handover-form textarea[name=notes]", "老人耳背，敲门要用力")
    page.click("#handover-form button[type=submit]")
    expect(page.locator("#current-volunteer")).to_contain_text("骑手刘洋")  # the CSP forbids eval
    assert "送了米和油" in page.locator("#visits").inner_text()
    served = page.locator("#served").inner_text()
    assert "骑手张伟" in served and "骑手刘洋" in served
    assert Pairing.objects.get(pk=pairing.pk).volunteer_id == v2.pk
