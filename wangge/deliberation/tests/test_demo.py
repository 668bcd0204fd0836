"""The demo hook tells the seeds' stories through the services on the test tree."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.demo.context import DemoContext
from wangge.registry.models import Building, House, Household, Resident
from wangge.testing import make_user

from .. import demo, selectors
from ..models import Acknowledgment, Convention, Dispute, Proposal, Resolution
from .helpers import make_resident_user


def _people(area, n: int) -> None:
    b = Building.objects.create(area=area, name="1号楼", address="东园路1号")
    for i in range(n):
        house = House.objects.create(building=b, entrance=1, room=f"{200 + i}")
        hh = Household.objects.create(house=house, number=f"D{area.code[-3:]}{i}")
        Resident.objects.create(
            household=hh, name=f"居民{i}", gender="female", birth_date=dt.date(1970, 1, 1)
        )


@pytest.mark.django_db
def test_demo_hook_builds_the_stories(tree) -> None:
    _people(tree.grid_a, 30)
    _people(tree.grid_b, 10)
    users = {
        "community": make_user(Role.COMMUNITY_STAFF, tree.community, username="community"),
        "gridworker001": make_user(Role.GRID_WORKER, tree.grid_a, username="gridworker001"),
        "gridworker002": make_user(Role.GRID_WORKER, tree.grid_b, username="gridworker002"),
        "resident": make_resident_user(tree.grid_a, name="宋明华", username="resident"),
        "street": make_user(Role.STREET_STAFF, tree.street, username="street"),
    }
    ctx = DemoContext(
        size="small",
        rng=random.Random(3),
        district=tree.district,
        streets=[tree.street],
        communities=[tree.community, tree.other_community],
        grids=[tree.grid_a, tree.grid_b, tree.grid_c],
        users=users,
        units={},
        password="x",
        now=timezone.now(),
        stdout=io.StringIO(),
    )
    demo.populate_demo(ctx)

    dog = Convention.objects.get()
    assert dog.status == "published" and "养犬" in dog.title and dog.adopted_version.number == 2
    assert dog.adopted_by_resolution.meeting.council.area == tree.grid_a
    assert Acknowledgment.objects.filter(convention=dog).count() >= 8
    case = Resolution.objects.get(outcome="case")
    assert case.meeting.council.area == tree.community and case.appeal.category.code == "SQ0301"
    assert (
        Resolution.objects.filter(outcome="follow_up").exists()
        and Resolution.objects.filter(outcome="task").exists()
    )
    reached = Proposal.objects.get(status="on_agenda")
    assert (
        reached.support_count >= reached.threshold and reached.agenda_items.get().meeting.starts_at > ctx.now
    )
    assert Proposal.objects.filter(status="open").count() == 2
    stats = selectors.mediation_counts(viewer=users["street"])
    assert stats["total"] == len(demo.MEDIATIONS) == Dispute.objects.count()
    assert stats["by_outcome"]["agreement"] == 5 and stats["by_outcome"]["pending"] == 2
