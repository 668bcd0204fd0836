"""Attendance of dispatched cadres (第一书记 / 下沉干部 / 包联领导).

A ``CadreAssignment`` sends one person to one community (or one of its grids, 包联网格) for a period with a weekly rule ("at least N days a
week in the community", a number on the row, defaulting to the setting ``WANGGE_ATTENDANCE_DAYS_PER_WEEK``).
A ``CheckIn`` is one signing-in at the community: by the phone's location (within
``WANGGE_ATTENDANCE_DISTANCE_M`` of the community's boundary, centre or one of its places) or by a station's
code. Several check-ins a day are kept (arrival and leaving, two stations) but a day counts once: exactly one
check-in per assignment and local day carries ``counted=True`` (a partial unique constraint), the others are
kept with ``counted=False``. An ``AttendanceWeek`` is one closed ISO week of an assignment (Monday to Sunday,
wholly inside the assignment): written by the periodic job after the week ends, with the days counted and
whether the rule was met; a week below the rule is flagged to the community's secretary and the street.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import NEVER, ScopedModel


def default_days_per_week() -> int:
    """The rule a new assignment gets unless told otherwise (Hanyang: 第一书记 at least twice a week)."""
    return int(getattr(settings, "WANGGE_ATTENDANCE_DAYS_PER_WEEK", 2))


def distance_limit_m() -> float:
    return float(getattr(settings, "WANGGE_ATTENDANCE_DISTANCE_M", 500))


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


class CadreAssignment(TimeStampedModel, ScopedModel):
    """A cadre dispatched to a community for a period, with the weekly attendance rule.

    Scope: staff of the community's subtree (and above) see it; the cadre sees their own."""

    scope_path = "area__code"

    class Role(models.TextChoices):
        FIRST_SECRETARY = "first_secretary", _("第一书记")
        DISPATCHED = "dispatched", _("下沉干部")
        LIAISON_LEADER = "liaison_leader", _("包联领导")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("干部"),
        on_delete=models.PROTECT,
        related_name="cadre_assignments",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("派驻社区"), on_delete=models.PROTECT, related_name="cadre_assignments"
    )
    role = models.CharField(_("派驻身份"), max_length=20, choices=Role.choices)
    unit_name = models.CharField(_("派出单位"), max_length=100, blank=True)
    starts_on = models.DateField(_("派驻开始"))
    ends_on = models.DateField(_("派驻结束"))
    days_per_week = models.PositiveSmallIntegerField(
        _("每周到岗天数"),
        default=default_days_per_week,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__code", "starts_on", "id"]
        verbose_name = _("干部派驻")
        verbose_name_plural = _("干部派驻")
        constraints = [
            models.CheckConstraint(
                condition=Q(days_per_week__gte=1, days_per_week__lte=7), name="attendance_rule_1_to_7_days"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="attendance_period_order"
            ),
            models.UniqueConstraint(fields=["user", "area", "starts_on"], name="attendance_assignment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not getattr(viewer, "is_authenticated", False):
            return NEVER
        q = super().visible_q(viewer, action)
        if action == "view":
            q |= Q(user_id=viewer.pk)
        return q

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class CheckIn(models.Model):
    """One signing-in at the community. ``day`` is the local (Asia/Shanghai) date of ``at``; ``counted``
    marks the one check-in of the day that counts toward the rule."""

    class Method(models.TextChoices):
        LOCATION = "location", _("定位签到")
        CODE = "code", _("站点签到码")

    assignment = models.ForeignKey(
        CadreAssignment, verbose_name=_("派驻"), on_delete=models.CASCADE, related_name="check_ins"
    )
    at = models.DateTimeField(_("签到时间"))
    day = models.DateField(_("签到日期"))
    method = models.CharField(_("签到方式"), max_length=10, choices=Method.choices)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    place = models.ForeignKey(
        "places.Place",
        verbose_name=_("站点"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    distance_m = models.FloatField(_("距社区距离（米）"), null=True, blank=True)
    counted = models.BooleanField(_("计入到岗"), default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "day"], condition=Q(counted=True), name="attendance_day_counts_once"
            ),
            models.CheckConstraint(
                condition=Q(method="code", place__isnull=False)
                | Q(method="location", lat__isnull=False, lng__isnull=False),
                name="attendance_checkin_has_evidence",
            ),
        ]
        indexes = [models.Index(fields=["assignment", "day"], name="attendance_checkin_day_idx")]

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.at:%Y-%m-%d %H:%M}"


class AttendanceWeek(models.Model):
    """One closed ISO week of an assignment: the days counted against the rule in force that week."""

    assignment = models.ForeignKey(
        CadreAssignment, verbose_name=_("派驻"), on_delete=models.CASCADE, related_name="weeks"
    )
    week_start = models.DateField(_("周一日期"))
    days = models.PositiveSmallIntegerField(_("到岗天数"))
    required = models.PositiveSmallIntegerField(_("要求天数"))
    met = models.BooleanField(_("达标"))
    flagged_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta:
        ordering = ["assignment_id", "week_start"]
        verbose_name = _("到岗周记录")
        verbose_name_plural = _("到岗周记录")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "week_start"], name="attendance_week_once"),
            models.CheckConstraint(
                condition=Q(days__lte=7, required__gte=1, required__lte=7), name="attendance_week_bounds"
            ),
            models.CheckConstraint(
                condition=Q(met=True, days__gte=models.F("required"))
                | Q(met=False, days__lt=models.F("required")),
                name="attendance_week_met_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.week_start} · {self.days}/{self.required}"

    @property
    def iso(self) -> tuple[int, int]:
        y, w, _d = self.week_start.isocalendar()
        return y, w
