"""The 入户走访数据 page: the area picked from the tree in scope, the heading follows it, the figures of the
hand-computed scenario (test_api) shown; a rejected query says why next to the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.testing import make_user
from wangge.visits import rollup
from wangge.visits.models import ScheduledVisit
from wangge.visits.tests.factories import make_household


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def _period(h, due, state, completed_on=None, special=False):  # type: ignore[no-untyped-def]
    ScheduledVisit.objects.create(
        household=h,
        area_code=h.house.building.area.code,
        due_on=due,
        closes_on=due + dt.timedelta(days=3),
        every_days=7,
        special=special,
        state=state,
        completed_on=completed_on,
    )


@pytest.mark.django_db
def test_figures_page_follows_the_picked_area(tree):
    d = dt.date
    h1, h2 = make_household(tree.grid_a), make_household(tree.grid_b)
    _period(h1, d(2026, 11, 2), "completed", d(2026, 11, 2), special=True)
    _period(h1, d(2026, 11, 9), "missed", special=True)
    _period(h2, d(2026, 11, 3), "completed", d(2026, 11, 4))
    _period(h2, d(2026, 11, 10), "ready")
    rollup.rebuild()
    make_user(Role.GRID_WORKER, tree.grid_a, display_name="网格员甲")
    c = _login(make_user(Role.STREET_STAFF, tree.street))

    body = c.get("/visits/figures/?from=2026-11-01&to=2026-11-30").content.decode()
    heading = body.split('id="figures-heading">', 1)[1].split("</h1>", 1)[0]
    assert heading.endswith(tree.street.name)  # the viewer's own area by default
    # The picker lists the tree in scope (never a typed code), the other street is not in it.
    assert f'<option value="{tree.community.code}"' in body and f'value="{tree.grid_a.code}"' in body
    assert "<input" not in body.split('id="fig-area"', 1)[1].split("</select>", 1)[0]

    body = c.get(
        f"/visits/figures/?area={tree.community.code}&from=2026-11-01&to=2026-11-30"
    ).content.decode()
    heading = body.split('id="figures-heading">', 1)[1].split("</h1>", 1)[0]
    assert heading.endswith(tree.community.name)
    # 4 due, 2 completed → 50%; special 1 on time of 2 → 50%; per grid rows; the worker's row.
    cards = body.split('class="fig-cards"', 1)[1].split("</ul>", 1)[0]
    assert "50.0%" in cards and "已走访 2 / 应走访 4" in cards and "按时 1 / 应走访 2" in cards
    assert f'data-code="{tree.grid_a.code}"' in body and f'data-code="{tree.grid_b.code}"' in body
    assert "网格员甲" in body


@pytest.mark.django_db
def test_figures_page_rejects_bad_queries_next_to_the_field(tree):
    c = _login(make_user(Role.COMMUNITY_STAFF, tree.community))
    r = c.get("/visits/figures/?from=2026-11-30&to=2026-11-01")
    assert r.status_code == 422
    assert 'id="error-from">开始日期不能晚于结束日期<' in r.content.decode()
    r = c.get("/visits/figures/?from=2026-13-01")
    assert r.status_code == 422 and 'id="error-from">日期格式无效<' in r.content.decode()
    r = c.get("/visits/figures/?area=320621002")  # another street: not in scope
    assert r.status_code == 422 and 'id="error-area">' in r.content.decode()
    assert _login(make_user(Role.RESIDENT)).get("/visits/figures/").status_code == 404
