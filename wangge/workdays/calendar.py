"""Working-time arithmetic: pure functions over a ``Calendar`` value.

Conventions (also in docs/metrics.md, "Deadlines"):

* All datetimes are timezone-aware; they are converted to the calendar's zone (``Asia/Shanghai`` by
  default) and results are returned in that zone. Naive datetimes raise ``ValueError``.
* A day is a working day if a ``DayOverride`` (database) or the ``chinesecalendar`` package says so,
  else if it is Monday–Friday. Make-up Saturdays/Sundays (调休上班) are working days; statutory holidays
  are not, whatever weekday they fall on.
* Working time is the union of the working periods (default 08:30–12:00 and 13:30–17:30, i.e. 7.5 h)
  of every working day, each period half-open ``[start, end)``.
* ``working_hours``: the clock runs only inside working time. A start outside working time starts the
  clock at the next working period. The deadline is the moment the amount is used up; a deadline that
  falls exactly on the end of a period is that end (17:30, not the next morning's 08:30).
  Example: Friday 17:00 + 2 working hours = next working day 10:00 (17:00–17:30, then 08:30–10:00).
* ``working_days``: the start is first rolled forward into working time (Saturday 10:00 → Monday 08:30,
  18:00 → next working day 08:30, 12:30 → 13:30); N working days later is the *same time of day* on the
  Nth following working day. A fractional part is added as that fraction of a full working day in
  working hours (1.5 days = 1 day + 3.75 working hours with the default hours).
* ``clock_hours``: plain elapsed time, calendar ignored (e.g. 24-hour emergency limits).
* A year that is neither in the package nor marked complete in the database is a *missing year*: days in
  it fall back to Mon–Fri, a ``CalendarMissing`` warning is emitted and logged, and
  ``compute_deadline(...).assumed_years`` names the years so callers can flag the deadline.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

logger = logging.getLogger("wangge.workdays")

UNITS = ("working_hours", "working_days", "clock_hours")
DEFAULT_TZ = "Asia/Shanghai"
_MAX_DAYS = 3700  # a deadline more than ~10 years of days away is a data error, not a deadline


class CalendarMissing(UserWarning):
    """A deadline or a working-day question touched a year whose holiday schedule is not entered."""


@dataclass
class Calendar:
    """A snapshot of the calendar: day overrides, the years it knows, the working periods, the zone.

    Build one with ``Calendar.build(...)`` (tests) or ``wangge.workdays.selectors.calendar_current()``
    (the database, cached)."""

    overrides: Mapping[dt.date, bool]
    covered_years: frozenset[int]
    periods: tuple[tuple[dt.time, dt.time], ...]
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TZ))
    names: Mapping[dt.date, str] = field(default_factory=dict)
    _warned: set[int] = field(default_factory=set, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        *,
        overrides: Mapping[dt.date, bool] | None = None,
        names: Mapping[dt.date, str] | None = None,
        extra_years: Iterable[int] = (),
        periods: Iterable[tuple[dt.time, dt.time]] | None = None,
        tz: str = DEFAULT_TZ,
        use_package: bool = True,
    ) -> Calendar:
        """The package baseline (if ``use_package``) with ``overrides`` layered on top."""
        days: dict[dt.date, bool] = {}
        day_names: dict[dt.date, str] = {}
        years: set[int] = set(extra_years)
        if use_package:
            pkg_days, pkg_names, pkg_years = package_baseline()
            days.update(pkg_days)
            day_names.update(pkg_names)
            years |= pkg_years
        days.update(overrides or {})
        day_names.update(names or {})
        if periods is None:
            periods = [(dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30))]
        ordered = tuple(sorted(periods))
        for a, b in ordered:
            if not a < b:
                raise ValueError(f"bad working period {a}–{b}")
        if not ordered:
            raise ValueError("at least one working period is needed")
        return cls(
            overrides=days,
            covered_years=frozenset(years),
            periods=ordered,
            tz=ZoneInfo(tz),
            names=day_names,
        )

    # -- days --------------------------------------------------------------------------------------
    def is_covered(self, year: int) -> bool:
        return year in self.covered_years

    def is_working_day(self, d: dt.date) -> bool:
        if isinstance(d, dt.datetime):
            d = d.astimezone(self.tz).date()
        if d in self.overrides:
            return self.overrides[d]
        if d.year not in self.covered_years:
            self._warn_missing(d.year)
        return d.weekday() < 5

    def day_name(self, d: dt.date) -> str:
        return self.names.get(d, "")

    def _warn_missing(self, year: int) -> None:
        if year in self._warned:
            return
        self._warned.add(year)
        msg = (
            f"working-day calendar for {year} is missing: assuming Mon–Fri. "
            "Enter the year's holidays and make-up days (admin → 工作日历) and mark it complete."
        )
        logger.warning(msg)
        warnings.warn(msg, CalendarMissing, stacklevel=3)

    @property
    def hours_per_day(self) -> float:
        return sum(_seconds(a, b) for a, b in self.periods) / 3600.0

    # -- helpers -----------------------------------------------------------------------------------
    def _local(self, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("working-time arithmetic needs timezone-aware datetimes")
        return when.astimezone(self.tz)

    def _at(self, d: dt.date, t: dt.time) -> dt.datetime:
        return dt.datetime.combine(d, t, tzinfo=self.tz)

    def _roll_forward(self, when: dt.datetime) -> dt.datetime:
        """The first moment of working time at or after ``when`` (which is local)."""
        d = when.date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(d):
                for a, b in self.periods:
                    start, end = self._at(d, a), self._at(d, b)
                    if when < end:
                        return max(when, start)
            d += dt.timedelta(days=1)
            when = self._at(d, dt.time(0, 0))
        raise ValueError("no working time found within ten years")


def _seconds(a: dt.time, b: dt.time) -> float:
    return (dt.datetime.combine(dt.date.min, b) - dt.datetime.combine(dt.date.min, a)).total_seconds()


_PACKAGE_CACHE: tuple[dict[dt.date, bool], dict[dt.date, str], frozenset[int]] | None = None


def package_baseline() -> tuple[dict[dt.date, bool], dict[dt.date, str], frozenset[int]]:
    """Days, names and covered years from the ``chinesecalendar`` package (cached)."""
    global _PACKAGE_CACHE
    if _PACKAGE_CACHE is None:
        import chinese_calendar as cc

        by_value = {h.value: h.chinese for h in cc.Holiday}
        days: dict[dt.date, bool] = {}
        names: dict[dt.date, str] = {}
        for d, holiday in cc.holidays.items():
            days[d] = False
            names[d] = by_value.get(holiday, holiday)
        for d, holiday in cc.workdays.items():
            days[d] = True
            names[d] = f"{by_value.get(holiday, holiday)}调休上班"
        first, last = min(cc.holidays).year, max(cc.holidays).year
        _PACKAGE_CACHE = (days, names, frozenset(range(first, last + 1)))
    return _PACKAGE_CACHE


def _default() -> Calendar:
    from wangge.workdays.selectors import calendar_current

    return calendar_current()


# -- public pure functions -------------------------------------------------------------------------


def is_working_day(d: dt.date | dt.datetime, cal: Calendar | None = None) -> bool:
    cal = cal or _default()
    return cal.is_working_day(d)


def _add_working_seconds(cal: Calendar, when: dt.datetime, seconds: float) -> dt.datetime:
    """``when`` local; walks the working periods consuming ``seconds`` (> 0) of working time."""
    remaining = seconds
    d = when.date()
    for _ in range(_MAX_DAYS):
        if cal.is_working_day(d):
            for a, b in cal.periods:
                start, end = cal._at(d, a), cal._at(d, b)
                if when >= end:
                    continue
                begin = max(when, start)
                available = (end - begin).total_seconds()
                if remaining <= available:
                    return begin + dt.timedelta(seconds=remaining)
                remaining -= available
                when = end
        d += dt.timedelta(days=1)
        when = cal._at(d, dt.time(0, 0))
    raise ValueError("deadline more than ten years away")


def _add_working_days(cal: Calendar, when: dt.datetime, days: int) -> dt.datetime:
    when = cal._roll_forward(when)
    d = when.date()
    counted = 0
    for _ in range(_MAX_DAYS):
        if counted == days:
            return cal._at(d, when.time())
        d += dt.timedelta(days=1)
        if cal.is_working_day(d):
            counted += 1
    raise ValueError("deadline more than ten years away")


def add_working_time(
    start: dt.datetime, amount: float, unit: str, cal: Calendar | None = None
) -> dt.datetime:
    """The deadline ``amount`` ``unit`` after ``start`` (see the module docstring for the conventions)."""
    cal = cal or _default()
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {UNITS}")
    if amount < 0 or not math.isfinite(amount):
        raise ValueError("amount must be a finite number ≥ 0")
    local = cal._local(start)
    if unit == "clock_hours":
        return (local + dt.timedelta(hours=amount)).astimezone(cal.tz)
    if unit == "working_hours":
        if amount == 0:
            return cal._roll_forward(local)
        return _add_working_seconds(cal, local, amount * 3600.0)
    whole = int(math.floor(amount))
    frac = amount - whole
    result = _add_working_days(cal, local, whole)
    if frac > 1e-9:
        result = _add_working_seconds(cal, result, frac * cal.hours_per_day * 3600.0)
    return result


def working_hours_between(start: dt.datetime, end: dt.datetime, cal: Calendar | None = None) -> float:
    """Working hours in ``[start, end)``; negative when ``end`` is before ``start``."""
    cal = cal or _default()
    a, b = cal._local(start), cal._local(end)
    if b < a:
        return -working_hours_between(end, start, cal)
    total = 0.0
    d = a.date()
    last = b.date()
    if (last - d).days > _MAX_DAYS:
        raise ValueError("interval longer than ten years")
    while d <= last:
        if cal.is_working_day(d):
            for p, q in cal.periods:
                lo, hi = max(a, cal._at(d, p)), min(b, cal._at(d, q))
                if hi > lo:
                    total += (hi - lo).total_seconds()
        d += dt.timedelta(days=1)
    return total / 3600.0


@dataclass(frozen=True)
class Deadline:
    """A computed deadline and the years it had to assume Mon–Fri for (empty = trustworthy)."""

    at: dt.datetime
    assumed_years: tuple[int, ...] = ()

    @property
    def calendar_complete(self) -> bool:
        return not self.assumed_years


def compute_deadline(start: dt.datetime, amount: float, unit: str, cal: Calendar | None = None) -> Deadline:
    """``add_working_time`` plus the flag: which years between start and deadline the calendar lacks."""
    cal = cal or _default()
    at = add_working_time(start, amount, unit, cal)
    if unit == "clock_hours":
        return Deadline(at=at)
    first, last = cal._local(start).year, at.year
    missing = tuple(y for y in range(first, last + 1) if not cal.is_covered(y))
    return Deadline(at=at, assumed_years=missing)


def missing_years(years: Iterable[int], cal: Calendar | None = None) -> list[int]:
    cal = cal or _default()
    return [y for y in years if not cal.is_covered(y)]
