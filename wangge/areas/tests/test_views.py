import re

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, make_user


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_tree_page_shows_only_the_viewers_areas_and_the_map(tree, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WANGGE_TILE_URL = ""
    page = _client(make_user(Role.GRID_WORKER, tree.grid_a)).get("/areas/").content.decode()
    assert tree.grid_a.name in page and tree.grid_b.name not in page
    assert 'id="area-map"' in page and "vendor/leaflet.js" in page and "//unpkg" not in page
    assert re.search(r'data-codes="\[&quot;320621001001001&quot;\]"', page)
    assert 'data-tile-url=""' in page


@pytest.mark.django_db
def test_tile_url_setting_reaches_the_map(tree, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WANGGE_TILE_URL = "http://tiles.local/{z}/{x}/{y}.png"
    page = _client(make_user(Role.ADMIN)).get("/areas/").content.decode()
    assert 'data-tile-url="http://tiles.local/{z}/{x}/{y}.png"' in page


@pytest.mark.django_db
def test_detail_page_and_htmx_partial(tree) -> None:  # type: ignore[no-untyped-def]
    client = _client(make_user(Role.COMMUNITY_STAFF, tree.community))
    full = client.get(f"/areas/{tree.grid_a.code}/").content.decode()
    assert "<html" in full and tree.grid_a.name in full and tree.micro_a1.name in full
    part = client.get(f"/areas/{tree.grid_a.code}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and tree.grid_a.name in part
    assert client.get(f"/areas/{tree.grid_c.code}/").status_code == 404


@pytest.mark.django_db
def test_residents_cannot_open_the_area_pages(tree) -> None:  # type: ignore[no-untyped-def]
    assert _client(make_user(Role.RESIDENT)).get("/areas/").status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grid_worker_sees_their_grid_on_the_map(browser_page) -> None:  # type: ignore[no-untyped-def]
    from wangge.testing import make_tree

    tree = make_tree()
    make_user(Role.GRID_WORKER, tree.grid_a, username="gw1")
    page = browser_page
    browser_login(page, "gw1", PASSWORD)
    page.goto(page.base_url + "/areas/")
    page.wait_for_selector("#area-map.ready")
    # The grid polygon (and its micro-grid outline) are SVG paths; only the grid is clickable.
    assert page.locator("#area-map path.leaflet-interactive").count() == 1
    assert page.locator("#area-map .leaflet-overlay-pane path").count() == 2
    assert page.locator(".grid-label", has_text=tree.grid_a.name).count() == 1
    page.locator("#area-map path.leaflet-interactive").click()
    page.wait_for_selector(f"#area-panel .area-panel[data-code='{tree.grid_a.code}']")
    assert "专职网格员" in page.inner_text("#area-panel")
    page.select_option("form.lang select", "en")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("#area-map.ready")
    assert page.locator("#area-map path.leaflet-interactive").count() == 1
