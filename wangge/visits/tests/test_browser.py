"""Browser (360 px phone): the grid worker opens today, taps a household, submits a bad duration and sees
the message next to the field, fixes it, and is back on today with the count moved and no sideways scroll."""

from __future__ import annotations

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, make_tree, make_user
from wangge.visits import tasks
from wangge.visits.models import Visit
from wangge.visits.tests.factories import make_household


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grid_worker_records_a_visit_from_today_on_a_phone(browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    make_user(Role.GRID_WORKER, tree.grid_a, username="wangge01", display_name="网格员小王")
    h = make_household(tree.grid_a, tags=("elderly_alone",))
    make_household(tree.grid_a)
    tasks.tick(timezone.now())

    page = browser_page
    page.set_viewport_size({"width": 360, "height": 640})
    browser_login(page, "wangge01", PASSWORD)
    page.goto(page.base_url + "/visits/today/")
    assert "0/10" in page.locator("#count-done").inner_text()
    assert "2" in page.locator("#count-due").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator(f"a.vcard[href='/visits/household/{h.pk}/']").click()
    page.wait_for_selector("#visit-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("input[name=duration_minutes]", "0")
    page.locator("[data-check=elderly_food] label").first.click()
    page.click("#visit-form button[type=submit]")
    error = page.locator("#error-duration_minutes")
    error.wait_for()
    assert error.inner_text() == "时长须在1到1440分钟之间"
    # The message sits right under its field.
    field_box = page.locator("input[name=duration_minutes]").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    page.fill("input[name=duration_minutes]", "20")
    page.locator("[data-check=elderly_food] label").first.click()
    page.click("#visit-form button[type=submit]")
    page.wait_for_url("**/visits/today/")
    assert "1/10" in page.locator("#count-done").inner_text()
    assert page.locator(f"a.vcard[href='/visits/household/{h.pk}/']").count() == 0
    v = Visit.objects.get()
    assert (v.household_id, v.duration_minutes, v.checklist) == (h.pk, 20, {"elderly_food": "ok"})
