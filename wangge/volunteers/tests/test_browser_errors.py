"""Item 1 of issue 9: the organiser's rows on a task's run page (approve hours, rate) submit a bad value past the
browser's own checks and the page says what is wrong in Chinese next to the field, and nothing is written
(docs/ui.md §6). The 单位/核实 forms on ``units.html`` are buttons only."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, Tree, make_user
from wangge.volunteers import services
from wangge.volunteers.models import Rating, Signup

from .helpers import make_activity, quick_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checked_out(tree: Tree) -> tuple[Any, Signup]:
    """A task with one volunteer who was present from its start to its end (one hour)."""
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="runstaff")
    a = make_activity(tree.community, by=staff, starts_in_h=0.25, hours=1)
    user = quick_user()
    signup, _ = services.signup_create(activity_id=a.pk, user=user)
    services.signup_check_in(activity_id=a.pk, user=user, code=a.checkin_code)
    Signup.objects.filter(pk=signup.pk).update(checked_in_at=a.starts_at)
    services.activity_bulk_check_out(activity_id=a.pk, by=staff, at=a.ends_at)
    signup.refresh_from_db()
    return staff, signup


def _open(page: Any, staff: Any, signup: Signup) -> Any:
    page.set_default_timeout(30_000)  # the test machine is small and busy
    browser_login(page, staff.username, PASSWORD)
    res = page.goto(page.base_url + f"/volunteers/manage/{signup.activity_id}/")
    assert res is not None and res.status == 200
    return page.locator(f"tr[data-signup='{signup.pk}']")


@pytest.mark.parametrize(("typed", "message"), [("很多", "核定时长须为数字"), ("5", "不超过在场时长")])
def test_approving_hours_that_are_not_a_number_or_too_many(
    browser_page: Any, tree: Tree, typed: str, message: str
) -> None:
    staff, signup = _checked_out(tree)
    row = _open(browser_page, staff, signup)
    row.locator("input[name=hours]").fill(typed)
    row.locator("button[value=approve]").click()
    row = browser_page.locator(f"tr[data-signup='{signup.pk}']")
    expect(row.locator(".field-error")).to_contain_text(message)
    assert row.locator("input[name=hours]").get_attribute("aria-invalid") == "true"
    signup.refresh_from_db()
    assert signup.hours_approved_at is None and not signup.points_awarded


def test_a_rating_out_of_range(browser_page: Any, tree: Tree) -> None:
    staff, signup = _checked_out(tree)
    row = _open(browser_page, staff, signup)
    row.locator("select[name=score]").evaluate("s => { s.options[0].value = '9'; s.selectedIndex = 0; }")
    row.locator("button[value=rate]").click()
    row = browser_page.locator(f"tr[data-signup='{signup.pk}']")
    expect(row.locator(".field-error")).to_contain_text("评分须为1-5")
    assert row.locator("select[name=score]").get_attribute("aria-invalid") == "true"
    assert not Rating.objects.exists()
