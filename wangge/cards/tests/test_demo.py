"""The demo hook makes every household's card complete: each community a Hai'an hotline, each grid worker
post a work phone."""

from __future__ import annotations

import io
import random
import re

import pytest
from django.utils import timezone

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.areas.models import Area
from wangge.cards import demo, selectors
from wangge.demo.context import DemoContext
from wangge.testing import make_user
from wangge.visits.tests.factories import make_household


@pytest.mark.django_db
def test_demo_hook_gives_hotlines_and_work_phones(tree):
    gw = make_user(Role.GRID_WORKER, tree.grid_a, display_name="网格员小王")
    make_household(tree.grid_a)
    ctx = DemoContext(
        size="small",
        rng=random.Random(1),
        district=tree.district,
        streets=[tree.street],
        communities=[tree.community, tree.other_community],
        grids=[tree.grid_a, tree.grid_b, tree.grid_c],
        users={"gridworker001": gw},
        units={},
        password="x",
        now=timezone.now(),
        stdout=io.StringIO(),
    )
    demo.populate_demo(ctx)
    hotlines = list(Area.objects.filter(level="community").values_list("hotline", flat=True))
    assert len(hotlines) == 2 and len(set(hotlines)) == 2
    assert all(re.fullmatch(r"0513-88\d{6}", h) for h in hotlines)
    assert re.fullmatch(r"1\d{10}", Post.objects.get(user=gw).work_phone)
    _, cards = selectors.grid_cards(viewer=gw, code=tree.grid_a.code)
    assert len(cards) == 1 and cards[0].hotline in hotlines and cards[0].worker_name == "网格员小王"
