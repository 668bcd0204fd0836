"""Concurrent confirmations of one 金牌网格员 nomination over real HTTP: the database lets exactly one through."""

from __future__ import annotations

import threading

import pytest
import requests

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.appeals.models import Appeal
from wangge.testing import make_tree, make_user

from .. import services
from ..models import Nomination
from .helpers import OCT, active_scheme, make_month

N = 6


def _post_all(url: str, tokens: list[str]) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(tokens))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def go(token: str) -> None:
        with requests.Session() as s:
            barrier.wait()
            r = s.post(url, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=90)
            with lock:
                results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=go, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_settle_once(live_server, settings) -> None:
    from wangge.appeals.tests.conftest import ensure_categories

    ensure_categories()
    settings.WANGGE_ASSESSMENT = {"min_sample": 1, "nominate_top": 1}
    tree = make_tree()
    m = make_month(tree)
    gw = make_user(Role.GRID_WORKER, tree.grid_a, display_name="甲")
    Appeal.objects.filter(pk__in=[m.cases["A"].pk, m.cases["B"].pk]).update(lead_user=gw)
    scheme = active_scheme(m, subject_kind="grid_worker", name="网格员月度考评")
    run = services.score_compute(scheme=scheme, period_start=OCT)
    nominator = make_user(Role.COMMUNITY_STAFF, tree.community)
    nom = services.nomination_create(score=run.scores.get(user=gw), by=nominator)
    confirmers = [make_user(Role.COMMUNITY_STAFF, tree.community) for _ in range(N)]
    results = _post_all(
        f"{live_server.url}/api/v1/assessment/nominations/{nom.pk}/confirm",
        [token_create(user=u) for u in confirmers],
    )
    codes = sorted(code for code, _ in results)
    assert codes == [200] + [409] * (N - 1), results
    nom = Nomination.objects.get(pk=nom.pk)
    winner = next(body for code, body in results if code == 200)
    assert nom.state == "confirmed" and winner["state"] == "confirmed"
    assert nom.decided_by_id in {u.pk for u in confirmers}
