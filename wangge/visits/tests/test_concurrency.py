"""An offline phone re-sending one visit 8 times at once lands exactly once (real concurrent HTTP requests
against the live server; SQLite and PostgreSQL), and the household keeps one ready period."""

from __future__ import annotations

import threading

import pytest
import requests

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.testing import make_tree, make_user
from wangge.visits.models import ScheduledVisit, Visit
from wangge.visits.tests.factories import make_household


@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_of_one_visit_land_once(live_server, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    h = make_household(tree.grid_a, tags=("elderly_alone",))
    token = token_create(user=gw)
    url = f"{live_server.url}/api/v1/visits"
    body = {"household_id": h.pk, "client_id": "offline-42", "kind": "care", "notes": "重发"}
    n = 8
    barrier = threading.Barrier(n)
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def send() -> None:
        session = requests.Session()
        barrier.wait()
        r = session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        with lock:
            results.append((r.status_code, r.json().get("id", 0)))

    threads = [threading.Thread(target=send) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in results)
    assert codes == [200] * (n - 1) + [201], results
    assert len({pk for _, pk in results}) == 1
    assert Visit.objects.count() == 1
    assert ScheduledVisit.objects.filter(household=h, state="ready").count() == 1
