"""The cases export page: a filter form that starts the export job (``exports.export_start``) and shows its
progress in place (``core/_job_progress.html`` polls every second), then the download link."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t

from wangge.accounts.roles import user_can
from wangge.core import jobs
from wangge.core.errors import Forbidden
from wangge.core.scoping import scope_for

from . import exports, selectors
from .models import Appeal, State

FIELDS = ("area", "state", "category", "channel", "date_from", "date_to")


def _context(request: HttpRequest, values: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    return {
        "can_submit": user_can(user, "appeals.submit"),
        "can_handle": user_can(user, "appeals.handle"),
        "can_dispatch": user_can(user, "appeals.dispatch"),
        "can_read": True,
        "tab": "export",
        "values": values,
        "states": State.choices,
        "channels": Appeal.Channel.choices,
        "categories": [c for c in selectors.category_list() if c.parent_id is None],
        "formats": list(exports.FORMATS.items()),
    }


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user_can(user, "appeals.read") and not scope_for(user).empty):
        raise Forbidden(_t("无权导出诉求"))
    if request.method == "POST":
        data = {k: (request.POST.get(k) or "").strip() for k in FIELDS}
        job = exports.export_start(filters=data, fmt=request.POST.get("fmt") or "xlsx", by=user)
        if not getattr(request, "htmx", False):
            return redirect("core:job", pk=job.pk)  # no htmx: the job's own progress page
        job.refresh_from_db()
        spec = jobs.KINDS[job.kind]
        done = job.state == job.State.DONE  # already, when jobs run inline
        context = {"job": job, "label": spec.label, "result_template": spec.result_template if done else ""}
        return render(request, "core/_job_progress.html", context, status=202)
    values = {k: (request.GET.get(k) or "").strip()[:40] for k in FIELDS}
    return render(request, "appeals/export.html", _context(request, values))
