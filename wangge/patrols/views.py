"""The grid worker's patrol pages (phone first): start, the running patrol (GPS track, checklist, 发现问题,
stop), a patrol's summary, and the day's 巡查日志 (page, print, .xlsx)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.appeals.selectors import category_list
from wangge.core.errors import Conflict, ServiceError

from . import selectors, services
from .models import Patrol

CHECKS = [("ok", "正常"), ("issue", "有问题"), ("na", "不适用")]


def _staff(request: HttpRequest) -> None:
    if not user_can(request.user, "registry.write"):
        raise Http404


def _errors(exc: ServiceError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors or []:
        errors.setdefault(e.get("field") or "form", e["message"])
    if not errors:
        errors["form"] = exc.detail
    return errors


def _day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start a patrol (or go to the running one) and today's patrols."""
    _staff(request)
    running = selectors.running_for(request.user)
    if running is not None:
        return redirect("patrols:patrol", pk=running.pk)
    return _home(request, {}, {}, 200)


def _home(request: HttpRequest, errors: dict[str, str], values: dict[str, Any], status: int) -> HttpResponse:
    today = timezone.localdate()
    ctx = {
        "grids": services.worker_grids(request.user),
        "today_patrols": list(
            selectors.patrol_list(viewer=request.user, worker=request.user.pk, date_from=today, date_to=today)
        ),
        "client_id": uuid.uuid4().hex,
        "errors": errors,
        "values": values,
        "today": today,
    }
    return render(request, "patrols/home.html", ctx, status=status)


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    _staff(request)
    area = None
    code = request.POST.get("area", "")
    if code:
        area = next((g for g in services.worker_grids(request.user) if g.code == code), None)
        if area is None:
            return _home(request, {"area": "请选择您负责的网格"}, request.POST.dict(), 422)
    try:
        patrol, _ = services.patrol_start(
            by=request.user, client_id=request.POST.get("client_id", ""), area=area
        )
    except Conflict as exc:
        running = exc.extra.get("patrol_id")
        messages.error(request, exc.detail)
        return redirect("patrols:patrol", pk=running) if running else redirect("patrols:home")
    except ServiceError as exc:
        return _home(request, _errors(exc), request.POST.dict(), exc.status_code)
    return redirect("patrols:patrol", pk=patrol.pk)


def _patrol_page(
    request: HttpRequest, pk: int, errors: dict[str, str] | None = None, values: Any = None, status: int = 200
) -> HttpResponse:
    try:
        detail = selectors.patrol_detail(viewer=request.user, ref=pk)
    except ServiceError as exc:
        raise Http404(exc.detail) from exc
    patrol: Patrol = detail["patrol"]
    own_running = patrol.worker_id == request.user.pk and patrol.state == Patrol.State.RUNNING
    ctx = {
        **detail,
        "own_running": own_running,
        "errors": errors or {},
        "values": values or {},
        "checks": CHECKS,
        "categories": [c for c in category_list() if c.parent_id] if own_running else [],
        "discovery_client_id": uuid.uuid4().hex,
        "sample_seconds": services.sample_seconds(),
        "max_accuracy_m": int(services.max_accuracy_m()),
        "batch_size": min(services.max_points_per_request(), 100),
        "points_url": reverse("api:patrol_points", kwargs={"ref": patrol.pk}),
        "discoveries_url": reverse("api:patrol_discover", kwargs={"ref": patrol.pk}),
        "stop_url": reverse("api:patrol_stop", kwargs={"ref": patrol.pk}),
        "log_url": reverse("patrols:log")
        + f"?worker={patrol.worker_id}&date={timezone.localdate(patrol.started_at)}",
    }
    return render(request, "patrols/patrol.html", ctx, status=status)


@login_required
def patrol_page(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    return _patrol_page(request, pk)


def _own_patrol(request: HttpRequest, pk: int) -> Patrol:
    try:
        return selectors.patrol_get(viewer=request.user, ref=pk)
    except ServiceError as exc:
        raise Http404(exc.detail) from exc


@login_required
@require_POST
def stop(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    patrol = _own_patrol(request, pk)
    items = services.checklist_for(patrol.area_id)
    checklist = {
        i.code: request.POST[f"check_{i.code}"] for i in items if request.POST.get(f"check_{i.code}")
    }
    try:
        patrol, stopped = services.patrol_stop(
            by=request.user, patrol=patrol, checklist=checklist, notes=request.POST.get("notes", "")
        )
    except ServiceError as exc:
        return _patrol_page(request, pk, _errors(exc), request.POST, exc.status_code)
    messages.success(request, "巡查已结束" if stopped else "该巡查已结束过")
    day = timezone.localdate(patrol.started_at)
    return redirect(reverse("patrols:log") + f"?date={day}")


@login_required
@require_POST
def discover(request: HttpRequest, pk: int) -> HttpResponse:
    """The 发现问题 form without JavaScript (the page's script posts the same form to the API)."""
    _staff(request)
    patrol = _own_patrol(request, pk)
    try:
        discovery, _ = services.patrol_discover(
            by=request.user,
            patrol=patrol,
            client_id=request.POST.get("client_id", ""),
            category=request.POST.get("category", ""),
            description=request.POST.get("description", ""),
            checklist_code=request.POST.get("checklist_code", ""),
        )
    except ServiceError as exc:
        fields = ("category", "description", "checklist_code")
        errors = {(k if k in fields else "form"): v for k, v in _errors(exc).items()}
        return _patrol_page(request, pk, errors, request.POST, exc.status_code)
    messages.success(request, f"已转为诉求 #{discovery.appeal_id}")
    return redirect("patrols:patrol", pk=pk)


def _log(request: HttpRequest) -> dict[str, Any]:
    try:
        return selectors.patrol_log(
            viewer=request.user, worker=_int(request.GET.get("worker")), day=_day(request.GET.get("date"))
        )
    except ServiceError as exc:
        raise Http404(exc.detail) from exc


@login_required
def log(request: HttpRequest) -> HttpResponse:
    _staff(request)
    data = _log(request)
    query = f"worker={data['worker']['id']}&date={data['day']}"
    prev_day, next_day = data["day"] - dt.timedelta(days=1), data["day"] + dt.timedelta(days=1)
    return render(
        request,
        "patrols/log.html",
        {**data, "query": query, "prev_day": prev_day, "next_day": next_day, "today": timezone.localdate()},
    )


@login_required
def log_export(request: HttpRequest) -> HttpResponse:
    """The day's log as .xlsx (one row per patrol, one sheet of discoveries)."""
    from openpyxl import Workbook

    _staff(request)
    data = _log(request)
    wb = Workbook()
    ws = wb.active
    ws.title = "巡查日志"
    ws.append(["巡查日志", data["worker"]["name"], data["day"].isoformat()])
    items: list[str] = []
    for r in data["patrols"]:
        for c in r["checklist"]:
            if c["label"] not in items:
                items.append(c["label"])
    ws.append(
        ["编号", "网格", "开始", "结束", "时长（分钟）", "里程（米）", "定位点", "有效定位点"]
        + ["经过楼栋", "楼栋总数", "覆盖率", *items, "发现问题", "情况记录"]
    )
    for r in data["patrols"]:
        p = r["patrol"]
        values = {c["label"]: c["value_label"] for c in r["checklist"]}
        ws.append(
            [
                p.pk,
                r["grid"],
                timezone.localtime(p.started_at).strftime("%H:%M"),
                timezone.localtime(p.ended_at).strftime("%H:%M") if p.ended_at else "巡查中",
                r["duration_minutes"],
                r["distance_m"],
                r["point_count"],
                r["good_point_count"],
                r["buildings_passed"],
                r["buildings_total"],
                f"{r['coverage'] * 100:.0f}%" if r["coverage"] is not None else "",
                *[values.get(label, "") for label in items],
                "；".join(f"#{d.appeal_id} {d.appeal.category.name}" for d in r["discoveries"]),
                p.notes,
            ]
        )
    found = wb.create_sheet("发现问题")
    found.append(["诉求编号", "巡查编号", "分类", "描述", "状态", "发现时间"])
    for r in data["patrols"]:
        for d in r["discoveries"]:
            found.append(
                [
                    d.appeal_id,
                    r["patrol"].pk,
                    d.appeal.category.name,
                    d.appeal.description,
                    d.appeal.get_state_display(),
                    timezone.localtime(d.found_at).strftime("%Y-%m-%d %H:%M"),
                ]
            )
    buf = io.BytesIO()
    wb.save(buf)
    name = quote(f"巡查日志-{data['worker']['name']}-{data['day'].isoformat()}.xlsx")
    resp = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return resp
