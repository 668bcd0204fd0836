"""Owners' votes (业主表决) and opinion collection (民意征集: surveys and polls).

Owners' votes: a ``Vote`` on one matter of 民法典 第二百七十八条 (or an elevator retrofit) over an electorate
(the houses of a community, a building or one entrance) under a ``RuleSet`` (thresholds per matter class,
as data per city). When the vote opens its electorate is frozen into ``Elector`` rows (one per exclusive
unit, with its exclusive area) grouped into ``Voter`` rows (what the law counts as one owner, see
``counting.owner_key``); a ``Ballot`` belongs to a voter and the database allows one per voter.

Surveys: a ``Survey`` for an area or a building with ``Question`` rows; a ``Response`` per resident or per
household (a setting; the database enforces it through ``once_key``), ``Answer`` rows per question; free
text waits for moderation before it is public.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel, scope_for


class Matter(models.TextChoices):
    """The nine items of 民法典 第二百七十八条 and elevator retrofits (加装电梯)."""

    RULES = "rules", _("制定和修改业主大会议事规则")
    COVENANT = "covenant", _("制定和修改管理规约")
    COMMITTEE = "committee", _("选举业主委员会或者更换业主委员会成员")
    MANAGER = "manager", _("选聘和解聘物业服务企业或者其他管理人")
    USE_FUND = "use_fund", _("使用建筑物及其附属设施的维修资金")
    RAISE_FUND = "raise_fund", _("筹集建筑物及其附属设施的维修资金")
    REBUILD = "rebuild", _("改建、重建建筑物及其附属设施")
    CHANGE_USE = "change_use", _("改变共有部分的用途或者利用共有部分从事经营活动")
    OTHER = "other", _("有关共有和共同管理权利的其他重大事项")
    ELEVATOR = "elevator", _("既有住宅加装电梯")


class MatterClass(models.TextChoices):
    GENERAL = "general", _("一般事项（第278条第一款第一至五项、第九项）")
    MAJOR = "major", _("重大事项（第278条第一款第六至八项）")
    ELEVATOR = "elevator", _("加装电梯")


MATTER_CLASS: dict[str, str] = {
    **{m: MatterClass.GENERAL for m in Matter.values},
    Matter.RAISE_FUND: MatterClass.MAJOR,
    Matter.REBUILD: MatterClass.MAJOR,
    Matter.CHANGE_USE: MatterClass.MAJOR,
    Matter.ELEVATOR: MatterClass.ELEVATOR,
}
MATTER_ITEM = {m: i + 1 for i, m in enumerate(Matter.values[:9])}


class RuleSet(TimeStampedModel):
    """Quorum and approval thresholds per matter class, for one city (or the national default).

    ``thresholds`` maps a matter class to {"quorum_area", "quorum_heads", "approve_area", "approve_heads":
    "p/q" strings, "approve_strict": bool ('过半数' vs '以上'), "approve_base": "participants" | "electorate"}.
    """

    name = models.CharField(_("名称"), max_length=80, unique=True)
    city = models.CharField(_("适用城市"), max_length=40, blank=True, help_text=_("空白为全国通用"))
    thresholds = models.JSONField(_("表决门槛"))
    non_voters_follow_majority = models.BooleanField(
        _("未参与表决的业主计入多数意见"), default=False, help_text=_("部分地方规定或议事规则采用")
    )
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("表决规则")
        verbose_name_plural = _("表决规则")

    def __str__(self) -> str:
        return self.name


class Vote(ScopedModel):
    """One owners' vote on one matter over one electorate."""

    class Scope(models.TextChoices):
        COMMUNITY = "community", _("小区/社区")
        BUILDING = "building", _("楼栋")
        ENTRANCE = "entrance", _("单元")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("表决中")
        CLOSED = "closed", _("已截止")
        PUBLISHED = "published", _("已公示")

    scope_path = "area__code"

    title = models.CharField(_("表决事项"), max_length=120)
    matter = models.CharField(_("事项类别"), max_length=12, choices=Matter.choices)
    description = models.TextField(_("说明"), blank=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="owner_votes"
    )
    scope = models.CharField(_("表决范围"), max_length=10, choices=Scope.choices, default=Scope.COMMUNITY)
    building = models.ForeignKey(
        "registry.Building", verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT
    )
    entrance = models.PositiveSmallIntegerField(_("单元"), null=True, blank=True)
    rule_set = models.ForeignKey(RuleSet, verbose_name=_("表决规则"), on_delete=models.PROTECT)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    committee = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("业委会/计票人"), blank=True, related_name="committee_votes"
    )
    result = models.JSONField(_("表决结果"), null=True, blank=True)
    passed = models.BooleanField(_("通过"), null=True, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("业主表决")
        verbose_name_plural = _("业主表决")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="vote_period_valid"),
            models.CheckConstraint(
                condition=Q(scope="community", building__isnull=True, entrance__isnull=True)
                | Q(scope="building", building__isnull=False, entrance__isnull=True)
                | Q(scope="entrance", building__isnull=False, entrance__isnull=False),
                name="vote_scope_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        """Staff see the votes of their scope; committee members see theirs; owners see the votes they are
        in the electorate of (through their resident record)."""
        q = scope_for(viewer).q(cls.scope_path)
        if not getattr(viewer, "is_authenticated", False):
            return q
        # Subqueries, not joins: a viewer with several units must not duplicate the vote.
        q |= Q(pk__in=cls.committee.through.objects.filter(user=viewer).values("vote_id"))
        if action == "view":
            owned = Elector.objects.filter(house__owners__resident__account=viewer).values("vote_id")
            q |= Q(pk__in=owned) & ~Q(status="draft")
        return q

    @property
    def matter_class(self) -> str:
        return MATTER_CLASS[self.matter]

    @property
    def electorate_label(self) -> str:
        if self.scope == self.Scope.ENTRANCE and self.building:
            return f"{self.building.name}{self.entrance}单元"
        if self.scope == self.Scope.BUILDING and self.building:
            return self.building.name
        return self.area.name


class Voter(models.Model):
    """What the law counts as one owner in a vote: one unit, or all units of one buyer, or all of the
    developer's unsold units. ``area_centi`` is the sum of their exclusive areas in 0.01 m²."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="voters")
    key = models.CharField(max_length=200)
    label = models.CharField(_("业主"), max_length=200)
    units = models.PositiveIntegerField(_("专有部分数"), default=1)
    area_centi = models.BigIntegerField(_("专有面积（0.01㎡）"), default=0)
    must_consent = models.BooleanField(_("须本人同意"), default=False)
    developer = models.BooleanField(_("建设单位未售部分"), default=False)

    class Meta:
        ordering = ["vote_id", "id"]
        verbose_name = _("计票业主")
        verbose_name_plural = _("计票业主")
        constraints = [models.UniqueConstraint(fields=["vote", "key"], name="voter_unique_key")]

    def __str__(self) -> str:
        return self.label


class Elector(models.Model):
    """One exclusive unit of the frozen electorate with its exclusive area (from the registry)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="electors")
    voter = models.ForeignKey(Voter, on_delete=models.CASCADE, related_name="electors")
    house = models.ForeignKey("registry.House", on_delete=models.PROTECT, related_name="+")
    area_centi = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("表决房屋")
        verbose_name_plural = _("表决房屋")
        constraints = [models.UniqueConstraint(fields=["vote", "house"], name="elector_unique_house")]

    def __str__(self) -> str:
        return f"elector {self.house_id}"


class Ballot(models.Model):
    """One owner's ballot. One per voter and vote (a constraint): two phones at once record one."""

    class Choice(models.TextChoices):
        APPROVE = "approve", _("同意")
        REJECT = "reject", _("反对")
        ABSTAIN = "abstain", _("弃权")

    class Channel(models.TextChoices):
        ONLINE = "online", _("线上")
        PAPER = "paper", _("纸质（工作人员录入）")

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    voter = models.OneToOneField(Voter, on_delete=models.CASCADE, related_name="ballot")
    choice = models.CharField(_("意见"), max_length=8, choices=Choice.choices)
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signer = models.CharField(_("签署人"), max_length=60, blank=True)
    photo = models.FileField(_("表决票照片"), upload_to="voting/ballots/%Y/%m/", blank=True)
    cast_at = models.DateTimeField(_("表决时间"))

    class Meta:
        ordering = ["vote_id", "cast_at", "id"]
        verbose_name = _("表决票")
        verbose_name_plural = _("表决票")
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter"], name="ballot_one_per_owner"),
            models.CheckConstraint(
                condition=~Q(channel="paper") | ~Q(photo=""), name="ballot_paper_has_photo"
            ),
        ]

    def __str__(self) -> str:
        return f"ballot {self.pk}"


# --- surveys ------------------------------------------------------------------------------------------


class Survey(ScopedModel):
    """A survey or poll (民意征集) for an area (community or grid) or a building."""

    class Per(models.TextChoices):
        RESIDENT = "resident", _("每位居民一份")
        HOUSEHOLD = "household", _("每户一份")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("征集中")
        CLOSED = "closed", _("已结束")

    scope_path = "area__code"

    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    area = models.ForeignKey("areas.Area", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        "registry.Building", verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT
    )
    per = models.CharField(_("填写方式"), max_length=10, choices=Per.choices, default=Per.RESIDENT)
    anonymous = models.BooleanField(_("匿名"), default=False)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("民意征集")
        verbose_name_plural = _("民意征集")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="survey_period_valid"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        """Staff see their scope's surveys; residents see the open or closed surveys of their area."""
        q = scope_for(viewer).q(cls.scope_path)
        resident = getattr(viewer, "resident", None) if getattr(viewer, "is_authenticated", False) else None
        if resident is not None and action == "view":
            try:
                code = resident.household.house.building.area.code
            except AttributeError:  # pragma: no cover - a resident always has a house
                return q
            prefixes = [code[:n] for n in (6, 9, 12, 15, 17) if len(code) >= n]
            q |= Q(area__code__in=prefixes) & ~Q(status="draft")
        return q


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")
        RATING = "rating", _("评分")
        TEXT = "text", _("文字")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    kind = models.CharField(_("题型"), max_length=8, choices=Kind.choices)
    text = models.CharField(_("题目"), max_length=200)
    options = models.JSONField(_("选项"), default=list, blank=True)
    rating_max = models.PositiveSmallIntegerField(_("最高分"), default=5)
    required = models.BooleanField(_("必答"), default=True)

    class Meta:
        ordering = ["survey_id", "order", "id"]
        verbose_name = _("题目")
        verbose_name_plural = _("题目")

    def __str__(self) -> str:
        return self.text


class Response(models.Model):
    """One filled-in survey. ``once_key`` is 'r:<resident>' or 'h:<household>' (a keyed hash of it when the
    survey is anonymous), unique per survey: the database refuses a second answer of the same person or
    household, however the requests race."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("线上")
        PAPER = "paper", _("纸质（工作人员录入）")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    once_key = models.CharField(max_length=80)
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    grid = models.ForeignKey("areas.Area", null=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"))

    class Meta:
        ordering = ["survey_id", "submitted_at", "id"]
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        constraints = [models.UniqueConstraint(fields=["survey", "once_key"], name="response_once")]

    def __str__(self) -> str:
        return f"response {self.pk}"


class Answer(models.Model):
    class Moderation(models.TextChoices):
        NONE = "", _("无需审核")
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已公开")
        REJECTED = "rejected", _("不公开")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choices = models.JSONField(default=list, blank=True)  # option indexes
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.CharField(max_length=1000, blank=True)
    moderation = models.CharField(max_length=10, choices=Moderation.choices, blank=True, default="")

    class Meta:
        verbose_name = _("回答")
        verbose_name_plural = _("回答")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_unique")]

    def __str__(self) -> str:
        return f"answer {self.pk}"
