"""The periodic job's step for notifications: hand queued SMS/WeChat messages to the configured sender."""

from __future__ import annotations

import datetime as dt

from .services import deliver_pending


def tick(now: dt.datetime) -> dict[str, int]:
    return deliver_pending()
