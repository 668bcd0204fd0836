"""The patrol clock, called by ``wangge tick`` (and by tests with a fixed ``now``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, Any]:
    """Close the patrols left running beyond ``WANGGE_PATROL_MAX_HOURS`` (they end at their last point)."""
    return services.close_stale(now or timezone.now())
