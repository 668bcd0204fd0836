"""The calendar built from the database: seeded rows, hand-entered years, cache invalidation, the check."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from wangge.workdays.calendar import CalendarMissing, add_working_time, compute_deadline, is_working_day
from wangge.workdays.checks import calendar_years_check
from wangge.workdays.models import CalendarYear, DayOverride, Source, WorkingHours
from wangge.workdays.selectors import calendar_current, calendar_invalidate
from wangge.workdays.services import calendar_seed

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    calendar_invalidate()
    yield
    calendar_invalidate()


def test_seed_copies_the_package_and_keeps_manual_rows() -> None:
    DayOverride.objects.all().delete()
    CalendarYear.objects.all().delete()
    DayOverride.objects.create(
        date=dt.date(2025, 10, 9), is_working_day=False, name="本地停工", source=Source.MANUAL
    )
    result = calendar_seed(years=[2025])
    assert result["years"] == 1
    assert DayOverride.objects.get(date=dt.date(2025, 10, 11)).is_working_day is True
    assert DayOverride.objects.get(date=dt.date(2025, 10, 1)).name == "国庆节"
    manual = DayOverride.objects.get(date=dt.date(2025, 10, 9))
    assert (manual.is_working_day, manual.source) == (False, Source.MANUAL)
    assert CalendarYear.objects.get(year=2025).complete
    # Idempotent.
    assert calendar_seed(years=[2025])["created"] == 0


def test_migration_seeded_the_package_years() -> None:
    assert CalendarYear.objects.filter(complete=True, year=2025).exists()
    assert DayOverride.objects.filter(date=dt.date(2025, 9, 28), is_working_day=True).exists()


def test_database_override_wins_and_cache_is_invalidated_on_save() -> None:
    d = dt.date(2025, 10, 9)  # a normal Thursday
    assert is_working_day(d, calendar_current())
    DayOverride.objects.update_or_create(date=d, defaults={"is_working_day": False, "name": "临时休息"})
    assert not is_working_day(d, calendar_current())
    assert not is_working_day(d)  # the default calendar is the database one


def test_hand_entered_year_removes_the_warning_flag() -> None:
    start = dt.datetime(2027, 3, 2, 9, 0, tzinfo=SH)
    with pytest.warns(CalendarMissing):
        assert compute_deadline(start, 1, "working_days").assumed_years == (2027,)
    CalendarYear.objects.create(year=2027, complete=True)
    assert compute_deadline(start, 1, "working_days").assumed_years == ()


def test_working_hours_row_changes_deadlines() -> None:
    WorkingHours.objects.create(
        pk=1,
        morning_start=dt.time(9),
        morning_end=dt.time(12),
        afternoon_start=dt.time(14),
        afternoon_end=dt.time(18),
    )
    start = dt.datetime(2025, 9, 23, 17, 0, tzinfo=SH)
    assert add_working_time(start, 2, "working_hours") == dt.datetime(2025, 9, 24, 10, 0, tzinfo=SH)


def test_system_check_warns_about_a_missing_year(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 20))
    CalendarYear.objects.filter(year=2027).delete()
    warnings = calendar_years_check()
    assert [w.id for w in warnings] == ["workdays.W001"]
    assert "2027" in warnings[0].msg
    CalendarYear.objects.create(year=2027, complete=True)
    assert calendar_years_check() == []
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 6, 1))
    CalendarYear.objects.filter(year=2027).delete()
    assert calendar_years_check() == []


def test_calendar_command(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("calendar", "seed", "--year", "2024")
    assert "seeded 1 years" in capsys.readouterr().out
    call_command("calendar", "status")
    assert "2004" in capsys.readouterr().out
