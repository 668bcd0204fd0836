"""Home pages that say what to do today: each role's numbers, each a link to the filtered list, and a
bounded number of queries (the same with twice the cases)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wangge.accounts.roles import Role
from wangge.appeals import services as s
from wangge.testing import make_user

from .conftest import World, submit_kwargs

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _counters(html: str) -> dict[str, tuple[int, str]]:
    """``{counter key: (number, link)}`` read off the page."""
    out = {}
    for m in re.finditer(
        r'<a class="counter[^"]*" href="([^"]+)" data-counter="([^"]+)"><strong>(\d+)</strong>', html
    ):
        out[m.group(2)] = (int(m.group(3)), m.group(1).replace("&amp;", "&"))
    return out


def _make_cases(world: World, n: int) -> None:
    for i in range(n):
        a, _ = s.appeal_submit(by=world.resident, **submit_kwargs(world, description=f"楼道灯不亮{i}"))
        if i % 2:
            s.appeal_accept(appeal_id=a.pk, by=world.community)
            s.appeal_dispatch(appeal_id=a.pk, by=world.community)


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        res = client.get("/")
    assert res.status_code == 200
    return len(ctx.captured_queries)


def test_the_secretary_home_counts_what_waits_and_links_each_number(world: World) -> None:
    _make_cases(world, 4)  # two to accept, two dispatched to the property company
    html = _client(world.community).get("/").content.decode()
    got = _counters(html)
    assert got["board-new"] == (2, "/appeals/board/?view=new")
    assert got["board-dispatch"] == (0, "/appeals/board/?view=dispatch")
    assert got["board-overdue"][0] == 0 and got["board-whistled"][0] == 0
    assert "signups-pending" in got  # sign-ups to approve (household links)
    # The board's tabs carry the same counts.
    board = _client(world.community).get("/appeals/board/").content.decode()
    assert re.search(r'data-view="new">[^<]*<span class="tab-count" data-count="2">', board)


def test_the_handler_sees_the_inbox_by_deadline(world: World) -> None:
    _make_cases(world, 4)
    html = _client(world.property_staff).get("/").content.decode()
    assert _counters(html)["inbox-todo"] == (2, "/appeals/inbox/?view=todo")
    assert html.count('href="/appeals/') >= 2


def test_the_resident_sees_each_case_and_what_it_waits_for_and_their_grid_worker(world: World) -> None:
    world.grid_worker.phone = "13800001111"
    world.grid_worker.save()
    _make_cases(world, 2)
    html = _client(world.resident).get("/").content.decode()
    assert "等待受理" in html and "已派单，等待承办单位签收" in html
    assert 'id="home-my-grid-worker"' in html and "网格员甲" in html
    assert _counters(html)["mine-open"] == (2, "/appeals/mine/?view=open")


def test_the_street_sees_todays_figures_and_the_worst_areas(world: World) -> None:
    _make_cases(world, 2)
    got = _counters(_client(world.street).get("/").content.decode())
    assert got["open"][0] == 2 and got["overdue"] == (0, "/appeals/board/?view=overdue")


@pytest.mark.parametrize("who", ["community", "property_staff", "resident", "street", "volunteer"])
def test_each_home_runs_the_same_queries_with_twice_the_cases(world: World, who: str) -> None:
    user = make_user(Role.VOLUNTEER, username="v") if who == "volunteer" else getattr(world, who)
    client = _client(user)
    _make_cases(world, 3)
    client.get("/")  # warm the per-process caches (area staff)
    few = _queries(client)
    _make_cases(world, 6)
    assert _queries(client) == few
    assert few <= 20


def test_the_volunteer_sees_points_and_open_wishes(world: World) -> None:
    vol = make_user(Role.VOLUNTEER, username="v1")
    got = _counters(_client(vol).get("/").content.decode())
    assert got["points"] == (0, "/points/") and got["wishes-open"][0] == 0
