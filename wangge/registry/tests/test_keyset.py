"""Keyset pagination (no row lost or repeated, forwards and backwards, pages and API) and the scope column
(``area_code``, kept by database triggers) after moves and a re-coding. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.areas.models import Area
from wangge.registry import paging, selectors
from wangge.registry.models import Building, House, Household, Resident, Tagging
from wangge.testing import api_client, make_user

from .factories import admin_user, make_household, make_resident

pytestmark = pytest.mark.django_db


def _residents(tree: Any, n: int) -> list[int]:
    """``n`` residents over two grids, several per household; their ids in list order."""
    admin = admin_user()
    for i in range(0, n, 3):
        hh = make_household(tree.grid_b if i % 2 else tree.grid_a, admin)
        for _ in range(min(3, n - i)):
            make_resident(household=hh, by=admin)
    return list(Resident.objects.order_by("area_code", "id").values_list("id", flat=True))


def test_keyset_pages_forward_and_back_lose_and_repeat_nothing(tree: Any) -> None:
    expected = _residents(tree, 23)
    viewer = make_user(Role.COMMUNITY_STAFF, tree.community)
    qs = selectors.resident_list(viewer=viewer)
    # Forwards, 5 a page: 5+5+5+5+3.
    seen: list[int] = []
    page = paging.keyset_page(qs, size=5)
    assert page.is_first and not page.is_last and page.prev_cursor is None
    sizes = []
    while True:
        seen += [r.pk for r in page.rows]
        sizes.append(len(page.rows))
        if page.is_last:
            break
        page = paging.keyset_page(qs, after=page.next_cursor, size=5)
    assert seen == expected
    assert sizes == [5, 5, 5, 5, 3]
    assert page.next_cursor is None
    # Backwards from the last page: the last page is the last 5 rows, then 5 before each first row.
    back: list[int] = []
    page = paging.keyset_page(qs, last=True, size=5)
    assert page.is_last and [r.pk for r in page.rows] == expected[-5:]
    while True:
        back = [r.pk for r in page.rows] + back
        if page.is_first:
            break
        page = paging.keyset_page(qs, before=page.prev_cursor, size=5)
    assert back == expected
    assert (page.count, page.capped) == (23, False)
    # A count past the cap says so.
    assert paging.capped_count(qs, cap=10) == (10, True)


def test_page_links_walk_the_whole_list(tree: Any, monkeypatch: Any) -> None:
    from wangge.registry import views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    expected = _residents(tree, 10)
    client = Client()
    client.force_login(make_user(Role.COMMUNITY_STAFF, tree.community))
    url, seen = "/registry/residents/", []
    while url:
        html = client.get(url).content.decode()
        seen += [int(i) for i in re.findall(r'href="/registry/residents/(\d+)/"', html)]
        nxt = re.search(r'href="([^"]*)" rel="next"', html)
        url = "/registry/residents/" + nxt.group(1).replace("&amp;", "&") if nxt else ""
    assert seen == expected
    html = client.get("/registry/residents/?last=1").content.decode()
    assert [int(i) for i in re.findall(r'href="/registry/residents/(\d+)/"', html)] == expected[-4:]
    assert 'rel="next"' not in html and 'rel="prev"' in html


def test_api_cursor_and_deep_offset_agree(tree: Any) -> None:
    expected = _residents(tree, 14)
    client = api_client(make_user(Role.COMMUNITY_STAFF, tree.community))
    seen, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/residents?limit=4{cursor}").json()
        assert body["count"] == 14
        seen += [r["id"] for r in body["items"]]
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert seen == expected
    by_offset = [
        r["id"]
        for o in (0, 4, 8, 12)
        for r in client.get(f"/api/v1/residents?limit=4&offset={o}").json()["items"]
    ]
    assert by_offset == expected
    # The deep-offset path (ids from the scope index first) answers the same as a plain slice.
    qs = selectors.resident_list(viewer=make_user(Role.COMMUNITY_STAFF, tree.community))
    assert [r.pk for r in paging.page_rows_at_offset(qs, 1001, 5)] == []
    assert paging.decode("garbage") is None and paging.decode("32.x") is None


def test_scope_column_follows_moves_and_recoding(tree: Any) -> None:
    admin = admin_user()
    r = make_resident(tree.grid_a, admin)
    hh = r.household
    grid_a, grid_b = tree.grid_a.code, tree.grid_b.code

    def codes() -> tuple[str, str]:
        return (
            Household.objects.get(pk=hh.pk).area_code,
            Resident.objects.get(pk=r.pk).area_code,
        )

    assert codes() == (grid_a, grid_a)
    worker_b = make_user(Role.GRID_WORKER, tree.grid_b)
    assert not Resident.objects.visible_to(worker_b).filter(pk=r.pk).exists()

    # The building moves to grid B (a QuerySet.update: no service, no signal — the trigger does it).
    Building.objects.filter(pk=hh.house.building_id).update(area=tree.grid_b)
    assert codes() == (grid_b, grid_b)
    assert Resident.objects.visible_to(worker_b).filter(pk=r.pk).exists()

    # The house moves to a building of grid A.
    other = Building.objects.create(area=tree.grid_a, name="9幢", address="测试路9号")
    House.objects.filter(pk=hh.house_id).update(building=other)
    assert codes() == (grid_a, grid_a)

    # The resident moves to a household of grid B (model save, as the services do).
    hh_b = make_household(tree.grid_b, admin)
    res = Resident.objects.get(pk=r.pk)
    res.household = hh_b
    res.save()
    assert Resident.objects.get(pk=r.pk).area_code == grid_b
    assert Household.objects.get(pk=hh.pk).area_code == grid_a

    # A value written into the column is recomputed, not trusted.
    Resident.objects.filter(pk=r.pk).update(area_code="999")
    assert Resident.objects.get(pk=r.pk).area_code == grid_b

    # Grid B is re-coded (a boundary change): its households and residents follow.
    Area.objects.filter(pk=tree.grid_b.pk).update(code=grid_b[:-1] + "9")
    assert Household.objects.get(pk=hh_b.pk).area_code == grid_b[:-1] + "9"
    assert Resident.objects.get(pk=r.pk).area_code == grid_b[:-1] + "9"
    # The taggings' scope follows the same columns.
    Tagging.objects.create(resident=res, token="t")
    assert Tagging.objects.visible_to(make_user(Role.COMMUNITY_STAFF, tree.community)).count() == 1
