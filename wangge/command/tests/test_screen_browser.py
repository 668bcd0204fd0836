"""Browser: the district's command centre opens the wall at 1920×1080 and sees it drawn and refreshed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.registry.tests.factories import admin_user, make_household
from wangge.testing import PASSWORD, make_tree, make_user

from .test_screen import make_overdue, submit

NON_BLANK = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) { n++; } } return n; }"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wall_draws_map_figures_ranking_overdue_and_refreshes(browser_page: Any, settings: Any) -> None:
    settings.WANGGE_SCREEN_REFRESH_SECONDS = 2
    tree = make_tree()
    make_user(Role.DISTRICT, tree.district, username="zhihui01", display_name="指挥中心")
    handler = make_user(Role.GRID_WORKER, tree.grid_a, display_name="李建国")
    make_household(tree.grid_a, admin_user())
    submit(tree.grid_b)
    make_overdue(submit(tree.grid_a, "路灯损坏多日无人维修请尽快处理"), 50, handler)

    page = browser_page
    page.set_default_timeout(60_000)  # the shared test machine can be slow; the checks below still wait
    page.set_viewport_size({"width": 1920, "height": 1080})
    browser_login(page, "zhihui01", PASSWORD)
    page.goto(page.base_url + "/command/screen/")

    expect(page.locator("h1")).to_have_text("海安市")
    expect(page.locator("[data-clock]")).to_have_text(__import__("re").compile(r"^\d\d:\d\d:\d\d$"))
    # The figures.
    expect(page.locator('[data-figure="reported"]')).to_have_text("2")
    expect(page.locator('[data-figure="overdue"]')).to_have_text("1")
    for key in ("closed", "satisfaction_rate"):
        assert page.locator(f'[data-figure="{key}"]').inner_text().strip() != ""
    # The map: one path per grid, coloured.
    expect(page.locator("#screen-map path.leaflet-interactive")).to_have_count(3)
    # The charts: canvases with pixels drawn on them.
    # The district has one street: its two communities are ranked (both under the minimum sample).
    expect(page.locator("#screen-ranking[data-drawn='2']")).to_have_count(1)
    ranking_canvas = page.locator("#screen-ranking canvas").first
    assert ranking_canvas.evaluate(NON_BLANK) > 100
    assert page.locator("#screen-trend canvas").first.evaluate(NON_BLANK) > 100
    # The overdue list, the handler masked.
    row = page.locator("[data-overdue] tr[data-case]")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("李**")
    expect(row.locator("td").nth(3)).to_have_text("2天")
    # One screen, no scroll bars.
    sizes = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth,"
        " document.scrollingElement.scrollHeight, window.innerHeight]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes

    # A new case arrives: the next refresh shows it without reloading the page.
    page.locator("h1").evaluate("el => el.setAttribute('data-marker', 'same-page')")
    submit(tree.grid_c)
    expect(page.locator('[data-figure="reported"]')).to_have_text("3", timeout=15_000)
    expect(page.locator("h1[data-marker='same-page']")).to_have_count(1)
