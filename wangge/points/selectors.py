"""Reads of the points ledger and the rewards catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Sum

from wangge.accounts.roles import user_can
from wangge.core.errors import NotFound
from wangge.core.scoping import scope_for

from .models import PointAccount, PointEntry, Redemption, Reward


def points_balance(user: Any) -> int:
    """The user's balance (the cached value, equal to the ledger sum)."""
    if user is None or not getattr(user, "pk", None):
        return 0
    return PointAccount.objects.filter(user=user).values_list("balance", flat=True).first() or 0


def points_ledger_sum(user: Any) -> int:
    """The balance recomputed from the entries (for checks and reports)."""
    return PointEntry.objects.filter(user=user).aggregate(s=Sum("points"))["s"] or 0


def point_entry_list(*, viewer: Any, user: Any | None = None) -> QuerySet[PointEntry]:
    """A user's own entries; staff may pass another user."""
    target = user or viewer
    if target != viewer and not user_can(viewer, "mobilisation.manage"):
        return PointEntry.objects.none()
    return PointEntry.objects.filter(user=target).order_by("-created_at", "-id")


def point_leaderboard(*, viewer: Any, limit: int = 10) -> list[PointAccount]:
    return list(PointAccount.objects.select_related("user").order_by("-earned_total", "id")[:limit])


def reward_list(*, viewer: Any, include_inactive: bool = False) -> QuerySet[Reward]:
    """The catalogue: every active reward for members; managers also see inactive ones in their scope."""
    qs = Reward.objects.select_related("area", "unit")
    if include_inactive and user_can(viewer, "mobilisation.manage"):
        return qs.filter(Q(active=True) | scope_for(viewer).q("area__code"))
    return qs.filter(active=True)


def reward_get(*, viewer: Any, reward_id: int) -> Reward:
    reward = reward_list(viewer=viewer, include_inactive=True).filter(pk=reward_id).first()
    if reward is None:
        raise NotFound("兑换物品不存在")
    return reward


def redemption_list(*, viewer: Any, mine: bool = True) -> QuerySet[Redemption]:
    qs = Redemption.objects.select_related("reward", "user").order_by("-created_at", "-id")
    if mine or not user_can(viewer, "mobilisation.manage"):
        return qs.filter(user=viewer)
    return qs.filter(scope_for(viewer).q("reward__area__code"))


def redemption_get(*, viewer: Any, redemption_id: int) -> Redemption:
    r = (
        Redemption.objects.select_related("reward", "reward__area", "spend_entry")
        .filter(pk=redemption_id)
        .first()
    )
    if r is None:
        raise NotFound("兑换记录不存在")
    if r.user_id != viewer.pk and not (
        user_can(viewer, "mobilisation.manage")
        and scope_for(viewer).contains(r.reward.area.code if r.reward.area_id else None)
    ):
        raise NotFound("兑换记录不存在")
    return r
