"""Pages of project lists: the staff list and a project's page with its steps, and a community's public list."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from wangge.core.errors import NotFound, ServiceError
from wangge.core.roles import user_can

from . import selectors, services
from .models import Project


@login_required
def home(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in Project.State.values:
        state = None
    projects = list(selectors.project_list(request.user, state=state)[:100])
    return render(
        request,
        "projects/home.html",
        {"projects": projects, "states": Project.State.choices, "state": state},
    )


def _page(
    request: HttpRequest, pk: int, errors: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    try:
        project = selectors.project_get(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    manage = user_can(request.user, "projects.manage") or project.owner_id == request.user.pk
    errors = errors or {"form": "", "fields": {}, "detail": ""}
    form, fields = errors["form"], errors["fields"]
    today = timezone.localdate()
    rows = [
        {
            "m": m,
            "done_action": f"done-{m.pk}",
            "overdue": m.done_on is None and m.due_on < today,
            "error": (fields.get("evidence") or fields.get("done_on") or "")
            if form == f"done-{m.pk}"
            else "",
        }
        for m in project.milestones.all()
    ]
    return render(
        request,
        "projects/detail.html",
        {
            "p": project,
            "rows": rows,
            "manage": manage,
            "approve": user_can(request.user, "projects.approve")
            and project.created_by_id != request.user.pk,
            "detail_error": errors["detail"],
            "stop_error": fields.get("reason", "") if form == "stop" else "",
            "add_errors": fields if form == "milestone" else {},
            "posted": request.POST if form else {},
        },
        status=status,
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


@login_required
@require_POST
def step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One form per action; a refused one re-renders the page with the message next to its field."""
    by = request.user
    try:
        if action == "approve":
            services.project_approve(by=by, project_id=pk)
        elif action == "start":
            services.project_start(by=by, project_id=pk)
        elif action == "stop":
            services.project_stop(by=by, project_id=pk, reason=request.POST.get("reason", ""))
        elif action == "milestone":
            services.milestone_add(
                by=by,
                project_id=pk,
                title=request.POST.get("title", ""),
                due_on=request.POST.get("due_on", ""),
            )
        elif action.startswith("done-") and action[5:].isdigit() and len(action) < 20:
            services.milestone_done(
                by=by, project_id=pk, milestone_id=int(action[5:]), evidence=request.POST.get("evidence", ""),
                done_on=request.POST.get("done_on") or None,
            )  # fmt: skip
        else:
            raise Http404
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        fields = {e["field"]: e["message"] for e in (exc.errors or [])}
        errors = {"form": action, "fields": fields, "detail": "" if fields else exc.detail}
        return _page(request, pk, errors, status=exc.status_code)
    return redirect("projects:detail", pk)


def public(request: HttpRequest, code: str) -> HttpResponse:
    """A community's public list (no sign-in): approved projects and later, owners not named."""
    try:
        community = selectors.public_community(code)
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "projects/public.html",
        {"community": community, "projects": list(selectors.public_list(community.code)[:100])},
    )
