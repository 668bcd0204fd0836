"""The one map page (全市一张图) and its layer upload form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wangge.areas.selectors import default_area_code
from wangge.core.errors import InvalidInput

from . import selectors, services


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    if not (
        selectors.user_can(request.user, "appeals.read") and selectors.user_can(request.user, "registry.read")
    ):
        raise Http404
    return render(
        request,
        "command/map.html",
        {
            "area_code": default_area_code(request.user) or "",
            "tile_url": getattr(settings, "WANGGE_TILE_URL", ""),
            "can_import": services.can_import_layers(request.user),
            "suppress_below": selectors.suppress_below(),
        },
    )


@login_required
def map_layer_upload(request: HttpRequest) -> HttpResponse:
    """htmx: import a layer from an uploaded GeoJSON file; a bad file answers 422 with the message next to
    the field that is wrong."""
    if request.method != "POST" or not services.can_import_layers(request.user):
        raise Http404
    upload = request.FILES.get("geojson")
    errors: dict[str, str] = {}
    layer = None
    try:
        if upload is None:
            raise InvalidInput.field("geojson", "请选择GeoJSON文件")
        if upload.size and upload.size > services.MAX_BYTES:
            raise InvalidInput.field("geojson", "文件过大（上限20MB）")
        layer = services.layer_import(
            key=request.POST.get("key", ""),
            name=request.POST.get("name", ""),
            kind=request.POST.get("kind", "police"),
            geojson=upload.read(),
            source=(upload.name or "")[:120],
            by=request.user,
        )
    except InvalidInput as exc:
        for e in exc.errors or [{"field": "geojson", "message": exc.detail}]:
            errors.setdefault(e["field"], e.get("message") or exc.detail)
    context: dict[str, Any] = {"errors": errors, "layer": layer, "values": request.POST}
    if layer is not None:
        context["features"] = layer.features.count()
        context["links"] = selectors.GridLayerLink.objects.filter(feature__layer=layer).count()
    return render(request, "command/map_upload.html", context, status=422 if errors else 200)
