"""The case loop's part of the home pages (``core/home.py``): what waits for this user today.

- a dispatcher (grid worker, community secretary, street): to accept, to dispatch, to check, overdue, due
  soon, whistles awaiting report-in — each a link to the board's tab;
- a handler (department, property company, anyone with cases led): the inbox by deadline;
- a resident: my cases and what each waits for, and my grid worker;
- the district/street: today's figures (new today, closed today, overdue) and the worst areas.
Bounded queries: one aggregate per block, never one per row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import Role, user_can
from wangge.core.home import Counter, Row, Section

from . import routing, selectors
from .models import Appeal, State

# What a case in each state waits for, in the resident's words.
WAITS_FOR = {
    State.SUBMITTED: "等待受理",
    State.OPENED: "已受理，等待派遣",
    State.DISPATCHED: "已派单，等待承办单位签收",
    State.ACKNOWLEDGED: "已签收，等待处置",
    State.IN_PROGRESS: "处置中",
    State.RESOLVED: "已办结，等待核查或您的评价",
}
ACTIVE = [State.DISPATCHED, State.ACKNOWLEDGED, State.IN_PROGRESS]


def _soon_hours() -> float:
    from django.conf import settings

    return float(getattr(settings, "WANGGE_APPEALS_DUE_SOON_HOURS", 24))


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%m-%d %H:%M}" if value else ""


def dispatcher_section(user: Any) -> Section:
    counts = selectors.board_counts(viewer=user, due_soon_hours=_soon_hours())
    board = reverse("appeals:board")
    labels = [
        ("new", _("待受理"), False),
        ("dispatch", _("待派遣"), False),
        ("resolved", _("待核查/结案"), False),
        ("overdue", _("已超期"), True),
        ("soon", _("即将超期"), True),
        ("whistled", _("吹哨待报到"), False),
    ]
    counters = [
        Counter(
            key=f"board-{key}",
            label=label,
            count=counts["report_in_pending"] if key == "whistled" else counts[key],
            url=f"{board}?view={key}",
            urgent=urgent,
        )
        for key, label, urgent in labels
    ]
    return Section(key="board", title=_("今日待办"), counters=counters)


def handler_section(user: Any) -> Section:
    qs = selectors.appeal_list(viewer=user, role="handling", state=",".join(ACTIVE)).order_by(
        "resolve_due_at", "id"
    )
    total = qs.count()
    now = timezone.now()
    rows = [
        Row(
            text=f"#{a.pk} {a.category.name}：{a.description[:30]}",
            url=reverse("appeals:detail", args=[a.pk]),
            note=(_("已超期") if a.overdue or (a.resolve_due_at and a.resolve_due_at < now) else _("期限 "))
            + _local(a.resolve_due_at),
        )
        for a in qs[:8]
    ]
    inbox = reverse("appeals:inbox")
    return Section(
        key="inbox",
        title=_("我的待办（按期限）"),
        counters=[Counter(key="inbox-todo", label=_("待办"), count=total, url=f"{inbox}?view=todo")],
        rows=rows,
        empty=_("暂无待办"),
    )


def resident_sections(user: Any) -> list[Section]:
    qs = (
        selectors.appeal_list(viewer=user, role="reported", state=",".join(WAITS_FOR))
        .select_related("grid")
        .order_by("-reported_at", "-id")
    )
    cases = list(qs[:10])
    rows = [
        Row(
            text=f"#{a.pk} {a.description[:30]}",
            url=reverse("appeals:detail", args=[a.pk]),
            note=_(WAITS_FOR.get(State(a.state), "")),
        )
        for a in cases
    ]
    mine = reverse("appeals:mine")
    to_rate = sum(1 for a in cases if a.state == State.RESOLVED)
    out = [
        Section(
            key="my-cases",
            title=_("我的诉求"),
            counters=[
                Counter(key="mine-open", label=_("办理中"), count=len(cases), url=f"{mine}?view=open"),
                Counter(
                    key="mine-rate", label=_("待评价"), count=to_rate, url=f"{mine}?view=rate", urgent=True
                ),
            ],
            rows=rows,
            empty=_("您还没有上报诉求。"),
        )
    ]
    grid = next((a.grid for a in cases if a.grid_id), None)
    if grid is not None:
        staff = [u for u in routing.staff_of_area(grid.code) if u.role == Role.GRID_WORKER]
        if staff:
            from wangge.core.pii import mask_phone

            w = staff[0]
            phone = w.phone or ""
            out.append(
                Section(
                    key="my-grid-worker",
                    title=_("我的网格员"),
                    text=_("%(grid)s 网格员 %(name)s，电话 %(phone)s")
                    % {
                        "grid": grid.name,
                        "name": w.display_name or w.username,
                        "phone": phone or mask_phone(phone),
                    },
                )
            )
    return out


def figures_section(user: Any) -> Section:
    """Today's figures for a street or district and the areas with the most overdue cases."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    qs = Appeal.objects.visible_to(user)
    agg = {
        k.removeprefix("n_"): v
        for k, v in qs.aggregate(
            n_new=Count("pk", filter=Q(reported_at__gte=today)),
            n_closed=Count("pk", filter=Q(closed_at__gte=today)),
            n_overdue=Count("pk", filter=Q(state__in=ACTIVE, overdue=True)),
            n_open=Count("pk", filter=Q(state__in=[State.SUBMITTED, State.OPENED, *ACTIVE])),
        ).items()
    }
    worst = list(
        qs.filter(state__in=ACTIVE, overdue=True, grid__isnull=False)
        .values("grid__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "grid__name")[:5]
    )
    figures = reverse("appeals:figures")
    board = reverse("appeals:board")
    return Section(
        key="figures",
        title=_("今日数据"),
        counters=[
            Counter(key="today-new", label=_("今日新增"), count=agg["new"], url=f"{board}?view=all"),
            Counter(key="today-closed", label=_("今日结案"), count=agg["closed"], url=figures),
            Counter(key="open", label=_("办理中"), count=agg["open"], url=f"{board}?view=all"),
            Counter(
                key="overdue",
                label=_("已超期"),
                count=agg["overdue"],
                url=f"{board}?view=overdue",
                urgent=True,
            ),
        ],
        rows=[
            Row(text=w["grid__name"], note=_("超期 %(n)s 件") % {"n": w["n"]}, url=f"{board}?view=overdue")
            for w in worst
        ],
    )


def sections(user: Any) -> list[Section]:
    out: list[Section] = []
    role = getattr(user, "role", "")
    if role in (Role.STREET_STAFF, Role.DISTRICT, Role.ADMIN):
        out.append(figures_section(user))
    if user_can(user, "appeals.dispatch"):
        out.append(dispatcher_section(user))
    if user_can(user, "appeals.handle") and role not in (Role.DISTRICT, Role.ADMIN):
        out.append(handler_section(user))
    if role in (Role.RESIDENT, Role.VOLUNTEER):
        out.extend(resident_sections(user))
    return out
