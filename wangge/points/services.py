"""Every write to the points ledger and the rewards catalogue.

Concurrency: every change of a user's balance first locks that user's ``PointAccount`` row
(``select_for_update``; on SQLite the IMMEDIATE transaction serialises writers), then writes the entry and
moves the cached balance by the same amount in the same transaction, guarded by ``WHERE balance >= cost``
and a CHECK constraint. Stock moves with a conditional ``UPDATE … WHERE stock >= quantity``.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from wangge.accounts.roles import user_can
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound, from_django_validation
from wangge.core.scoping import scope_for
from wangge.core.transactions import use_case

from .models import EarningRule, PointAccount, PointEntry, PointEntryKey, Redemption, Reward
from .rules import DEFAULT_EARNING_RULES

log = logging.getLogger(__name__)


def _lock_account(user: Any) -> PointAccount:
    """The user's account row, locked for the rest of the transaction (created on first use)."""
    try:
        return PointAccount.objects.select_for_update().get(user=user)
    except PointAccount.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            PointAccount.objects.create(user=user)
    except IntegrityError:  # created by a concurrent transaction: fine, lock theirs
        pass
    return PointAccount.objects.select_for_update().get(user=user)


def _post(
    account: PointAccount,
    *,
    kind: str,
    points: int,
    by: Any = None,
    rule_code: str = "",
    source_key: str = "",
    quantity: float = 1,
    factor: float = 1,
    reason: str = "",
    reverses: PointEntry | None = None,
    period_key: str = "",
    occurred_on: dt.date | None = None,
) -> PointEntry:
    """Write one entry and move the locked account's balance by ``points``. The caller holds the lock."""
    if points < 0:
        moved = PointAccount.objects.filter(pk=account.pk, balance__gte=-points).update(
            balance=F("balance") + points, updated_at=timezone.now()
        )
        if not moved:
            raise Conflict("积分不足", state={"balance": account.balance, "needed": -points})
    else:
        PointAccount.objects.filter(pk=account.pk).update(
            balance=F("balance") + points,
            earned_total=F("earned_total") + (points if kind == PointEntry.Kind.EARN else 0),
            updated_at=timezone.now(),
        )
    account.refresh_from_db(fields=["balance", "earned_total"])
    entry = PointEntry.objects.create(
        user_id=account.user_id,
        kind=kind,
        points=points,
        balance_after=account.balance,
        rule_code=rule_code,
        source_key=source_key,
        quantity=quantity,
        factor=factor,
        reason=reason[:200],
        reverses=reverses,
        period_key=period_key,
        occurred_on=occurred_on,
        by=by if getattr(by, "pk", None) else None,
    )
    # The ledger's unique keys (models.PointEntryKey): a second earning for the source or a second reversal of
    # the entry fails here with IntegrityError and the caller's transaction (or savepoint) undoes it all.
    keys = []
    if kind == PointEntry.Kind.EARN:
        keys.append(f"earn:{rule_code}:{source_key}")
    if reverses is not None:
        keys.append(f"reverses:{reverses.pk}")
    PointEntryKey.objects.bulk_create([PointEntryKey(key=k, entry_id=entry.pk) for k in keys])
    return entry


def earning_rule_get(code: str) -> EarningRule | None:
    """The rule with ``code``; a documented default rule is (re)created when missing."""
    rule = EarningRule.objects.filter(code=code).first()
    if rule is None:
        default = next((r for r in DEFAULT_EARNING_RULES if r["code"] == code), None)
        if default is None:
            return None
        try:
            with transaction.atomic():
                rule = EarningRule.objects.create(**default)  # type: ignore[arg-type]
        except IntegrityError:
            rule = EarningRule.objects.get(code=code)
    return rule


def _rule_label(rule: EarningRule) -> str:
    return f"积分规则 {rule.code}（{rule.name}）"


def _live_earnings(rule: EarningRule, user: Any) -> Any:
    return PointEntry.objects.filter(
        kind=PointEntry.Kind.EARN, rule_code=rule.code, user=user, reversed_by__isnull=True
    )


def earning_check(
    *,
    user: Any,
    rule_code: str,
    minutes: int | None = None,
    period_key: str = "",
    on: dt.date | None = None,
    fields: dict[str, str] | None = None,
) -> EarningRule | None:
    """Refuse an earning event beyond its rule's limits (data on the rule): 422 for a duration under the
    minimum, 409 for a period or a day already used up. The error names the caller's field (``fields`` maps
    ``minutes``/``period``/``day`` to the caller's input names) and the rule. Callers that create the event
    itself (a visit) call this first so that nothing is written; ``points_earn`` calls it again under the
    account lock, which serialises one user's earnings."""
    rule = earning_rule_get(rule_code)
    if rule is None or not rule.active:
        return None
    names = {"minutes": "duration_minutes", "period": "occurred_on", "day": "occurred_on", **(fields or {})}
    label = _rule_label(rule)
    if rule.min_minutes is not None and minutes is not None and minutes < rule.min_minutes:
        raise InvalidInput.field(names["minutes"], f"{label}：时长至少 {rule.min_minutes} 分钟")
    if rule.max_per_period is not None and period_key:
        used = _live_earnings(rule, user).filter(period_key=period_key).count()
        if used >= rule.max_per_period:
            message = f"{label}：本周期已计 {used} 次，每周期最多 {rule.max_per_period} 次"
            raise Conflict(
                message, errors=[{"field": names["period"], "message": message}], state="period_limit"
            )
    if rule.max_per_day is not None:
        day = on or timezone.localdate()
        used = _live_earnings(rule, user).filter(occurred_on=day).count()
        if used >= rule.max_per_day:
            message = f"{label}：{day:%Y-%m-%d} 已计 {used} 次，每人每天最多 {rule.max_per_day} 次"
            raise Conflict(message, errors=[{"field": names["day"], "message": message}], state="day_limit")
    return rule


@transaction.atomic
def points_earn(
    *,
    user: Any,
    rule_code: str,
    source_key: str,
    quantity: float = 1,
    factor: float = 1.0,
    by: Any = None,
    note: str = "",
    minutes: int | None = None,
    period_key: str = "",
    on: dt.date | None = None,
    fields: dict[str, str] | None = None,
) -> PointEntry | None:
    """Pay ``user`` for one earning event: points = rule.points_per_unit × quantity × factor (rounded).

    Idempotent: the same (rule_code, source_key) pays at most once (checked under the account lock and
    enforced by a unique constraint); a repeat returns None. An unknown or inactive rule, or an amount
    that rounds to zero, pays nothing and returns None. An event beyond the rule's limits (``minutes``,
    ``period_key``, the day ``on``) is refused: ``earning_check`` raises a 4xx naming the field and rule."""
    if not source_key:
        raise InvalidInput.field("source_key", "必须填写积分来源")
    if quantity < 0 or factor < 0:
        raise InvalidInput.field("quantity", "数量和系数不能为负")
    rule = earning_rule_get(rule_code)
    if rule is None or not rule.active:
        log.warning("points_earn: no active rule %r (source %s)", rule_code, source_key)
        return None
    points = int(
        (rule.points_per_unit * Decimal(str(quantity)) * Decimal(str(factor))).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )
    )
    if points <= 0:
        return None
    account = _lock_account(user)
    if PointEntry.objects.filter(
        kind=PointEntry.Kind.EARN, rule_code=rule_code, source_key=source_key
    ).exists():
        return None
    on = on or timezone.localdate()
    earning_check(
        user=user, rule_code=rule_code, minutes=minutes, period_key=period_key, on=on, fields=fields
    )
    try:
        with transaction.atomic():
            return _post(
                account,
                kind=PointEntry.Kind.EARN,
                points=points,
                by=by,
                rule_code=rule_code,
                source_key=source_key,
                quantity=quantity,
                factor=factor,
                reason=note or rule.name,
                period_key=period_key,
                occurred_on=on,
            )
    except IntegrityError:  # another user's account paid the same source concurrently
        return None


@use_case
def points_adjust(*, user: Any, points: int, reason: str, by: Any) -> PointEntry:
    """A manual correction with a reason (staff only). Cannot take the balance below zero."""
    if not user_can(by, "mobilisation.manage"):
        raise Forbidden("无权调整积分")
    if not reason.strip():
        raise InvalidInput.field("reason", "调整必须说明原因")
    if not points:
        raise InvalidInput.field("points", "调整积分不能为0")
    account = _lock_account(user)
    entry = _post(account, kind=PointEntry.Kind.ADJUSTMENT, points=points, by=by, reason=reason)
    audit("update", entry, by=by, changes={"points": points}, note=reason)
    return entry


@use_case
def points_reverse(*, entry: PointEntry, reason: str, by: Any) -> PointEntry:
    """Undo ``entry`` with an opposite entry (once). A reversal that would make the balance negative fails."""
    if not reason.strip():
        raise InvalidInput.field("reason", "冲正必须说明原因")
    account = _lock_account(entry.user)
    if PointEntry.objects.filter(reverses=entry).exists():
        raise Conflict("该流水已冲正", state="reversed")
    if entry.kind == PointEntry.Kind.REVERSAL:
        raise Conflict("冲正流水不能再冲正", state="reversal")
    return _post(
        account,
        kind=PointEntry.Kind.REVERSAL,
        points=-entry.points,
        by=by,
        rule_code=entry.rule_code,
        source_key=entry.source_key,
        reason=reason,
        reverses=entry,
    )


# --- rewards -------------------------------------------------------------------------------------------


def _can_manage_reward(by: Any, reward_area_code: str | None) -> bool:
    if not user_can(by, "mobilisation.manage"):
        return False
    return scope_for(by).everything or (
        reward_area_code is not None and scope_for(by).contains(reward_area_code)
    )


@use_case
def reward_create(
    *,
    name: str,
    price: int,
    stock: int,
    by: Any,
    area: Any = None,
    unit: Any = None,
    description: str = "",
    per_person_limit: int | None = None,
) -> Reward:
    if area is None and unit is None:
        raise InvalidInput.field("area", "请选择社区或单位")
    if not _can_manage_reward(by, area.code if area is not None else None) and not (
        unit is not None and getattr(by, "unit_id", None) == unit.pk and user_can(by, "mobilisation.manage")
    ):
        raise Forbidden("无权管理该兑换目录")
    reward = Reward(
        name=name,
        price=price,
        stock=stock,
        area=area,
        unit=unit,
        description=description,
        per_person_limit=per_person_limit,
        created_by=by,
    )
    try:
        reward.full_clean()
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    if stock < 0:
        raise InvalidInput.field("stock", "库存不能为负")
    reward.save()
    audit("create", reward, by=by, changes={"price": price, "stock": stock})
    return reward


@use_case
def reward_restock(*, reward: Reward, add: int, by: Any) -> Reward:
    if not _can_manage_reward(by, reward.area.code if reward.area_id else None):
        raise Forbidden("无权管理该兑换目录")
    if add <= 0:
        raise InvalidInput.field("add", "补充数量须大于0")
    Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + add)
    reward.refresh_from_db()
    audit("update", reward, by=by, changes={"stock_added": add})
    return reward


@use_case
def reward_redeem(*, reward_id: int, user: Any, quantity: int = 1) -> Redemption:
    """Take the points and the stock in one transaction. Locks the user's account first (serialising
    that user's redemptions, so the per-person limit is counted safely), then decrements stock with a
    conditional UPDATE and debits the balance with ``WHERE balance >= cost``. Any failure rolls back all."""
    if not user_can(user, "mobilisation.participate"):
        raise Forbidden("当前角色不能兑换积分")
    if quantity < 1:
        raise InvalidInput.field("quantity", "数量至少为1")
    reward = Reward.objects.visible_to(user).filter(pk=reward_id, active=True).first()
    if reward is None:
        raise NotFound("兑换物品不存在或已下架")
    cost = reward.price * quantity
    account = _lock_account(user)
    if reward.per_person_limit is not None:
        taken = (
            Redemption.objects.filter(reward=reward, user=user)
            .exclude(status=Redemption.Status.CANCELLED)
            .aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if taken + quantity > reward.per_person_limit:
            raise Conflict(
                f"每人限兑 {reward.per_person_limit} 件",
                state={"taken": taken, "limit": reward.per_person_limit},
            )
    if account.balance < cost:
        raise Conflict("积分不足", state={"balance": account.balance, "needed": cost})
    took = Reward.objects.filter(pk=reward.pk, active=True, stock__gte=quantity).update(
        stock=F("stock") - quantity
    )
    if not took:
        raise Conflict("库存不足", state={"stock": Reward.objects.get(pk=reward.pk).stock})
    redemption = Redemption.objects.create(reward=reward, user=user, quantity=quantity, points=cost)
    entry = _post(
        account,
        kind=PointEntry.Kind.SPEND,
        points=-cost,
        by=user,
        source_key=f"redemption:{redemption.pk}",
        quantity=quantity,
        reason=f"兑换 {reward.name}",
    )
    Redemption.objects.filter(pk=redemption.pk).update(spend_entry=entry)
    redemption.spend_entry = entry
    audit("create", redemption, by=user, changes={"points": cost, "quantity": quantity})
    return redemption


@use_case
def redemption_hand_over(*, redemption: Redemption, by: Any) -> Redemption:
    """Staff confirm the item was handed over."""
    if not _can_manage_reward(by, redemption.reward.area.code if redemption.reward.area_id else None):
        raise Forbidden("无权确认领取")
    moved = Redemption.objects.filter(pk=redemption.pk, status=Redemption.Status.PENDING).update(
        status=Redemption.Status.HANDED_OVER, handed_over_at=timezone.now(), handed_over_by=by
    )
    redemption.refresh_from_db()
    if not moved:
        raise Conflict("该兑换不在待领取状态", state=redemption.status)
    audit("update", redemption, by=by, changes={"status": "handed_over"})
    return redemption


@use_case
def redemption_cancel(*, redemption: Redemption, reason: str, by: Any) -> Redemption:
    """Cancel a pending redemption: the points come back through a reversal entry, the stock is returned."""
    if not reason.strip():
        raise InvalidInput.field("reason", "请填写取消原因")
    is_owner = getattr(by, "pk", None) == redemption.user_id
    if not is_owner and not _can_manage_reward(
        by, redemption.reward.area.code if redemption.reward.area_id else None
    ):
        raise Forbidden("无权取消该兑换")
    account = _lock_account(redemption.user)
    moved = Redemption.objects.filter(pk=redemption.pk, status=Redemption.Status.PENDING).update(
        status=Redemption.Status.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason[:200]
    )
    redemption.refresh_from_db()
    if not moved:
        raise Conflict("只能取消待领取的兑换", state=redemption.status)
    Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + redemption.quantity)
    if redemption.spend_entry is not None:
        _post(
            account,
            kind=PointEntry.Kind.REVERSAL,
            points=-redemption.spend_entry.points,
            by=by,
            source_key=f"redemption:{redemption.pk}",
            reason=f"取消兑换：{reason}",
            reverses=redemption.spend_entry,
        )
    audit("update", redemption, by=by, changes={"status": "cancelled"}, note=reason)
    return redemption
