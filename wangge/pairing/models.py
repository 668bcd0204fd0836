"""Long-term pairing (结对帮扶): a volunteer (and an optional backup) caring for one resident.

One ``Pairing`` per relationship with the resident; volunteers come and go through ``Assignment`` rows, so
a hand-over keeps the visits, the notes and the schedule in one place and the resident's history shows
every volunteer who served. During a hand-over's overlap both the old and the new volunteer are active.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import NEVER, ScopedModel

# What one pairing's schedule may say (bounded in the schemas and the services; the list and the clock
# still survive a row written out of range behind their back).
VISIT_EVERY_DAYS_MAX = 365


class CareKind(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    DISABLED = "disabled", _("残疾人")
    EMPTY_NEST = "empty_nest", _("空巢老人")
    OTHER = "other", _("其他")


def serving_q(on: date, prefix: str = "") -> Q:
    """Assignments that cover the day ``on``."""
    return Q(**{f"{prefix}starts_on__lte": on}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": on})
    )


def serving_pairing_ids(viewer: Any, on: date | None = None) -> Any:
    """The pairings ``viewer`` serves today (primary or backup, in a live pairing): a subquery."""
    on = on or timezone.localdate()
    return (
        Assignment.objects.filter(serving_q(on), volunteer=viewer)
        .exclude(pairing__status="ended")
        .values("pairing_id")
    )


class Pairing(TimeStampedModel, ScopedModel):
    """A resident needing care paired with a volunteer; ``volunteer`` is the current primary.

    Scope: staff see the pairings of their area scope; a volunteer sees a pairing (its resident, notes and
    visits) only while an assignment of theirs covers today and the pairing has not ended."""

    scope_path = "area__code"

    class Status(models.TextChoices):
        ACTIVE = "active", _("帮扶中")
        PAUSED = "paused", _("暂停")
        ENDED = "ended", _("已结束")

    resident = models.ForeignKey(
        "registry.Resident", verbose_name=_("帮扶对象"), on_delete=models.PROTECT, related_name="pairings"
    )
    area = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    care_kind = models.CharField(_("帮扶类别"), max_length=20, choices=CareKind.choices)
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="pairings"
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("备岗志愿者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backup_pairings",
    )
    visit_every_days = models.PositiveSmallIntegerField(
        _("走访频次（天）"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(VISIT_EVERY_DAYS_MAX)],
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(_("帮扶记录要点"), blank=True)
    last_visit_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__code", "id"]
        verbose_name = _("结对")
        verbose_name_plural = _("结对")
        constraints = [
            models.CheckConstraint(condition=Q(visit_every_days__gte=1), name="pairing_frequency_positive"),
            # One live pairing per resident and care kind: hand over instead of pairing twice.
            models.UniqueConstraint(
                fields=["resident", "care_kind"],
                condition=~Q(status="ended"),
                name="pairing_one_live_per_resident_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"结对#{self.pk}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not getattr(viewer, "is_authenticated", False):
            return NEVER
        q = super().visible_q(viewer, action)
        if action == "view":
            q |= Q(pk__in=serving_pairing_ids(viewer))
        return q


class _PairingPart(ScopedModel):
    """A row that belongs to a pairing: visible exactly when its pairing is."""

    scope_path = "pairing__area__code"

    class Meta:
        abstract = True

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        return Q(pairing__in=Pairing.objects.filter(Pairing.visible_q(viewer, action)).values("pk"))


class Assignment(TimeStampedModel, _PairingPart):
    """A volunteer's period of service on a pairing (primary or backup)."""

    class Role(models.TextChoices):
        PRIMARY = "primary", _("主责")
        BACKUP = "backup", _("备岗")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="assignments")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pairing_assignments"
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.PRIMARY)
    starts_on = models.DateField(_("开始"))
    ends_on = models.DateField(_("结束"), null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("帮扶人任期")
        verbose_name_plural = _("帮扶人任期")

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.get_role_display()}"


class Visit(TimeStampedModel, _PairingPart):
    """One visit (or call) logged by the volunteer. Never moved when the pairing is handed over."""

    class Mode(models.TextChoices):
        HOME = "home", _("上门")
        PHONE = "phone", _("电话")
        OUTING = "outing", _("陪同外出")

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="visits")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("走访时间"))
    duration_minutes = models.PositiveSmallIntegerField(_("时长（分钟）"), default=30)
    mode = models.CharField(_("方式"), max_length=10, choices=Mode.choices, default=Mode.HOME)
    note = models.CharField(_("情况"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")

    def __str__(self) -> str:
        return f"走访#{self.pk}"


class Handover(TimeStampedModel, _PairingPart):
    """A hand-over from one volunteer to a successor, with notes and an overlap period."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="handovers")
    from_volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handed_on = models.DateField(_("交接日期"))
    overlap_until = models.DateField(_("共同帮扶至"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    notes = models.TextField(_("交接说明"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-handed_on", "-id"]
        verbose_name = _("交接")
        verbose_name_plural = _("交接")

    def __str__(self) -> str:
        return f"交接#{self.pk}"


class MissedVisit(TimeStampedModel, ScopedModel):
    """A visit that was due and did not happen; flagged to the grid worker once, resolved by a visit.
    Staff in scope only."""

    scope_path = "pairing__area__code"

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="missed")
    due_on = models.DateField(_("应走访日期"))
    flagged_at = models.DateTimeField(_("提醒时间"))
    resolved_at = models.DateTimeField(_("补访时间"), null=True, blank=True)

    class Meta:
        ordering = ["-due_on", "-id"]
        verbose_name = _("漏访")
        verbose_name_plural = _("漏访")
        constraints = [
            models.UniqueConstraint(fields=["pairing", "due_on"], name="missedvisit_unique_due"),
        ]

    def __str__(self) -> str:
        return f"漏访#{self.pk}"
