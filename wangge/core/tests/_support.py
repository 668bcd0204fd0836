"""Helpers for tests that start other processes against the test database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.db import connection

REPO = Path(__file__).resolve().parents[3]


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for a child process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({"DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "wangge.settings", **extra})
    return env


PYTHON = sys.executable
