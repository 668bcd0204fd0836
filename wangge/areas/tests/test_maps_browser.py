"""The maps and pickers in a real browser at phone width (390 px), with no tile server configured: the base
layer is drawn from our own data, the report page names the grid under the pin before submitting, and the
area picker of a form chooses by name."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.areas.models import BaseFeature
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, axe_violations, make_tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _map_box(page: Any, selector: str) -> dict[str, float]:
    """The map's box in the viewport (scrolled into view first: mouse clicks are viewport coordinates)."""
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    assert box, selector
    return box


def test_report_page_names_the_grid_under_the_pin_and_draws_its_own_base_map(
    browser_page: Any, settings: Any
) -> None:
    settings.WANGGE_TILE_URL = ""
    tree = make_tree()
    BaseFeature(
        kind="road", name="人民路", area=tree.street,
        geometry={"type": "LineString", "coordinates": [[120.41, 32.50], [120.41, 32.51]]},
    ).save()  # fmt: skip
    make_user(Role.RESIDENT, username="res1")
    page = browser_page
    page.set_default_timeout(30_000)  # two shared cores: the first page of a session can be slow
    page.set_default_navigation_timeout(120_000)
    lat_a, lng_a = tree.grid_a.center_lat, tree.grid_a.center_lng
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": lat_a, "longitude": lng_a})
    browser_login(page, "res1", PASSWORD)
    page.goto(page.base_url + "/appeals/report/")
    grid_line = page.locator("#location-grid")
    expect(grid_line).to_have_text("")  # nothing claimed before a point is chosen

    # 1. The phone's position falls in grid a: its name shows before submitting.
    page.click("#locate-me")
    expect(grid_line).to_have_text(f"该位置属于 {tree.grid_a.name}")
    expect(grid_line).to_have_attribute("data-grid", tree.grid_a.code)

    # No tiles: the base layer is drawn from our own data around the map (outlines, road, names).
    expect(page.locator("#report-map.basemap-ready")).to_have_count(1)
    assert page.get_attribute("#report-map", "data-basemap") == "own"
    assert int(page.get_attribute("#report-map", "data-basemap-features") or 0) > 0
    assert page.locator("#report-map .leaflet-wanggeBase-pane path").count() > 0
    assert page.locator("#report-map .wangge-base-label", has_text=tree.grid_a.name).count() == 1
    assert page.locator("#report-map .wangge-base-label", has_text="人民路").count() == 1

    # 2. Move the pin: tap the map east of grid a's centre, inside grid b (0.01° east at zoom 16 is far off
    # screen, so zoom out twice to 14 where 0.01° ≈ 117 px).
    page.locator("#report-map .leaflet-control-zoom-out").click()
    page.wait_for_timeout(400)
    page.locator("#report-map .leaflet-control-zoom-out").click()
    page.wait_for_timeout(600)
    box = _map_box(page, "#report-map")
    page.mouse.click(box["x"] + box["width"] / 2 + 117, box["y"] + box["height"] / 2)
    expect(grid_line).to_have_text(f"该位置属于 {tree.grid_b.name}")
    lng = float(page.input_value("#id_lng"))
    assert tree.grid_b.center_lng - 0.005 < lng < tree.grid_b.center_lng + 0.005

    # 3. Tap south of every grid: outside the system's grids, said so.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 8)
    expect(grid_line).to_have_text("该位置不在本系统的网格内")

    # No page asks for raw coordinates: the point sits in hidden inputs only.
    assert page.locator("#report-form input[name=lat]").get_attribute("type") == "hidden"
    # The report page with the new widgets has no serious or critical accessibility problem.
    assert axe_violations(page) == []


def test_area_picker_chooses_by_name_and_a_missing_area_is_said_next_to_the_field(browser_page: Any) -> None:
    from wangge.volunteers.models import Activity

    tree = make_tree()
    make_user(Role.COMMUNITY_STAFF, tree.community, username="cs1")
    page = browser_page
    page.set_default_timeout(30_000)  # two shared cores: the first page of a session can be slow
    page.set_default_navigation_timeout(120_000)
    browser_login(page, "cs1", PASSWORD)
    page.goto(page.base_url + "/volunteers/manage/new/")
    page.fill("#id_title", "楼道清理")
    page.fill("#id_starts_at", "2027-01-09T09:00")
    page.fill("#id_ends_at", "2027-01-09T11:00")
    page.fill("#id_capacity", "10")

    # Error path: no area chosen → the form comes back with the message next to the area field, nothing saved.
    page.evaluate("() => document.getElementById('id_area').removeAttribute('required')")
    page.click("form.form button[type=submit]")
    expect(page.locator("#id_area")).to_be_visible()
    picker = page.locator(".area-picker")
    err = page.locator("ul.errorlist").filter(has=page.locator("li")).first
    expect(err).to_be_visible()
    assert page.locator("#id_area").evaluate("el => el.value") == ""
    assert Activity.objects.count() == 0

    # Happy path: type part of a name, the one matching area is chosen; the code is posted, not typed.
    filt = page.locator("#id_area-filter")
    expect(filt).to_be_visible()
    filt.fill("第二")
    expect(page.locator("#id_area")).to_have_value(tree.grid_b.code)
    filt.fill("不存在的地方")
    expect(picker.locator(".area-picker-none")).to_be_visible()
    filt.fill("第二")
    expect(page.locator("#id_area")).to_have_value(tree.grid_b.code)
    # The place of the task is tapped on the map picker (hidden latitude/longitude).
    expect(page.locator(".map-point-map.ready")).to_have_count(1)
    mbox = _map_box(page, ".map-point-map")
    page.mouse.click(mbox["x"] + mbox["width"] / 2, mbox["y"] + mbox["height"] / 2)
    expect(page.locator("#id_lat")).not_to_have_value("")
    page.fill("#id_title", "楼道清理")
    for field, value in (
        ("#id_starts_at", "2027-01-09T09:00"),
        ("#id_ends_at", "2027-01-09T11:00"),
        ("#id_capacity", "10"),
    ):
        if not page.input_value(field):
            page.fill(field, value)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/volunteers/**/")
    activity = Activity.objects.get()
    assert activity.area_id == tree.grid_b.pk and activity.lat is not None


def test_gcj02_tiles_shift_our_overlays_and_unshift_picked_points(browser_page: Any, settings: Any) -> None:
    from wangge.areas import geo

    settings.WANGGE_TILE_URL = "/static/wangge/favicon.svg?z={z}&x={x}&y={y}"
    settings.WANGGE_TILE_CRS = "gcj02"
    make_tree()  # the district gives the resident's map its centre
    make_user(Role.RESIDENT, username="res2")
    page = browser_page
    page.set_default_timeout(30_000)  # two shared cores: the first page of a session can be slow
    page.set_default_navigation_timeout(120_000)
    browser_login(page, "res2", PASSWORD)
    page.goto(page.base_url + "/appeals/report/")
    expect(page.locator("#report-map[data-basemap='tiles:gcj02']")).to_have_count(1)
    assert page.locator("#report-map .leaflet-tile-pane img").count() > 0  # the tiles, not our own layer
    # The script's conversion is the one the server uses (wangge.areas.geo), and picking undoes it.
    got = page.evaluate("() => WanggeMap.wgs84ToGcj02(32.505, 120.405)")
    want = geo.wgs84_to_gcj02(32.505, 120.405)
    assert got == [pytest.approx(want[0], abs=1e-9), pytest.approx(want[1], abs=1e-9)]
    back = page.evaluate("() => WanggeMap.gcj02ToWgs84(...WanggeMap.wgs84ToGcj02(32.505, 120.405))")
    assert back == [pytest.approx(32.505, abs=1e-7), pytest.approx(120.405, abs=1e-7)]
    # A tap at the map's centre stores the WGS84 point the map was centred on: the display is shifted onto the
    # GCJ-02 tiles and the tapped point shifted back (without that, it would be off by the shift, > 100 m).
    lat0 = float(page.get_attribute("#report-map", "data-lat") or 0)
    lng0 = float(page.get_attribute("#report-map", "data-lng") or 0)
    shift = geo.wgs84_to_gcj02(lat0, lng0)
    assert abs(shift[0] - lat0) + abs(shift[1] - lng0) > 0.002
    box = _map_box(page, "#report-map")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#id_lat")).not_to_have_value("")
    assert float(page.input_value("#id_lat")) == pytest.approx(lat0, abs=0.0002)
    assert float(page.input_value("#id_lng")) == pytest.approx(lng0, abs=0.0002)
