"""Browser: a district commander opens the one map, sees the streets coloured with a legend and the case
clusters, drills down to the community by clicking, goes back by the breadcrumb, and imports a police-grid
layer — first a bad file (the message shows next to the file field), then a good one (its toggle appears)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.command import cells
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, make_tree, make_user

from .test_map_clusters import make_cases
from .test_map_layers import two_police_grids


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_commander_drills_down_and_imports_a_police_layer(
    browser_page: Any, settings: Any, tmp_path: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    make_user(Role.ADMIN, username="zhihui01")
    make_cases(tree, 80)
    cells.rebuild()
    page = browser_page
    page.set_default_timeout(60_000)  # the shared 2-core machine can be slow
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, "zhihui01", PASSWORD)
    page.goto(page.base_url + "/command/map/")
    crumbs = page.locator("#map-crumbs")
    crumbs.get_by_text(tree.district.name).wait_for()
    page.locator("#map-legend").get_by_text("无数据").wait_for()
    page.locator(".map-cluster").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Drill down: district → street (the only child), then the street's community by clicking it.
    page.locator("path.leaflet-interactive").first.click(force=True)
    crumbs.get_by_text(tree.street.name).wait_for()
    crumbs.get_by_role("link", name=tree.district.name).click()
    page.locator("#map-crumbs [aria-current=page]").get_by_text(tree.district.name).wait_for()
    page.select_option("#map-figure", "coverage")
    page.locator("#map-legend").get_by_text("阵地覆盖率").wait_for()

    page.locator("details.map-import summary").click()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "无编码"}, "geometry": {"type": "Point", "coordinates": [120, 32]}}]}))  # fmt: skip
    page.set_input_files("#map-upload input[name=geojson]", str(bad))
    page.click("#map-upload button[type=submit]")
    error = page.locator("#map-upload #err-geojson")
    error.wait_for()
    assert "第1个要素" in error.inner_text() and "编码" in error.inner_text()
    good = tmp_path / "police.geojson"
    good.write_text(json.dumps(two_police_grids(), ensure_ascii=False))
    page.set_input_files("#map-upload input[name=geojson]", str(good))
    page.click("#map-upload button[type=submit]")
    page.locator("#map-upload .map-ok").wait_for()
    assert "2 个要素" in page.locator("#map-upload .map-ok").inner_text()
    toggle = page.locator("#map-other-layers input[data-other=police]")
    toggle.wait_for()
    toggle.check()
    page.locator("path[stroke-dasharray]").first.wait_for()
