from __future__ import annotations

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.notifications import services
from wangge.notifications.models import Notification
from wangge.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_inbox_lists_only_my_notifications_with_few_queries(django_assert_max_num_queries):
    me = make_user(Role.RESIDENT)
    other = make_user(Role.RESIDENT)
    for i in range(15):
        services.notify(users=[me], event="e", title=f"我的通知{i}")
    services.notify(users=[other], event="e", title="别人的通知")
    c = _client(me)
    with django_assert_max_num_queries(8):
        r = c.get("/notifications/")
    html = r.content.decode()
    assert r.status_code == 200 and "我的通知14" in html and "别人的通知" not in html
    assert 'id="notification-badge"' in html and "15" in html


def test_mark_read_htmx_returns_the_row_and_badge_updates():
    me = make_user(Role.RESIDENT)
    services.notify(users=[me], event="e", title="新通知", link="/appeals/")
    note = Notification.objects.get(user=me)
    c = _client(me)
    r = c.post(f"/notifications/{note.pk}/read/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and f'id="notification-{note.pk}"' in r.content.decode()
    assert "标为已读" not in r.content.decode()
    assert ">🔔 0<" in c.get("/notifications/badge/").content.decode()


def test_follow_link_marks_read_and_redirects_and_others_get_404():
    me = make_user(Role.RESIDENT)
    other = make_user(Role.RESIDENT)
    services.notify(users=[me], event="e", title="新通知", link="/appeals/")
    note = Notification.objects.get(user=me)
    r = _client(other).post(f"/notifications/{note.pk}/read/", {"follow": "1"})
    assert r.status_code == 404
    r = _client(me).post(f"/notifications/{note.pk}/read/", {"follow": "1"})
    assert r.status_code == 302 and r["Location"] == "/appeals/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_pages_need_login():
    r = Client().get("/notifications/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
