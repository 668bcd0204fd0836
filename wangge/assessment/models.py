"""Assessment (考评) that explains itself.

* ``Scheme`` — a versioned scheme as data: which subjects (grid workers, grids, communities, streets), monthly
  or yearly, and its ``SchemeItem``s (a figure from ``wangge/<app>/assessment.py``, a weight, a formula with
  parameters). An active version is immutable: a change is a new version (``services.scheme_new_version``).
* ``ScoreRun`` — one scheme version computed for one period; its ``Score``s (one per subject) hold the total,
  each ``ScoreItem`` the figure's value, sample and points, each ``ScoreEvidence`` one record counted.
* ``GridWorkerGrade`` — the 三岗十八级 grade of a grid worker, as data on their post.
* ``Nomination`` — 金牌网格员: nominated from the top of a ranking, confirmed or rejected once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel, scope_for


class SubjectKind(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")


class PeriodKind(models.TextChoices):
    MONTHLY = "monthly", _("月度")
    YEARLY = "yearly", _("年度")


class Formula(models.TextChoices):
    # points = weight × clamp((value − floor) / (target − floor), 0, 1); target < floor: lower is better.
    LINEAR = "linear", _("线性得分")
    # points = weight when value reaches target (≥, or ≤ when target < floor), else 0.
    THRESHOLD = "threshold", _("达标得分")


def _ancestor_codes(codes: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for code in codes:
        for n in (6, 9, 12, 15):
            if len(code) > n:
                out.add(code[:n])
    return out


class Scheme(TimeStampedModel, ScopedModel):
    """One version of an assessment scheme. ``area`` is where its subjects are (a district scores its grid
    workers, a street its communities …). Visible inside that area and to the staff of the areas under it."""

    scope_path = "area__code"

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("启用")
        RETIRED = "retired", _("停用")

    name = models.CharField(_("方案名称"), max_length=60)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("考评范围"), on_delete=models.PROTECT, related_name="+"
    )
    subject_kind = models.CharField(_("考评对象"), max_length=12, choices=SubjectKind.choices)
    period = models.CharField(_("考评周期"), max_length=8, choices=PeriodKind.choices)
    version = models.PositiveIntegerField(_("版本"), default=1)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.DRAFT)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        ordering = ["name", "subject_kind", "-version"]
        verbose_name = _("考评方案")
        verbose_name_plural = _("考评方案")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "subject_kind", "version"], name="assessment_scheme_version_unique"
            ),
            models.UniqueConstraint(
                fields=["name", "subject_kind"],
                condition=Q(state="active"),
                name="assessment_one_active_version",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="assessment_scheme_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        """Inside the viewer's areas, and (to read) the schemes of the areas above them."""
        scope = scope_for(viewer)
        q = scope.q("area__code")
        if action == "view" and not scope.everything and scope.codes:
            q |= Q(area__code__in=_ancestor_codes(scope.codes))
        return q


class SchemeItem(models.Model):
    """One item of a scheme: a figure, its weight (points at most) and its formula's parameters."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    figure = models.CharField(_("指标"), max_length=60)
    weight = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    formula = models.CharField(_("计分方式"), max_length=10, choices=Formula.choices, default=Formula.LINEAR)
    floor = models.FloatField(_("零分值"), default=0.0)
    target = models.FloatField(_("满分值"), default=1.0)
    # Whether the figure's denominator counts in the score's sample (for the minimum sample of a ranking).
    in_sample = models.BooleanField(_("计入样本"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("考评项")
        verbose_name_plural = _("考评项")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "figure"], name="assessment_item_figure_once"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="assessment_item_weight_positive"),
            models.CheckConstraint(
                condition=~Q(target=models.F("floor")), name="assessment_item_target_floor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} · {self.figure}"


class ScoreRun(models.Model):
    """A scheme version computed for one period (recomputing replaces the run's scores)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="runs")
    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束"))
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subjects = models.PositiveIntegerField(_("对象数"), default=0)

    class Meta:
        ordering = ["-period_start", "scheme_id"]
        verbose_name = _("考评计算")
        verbose_name_plural = _("考评计算")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "period_start"], name="assessment_run_once"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="assessment_run_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.period_start}"


class Score(ScopedModel):
    """One subject's score in a run. ``total`` is the sum of its items' points (computed in one place,
    ``services._total``). ``area_code``: the subject's area (a grid worker's: their grid)."""

    scope_path = "area_code"

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="scores")
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束"))
    subject_kind = models.CharField(_("考评对象"), max_length=12, choices=SubjectKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    area_code = models.CharField(_("区域编码"), max_length=17, db_index=True)
    subject_label = models.CharField(_("对象"), max_length=120)
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2)
    sample = models.PositiveIntegerField(_("样本量"), default=0)

    class Meta:
        ordering = ["-total", "id"]
        verbose_name = _("考评得分")
        verbose_name_plural = _("考评得分")
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="assessment_score_total_nonnegative"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(area__isnull=False), name="assessment_score_has_subject"
            ),
        ]
        indexes = [models.Index(fields=["run", "total"], name="assessment_score_run_total")]

    def __str__(self) -> str:
        return f"{self.subject_label} {self.total}"


class ScoreItem(models.Model):
    """One item of a score: the figure's value and sample, and the points the formula gave."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+")
    figure = models.CharField(_("指标"), max_length=60)
    label = models.CharField(_("名称"), max_length=60)
    weight = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    value = models.FloatField(_("指标值"), null=True, blank=True)
    numerator = models.PositiveIntegerField(_("分子"), default=0)
    denominator = models.PositiveIntegerField(_("分母"), default=0)
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    formula_text = models.CharField(_("计分方式"), max_length=200)
    evidence_count = models.PositiveIntegerField(_("依据数"), default=0)

    class Meta:
        ordering = ["item__sort_order", "item_id"]
        verbose_name = _("考评得分项")
        verbose_name_plural = _("考评得分项")
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(points__lte=models.F("weight")),
                name="assessment_scoreitem_points_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.points}"


class ScoreEvidence(models.Model):
    """One record a score item counted (a case, a visit, a patrol …), stored in full with the score."""

    score_item = models.ForeignKey(ScoreItem, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("类型"), max_length=30)
    object_id = models.BigIntegerField(_("编号"))
    label = models.CharField(_("说明"), max_length=200)
    url = models.CharField(_("链接"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("考评依据")
        verbose_name_plural = _("考评依据")

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}"


class GridWorkerGrade(TimeStampedModel, ScopedModel):
    """三岗十八级: the grade of a grid worker's post — the 岗 (1 正职, 2 副职, 3 其他社区工作者) and the 级
    within it (1–6), 18 grades in all."""

    scope_path = "post__area__code"

    class Tier(models.IntegerChoices):
        FIRST = 1, _("一岗（正职）")
        SECOND = 2, _("二岗（副职）")
        THIRD = 3, _("三岗（其他社区工作者）")

    post = models.OneToOneField(
        "accounts.Post", verbose_name=_("岗位"), on_delete=models.CASCADE, related_name="assessment_grade"
    )
    tier = models.PositiveSmallIntegerField(_("岗"), choices=Tier.choices)
    level = models.PositiveSmallIntegerField(_("级"))
    since = models.DateField(_("定级日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("三岗十八级")
        verbose_name_plural = _("三岗十八级")
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=3), name="assessment_grade_tier_range"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=6), name="assessment_grade_level_range"
            ),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        tiers = "一二三"
        levels = "一二三四五六"
        return f"{tiers[self.tier - 1]}岗{levels[self.level - 1]}级"


class Nomination(TimeStampedModel, ScopedModel):
    """金牌网格员: a grid worker nominated from the top of a ranking by community staff, confirmed or rejected
    once by a community-level permission holder (a conditional update settles a double decision)."""

    scope_path = "community__code"

    class State(models.TextChoices):
        NOMINATED = "nominated", _("已提名")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("未通过")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("周期开始"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.ForeignKey(Score, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.NOMINATED)
    reason = models.CharField(_("推荐理由"), max_length=200, blank=True)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decision_note = models.CharField(_("确认意见"), max_length=200, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("金牌网格员")
        verbose_name_plural = _("金牌网格员")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "period_start", "user"], name="assessment_nomination_once"
            ),
            models.CheckConstraint(
                condition=Q(state="nominated") | Q(decided_at__isnull=False),
                name="assessment_nomination_decided_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.period_start}"
