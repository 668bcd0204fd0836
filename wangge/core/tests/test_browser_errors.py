"""Item 1 of "every day, for everyone": each form submits a bad value past the browser's own checks and the
page says what is wrong next to the field, in Chinese (docs/ui.md, table "Forms and their error-path
tests"). The forms here are the ones no other browser test covered; each test is short and uses one
browser context (the ``browser_page`` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, Tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEXT_TO = ".errorlist, .field-error, .errors"


def _open(page: Any, user: Any, path: str, form: str) -> Any:
    page.set_default_timeout(30_000)  # the test machine is small and busy
    if user is not None:
        browser_login(page, user.username, PASSWORD)
    res = page.goto(page.base_url + path)
    assert res is not None and res.status == 200, path
    locator = page.locator(form).first
    locator.evaluate("f => f.noValidate = true")
    return locator


def test_reset_password_with_a_bad_phone(browser_page: Any, tree: Tree) -> None:
    form = _open(browser_page, None, "/signup/reset/", "#reset-form")
    form.locator("input[name=phone]").fill("12345")
    form.locator("#send-code").click()
    expect(browser_page.locator("#reset-form").locator(NEXT_TO).first).to_contain_text("手机")


def test_link_a_household_with_a_bad_number(browser_page: Any, tree: Tree) -> None:
    resident = make_user(Role.RESIDENT, username="linkres")
    form = _open(browser_page, resident, "/signup/links/", "#link-form")
    form.locator("input[name=household_id]").evaluate("i => { i.type = 'text'; i.value = 'abc'; }")
    form.locator("button[type=submit]").click()
    form = browser_page.locator("#link-form")
    expect(form.locator(NEXT_TO).first).to_be_visible()
    assert "household_id" not in form.inner_text()


def test_a_project_milestone_without_a_title(browser_page: Any, tree: Tree) -> None:
    from wangge.projects import services as ps

    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="projstaff")
    p = ps.project_declare(by=staff, area=tree.community, title="加装电梯", kind="livelihood")
    form = _open(browser_page, staff, f"/projects/{p.pk}/", "#add-milestone")
    form.locator("input[name=due_on]").fill("2026-12-31")
    form.locator("button[type=submit]").click()
    expect(browser_page.locator("#add-milestone .field-error").first).to_contain_text("节点")


def test_a_unit_resource_with_a_bad_quantity(browser_page: Any, tree: Tree) -> None:
    from wangge.accounts.models import Unit

    Unit.objects.create(name="海安农商银行", kind=Unit.Kind.CO_BUILDING)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="resstaff")
    browser_page.set_default_timeout(30_000)
    browser_login(browser_page, staff.username, PASSWORD)
    browser_page.goto(browser_page.base_url + "/wishes/lists/")
    browser_page.locator("details.panel summary").click()
    form = browser_page.locator("details.panel form")
    form.evaluate("f => f.noValidate = true")
    form.locator("input[name=title]").fill("爱心家电")
    form.locator("input[name=quantity]").evaluate("i => { i.type = 'text'; i.value = '很多'; }")
    form.locator("button[type=submit]").click()
    expect(
        browser_page.locator("details.panel form [name=quantity] ~ .field-error, .field-error").first
    ).to_contain_text("数量须为整数")
    assert browser_page.locator("[name=quantity]").get_attribute("aria-invalid") == "true"


def test_a_council_without_a_name(browser_page: Any, tree: Tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="counstaff")
    form = _open(browser_page, staff, "/deliberation/councils/", "main section.panel form")
    form.locator("button[type=submit]").click()
    expect(browser_page.locator("main section.panel form .errorlist").first).to_contain_text("议事会名称")


def test_a_member_profile_with_a_bad_identity(browser_page: Any, tree: Tree) -> None:
    member = make_user(Role.VOLUNTEER, username="profvol")
    form = _open(browser_page, member, "/volunteers/profile/", "main form.form")
    form.locator("select[name=kind]").evaluate("s => { s.options[0].value = 'nobody'; s.selectedIndex = 0; }")
    form.locator("button.primary").click()
    expect(browser_page.locator("main form.form .errorlist").first).to_be_visible()


def test_a_patrol_without_a_grid(browser_page: Any, tree: Tree) -> None:
    worker = make_user(Role.GRID_WORKER, tree.grid_a, tree.grid_b, username="patrolgw")
    form = _open(browser_page, worker, "/patrols/", "#start-form")
    form.locator("#start-patrol").click()
    expect(browser_page.locator("#error-area")).to_be_visible()
    assert browser_page.locator("#id_area").get_attribute("aria-invalid") == "true"
