"""Reads of attendance: assignments in the viewer's scope (and the cadre's own), this week's status of each,
a cadre's monthly record. Every read starts from ``CadreAssignment.objects.visible_to(viewer)``.

A month's weeks are the ISO weeks whose Thursday falls in the month (ISO 8601's rule for which month/year a
week belongs to), so every week belongs to exactly one month and a year's records add up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from wangge.core.scoping import get_visible_or_404

from .models import AttendanceWeek, CadreAssignment, CheckIn, week_start

FLAG_WEEKS = 8  # the cadre list shows the weeks below the rule among the last 8 closed ones


def assignment_list(
    *, viewer: Any, area: str | None = None, on: dt.date | None = None, mine: bool = False
) -> QuerySet[CadreAssignment]:
    """Assignments the viewer sees (their scope's and their own), serving on ``on`` when given."""
    qs = CadreAssignment.objects.visible_to(viewer).select_related("user", "area")
    if mine:
        qs = qs.filter(user_id=viewer.pk)
    if area:
        qs = qs.filter(area__code__startswith=area)
    if on:
        qs = qs.filter(starts_on__lte=on, ends_on__gte=on)
    return qs.order_by("area__code", "role", "id")


def assignment_get(*, viewer: Any, pk: int) -> CadreAssignment:
    return get_visible_or_404(CadreAssignment.objects.select_related("user", "area"), viewer, pk=pk)


@dataclass
class WeekStatus:
    monday: dt.date
    days: int
    required: int
    judged: bool  # a full week inside the assignment (partial first/last weeks are shown, not judged)
    closed: bool  # the week has ended
    record: AttendanceWeek | None = None

    @property
    def met(self) -> bool:
        return self.days >= self.required

    @property
    def iso(self) -> tuple[int, int]:
        y, w, _d = self.monday.isocalendar()
        return y, w


def _judged(a: CadreAssignment, monday: dt.date) -> bool:
    return a.starts_on <= monday and monday + dt.timedelta(days=6) <= a.ends_on


def this_week(assignments: list[CadreAssignment], today: dt.date | None = None) -> dict[int, dict[str, Any]]:
    """Per assignment: this week's counted days so far and the closed weeks below the rule among the last
    ``FLAG_WEEKS``. Two queries for any number of assignments."""
    today = today or timezone.localdate()
    monday = week_start(today)
    ids = [a.pk for a in assignments]
    days = dict(
        CheckIn.objects.filter(assignment_id__in=ids, counted=True, day__gte=monday, day__lte=today)
        .values("assignment_id")
        .annotate(n=Count("id"))
        .values_list("assignment_id", "n")
    )
    flags = dict(
        AttendanceWeek.objects.filter(
            assignment_id__in=ids, met=False, week_start__gte=monday - dt.timedelta(weeks=FLAG_WEEKS)
        )
        .values("assignment_id")
        .annotate(n=Count("id"))
        .values_list("assignment_id", "n")
    )
    return {
        a.pk: {
            "days": days.get(a.pk, 0),
            "required": a.days_per_week,
            "met": days.get(a.pk, 0) >= a.days_per_week,
            "serving": a.covers(today),
            "flags": flags.get(a.pk, 0),
        }
        for a in assignments
    }


def month_weeks(year: int, month: int) -> list[dt.date]:
    """The Mondays of the ISO weeks whose Thursday lies in the month."""
    first = dt.date(year, month, 1)
    thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    out = []
    while thursday.month == month:
        out.append(thursday - dt.timedelta(days=3))
        thursday += dt.timedelta(weeks=1)
    return out


@dataclass
class MonthRecord:
    assignment: CadreAssignment
    year: int
    month: int
    check_ins: list[CheckIn]
    weeks: list[WeekStatus] = field(default_factory=list)

    @property
    def days_present(self) -> int:
        return len({c.day for c in self.check_ins if c.counted and c.day.month == self.month})

    @property
    def weeks_met(self) -> int:
        return sum(1 for w in self.weeks if w.judged and w.closed and w.met)

    @property
    def weeks_not_met(self) -> int:
        return sum(1 for w in self.weeks if w.judged and w.closed and not w.met)


def month_record(a: CadreAssignment, year: int, month: int, today: dt.date | None = None) -> MonthRecord:
    """The month's check-ins (every one, counted or not) and its weeks: closed weeks from their records,
    others counted from the check-ins (this week so far). Three queries."""
    today = today or timezone.localdate()
    mondays = month_weeks(year, month)
    first_day = min(dt.date(year, month, 1), mondays[0])
    last_day = max(
        (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)),
        mondays[-1] + dt.timedelta(days=6),
    )
    rows = list(
        CheckIn.objects.filter(assignment=a, day__gte=first_day, day__lte=last_day)
        .select_related("place")
        .order_by("at", "id")
    )
    records = {w.week_start: w for w in AttendanceWeek.objects.filter(assignment=a, week_start__in=mondays)}
    weeks = []
    for monday in mondays:
        rec = records.get(monday)
        counted = rec.days if rec else len({c.day for c in rows if c.counted and week_start(c.day) == monday})
        weeks.append(
            WeekStatus(
                monday=monday,
                days=counted,
                required=rec.required if rec else a.days_per_week,
                judged=_judged(a, monday),
                closed=monday + dt.timedelta(days=6) < today,
                record=rec,
            )
        )
    in_month = [c for c in rows if c.day.year == year and c.day.month == month]
    return MonthRecord(a, year, month, in_month, weeks)


def parse_month(raw: str | None, today: dt.date | None = None) -> tuple[int, int] | None:
    """``YYYY-MM`` (2000–2100) or None for anything else; empty means this month."""
    today = today or timezone.localdate()
    if not raw:
        return today.year, today.month
    if len(raw) != 7 or raw[4] != "-" or not (raw[:4].isdigit() and raw[5:].isdigit()):
        return None
    y, m = int(raw[:4]), int(raw[5:])
    if not (2000 <= y <= 2100 and 1 <= m <= 12):
        return None
    return y, m
