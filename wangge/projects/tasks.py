"""The projects clock, called by ``wangge tick``: overdue milestones are flagged once."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, int]:
    return services.flag_overdue(now or timezone.now())
