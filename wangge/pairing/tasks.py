"""The pairing clock, called by ``wangge tick`` (and by tests with a fixed ``now``)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, int]:
    """Flag overdue visits to the grid worker (once per due date); rows that cannot be checked are logged and
    counted under ``skipped``."""
    now = now or timezone.now()
    return services.flag_missed(now)
