"""Mobilisation (力量下沉): member profiles, 双报到 (members report to their home community, co-building
units sign agreements), service posts and projects, volunteer tasks with capacity and a waitlist, check-in,
hours, ratings, and members' own micro-projects (自设服务菜单)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import NEVER, ScopedModel, scope_for


def _signed_in(viewer: Any) -> bool:
    return bool(getattr(viewer, "is_authenticated", False))


def new_checkin_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class Member(TimeStampedModel, ScopedModel):
    """The mobilisation profile of any account (a party member, a volunteer, a rider …).

    Scope: staff see the members who live in or reported to a community of their scope; a member sees
    themselves. Acting on a member (verifying them, confirming their unit) needs the staff scope."""

    scope_path = "home_community__code"

    class Kind(models.TextChoices):
        IN_SERVICE_PARTY = "in_service_party", _("在职党员")
        RETIRED_PARTY = "retired_party", _("退休党员")
        VOLUNTEER = "volunteer", _("志愿者")
        RIDER = "rider", _("外卖骑手")
        COURIER = "courier", _("快递员")
        DRIVER = "driver", _("网约车/货车司机")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="member"
    )
    kind = models.CharField(_("身份"), max_length=20, choices=Kind.choices, default=Kind.VOLUNTEER)
    skills = models.JSONField(_("技能"), default=list, blank=True)
    availability = models.CharField(_("可服务时间"), max_length=120, blank=True)
    home_community = models.ForeignKey(
        "areas.Area",
        verbose_name=_("居住社区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_members",
    )
    unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("工作单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mobilised_members",
    )
    bio = models.CharField(_("简介"), max_length=200, blank=True)
    # Set by the unit (its own accounts) or by community staff, never by the member: unit-restricted tasks
    # read confirmed units only. Cleared when the member names another unit.
    unit_confirmed_at = models.DateTimeField(_("单位确认时间"), null=True, blank=True)
    unit_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The community has checked who this member is (in person, or against the party-member roll). Only
    # verified members may claim micro-wishes (and so see a resident's contact).
    verified_at = models.DateTimeField(_("社区核实时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_community = models.ForeignKey(
        "areas.Area",
        verbose_name=_("核实社区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Too many wish claims given back within the window: claiming is suspended until the window has passed
    # or the community verifies the member again.
    claims_suspended_at = models.DateTimeField(_("暂停认领时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("党员/志愿者")
        verbose_name_plural = _("党员/志愿者")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_party_member(self) -> bool:
        return self.kind in (self.Kind.IN_SERVICE_PARTY, self.Kind.RETIRED_PARTY)

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        scope = scope_for(viewer)
        reported = CommunityReport.objects.filter(scope.q("community__code"), active=True).values("member_id")
        q = scope.q(cls.scope_path) | Q(pk__in=reported)
        if action == "view":
            q |= Q(user=viewer)
        return q

    @property
    def confirmed_unit_id(self) -> int | None:
        """The member's unit, only once the unit or the community confirmed it."""
        return self.unit_id if self.unit_confirmed_at is not None else None


class CommunityReport(TimeStampedModel, ScopedModel):
    """双报到 (person): a member reports to the community where they live. One active report per pair."""

    scope_path = "community__code"

    member = models.ForeignKey(
        Member, verbose_name=_("报到人"), on_delete=models.CASCADE, related_name="reports"
    )
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="member_reports"
    )
    # The employer at the time of reporting (kept even if the member changes job).
    unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("有效"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("社区报到")
        verbose_name_plural = _("社区报到")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"], condition=Q(active=True), name="volunteers_report_once_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.community}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        q = super().visible_q(viewer, action)
        return q | Q(member__user=viewer) if action == "view" else q


class UnitAgreement(TimeStampedModel, ScopedModel):
    """双报到 (unit): a co-building unit (共建单位) signs with a community and lists what it offers.
    Active agreements are public to signed-in users (which units serve which community); staff manage the
    ones in their scope."""

    scope_path = "community__code"

    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("共建单位"), on_delete=models.PROTECT, related_name="agreements"
    )
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="unit_agreements"
    )
    people = models.PositiveIntegerField(_("可派人数"), default=0)
    rooms = models.CharField(_("场地"), max_length=200, blank=True)
    funds = models.PositiveIntegerField(_("资金（元）"), default=0)
    skills = models.CharField(_("专业技能"), max_length=200, blank=True)
    other = models.CharField(_("其他资源"), max_length=200, blank=True)
    signed_on = models.DateField(_("签约日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["community__code", "unit__name"]
        verbose_name = _("共建协议")
        verbose_name_plural = _("共建协议")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "community"],
                condition=Q(active=True),
                name="volunteers_agreement_once_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} ↔ {self.community}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        q = super().visible_q(viewer, action)
        return q | Q(active=True) if action == "view" else q


class ServicePost(TimeStampedModel, ScopedModel):
    """A service post (岗位, e.g. 楼道长助理) or a project (项目) a community offers for members or units
    to claim, with a number of places. Open ones are visible to every signed-in user."""

    scope_path = "community__code"

    class Kind(models.TextChoices):
        POST = "post", _("服务岗位")
        PROJECT = "project", _("服务项目")

    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="service_posts"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.POST)
    title = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("内容"), blank=True)
    places = models.PositiveIntegerField(_("名额"), default=1)
    claimed_count = models.PositiveIntegerField(_("已认领"), default=0)
    open = models.BooleanField(_("开放认领"), default=True)

    class Meta:
        ordering = ["community__code", "title"]
        verbose_name = _("服务岗位/项目")
        verbose_name_plural = _("服务岗位/项目")
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_count__lte=models.F("places")), name="volunteers_post_not_over"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        q = super().visible_q(viewer, action)
        return q | Q(open=True) if action == "view" else q


class PostClaim(TimeStampedModel):
    """A member or a unit holding one place of a service post / project."""

    post = models.ForeignKey(ServicePost, on_delete=models.CASCADE, related_name="claims")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="post_claims"
    )
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="post_claims"
    )
    active = models.BooleanField(default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("岗位认领")
        verbose_name_plural = _("岗位认领")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "member"],
                condition=Q(active=True, member__isnull=False),
                name="volunteers_claim_member",
            ),
            models.UniqueConstraint(
                fields=["post", "unit"],
                condition=Q(active=True, unit__isnull=False),
                name="volunteers_claim_unit",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(unit__isnull=False),
                name="volunteers_claim_has_claimant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member or self.unit} · {self.post}"


class Activity(TimeStampedModel, ScopedModel):
    """A volunteer task (志愿任务): what, where, when, how many. ``confirmed_count`` counts the places held
    (confirmed, checked in/out, or offered to the next in line) and never exceeds ``capacity``.

    Scope: staff see (and run, ``action="manage"``) the tasks of their area scope and the ones they
    published; members see public tasks, their communities' tasks (where they live or reported: 双报到),
    their confirmed unit's tasks, and any task they signed up for."""

    scope_path = "area__code"

    class Status(models.TextChoices):
        OPEN = "open", _("招募中")
        CANCELLED = "cancelled", _("已取消")
        CLOSED = "closed", _("已结束")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("所有人")
        COMMUNITY = "community", _("本社区党员/志愿者")
        UNIT = "unit", _("本单位")

    title = models.CharField(_("任务"), max_length=100)
    description = models.TextField(_("内容"), blank=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("社区/网格"), on_delete=models.PROTECT, related_name="activities"
    )
    organiser_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("发布单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    team = models.CharField(_("志愿队伍"), max_length=80, blank=True)
    place = models.CharField(_("地点"), max_length=120, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    confirmed_count = models.PositiveIntegerField(_("已占名额"), default=0)
    skills = models.JSONField(_("所需技能"), default=list, blank=True)
    # Member kinds allowed to sign up; empty = everyone.
    eligible_kinds = models.JSONField(_("参与对象"), default=list, blank=True)
    visibility = models.CharField(
        _("可见范围"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    checkin_code = models.CharField(_("签到码"), max_length=6, default=new_checkin_code)
    checkin_radius_m = models.PositiveIntegerField(_("签到距离（米）"), null=True, blank=True)
    offer_hours = models.PositiveIntegerField(_("递补确认时限（小时）"), default=12)
    promotion_cutoff_hours = models.PositiveIntegerField(_("开始前停止递补（小时）"), default=2)
    beneficiaries = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("服务对象"), blank=True, related_name="served_activities"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("志愿任务")
        verbose_name_plural = _("志愿任务")
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_count__lte=models.F("capacity")),
                name="volunteers_activity_not_overbooked",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="volunteers_activity_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="volunteers_activity_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        q = super().visible_q(viewer, action) | Q(created_by=viewer)
        if action != "view":
            return q
        q |= Q(visibility=cls.Visibility.PUBLIC) | Q(signups__member__user=viewer)
        member = Member.objects.filter(user=viewer).first()
        if member is not None:
            for code in member_community_codes(member):
                q |= Q(visibility=cls.Visibility.COMMUNITY, area__code__startswith=code)
            if member.confirmed_unit_id:
                q |= Q(visibility=cls.Visibility.UNIT, organiser_unit_id=member.confirmed_unit_id)
        return Q(pk__in=Activity.objects.filter(q).values("pk"))


def member_community_codes(member: Member) -> list[str]:
    """The communities a member belongs to for community-only tasks: where they live and where they reported."""
    codes = list(
        CommunityReport.objects.filter(member=member, active=True).values_list("community__code", flat=True)
    )
    if member.home_community_id:
        codes.append(member.home_community.code)  # type: ignore[union-attr]
    return sorted(set(codes))


class Signup(TimeStampedModel, ScopedModel):
    """A member's place on a task, or in its waitlist (first come, first served by ``id``). Visible to the
    member, the task's publisher and staff in scope."""

    scope_path = "activity__area__code"

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("已报名")
        WAITLISTED = "waitlisted", _("候补中")
        OFFERED = "offered", _("递补待确认")
        CANCELLED = "cancelled", _("已取消")
        CHECKED_IN = "checked_in", _("已签到")
        CHECKED_OUT = "checked_out", _("已签退")
        NO_SHOW = "no_show", _("缺席")

    # Statuses that hold one of the ``capacity`` places.
    HOLDING = (Status.CONFIRMED, Status.OFFERED, Status.CHECKED_IN, Status.CHECKED_OUT)

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="signups")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, db_index=True)
    queued_at = models.DateTimeField(_("排队时间"), auto_now_add=True)
    offer_expires_at = models.DateTimeField(_("递补确认截止"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长"), max_digits=6, decimal_places=2, null=True, blank=True)
    hours_approved_at = models.DateTimeField(_("时长审核时间"), null=True, blank=True)
    hours_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    points_awarded = models.IntegerField(_("获得积分"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="volunteers_signup_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.activity} · {self.status}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        q = super().visible_q(viewer, action) | Q(activity__created_by=viewer)
        return q | Q(member__user=viewer) if action == "view" else q


class Rating(TimeStampedModel):
    """A 1–5 rating of a volunteer on a task, by a person served or by the organiser on their behalf."""

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    on_behalf = models.BooleanField(_("代评"), default=False)
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评价"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("服务评价")
        verbose_name_plural = _("服务评价")
        constraints = [
            models.UniqueConstraint(fields=["signup", "rater"], name="volunteers_rating_once_per_rater"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="volunteers_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.signup} · {self.score}"


class MicroProject(TimeStampedModel, ScopedModel):
    """自设服务菜单: a service a member offers on their own (haircuts, phone help …) that residents book.
    Active ones are visible to every signed-in user."""

    scope_path = "community__code"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="micro_projects")
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="micro_projects")
    title = models.CharField(_("服务名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    schedule = models.CharField(_("服务时间"), max_length=120, blank=True)
    active = models.BooleanField(_("开放预约"), default=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("自设服务项目")
        verbose_name_plural = _("自设服务项目")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        q = super().visible_q(viewer, action) | Q(member__user=viewer)
        return q | Q(active=True) if action == "view" else q


class Booking(TimeStampedModel, ScopedModel):
    """A resident's booking of a micro-project: the resident's and the offering member's."""

    scope_path = "project__community__code"

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待确认")
        ACCEPTED = "accepted", _("已接单")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    project = models.ForeignKey(MicroProject, on_delete=models.CASCADE, related_name="bookings")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookings")
    wanted_at = models.DateTimeField(_("预约时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    score = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    # The hours served, recorded by the member when done; points = hours × the rating's factor, paid when the
    # resident rates (like a volunteer task's hours × its rating).
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=4, decimal_places=2, null=True, blank=True)
    comment = models.CharField(_("评价"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    points_awarded = models.IntegerField(_("所得积分"), default=0)

    class Meta:
        ordering = ["-wanted_at"]
        verbose_name = _("服务预约")
        verbose_name_plural = _("服务预约")

    def __str__(self) -> str:
        return f"{self.project} · {self.resident}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not _signed_in(viewer):
            return NEVER
        return Q(resident=viewer) | Q(project__member__user=viewer)
