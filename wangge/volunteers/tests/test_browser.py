"""A member's path in a real browser: log in, find a task, sign up, check in with the code, see points."""

from __future__ import annotations

import pytest

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, make_tree, make_user
from wangge.volunteers import services
from wangge.volunteers.models import Signup

from .helpers import make_activity


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_signs_up_checks_in_and_sees_points(browser_page) -> None:
    page = browser_page
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    activity = make_activity(
        tree.community, by=staff, capacity=3, starts_in_h=0.2, hours=2, title="社区防疫值守"
    )
    make_user(Role.VOLUNTEER, username="vol_browser", display_name="王志愿")

    browser_login(page, "vol_browser", PASSWORD)
    page.goto(page.base_url + "/volunteers/")
    page.click("text=社区防疫值守")
    page.click("#signup-btn")
    assert page.inner_text("#my-status") == "已报名"

    page.click("text=去签到/签退")
    page.fill(f"form[data-activity='{activity.pk}'] input[name=code]", activity.checkin_code)
    page.click(f"form[data-activity='{activity.pk}'] button[value=in]")
    page.wait_for_selector("text=签到成功")
    signup = Signup.objects.get(activity=activity)
    assert signup.status == "checked_in"

    # The organiser checks everyone out at the end and approves the hours (2 h × 10 points).
    Signup.objects.filter(pk=signup.pk).update(checked_in_at=activity.starts_at)
    services.activity_bulk_check_out(activity_id=activity.pk, by=staff, at=activity.ends_at)
    services.signup_approve_hours(signup_id=signup.pk, by=staff)

    page.goto(page.base_url + "/points/")
    assert page.inner_text("#balance").strip() == "20"
    assert "社区防疫值守" in page.inner_text("#entries")
