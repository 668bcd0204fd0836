"""The wishes clock, called by ``wangge tick`` (and by tests with a fixed ``now``)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, int]:
    """Expire open wishes past their deadline, lapse stale claims, auto-confirm undisputed deliveries.
    Rows that cannot be processed are logged and counted under ``skipped``."""
    now = now or timezone.now()
    skipped: list[int] = []
    return {
        "wishes_expired": services.expire_open(now),
        "claims_lapsed": services.lapse_claims(now, skipped),
        "wishes_auto_confirmed": services.auto_confirm(now, skipped),
        "skipped": len(skipped),
    }
