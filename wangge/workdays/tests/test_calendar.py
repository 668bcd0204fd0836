"""Working-time arithmetic with fixed clocks over the real 2025/2026 schedule (chinesecalendar)."""

from __future__ import annotations

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import pytest

from wangge.workdays.calendar import (
    Calendar,
    CalendarMissing,
    add_working_time,
    compute_deadline,
    is_working_day,
    working_hours_between,
)

SH = ZoneInfo("Asia/Shanghai")


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=SH)


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar.build()


def test_national_day_2025_is_a_holiday_and_make_up_days_are_working(cal: Calendar) -> None:
    for day in range(1, 9):
        assert not is_working_day(dt.date(2025, 10, day), cal)
    assert is_working_day(dt.date(2025, 9, 28), cal)  # Sunday, 调休上班
    assert is_working_day(dt.date(2025, 10, 11), cal)  # Saturday, 调休上班
    assert not is_working_day(dt.date(2025, 9, 27), cal)  # plain Saturday
    assert is_working_day(dt.date(2025, 10, 9), cal)
    assert cal.day_name(dt.date(2025, 10, 1)) == "国庆节"
    assert cal.day_name(dt.date(2025, 10, 11)) == "国庆节调休上班"


def test_overnight_working_hours_continue_next_morning(cal: Calendar) -> None:
    # Tue 17:00 + 2 h: 17:00–17:30, then Wed 08:30–10:00.
    assert add_working_time(at("2025-09-23T17:00"), 2, "working_hours", cal) == at("2025-09-24T10:00")


def test_lunch_break_is_not_working_time(cal: Calendar) -> None:
    assert add_working_time(at("2025-09-23T11:00"), 2, "working_hours", cal) == at("2025-09-23T14:30")
    assert add_working_time(at("2025-09-23T12:15"), 1, "working_hours", cal) == at("2025-09-23T14:30")


def test_deadline_on_period_end_stays_at_the_end(cal: Calendar) -> None:
    assert add_working_time(at("2025-09-23T16:30"), 1, "working_hours", cal) == at("2025-09-23T17:30")


def test_weekend_is_skipped(cal: Calendar) -> None:
    # Fri 2025-09-19 17:00 + 2 h → Mon 09-22 10:00; a start on Saturday starts Monday morning.
    assert add_working_time(at("2025-09-19T17:00"), 2, "working_hours", cal) == at("2025-09-22T10:00")
    assert add_working_time(at("2025-09-20T10:00"), 1, "working_days", cal) == at("2025-09-23T08:30")


def test_make_up_sunday_counts(cal: Calendar) -> None:
    # Fri 2025-09-26 17:00 + 2 h: Saturday 27th is off, Sunday 28th is a make-up working day.
    assert add_working_time(at("2025-09-26T17:00"), 2, "working_hours", cal) == at("2025-09-28T10:00")


def test_year_boundary_over_new_year_holiday_to_make_up_sunday(cal: Calendar) -> None:
    # 2025-12-31 (Wed) 17:00 + 2 h: Jan 1–3 2026 off, Sunday Jan 4 is a make-up working day.
    assert add_working_time(at("2025-12-31T17:00"), 2, "working_hours", cal) == at("2026-01-04T10:00")
    assert add_working_time(at("2025-12-31T09:00"), 1, "working_days", cal) == at("2026-01-04T09:00")


def test_deadline_crossing_national_day_and_make_up_saturday_to_the_minute(cal: Calendar) -> None:
    # Tue 2025-09-30 16:15 + 20 working hours:
    # Sep 30 16:15–17:30 = 1.25 h; Oct 1–8 off; Oct 9 7.5 h; Oct 10 7.5 h (16.25 h);
    # Sat Oct 11 (调休上班) 08:30–12:00 = 3.5 h (19.75 h) then 13:30 + 15 min.
    assert add_working_time(at("2025-09-30T16:15"), 20, "working_hours", cal) == at("2025-10-11T13:45")
    # 3 working days from Tue 16:00: Oct 9, Oct 10, Sat Oct 11 → same time on the Saturday.
    assert add_working_time(at("2025-09-30T16:00"), 3, "working_days", cal) == at("2025-10-11T16:00")
    assert add_working_time(at("2025-09-30T16:00"), 4, "working_days", cal) == at("2025-10-13T16:00")


def test_working_days_roll_into_working_time_first(cal: Calendar) -> None:
    assert add_working_time(at("2025-09-23T18:00"), 1, "working_days", cal) == at("2025-09-25T08:30")
    assert add_working_time(at("2025-09-23T12:30"), 1, "working_days", cal) == at("2025-09-24T13:30")
    # 1.5 days = 1 day + 3.75 working hours: Wed 10:00 → Thu 10:00 → 12:00 (2 h) → 13:30 + 1.75 h.
    assert add_working_time(at("2025-09-24T10:00"), 1.5, "working_days", cal) == at("2025-09-25T15:15")


def test_clock_hours_ignore_the_calendar(cal: Calendar) -> None:
    assert add_working_time(at("2025-09-30T20:00"), 24, "clock_hours", cal) == at("2025-10-01T20:00")


def test_utc_input_is_converted_and_result_is_in_shanghai(cal: Calendar) -> None:
    start = dt.datetime(2025, 9, 23, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai
    result = add_working_time(start, 2, "working_hours", cal)
    assert result == at("2025-09-24T10:00")
    assert result.utcoffset() == dt.timedelta(hours=8)


def test_naive_datetimes_and_bad_units_are_refused(cal: Calendar) -> None:
    with pytest.raises(ValueError):
        add_working_time(dt.datetime(2025, 9, 23, 9), 1, "working_hours", cal)
    with pytest.raises(ValueError):
        add_working_time(at("2025-09-23T09:00"), 1, "fortnights", cal)
    with pytest.raises(ValueError):
        add_working_time(at("2025-09-23T09:00"), -1, "working_hours", cal)


def test_working_hours_between_over_the_holiday(cal: Calendar) -> None:
    assert working_hours_between(at("2025-09-30T16:15"), at("2025-10-11T13:45"), cal) == pytest.approx(20)
    assert working_hours_between(at("2025-10-11T13:45"), at("2025-09-30T16:15"), cal) == pytest.approx(-20)
    assert working_hours_between(at("2025-10-01T00:00"), at("2025-10-08T23:59"), cal) == 0
    assert working_hours_between(at("2025-09-23T00:00"), at("2025-09-24T00:00"), cal) == pytest.approx(7.5)


def test_round_trip_between_and_add(cal: Calendar) -> None:
    start = at("2025-12-29T11:20")
    for hours in (0.5, 3, 7.5, 13, 40):
        end = add_working_time(start, hours, "working_hours", cal)
        assert working_hours_between(start, end, cal) == pytest.approx(hours)


def test_custom_working_hours(cal: Calendar) -> None:
    one_period = Calendar.build(periods=[(dt.time(9, 0), dt.time(17, 0))])
    assert add_working_time(at("2025-09-23T16:00"), 2, "working_hours", one_period) == at("2025-09-24T10:00")
    assert one_period.hours_per_day == 8


def test_missing_year_warns_and_flags_the_deadline() -> None:
    cal = Calendar.build(use_package=False, extra_years=[2025])
    with pytest.warns(CalendarMissing, match="2026"):
        deadline = compute_deadline(at("2025-12-31T17:00"), 2, "working_hours", cal)
    # No schedule for 2026: Jan 1 (Thu) is assumed a working day — and the deadline says so.
    assert deadline.at == at("2026-01-01T10:00")
    assert deadline.assumed_years == (2026,)
    assert not deadline.calendar_complete


def test_a_year_entered_by_hand_is_covered() -> None:
    cal = Calendar.build(extra_years=[2098, 2099], overrides={dt.date(2099, 1, 1): False})
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarMissing)
        deadline = compute_deadline(at("2098-12-31T17:00"), 2, "working_hours", cal)
    # Jan 1 2099 (Thu) is off by the override, so the clock resumes on Friday.
    assert deadline.at == at("2099-01-02T10:00")
    assert deadline.assumed_years == ()


def test_covered_years_raise_no_warning(cal: Calendar) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarMissing)
        d = compute_deadline(at("2025-09-30T16:15"), 20, "working_hours", cal)
    assert d.calendar_complete
