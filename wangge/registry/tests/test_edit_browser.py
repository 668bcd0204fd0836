"""Editing the registry on a 360×640 phone in a real browser: a grid worker adds a resident (a bad ID number is
refused next to its field first) and records a move-out; the ID number correction waits for the community;
the history page shows both; the resident list shows at least 6 cards on the first screen."""

from __future__ import annotations

from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.registry.models import RegistryChange, Resident
from wangge.testing import PASSWORD, make_id_number, make_user

from .factories import admin_user, make_household, make_resident


def _phone(page: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 640})
    page.set_default_timeout(30_000)


def _no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grid_worker_adds_a_resident_and_records_a_move_out_on_a_phone(tree: Any, browser_page: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    page = browser_page
    _phone(page)
    browser_login(page, worker.username, PASSWORD)
    page.goto(f"{page.base_url}/registry/households/{household.pk}/card/")
    assert page.get_attribute("#household-card", "data-version") == "1"
    _no_horizontal_scroll(page)
    page.click("#form-add_resident summary")
    good_id = make_id_number("19550505", 32)
    page.fill("#form-add_resident input[name=name]", "王秀英")
    page.fill("#form-add_resident input[name=id_number]", good_id[:-1] + ("0" if good_id[-1] != "0" else "1"))
    page.click("#form-add_resident button[type=submit]")
    error = page.locator("#error-add_resident-id_number")
    assert "校验" in error.inner_text() or "身份证" in error.inner_text(), error.inner_text()
    # The message sits right under its field, and nothing was written.
    field_box = page.locator("#form-add_resident input[name=id_number]").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    assert not Resident.objects.filter(name="王秀英").exists()
    assert page.input_value("#form-add_resident input[name=name]") == "王秀英"
    page.fill("#form-add_resident input[name=id_number]", good_id)
    page.click("#form-add_resident button[type=submit]")
    page.wait_for_selector("#members >> text=王秀英")
    resident = Resident.objects.get(name="王秀英")
    assert resident.household_id == household.pk and resident.gender == "female"

    # Move-out from the resident's card: a future date is refused next to the field, then it is recorded.
    page.click("#members >> text=王秀英")
    page.wait_for_selector("#resident-card")
    assert page.get_attribute("#resident-card", "data-version") == "1"
    _no_horizontal_scroll(page)
    page.click("#form-move_out summary")
    page.fill("#form-move_out input[name=date]", "2999-01-01")
    page.click("#form-move_out button[type=submit]")
    assert "晚于今天" in page.inner_text("#error-move_out-date")
    page.fill("#form-move_out input[name=date]", "2026-01-05")
    page.click("#form-move_out button[type=submit]")
    page.wait_for_selector("#resident-card .pill")
    resident.refresh_from_db()
    assert (resident.active, resident.left_reason, resident.version) == (False, "moved_out", 2)

    # A second resident's ID number correction waits for approval.
    other = make_resident(household=household, by=admin)
    page.goto(f"{page.base_url}/registry/residents/{other.pk}/card/")
    page.click("#form-id_number summary")
    new_id = make_id_number("19800101", 91)
    page.fill("#form-id_number input[name=id_number]", new_id)
    page.click("#form-id_number button[type=submit]")
    page.wait_for_selector("#waiting")
    assert RegistryChange.objects.get(resident=other, kind="id_number").status == "pending"

    # The community approves it from the queue on a phone; the household's history shows both changes.
    page.context.clear_cookies()
    browser_login(page, staff.username, PASSWORD)
    page.goto(f"{page.base_url}/registry/changes/?status=pending")
    _no_horizontal_scroll(page)
    page.click("[data-actions] button.primary")
    page.wait_for_selector(".messages")
    other.refresh_from_db()
    assert other.id_number == new_id
    page.goto(f"{page.base_url}/registry/households/{household.pk}/history/")
    changes = page.inner_text("#change-list")
    assert "迁出" in changes and "身份证号" in changes and "新增居民" in changes
    assert new_id not in page.content()  # masked everywhere
    _no_horizontal_scroll(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_resident_list_shows_six_cards_on_a_phone_screen(tree: Any, browser_page: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    for n in range(10):
        make_resident(household=household, by=admin, name=f"居民{n:02d}", tags=["veteran"] if n % 2 else [])
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    page = browser_page
    _phone(page)
    browser_login(page, worker.username, PASSWORD)
    page.goto(page.base_url + "/registry/residents/")
    rows = page.locator("#resident-table tbody tr")
    assert rows.count() == 10
    bottoms = [rows.nth(i).bounding_box() for i in range(rows.count())]
    on_screen = [b for b in bottoms if b["y"] + b["height"] <= 640]
    if len(on_screen) < 6:
        page.screenshot(path="/tmp/regedit_list.png")
    assert len(on_screen) >= 6, bottoms[:8]
    _no_horizontal_scroll(page)
    # Each card is one tap target (the name's link covers it) of a usable height.
    assert all(b["height"] >= 44 for b in bottoms)
    rows.nth(1).click(position={"x": 300, "y": 40})
    page.wait_for_url("**/registry/residents/*/")
