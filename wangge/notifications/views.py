"""Notification pages: the list, mark read, and the unread badge partial (polled by HTMX)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from wangge.core.errors import NotFound

from . import selectors, services

# The htmx event that makes every bell on the page fetch its count again (see ``_badge.html``).
BELL_EVENT = "notifications-changed"


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.notification_list(viewer=request.user, unread_only=unread_only), 30).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "unread_only": unread_only,
        "unread_count": selectors.notification_unread_count(viewer=request.user),
    }
    template = "notifications/_rows.html" if getattr(request, "htmx", False) else "notifications/inbox.html"
    return render(request, template, context)


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        note = services.notification_mark_read(notification_id=notification_id, by=request.user)
    except NotFound:
        return HttpResponse(status=404)
    if getattr(request, "htmx", False):
        response = render(request, "notifications/_row.html", {"n": note})
        response["HX-Trigger"] = BELL_EVENT  # the bell re-reads its count
        return response
    target = note.link if request.POST.get("follow") and note.link else "notifications:inbox"
    if target != "notifications:inbox" and not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "notifications:inbox"
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(by=request.user)
    if getattr(request, "htmx", False):
        response = inbox(request)
        response["HX-Trigger"] = BELL_EVENT
        return response
    return redirect("notifications:inbox")


@login_required
def badge(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "notifications/_badge.html",
        {"unread_count": selectors.notification_unread_count(viewer=request.user)},
    )
