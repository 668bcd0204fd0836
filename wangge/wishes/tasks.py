"""The wishes clock, called by ``wangge tick`` (and by tests with a fixed ``now``)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from . import services


def tick(now: datetime | None = None) -> dict[str, int]:
    """Expire open wishes past their deadline, lapse stale claims, auto-confirm undisputed deliveries."""
    now = now or timezone.now()
    return {
        "wishes_expired": services.expire_open(now),
        "claims_lapsed": services.lapse_claims(now),
        "wishes_auto_confirmed": services.auto_confirm(now),
    }
