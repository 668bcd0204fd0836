"""The figures page in a real browser, as a district: pick a street (the heading follows), the charts are drawn,
click a community on the map to drill down (URL, heading and breadcrumb follow); an unknown channel says so;
axe-core finds no serious or critical problem at 390 px and 1440 px."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.appeals import services
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, axe_violations, horizontal_overflow, make_user

from .conftest import World, submit_kwargs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cases(world: World, n: int = 3) -> None:
    for i in range(n):
        appeal, _ = services.appeal_submit(
            by=world.resident, **submit_kwargs(world, description=f"路灯不亮{i}")
        )
        services.appeal_accept(appeal_id=appeal.pk, by=world.community)


WIDE = """() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 361)
  .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _drawn(page: Any, selector: str) -> None:
    canvas = page.locator(f"{selector} canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100, selector


def test_a_district_picks_a_street_sees_its_charts_and_drills_down_on_the_map(
    browser_page: Any, world: World
) -> None:
    _cases(world)
    district = make_user(Role.DISTRICT, world.tree.district, username="qu", display_name="区里王")
    page = browser_page
    page.set_default_timeout(60_000)
    browser_login(page, district.username, PASSWORD)
    page.goto(page.base_url + "/appeals/figures/")
    heading = page.locator("#figures-heading")
    expect(heading).to_contain_text("海安市")

    page.select_option("#id_fig_area", world.tree.street.code)  # submits on change
    page.wait_for_url(re.compile(r"area=320621001(&|$)"))
    expect(heading).to_contain_text("城东街道")
    expect(heading).not_to_contain_text("海安市")
    for chart in ("#trend-chart", "#category-chart", "#channel-chart"):
        _drawn(page, chart)
    expect(page.locator('.hotline-volume[data-hotline="0"]')).to_be_visible()

    community = page.locator(f"#area-map path.area-{world.tree.community.code}")
    community.wait_for()
    community.click()
    page.wait_for_url(re.compile(rf"area={world.tree.community.code}"))
    expect(heading).to_contain_text("东园社区")
    crumbs = page.locator(".figures-breadcrumb")
    expect(crumbs.get_by_role("link", name="海安市")).to_be_visible()
    expect(crumbs.get_by_role("link", name="城东街道")).to_be_visible()
    # Three cases, none due yet: no rate claims 100 %.
    expect(page.locator('[data-rate="on_time_close_rate"]')).not_to_contain_text("100")
    _drawn(page, "#trend-chart")
    page.locator(f"#area-map path.area-{world.tree.grid_a.code}").wait_for()


def test_an_unknown_channel_is_named_not_ignored(browser_page: Any, world: World) -> None:
    page = browser_page
    page.set_default_timeout(60_000)
    browser_login(page, world.street.username, PASSWORD)
    res = page.goto(page.base_url + "/appeals/figures/?channel=wechat")
    assert res is not None and res.status == 422
    expect(page.locator("#figures [role=alert]")).to_contain_text("渠道")


@pytest.mark.parametrize("width", [390, 1440])
def test_the_figures_page_passes_axe_and_fits(browser_page: Any, world: World, width: int) -> None:
    _cases(world, 2)
    district = make_user(Role.DISTRICT, world.tree.district, username="qu2", display_name="区里李")
    page = browser_page
    page.set_default_timeout(60_000)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, district.username, PASSWORD)
    problems: list[str] = []
    for area in (world.tree.district.code, world.tree.street.code, world.tree.community.code):
        page.goto(page.base_url + f"/appeals/figures/?area={area}")
        page.wait_for_load_state("networkidle")
        _drawn(page, "#trend-chart")
        problems += axe_violations(page)
    assert problems == [], "\n".join(problems)
    if width == 390:
        page.set_viewport_size({"width": 360, "height": 780})
        for area in (world.tree.district.code, world.tree.street.code, world.tree.community.code):
            page.goto(page.base_url + f"/appeals/figures/?area={area}")
            page.wait_for_load_state("networkidle")
            _drawn(page, "#trend-chart")
            wide = page.evaluate(WIDE)
            assert not horizontal_overflow(page), (area, wide)
