"""The attendance clock, called by ``wangge tick`` (hourly) and by tests with a fixed ``now``."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, int]:
    """Record the weeks that ended; weeks below the rule are flagged to the community secretary and street."""
    return services.weeks_close(now or timezone.now())
