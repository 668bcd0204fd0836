"""Browser (360 px phone): a resident finds the nearest open place from the phone's location, opens it, asks
for an errand with no description and sees the message next to the field, then files it as a case."""

from __future__ import annotations

import pytest

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.conftest import browser_login
from wangge.places.models import Place, PlaceService
from wangge.testing import PASSWORD, Tree, make_tree, make_user

ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resident_finds_the_nearest_open_place_and_asks_for_an_errand(browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    make_user(Role.GRID_WORKER, tree.grid_a)
    make_user(Role.RESIDENT, username="jumin01")
    lat, lng = Tree.point_in(tree.grid_a)
    near = Place.objects.create(name="东园党群服务站", kind="party_station", area=tree.grid_a, lat=lat + 0.001,
                                lng=lng, hours=ALWAYS, holiday_hours=ALWAYS["0"])  # fmt: skip
    near.services.set(PlaceService.objects.filter(code__in=["dibao_cert", "water"]))
    Place.objects.create(
        name="夜里不开的驿站", kind="post", area=tree.grid_a, lat=lat + 0.0005, lng=lng, hours={}
    )

    page = browser_page
    page.set_viewport_size({"width": 360, "height": 640})
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": lat, "longitude": lng})
    browser_login(page, "jumin01", PASSWORD)
    page.goto(page.base_url + "/places/")
    page.click("#locate")
    card = page.locator("#near-list li").first
    card.wait_for()
    assert page.locator("#near-list li").count() == 1  # the closed one is not offered
    assert "东园党群服务站" in card.inner_text() and "5分钟服务圈内" in card.inner_text()
    assert "步行约145米" in card.inner_text()  # 111.2 m × 1.3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card.locator("a").click()
    page.wait_for_selector("#request form")
    page.select_option("select[name=service]", "dibao_cert")
    page.click("#request button[type=submit]")
    error = page.locator("#request .errorlist").first
    error.wait_for()
    assert error.inner_text().strip()
    assert Appeal.objects.count() == 0
    page.fill("textarea[name=description]", "帮母亲代办低保年审证明")
    page.click("#request button[type=submit]")
    page.wait_for_url(lambda url: "/appeals/" in url)
    appeal = Appeal.objects.get()
    assert appeal.kind == "service" and appeal.place_request.place_id == near.pk
