"""An offline phone re-sending one correction 8 times at once lands exactly once (real concurrent HTTP
requests against the live server; SQLite and PostgreSQL): one change row, the version bumped once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.registry.models import RegistryChange, Resident
from wangge.testing import make_user

from .factories import admin_user, make_resident


@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_of_one_correction_land_once(live_server: Any, tree: Any, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    r = make_resident(tree.grid_a, admin_user(), phone="13900000009")
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    token = token_create(user=gw)
    url = f"{live_server.url}/api/v1/registry/changes"
    body = {
        "client_id": "offline-correction-1",
        "target": "resident",
        "target_id": r.pk,
        "kind": "phone",
        "base_version": 1,
        "data": {"phone": "13812345678"},
    }
    n = 8
    barrier = threading.Barrier(n)
    results: list[tuple[int, int, str]] = []
    lock = threading.Lock()

    def send() -> None:
        session = requests.Session()
        barrier.wait()
        resp = session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        data = resp.json()
        with lock:
            results.append((resp.status_code, data.get("id", 0), data.get("status", "")))

    threads = [threading.Thread(target=send) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _, _ in results)
    assert codes == [200] * (n - 1) + [201], results
    assert len({pk for _, pk, _ in results}) == 1
    assert {status for _, _, status in results} == {"applied"}  # never a conflict with itself
    assert RegistryChange.objects.count() == 1
    r = Resident.objects.get(pk=r.pk)
    assert r.version == 2 and r.phone == "13812345678"
