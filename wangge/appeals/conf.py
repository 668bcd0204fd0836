"""The case loop's configurable numbers. Each can be set in Django settings (``WANGGE_APPEALS_<NAME>``) or the
environment variable of the same name; these are the defaults."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # How many times a "dissatisfied" rating sends a case back for rework (the issue: once).
    "DISSATISFIED_REOPENS": 1,
    # Resolved cases nobody rated close automatically after this many days.
    "AUTO_CLOSE_DAYS": 7,
    # The reporter may reopen a closed case within this many days.
    "REOPEN_DAYS": 15,
    # 临期预警: warn when this fraction of a deadline's span is left.
    "WARN_FRACTION": 0.25,
    # 吹哨报到: summoned units must report in within this limit.
    "REPORT_IN_AMOUNT": 1.0,
    "REPORT_IN_UNIT": "working_days",
    # Probable duplicates: same category within this distance and time window.
    "DUPLICATE_RADIUS_M": 50.0,
    "DUPLICATE_WINDOW_HOURS": 72.0,
    # Uploads.
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    "MAX_IMAGE_SIDE": 2560,
    "MAX_ATTACHMENTS": 9,
    # Separation of duties: a tiny community may let its handlers pass their own on-site check (the figures
    # then count such cases as self-checked).
    "ALLOW_SELF_CHECK": False,
    # Public surfaces (Open311): coordinates rounded to this many decimals of a degree (3 ≈ 100 m).
    "PUBLIC_COORD_DECIMALS": 3,
}


def get(name: str) -> Any:
    key = f"WANGGE_APPEALS_{name}"
    default = DEFAULTS[name]
    if hasattr(settings, key):
        return getattr(settings, key)
    raw = os.environ.get(key)
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return type(default)(raw)
