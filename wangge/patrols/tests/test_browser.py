"""Browser (360 px phone, geolocation mocked by the browser context): from 网格员今日 the grid worker starts a
patrol, the page records GPS points and uploads them, a 发现问题 without a description shows its message next
to the field, the fixed one becomes a case, and stopping with the checklist lands on the day's 巡查日志."""

from __future__ import annotations

import pytest

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.conftest import browser_login, settle_live_server
from wangge.patrols.models import Patrol, PatrolPoint
from wangge.patrols.tests.factories import make_building, offset
from wangge.testing import PASSWORD, make_tree, make_user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grid_worker_patrols_on_a_phone(_browser, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WANGGE_PATROL_SAMPLE_SECONDS = 1
    tree = make_tree()
    g = tree.grid_a
    make_user(Role.GRID_WORKER, g, username="xuncha01", display_name="网格员小柳")
    make_building(g)
    make_building(g, east_m=60)
    lat0, lng0 = g.center_lat, g.center_lng
    context = _browser.new_context(
        viewport={"width": 360, "height": 640},
        locale="zh-CN",
        geolocation={"latitude": lat0, "longitude": lng0, "accuracy": 8},
        permissions=["geolocation"],
        bypass_csp=True,  # wait_for_function polls with eval; the pages' CSP is tested in core (test_browser_csp)
    )
    page = context.new_page()
    page.set_default_timeout(60_000)  # the shared test machine can be slow
    page.base_url = live_server.url
    try:
        browser_login(page, "xuncha01", PASSWORD)
        page.goto(page.base_url + "/visits/today/")
        page.click("#patrol-card")
        page.wait_for_selector("#start-form")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.click("#start-patrol")
        page.wait_for_selector("#patrol-run")
        patrol = Patrol.objects.get()
        assert page.url.endswith(f"/patrols/{patrol.pk}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Walk east; one fix is poor (the page marks it).
        for east, acc in ((20, 10), (40, 12), (60, 120)):
            lat, lng = offset(lat0, lng0, east_m=east)
            page.wait_for_timeout(1100)
            context.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": acc})
        page.wait_for_function("document.getElementById('pt-acc').className === 'poor'")
        # The poor fix is sampled within one interval; then wait until every recorded point is uploaded.
        page.wait_for_timeout(1500)
        page.wait_for_function(
            "parseInt(document.getElementById('pt-saved').textContent, 10) >= "
            "Math.max(4, parseInt(document.getElementById('pt-count').textContent, 10))"
        )
        assert int(page.locator("#pt-count").inner_text()) >= 4
        # 发现问题 with no description: the message sits under the description field; no case is made.
        page.select_option("#id_category", "SQ1001")
        page.select_option("#id_checklist_code", "fire_lane")
        page.click("#report-discovery")
        error = page.locator("#error-description")
        error.wait_for(state="visible")
        assert error.inner_text() == "请描述发现的问题"
        field_box = page.locator("#id_description").bounding_box()
        error_box = error.bounding_box()
        assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
        assert not Appeal.objects.exists()
        page.fill("#id_description", "消防通道被电动车堵塞")
        page.click("#report-discovery")
        page.locator("#discovery-made").wait_for(state="visible")
        appeal = Appeal.objects.get()
        assert f"#{appeal.pk}" in page.locator("#discovery-made").inner_text()
        assert (appeal.channel, appeal.description) == ("patrol", "消防通道被电动车堵塞")
        assert page.locator(f"#discoveries [data-appeal='{appeal.pk}']").count() == 1
        # Stop with the checklist: the day's log.
        page.locator("[data-check=fire_lane] label").nth(1).click()
        page.locator("[data-check=rubbish] label").first.click()
        page.click("#stop-patrol")
        page.wait_for_url("**/patrols/log/**")
        assert page.locator(f"[data-patrol='{patrol.pk}']").count() == 1
        assert page.locator(f"[data-appeal='{appeal.pk}']").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        patrol.refresh_from_db()
        assert patrol.state == "done"
        assert patrol.checklist == {"fire_lane": "issue", "rubbish": "ok"}
        points = PatrolPoint.objects.filter(patrol=patrol)
        assert points.count() >= 4
        assert points.filter(good=False, accuracy_m=120).exists()
        assert patrol.discoveries.get().appeal_id == appeal.pk
    finally:
        context.close()
        settle_live_server(live_server)
