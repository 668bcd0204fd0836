"""Races settled by the database, with real concurrent HTTP requests against the live server (SQLite and,
with DATABASE_URL, PostgreSQL): one running patrol per worker, and a re-sent start / points batch lands once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import requests

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.patrols.models import Patrol, PatrolPoint
from wangge.patrols.tests.factories import api_point
from wangge.testing import make_tree, make_user


def _race(n: int, send: Any) -> list[tuple[int, dict[str, Any]]]:
    barrier = threading.Barrier(n)
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        session = requests.Session()
        barrier.wait()
        r = send(session, i)
        with lock:
            results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_leave_one_running_patrol_per_worker(live_server, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    headers = {"Authorization": f"Bearer {token_create(user=gw)}"}
    url = f"{live_server.url}/api/v1/patrols"
    n = 8
    # Eight different patrols at once (two phones, a double tap): one starts, the others are refused.
    results = _race(
        n, lambda s, i: s.post(url, json={"client_id": f"phone-{i}"}, headers=headers, timeout=60)
    )
    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * (n - 1), results
    running = Patrol.objects.get(worker=gw, state="running")
    assert {body.get("patrol_id") for code, body in results if code == 409} == {running.pk}
    assert Patrol.objects.count() == 1
    # One patrol re-sent eight times at once by an offline queue: it is the running one, answered 200 each time.
    results = _race(
        n, lambda s, i: s.post(url, json={"client_id": running.client_id}, headers=headers, timeout=60)
    )
    assert sorted(code for code, _ in results) == [200] * n
    assert {body["id"] for _, body in results} == {running.pk}
    # One points batch re-sent four times at once: each point lands once.
    t0 = running.started_at
    batch = {"points": [api_point(tree.grid_a, t0 + dt.timedelta(milliseconds=50 * i)) for i in range(50)]}
    points_url = f"{url}/client:{running.client_id}/points"
    results = _race(4, lambda s, i: s.post(points_url, json=batch, headers=headers, timeout=60))
    assert [code for code, _ in results] == [200] * 4, results
    assert {body["point_count"] for _, body in results} <= set(range(51)) and max(
        b["point_count"] for _, b in results
    ) == 50
    assert PatrolPoint.objects.filter(patrol=running).count() == 50
