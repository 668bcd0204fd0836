"""Admin: the calendar is editable and a missing year shows a banner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wangge.workdays.models import CalendarYear, WorkingHours
from wangge.workdays.selectors import calendar_invalidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client, django_user_model: Any) -> Client:
    user = django_user_model.objects.create_superuser(username="root", password="x-very-secret-1")
    client.force_login(user)
    return client


def test_missing_year_banner_and_editing(admin: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 20))
    calendar_invalidate()
    CalendarYear.objects.filter(year=2027).delete()
    page = admin.get("/admin/workdays/calendaryear/").content.decode()
    assert "缺少 2027 年" in page
    r = admin.post("/admin/workdays/calendaryear/add/", {"year": 2027, "complete": "on", "source": "manual"})
    assert r.status_code == 302
    assert "缺少 2027 年" not in admin.get("/admin/workdays/dayoverride/").content.decode()


def test_working_hours_is_one_row(admin: Client) -> None:
    data = {
        "morning_start": "09:00",
        "morning_end": "12:00",
        "afternoon_start": "14:00",
        "afternoon_end": "18:00",
    }
    assert admin.post("/admin/workdays/workinghours/add/", data).status_code == 302
    assert WorkingHours.objects.get().pk == 1
    assert admin.get("/admin/workdays/workinghours/add/").status_code == 403
    bad = admin.post("/admin/workdays/workinghours/1/change/", {**data, "morning_end": "08:00"})
    assert bad.status_code == 200  # the form comes back with the error
    assert WorkingHours.objects.get().morning_end == dt.time(12, 0)
