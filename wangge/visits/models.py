"""Household visits (入户走访): a schedule decided by the server and the visits that complete it.

``ScheduledVisit`` is one period of a household's schedule — the CHT / DHIS2 Tracker states: ``ready`` (due on
``due_on``), then ``completed`` by a visit, ``missed`` when its window closes on ``closes_on`` with no visit, or
``cancelled`` with a coded reason when it no longer applies. At most one period per household is ``ready``
(a partial unique constraint). The schedule stores the frequency used and whether the household is special
(a care tag), never which tag: the registry keeps tags as keyed tokens so the database never says who is 低保.

``Visit`` is what the grid worker recorded at the door; ``client_id`` makes an offline phone's re-send land
once. ``area_code`` on both is the household's grid when the row was written (the figures group by it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ALWAYS, NEVER, ScopedModel, scope_for


class AreaCodeScoped(ScopedModel):
    """Scoped by the row's own ``area_code`` (the household's grid when written) rather than the four joins
    to the household's building: the today list and the figures are hot paths. A subtree is a code range
    (``code <= area_code < code + ":"``, ':' sorting right after '9'), which uses the B-tree index on SQLite
    as on PostgreSQL, where ``LIKE 'code%'`` does not on SQLite."""

    scope_path = "area_code"

    class Meta:
        abstract = True

    @classmethod
    def visible_q(cls, viewer, action: str = "view") -> Q:  # type: ignore[no-untyped-def]
        scope = scope_for(viewer)
        if scope.everything:
            return ALWAYS
        q = NEVER
        for code in scope.codes:
            q |= Q(area_code__gte=code, area_code__lt=code + ":")
        return q


def area_range(code: str) -> Q:
    return Q(area_code__gte=code, area_code__lt=code + ":")


class ChecklistItem(models.Model):
    """A question asked at the door, chosen by the household's tags (``tag`` null: asked everywhere)."""

    tag = models.ForeignKey(
        "registry.Tag",
        verbose_name=_("标签"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visit_checklist",
    )
    code = models.SlugField(_("代码"), max_length=40)
    label = models.CharField(_("检查项"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("走访检查项")
        verbose_name_plural = _("走访检查项")
        constraints = [models.UniqueConstraint(fields=["code"], name="visits_checklist_unique_code")]

    def __str__(self) -> str:
        return self.label


class Visit(AreaCodeScoped, TimeStampedModel):
    """A visit recorded at a household. A mark (``verified``), not a block, says whether the phone was near
    the building: indoor GPS is poor."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("例行走访")
        CARE = "care", _("关爱帮扶")
        FOLLOW_UP = "follow_up", _("回访")
        CASE = "case", _("事项走访")

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="visits"
    )
    area_code = models.CharField(_("网格编码"), max_length=17)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(_("客户端编号"), max_length=64)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    visited_at = models.DateTimeField(_("走访时间"))
    duration_minutes = models.PositiveSmallIntegerField(_("时长（分钟）"), default=15)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    distance_m = models.FloatField(_("距楼栋（米）"), null=True, blank=True)
    verified = models.BooleanField(_("到户核验"), default=False)
    checklist = models.JSONField(_("检查项"), default=dict, blank=True)
    notes = models.TextField(_("情况记录"), blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("关联诉求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    findings = models.ManyToManyField(
        "appeals.Appeal", verbose_name=_("发现问题转诉求"), blank=True, related_name="found_in_visits"
    )

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")
        constraints = [
            models.UniqueConstraint(fields=["visitor", "client_id"], name="visits_visit_unique_client_id"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=24 * 60),
                name="visits_visit_duration_range",
            ),
        ]
        indexes = [
            models.Index(fields=["visitor", "visited_at"], name="visits_visitor_day_idx"),
            models.Index(fields=["household", "visited_at"], name="visits_household_last_idx"),
            models.Index(fields=["area_code", "visited_at"], name="visits_area_time_idx"),
        ]

    def __str__(self) -> str:
        return f"走访#{self.pk}"


class ScheduledVisit(AreaCodeScoped, TimeStampedModel):
    """One period of a household's schedule (see the module docstring)."""

    class State(models.TextChoices):
        READY = "ready", _("待走访")
        COMPLETED = "completed", _("已走访")
        MISSED = "missed", _("漏访")
        CANCELLED = "cancelled", _("已取消")

    class CancelReason(models.TextChoices):
        MOVED_OUT = "moved_out", _("已搬离")
        IN_HOSPITAL = "in_hospital", _("住院")
        DECEASED = "deceased", _("已去世")
        OTHER = "other", _("其他")

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.CASCADE, related_name="visit_schedule"
    )
    area_code = models.CharField(_("网格编码"), max_length=17)
    due_on = models.DateField(_("应走访日期"))
    closes_on = models.DateField(_("截止日期"))
    every_days = models.PositiveSmallIntegerField(_("走访频次（天）"))
    special = models.BooleanField(_("重点户"), default=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.READY)
    visit = models.ForeignKey(
        Visit, verbose_name=_("走访记录"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_on = models.DateField(_("走访日期"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=12, choices=CancelReason.choices, blank=True)
    cancel_note = models.CharField(_("取消说明"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # A missed period is a flag to the grid head until the household is visited again.
    resolved_at = models.DateTimeField(_("补访时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("走访计划")
        verbose_name_plural = _("走访计划")
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(state="ready"), name="visits_one_ready_per_household"
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("due_on")), name="visits_window_order"
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | ~Q(cancel_reason=""), name="visits_cancel_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "closes_on"], name="visits_ready_closes_idx"),
            models.Index(fields=["state", "area_code", "due_on"], name="visits_state_area_due_idx"),
            # Covering the figures: one index scan, grouped in index order, no table look-ups.
            models.Index(
                fields=["area_code", "due_on", "state", "special", "completed_on"], name="visits_figures_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"走访计划#{self.pk}"


class StatSpan(models.TextChoices):
    DAY = "d", _("日")
    MONTH = "m", _("月")


class VisitStat(models.Model):
    """The figures rollup: the closed (completed or missed) periods of one area code due on one day (``span``
    d) or in one month (``span`` m, ``start`` its first day), so a year of a district adds up ~12k small rows
    instead of ~280k periods. Written in the same transaction as the period closes (``rollup.py``); ready
    periods are counted live. ``rollup.rebuild()`` recomputes it from the records."""

    area_code = models.CharField(_("区域编码"), max_length=17)
    span = models.CharField(_("粒度"), max_length=1, choices=StatSpan.choices)
    start = models.DateField(_("起始日期"))
    completed = models.PositiveIntegerField(_("已走访"), default=0)
    missed = models.PositiveIntegerField(_("漏访"), default=0)
    special_closed = models.PositiveIntegerField(_("重点户已关闭"), default=0)
    special_on_time = models.PositiveIntegerField(_("重点户按频次走访"), default=0)

    class Meta:
        verbose_name = _("走访统计")
        verbose_name_plural = _("走访统计")
        constraints = [
            # Also the read path: a date range of one span, then the area's code range.
            models.UniqueConstraint(fields=["span", "start", "area_code"], name="visits_stat_unique_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.span} {self.start}"


class VisitorStat(models.Model):
    """The visits a worker recorded on one day (``span`` d) or in one month (m): the per-worker
    ``visits_recorded`` figure. Maintained like ``VisitStat``."""

    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.CASCADE, related_name="+"
    )
    span = models.CharField(_("粒度"), max_length=1, choices=StatSpan.choices)
    start = models.DateField(_("起始日期"))
    visits = models.PositiveIntegerField(_("走访次数"), default=0)

    class Meta:
        verbose_name = _("走访人统计")
        verbose_name_plural = _("走访人统计")
        constraints = [
            models.UniqueConstraint(fields=["span", "start", "visitor"], name="visits_visitorstat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} {self.span} {self.start}"
