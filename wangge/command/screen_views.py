"""The command-centre wall page (1920×1080, dark); its data comes from ``GET /api/v1/command/screen``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wangge.core.errors import Forbidden, InvalidInput, NotFound

from . import screen


@login_required
def screen_page(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("area") or None
    try:
        area = screen.screen_area(viewer=request.user, code=code)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except (NotFound, InvalidInput) as exc:
        raise Http404(exc.detail) from exc
    return render(
        request,
        "command/screen.html",
        {
            "area": area,
            "refresh_seconds": screen.refresh_seconds(),
            "tile_url": getattr(settings, "WANGGE_TILE_URL", ""),
        },
    )
