"""The grid worker's pages: 网格员今日 (today) and the phone-first visit form."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.appeals.selectors import category_list
from wangge.areas.models import Level
from wangge.areas.selectors import area_list
from wangge.core.errors import ServiceError
from wangge.core.feedback import error_message
from wangge.registry import change_selectors
from wangge.registry import selectors as registry_selectors

from . import selectors, services
from .models import ScheduledVisit, Visit


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _staff(request: HttpRequest) -> None:
    if not user_can(request.user, "registry.write"):
        raise Http404


@login_required
def today(request: HttpRequest) -> HttpResponse:
    _staff(request)
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    ctx = selectors.today_page(viewer=request.user, lat=lat, lng=lng)
    ctx["located"] = lat is not None and lng is not None
    ctx["corrections_count"] = change_selectors.awaiting_count(viewer=request.user)
    return render(request, "visits/today.html", ctx)


@login_required
def missed(request: HttpRequest) -> HttpResponse:
    _staff(request)
    rows = list(selectors.missed_list(viewer=request.user)[:300])
    return render(request, "visits/missed.html", {"rows": rows})


# Service error fields → the form's own field names (so each message sits next to its field).
_FIELD = {"findings.0.description": "finding_description", "findings.0.category": "finding_category"}


@login_required
def record(request: HttpRequest, household_id: int) -> HttpResponse:
    _staff(request)
    try:
        household = registry_selectors.household_get(viewer=request.user, pk=household_id)
    except ServiceError as exc:
        raise Http404(exc.detail) from exc
    items = services.checklist_for(household.pk)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"kind": "routine", "duration_minutes": "15", "client_id": uuid.uuid4().hex}
    status = 200
    if request.method == "POST":
        values = request.POST.dict()
        checklist = {
            i.code: request.POST[f"check_{i.code}"] for i in items if request.POST.get(f"check_{i.code}")
        }
        findings = []
        if request.POST.get("finding_description", "").strip() or request.POST.get("finding_category"):
            findings.append(
                {
                    "category": request.POST.get("finding_category", ""),
                    "description": request.POST.get("finding_description", ""),
                }
            )
        try:
            visit, created = services.visit_record(
                by=request.user,
                household=household,
                client_id=request.POST.get("client_id", ""),
                kind=request.POST.get("kind", "routine"),
                duration_minutes=request.POST.get("duration_minutes") or 0,  # type: ignore[arg-type]
                lat=_float(request.POST.get("lat")),
                lng=_float(request.POST.get("lng")),
                accuracy_m=_float(request.POST.get("accuracy_m")),
                checklist=checklist,
                notes=request.POST.get("notes", ""),
                findings=findings,
            )
            note = "" if visit.verified else "（未核验到户位置）"
            cases = f"，{visit.findings.count()}个问题已转为诉求" if findings else ""
            messages.success(request, f"走访已登记{note}{cases}" if created else "该走访已登记过")
            return redirect("visits:today")
        except ServiceError as exc:
            status = exc.status_code
            for e in exc.errors or [{"field": "", "message": exc.detail}]:
                errors[_FIELD.get(e["field"], e["field"]) or "form"] = e["message"]
            if not exc.errors:
                errors["form"] = exc.detail
    ready = ScheduledVisit.objects.filter(household=household, state=ScheduledVisit.State.READY).first()
    ctx = {
        "household": household,
        "tags": registry_selectors.tags_of(household, request.user),
        "items": items,
        "ready": ready,
        "kinds": Visit.Kind.choices,
        "reasons": ScheduledVisit.CancelReason.choices,
        "categories": [c for c in category_list() if c.parent_id],
        "values": values,
        "errors": errors,
        "checks": [("ok", "正常"), ("concern", "有问题"), ("na", "不适用")],
    }
    return render(request, "visits/record.html", ctx, status=status)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    try:
        scheduled = selectors.scheduled_get(viewer=request.user, pk=pk)
    except ServiceError as exc:
        raise Http404(exc.detail) from exc
    try:
        services.visit_cancel(
            scheduled=scheduled,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            by=request.user,
        )
        messages.success(request, "已取消本次走访")
        return redirect("visits:today")
    except ServiceError as exc:
        error_message(request, exc)
        return redirect("visits:record", household_id=scheduled.household_id)


# --- figures --------------------------------------------------------------------------------------------

LEVEL_INDENT: dict[str, int] = {Level.DISTRICT: 0, Level.STREET: 1, Level.COMMUNITY: 2, Level.GRID: 3}


def _date(raw: str | None, field: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = "日期格式无效"
        return None


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**r, "completion_pct": _pct(r["completion"]), "special_pct": _pct(r["special_on_time_rate"])}
        for r in rows
    ]


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """入户走访数据: completion per area below the chosen one and per grid worker; the area is picked from the
    tree in the viewer's scope (never typed), the heading follows it."""
    if not user_can(request.user, "registry.read"):
        raise Http404
    areas = [
        {**a, "indent": "\u3000" * LEVEL_INDENT.get(a["level"], 0)}
        for a in area_list(viewer=request.user)
        .filter(level__in=list(LEVEL_INDENT))
        .values("code", "name", "level")[:2000]
    ]
    errors: dict[str, str] = {}
    area = request.GET.get("area") or (str(areas[0]["code"]) if areas else "")
    date_from = _date(request.GET.get("from"), "from", errors)
    date_to = _date(request.GET.get("to"), "to", errors)
    ctx: dict[str, Any] = {"areas": areas, "area": area, "errors": errors, "m": None}
    status = 422 if errors else 200
    if not errors:
        try:
            m = selectors.visit_metrics(
                viewer=request.user, area=area or None, date_from=date_from, date_to=date_to
            )
        except ServiceError as exc:
            status = exc.status_code
            for e in exc.errors or [{"field": "form", "message": exc.detail}]:
                errors[e["field"] or "form"] = e["message"]
        else:
            ctx.update(
                m=m,
                area=m["area"]["code"],
                total={
                    **m["total"],
                    "completion_pct": _pct(m["total"]["completion"]),
                    "special_pct": _pct(m["total"]["special_on_time_rate"]),
                },
                by_area=_rows(m["by_area"]),
                by_worker=_rows(m["by_worker"]),
            )
            date_from, date_to = m["from"], m["to"]
    ctx["date_from"] = date_from.isoformat() if date_from else request.GET.get("from", "")
    ctx["date_to"] = date_to.isoformat() if date_to else request.GET.get("to", "")
    return render(request, "visits/figures.html", ctx, status=status)
