"""Item 5 of "every day, for everyone", the layout part: badges never wrap one character a line, and radio
groups and checkboxes sit on one line with their labels (docs/ui.md §3). Measured in a real browser at
360 px; the other item-5 checks (confirm before redeeming, check-in window, "English") are in
test_browser_forms.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, Tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOX = "el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el); return {top: r.top, bottom: r.bottom, width: r.width, height: r.height, font: parseFloat(s.fontSize), ws: s.whiteSpace}; }"


# How many lines an element's text takes: the distinct tops of its text's line boxes.
LINES = (
    "el => { const tops = new Set(); const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); let n;"
    " while ((n = w.nextNode())) { if (!n.textContent.trim()) continue; const r = document.createRange();"
    " r.selectNodeContents(n); for (const x of r.getClientRects()) if (x.width > 0) tops.add(Math.round(x.top)); }"
    " return tops.size; }"
)


def test_badges_do_not_wrap_on_a_phone(browser_page: Any, tree: Tree) -> None:
    from wangge.projects import services as ps

    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="badgestaff")
    p = ps.project_declare(
        by=staff, area=tree.community, title="老旧小区加装电梯与楼道改造" * 2, kind="livelihood"
    )
    page = browser_page
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 360, "height": 780})
    browser_login(page, staff.username, PASSWORD)
    page.goto(page.base_url + f"/projects/{p.pk}/")
    badges = page.locator("main .badge")
    assert badges.count() >= 2
    boxes = [badges.nth(i).evaluate(BOX) for i in range(badges.count())]
    assert all(b["ws"] == "nowrap" for b in boxes), boxes
    lines = [badges.nth(i).evaluate(LINES) for i in range(badges.count())]
    assert lines == [1] * len(lines)


def test_radios_and_checkboxes_sit_on_one_line_with_their_labels(browser_page: Any, tree: Tree) -> None:
    from wangge.volunteers import services as vs

    member = make_user(Role.VOLUNTEER, username="radiovol")
    resident = make_user(Role.RESIDENT, username="radiores")
    project = vs.micro_project_create(user=member, title="义务理发", community=tree.community)
    b = vs.booking_create(
        project=project, resident=resident, wanted_at=timezone.now() - dt.timedelta(hours=2)
    )
    vs.booking_transition(booking_id=b.pk, by=member, to="accepted")
    vs.booking_transition(booking_id=b.pk, by=member, to="done", hours=1)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="checkstaff")
    page = browser_page
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 360, "height": 780})
    checked = 0
    for user, path, selector in (
        (resident, f"/volunteers/bookings/{b.pk}/rate/", "input[type=radio]"),
        (staff, "/volunteers/manage/new/", "input[type=checkbox]"),
    ):
        browser_login(page, user.username, PASSWORD)
        page.goto(page.base_url + path)
        controls = page.locator(f"main {selector}")
        assert controls.count() >= 2, path
        for i in range(controls.count()):
            control = controls.nth(i)
            label = page.locator(f"label[for='{control.get_attribute('id')}']")
            box, text = control.evaluate(BOX), label.evaluate(BOX)
            middle = (box["top"] + box["bottom"]) / 2
            assert box["width"] < 40, (path, i, box)  # not stretched like a text input
            assert text["top"] <= middle <= text["bottom"], (path, i, box, text)  # beside its label
            assert label.evaluate(LINES) == 1, (path, i, text)
            checked += 1
        page.context.clear_cookies()
    assert checked >= 7
