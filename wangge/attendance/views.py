"""Attendance pages: 驻村签到 on the cadre's phone (location or a station's code), the staff list of cadres with
this week's status and flags, and a cadre's monthly record (page and .xlsx for the annual review)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.areas.models import Area, Level
from wangge.core.downloads import download_response
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.roles import user_can
from wangge.core.scoping import scope_for

from . import selectors, services
from .models import CadreAssignment, CheckIn, distance_limit_m


def _float(raw: str | None, field: str, label: str) -> float | None:
    if raw in (None, ""):
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InvalidInput.field(field, _("须为数字"), label=label) from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput.field(field, _("须为数字"), label=label)
    return value


def _mine(request: HttpRequest) -> list[CadreAssignment]:
    today = timezone.localdate()
    return list(
        CadreAssignment.objects.filter(
            user_id=request.user.pk or 0, ends_on__gte=today - dt.timedelta(days=31)
        )
        .select_related("area")
        .order_by("starts_on", "id")[:10]
    )


@login_required
def checkin(request: HttpRequest) -> HttpResponse:
    """签到: GET shows the form with the cadre's assignments and today's check-ins; an htmx POST checks in and
    answers the panel again (a ServiceError becomes the error fragment placed next to its field)."""
    done: CheckIn | None = None
    if request.method == "POST":
        raw_assignment = request.POST.get("assignment") or ""
        if raw_assignment and (not raw_assignment.isdigit() or len(raw_assignment) > 12):
            raise InvalidInput.field("assignment", _("请选择派驻社区"), label=_("派驻"))
        done = services.check_in(
            by=request.user,
            assignment_id=int(raw_assignment) if raw_assignment else None,
            lat=_float(request.POST.get("lat"), "location", _("位置")),
            lng=_float(request.POST.get("lng"), "location", _("位置")),
            accuracy_m=_float(request.POST.get("accuracy_m"), "location", _("位置")),
            coord_system="wgs84",
            code=(request.POST.get("code") or "")[:30],
        )
    mine = _mine(request)
    today = timezone.localdate()
    weeks = selectors.this_week(mine, today)
    today_rows = list(
        CheckIn.objects.filter(assignment__in=mine, day=today).select_related("place", "assignment__area")
    )
    ctx: dict[str, Any] = {
        "assignments": [{"a": a, "week": weeks[a.pk]} for a in mine],
        "today_rows": today_rows,
        "done": done,
        "limit_m": round(distance_limit_m()),
    }
    partial = bool(getattr(request, "htmx", False)) and request.method == "POST"
    template = "attendance/_panel.html" if partial else "attendance/checkin.html"
    return render(request, template, ctx, status=201 if done else 200)


def _scope_area(request: HttpRequest) -> Area | None:
    code = request.GET.get("area") or ""
    if code:
        if len(code) > 17 or not code.isdigit():
            raise Http404
        area = Area.objects.visible_to(request.user).filter(code=code).first()
        if area is None:
            raise Http404
        return area
    scope = scope_for(request.user)
    if scope.everything or len(scope.codes) != 1:
        return None
    return Area.objects.filter(code=scope.codes[0]).first()


@login_required
def cadres(request: HttpRequest) -> HttpResponse:
    """The cadres dispatched to the communities of the viewer's street/community, this week's status, flags."""
    if not user_can(request.user, "attendance.manage"):
        raise Http404
    area = _scope_area(request)
    today = timezone.localdate()
    rows = list(
        selectors.assignment_list(viewer=request.user, area=area.code if area else None, on=today)[:500]
    )
    weeks = selectors.this_week(rows, today)
    communities = list(
        Area.objects.visible_to(request.user)
        .filter(level__in=[Level.STREET, Level.COMMUNITY])
        .order_by("code")[:200]
    )
    return render(
        request,
        "attendance/cadres.html",
        {
            "area": area,
            "rows": [{"a": a, "week": weeks[a.pk]} for a in rows],
            "communities": communities,
            "monday": today - dt.timedelta(days=today.weekday()),
            "today": today,
        },
    )


def _record(request: HttpRequest, pk: int) -> tuple[CadreAssignment, selectors.MonthRecord]:
    try:
        a = selectors.assignment_get(viewer=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    ym = selectors.parse_month(request.GET.get("month"))
    if ym is None:
        raise InvalidInput.field("month", _("月份格式须为 YYYY-MM"), label=_("月份"))
    return a, selectors.month_record(a, *ym)


@login_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    a, rec = _record(request, pk)
    first = dt.date(rec.year, rec.month, 1)
    prev = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    nxt = (first + dt.timedelta(days=32)).strftime("%Y-%m")
    return render(
        request,
        "attendance/record.html",
        {"a": a, "rec": rec, "month": f"{first:%Y-%m}", "prev": prev, "next": nxt},
    )


@login_required
def record_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The month's record as a workbook: a summary, the weeks and every check-in."""
    from openpyxl import Workbook

    a, rec = _record(request, pk)
    wb = Workbook()
    ws = wb.active
    ws.title = _("汇总")
    ws.append(
        [
            _("姓名"),
            _("派驻身份"),
            _("派出单位"),
            _("派驻社区"),
            _("月份"),
            _("到岗天数"),
            _("达标周数"),
            _("未达标周数"),
            _("每周要求天数"),
        ]
    )
    ws.append([
        str(a.user), str(a.get_role_display()), a.unit_name, a.area.name, f"{rec.year}-{rec.month:02d}",
        rec.days_present, rec.weeks_met, rec.weeks_not_met, a.days_per_week,
    ])  # fmt: skip
    wk = wb.create_sheet(_("每周"))
    wk.append([_("周次"), _("周一"), _("到岗天数"), _("要求天数"), _("结果")])
    for w in rec.weeks:
        result = _("达标") if w.met else _("未达标")
        if not w.judged:
            result = _("不完整周（不考核）")
        elif not w.closed:
            result = _("进行中")
        wk.append([f"{w.iso[0]}-W{w.iso[1]:02d}", w.monday.isoformat(), w.days, w.required, result])
    ck = wb.create_sheet(_("签到明细"))
    ck.append([_("日期"), _("时间"), _("方式"), _("站点"), _("距社区（米）"), _("计入到岗")])
    for c in rec.check_ins:
        ck.append([
            c.day.isoformat(), f"{timezone.localtime(c.at):%H:%M}", str(c.get_method_display()),
            c.place.name if c.place else "", c.distance_m, _("是") if c.counted else _("否（当日已计）"),
        ])  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    return download_response(buf.getvalue(), f"{a.user}{rec.year}年{rec.month}月驻村考勤.xlsx")
