"""The demo hook fills the today page and the figures: visits, some unverified, some missed, a case."""

from __future__ import annotations

import io
import random

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.demo.context import DemoContext
from wangge.testing import make_user
from wangge.visits import demo, selectors
from wangge.visits.models import ScheduledVisit, Visit
from wangge.visits.tests.factories import make_household


@pytest.mark.django_db
def test_demo_hook_makes_weeks_of_visits(tree):
    gw1 = make_user(Role.GRID_WORKER, tree.grid_a)
    gw2 = make_user(Role.GRID_WORKER, tree.grid_b)
    for i in range(30):
        make_household(tree.grid_a if i % 2 else tree.grid_b, tags=("elderly_alone",) if i % 3 == 0 else ())
    ctx = DemoContext(
        size="small",
        rng=random.Random(1),
        district=tree.district,
        streets=[tree.street],
        communities=[tree.community, tree.other_community],
        grids=[tree.grid_a, tree.grid_b, tree.grid_c],
        users={
            "gridworker001": gw1,
            "gridworker002": gw2,
            "district": make_user(Role.DISTRICT, tree.district),
        },
        units={},
        password="x",
        now=timezone.now(),
        stdout=io.StringIO(),
    )
    demo.populate_demo(ctx)
    assert Visit.objects.count() > 30
    assert Visit.objects.filter(verified=False).exists()
    assert ScheduledVisit.objects.filter(state="missed").exists()
    assert Visit.objects.filter(findings__isnull=False).exists()
    assert ScheduledVisit.objects.filter(state="ready").count() == 30
    m = selectors.visit_metrics(viewer=ctx.users["district"], area=tree.community.code)
    assert 0 < m["total"]["completion"] < 1
