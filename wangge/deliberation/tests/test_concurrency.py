"""Concurrent supports over real HTTP: the threshold is crossed exactly once, and one person's two phones
record one support."""

from __future__ import annotations

import threading

import pytest
import requests
from django.utils import timezone

from wangge.accounts.services import token_create

from .. import services
from ..models import AgendaItem, Proposal, Support
from .helpers import make_resident_user, make_world

N = 12


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
def test_concurrent_supports_cross_the_threshold_once(live_server, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = make_world(threshold=5, n_residents=2)
    meeting = services.meeting_create(
        council=world.grid_council,
        title="下次议事",
        starts_at=timezone.now() + timezone.timedelta(days=2),
        place="网格站",
        by=world.grid_worker,
    )
    p = services.proposal_create(
        by=world.residents_a[0], title="规范养犬", body="建议制定网格养犬公约，文明养犬"
    )
    people = [make_resident_user(world.tree.grid_a, name=f"邻居{i}") for i in range(N)]
    results = _post_all(
        f"{live_server.url}/api/v1/proposals/{p.pk}/support", [token_create(user=u) for u in people]
    )

    assert sorted(code for code, _ in results) == [201] * N, results
    assert sum(1 for _, body in results if body["crossed"]) == 1
    p = Proposal.objects.get(pk=p.pk)
    assert p.support_count == N == Support.objects.filter(proposal=p).count()
    assert p.status == "on_agenda" and p.reached_at is not None
    assert AgendaItem.objects.filter(proposal=p).count() == 1
    assert AgendaItem.objects.get(proposal=p).meeting_id == meeting.pk


@pytest.mark.django_db(transaction=True)
def test_one_person_two_phones_one_support(live_server, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = make_world(threshold=5, n_residents=2)
    p = services.proposal_create(
        by=world.residents_a[0], title="规范养犬", body="建议制定网格养犬公约，文明养犬"
    )
    user = world.residents_a[1]
    tokens = [token_create(user=user) for _ in range(4)]
    results = _post_all(f"{live_server.url}/api/v1/proposals/{p.pk}/support", tokens)
    codes = sorted(code for code, _ in results)
    assert codes == [201, 409, 409, 409], results
    assert Support.objects.filter(proposal=p, user=user).count() == 1
    assert Proposal.objects.get(pk=p.pk).support_count == 1
