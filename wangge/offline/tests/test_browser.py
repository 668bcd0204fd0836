"""Browser (Chromium, a 360 px phone, the network really cut with ``context.set_offline``): the grid worker's
pages open from the phone's copy, and what is recorded offline is queued and lands once when the network
returns."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, make_tree, make_user
from wangge.visits import tasks
from wangge.visits.models import Visit
from wangge.visits.tests.factories import make_household


def _ready(page: Any) -> None:
    """The service worker controls the page and the page's households are saved on the phone."""
    page.wait_for_selector("#offline-sync[data-ready='1']", state="attached")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def _waiting(page: Any, n: int) -> None:
    page.wait_for_selector(f"#sync-count[data-count='{n}']", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_today_and_a_household_card_open_with_no_network(browser_page: Any) -> None:
    tree = make_tree()
    make_user(Role.GRID_WORKER, tree.grid_a, username="wangge01")
    h = make_household(tree.grid_a, tags=("elderly_alone",))
    tasks.tick(timezone.now())
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 640})
    browser_login(page, "wangge01", PASSWORD)
    page.goto(page.base_url + "/visits/today/")
    _ready(page)

    page.context.set_offline(True)
    assert page.evaluate("navigator.onLine") is False
    page.goto(page.base_url + "/visits/today/?lat=1&lng=2")  # any query string: the same saved page
    assert page.locator("h1").first.inner_text().startswith("网格员今日")
    assert page.locator(f"a.vcard[href='/visits/household/{h.pk}/']").count() == 1
    page.wait_for_selector("#sync-status:has-text('没有网络')")
    page.goto(page.base_url + f"/registry/households/{h.pk}/")
    assert h.number in page.locator("h1").inner_text()
    page.goto(page.base_url + f"/visits/household/{h.pk}/")
    page.wait_for_selector("#visit-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # A page never saved is not made up.
    with pytest.raises(Exception):
        page.goto(page.base_url + "/appeals/")
