"""MUST-SHOW: concurrent redemptions that together exceed a balance or a stock never take the balance
below zero or the stock below zero, and the ledger always sums to the balance. Real concurrent HTTP."""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
import requests

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create, user_create
from wangge.points import services
from wangge.points.models import PointEntry, Reward
from wangge.points.selectors import points_balance, points_ledger_sum
from wangge.testing import make_tree, make_user

_seq = itertools.count(1)


def _user():  # type: ignore[no-untyped-def]
    return user_create(username=f"pc{next(_seq)}", password=None, role=Role.VOLUNTEER)


def _fire(url: str, tokens: list[str]) -> Counter:
    barrier = threading.Barrier(len(tokens))
    codes: list[int] = []
    lock = threading.Lock()

    def go(token: str) -> None:
        s = requests.Session()
        barrier.wait()
        r = s.post(url, json={"quantity": 1}, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        with lock:
            codes.append(r.status_code)

    threads = [threading.Thread(target=go, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Counter(codes)


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overdraw_balance_or_stock(live_server) -> None:
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)

    # One member, 100 points, 12 simultaneous redemptions of a 30-point item: exactly 3 succeed.
    rich = _user()
    services.points_earn(user=rich, rule_code="volunteer_hour", source_key="seed:rich", quantity=10)
    plenty = services.reward_create(name="环保袋", price=30, stock=100, area=tree.community, by=staff)
    codes = _fire(f"{live_server.url}/api/v1/rewards/{plenty.pk}/redeem", [token_create(user=rich)] * 12)
    assert codes == {201: 3, 409: 9}, codes
    assert points_balance(rich) == 10 == points_ledger_sum(rich)
    assert Reward.objects.get(pk=plenty.pk).stock == 97

    # Twelve members with enough points, a stock of 4: exactly 4 succeed, nobody pays for nothing.
    users = [_user() for _ in range(12)]
    for u in users:
        services.points_earn(user=u, rule_code="wish_fulfilled", source_key=f"seed:{u.pk}", quantity=3)
    scarce = services.reward_create(name="电影票", price=40, stock=4, area=tree.community, by=staff)
    codes = _fire(
        f"{live_server.url}/api/v1/rewards/{scarce.pk}/redeem", [token_create(user=u) for u in users]
    )
    assert codes == {201: 4, 409: 8}, codes
    assert Reward.objects.get(pk=scarce.pk).stock == 0
    balances = sorted(points_balance(u) for u in users)
    assert balances == [20] * 4 + [60] * 8
    assert all(points_balance(u) == points_ledger_sum(u) for u in users)
    assert PointEntry.objects.filter(kind="spend").count() == 7


@pytest.mark.django_db(transaction=True)
def test_concurrent_earning_of_one_source_pays_once() -> None:
    from django.db import connection

    user = _user()
    barrier = threading.Barrier(10)
    paid: list[bool] = []

    def earn() -> None:
        try:
            barrier.wait()
            paid.append(
                services.points_earn(user=user, rule_code="wish_fulfilled", source_key="wish:42") is not None
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=earn) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert paid.count(True) == 1 and len(paid) == 10
    assert points_balance(user) == 20 == points_ledger_sum(user)
