"""The registry's demo hook leaves one applied correction, one awaiting approval and one conflict."""

from __future__ import annotations

import io
import random
from types import SimpleNamespace
from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.registry import demo
from wangge.registry.models import RegistryChange
from wangge.testing import make_user

from .factories import admin_user, make_household, make_resident


@pytest.mark.django_db
def test_demo_hook_makes_a_pending_correction_and_a_conflict(tree: Any) -> None:
    admin = admin_user()
    h = make_household(tree.grid_a, admin)
    for _ in range(4):
        make_resident(household=h, by=admin)
    users = {"gridworker001": make_user(Role.GRID_WORKER, tree.grid_a), "admin": admin}
    out = io.StringIO()
    ctx = SimpleNamespace(users=users, grids=[tree.grid_a], rng=random.Random(7), stdout=out)
    ctx.log = lambda message: out.write(message + "\n")
    demo.populate_demo(ctx)
    statuses = sorted(RegistryChange.objects.values_list("status", flat=True))
    assert statuses == ["applied", "applied", "conflict", "pending"]
    assert RegistryChange.objects.get(status="pending").kind == "id_number"
