"""MUST-SHOW: 30 concurrent sign-ups from 30 volunteers for 6 places → exactly 6 confirmed, 24 waitlisted.
Real concurrent HTTP requests against the live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests

from wangge.accounts.services import token_create
from wangge.testing import make_tree
from wangge.volunteers.models import Activity, Signup

from .helpers import make_activity, quick_user


@pytest.mark.django_db(transaction=True)
def test_30_concurrent_signups_for_6_places(live_server) -> None:
    tree = make_tree()
    activity = make_activity(tree.community, capacity=6)
    tokens = [token_create(user=quick_user()) for _ in range(30)]
    url = f"{live_server.url}/api/v1/activities/{activity.pk}/signups"
    barrier = threading.Barrier(len(tokens))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def sign_up(token: str) -> None:
        session = requests.Session()
        barrier.wait()
        r = session.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        with lock:
            results.append((r.status_code, r.json().get("status", r.text)))

    threads = [threading.Thread(target=sign_up, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert all(code == 201 for code, _ in results), results
    statuses = Counter(status for _, status in results)
    assert statuses == {"confirmed": 6, "waitlisted": 24}
    db = Counter(Signup.objects.filter(activity=activity).values_list("status", flat=True))
    assert db == {"confirmed": 6, "waitlisted": 24}
    assert Activity.objects.get(pk=activity.pk).confirmed_count == 6
