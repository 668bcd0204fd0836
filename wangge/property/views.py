"""Pages: the public board of a community (no login, no personal data); residents evaluate their property
company each quarter; the company and the community answer comments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import Unit
from wangge.areas.models import Area
from wangge.core.errors import NotFound, ServiceError
from wangge.core.feedback import error_message
from wangge.core.scoping import scope_for
from wangge.registry.models import Resident

from . import selectors, services
from .models import Commitment


def board(request: HttpRequest, code: str) -> HttpResponse:
    try:
        data = selectors.board(community_code=code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return render(request, "property/board.html", {"b": data})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Residents: their company and the evaluation form; staff/company: comments to answer and boards."""
    resident = (
        Resident.objects.filter(account_id=request.user.pk)
        .select_related("household__house__building")
        .first()
    )
    my_company = resident.household.house.building.property_company if resident else None
    mine = selectors.my_evaluation(viewer=request.user, company=my_company) if my_company else None
    groups = (
        list(
            dict.fromkeys(
                Commitment.objects.filter(company=my_company, active=True)
                .order_by("order")
                .values_list("group", flat=True)
            )
        )  # fmt: skip
        if my_company
        else []
    )
    pending = list(selectors.evaluation_list(viewer=request.user, unanswered=True)[:50])
    pending = [e for e in pending if services.can_manage(request.user, e.company)]
    scope = scope_for(request.user)
    communities = list(Area.objects.filter(level="community").filter(scope.q("code")).order_by("code")[:50])
    if resident:
        communities.append(Area.objects.get(code=resident.household.house.building.area.code[:12]))
    ctx = {"company": my_company, "mine": mine, "groups": groups, "pending": pending, "communities": communities,
           "stars": range(1, 6)}  # fmt: skip
    return render(request, "property/home.html", ctx)


@login_required
@require_POST
def evaluate(request: HttpRequest, company_id: int) -> HttpResponse:
    company = Unit.objects.filter(pk=company_id, kind=Unit.Kind.PROPERTY_COMPANY).first()
    if company is None:
        raise Http404
    scores: dict[str, int] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        # "scores.<group>" is the service's error field, so app.js puts its message next to that select;
        # "score:<group>" is the older name, still taken.
        if key.startswith(("scores.", "score:")) and value.isdigit() and len(value) < 3:
            scores[key.split(".", 1)[1] if key.startswith("scores.") else key[6:]] = int(value)
    try:
        services.evaluation_submit(company=company, scores=scores, comment=request.POST.get("comment", ""),
                                   by=request.user)  # fmt: skip
        messages.success(request, _("评议已提交，谢谢"))
    except ServiceError as exc:
        error_message(request, exc)
    return redirect("property:home")


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.evaluation_reply(evaluation_id=pk, reply=request.POST.get("reply", ""), by=request.user)
        messages.success(request, _("已答复，答复将在社区公示栏展示"))
    except ServiceError as exc:
        error_message(request, exc)
    return redirect("property:home")
