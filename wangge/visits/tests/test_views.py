"""The grid worker's pages: today (counts, one tap to act, query count that does not grow) and the form's
error path on the server."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals.services import appeal_submit
from wangge.testing import PASSWORD, make_user
from wangge.visits import services, tasks
from wangge.visits.models import ScheduledVisit, Visit
from wangge.visits.tests.factories import make_household


def _login(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.mark.django_db
def test_today_page_counts_and_links_and_its_queries_do_not_grow(tree, django_assert_max_num_queries):
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    hs = [make_household(tree.grid_a) for _ in range(3)]
    appeal_submit(
        by=gw, category="SJ0101", description="暴露垃圾", channel="patrol", area_code=tree.grid_a.code
    )
    tasks.tick(timezone.now())
    services.visit_record(by=gw, household=hs[0], client_id="a")
    c = _login(gw)
    r = c.get("/visits/today/")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count("data-due=") == 2 and f'href="/visits/household/{hs[1].pk}/"' in html
    assert "<b>1/10</b>" in html and html.count("data-case=") == 1
    with django_assert_max_num_queries(14) as small:
        c.get("/visits/today/")
    for _ in range(25):
        make_household(tree.grid_a)
    tasks.tick(timezone.now())
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = c.get("/visits/today/?lat=32.505&lng=120.405")
    assert r.content.decode().count("data-due=") == 27


@pytest.mark.django_db
def test_today_is_for_staff_only(tree):
    assert _login(make_user(Role.RESIDENT)).get("/visits/today/").status_code == 404
    assert Client().get("/visits/today/").status_code == 302


@pytest.mark.django_db
def test_the_form_shows_the_error_next_to_the_field_and_keeps_the_input(tree):
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    h = make_household(tree.grid_a, tags=("elderly_alone",))
    c = _login(gw)
    page = c.get(f"/visits/household/{h.pk}/").content.decode()
    assert "用药情况" in page and 'name="check_elderly_medicine"' in page
    r = c.post(
        f"/visits/household/{h.pk}/",
        {"client_id": "p1", "kind": "care", "duration_minutes": "0", "notes": "老人精神好"},
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert 'id="error-duration_minutes">时长须在1到1440分钟之间' in html and "老人精神好" in html
    r = c.post(
        f"/visits/household/{h.pk}/",
        {"client_id": "p1", "kind": "care", "duration_minutes": "20", "finding_description": "电线老化"},
    )
    assert r.status_code == 422 and 'id="error-finding_category"' in r.content.decode()
    r = c.post(
        f"/visits/household/{h.pk}/",
        {"client_id": "p1", "kind": "care", "duration_minutes": "20", "check_elderly_food": "ok"},
    )
    assert r.status_code == 302 and Visit.objects.get().checklist == {"elderly_food": "ok"}
    # Out of scope: 404.
    other = make_household(tree.grid_c)
    assert c.get(f"/visits/household/{other.pk}/").status_code == 404


@pytest.mark.django_db
def test_cancel_from_the_page(tree):
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    h = make_household(tree.grid_a)
    tasks.tick(timezone.now())
    pending = ScheduledVisit.objects.get(household=h, state="ready")
    c = _login(gw)
    assert c.post(f"/visits/due/{pending.pk}/cancel/", {"reason": "in_hospital"}).status_code == 302
    pending.refresh_from_db()
    assert pending.cancel_reason == "in_hospital"
    assert c.get("/visits/missed/").status_code == 200
