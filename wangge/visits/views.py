"""The grid worker's pages: 网格员今日 (today) and the phone-first visit form."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.appeals.selectors import category_list
from wangge.core.errors import ServiceError
from wangge.core.feedback import error_message
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
