"""Micro-wishes (微心愿): seasons, wishes, claims and the resources that co-building units offer.

Privacy (PIPL): a wish points at a registry resident. The public wall shows only ``public_label`` /
``public_title`` that the community fixes at review (a masked surname and at most one non-sensitive care
category), never the name, phone, address or health detail. The contact is revealed to the active
claimant and to staff in scope (see ``selectors.wish_contact``).

Concurrency: at most one active claim per wish is a partial unique constraint in the database, and a claim
moves the wish with a conditional ``UPDATE … WHERE status = 'open'``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel


def default_auto_confirm_days() -> int:
    return int(getattr(settings, "WANGGE_WISH_AUTO_CONFIRM_DAYS", 7))


def default_claim_lapse_days() -> int:
    return int(getattr(settings, "WANGGE_WISH_CLAIM_LAPSE_DAYS", 14))


# Against harvesting contacts by claiming and cancelling (settings, read when used):
def max_active_claims() -> int:
    """How many wishes one member may hold (claimed or delivering) at a time."""
    return int(getattr(settings, "WANGGE_WISH_MAX_ACTIVE_CLAIMS", 5))


def max_cancellations() -> int:
    """Claims given back (cancelled or lapsed) within the window that suspend a member's claiming."""
    return int(getattr(settings, "WANGGE_WISH_MAX_CANCELLATIONS", 3))


def cancellation_window_days() -> int:
    return int(getattr(settings, "WANGGE_WISH_CANCELLATION_WINDOW_DAYS", 30))


def _own_claims_q(viewer: Any, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}claimant_user": viewer})
    if getattr(viewer, "unit_id", None):
        q |= Q(**{f"{prefix}claimant_unit_id": viewer.unit_id})
    return q


class Season(TimeStampedModel):
    """A campaign (第N季) with its own time limits; wishes belong to at most one season."""

    number = models.PositiveSmallIntegerField(_("季数"), unique=True)
    name = models.CharField(_("名称"), max_length=80)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    active = models.BooleanField(_("进行中"), default=True)
    # "Unconfirmed deliveries auto-confirm after N days", "claims with no progress lapse after N days".
    auto_confirm_days = models.PositiveSmallIntegerField(_("自动确认天数"), default=default_auto_confirm_days)
    claim_lapse_days = models.PositiveSmallIntegerField(_("认领失效天数"), default=default_claim_lapse_days)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("心愿季")
        verbose_name_plural = _("心愿季")

    def __str__(self) -> str:
        return f"第{self.number}季 {self.name}"


class Kind(models.TextChoices):
    GOODS = "goods", _("物品")
    SERVICE = "service", _("服务")


class Wish(TimeStampedModel, ScopedModel):
    """A micro-wish of one resident, posted by the resident or by a grid worker on their behalf.

    Scope: anyone sees a wish on the wall (reviewed and public: only the fields fixed at review); staff see
    every wish of their area scope; the poster, the beneficiary and the active claimant see theirs. Acting
    as staff (``action="manage"``) needs the area scope."""

    scope_path = "area__code"

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PENDING_REVIEW = "pending_review", _("待审核")
        OPEN = "open", _("待认领")
        CLAIMED = "claimed", _("已认领")
        DELIVERING = "delivering", _("待确认")
        FULFILLED = "fulfilled", _("已实现")
        CLOSED = "closed", _("已关闭")
        WITHDRAWN = "withdrawn", _("已撤回")
        REJECTED = "rejected", _("未通过")
        EXPIRED = "expired", _("已过期")

    season = models.ForeignKey(
        Season,
        verbose_name=_("心愿季"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wishes",
    )
    beneficiary = models.ForeignKey(
        "registry.Resident", verbose_name=_("心愿人"), on_delete=models.PROTECT, related_name="wishes"
    )
    # The beneficiary's grid at posting time: the area scope of the wish.
    area = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    on_behalf = models.BooleanField(_("代为提交"), default=False)
    title = models.CharField(_("心愿"), max_length=100, help_text=_("想要什么，如：一台收音机"))
    reason = models.TextField(_("原因"), blank=True)
    estimated_value = models.DecimalField(_("估计价值（元）"), max_digits=9, decimal_places=2, default=0)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    deadline = models.DateField(_("截止日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING_REVIEW, db_index=True
    )
    # Fixed at review; the only text the public sees about the beneficiary.
    public_category = models.CharField(_("公开类别"), max_length=40, blank=True)
    public_title = models.CharField(_("公开心愿"), max_length=100, blank=True)
    public_label = models.CharField(_("公开展示"), max_length=160, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    opened_at = models.DateTimeField(_("上墙时间"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("实现时间"), null=True, blank=True)
    # Approximate place (the building), for matching by distance. Never shown publicly.
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("微心愿")
        verbose_name_plural = _("微心愿")
        constraints = [
            models.CheckConstraint(condition=Q(estimated_value__gte=0), name="wish_value_not_negative"),
        ]

    def __str__(self) -> str:
        return self.public_label or f"心愿#{self.pk}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if action != "view":
            return q
        q |= Q(status__in=PUBLIC_STATES)
        if getattr(viewer, "is_authenticated", False):
            active = WishClaim.objects.filter(_own_claims_q(viewer), active=True).values("wish_id")
            q |= Q(posted_by=viewer) | Q(beneficiary__account=viewer) | Q(pk__in=active)
        return q


class WishClaim(TimeStampedModel, ScopedModel):
    """A claim of a wish by a member (user) or a co-building unit. One active claim per wish (database).
    Visible to staff in scope and to the claimant (the member, or the members of the claiming unit)."""

    scope_path = "wish__area__code"

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("已认领")
        DELIVERING = "delivering", _("已送达待确认")
        FULFILLED = "fulfilled", _("已实现")
        CANCELLED = "cancelled", _("已取消")
        LAPSED = "lapsed", _("已失效")
        RETURNED = "returned", _("已退回")

    wish = models.ForeignKey(Wish, verbose_name=_("心愿"), on_delete=models.CASCADE, related_name="claims")
    claimant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认领人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wish_claims",
    )
    claimant_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("认领单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wish_claims",
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(_("有效"), default=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.CLAIMED)
    last_progress_at = models.DateTimeField(_("最近进展"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    delivery_note = models.CharField(_("送达说明"), max_length=300, blank=True)
    delivery_photo = models.FileField(_("送达照片"), upload_to="wishes/%Y/%m/", blank=True)
    disputed = models.BooleanField(_("有异议"), default=False)
    dispute_note = models.CharField(_("异议说明"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_confirmed = models.BooleanField(_("自动确认"), default=False)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("心愿认领")
        verbose_name_plural = _("心愿认领")
        constraints = [
            models.UniqueConstraint(
                fields=["wish"], condition=Q(active=True), name="wishclaim_one_active_per_wish"
            ),
            models.CheckConstraint(
                condition=(
                    Q(claimant_user__isnull=False, claimant_unit__isnull=True)
                    | Q(claimant_user__isnull=True, claimant_unit__isnull=False)
                ),
                name="wishclaim_exactly_one_claimant",
            ),
        ]

    def __str__(self) -> str:
        return f"认领#{self.pk} 心愿#{self.wish_id}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action)
        if action == "view" and getattr(viewer, "is_authenticated", False):
            q |= _own_claims_q(viewer)
        return q

    @property
    def claimant_name(self) -> str:
        if self.claimant_unit_id:
            return str(self.claimant_unit)
        return str(self.claimant_user)


class Resource(TimeStampedModel, ScopedModel):
    """What a co-building unit offers a community (资源清单): goods, services, rooms, money, skills.
    Staff of the community's scope see it."""

    scope_path = "community__code"

    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="wish_resources"
    )
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    title = models.CharField(_("资源"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["community__code", "unit__name", "id"]
        verbose_name = _("资源")
        verbose_name_plural = _("资源")

    def __str__(self) -> str:
        return f"{self.unit} · {self.title}"


# Reviewed wishes: what the public wall shows (only the fields fixed at review).
PUBLIC_STATES = (
    Wish.Status.OPEN,
    Wish.Status.CLAIMED,
    Wish.Status.DELIVERING,
    Wish.Status.FULFILLED,
)
