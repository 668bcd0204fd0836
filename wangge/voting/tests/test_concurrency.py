"""MUST-SHOW: one owner votes from two phones at once (and keeps tapping): real concurrent HTTP requests
against the live server record exactly one ballot; the others get 409."""

from __future__ import annotations

import threading

import pytest
import requests

from wangge.accounts.services import token_create
from wangge.voting.models import Ballot

N = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_votes_record_one_ballot(world, live_server):
    h = world.house("101", 88)
    owner = world.person(h, "周建国")
    world.own(h, owner.name, resident=owner)
    world.own(world.house("102", 90), "邻居", "")
    vote = world.vote("manager")
    tokens = [token_create(user=owner.account), token_create(user=owner.account)]  # two phones
    url = f"{live_server.url}/api/v1/votes/{vote.pk}/ballots"
    barrier = threading.Barrier(N)
    results: list[int] = []
    lock = threading.Lock()

    def cast(i: int) -> None:
        with requests.Session() as s:
            barrier.wait()
            r = s.post(url, json={"choice": "approve" if i % 2 else "reject"},
                       headers={"Authorization": f"Bearer {tokens[i % 2]}"}, timeout=60)  # fmt: skip
            with lock:
                results.append(r.status_code)

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201] + [409] * (N - 1), results
    assert Ballot.objects.filter(vote=vote).count() == 1
