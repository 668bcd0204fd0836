"""Every form says what is wrong, next to the field, in the user's words (docs/ui.md).

The table below lists the forms of the pages (found with ``grep -rn '<form\\|hx-post' wangge --include=*.html``)
that take typed input. Each is submitted with a bad or missing value past the browser's own checks, and the
test reads the message on the page: next to the named field (``.errorlist`` from a Django form,
``.field-error`` written by app.js for a service's error), never a machine field name, never a 500. The case
pages, the import page and the merge have their own tests (appeals/tests/test_browser_ui.py,
registry/tests/test_browser_ui.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, Tree, horizontal_overflow, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEXT_TO_FIELD = ".errorlist, .field-error"

# (path, form selector, field name whose message must show next to it or None for a page-level message,
#  value to type into that field or None to leave the form empty, expected text)
EMPTY_FORMS = [
    ("/volunteers/manage/new/", "main form.form", "title", None, "必填"),
    ("/wishes/new/", "main form.form", None, None, ""),
    ("/deliberation/mediations/new/", "#dispute-form", None, None, ""),
    ("/pairing/new/", "main form.form", None, None, ""),
    ("/voting/votes/new/", "main form.form", None, None, ""),
    ("/voting/surveys/new/", "main form.form", None, None, ""),
]


def _submit_bare(page: Any, selector: str) -> None:
    form = page.locator(selector).first
    form.evaluate("f => f.noValidate = true")
    with page.expect_navigation():
        form.locator("button[type=submit], button:not([type]), input[type=submit]").last.click()


@pytest.mark.parametrize(("path", "selector", "field", "value", "text"), EMPTY_FORMS)
def test_a_form_submitted_empty_says_what_is_missing(
    browser_page: Any, tree: Tree, path: str, selector: str, field: str | None, value: str | None, text: str
) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="formstaff")
    page = browser_page
    page.set_default_timeout(30_000)  # the test machine is small and busy
    browser_login(page, staff.username, PASSWORD)
    res = page.goto(page.base_url + path)
    assert res is not None and res.status == 200, path
    _submit_bare(page, selector)
    shown = page.locator(f"main :is({NEXT_TO_FIELD}, .msg.error, .errors)")
    expect(shown.first).to_be_visible()
    if field:
        expect(page.locator(f"{selector} :is({NEXT_TO_FIELD})").first).to_be_visible()
    if text:
        assert text in page.locator("main").inner_text()
    assert horizontal_overflow(page) == 0


def _volunteer_with_signup(tree: Tree, starts_in_h: float) -> tuple[Any, Any]:
    from wangge.volunteers import services as vs

    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="vstaff")
    start = timezone.now() + dt.timedelta(hours=starts_in_h)
    activity = vs.activity_create(
        title="楼道清扫",
        area=tree.community,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=5,
        by=staff,
    )
    member = make_user(Role.VOLUNTEER, username="vmember", display_name="王志愿")
    vs.signup_create(activity_id=activity.pk, user=member)
    return activity, member


def test_a_wrong_check_in_code_is_shown_next_to_the_code(browser_page: Any, tree: Tree) -> None:
    activity, member = _volunteer_with_signup(tree, starts_in_h=0.1)
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, member.username, PASSWORD)
    page.goto(page.base_url + "/volunteers/checkin/")
    form = page.locator(f"form[data-activity='{activity.pk}']")
    form.locator("input[name=code]").fill("000000" if activity.checkin_code != "000000" else "111111")
    form.locator("button[value=in]").click()
    page.wait_for_load_state("domcontentloaded")
    note = page.locator(f"form[data-activity='{activity.pk}'] .field-error")
    expect(note).to_have_text("签到码不正确")
    assert page.locator("input[name=code]").get_attribute("aria-invalid") == "true"
    assert "code" not in page.locator(".messages").inner_text()


def test_a_check_in_before_its_window_says_when_it_opens(browser_page: Any, tree: Tree) -> None:
    activity, member = _volunteer_with_signup(tree, starts_in_h=30)
    opens = timezone.localtime(activity.starts_at - dt.timedelta(minutes=30))
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, member.username, PASSWORD)
    page.goto(page.base_url + "/volunteers/checkin/")
    form = page.locator(f"form[data-activity='{activity.pk}']")
    form.locator("input[name=code]").fill(activity.checkin_code)
    form.locator("button[value=in]").click()
    expect(page.locator(".messages .msg.error")).to_contain_text(f"{opens:%H:%M} 开放签到")


def test_redeeming_points_asks_first(browser_page: Any, tree: Tree) -> None:
    from wangge.points import services as ps
    from wangge.points.models import Redemption

    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="pstaff")
    resident = make_user(Role.VOLUNTEER, username="president")
    ps.points_adjust(user=resident, points=50, reason="测试", by=staff)
    reward = ps.reward_create(name="洗衣液", price=20, stock=3, by=staff, area=tree.community)
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, resident.username, PASSWORD)
    page.goto(page.base_url + "/points/")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator(f"li[data-reward='{reward.pk}'] button").click()
    page.wait_for_timeout(300)
    assert asked and "20" in asked[0] and "洗衣液" in asked[0]
    assert Redemption.objects.count() == 0  # dismissed: nothing redeemed
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.locator(f"li[data-reward='{reward.pk}'] button").click()
    assert Redemption.objects.count() == 1


def test_the_language_menu_names_english_in_english(browser_page: Any, tree: Tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="langstaff")
    page = browser_page
    browser_login(page, staff.username, PASSWORD)
    options = page.locator("select[name=language] option").all_inner_texts()
    assert [o.strip() for o in options] == ["简体中文", "English"]


def test_a_wrong_password_says_so_on_the_login_form(browser_page: Any, tree: Tree) -> None:
    make_user(Role.COMMUNITY_STAFF, tree.community, username="loginstaff")
    page = browser_page
    page.set_default_timeout(30_000)
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", "loginstaff")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator("main :is(.errorlist, .errors, .msg.error)").first).to_be_visible()
