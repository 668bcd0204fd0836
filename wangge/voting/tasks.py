"""The voting clock, called by ``wangge tick``: votes and surveys whose period is over are closed and counted."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, int]:
    return {"votes_closed": services.close_due(now or timezone.now())}
