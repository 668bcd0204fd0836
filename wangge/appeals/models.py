"""The case loop (诉求闭环): categories with their SLAs, appeals, assignments, whistles, ratings, attachments
and the immutable timeline every metric is rebuilt from.

State changes only through ``wangge.appeals.services``; these models hold fields, named constraints and
simple derived values.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import user_can
from wangge.core.models import AppendOnlyModel, TimeStampedModel
from wangge.core.pii import EncryptedTextField
from wangge.core.scoping import NEVER, ScopedManager, scope_for


class TimeUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("工作小时")
    WORKING_DAYS = "working_days", _("工作日")
    CLOCK_HOURS = "clock_hours", _("自然小时")


class HandlerType(models.TextChoices):
    GRID = "grid", _("网格")
    PROPERTY = "property", _("物业公司")
    DEPARTMENT = "department", _("职能部门")
    COMMUNITY = "community", _("社区")


class Severity(models.TextChoices):
    """小事网格议、大事社区议: small matters start in the grid, large ones at the community."""

    SMALL = "small", _("小事（网格）")
    LARGE = "large", _("大事（社区）")


class Category(TimeStampedModel):
    """A class (大类, no parent) or a subclass (小类) of GB/T 30428.2 events/components or community matters.
    Only subclasses are reported against; each carries its handling unit type, limits and conditions."""

    class Source(models.TextChoices):
        EVENT = "event", _("事件（GB/T 30428.2）")
        COMPONENT = "component", _("部件（GB/T 30428.2）")
        COMMUNITY = "community", _("社区事务")

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("大类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.COMMUNITY)
    handler_type = models.CharField(
        _("默认处置单位类型"), max_length=12, choices=HandlerType.choices, default=HandlerType.GRID
    )
    department_name = models.CharField(
        _("职能部门名称"),
        max_length=120,
        blank=True,
        help_text=_("处置单位类型为职能部门时，单位登记中的名称"),
    )
    response_amount = models.FloatField(_("响应时限"), default=2)
    response_unit = models.CharField(
        _("响应时限单位"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_HOURS
    )
    resolve_amount = models.FloatField(_("处置时限"), default=3)
    resolve_unit = models.CharField(
        _("处置时限单位"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS
    )
    needs_onsite_check = models.BooleanField(_("需现场核查"), default=False)
    open_condition = models.TextField(_("立案条件"), blank=True)
    close_condition = models.TextField(_("结案条件"), blank=True)
    severity = models.CharField(_("事项等级"), max_length=8, choices=Severity.choices, default=Severity.SMALL)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(response_amount__gt=0, resolve_amount__gt=0),
                name="appeal_category_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_subclass(self) -> bool:
        return self.parent_id is not None


class State(models.TextChoices):
    SUBMITTED = "submitted", _("已上报")
    OPENED = "opened", _("已立案")
    DISPATCHED = "dispatched", _("已派遣")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    IN_PROGRESS = "in_progress", _("处置中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已结案")
    CANCELLED = "cancelled", _("已作废")
    MERGED = "merged", _("已合并")


class Level(models.TextChoices):
    """The level that leads (and is escalated to): grid → community → street → district."""

    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")
    DISTRICT = "district", _("区")


LEVEL_ORDER = [Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT]
LEVEL_CODE_LENGTH = {Level.GRID: 15, Level.COMMUNITY: 12, Level.STREET: 9, Level.DISTRICT: 6}


class Supervision(models.TextChoices):
    NORMAL = "normal", _("正常")
    YELLOW = "yellow", _("黄牌督办")
    RED = "red", _("红牌督办")


SUPERVISION_ORDER = [Supervision.NORMAL, Supervision.YELLOW, Supervision.RED]


class Appeal(TimeStampedModel):
    """One case. Denormalised fields (dates, flags, counts, lead) make lists and metrics fast; the timeline
    (``AppealEvent``) is the record they can be rebuilt from.

    Scope (``Appeal.objects.visible_to(viewer)``): area readers see the cases inside their area scope
    (``area_code`` prefix); everyone sees the cases they reported or entered; handlers see the cases they or
    their unit lead or co-handle, and those their unit is summoned to report in to."""

    scope_path = "area_code"
    objects = ScopedManager()

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
            return NEVER
        q = Q(reporter=viewer) | Q(submitted_by=viewer)
        if user_can(viewer, "appeals.read"):
            q |= scope_for(viewer).q(cls.scope_path)
        if user_can(viewer, "appeals.handle"):
            q |= cls.handling_q(viewer)
        else:
            # 红色代办员: a volunteer the community appointed sees the service cases dispatched to them.
            q |= Q(lead_user=viewer, kind=cls.Kind.SERVICE)
        return q

    @classmethod
    def handling_q(cls, viewer: Any) -> Q:
        """The cases ``viewer`` (or their unit) leads or co-handles, or is summoned to report in to."""
        q = Q(lead_user=viewer) | Q(
            pk__in=Assignment.objects.filter(active=True, user=viewer).values("appeal_id")
        )
        if viewer.unit_id:
            q |= Q(lead_unit_id=viewer.unit_id)
            q |= Q(pk__in=Assignment.objects.filter(active=True, unit_id=viewer.unit_id).values("appeal_id"))
            q |= Q(
                pk__in=ReportIn.objects.filter(reported_at__isnull=True, unit_id=viewer.unit_id).values(
                    "appeal_id"
                )
            )
        return q

    class Kind(models.TextChoices):
        PROBLEM = "problem", _("投诉/问题")
        HELP = "help", _("求助")
        SERVICE = "service", _("代办/陪办/上门办")
        QUESTION = "question", _("咨询")
        SUGGESTION = "suggestion", _("建议")

    class Channel(models.TextChoices):
        RESIDENT_WEB = "resident_web", _("居民网页")
        PHONE = "phone", _("居民手机")
        SNAPSHOT = "snapshot", _("随手拍")
        PATROL = "patrol", _("网格员巡查")
        HOTLINE_12345 = "hotline_12345", _("12345热线转办")
        STAFF_ENTRY = "staff_entry", _("工作人员代录（微信群/电话）")
        RIDER_VOLUNTEER = "rider_volunteer", _("骑手/志愿者上报")

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY = "basically", _("基本满意")
        DISSATISFIED = "dissatisfied", _("不满意")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.PROBLEM)
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices, db_index=True)
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="appeals"
    )
    description = models.TextField(_("描述"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # WGS84 (converted at the edge from GCJ-02 when the client says so).
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    location_source = models.CharField(
        _("位置来源"), max_length=10, blank=True, help_text=_("input / exif / area")
    )
    grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    microgrid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("微网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="microgrid_appeals",
    )
    # The grid's code (or the area's code when no grid is known): scope and metrics filter by prefix.
    area_code = models.CharField(_("区域编码"), max_length=17, blank=True, db_index=True)

    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("反映人账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeals",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reporter_name = EncryptedTextField(_("反映人姓名"), blank=True, default="")
    reporter_phone = EncryptedTextField(_("反映人电话"), blank=True, default="")
    idempotency_key = models.CharField(_("幂等键"), max_length=80, null=True, blank=True)
    external_ref = models.CharField(_("外部单号"), max_length=64, blank=True, help_text=_("如12345工单号"))

    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.SUBMITTED)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_cases",
    )
    version = models.PositiveIntegerField(_("版本"), default=0)

    # --- the loop's dates ---
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    opened_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    first_ack_at = models.DateTimeField(_("首次签收时间"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("响应期限"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("处置期限"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    # --- flags and counts ---
    overdue = models.BooleanField(_("超期"), default=False)
    response_overdue = models.BooleanField(_("响应超期"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    dissatisfied_reopens = models.PositiveSmallIntegerField(_("不满意重办次数"), default=0)
    extended = models.BooleanField(_("曾延期"), default=False)
    held = models.BooleanField(_("曾缓办"), default=False)
    on_hold = models.BooleanField(_("缓办中"), default=False)
    hold_started_at = models.DateTimeField(_("缓办开始"), null=True, blank=True)
    check_passed = models.BooleanField(_("核查通过"), default=False)
    # Passed by someone on the handling side (only where WANGGE_APPEALS_ALLOW_SELF_CHECK allows it).
    self_checked = models.BooleanField(_("自查自核"), default=False)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    solved = models.BooleanField(_("已解决"), null=True, blank=True)
    auto_closed = models.BooleanField(_("自动结案"), default=False)

    # --- levels ---
    handling_level = models.CharField(_("主责层级"), max_length=10, choices=Level.choices, default=Level.GRID)
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    supervision_level = models.CharField(
        _("督办等级"), max_length=8, choices=Supervision.choices, default=Supervision.NORMAL
    )
    # Which deadline each warning/escalation was raised for, so ``tick`` never repeats one.
    response_warned_for = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_warned_for = models.DateTimeField(null=True, blank=True, editable=False)
    response_escalated_for = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_escalated_for = models.DateTimeField(null=True, blank=True, editable=False)

    # --- the lead (主办) ---
    lead_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_appeals",
    )
    lead_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("主办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_appeals",
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="appeal_unique_idempotency_key",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="appeal_unique_external_ref",
            ),
            models.CheckConstraint(
                condition=models.Q(state="merged", merged_into__isnull=False)
                | (~models.Q(state="merged") & models.Q(merged_into__isnull=True)),
                name="appeal_merged_has_target",
            ),
            models.CheckConstraint(
                condition=(models.Q(lat__isnull=True) & models.Q(lng__isnull=True))
                | models.Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180),
                name="appeal_coordinates_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["area_code", "reported_at"], name="appeal_area_reported"),
            models.Index(fields=["state", "resolve_due_at"], name="appeal_state_due"),
            models.Index(fields=["category", "reported_at"], name="appeal_category_reported"),
            # The metrics rollup's refresh finds the cases changed since its last run.
            models.Index(fields=["updated_at"], name="appeal_updated"),
            # Response deadlines still waiting for an acknowledgement (the rollup's as-of correction).
            models.Index(
                fields=["response_due_at"],
                name="appeal_response_pending",
                condition=models.Q(first_ack_at__isnull=True, dispatched_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.description[:30]}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.CLOSED, State.CANCELLED, State.MERGED)


class ErrandAgent(TimeStampedModel):
    """红色代办员: a volunteer (party member) the community appointed to take its service cases
    (代办/陪办/上门办 — "居民下单—社区派单—代办员接单"). Handling rights for ``Appeal.Kind.SERVICE`` cases
    inside ``area`` only; never a scope over anything else (it is not a post)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代办员"),
        on_delete=models.CASCADE,
        related_name="errand_posts",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="errand_agents"
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("任命人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("在任"), default=True)

    class Meta:
        verbose_name = _("红色代办员")
        verbose_name_plural = _("红色代办员")
        constraints = [models.UniqueConstraint(fields=["user", "area"], name="errand_agent_once_per_area")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.area_id}"


class Assignment(TimeStampedModel):
    """Who handles: the lead (主办) or a co-handler (协办) — a unit, a person, or an area's staff (a level
    summoned by a whistle). ``active`` goes false when the case is returned or re-dispatched."""

    class Role(models.TextChoices):
        LEAD = "lead", _("主办")
        CO = "co", _("协办")

    class Via(models.TextChoices):
        DISPATCH = "dispatch", _("派遣")
        WHISTLE = "whistle", _("吹哨报到")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("角色"), max_length=4, choices=Role.choices)
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(_("方式"), max_length=8, choices=Via.choices, default=Via.DISPATCH)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("承办")
        verbose_name_plural = _("承办")
        constraints = [
            models.UniqueConstraint(
                fields=["appeal"],
                condition=models.Q(role="lead", active=True),
                name="assignment_one_active_lead",
            ),
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False)
                | models.Q(user__isnull=False)
                | models.Q(area__isnull=False),
                name="assignment_has_assignee",
            ),
        ]
        indexes = [models.Index(fields=["unit", "active"], name="assignment_unit_active")]

    def __str__(self) -> str:
        who = self.unit or self.user or self.area
        return f"{self.get_role_display()} {who}"


class Whistle(TimeStampedModel):
    """吹哨: a grid or community summons departments or the next level up to a case."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="whistles")
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("事由"))
    blown_at = models.DateTimeField(_("吹哨时间"))

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")

    def __str__(self) -> str:
        return f"吹哨 #{self.appeal_id}"


class ReportIn(TimeStampedModel):
    """报到: one summoned unit (or the next level's area) must report in before ``due_at``; it then works
    as a co-handler."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="report_ins")
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="report_ins")
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("报到期限"))
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("报到说明"), blank=True)
    late_warned = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("报到")
        verbose_name_plural = _("报到")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(unit__isnull=False) & models.Q(area__isnull=True))
                | (models.Q(unit__isnull=True) & models.Q(area__isnull=False)),
                name="reportin_unit_xor_area",
            ),
            models.UniqueConstraint(fields=["whistle", "unit"], name="reportin_unique_unit"),
            models.UniqueConstraint(fields=["whistle", "area"], name="reportin_unique_area"),
        ]

    def __str__(self) -> str:
        return f"报到 {self.unit or self.area}"


class TimeRequest(TimeStampedModel):
    """延期/缓办: asked by the handler, decided by a supervisor. Counted apart in the metrics."""

    class Kind(models.TextChoices):
        EXTEND = "extend", _("延期")
        HOLD = "hold", _("缓办")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="time_requests")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    amount = models.FloatField(_("时长"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=16, choices=TimeUnit.choices, blank=True)
    reason = models.TextField(_("理由"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("延期/缓办申请")
        verbose_name_plural = _("延期/缓办申请")
        constraints = [
            models.UniqueConstraint(
                fields=["appeal"], condition=models.Q(status="pending"), name="timerequest_one_pending"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="extend") | models.Q(amount__gt=0),
                name="timerequest_extend_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.appeal_id} {self.status}"


class Rating(TimeStampedModel):
    """The reporter's evaluation of one round of handling (a rework starts a new round)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(_("轮次"), default=0)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Appeal.Rating.choices)
    solved = models.BooleanField(_("是否解决"))
    comment = models.TextField(_("评价内容"), blank=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [models.UniqueConstraint(fields=["appeal", "round"], name="rating_one_per_round")]

    def __str__(self) -> str:
        return f"{self.get_satisfaction_display()} #{self.appeal_id}"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("上报")
    ACCEPTED = "accepted", _("立案")
    CANCELLED = "cancelled", _("作废")
    MERGED = "merged", _("合并")
    DISPATCHED = "dispatched", _("派遣")
    ACKNOWLEDGED = "acknowledged", _("签收")
    RETURNED = "returned", _("退单")
    STARTED = "started", _("开始处置")
    RESOLVED = "resolved", _("办结")
    CHECK_PASSED = "check_passed", _("核查通过")
    CHECK_FAILED = "check_failed", _("核查不通过（返工）")
    RATED = "rated", _("评价")
    REOPENED = "reopened", _("重办")
    EXTEND_REQUESTED = "extend_requested", _("申请延期")
    EXTENDED = "extended", _("延期")
    EXTEND_REJECTED = "extend_rejected", _("延期驳回")
    HOLD_REQUESTED = "hold_requested", _("申请缓办")
    HOLD = "hold", _("缓办")
    HOLD_REJECTED = "hold_rejected", _("缓办驳回")
    RESUMED = "resumed", _("恢复办理")
    WHISTLED = "whistled", _("吹哨")
    REPORTED_IN = "reported_in", _("报到")
    URGED = "urged", _("督办")
    WARNED = "warned", _("临期预警")
    ESCALATED = "escalated", _("超期升级")
    CLOSED = "closed", _("结案")
    AUTO_CLOSED = "auto_closed", _("自动结案")
    ATTACHED = "attached", _("上传附件")
    LOCATED = "located", _("定位")


class AppealEvent(AppendOnlyModel):
    """One step of the timeline: who (and in which role), when, what, with a note, data and attachments.
    Immutable; metrics are rebuilt from these rows."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(_("角色"), max_length=20, blank=True)
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # Denormalised for metrics queries over the timeline without joining the case.
    area_code = models.CharField(max_length=17, blank=True)
    category_id_at = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("诉求时间线")
        verbose_name_plural = _("诉求时间线")
        indexes = [
            models.Index(fields=["appeal", "at"], name="appealevent_appeal_at"),
            models.Index(fields=["kind", "at"], name="appealevent_kind_at"),
            models.Index(fields=["area_code", "at"], name="appealevent_area_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.appeal_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"appeals/{instance.appeal_id}/{filename}"


class Attachment(TimeStampedModel):
    """A photo or file. Images are re-encoded (no EXIF in what is served); the EXIF GPS is kept as data."""

    class Purpose(models.TextChoices):
        REPORT = "report", _("上报")
        RESOLVE = "resolve", _("办结")
        CHECK = "check", _("核查")
        OTHER = "other", _("其他")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    # No database constraint: the timeline is partitioned by month on PostgreSQL and its key there is (id, at);
    # a foreign key needs the whole key (docs/scale.md). Events are append-only, so the id never dangles.
    event = models.ForeignKey(
        AppealEvent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
        db_constraint=False,
    )
    purpose = models.CharField(_("用途"), max_length=8, choices=Purpose.choices, default=Purpose.REPORT)
    file = models.FileField(_("文件"), upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("类型"), max_length=60)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64, blank=True)
    exif_lat = models.FloatField(_("照片纬度"), null=True, blank=True)
    exif_lng = models.FloatField(_("照片经度"), null=True, blank=True)
    exif = models.JSONField(_("照片信息"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="attachment_size_positive"),
        ]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class AppealDailyStat(models.Model):
    """Metrics rollup: the additive counts and duration sums of the cases reported on ``day`` (local date,
    ``TIME_ZONE``) whose area code starts with ``area_code`` = the first ``depth`` characters of the case's
    area code (depth 6 district, 9 street, 12 community, 17 the whole code: grid or micro-grid), so a
    district's year is 365 × its streets rows. Rebuilt from the cases by
    ``wangge.appeals.rollup`` (``wangge tick`` refreshes the days whose cases changed; ``wangge
    appeals_rollup --rebuild`` rebuilds all). Deadline-dependent counts (``dyn_*``) are judged at
    ``AppealRollupState.refreshed_at`` and corrected to the query's as-of time. See docs/metrics.md."""

    depth = models.PositiveSmallIntegerField(default=17)
    area_code = models.CharField(max_length=17)
    day = models.DateField()
    reported = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    reworked = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    self_checked = models.PositiveIntegerField(default=0)
    satisfied_n = models.PositiveIntegerField(default=0)
    basically_n = models.PositiveIntegerField(default=0)
    solved_n = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0, help_text="closed & opened (the as-of-independent part)")
    due_held = models.PositiveIntegerField(default=0)
    closed_not_held = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    closed_reworked = models.PositiveIntegerField(default=0)
    response_due_n = models.PositiveIntegerField(default=0, help_text="acknowledged (as-of-independent)")
    responded_n = models.PositiveIntegerField(default=0)
    live_opened = models.PositiveIntegerField(default=0)
    dyn_due = models.PositiveIntegerField(default=0, help_text="open, resolution deadline ≤ refreshed_at")
    dyn_due_held = models.PositiveIntegerField(default=0)
    dyn_response_due_n = models.PositiveIntegerField(default=0)
    # Duration sums in microseconds and their sample sizes (averaged after adding up).
    sum_open = models.BigIntegerField(default=0)
    sum_response = models.BigIntegerField(default=0)
    sum_handle = models.BigIntegerField(default=0)
    sum_close = models.BigIntegerField(default=0)
    n_open = models.PositiveIntegerField(default=0)
    n_response = models.PositiveIntegerField(default=0)
    n_handle = models.PositiveIntegerField(default=0)
    n_close = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("诉求日统计")
        verbose_name_plural = _("诉求日统计")
        constraints = [
            models.UniqueConstraint(fields=["depth", "area_code", "day"], name="appealdailystat_unique_depth")
        ]
        indexes = [models.Index(fields=["depth", "day"], name="appealdailystat_depth_day")]

    def __str__(self) -> str:
        return f"{self.area_code} {self.day}"


class AppealRollupState(models.Model):
    """One row (pk=1): when the rollup was last refreshed (its deadline judgements hold at that time)."""

    refreshed_at = models.DateTimeField()
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("诉求统计刷新")
        verbose_name_plural = _("诉求统计刷新")

    def __str__(self) -> str:
        return f"rollup @ {self.refreshed_at:%Y-%m-%d %H:%M}"
