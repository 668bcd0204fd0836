"""Patrols (巡查): a grid worker's round of their grid with a GPS track, a checklist and discoveries.

``Patrol`` is one round: started and stopped on the phone, ``client_id`` (the phone's id) unique per worker so
an offline re-send lands once, and at most one ``running`` patrol per worker (a partial unique constraint).
``PatrolPoint`` is the track, kept with each point's accuracy; a point worse than
``WANGGE_PATROL_MAX_ACCURACY_M`` is kept but not ``good`` and does not count for coverage. ``PatrolPass`` says
a building of the grid was passed within ``WANGGE_PATROL_COVERAGE_DISTANCE_M`` by a good point — derived from
the points when they land (and rebuilt from them by ``services.patrol_passes_rebuild``); the coverage figures
count them. ``PatrolDiscovery`` links a case (channel 网格员巡查) to the patrol it was found on.
``area_code`` on patrols and passes is the grid's code (scope and figures use it, see ``AreaCodeScoped``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.visits.models import AreaCodeScoped


class PatrolChecklistItem(models.Model):
    """One item of a patrol checklist. ``area`` null: the default list; a grid with any active item of its
    own uses its own list instead of the default."""

    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="patrol_checklist",
    )
    code = models.SlugField(_("代码"), max_length=40)
    label = models.CharField(_("检查项"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("巡查检查项")
        verbose_name_plural = _("巡查检查项")
        constraints = [
            models.UniqueConstraint(fields=["area", "code"], name="patrols_checklist_unique_area_code"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(area__isnull=True), name="patrols_checklist_unique_default_code"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Patrol(AreaCodeScoped, TimeStampedModel):
    """One patrol round of a grid by a grid worker."""

    class State(models.TextChoices):
        RUNNING = "running", _("巡查中")
        DONE = "done", _("已结束")

    area = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(_("网格编码"), max_length=17)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("巡查人"), on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(_("客户端编号"), max_length=64)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Closed by the clock (left running beyond WANGGE_PATROL_MAX_HOURS), not by the worker.
    auto_closed = models.BooleanField(_("超时自动结束"), default=False)
    checklist = models.JSONField(_("检查结果"), default=dict, blank=True)
    notes = models.TextField(_("巡查记录"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("巡查")
        verbose_name_plural = _("巡查")
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_id"], name="patrols_patrol_unique_client_id"),
            models.UniqueConstraint(
                fields=["worker"], condition=Q(state="running"), name="patrols_one_running_per_worker"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="patrols_patrol_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(state="running", ended_at__isnull=True) | Q(state="done", ended_at__isnull=False),
                name="patrols_patrol_done_has_end",
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "started_at"], name="patrols_worker_day_idx"),
            models.Index(fields=["area_code", "started_at"], name="patrols_area_time_idx"),
            models.Index(fields=["state", "started_at"], name="patrols_state_started_idx"),
        ]

    def __str__(self) -> str:
        return f"巡查#{self.pk}"


class PatrolPoint(models.Model):
    """One GPS fix of a patrol's track (WGS84), kept with its accuracy."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="points"
    )
    recorded_at = models.DateTimeField(_("定位时间"))
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    accuracy_m = models.FloatField(_("定位精度（米）"))
    good = models.BooleanField(_("精度合格"))

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("巡查轨迹点")
        verbose_name_plural = _("巡查轨迹点")
        constraints = [
            models.UniqueConstraint(fields=["patrol", "recorded_at"], name="patrols_point_unique_time"),
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180, accuracy_m__gte=0),
                name="patrols_point_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recorded_at:%H:%M:%S} ({self.lat:.5f}, {self.lng:.5f}) ±{self.accuracy_m:g}m"


class PatrolPass(models.Model):
    """A building of the patrol's grid passed within the coverage distance by a good point (derived)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="passes"
    )
    building = models.ForeignKey(
        "registry.Building", verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="+"
    )
    area_code = models.CharField(_("网格编码"), max_length=17)
    day = models.DateField(_("日期"))
    passed_at = models.DateTimeField(_("经过时间"))

    class Meta:
        verbose_name = _("巡查经过楼栋")
        verbose_name_plural = _("巡查经过楼栋")
        constraints = [
            models.UniqueConstraint(fields=["patrol", "building"], name="patrols_pass_unique_building"),
        ]
        indexes = [models.Index(fields=["area_code", "day", "building"], name="patrols_pass_figures_idx")]

    def __str__(self) -> str:
        return f"巡查#{self.patrol_id} → 楼栋#{self.building_id}"


class PatrolDiscovery(models.Model):
    """A problem found on a patrol that became a case (channel 网格员巡查)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="discoveries"
    )
    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="patrol_discovery"
    )
    client_id = models.CharField(_("客户端编号"), max_length=64)
    checklist_code = models.CharField(_("检查项"), max_length=40, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    found_at = models.DateTimeField(_("发现时间"))

    class Meta:
        ordering = ["found_at", "id"]
        verbose_name = _("巡查发现问题")
        verbose_name_plural = _("巡查发现问题")
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "client_id"], name="patrols_discovery_unique_client_id"
            ),
        ]

    def __str__(self) -> str:
        return f"发现#{self.pk}"
