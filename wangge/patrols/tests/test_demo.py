"""The demo hook makes weeks of morning patrols along the grids' buildings, with cases from discoveries whose
descriptions match their categories."""

from __future__ import annotations

import io
import random

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.demo.context import DemoContext
from wangge.patrols import demo, selectors
from wangge.patrols.models import Patrol, PatrolDiscovery, PatrolPoint
from wangge.patrols.tests.factories import make_building
from wangge.testing import make_user


@pytest.mark.django_db
def test_demo_hook_makes_weeks_of_patrols(tree):
    gw1 = make_user(Role.GRID_WORKER, tree.grid_a)
    gw2 = make_user(Role.GRID_WORKER, tree.grid_b)
    for i in range(12):
        make_building(
            tree.grid_a if i % 2 else tree.grid_b, north_m=(i // 4) * 80 - 80, east_m=(i % 4) * 80 - 120
        )
    district = make_user(Role.DISTRICT, tree.district)
    ctx = DemoContext(
        size="small",
        rng=random.Random(3),
        district=tree.district,
        streets=[tree.street],
        communities=[tree.community, tree.other_community],
        grids=[tree.grid_a, tree.grid_b, tree.grid_c],
        users={"gridworker001": gw1, "gridworker002": gw2, "district": district},
        units={},
        password="x",
        now=timezone.now(),
        stdout=io.StringIO(),
    )
    demo.populate_demo(ctx)
    patrols = Patrol.objects.all()
    assert 2 * 14 <= patrols.count() <= 2 * 18  # three weeks without Sundays and a few days off
    assert not patrols.filter(state="running").exists()
    for p in patrols:
        local = timezone.localtime(p.started_at)
        assert 8 <= local.hour <= 9, local  # morning rounds
    assert PatrolPoint.objects.filter(good=False).exists() and PatrolPoint.objects.filter(good=True).exists()
    found = PatrolDiscovery.objects.select_related("appeal__category")
    assert found.exists()
    assert all(d.appeal.channel == "patrol" for d in found)
    m = selectors.patrol_metrics(viewer=district, area=tree.community.code)
    assert m["total"]["coverage"] > 0.5
