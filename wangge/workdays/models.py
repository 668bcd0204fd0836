"""Models of the workdays context: the statutory holiday / 调休 calendar and the working hours.

The built-in baseline is the ``chinesecalendar`` package (every year it covers). Rows here are layered on
top of it: a ``DayOverride`` always wins over the package, and a ``CalendarYear`` marked complete declares a
year the package does not know yet (each November the State Council publishes the next year's schedule;
an administrator enters it here). Deadlines that touch a year that is neither in the package nor marked
complete are computed Mon–Fri *and flagged* (see ``wangge.workdays.calendar.CalendarMissing``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    CHINESECALENDAR = "chinesecalendar", _("chinesecalendar 软件包")
    MANUAL = "manual", _("手工录入")


class CalendarYear(models.Model):
    """One calendar year's status: has its holiday schedule been published and entered completely?"""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    complete = models.BooleanField(
        _("已完整录入"),
        default=False,
        help_text=_(
            "该年度国务院放假安排（含调休上班日）已全部录入。未完整录入的年份按周一至周五计算并告警。"
        ),
    )
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2200), name="workdays_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}"


class DayOverride(models.Model):
    """A date whose working status differs from, or is named beyond, the plain Mon–Fri rule:
    a statutory holiday (春节, 国庆节 …, also when it falls on a weekend) or a make-up working day (调休上班)."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("上班"), default=False)
    name = models.CharField(_("名称"), max_length=60, blank=True, help_text=_("例如：春节、国庆节调休上班"))
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")

    def __str__(self) -> str:
        state = "上班" if self.is_working_day else "休息"
        return f"{self.date:%Y-%m-%d} {self.name or ''} {state}".strip()


def default_periods() -> list[tuple[dt.time, dt.time]]:
    return [(dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30))]


class WorkingHours(models.Model):
    """The office hours of a working day (one row, pk=1). Without a row the defaults 08:30–12:00 and
    13:30–17:30 apply. Leave the afternoon empty for a single continuous period."""

    morning_start = models.TimeField(_("上午上班"), default=dt.time(8, 30))
    morning_end = models.TimeField(_("上午下班"), default=dt.time(12, 0))
    afternoon_start = models.TimeField(_("下午上班"), null=True, blank=True, default=dt.time(13, 30))
    afternoon_end = models.TimeField(_("下午下班"), null=True, blank=True, default=dt.time(17, 30))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作时间")
        verbose_name_plural = _("工作时间")

    def __str__(self) -> str:
        return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.periods())

    def periods(self) -> list[tuple[dt.time, dt.time]]:
        out = [(self.morning_start, self.morning_end)]
        if self.afternoon_start and self.afternoon_end:
            out.append((self.afternoon_start, self.afternoon_end))
        return out

    def clean(self) -> None:
        periods = self.periods()
        if (self.afternoon_start is None) != (self.afternoon_end is None):
            raise ValidationError({"afternoon_end": _("下午上下班时间须同时填写或同时留空")})
        last = None
        for a, b in periods:
            if not a < b:
                raise ValidationError({"morning_end": _("下班时间须晚于上班时间")})
            if last is not None and a < last:
                raise ValidationError({"afternoon_start": _("下午上班时间须不早于上午下班时间")})
            last = b
