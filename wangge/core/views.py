from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static

from . import selectors


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        db = {"status": "ok", "vendor": connection.vendor}
        status = 200
    except Exception as exc:  # report, do not crash: this is what load balancers poll
        db = {"status": "error", "error": str(exc)[:200]}
        status = 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "database": db}, status=status)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; it is our static icon."""
    return HttpResponseRedirect(static("wangge/favicon.ico"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from .home import sections_for

    return render(request, "core/home.html", {"sections": sections_for(request.user)})


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or None for k in ("actor", "action", "object_type", "object_id")}
    rows = selectors.audit_list(
        viewer=request.user,
        actor=filters["actor"],
        action=filters["action"],
        object_type=filters["object_type"],
        object_id=filters["object_id"],
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    template = "core/_audit_rows.html" if getattr(request, "htmx", False) else "core/audit.html"
    return render(request, template, {"page": page, "filters": filters})
