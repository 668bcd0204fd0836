"""红色物业: a property company's public commitments judged from the cases it handled, and owners'
quarterly evaluations of the company.

A ``Commitment`` ("道路廊灯损坏8小时内更换") belongs to a company (``accounts.Unit`` of kind property company),
sits in a group (维修服务, 环境卫生 …), covers case categories of the appeals app and promises a time limit:
its compliance in a month is the share of the company's cases in those categories, dispatched that month,
that were resolved within the promise (see ``selectors.judge``). An ``Evaluation`` is one household's
quarterly judgement of the company, with a score per commitment group, a comment and the answer to it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel, scope_for


class Commitment(TimeStampedModel):
    """One published commitment of a property company. Public (no personal data)."""

    company = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("物业公司"),
        on_delete=models.PROTECT,
        related_name="commitments",
        limit_choices_to={"kind": "property_company"},
    )
    group = models.CharField(_("承诺类别"), max_length=30)
    text = models.CharField(_("承诺内容"), max_length=200)
    categories = models.ManyToManyField(
        "appeals.Category", verbose_name=_("对应诉求类别"), related_name="commitments"
    )
    time_limit_hours = models.PositiveIntegerField(_("承诺时限（小时）"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("有效"), default=True)
    published_at = models.DateTimeField(_("公布时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["company_id", "order", "id"]
        verbose_name = _("服务承诺")
        verbose_name_plural = _("服务承诺")
        constraints = [
            models.CheckConstraint(condition=Q(time_limit_hours__gte=1), name="commitment_limit_positive"),
            models.UniqueConstraint(fields=["company", "text"], name="commitment_unique_text"),
        ]

    def __str__(self) -> str:
        return self.text


class Evaluation(ScopedModel):
    """A household's evaluation of the company for one quarter (one per household and quarter)."""

    scope_path = "community__code"

    company = models.ForeignKey(
        "accounts.Unit", verbose_name=_("物业公司"), on_delete=models.PROTECT, related_name="evaluations"
    )
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    comment = models.CharField(_("意见建议"), max_length=500, blank=True)
    reply = models.CharField(_("答复"), max_length=500, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"))

    class Meta:
        ordering = ["-year", "-quarter", "-id"]
        verbose_name = _("物业评议")
        verbose_name_plural = _("物业评议")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "household", "year", "quarter"], name="evaluation_one_per_household"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="evaluation_quarter_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter} #{self.pk}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        """Staff in scope; the company's own staff (to answer comments); the household's own evaluations."""
        q = scope_for(viewer).q(cls.scope_path)
        if getattr(viewer, "is_authenticated", False):
            if getattr(viewer, "unit_id", None):
                q |= Q(company_id=viewer.unit_id)
            q |= Q(by=viewer)
        return q


class Score(models.Model):
    """The score (1–5) a household gave one commitment group in an evaluation."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    group = models.CharField(_("承诺类别"), max_length=30)
    score = models.PositiveSmallIntegerField(_("评分"))

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "group"], name="score_unique_group"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="score_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.score}"
