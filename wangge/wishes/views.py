"""Wish pages: the public wall (no login), a wish, my claims; staff: review, the three lists, figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import Unit
from wangge.accounts.roles import user_can
from wangge.areas.models import Area
from wangge.core.errors import InvalidInput, NotFound, ServiceError
from wangge.core.feedback import error_message
from wangge.core.pii import mask_name
from wangge.core.ratelimit import rate_limit
from wangge.core.scoping import scope_for
from wangge.registry.models import Resident

from . import selectors, services
from .models import Kind, Season


def _fail(request: HttpRequest, exc: ServiceError) -> None:
    error_message(request, exc)


def _wish_or_404(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.wish_get(viewer=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def wall(request: HttpRequest) -> HttpResponse:
    """The public wish wall (心愿墙): works without login, scrolls by itself on a big screen."""
    area = request.GET.get("area") or None
    ctx = {
        "wishes": selectors.wish_wall(area=area),
        "figures": selectors.figures(area=area),
        "is_staff": user_can(request.user, "mobilisation.manage"),
        "area": area or "",
    }
    return render(request, "wishes/wall.html", ctx)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    wish = _wish_or_404(request, pk)
    claim = services.active_claim(wish)
    mine = services.is_claimant(request.user, claim)
    staff = services.is_staff_in_scope(request.user, wish)
    ctx = {
        "wish": wish,
        "pub": selectors.public_wish(wish, claim),
        "claim": claim,
        "mine": mine,
        "staff": staff,
        "can_confirm": claim is not None
        and claim.status == "delivering"
        and (staff or services.is_beneficiary(request.user, wish)),
        "private": selectors.wish_private(wish) if selectors.can_see_private(request.user, wish) else None,
        "contact": selectors.wish_contact(viewer=request.user, wish=wish, claim=claim)
        if (mine or staff)
        else None,
        "can_see_photo": mine or staff or services.is_beneficiary(request.user, wish),
        "can_unit_claim": getattr(getattr(request.user, "unit", None), "kind", "") == "co_building",
    }
    return render(request, "wishes/detail.html", ctx)


@login_required
@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    _wish_or_404(request, pk)
    try:
        services.wish_claim(wish_id=pk, by=request.user, as_unit=request.POST.get("as_unit") == "1")
        messages.success(request, "认领成功，请尽快联系心愿人")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("wishes:detail", pk=pk)


@login_required
@require_POST
@rate_limit("uploads")
def deliver(request: HttpRequest, pk: int) -> HttpResponse:
    _wish_or_404(request, pk)
    try:
        services.wish_deliver(
            wish_id=pk, by=request.user, note=request.POST.get("note", ""), photo=request.FILES.get("photo")
        )
        messages.success(request, "已登记送达，等待心愿人确认")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("wishes:detail", pk=pk)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _wish_or_404(request, pk)
    try:
        services.wish_confirm(
            wish_id=pk,
            by=request.user,
            accept=request.POST.get("accept", "1") == "1",
            note=request.POST.get("note", ""),
        )
        messages.success(request, "已确认")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("wishes:detail", pk=pk)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _wish_or_404(request, pk)
    try:
        services.wish_cancel_claim(wish_id=pk, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, "已取消认领，心愿回到心愿墙")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("wishes:detail", pk=pk)


@login_required
def photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    wish = _wish_or_404(request, pk)
    claim = wish.claims.exclude(delivery_photo="").order_by("-id").first()
    allowed = services.is_staff_in_scope(request.user, wish) or services.is_beneficiary(request.user, wish)
    if claim is None or not (allowed or services.is_claimant(request.user, claim)):
        raise Http404
    return FileResponse(claim.delivery_photo.open("rb"), content_type="image/jpeg")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    claims = list(selectors.my_claims(viewer=request.user))
    return render(
        request,
        "wishes/mine.html",
        {"claims": claims, "wishes": list(selectors.my_wishes(viewer=request.user)[:50])},
    )


def _staff(request: HttpRequest) -> None:
    if not user_can(request.user, "mobilisation.manage"):
        raise PermissionDenied


@login_required
def review(request: HttpRequest) -> HttpResponse:
    _staff(request)
    items = [
        {
            "wish": w,
            "masked": mask_name(w.beneficiary.name),
            "categories": services.public_categories(w.beneficiary),
        }
        for w in selectors.review_queue(viewer=request.user)[:100]
    ]
    recent = selectors.wish_list(viewer=request.user).exclude(status="pending_review")[:30]
    views = selectors.contact_views(viewer=request.user, limit=50)
    return render(request, "wishes/review.html", {"items": items, "recent": recent, "contact_views": views})


@login_required
@require_POST
def review_do(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    wish = _wish_or_404(request, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.wish_review(
            wish=wish,
            by=request.user,
            approve=approve,
            note=request.POST.get("note", ""),
            public_category=request.POST.get("public_category", ""),
            public_title=request.POST.get("public_title") or None,
        )
        messages.success(request, "已通过，心愿已上墙" if approve else "已退回")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("wishes:review")


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Post a wish: a resident for themselves, a grid worker for a resident of their grids."""
    residents: list[Any] = []
    if user_can(request.user, "registry.write"):
        residents = list(
            Resident.objects.filter(
                scope_for(request.user).q("household__house__building__area__code"), active=True
            )
            .select_related("household__house__building")
            .order_by("household__house__building__area__code", "id")[:300]
        )
    if request.method == "POST":
        try:
            beneficiary = None
            rid = request.POST.get("beneficiary")
            if rid:
                beneficiary = services.beneficiary_for(by=request.user, resident_id=int(rid))
            wish = services.wish_create(
                by=request.user,
                beneficiary=beneficiary,
                title=request.POST.get("title", ""),
                reason=request.POST.get("reason", ""),
                estimated_value=request.POST.get("estimated_value") or 0,
                kind=request.POST.get("kind", Kind.GOODS),
                deadline=date.fromisoformat(d) if (d := request.POST.get("deadline")) else None,
            )
            messages.success(request, "心愿已提交，等待社区审核")
            return redirect("wishes:detail", pk=wish.pk)
        except ServiceError as exc:
            _fail(request, exc)
        except (ValueError, OverflowError):
            messages.error(request, "日期或心愿人格式不正确")
    options = [{"id": r.pk, "label": f"{mask_name(r.name)} · {r.household.house}"} for r in residents]
    return render(request, "wishes/new.html", {"residents": options, "kinds": Kind.choices})


@login_required
def lists(request: HttpRequest) -> HttpResponse:
    """需求/资源/项目 three lists with suggested matches; staff can record a unit's resource here."""
    _staff(request)
    status = 200
    if request.method == "POST":
        try:
            unit = Unit.objects.filter(pk=_int(request.POST.get("unit")) or 0).first()
            community = Area.objects.filter(
                code=request.POST.get("community") or "", level="community"
            ).first()
            quantity = _int(request.POST.get("quantity") or "1")
            missing = [
                {"field": name, "message": message}
                for name, bad, message in (
                    ("unit", unit is None, _("请选择共建单位")),
                    ("community", community is None, _("请选择社区")),
                    ("quantity", quantity is None, _("数量须为整数")),
                )
                if bad
            ]
            if missing or unit is None or community is None or quantity is None:
                raise InvalidInput.fields(missing)
            services.resource_create(
                unit=unit,
                community=community,
                title=request.POST.get("title", ""),
                kind=request.POST.get("kind", Kind.GOODS),
                description=request.POST.get("description", ""),
                quantity=quantity,
                by=request.user,
            )
            messages.success(request, _("资源已登记"))
            return redirect("wishes:lists")
        except ServiceError as exc:
            _fail(request, exc)
            status = exc.status_code
    ctx = selectors.three_lists(viewer=request.user)
    ctx["units"] = Unit.objects.filter(kind=Unit.Kind.CO_BUILDING).order_by("name")
    ctx["communities"] = Area.objects.filter(scope_for(request.user).q("code"), level="community")
    ctx["kinds"] = Kind.choices
    return render(request, "wishes/lists.html", ctx, status=status)


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def figures(request: HttpRequest) -> HttpResponse:
    season = request.GET.get("season")
    ctx = {
        "figures": selectors.figures(season=int(season) if season and season.isdigit() else None),
        "seasons": Season.objects.all(),
        "season": season or "",
        "wall_url": reverse("wishes:wall"),
    }
    return render(request, "wishes/figures.html", ctx)
