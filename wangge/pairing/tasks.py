"""The pairing clock, called by ``wangge tick`` (and by tests with a fixed ``now``)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, int]:
    """Flag overdue visits to the grid worker (once per due date)."""
    now = now or timezone.now()
    return {"missed_visits_flagged": services.flag_missed(now)}
