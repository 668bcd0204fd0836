"""The grid worker's phone pages for editing the registry where it changes: a resident's and a household's
card (change a phone, the ID number, tags; move-in, move-out, death; add a resident), adding a household to a
house, the history pages and the queue of corrections (pending approval, conflicts).

Every form posts one change through ``change_services`` — the same use cases, validation and change log as
the API (``/api/v1/registry/changes``) — with a client id (a re-submitted form lands once) and the version
the page showed (an edit made against a stale page becomes a conflict, never an overwrite). A rejected form
is shown again with each message next to its field."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.core.errors import ServiceError

from . import change_selectors, change_services, selectors
from .models import RegistryChange, Resident, Tag

STATUS_MESSAGES = {
    "applied": "已保存",
    "pending": "已提交，等待社区审核",
    "conflict": "该记录已被他人修改，已放入冲突列表",
}


def _staff(request: HttpRequest) -> None:
    if not user_can(request.user, "registry.write"):
        raise Http404


def _errors(exc: ServiceError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors or [{"field": "", "message": exc.detail}]:
        field = str(e.get("field") or "").removeprefix("data.") or "form"
        out.setdefault(field, str(e["message"]))
    return out


def _tag_choices(viewer: Any, target: str, current: list[str]) -> list[dict[str, Any]]:
    exclude = Tag.AppliesTo.HOUSEHOLD if target == "resident" else Tag.AppliesTo.RESIDENT
    return [
        {"t": t, "checked": t.code in current}
        for t in selectors.tag_options(viewer)
        if t.applies_to != exclude and t.active
    ]


def _data(kind: str, post: Any) -> dict[str, Any]:
    """A change's ``data`` from a posted form (the API's shape)."""
    if kind == "tags":
        return {"tags": post.getlist("tags")}
    if kind == "move_in":
        raw = (post.get("household_id") or "").strip()
        return {
            "household_id": int(raw) if raw.isdigit() and len(raw) < 19 else None,
            "relation": post.get("relation", ""),
            "date": post.get("date", ""),
        }
    if kind == "add_resident":
        fields = ("name", "id_number", "gender", "phone", "relation", "birth_date")
        return {k: post.get(k, "") for k in fields} | {"tags": post.getlist("tags")}
    if kind in ("phone", "id_number", "name"):
        return {kind: post.get(kind, "")}
    return {"date": post.get("date", ""), "note": post.get("note", "")}


def _post_change(request: HttpRequest, target: str, obj: Any) -> tuple[dict[str, str], str, int]:
    """Submit the posted change; returns (errors, the form's kind, status). Success redirects (status 0)."""
    kind = request.POST.get("kind", "")
    raw_version = request.POST.get("base_version", "")
    try:
        change, created = change_services.change_submit(
            by=request.user,
            client_id=request.POST.get("client_id", ""),
            target=target,
            target_id=obj.pk,
            kind=kind,
            base_version=int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else 0,
            data=_data(kind, request.POST),
        )
    except ServiceError as exc:
        return _errors(exc), kind, exc.status_code
    text = STATUS_MESSAGES.get(change.status, change.get_status_display())
    messages.success(request, _(text) if created else _("该修改已提交过"))
    return {}, kind, 0


def _forms(request: HttpRequest, kind: str) -> dict[str, str]:
    """A fresh client id per form; the one just posted is kept when the form comes back with errors."""
    kinds = ("phone", "id_number", "tags", "move_in", "move_out", "death", "add_resident")
    ids = {k: uuid.uuid4().hex for k in kinds}
    if kind in ids and request.method == "POST":
        ids[kind] = request.POST.get("client_id", ids[kind])
    return ids


@login_required
def resident_card(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    resident = selectors.resident_get(viewer=request.user, pk=pk)
    errors: dict[str, str] = {}
    kind, status = "", 200
    if request.method == "POST":
        errors, kind, status = _post_change(request, "resident", resident)
        if not status:
            return redirect("registry:resident_card", pk=pk)
    tags = selectors.tags_of(resident, request.user)
    pending = change_selectors.change_list(viewer=request.user, resident=pk, status="pending,conflict")
    ctx = {
        "r": resident,
        "id_number": selectors.masked_resident(resident)["id_number"],
        "phone": selectors.masked_resident(resident)["phone"],
        "tags": tags,
        "tag_choices": _tag_choices(request.user, "resident", [t.code for t in tags]),
        "errs": {kind: errors} if errors else {},
        "failed": kind,
        "values": request.POST if request.method == "POST" else {},
        "ids": _forms(request, kind),
        "waiting": list(pending[:5]),
        # Where the resident may move in: the other active households of the same building.
        "move_targets": [
            h
            for h in selectors.household_list(
                viewer=request.user, q=resident.household.house.building.address
            ).filter(active=True)[:50]
            if h.pk != resident.household_id or not resident.active
        ],
        "relations": Resident.Relation.choices,
    }
    return render(request, "registry/edit/resident_card.html", ctx, status=status or 200)


@login_required
def household_card(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    household = selectors.household_get(viewer=request.user, pk=pk)
    errors: dict[str, str] = {}
    kind, status = "", 200
    if request.method == "POST":
        errors, kind, status = _post_change(request, "household", household)
        if not status:
            return redirect("registry:household_card", pk=pk)
    tags = selectors.tags_of(household, request.user)
    members = [
        {"r": r, "phone": selectors.masked_resident(r)["phone"], "tags": selectors.tags_of(r, request.user)}
        for r in household.residents.all()
    ]
    ctx = {
        "h": household,
        "tags": tags,
        "members": members,
        "tag_choices": _tag_choices(request.user, "household", [t.code for t in tags]),
        "resident_tag_choices": _tag_choices(request.user, "resident", []),
        "relations": Resident.Relation.choices,
        "genders": Resident.Gender.choices,
        "errs": {kind: errors} if errors else {},
        "failed": kind,
        "values": request.POST if request.method == "POST" else {},
        "ids": _forms(request, kind),
    }
    return render(request, "registry/edit/household_card.html", ctx, status=status or 200)


@login_required
def household_add(request: HttpRequest, house_pk: int) -> HttpResponse:
    _staff(request)
    house = selectors.house_get(viewer=request.user, pk=house_pk)
    errors: dict[str, str] = {}
    status = 200
    client_id = uuid.uuid4().hex
    if request.method == "POST":
        client_id = request.POST.get("client_id", client_id)
        try:
            change, _created = change_services.household_add(
                by=request.user,
                house=house,
                client_id=client_id,
                number=request.POST.get("number", ""),
                tags=request.POST.getlist("tags"),
            )
            messages.success(request, _("已登记新户"))
            return redirect("registry:household_card", pk=change.household_id)
        except ServiceError as exc:
            errors, status = _errors(exc), exc.status_code
    ctx = {
        "house": house,
        "tag_choices": _tag_choices(request.user, "household", request.POST.getlist("tags")),
        "errors": errors,
        "values": request.POST if request.method == "POST" else {},
        "client_id": client_id,
        "households": selectors.household_list(viewer=request.user, house=house.pk),
    }
    return render(request, "registry/edit/household_add.html", ctx, status=status)


@login_required
def resident_history(request: HttpRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get(viewer=request.user, pk=pk)
    ctx = change_selectors.history(viewer=request.user, resident=resident)
    ctx["r"] = resident
    return render(request, "registry/edit/history.html", ctx)


@login_required
def household_history(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(viewer=request.user, pk=pk)
    ctx = change_selectors.history(viewer=request.user, household=household)
    ctx["h"] = household
    return render(request, "registry/edit/history.html", ctx)


@login_required
def changes(request: HttpRequest) -> HttpResponse:
    """The corrections awaiting someone: conflicts to settle and changes pending approval."""
    status = request.GET.get("status") if request.GET.get("status") in ("pending", "conflict") else None
    rows = list(change_selectors.change_list(viewer=request.user, status=status or "pending,conflict")[:50])
    ctx = {
        "cards": change_selectors.change_cards(rows, request.user, current=True),
        "status": status or "",
        "can_approve": user_can(request.user, "registry.approve"),
    }
    return render(request, "registry/edit/changes.html", ctx)


@login_required
@require_POST
def change_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    change = change_selectors.change_get(viewer=request.user, pk=pk)
    reason = request.POST.get("reason", "")
    try:
        if action == "approve":
            change_services.change_approve(change=change, by=request.user, reason=reason)
        elif action == "reject":
            change_services.change_reject(change=change, by=request.user, reason=reason)
        elif action in ("apply", "discard"):
            change_services.change_settle(change=change, by=request.user, action=action, reason=reason)
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return redirect("registry:changes")
    done = RegistryChange.objects.values_list("status", flat=True).get(pk=pk)
    messages.success(request, _("已处理：%(status)s") % {"status": RegistryChange.Status(done).label})
    return redirect("registry:changes")
