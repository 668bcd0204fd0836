"""The pages without a browser: the today card, start (and its error next to the field), the running page's
settings for the script, the no-script 发现问题 fallback with its error, stop → the log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.patrols.models import Patrol
from wangge.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_gw(tree: Any) -> Client:
    make_user(Role.GRID_WORKER, tree.grid_a, username="pv_gw")
    c = Client()
    assert c.login(username="pv_gw", password=PASSWORD)
    return c


def test_today_card_start_run_discover_and_stop(client_gw, tree, settings):
    settings.WANGGE_PATROL_SAMPLE_SECONDS = 20
    page = client_gw.get("/visits/today/").content.decode()
    assert 'id="patrol-card"' in page and 'href="/patrols/"' in page
    r = client_gw.post("/patrols/start/", {"client_id": "v-1"})
    patrol = Patrol.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/patrols/{patrol.pk}/"
    # While running, /patrols/ and the today card lead to it.
    assert client_gw.get("/patrols/")["Location"] == f"/patrols/{patrol.pk}/"
    assert f'data-patrol="{patrol.pk}"' in client_gw.get("/visits/today/").content.decode()
    page = client_gw.get(f"/patrols/{patrol.pk}/").content.decode()
    assert (
        'data-sample-seconds="20"' in page and f'data-points-url="/api/v1/patrols/{patrol.pk}/points"' in page
    )
    assert "<script>" not in page
    # 发现问题 without a description (no script): 422, the message under the field, no case.
    r = client_gw.post(f"/patrols/{patrol.pk}/discover/", {"client_id": "d", "category": "SJ0101"})
    assert r.status_code == 422
    assert '<p class="field-error" id="error-description">请描述发现的问题</p>' in r.content.decode()
    assert not Appeal.objects.exists()
    r = client_gw.post(
        f"/patrols/{patrol.pk}/discover/", {"client_id": "d", "category": "SJ0101", "description": "垃圾堆放"}
    )
    assert r.status_code == 302
    assert Appeal.objects.get().channel == "patrol"
    r = client_gw.post(f"/patrols/{patrol.pk}/stop/", {"check_fire_lane": "ok", "notes": "正常"})
    assert r.status_code == 302 and r["Location"].startswith("/patrols/log/?date=")
    patrol.refresh_from_db()
    assert (patrol.state, patrol.checklist, patrol.notes) == ("done", {"fire_lane": "ok"}, "正常")


def test_start_with_a_grid_not_ones_own_shows_the_error_next_to_the_field(client_gw, tree):
    make_user(Role.GRID_WORKER, tree.grid_b, username="pv_gw2")
    r = client_gw.post("/patrols/start/", {"client_id": "v-2", "area": tree.grid_b.code})
    assert r.status_code == 422
    assert '<p class="field-error" id="error-area">请选择您负责的网格</p>' in r.content.decode()
    assert not Patrol.objects.exists()


def test_pages_are_not_for_residents(tree):
    make_user(Role.RESIDENT, username="pv_res")
    c = Client()
    assert c.login(username="pv_res", password=PASSWORD)
    assert c.get("/patrols/").status_code == 404
    assert c.get("/patrols/log/").status_code == 404
