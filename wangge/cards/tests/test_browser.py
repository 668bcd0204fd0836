"""Browser (360 px phone): a resident's home page shows their service card with the QR code; the visit
figures page rejects a reversed period next to the field, and its tables become cards without sideways
scrolling."""

from __future__ import annotations

import pytest

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.registry.models import Resident
from wangge.testing import PASSWORD, make_tree, make_user
from wangge.visits.tests.factories import make_household


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resident_home_card_and_the_figures_page_on_a_phone(browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    tree.community.hotline = "0513-88765432"
    tree.community.save(update_fields=["hotline"])
    worker = make_user(Role.GRID_WORKER, tree.grid_a, username="wangge01", display_name="网格员小王")
    Post.objects.filter(user=worker).update(work_phone="13906270001")
    h = make_household(tree.grid_a)
    resident = make_user(Role.RESIDENT, username="jumin01")
    Resident.objects.filter(household=h).update(account=resident)
    make_user(Role.COMMUNITY_STAFF, tree.community, username="shequ01")

    page = browser_page
    page.set_viewport_size({"width": 360, "height": 640})
    browser_login(page, "jumin01", PASSWORD)
    page.goto(page.base_url + "/")
    card = page.locator("#service-card")
    card.wait_for()
    assert "0513-88765432" in card.inner_text() and "网格员小王" in card.inner_text()
    assert page.locator("#service-card svg").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.context.clear_cookies()
    browser_login(page, "shequ01", PASSWORD)
    page.goto(page.base_url + "/visits/figures/")
    assert tree.community.name in page.locator("#figures-heading").inner_text()
    page.fill("#fig-from", "2026-11-30")
    page.fill("#fig-to", "2026-11-01")
    page.click(".fig-filters button[type=submit]")
    error = page.locator("#error-from")
    error.wait_for()
    assert error.inner_text() == "开始日期不能晚于结束日期"
    field_box = page.locator("#fig-from").bounding_box()
    assert 0 <= error.bounding_box()["y"] - (field_box["y"] + field_box["height"]) < 40
    page.fill("#fig-from", "2026-11-01")
    page.fill("#fig-to", "2026-11-30")
    page.select_option("#fig-area", tree.grid_a.code)
    page.click(".fig-filters button[type=submit]")
    page.wait_for_selector("[data-figure=completion]")
    assert tree.grid_a.name in page.locator("#figures-heading").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
