from __future__ import annotations

import pytest

from wangge.accounts.roles import Role
from wangge.notifications import services
from wangge.notifications.models import Notification
from wangge.testing import api_client, make_user

pytestmark = pytest.mark.django_db


def test_list_and_read_through_the_api():
    me = make_user(Role.RESIDENT)
    other = make_user(Role.RESIDENT)
    services.notify(users=[me], event="appeal.resolved", title="已办结", link="/appeals/3/")
    services.notify(users=[other], event="e", title="not mine")
    client = api_client(me)
    data = client.get("/api/v1/notifications").json()
    assert data["count"] == 1 and data["unread"] == 1
    item = data["items"][0]
    assert item["title"] == "已办结" and item["read"] is False and item["link"] == "/appeals/3/"
    r = client.post(f"/api/v1/notifications/{item['id']}/read")
    assert r.status_code == 200 and r.json()["read"] is True
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 0
    theirs = Notification.objects.get(user=other)
    r = client.post(f"/api/v1/notifications/{theirs.pk}/read")
    assert r.status_code == 404 and r.json()["detail"]
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_read_all_and_auth_required():
    me = make_user(Role.RESIDENT)
    services.notify(users=[me], event="e", title="a")
    services.notify(users=[me], event="e", title="b")
    assert api_client(me).post("/api/v1/notifications/read-all").json() == {"updated": 2}
    from django.test import Client

    assert Client().get("/api/v1/notifications").status_code == 401


def test_bad_ids_and_offsets_are_4xx_not_server_errors():
    me = make_user(Role.RESIDENT)
    client = api_client(me)
    for params in ({"offset": -1}, {"offset": 10**30}, {"limit": 0}, {"limit": 10**6}):
        r = client.get("/api/v1/notifications", params)
        assert r.status_code == 422, (params, r.content)
        assert r.json()["errors"][0]["field"] in ("offset", "limit")
    for pk in (2**63, 10**30):
        assert client.post(f"/api/v1/notifications/{pk}/read").status_code in (404, 422)
    client.force_login(me)
    assert client.post(f"/notifications/{2**63}/read/").status_code == 404


def test_list_query_count_does_not_grow(django_assert_max_num_queries):
    me = make_user(Role.RESIDENT)
    for i in range(12):
        services.notify(users=[me], event="e", title=f"n{i}")
    client = api_client(me)
    client.get("/api/v1/notifications")  # the token's first use: cache it and touch last_used_at
    with django_assert_max_num_queries(5):
        data = client.get("/api/v1/notifications").json()
    assert data["count"] == 12 and len(data["items"]) == 12
    client.force_login(me)
    with django_assert_max_num_queries(8):
        assert client.get("/notifications/").status_code == 200
