"""Party pages (phone first): the branches in scope, one branch with its secretary, committee, members,
党员中心户 and the households they serve (staff add members here), and one 党建联盟."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wangge.areas.models import PartyOrg
from wangge.core.errors import Forbidden, InvalidInput, NotFound, ServiceError
from wangge.core.feedback import error_message
from wangge.core.pii import mask_name
from wangge.registry.models import Resident

from . import selectors, services
from .models import Membership


def _org(request: HttpRequest, pk: int) -> PartyOrg:
    try:
        return selectors.party_org_get(viewer=request.user, pk=pk)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    try:
        orgs = list(selectors.party_org_list(viewer=request.user)[:500])
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    alliances = list(selectors.alliance_list(viewer=request.user)[:100])
    return render(request, "party/home.html", {"orgs": orgs, "alliances": alliances})


@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    members = selectors.membership_list(viewer=request.user, org=org)
    leaders = [m for m in members if m.role != Membership.Role.MEMBER]
    rows: list[dict[str, Any]] = [{"m": m, "name": mask_name(m.person_name)} for m in members]
    centres = [
        {"c": c, "keeper": mask_name(c.keeper.resident.name if c.keeper.resident_id else "")}
        for c in selectors.centre_list(viewer=request.user, org=org)
    ]
    ctx: dict[str, Any] = {
        "org": org,
        "secretary": next((r for r in rows if r["m"].role == Membership.Role.SECRETARY), None),
        "committee": [r for r in rows if r["m"].role in (Membership.Role.DEPUTY, Membership.Role.COMMITTEE)],
        "members": rows,
        "leader_count": len(leaders),
        "centres": centres,
        "alliances": list(selectors.alliance_list(viewer=request.user, org=org)),
        "manage": services.may_manage(request.user, org.area.code),
        "roles": Membership.Role.choices,
        "today": date.today().isoformat(),
    }
    return render(request, "party/org.html", ctx)


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    try:
        raw = (request.POST.get("resident_id") or "").strip()
        if not raw.isdigit() or not 0 < int(raw) < 2**63:
            raise InvalidInput.field("resident_id", "请输入居民编号（数字）")
        resident = Resident.objects.visible_to(request.user).filter(pk=int(raw)).first()
        if resident is None:
            raise InvalidInput.field("resident_id", "居民不存在")
        m = services.membership_add(
            org=org, resident=resident, role=request.POST.get("role") or "member", by=request.user
        )
        messages.success(request, f"已添加 {mask_name(m.person_name)}")
    except ServiceError as exc:
        error_message(request, exc)
    return redirect("party:org", pk=org.pk)


@login_required
def alliance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        alliance = selectors.alliance_get(viewer=request.user, pk=pk)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return render(request, "party/alliance.html", {"a": alliance})
