"""Reads of the workdays context: the current ``Calendar`` built from the database (cached)."""

from __future__ import annotations

import threading
import time

from django.conf import settings

from wangge.workdays.calendar import Calendar
from wangge.workdays.models import CalendarYear, DayOverride, WorkingHours

# Each process keeps one snapshot. Saving or deleting a row in this process drops it at once (signals in
# apps.py); other processes (gunicorn workers) pick the change up within this many seconds.
CACHE_SECONDS = 60.0

_lock = threading.Lock()
_cached: tuple[float, Calendar] | None = None


def calendar_build_from_db() -> Calendar:
    overrides: dict = {}
    names: dict = {}
    for d, working, name in DayOverride.objects.values_list("date", "is_working_day", "name"):
        overrides[d] = working
        if name:
            names[d] = name
    years = CalendarYear.objects.filter(complete=True).values_list("year", flat=True)
    hours = WorkingHours.objects.filter(pk=1).first()
    return Calendar.build(
        overrides=overrides,
        names=names,
        extra_years=list(years),
        periods=hours.periods() if hours else None,
        tz=settings.TIME_ZONE,
    )


def calendar_current() -> Calendar:
    """The calendar every deadline uses: package baseline + database rows, cached per process."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    with _lock:
        cal = calendar_build_from_db()
        _cached = (now, cal)
    return cal


def calendar_invalidate() -> None:
    global _cached
    _cached = None


def calendar_missing_years(*, ahead: int = 1) -> list[int]:
    """The current year and the next ``ahead`` years that have no holiday schedule (for warnings)."""
    from django.utils import timezone

    cal = calendar_current()
    this = timezone.localdate().year
    return [y for y in range(this, this + ahead + 1) if not cal.is_covered(y)]
