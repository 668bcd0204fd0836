"""The loop table is the one source: API endpoints, page labels, offered steps and the services' guard."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from wangge.api import api
from wangge.appeals import loop, services, views
from wangge.appeals.models import Appeal
from wangge.appeals.selectors import allowed_actions
from wangge.core.errors import Forbidden, NotFound, ServiceError

from .conftest import World, submit_kwargs

pytestmark = pytest.mark.django_db

MINIMAL_INPUT: dict[str, dict[str, Any]] = {
    "accept": {},
    "cancel": {"reason": "不属实"},
    "merge": {"into_id": 10**9},
    "dispatch": {},
    "acknowledge": {},
    "return": {"reason": "非本单位"},
    "start": {},
    "resolve": {"note": "已办"},
    "extend": {"action": "request", "amount": 1, "unit": "working_days", "reason": "等配件"},
    "hold": {"action": "request", "reason": "等配件"},
    "decide-extend": {"action": "approve"},
    "decide-hold": {"action": "approve"},
    "resume": {"action": "resume"},
    "whistle": {"reason": "需要城管", "next_level": True},
    "report-in": {},
    "urge": {"note": "请尽快"},
    "check": {"passed": True},
    "rate": {"satisfaction": "satisfied", "solved": True},
    "reopen": {"reason": "又坏了"},
    "close": {},
}


def test_every_step_with_a_schema_has_its_endpoint_and_every_step_a_page_label() -> None:
    paths = api.get_openapi_schema()["paths"]
    for s in loop.STEPS:
        assert s.name in views.STEP_LABELS
        assert callable(loop.service_for(s))
        if s.schema is not None:
            assert "post" in paths[f"/api/v1/appeals/{{appeal_id}}/{s.name}"], s.name
    assert set(MINIMAL_INPUT) == set(loop.BY_NAME)


def _service_refuses(step_name: str, user: Any, appeal: Appeal) -> bool:
    """Whether the step's service refuses ``user`` on permission (403/404) — tried, then rolled back."""
    s = loop.step(step_name)
    kwargs = dict(MINIMAL_INPUT[step_name])
    try:
        with transaction.atomic():
            loop.service_for(s)(appeal_id=appeal.pk, by=user, **kwargs)
            transaction.set_rollback(True)
    except (Forbidden, NotFound):
        return True
    except ServiceError:
        return False  # let through the permission check, stopped by the input or the state
    return False


def _users(world: World) -> list[Any]:
    return [
        world.resident,
        world.resident2,
        world.grid_worker,
        world.grid_worker_b,
        world.community,
        world.street,
        world.property_staff,
        world.department_staff,
    ]


@pytest.mark.parametrize("stage", ["submitted", "dispatched", "resolved"])
def test_a_step_is_offered_to_exactly_those_the_service_lets_through(world: World, stage: str) -> None:
    appeal, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world, category="SJ0101"))
    if stage != "submitted":
        services.appeal_accept(appeal_id=appeal.pk, by=world.community)
        services.appeal_dispatch(appeal_id=appeal.pk, by=world.community, lead_user_id=world.grid_worker.pk)
    if stage == "resolved":
        services.appeal_acknowledge(appeal_id=appeal.pk, by=world.grid_worker)
        services.appeal_resolve(appeal_id=appeal.pk, by=world.grid_worker, note="已清理")
    appeal.refresh_from_db()
    pairs = offered_pairs = 0
    for user in _users(world):
        offered = set(allowed_actions(user, appeal))
        for s in loop.STEPS:
            if appeal.state not in s.states or (s.when and not s.when(appeal)):
                continue
            if s.name == "report-in":
                continue  # nothing pending: the service answers 409 ("没有待您报到的吹哨") to those who see it
            refused = _service_refuses(s.name, user, appeal)
            assert (s.name in offered) == (not refused), (stage, user.username, s.name)
            pairs += 1
            offered_pairs += s.name in offered
    assert pairs >= 3 * len(_users(world)) and 0 < offered_pairs < pairs
