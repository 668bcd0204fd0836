"""Pairing pages: my pairings (volunteers), pairings in scope with due dates, a pairing with its visits and
hand-overs, missed visits, a resident's care history (staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from wangge.accounts.models import User
from wangge.accounts.roles import Role, user_can
from wangge.core import pii
from wangge.core.errors import NotFound, ServiceError
from wangge.core.feedback import error_message
from wangge.core.scoping import scope_for
from wangge.registry.models import Resident

from . import selectors, services
from .models import CareKind, Visit


def _get(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.pairing_get(viewer=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    manage = user_can(request.user, "mobilisation.manage")
    today = timezone.localdate()
    rows = []
    for p in selectors.pairing_list(viewer=request.user, status=request.GET.get("status") or None)[:300]:
        due = selectors.next_due(p)
        rows.append({"p": p, "due": due, "overdue": p.status == "active" and due is not None and due < today})
    missed = selectors.missed_list(viewer=request.user).count() if manage else 0
    return render(request, "pairing/home.html", {"rows": rows, "manage": manage, "missed": missed})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _get(request, pk)
    manage = services.is_staff_in_scope(request.user, p)
    successors = []
    if manage or p.volunteer_id == request.user.pk:
        successors = list(
            User.objects.filter(role=Role.VOLUNTEER, is_active=True)
            .exclude(pk=p.volunteer_id)
            .order_by("username")[:300]
        )
    ctx = {
        "p": p,
        "manage": manage,
        "serving": services.is_serving(request.user, p),
        "visits": list(selectors.visit_list(viewer=request.user, pairing=p)[:100]),
        "assignments": list(selectors.assignment_list(viewer=request.user, pairing=p)),
        "handovers": list(selectors.handover_list(viewer=request.user, pairing=p)),
        "next_due": selectors.next_due(p),
        "successors": successors,
        "modes": Visit.Mode.choices,
        "overlap_default": services.overlap_days_default(),
    }
    return render(request, "pairing/detail.html", ctx)


@login_required
@require_POST
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    p = _get(request, pk)
    try:
        raw = request.POST.get("visited_at")
        visited_at = timezone.make_aware(datetime.fromisoformat(raw)) if raw else None
        services.visit_log(
            pairing=p,
            by=request.user,
            visited_at=visited_at,
            duration_minutes=int(request.POST.get("duration_minutes") or 30),
            mode=request.POST.get("mode") or "home",
            note=request.POST.get("note", ""),
        )
        messages.success(request, "走访已登记")
    except ServiceError as exc:
        error_message(request, exc)
    except ValueError:
        messages.error(request, "时间或时长格式不正确")
    return redirect("pairing:detail", pk=pk)


@login_required
@require_POST
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    p = _get(request, pk)
    try:
        to = User.objects.filter(pk=request.POST.get("to_volunteer") or 0, is_active=True).first()
        if to is None:
            raise NotFound("请选择接任志愿者")
        overlap = request.POST.get("overlap_days")
        services.pairing_handover(
            pairing=p,
            to_volunteer=to,
            by=request.user,
            reason=request.POST.get("reason", ""),
            notes=request.POST.get("notes", ""),
            overlap_days=int(overlap) if overlap else None,
        )
        messages.success(request, f"已交接给 {to}")
    except ServiceError as exc:
        error_message(request, exc)
    except ValueError:
        messages.error(request, "共同帮扶天数须为整数")
    return redirect("pairing:detail", pk=pk)


CARE_TAGS = ("elderly_alone", "left_behind_child", "disabled", "empty_nest")


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Staff pair a resident in care (in their scope) with a volunteer."""
    if not user_can(request.user, "mobilisation.manage"):
        raise Http404
    if request.method == "POST":
        try:
            resident = services.resident_for_pairing(
                by=request.user, resident_id=int(request.POST.get("resident") or 0)
            )
            volunteer = User.objects.filter(pk=int(request.POST.get("volunteer") or 0)).first()
            if volunteer is None:
                raise NotFound("请选择志愿者")
            backup = User.objects.filter(pk=int(request.POST.get("backup") or 0)).first()
            p = services.pairing_create(
                resident=resident,
                volunteer=volunteer,
                backup=backup,
                care_kind=request.POST.get("care_kind", ""),
                visit_every_days=int(request.POST.get("visit_every_days") or 7),
                notes=request.POST.get("notes", ""),
                by=request.user,
            )
            messages.success(request, "结对已建立")
            return redirect("pairing:detail", pk=p.pk)
        except ServiceError as exc:
            error_message(request, exc)
        except (ValueError, OverflowError):
            messages.error(request, "请选择居民和志愿者，走访频次须为整数")
    tokens = [pii.tag_token(c) for c in CARE_TAGS]
    residents = (
        Resident.objects.filter(
            scope_for(request.user).q("household__house__building__area__code"), active=True
        )
        .filter(Q(taggings__token__in=tokens) | Q(household__taggings__token__in=tokens))
        .select_related("household__house__building")
        .distinct()
        .order_by("household__house__building__area__code", "id")[:300]
    )
    volunteers = User.objects.filter(role=Role.VOLUNTEER, is_active=True).order_by("username")[:300]
    ctx = {"residents": residents, "volunteers": volunteers, "kinds": CareKind.choices}
    return render(request, "pairing/new.html", ctx)


@login_required
def missed(request: HttpRequest) -> HttpResponse:
    try:
        rows = list(selectors.missed_list(viewer=request.user)[:300])
    except ServiceError as exc:
        raise Http404(exc.detail) from exc
    return render(request, "pairing/missed.html", {"rows": rows})


@login_required
def history(request: HttpRequest, resident_id: int) -> HttpResponse:
    try:
        h = selectors.resident_history(viewer=request.user, resident_id=resident_id)
    except ServiceError as exc:
        raise Http404(exc.detail) from exc
    return render(request, "pairing/history.html", h)
