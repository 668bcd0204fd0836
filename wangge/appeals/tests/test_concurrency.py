"""Real concurrent HTTP requests against the live server: one dispatch wins, the other gets 409 with the
current state; one Idempotency-Key makes one case even when the retries race."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from wangge.accounts.services import token_create
from wangge.appeals import services as s
from wangge.appeals.models import Appeal, AppealEvent, Assignment

from .conftest import World, submit_kwargs


def _race(n: int, fn: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_dispatches_make_one_dispatch_and_one_409(world: World, live_server: Any) -> None:
    tokens = [token_create(user=world.community), token_create(user=world.street)]
    cases = []
    for _ in range(3):
        appeal, _ = s.appeal_submit(by=world.resident, **submit_kwargs(world))
        cases.append(s.appeal_accept(appeal_id=appeal.pk, by=world.community))
    for appeal in cases:
        url = f"{live_server.url}/api/v1/appeals/{appeal.pk}/dispatch"
        bodies = [{"lead_unit_id": world.property_co.pk}, {"lead_unit_id": world.department.pk}]

        def dispatch(i: int, url: str = url, bodies: list = bodies) -> requests.Response:
            return requests.post(
                url, json=bodies[i], headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=60
            )

        responses = _race(2, dispatch)
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 409).json()
        assert loser["state"] == "dispatched"
        assert AppealEvent.objects.filter(appeal=appeal, kind="dispatched").count() == 1
        assert Assignment.objects.filter(appeal=appeal, role="lead", active=True).count() == 1
        winner = next(r for r in responses if r.status_code == 200).json()
        assert Appeal.objects.get(pk=appeal.pk).lead_unit_id == winner["lead_unit"]["id"]


@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_idempotency_key_make_one_case(world: World, live_server: Any) -> None:
    token = token_create(user=world.resident)
    url = f"{live_server.url}/api/v1/appeals"
    body = submit_kwargs(world)

    def submit(i: int) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"}
        return requests.post(url, json=body, headers=headers, timeout=60)

    responses = _race(4, submit)
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.status_code for r in responses).count(201) == 1
    assert Appeal.objects.count() == 1
