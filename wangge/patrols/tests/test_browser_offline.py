"""Browser (360 px phone, the network really cut with ``context.set_offline``): a patrol walked in a basement.
The points, a 发现问题 and the stop are kept in the phone's sync queue, and land once, in order, when the
network returns: the track, the case made from the discovery, the patrol ended at the time it was stopped."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.conftest import browser_login, settle_live_server
from wangge.patrols.models import Patrol, PatrolPoint
from wangge.patrols.tests.factories import make_building, offset
from wangge.testing import PASSWORD, make_tree, make_user


def _until(page: Any, expression: str, timeout_s: float = 60) -> None:
    """Poll with ``page.evaluate`` (``wait_for_function`` polls with eval, which the pages' CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(200)


def _ready(page: Any) -> None:
    page.wait_for_selector("#offline-sync[data-ready='1']", state="attached")
    _until(page, "navigator.serviceWorker.controller !== null")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_patrol_walked_without_a_network_lands_once_when_it_returns(
    _browser: Any, live_server: Any, settings: Any
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WANGGE_PATROL_SAMPLE_SECONDS = 1
    tree = make_tree()
    g = tree.grid_a
    make_user(Role.GRID_WORKER, g, username="xuncha02", display_name="网格员小周")
    make_building(g)
    lat0, lng0 = g.center_lat, g.center_lng
    context = _browser.new_context(
        viewport={"width": 360, "height": 640},
        locale="zh-CN",
        geolocation={"latitude": lat0, "longitude": lng0, "accuracy": 8},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(60_000)  # two cores shared by many
    page.base_url = live_server.url
    try:
        browser_login(page, "xuncha02", PASSWORD)
        page.goto(page.base_url + "/visits/today/")
        _ready(page)  # today is saved on the phone: the stop goes back to it offline
        page.click("#patrol-card")
        page.click("#start-patrol")
        page.wait_for_selector("#patrol-run")
        _ready(page)
        patrol = Patrol.objects.get()

        context.set_offline(True)
        stopped_before = timezone.now()
        for east in (15, 30, 45):
            page.wait_for_timeout(1100)
            lat, lng = offset(lat0, lng0, east_m=east)
            context.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 9})
        # Uploads fail with no network: the points move into the queue (the panel counts them).
        _until(page, "parseInt(document.getElementById('sync-count').dataset.count, 10) >= 1")
        recorded = int(page.locator("#pt-count").inner_text())
        assert recorded >= 3

        page.select_option("#id_category", "SQ1001")
        page.fill("#id_description", "地下车库消防通道堆放杂物")
        page.click("#report-discovery")
        made = page.locator("#discovery-made")
        made.wait_for(state="visible")
        assert "已保存在手机上" in made.inner_text()
        assert not Appeal.objects.exists()

        for label in page.locator("[data-check] label:first-child").all():
            label.click()
        page.click("#stop-patrol")
        page.wait_for_url("**/visits/today/")  # the phone's copy of today
        waiting = int(page.locator("#sync-count").get_attribute("data-count") or "0")
        assert waiting >= 3  # points, the discovery, the stop
        patrol.refresh_from_db()
        assert patrol.state != "done"

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector("#sync-count[data-count='0']", state="attached")
        assert page.locator("#sync-failed-count").get_attribute("data-count") in (None, "0")
    finally:
        context.close()
        settle_live_server(live_server)

    patrol.refresh_from_db()
    assert patrol.state == "done"
    assert stopped_before <= patrol.ended_at <= timezone.now()
    assert set(patrol.checklist.values()) == {"ok"}
    assert PatrolPoint.objects.filter(patrol=patrol).count() >= recorded
    appeal = Appeal.objects.get()
    assert (appeal.channel, appeal.description) == ("patrol", "地下车库消防通道堆放杂物")
    assert patrol.discoveries.get().appeal_id == appeal.pk
