"""Pages: my points and the rewards catalogue (members); hand-over of redemptions (staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.core.errors import Forbidden, ServiceError
from wangge.core.feedback import error_message

from . import selectors, services
from .models import PointAccount, Redemption


@login_required
def home(request: HttpRequest) -> HttpResponse:
    account = PointAccount.objects.filter(user_id=request.user.pk).first()  # type: ignore[misc]
    return render(
        request,
        "points/home.html",
        {
            "balance": account.balance if account else 0,
            "earned": account.earned_total if account else 0,
            "entries": selectors.point_entry_list(viewer=request.user)[:50],
            "rewards": selectors.reward_list(viewer=request.user)[:100],
            "redemptions": selectors.redemption_list(viewer=request.user)[:50],
            "can_manage": user_can(request.user, "mobilisation.manage"),
        },
    )


@login_required
@require_POST
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        r = services.reward_redeem(
            reward_id=pk, user=request.user, quantity=int(request.POST.get("quantity") or 1)
        )
    except (ServiceError, ValueError) as exc:
        messages.error(request, getattr(exc, "detail", str(exc)))
    else:
        messages.success(request, _("兑换成功：%(name)s，请到社区领取") % {"name": r.reward.name})
    return redirect("points:home")


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.redemption_get(viewer=request.user, redemption_id=pk)
    reason = request.POST.get("reason", "").strip() or _("不需要了")
    try:
        services.redemption_cancel(redemption=r, reason=reason, by=request.user)
    except ServiceError as exc:
        error_message(request, exc)
    else:
        messages.success(request, _("已取消兑换，积分和库存已退回"))
    return redirect(request.POST.get("next") or "points:home")


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """Staff: pending redemptions in their scope (confirm hand-over), the catalogue, the leaderboard."""
    if not user_can(request.user, "mobilisation.manage"):
        raise Forbidden(_("无权管理积分兑换"))
    if request.method == "POST":
        r = selectors.redemption_get(
            viewer=request.user, redemption_id=int(request.POST.get("redemption") or 0)
        )
        try:
            services.redemption_hand_over(redemption=r, by=request.user)
        except ServiceError as exc:
            error_message(request, exc)
        else:
            messages.success(request, _("已确认领取"))
        return redirect("points:manage")
    pending = selectors.redemption_list(viewer=request.user, mine=False).filter(
        status=Redemption.Status.PENDING
    )
    return render(
        request,
        "points/manage.html",
        {
            "pending": pending[:200],
            "rewards": selectors.reward_list(viewer=request.user, include_inactive=True)[:200],
            "leaders": selectors.point_leaderboard(viewer=request.user),
        },
    )
