"""Writes of the workdays context: seeding the calendar from the ``chinesecalendar`` package."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from wangge.core.audit import audit
from wangge.workdays.calendar import package_baseline
from wangge.workdays.models import CalendarYear, DayOverride, Source
from wangge.workdays.selectors import calendar_invalidate


@transaction.atomic
def calendar_seed(*, years: list[int] | None = None, by: Any = None) -> dict[str, int]:
    """Copy the package's holidays and make-up days into the table so administrators can see and edit them.

    Idempotent; rows entered by hand (``source=manual``) are never overwritten. Returns counts."""
    days, names, covered = package_baseline()
    wanted = set(covered if years is None else [y for y in years if y in covered])
    manual = set(DayOverride.objects.filter(source=Source.MANUAL).values_list("date", flat=True))
    created = updated = 0
    for d, working in sorted(days.items()):
        if d.year not in wanted or d in manual:
            continue
        _, was_created = DayOverride.objects.update_or_create(
            date=d,
            defaults={"is_working_day": working, "name": names.get(d, ""), "source": Source.CHINESECALENDAR},
        )
        created += was_created
        updated += not was_created
    for y in sorted(wanted):
        CalendarYear.objects.update_or_create(
            year=y,
            defaults={"complete": True, "source": Source.CHINESECALENDAR, "note": "chinesecalendar"},
        )
    if by is not None:
        audit("import", None, by=by, object_type="workdays.dayoverride", changes={"created": created})
    transaction.on_commit(calendar_invalidate)
    calendar_invalidate()
    return {"years": len(wanted), "created": created, "updated": updated}
