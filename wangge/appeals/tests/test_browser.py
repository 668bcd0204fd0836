"""The whole loop through the pages in a real browser (phone viewport), as the four roles: the resident
reports with the phone's location, the community dispatcher accepts and dispatches to the suggested
department, the department acknowledges and resolves with a photo, the grid worker checks on site, and the
resident rates. The final state and the timeline are read off the page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from wangge.appeals.models import Appeal
from wangge.conftest import browser_login
from wangge.testing import PASSWORD

from .conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def _as(page: Any, user: Any) -> None:
    page.context.clear_cookies()
    browser_login(page, user.username, PASSWORD)


def _step(page: Any, step: str, fill: Any = None) -> None:
    """Open the step's panel on the case page, fill it, submit, and wait for the HTMX swap."""
    panel = page.locator(f"#action-{step}")
    panel.locator("summary").click()
    if fill:
        fill(panel)
    with page.expect_response(lambda r: f"/{step}/" in r.url and r.request.method == "POST") as info:
        panel.locator("button[type=submit]").click()
    assert info.value.headers.get("x-wangge-status") == "200", info.value.text()
    page.wait_for_selector(f"#action-{step}", state="detached") if step != "dispatch" else None


def test_whole_loop_through_the_pages_as_four_roles(browser_page: Any, world: World) -> None:
    page = browser_page
    lat, lng = world.point(world.tree.grid_a)

    # 1. Resident: report with the category picker, a photo and the phone's location (WGS84).
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": lat, "longitude": lng})
    _as(page, world.resident)
    page.goto(page.base_url + "/appeals/report/")
    page.select_option("#id_parent", "SJ01")
    page.wait_for_selector('#id_category option[value="SJ0102"]', state="attached")
    page.select_option("#id_category", "SJ0102")
    page.fill("#id_description", "小区东门外堆了一堆建筑渣土")
    page.click("#locate-me")
    expect(page.locator("#id_lat")).not_to_have_value("")  # not wait_for_function: the CSP forbids eval
    page.set_input_files(
        "#id_photos", files=[{"name": "dirt.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/appeals/*/")
    appeal = Appeal.objects.get()
    assert appeal.grid == world.tree.grid_a and appeal.attachments.count() == 1
    assert page.get_attribute("#appeal-state", "data-state") == "submitted"
    case_url = page.url

    # 2. Dispatcher (community): finds it on the board, accepts, dispatches to the suggested handler.
    _as(page, world.community)
    page.goto(page.base_url + "/appeals/board/")
    page.click(f'tr[data-appeal="{appeal.pk}"] a')
    _step(page, "accept")
    page.wait_for_selector('#appeal-state[data-state="opened"]')
    lead = page.locator("#action-dispatch select[name=lead] option").first.text_content() or ""
    assert "城市管理局" in lead and "★" in lead  # the suggested handler comes first
    _step(page, "dispatch")
    page.wait_for_selector('#appeal-state[data-state="dispatched"]')

    # 3. Handler (the department): its inbox, acknowledge, resolve with a photo.
    _as(page, world.department_staff)
    page.goto(page.base_url + "/appeals/inbox/")
    page.click(f'tr[data-appeal="{appeal.pk}"] a')
    _step(page, "acknowledge")
    page.wait_for_selector('#appeal-state[data-state="acknowledged"]')

    def resolve(panel: Any) -> None:
        panel.locator("textarea[name=note]").fill("渣土已清运，现场已冲洗")
        panel.locator("input[name=photos]").set_input_files(
            files=[{"name": "done.png", "mimeType": "image/png", "buffer": _png()}]
        )

    _step(page, "resolve", resolve)
    page.wait_for_selector('#appeal-state[data-state="resolved"]')

    # 4. Checker (the grid worker): on-site check passes.
    _as(page, world.grid_worker)
    page.goto(case_url)
    _step(page, "check", lambda panel: panel.locator("input[name=passed][value='1']").check())
    page.wait_for_selector('#appeal-timeline li[data-kind="check_passed"]')

    # 5. Resident: rates from "my cases".
    _as(page, world.resident)
    page.goto(page.base_url + "/appeals/mine/?view=rate")
    page.click(f'tr[data-appeal="{appeal.pk}"] a')

    def rate(panel: Any) -> None:
        panel.locator("input[name=satisfaction][value=satisfied]").check()
        panel.locator("input[name=solved][value='1']").check()
        panel.locator("textarea[name=comment]").fill("处理很快")

    _step(page, "rate", rate)
    page.wait_for_selector('#appeal-state[data-state="closed"]')
    kinds = page.eval_on_selector_all("#appeal-timeline li", "els => els.map(e => e.dataset.kind)")
    expected = [
        "submitted",
        "accepted",
        "dispatched",
        "acknowledged",
        "resolved",
        "check_passed",
        "rated",
        "closed",
    ]
    assert [k for k in kinds if k in expected] == expected
    assert "满意" in page.inner_text("#appeal-rating")
    appeal.refresh_from_db()
    assert appeal.state == "closed" and appeal.rating == "satisfied" and appeal.check_passed
    assert appeal.attachments.filter(purpose="resolve").count() == 1
