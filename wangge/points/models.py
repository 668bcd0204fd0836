"""The points ledger (积分): append-only entries, a per-user account row holding the cached balance
(locked for every debit), earning rules as data, and the rewards catalogue with redemptions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import AppendOnlyModel, TimeStampedModel
from wangge.core.scoping import NEVER, ScopedModel


class PointAccount(models.Model):
    """One row per user. ``balance`` always equals the sum of the user's entries: both change in the same
    transaction while this row is locked (``select_for_update``), and the database refuses a negative one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="point_account",
    )
    balance = models.IntegerField(_("积分余额"), default=0)
    earned_total = models.IntegerField(_("累计获得"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.balance}"


class EarningRule(TimeStampedModel):
    """What an earning event pays: ``points_per_unit`` × quantity × factor, rounded. Rows are data, and so
    are the limits that stop farming: a minimum duration, at most N earnings per period (the caller names the
    period, e.g. one pairing's visit schedule) and at most N per day. An event beyond a limit is refused."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    points_per_unit = models.DecimalField(_("每单位积分"), max_digits=8, decimal_places=2)
    unit_label = models.CharField(_("单位"), max_length=10, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    min_minutes = models.PositiveIntegerField(_("最短时长（分钟）"), null=True, blank=True)
    max_per_period = models.PositiveIntegerField(_("每周期最多次数"), null=True, blank=True)
    max_per_day = models.PositiveIntegerField(_("每人每天最多次数"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [
            models.CheckConstraint(condition=Q(points_per_unit__gte=0), name="points_rule_not_negative")
        ]

    def __str__(self) -> str:
        return self.name


class PointEntry(AppendOnlyModel):
    """One line of the ledger. Never edited or deleted; a mistake is undone by a reversal entry."""

    class Kind(models.TextChoices):
        EARN = "earn", _("获得")
        SPEND = "spend", _("兑换")
        REVERSAL = "reversal", _("冲正")
        ADJUSTMENT = "adjustment", _("调整")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.PROTECT,
        related_name="point_entries",
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    points = models.IntegerField(_("积分"))
    balance_after = models.IntegerField(_("变动后余额"))
    rule_code = models.CharField(_("规则"), max_length=40, blank=True)
    # Where the event came from ("signup:12", "wish:5", "redemption:3"): with rule_code, pays once.
    source_key = models.CharField(_("来源"), max_length=80, blank=True)
    # The period the event belongs to ("pairing:7:12": the 12th visit period of pairing 7) and its day,
    # for the rule's per-period and per-day limits.
    period_key = models.CharField(_("周期"), max_length=80, blank=True, db_index=True)
    occurred_on = models.DateField(_("发生日期"), null=True, blank=True, db_index=True)
    quantity = models.FloatField(_("数量"), default=1)
    factor = models.FloatField(_("系数"), default=1)
    reason = models.CharField(_("原因/说明"), max_length=200, blank=True)
    # At most one reversal per entry: the key "reverses:<id>" in ``PointEntryKey`` (a unique key on the
    # partitioned ledger would have to include ``created_at``; no foreign key can point into it either).
    reverses = models.ForeignKey(
        "self",
        db_constraint=False,
        verbose_name=_("冲正对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        indexes = [models.Index(fields=["user", "-created_at"], name="points_entry_user_created")]
        # "Earn once per (rule, source)" is the unique key "earn:<rule>:<source>" in ``PointEntryKey``.
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="earn", points__gt=0)
                    | Q(kind="spend", points__lt=0)
                    | Q(kind="reversal", reverses__isnull=False)
                    | (Q(kind="adjustment") & ~Q(points=0) & ~Q(reason=""))
                ),
                name="points_entry_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="points_entry_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.points:+d}"


class PointEntryKey(models.Model):
    """The ledger's uniqueness, kept beside it: the ledger is partitioned by month on PostgreSQL, where a unique
    key must include the partition key (``created_at``), so "a source pays once" and "an entry is reversed
    once" cannot be unique indexes on it. Written in the entry's transaction (``services._post``):
    ``earn:<rule_code>:<source_key>`` and ``reverses:<entry id>``."""

    key = models.CharField(max_length=160, unique=True)
    entry_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("积分流水唯一键")
        verbose_name_plural = _("积分流水唯一键")

    def __str__(self) -> str:
        return self.key


class Reward(TimeStampedModel, ScopedModel):
    """An item in a community's or a unit's catalogue, paid for in points. Active items are open to every
    signed-in member; staff manage (and see inactive) the items of their area scope."""

    scope_path = "area__code"

    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("提供单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rewards",
    )
    price = models.PositiveIntegerField(_("所需积分"))
    stock = models.IntegerField(_("库存"), default=0)
    per_person_limit = models.PositiveIntegerField(_("每人限兑"), null=True, blank=True)
    active = models.BooleanField(_("上架"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["price", "id"]
        verbose_name = _("兑换物品")
        verbose_name_plural = _("兑换物品")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_reward_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="points_reward_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not getattr(viewer, "is_authenticated", False):
            return NEVER
        q = super().visible_q(viewer, action)
        return q | Q(active=True) if action == "view" else q


class Redemption(TimeStampedModel, ScopedModel):
    """A reward taken for points. Created with the spend entry and the stock decrement in one
    transaction; handed over (confirmed by staff) or cancelled (points and stock returned). The member sees
    theirs; staff see (and hand over) those of their scope's catalogue."""

    scope_path = "reward__area__code"

    class Status(models.TextChoices):
        PENDING = "pending", _("待领取")
        HANDED_OVER = "handed_over", _("已领取")
        CANCELLED = "cancelled", _("已取消")

    reward = models.ForeignKey(
        Reward, verbose_name=_("物品"), on_delete=models.PROTECT, related_name="redemptions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("兑换人"),
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    spend_entry = models.OneToOneField(  # no database constraint: the ledger is partitioned (docs/scale.md)
        PointEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redemption",
        db_constraint=False,
    )
    handed_over_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")

    def __str__(self) -> str:
        return f"{self.user} · {self.reward} × {self.quantity}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if not getattr(viewer, "is_authenticated", False):
            return NEVER
        q = super().visible_q(viewer, action)
        return q | Q(user=viewer) if action == "view" else q
