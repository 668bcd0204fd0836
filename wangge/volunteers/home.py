"""Mobilisation's part of the home pages: a volunteer's next tasks, points, and open wishes around them; a
community's wishes to review."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import Role, user_can
from wangge.core.home import Counter, Row, Section

from .models import Signup


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _open_wishes(user: Any) -> tuple[int, int]:
    """(open wishes the user may see, wishes waiting for review in the user's scope): one query."""
    from django.db.models import Count, Q

    from wangge.wishes.models import Wish

    agg = Wish.objects.visible_to(user).aggregate(
        n_open=Count("pk", filter=Q(status=Wish.Status.OPEN)),
        n_review=Count("pk", filter=Q(status=Wish.Status.PENDING_REVIEW)),
    )
    return int(agg["n_open"] or 0), int(agg["n_review"] or 0)


def sections(user: Any) -> list[Section]:
    from wangge.points.selectors import points_balance

    role = getattr(user, "role", "")
    out: list[Section] = []
    if role == Role.VOLUNTEER or (role == Role.RESIDENT and hasattr(user, "member")):
        upcoming = list(
            Signup.objects.filter(
                member__user=user, status__in=Signup.HOLDING, activity__starts_at__gte=timezone.now()
            )
            .select_related("activity")
            .order_by("activity__starts_at")[:5]
        )
        open_wishes, _review = _open_wishes(user)
        out.append(
            Section(
                key="volunteer",
                title=_("我的志愿服务"),
                counters=[
                    Counter(
                        key="points", label=_("我的积分"), count=points_balance(user), url=_url("points:home")
                    ),
                    Counter(
                        key="wishes-open",
                        label=_("待认领的微心愿"),
                        count=open_wishes,
                        url=_url("wishes:wall"),
                    ),
                ],
                rows=[
                    Row(
                        text=s.activity.title,
                        url=_url("volunteers:activity", s.activity_id),
                        note=f"{timezone.localtime(s.activity.starts_at):%m-%d %H:%M} {s.get_status_display()}",
                    )
                    for s in upcoming
                ],
                empty=_("暂无已报名的任务"),
            )
        )
    elif user_can(user, "mobilisation.manage"):
        _open, review = _open_wishes(user)
        out.append(
            Section(
                key="mobilisation",
                title=_("党建动员"),
                counters=[
                    Counter(
                        key="wishes-review",
                        label=_("待审核的微心愿"),
                        count=review,
                        url=_url("wishes:review"),
                    )
                ],
            )
        )
    return out
