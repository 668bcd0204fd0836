"""The visit clock, called by ``wangge tick`` (and by tests with a fixed ``now``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, Any]:
    """Mark missed visits (flagging the grid heads), cancel moved-out households' pending visits and give
    every active household its next ready visit; bad rows are skipped and reported."""
    return services.schedule_tick(now or timezone.now())
