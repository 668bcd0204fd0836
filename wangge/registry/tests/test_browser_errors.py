"""Item 1 of issue 9: every registry card form and "登记新户" submit a bad value past the browser's own checks
and the page says what is wrong in Chinese right under the field, and nothing is written (docs/ui.md §6).
The add-resident, resident move-out and ID-number forms are covered by ``test_edit_browser.py``."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.registry.models import Household, RegistryChange, Resident
from wangge.testing import PASSWORD, make_user

from .factories import admin_user, make_household, make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _card(page: Any, user: Any, path: str, form: str) -> Any:
    page.set_default_timeout(30_000)  # the test machine is small and busy
    browser_login(page, user.username, PASSWORD)
    res = page.goto(page.base_url + path)
    assert res is not None and res.status == 200, path
    page.click(f"#{form} summary")
    locator = page.locator(f"#{form} form")
    locator.evaluate("f => f.noValidate = true")
    return locator


def _below(page: Any, field: str, error: str) -> None:
    """The message sits right under its field and the field is marked invalid."""
    field_box = page.locator(field).bounding_box()
    error_box = page.locator(error).bounding_box()
    assert field_box and error_box and 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 60
    assert page.locator(field).get_attribute("aria-invalid") == "true"


def test_a_new_household_with_an_unknown_tag(browser_page: Any, tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, worker.username, PASSWORD)
    res = page.goto(f"{page.base_url}/registry/houses/{household.house_id}/add-household/")
    assert res is not None and res.status == 200
    page.fill("#form-add_household input[name=number]", "H-NEW")
    page.locator("#form-add_household input[name=tags]").first.evaluate(
        "i => { i.value = 'no-such-tag'; i.checked = true; }"
    )
    page.click("#form-add_household button[type=submit]")
    expect(page.locator("#error-add_household-tags")).to_contain_text("标签")
    assert page.input_value("#form-add_household input[name=number]") == "H-NEW"
    assert Household.objects.filter(house=household.house).count() == 1
    assert not RegistryChange.objects.exists()


def test_a_bad_phone_on_the_resident_card(browser_page: Any, tree: Any) -> None:
    resident = make_resident(tree.grid_a)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    form = _card(browser_page, worker, f"/registry/residents/{resident.pk}/card/", "form-phone")
    form.locator("input[name=phone]").fill("12345")
    form.locator("button[type=submit]").click()
    expect(browser_page.locator("#error-phone-phone")).to_contain_text("电话")
    _below(browser_page, "#form-phone input[name=phone]", "#error-phone-phone")
    resident.refresh_from_db()
    assert resident.version == 1 and not RegistryChange.objects.exists()


def test_a_death_date_in_the_future(browser_page: Any, tree: Any) -> None:
    resident = make_resident(tree.grid_a)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    form = _card(browser_page, worker, f"/registry/residents/{resident.pk}/card/", "form-death")
    form.locator("input[name=date]").fill("2999-01-01")
    form.locator("button[type=submit]").click()
    expect(browser_page.locator("#error-death-date")).to_contain_text("晚于今天")
    _below(browser_page, "#form-death input[name=date]", "#error-death-date")
    resident.refresh_from_db()
    assert resident.active and not RegistryChange.objects.exists()


def test_a_move_in_to_a_household_that_does_not_exist(browser_page: Any, tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin, address="海安路1号")
    make_household(tree.grid_a, admin, address="海安路1号")
    resident = make_resident(household=household, by=admin)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    form = _card(browser_page, worker, f"/registry/residents/{resident.pk}/card/", "form-move_in")
    form.locator("select[name=household_id]").evaluate(
        "s => { s.options[0].value = '99999999'; s.selectedIndex = 0; }"
    )
    form.locator("input[name=date]").fill("2026-01-05")
    form.locator("button[type=submit]").click()
    error = browser_page.locator("#error-move_in-household_id")
    expect(error).to_be_visible()
    assert "household_id" not in error.inner_text()
    _below(browser_page, "#form-move_in select[name=household_id]", "#error-move_in-household_id")
    resident.refresh_from_db()
    assert resident.household_id == household.pk and not RegistryChange.objects.exists()


def test_an_unknown_tag_on_the_resident_card(browser_page: Any, tree: Any) -> None:
    resident = make_resident(tree.grid_a)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    form = _card(browser_page, worker, f"/registry/residents/{resident.pk}/card/", "form-tags")
    form.locator("input[name=tags]").first.evaluate("i => { i.value = 'no-such-tag'; i.checked = true; }")
    form.locator("button[type=submit]").click()
    error = browser_page.locator("#error-tags-tags")
    expect(error).to_contain_text("标签")
    assert not RegistryChange.objects.exists()


def test_a_household_move_out_in_the_future(browser_page: Any, tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    make_resident(household=household, by=admin)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    form = _card(browser_page, worker, f"/registry/households/{household.pk}/card/", "form-move_out")
    form.locator("input[name=date]").fill("2999-01-01")
    form.locator("button[type=submit]").click()
    expect(browser_page.locator("#error-move_out-date")).to_contain_text("晚于今天")
    _below(browser_page, "#form-move_out input[name=date]", "#error-move_out-date")
    household.refresh_from_db()
    assert household.active and not RegistryChange.objects.exists()
    assert Resident.objects.filter(household=household, active=True).count() == 1


def test_an_unknown_tag_on_the_household_card(browser_page: Any, tree: Any) -> None:
    admin = admin_user()
    household = make_household(tree.grid_a, admin)
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    form = _card(browser_page, worker, f"/registry/households/{household.pk}/card/", "form-tags")
    form.locator("input[name=tags]").first.evaluate("i => { i.value = 'no-such-tag'; i.checked = true; }")
    form.locator("button[type=submit]").click()
    expect(browser_page.locator("#error-tags-tags")).to_contain_text("标签")
    assert not RegistryChange.objects.exists()
