"""Reads of the points ledger and the rewards catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from wangge.accounts.roles import user_can
from wangge.core.scoping import get_visible_or_404

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
    qs = Reward.objects.visible_to(viewer).select_related("area", "unit")
    if include_inactive and user_can(viewer, "mobilisation.manage"):
        return qs
    return qs.filter(active=True)


def reward_get(*, viewer: Any, reward_id: int) -> Reward:
    reward: Reward = get_visible_or_404(Reward.objects.select_related("area", "unit"), viewer, pk=reward_id)
    return reward


def redemption_list(*, viewer: Any, mine: bool = True) -> QuerySet[Redemption]:
    """The viewer's redemptions (or, for staff with ``mine=False``, their scope's), each with its reward
    and the redeemer's balance in the same query (no query per row)."""
    qs = (
        Redemption.objects.visible_to(viewer)
        .select_related("reward", "user", "user__point_account")
        .order_by("-created_at", "-id")
    )
    if mine or not user_can(viewer, "mobilisation.manage"):
        return qs.filter(user=viewer)
    return (
        Redemption.objects.visible_to(viewer, "manage")
        .select_related("reward", "user", "user__point_account")
        .order_by("-created_at", "-id")
    )


def redemption_get(*, viewer: Any, redemption_id: int) -> Redemption:
    """One of the viewer's redemptions, or one of their scope's catalogue (staff); else 404."""
    r: Redemption = get_visible_or_404(
        Redemption.objects.select_related("reward", "reward__area", "spend_entry", "user"),
        viewer,
        pk=redemption_id,
    )
    return r
