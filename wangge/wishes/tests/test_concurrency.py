"""MUST-SHOW: 20 concurrent claims on one wish over real HTTP: exactly one winner, the others 409."""

from __future__ import annotations

import threading

import pytest
import requests

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.testing import make_user
from wangge.wishes.models import Wish, WishClaim

from .conftest import open_wish, verify

N = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_claims_one_winner(world, live_server):
    wish = open_wish(world)
    users = [make_user(Role.VOLUNTEER, display_name=f"志愿者{i}") for i in range(N)]
    for user in users:
        verify(user, community=world.tree.community, by=world.staff)
    tokens = [token_create(user=user) for user in users]
    url = f"{live_server.url}/api/v1/wishes/{wish.pk}/claim"
    barrier = threading.Barrier(N)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def claim(token: str) -> None:
        with requests.Session() as s:
            barrier.wait()
            r = s.post(url, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            with lock:
                results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=claim, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    codes = sorted(code for code, _ in results)
    assert len(codes) == N
    winners = [body for code, body in results if 200 <= code < 300]
    assert len(winners) == 1, codes
    assert codes.count(409) == N - 1, codes
    assert all(body.get("state") == "claimed" for code, body in results if code == 409)
    assert winners[0]["contact"]["name"] == "宋明华"
    assert WishClaim.objects.filter(wish=wish, active=True).count() == 1
    assert WishClaim.objects.filter(wish=wish).count() == 1
    assert Wish.objects.get(pk=wish.pk).status == "claimed"
