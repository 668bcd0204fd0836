"""Periodic work, called by ``wangge tick``: expire waitlist offers, record no-shows, close ended tasks."""

from __future__ import annotations

import datetime as dt

from . import services


def tick(now: dt.datetime | None = None) -> dict[str, int]:
    return services.tick(now)
