"""Phone first: every page in the menu fits a 360 px screen (no sideways scrolling), for staff and residents."""

from __future__ import annotations

from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, Tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXTRA = [
    "/volunteers/mine/",
    "/volunteers/checkin/",
    "/volunteers/manage/",
    "/points/",
    "/wishes/mine/",
    "/notifications/",
    "/no-such-page/",
]


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.RESIDENT])
def test_every_menu_page_fits_360_px(browser_page: Any, tree: Tree, role: str) -> None:
    user = make_user(role, tree.community) if role != Role.RESIDENT else make_user(role)
    page = browser_page
    page.set_default_timeout(30_000)  # the test machine is small and busy
    page.set_viewport_size({"width": 360, "height": 780})
    browser_login(page, user.username, PASSWORD)
    menu = page.locator("nav.mainnav a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert len(menu) >= 5
    wide = []
    for path in [*menu, *EXTRA]:
        res = page.goto(page.base_url + path)
        assert res is not None and res.status < 500, path
        page.wait_for_load_state("networkidle")
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        if width > 360:
            wide.append(f"{path}: {width}")
    assert wide == []
