"""Pages: the area tree with a map of the grid boundaries, and one area's detail (an HTMX partial on the map)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wangge.accounts.roles import user_can
from wangge.core.errors import NotFound

from . import selectors


def _require_read(request: HttpRequest) -> None:
    if not user_can(request.user, "areas.read"):
        raise PermissionDenied


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    roots = selectors.area_tree(viewer=request.user)
    return render(
        request,
        "areas/tree.html",
        {"roots": roots, "map_codes": json.dumps([r["code"] for r in roots])},
    )


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    _require_read(request)
    try:
        d = selectors.area_detail(viewer=request.user, code=code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    template = "areas/_panel.html" if getattr(request, "htmx", False) else "areas/detail.html"
    return render(request, template, {**d, "map_codes": json.dumps([code])})
