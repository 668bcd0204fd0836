"""The demo hook: a scheme per subject kind, weights summing to 100, a year of scores by the real code."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.demo.context import DemoContext
from wangge.testing import make_user

from .. import demo
from ..models import GridWorkerGrade, Scheme, Score, ScoreItem, ScoreRun
from .helpers import make_month


@pytest.mark.django_db
def test_demo_hook_makes_a_scheme_per_subject_kind_and_a_year_of_scores(tree):
    m = make_month(tree)
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    Appeal.objects.filter(pk__in=[c.pk for c in m.cases.values()]).update(lead_user=gw)
    ctx = DemoContext(
        size="small",
        rng=random.Random(1),
        district=tree.district,
        streets=[tree.street],
        communities=[tree.community, tree.other_community],
        grids=[tree.grid_a, tree.grid_b, tree.grid_c],
        users={"admin": make_user(Role.ADMIN), "community": make_user(Role.COMMUNITY_STAFF, tree.community),
               "gridworker001": gw},
        units={},
        password="x",
        now=dt.datetime(2025, 11, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        stdout=io.StringIO(),
    )  # fmt: skip
    demo.populate_demo(ctx)
    assert sorted(Scheme.objects.values_list("subject_kind", flat=True)) == [
        "community", "grid", "grid_worker", "street",
    ]  # fmt: skip
    for scheme in Scheme.objects.all():
        assert scheme.state == "active"
        assert scheme.items.aggregate(w=Sum("weight"))["w"] == Decimal(100)
    assert ScoreRun.objects.filter(scheme__subject_kind="grid_worker").count() == 12
    assert ScoreRun.objects.get(scheme__subject_kind="street").period_start == dt.date(2024, 1, 1)
    october = Score.objects.get(
        subject_kind="community", period_start=dt.date(2025, 10, 1), area=tree.community
    )
    # The real figures of the hand-computed month (helpers.py), scored with the demo's floors.
    resolution = october.items.get(figure="appeals.resolution_rate")
    assert (resolution.numerator, resolution.denominator, resolution.evidence_count) == (1, 3, 3)
    for score in Score.objects.all():
        assert score.total == (ScoreItem.objects.filter(score=score).aggregate(p=Sum("points"))["p"] or 0)
    assert GridWorkerGrade.objects.filter(post__user=gw).exists()
