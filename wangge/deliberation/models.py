"""Deliberation (议事协商): councils and their meetings, residents' proposals with supports, conventions
(公约) with versions and acknowledgments, and mediation of disputes (矛盾纠纷调解).

Every area-bound model is a ``ScopedModel``: staff see what lies inside their area scope; residents see
what belongs to the areas they live in (the ancestors of their home grid), plus their own records.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.pii import EncryptedTextField
from wangge.core.scoping import NEVER, ScopedModel

# Code lengths of the levels above and at a home (GB/T 30428.1): district, street, community, grid, micro.
_LEVEL_LENGTHS = (6, 9, 12, 15, 17)


def home_area_code(user: Any) -> str | None:
    """The area code of the grid (or micro-grid) the user's registry record lives in, or None. Cached on the
    user object for the request (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if hasattr(user, "_delib_home"):
        return user._delib_home  # type: ignore[no-any-return]
    from wangge.registry.models import Resident

    code = (
        Resident.objects.filter(account_id=user.pk, active=True)
        .values_list("household__house__building__area__code", flat=True)
        .first()
    )
    user._delib_home = code
    return code


def home_ancestors(user: Any) -> list[str]:
    """The codes of the user's home area and every area above it (the areas whose matters are theirs)."""
    code = home_area_code(user)
    if not code:
        return []
    return [code[:n] for n in _LEVEL_LENGTHS if len(code) >= n]


def lives_in(user: Any, area_code: str) -> bool:
    code = home_area_code(user)
    return bool(code) and code.startswith(area_code)  # type: ignore[union-attr]


def _residents_q(viewer: Any, path: str) -> Q:
    """Rows whose area (at ``path``) is the viewer's home area or one of its ancestors."""
    codes = home_ancestors(viewer)
    return Q(**{f"{path}__in": codes}) if codes else NEVER


def new_signin_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def default_threshold() -> int:
    return int(getattr(settings, "WANGGE_DELIBERATION_PROPOSAL_THRESHOLD", 20))


# --- councils and meetings ------------------------------------------------------------------------------


class Council(ScopedModel):  # type: ignore[django-manager-missing]  # reverse managers of ScopedModel children
    """A deliberative body at an area (a grid's or a community's 党群议事会, an 业主大会) or at a building
    (楼栋议事). ``proposal_threshold`` is how many supports put a resident's proposal on its next agenda."""

    class Kind(models.TextChoices):
        PARTY_MASSES = "party_masses", _("党群议事会")
        OWNERS_ASSEMBLY = "owners_assembly", _("业主大会")
        BUILDING = "building", _("楼栋议事")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.PARTY_MASSES)
    area = models.ForeignKey("areas.Area", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposal_threshold = models.PositiveIntegerField(_("提议列入议程所需支持数"), default=default_threshold)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__code", "id"]
        verbose_name = _("议事会")
        verbose_name_plural = _("议事会")
        constraints = [
            models.CheckConstraint(condition=Q(proposal_threshold__gte=1), name="council_threshold_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if action != "view" or not getattr(viewer, "is_authenticated", False):
            return q
        mine = CouncilMember.objects.filter(user=viewer, active=True).values("council_id")
        return q | _residents_q(viewer, "area__code") | Q(pk__in=mine)


class CouncilMember(TimeStampedModel):
    class Role(models.TextChoices):
        CONVENOR = "convenor", _("召集人")
        SECRETARY = "secretary", _("记录员")
        MEMBER = "member", _("成员")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    note = models.CharField(
        _("身份说明"), max_length=60, blank=True, help_text=_("如：居民代表、物业、在职党员")
    )
    active = models.BooleanField(_("在任"), default=True)

    class Meta:
        ordering = ["council_id", "role", "id"]
        verbose_name = _("议事会成员")
        verbose_name_plural = _("议事会成员")
        constraints = [models.UniqueConstraint(fields=["council", "user"], name="council_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Meeting(ScopedModel):
    """A sitting of a council: notice, sign-in (a short code in person, or online), minutes, resolutions."""

    scope_path = "council__area__code"

    class Status(models.TextChoices):
        PLANNED = "planned", _("筹备中")
        NOTICED = "noticed", _("已通知")
        HELD = "held", _("已召开")
        CANCELLED = "cancelled", _("已取消")

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("会议名称"), max_length=120)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    place = models.CharField(_("地点"), max_length=120, blank=True)
    online_url = models.CharField(_("线上会议链接"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    signin_code = models.CharField(_("签到码"), max_length=6, default=new_signin_code)
    noticed_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    held_at = models.DateTimeField(_("纪要时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("议事会议")
        verbose_name_plural = _("议事会议")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if action != "view" or not getattr(viewer, "is_authenticated", False):
            return q
        mine = CouncilMember.objects.filter(user=viewer, active=True).values("council_id")
        return q | _residents_q(viewer, "council__area__code") | Q(council_id__in=mine)


class AgendaItem(TimeStampedModel):
    class Source(models.TextChoices):
        CASE = "case", _("诉求")
        PROPOSAL = "proposal", _("居民提议")
        STAFF = "staff", _("工作人员")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    title = models.CharField(_("议题"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.STAFF)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposal = models.ForeignKey(
        "deliberation.Proposal",
        verbose_name=_("居民提议"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agenda_items",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["meeting_id", "position", "id"]
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        constraints = [
            # A proposal is put on one agenda once (the threshold crossing races are decided here too).
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(proposal__isnull=False), name="agenda_proposal_once"
            ),
            models.UniqueConstraint(
                fields=["meeting", "appeal"], condition=Q(appeal__isnull=False), name="agenda_appeal_once"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("现场签到")
        ONLINE = "online", _("线上参会")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(_("方式"), max_length=10, choices=Mode.choices)
    signed_at = models.DateTimeField(_("签到时间"))

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_mode_display()}"


class Resolution(TimeStampedModel):
    """A decision of a meeting. It may become one thing that carries it out: a case (``appeal``), a volunteer
    task (``activity``) or a follow-up with an owner and a deadline (``follow_up``); ``outcome`` says which
    and is claimed once (conditional update), so two clicks never make two cases."""

    class Outcome(models.TextChoices):
        NONE = "", _("未转办")
        CASE = "case", _("转为诉求")
        TASK = "task", _("转为志愿任务")
        FOLLOW_UP = "follow_up", _("跟进事项")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="resolutions")
    agenda_item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="resolutions"
    )
    text = models.TextField(_("决议内容"))
    votes_for = models.PositiveIntegerField(_("赞成"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("反对"), null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(_("弃权"), null=True, blank=True)
    outcome = models.CharField(_("转办"), max_length=10, choices=Outcome.choices, default="", blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activity = models.ForeignKey(
        "volunteers.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["meeting_id", "id"]
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(outcome="", appeal__isnull=True, activity__isnull=True)
                    | Q(outcome="case", activity__isnull=True)
                    | Q(outcome="task", appeal__isnull=True)
                    | Q(outcome="follow_up", appeal__isnull=True, activity__isnull=True)
                ),
                name="resolution_one_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class FollowUp(TimeStampedModel):
    """A resolution carried out by a named owner by a deadline (projects come with another issue)."""

    class State(models.TextChoices):
        OPEN = "open", _("待办")
        IN_PROGRESS = "in_progress", _("推进中")
        DONE = "done", _("已完成")
        DROPPED = "dropped", _("已终止")

    resolution = models.OneToOneField(Resolution, on_delete=models.CASCADE, related_name="follow_up")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("完成期限"))
    state = models.CharField(_("进度"), max_length=12, choices=State.choices, default=State.OPEN)
    note = models.TextField(_("进展说明"), blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("跟进事项")
        verbose_name_plural = _("跟进事项")

    def __str__(self) -> str:
        return f"跟进#{self.pk}"


# --- proposals ------------------------------------------------------------------------------------------


class Proposal(ScopedModel):
    """A resident's proposal for their grid or community. Supports accumulate (one per person); at the
    council's threshold it goes on the council's next meeting's agenda, or waits for the next meeting."""

    class Status(models.TextChoices):
        OPEN = "open", _("征集支持中")
        QUEUED = "queued", _("已达门槛，待列入议程")
        ON_AGENDA = "on_agenda", _("已列入议程")
        DECIDED = "decided", _("已议决")
        WITHDRAWN = "withdrawn", _("已撤回")

    area = models.ForeignKey("areas.Area", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+")
    council = models.ForeignKey(
        Council, verbose_name=_("议事会"), on_delete=models.PROTECT, related_name="proposals"
    )
    title = models.CharField(_("标题"), max_length=80)
    body = models.TextField(_("内容"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提议人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    support_count = models.PositiveIntegerField(_("支持数"), default=0)
    threshold = models.PositiveIntegerField(_("门槛"))
    reached_at = models.DateTimeField(_("达到门槛时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("居民提议")
        verbose_name_plural = _("居民提议")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=1), name="proposal_threshold_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if action != "view" or not getattr(viewer, "is_authenticated", False):
            return q
        return q | _residents_q(viewer, "area__code") | Q(author=viewer)


class Support(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("支持")
        verbose_name_plural = _("支持")
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="support_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user} → {self.proposal_id}"


# --- conventions ----------------------------------------------------------------------------------------


class Convention(ScopedModel):
    """A convention (公约) of an area: drafted in versions by a council, adopted by a resolution (or by a
    vote elsewhere: ``adopted_ref``), then published; residents acknowledge the published version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        PUBLISHED = "published", _("已公布")
        REPEALED = "repealed", _("已废止")

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("适用范围"), on_delete=models.PROTECT, related_name="+"
    )
    council = models.ForeignKey(
        Council, verbose_name=_("提出议事会"), on_delete=models.PROTECT, related_name="conventions"
    )
    title = models.CharField(_("名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    adopted_version = models.ForeignKey(
        "deliberation.ConventionVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adopted_by_resolution = models.ForeignKey(
        Resolution,
        verbose_name=_("通过决议"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Another app's decision (e.g. "voting.vote:12") when adopted by an owners' vote.
    adopted_ref = models.CharField(_("表决依据"), max_length=60, blank=True)
    adopted_at = models.DateTimeField(_("通过时间"), null=True, blank=True)
    adopted_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__code", "-id"]
        verbose_name = _("公约")
        verbose_name_plural = _("公约")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(adopted_version__isnull=False, adopted_at__isnull=False),
                name="convention_published_is_adopted",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if action != "view" or not getattr(viewer, "is_authenticated", False):
            return q
        return q | (_residents_q(viewer, "area__code") & Q(status="published"))


class ConventionVersion(models.Model):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    text = models.TextField(_("条文"))
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["convention_id", "number"]
        verbose_name = _("公约版本")
        verbose_name_plural = _("公约版本")
        constraints = [
            models.UniqueConstraint(fields=["convention", "number"], name="convention_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class Acknowledgment(models.Model):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="acknowledgments")
    version = models.ForeignKey(ConventionVersion, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("公约知晓")
        verbose_name_plural = _("公约知晓")
        constraints = [models.UniqueConstraint(fields=["convention", "user"], name="acknowledgment_once")]

    def __str__(self) -> str:
        return f"{self.user} ✓ {self.convention_id}"


# --- mediation ------------------------------------------------------------------------------------------


class Dispute(ScopedModel):
    """A dispute brought to mediation (矛盾纠纷调解) in a grid: parties, mediators, sessions, an outcome
    (an agreement with its terms, or a referral), follow-up visits."""

    class Kind(models.TextChoices):
        NEIGHBOUR = "neighbour", _("邻里纠纷")
        FAMILY = "family", _("婚姻家庭纠纷")
        PROPERTY = "property", _("物业纠纷")
        COMPANY = "company", _("与企业纠纷")
        OTHER = "other", _("其他纠纷")

    class Status(models.TextChoices):
        OPEN = "open", _("已受理")
        MEDIATING = "mediating", _("调解中")
        CLOSED = "closed", _("已结案")

    class Outcome(models.TextChoices):
        NONE = "", _("未结案")
        AGREEMENT = "agreement", _("达成调解协议")
        REFERRED_DEPARTMENT = "referred_department", _("转职能部门")
        REFERRED_COURT = "referred_court", _("引导诉讼")
        FAILED = "failed", _("调解不成")
        WITHDRAWN = "withdrawn", _("撤回")

    area = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("纠纷类型"), max_length=12, choices=Kind.choices)
    matter = models.CharField(_("纠纷事项"), max_length=120)
    description = models.TextField(_("情况"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, default="", blank=True)
    terms = models.TextField(_("协议内容"), blank=True)
    referred_to = models.CharField(_("转交单位"), max_length=100, blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("来源诉求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("受理时间"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("纠纷调解")
        verbose_name_plural = _("纠纷调解")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="closed") & ~Q(outcome="")) | (~Q(status="closed") & Q(outcome="")),
                name="dispute_outcome_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.matter

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if not getattr(viewer, "is_authenticated", False):
            return q
        # A mediator reaches the disputes they mediate (and may record sessions on them).
        return q | Q(pk__in=Mediator.objects.filter(user=viewer).values("dispute_id"))


class Party(models.Model):
    """A party to a dispute. Personal data: the name is masked in every list, the phone stored encrypted."""

    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        COMPANY = "company", _("企业/单位")

    class Side(models.TextChoices):
        APPLICANT = "applicant", _("申请方")
        RESPONDENT = "respondent", _("被申请方")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    side = models.CharField(_("立场"), max_length=10, choices=Side.choices)
    name = models.CharField(_("姓名/名称"), max_length=100)
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["dispute_id", "side", "id"]
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self) -> str:
        return f"当事人#{self.pk}"


class Mediator(models.Model):
    class Kind(models.TextChoices):
        GRID_WORKER = "grid_worker", _("网格员")
        ELDER_ARBITER = "elder_arbiter", _("长者评理员")
        THREE_OFFICIALS = "three_officials", _("三官一律")
        LAONIANGJIU = "laoniangjiu", _("老娘舅调解团")
        PEOPLES_MEDIATOR = "peoples_mediator", _("人民调解员")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="mediators")
    kind = models.CharField(_("调解力量"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    lead = models.BooleanField(_("主调解人"), default=False)

    class Meta:
        ordering = ["dispute_id", "-lead", "id"]
        verbose_name = _("调解人")
        verbose_name_plural = _("调解人")

    def __str__(self) -> str:
        return f"{self.name} · {self.get_kind_display()}"


class MediationSession(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    notes = models.TextField(_("调解记录"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["dispute_id", "held_at", "id"]
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")

    def __str__(self) -> str:
        return f"调解#{self.pk}"


class FollowUpVisit(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="visits")
    visited_at = models.DateTimeField(_("回访时间"))
    note = models.TextField(_("回访情况"))
    kept = models.BooleanField(_("协议履行/关系稳定"), default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["dispute_id", "visited_at", "id"]
        verbose_name = _("回访")
        verbose_name_plural = _("回访")

    def __str__(self) -> str:
        return f"回访#{self.pk}"
