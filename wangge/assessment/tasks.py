"""The assessment clock, called by ``wangge tick`` (hourly): once a month or year has ended, each active
scheme's scores for it are computed, once (a later recomputation is the management command's job)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from . import services


def tick(now: dt.datetime | None = None) -> dict[str, Any] | None:
    return services.tick(now or timezone.now())
