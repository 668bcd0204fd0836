from __future__ import annotations

import io
import random

import pytest
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.demo.context import DemoContext
from wangge.points import demo as points_demo
from wangge.points.models import PointAccount, Reward
from wangge.points.selectors import points_ledger_sum
from wangge.testing import make_user
from wangge.volunteers import demo as volunteers_demo
from wangge.volunteers.models import Activity, Member, Signup, UnitAgreement

from .helpers import quick_user


@pytest.mark.django_db
def test_demo_hooks_fill_every_page(tree) -> None:
    users = {f"volunteer{i:03d}": quick_user() for i in range(1, 21)}
    users["district"] = make_user(Role.DISTRICT, tree.district)
    units = [
        Unit.objects.create(name=f"共建单位{i}", kind=Unit.Kind.CO_BUILDING, area=tree.community)
        for i in range(3)
    ]
    ctx = DemoContext(
        size="small",
        rng=random.Random(1),
        district=tree.district,
        streets=[tree.street],
        communities=[tree.community, tree.other_community],
        grids=[tree.grid_a, tree.grid_b, tree.grid_c],
        users=users,
        units={"co_building": units},
        password="x",
        now=timezone.now(),
        stdout=io.StringIO(),
    )
    volunteers_demo.populate_demo(ctx)
    points_demo.populate_demo(ctx)
    assert Member.objects.count() == 20
    assert UnitAgreement.objects.count() >= 3
    assert Activity.objects.filter(status="open", starts_at__gt=ctx.now).count() >= 3
    assert (
        Signup.objects.filter(status="waitlisted").exists()
        or Signup.objects.filter(status="confirmed").exists()
    )
    assert Reward.objects.filter(stock__gt=0).exists()
    accounts = list(PointAccount.objects.all())
    assert accounts and all(a.balance == points_ledger_sum(a.user) for a in accounts)
