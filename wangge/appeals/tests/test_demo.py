"""The demo cases: a few weeks of the loop on a simulated clock, through the real services."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter

import pytest

from wangge.accounts.roles import Role
from wangge.appeals import demo
from wangge.appeals.models import Appeal, AppealEvent
from wangge.demo.context import DemoContext
from wangge.testing import make_user

from .conftest import MONDAY, World

pytestmark = pytest.mark.django_db


def test_demo_cases_cover_every_state_with_past_timestamps(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "SMALL_CASES", 70)
    monkeypatch.setattr(demo, "SMALL_DAYS", 25)
    tree = world.tree
    district = make_user(Role.DISTRICT, tree.district, username="district")
    volunteer = make_user(Role.VOLUNTEER, username="volunteer001")
    out = io.StringIO()
    ctx = DemoContext(
        size="small",
        rng=random.Random(7),
        district=tree.district,
        streets=[tree.street],
        communities=[tree.community, tree.other_community],
        grids=[tree.grid_a, tree.grid_b, tree.grid_c],
        users={
            "community": world.community,
            "street": world.street,
            "district": district,
            "resident": world.resident,
            "volunteer001": volunteer,
            "gw_a": world.grid_worker,
            "gw_b": world.grid_worker_b,
        },
        units={
            "department": [world.department, world.other_department],
            "property_company": [world.property_co],
        },
        password="pw",
        now=MONDAY + dt.timedelta(days=25),
        stdout=out,
    )
    demo.populate_demo(ctx)

    states = Counter(Appeal.objects.values_list("state", flat=True))
    assert sum(states.values()) >= 70  # plus the merged duplicates
    assert states["closed"] > 15
    open_states = {"submitted", "opened", "dispatched", "acknowledged", "in_progress", "resolved"}
    assert sum(states[s] for s in open_states) > 0  # recent cases are still running
    assert Appeal.objects.filter(overdue=True).exists()
    assert (
        Appeal.objects.filter(rework_count__gt=0).exists()
        or Appeal.objects.filter(dissatisfied_reopens__gt=0).exists()
    )
    assert Appeal.objects.exclude(rating="").exists()
    kinds = set(AppealEvent.objects.values_list("kind", flat=True))
    assert {
        "submitted",
        "accepted",
        "dispatched",
        "acknowledged",
        "resolved",
        "rated",
        "closed",
        "escalated",
    } <= kinds
    # Every step happened on the simulated clock, never in the future of ``ctx.now``.
    assert not AppealEvent.objects.filter(at__gt=ctx.now).exists()
    assert not Appeal.objects.filter(reported_at__lt=ctx.now - dt.timedelta(days=26)).exists()
    # Units that had no account got one, so they could handle their cases.
    assert "appeals: 演示诉求" in out.getvalue()
