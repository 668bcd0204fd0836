"""Project lists (书记项目 / 民生实事 / 共建项目清单): what an area's secretary or a co-building unit promised,
with milestones, evidence and a state.

A ``Project`` belongs to an area and has an owner (a secretary's account, or a co-building unit through its
agreement), a kind, a budget in yuan and a state: declared → approved → in progress → done, or stopped with a
reason at any point before done. Progress is the share of its ``Milestone`` rows done; a milestone past its
date and not done is overdue, flagged once by the periodic job (the owner is told). Approved projects are
public: a community's list shows them without personal data. A council resolution can become a project.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel


class Project(TimeStampedModel, ScopedModel):
    scope_path = "area__code"

    class Kind(models.TextChoices):
        SECRETARY = "secretary", _("书记项目")
        LIVELIHOOD = "livelihood", _("民生实事")
        CO_BUILDING = "co_building", _("共建项目")

    class State(models.TextChoices):
        DECLARED = "declared", _("已申报")
        APPROVED = "approved", _("已立项")
        IN_PROGRESS = "in_progress", _("实施中")
        DONE = "done", _("已完成")
        STOPPED = "stopped", _("已终止")

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("项目名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("项目内容"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="projects",
    )  # fmt: skip
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("共建单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="projects",
    )  # fmt: skip
    budget_yuan = models.DecimalField(
        _("预算（元）"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DECLARED)
    stop_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    resolution = models.OneToOneField(
        "deliberation.Resolution", verbose_name=_("来源决议"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="project",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    approved_at = models.DateTimeField(_("立项时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["area__code", "-id"]
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        constraints = [
            models.CheckConstraint(condition=Q(budget_yuan__gte=0), name="projects_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(unit__isnull=False), name="projects_has_an_owner"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if action == "view" and getattr(viewer, "is_authenticated", False):
            q |= Q(owner_id=viewer.pk)
        return q


class Milestone(TimeStampedModel):
    """One step of a project, read only through its project."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("节点"), max_length=120)
    due_on = models.DateField(_("计划完成日期"))
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    evidence = models.TextField(_("完成佐证"), blank=True)
    overdue_flagged_on = models.DateField(_("逾期提醒日期"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | ~Q(evidence=""), name="projects_done_needs_evidence"
            )
        ]

    def __str__(self) -> str:
        return self.title
