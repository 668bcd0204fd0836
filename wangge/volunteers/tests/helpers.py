from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.accounts.services import user_create
from wangge.testing import make_user
from wangge.volunteers import services

_seq = itertools.count(1)


def quick_user(role: str = Role.VOLUNTEER, **kw: Any):  # type: ignore[no-untyped-def]
    """A user without a password (password hashing is what makes many users slow to create)."""
    return user_create(
        username=f"vq{next(_seq)}_{role}", password=None, role=role, display_name=kw.pop("name", "志愿者")
    )


def make_activity(
    area: Any, *, capacity: int = 6, by: Any = None, starts_in_h: float = 24, hours: float = 3, **kw: Any
):  # type: ignore[no-untyped-def]
    by = by or make_user(Role.COMMUNITY_STAFF, area)
    start = kw.pop("starts_at", None) or timezone.now() + dt.timedelta(hours=starts_in_h)
    return services.activity_create(
        title=kw.pop("title", "核酸检测志愿者"),
        area=area,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        capacity=capacity,
        by=by,
        **kw,
    )
