"""Pages: the area tree with a map of the grid boundaries, and one area's detail (an HTMX partial on the map)."""

from __future__ import annotations

import json
from typing import Any

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


def tree_steps(roots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The nested tree as a flat list for one template loop: ``{"node", "open"}`` opens a node (and, when it
    has children, its list), ``{"end": True}`` closes a node's list. A district has ~1,400 areas: one
    ``{% include %}`` per node (recursive) took most of the page's time."""
    from django.urls import reverse

    marker = "0000000000"
    pattern = reverse("areas:detail", args=[marker])  # reversed once, not twice per node
    steps: list[dict[str, Any]] = []
    stack: list[tuple[dict[str, Any], bool] | None] = [(r, True) for r in reversed(roots)]
    while stack:
        item = stack.pop()
        if item is None:
            steps.append({"end": True})
            continue
        node, is_open = item
        node["url"] = pattern.replace(marker, node["code"])
        steps.append({"node": node, "open": is_open})
        if node["children"]:
            stack.append(None)
            stack.extend((c, False) for c in reversed(node["children"]))
    return steps


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    roots = selectors.area_tree(viewer=request.user)
    return render(
        request,
        "areas/tree.html",
        {"roots": roots, "steps": tree_steps(roots), "map_codes": json.dumps([r["code"] for r in roots])},
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
