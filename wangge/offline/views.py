"""The offline grid worker: the service worker (served at /sw.js so its scope is the whole site), the web app
manifest and its icons, the page that saves a worker's households on the phone, and the correction form that
is queued on the phone when there is no network (the queue itself is static/offline/queue.js)."""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wangge.accounts.roles import user_can
from wangge.core.errors import ServiceError
from wangge.registry import selectors as registry_selectors

from . import selectors

# Loaded by the service worker with importScripts, in this order (Workbox's modules depend on core).
SW_SCRIPTS = [
    "vendor/workbox/workbox-core.prod.js",
    "vendor/workbox/workbox-routing.prod.js",
    "vendor/workbox/workbox-strategies.prod.js",
    "vendor/workbox/workbox-cacheable-response.prod.js",
    "vendor/workbox/workbox-expiration.prod.js",
    "vendor/workbox/workbox-precaching.prod.js",
    "vendor/idb-keyval.js",
    "offline/queue.js",
]
# Kept on the phone when the service worker installs: everything the grid worker pages load.
PRECACHE = [
    "wangge/app.css",
    "wangge/app.js",
    "vendor/htmx.min.js",
    "vendor/idb-keyval.js",
    "visits/visits.css",
    "visits/today.js",
    "visits/record.js",
    "offline/queue.js",
    "offline/offline.js",
    "offline/offline.css",
]
# The pages a grid worker needs without a network (network first, the last copy when offline). Paths only:
# the query string is not part of the cached copy's key.
PAGE_PATTERNS = [
    r"^/visits/today/$",
    r"^/visits/household/\d+/$",
    r"^/registry/households/\d+/$",
    r"^/registry/households/\d+/card/$",
    r"^/registry/residents/\d+/card/$",
    r"^/patrols/$",
    r"^/patrols/\d+/$",
    r"^/offline/$",
    r"^/offline/households/\d+/correct/$",
]
ICON_SIZES = (192, 512)


@lru_cache(maxsize=64)
def _revision(path: str) -> str | None:
    found = finders.find(path)
    if not found:
        return None
    return hashlib.md5(Path(str(found)).read_bytes(), usedforsecurity=False).hexdigest()[:16]


def _sw_config() -> dict[str, Any]:
    precache = []
    for path in PRECACHE:
        rev = _revision(path)
        if rev is not None:  # a vendor file not installed yet (make vendor) is simply not kept
            precache.append({"url": static(path), "revision": rev})
    for size in ICON_SIZES:
        precache.append({"url": reverse("offline:icon", args=[size]), "revision": "1"})
    return {
        "scripts": [static(p) for p in SW_SCRIPTS],
        "precache": precache,
        "pages": "|".join(f"(?:{p})" for p in PAGE_PATTERNS),
        "staticPrefix": static(""),
        "networkTimeoutSeconds": int(getattr(settings, "WANGGE_OFFLINE_NETWORK_TIMEOUT", 4)),
        # A sign-in or sign-out on this phone drops the saved pages (they belong to the previous account).
        "clearOn": [reverse("accounts:login"), reverse("accounts:logout")],
        "me": "/api/v1/auth/me",
    }


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker: its settings (the static files and their revisions) then static/offline/sw.js."""
    source = finders.find("offline/sw.js")
    if not source:
        raise Http404
    body = "self.WANGGE_SW = " + json.dumps(_sw_config()) + ";\n" + Path(str(source)).read_text("utf-8")
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": _("网格宝 · 网格员"),
        "short_name": _("网格宝"),
        "description": _("网格员今日、入户走访与信息更正，没有网络也能用"),
        "lang": "zh-CN",
        "start_url": reverse("visits:today"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b91c1c",
        "icons": [
            {
                "src": reverse("offline:icon", args=[s]),
                "sizes": f"{s}x{s}",
                "type": "image/png",
                "purpose": "any",
            }
            for s in ICON_SIZES
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8"
    )


@lru_cache(maxsize=4)
def _icon_png(size: int) -> bytes:
    """Our own icon, drawn here: a red square with a white 3×3 grid (网格)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (185, 28, 28))
    draw = ImageDraw.Draw(img)
    pad, width = size // 5, max(2, size // 32)
    inner = size - 2 * pad
    for i in range(4):
        at = pad + round(i * inner / 3)
        draw.rectangle([pad, at - width // 2, size - pad, at + width // 2], fill=(255, 255, 255))
        draw.rectangle([at - width // 2, pad, at + width // 2, size - pad], fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


@require_GET
def icon(request: HttpRequest, size: int) -> HttpResponse:
    if size not in ICON_SIZES:
        raise Http404
    return HttpResponse(_icon_png(size), content_type="image/png")


def _staff(request: HttpRequest) -> None:
    if not user_can(request.user, "registry.write"):
        raise Http404


@login_required
def households(request: HttpRequest) -> HttpResponse:
    """离线准备: the worker's households, each with its card, visit form and correction form; the page's
    script saves them all on the phone."""
    _staff(request)
    rows = selectors.offline_households(viewer=request.user)
    return render(request, "offline/households.html", {"rows": rows, "limit": selectors.offline_limit()})


@login_required
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """更正信息: a resident's phone, sent as a registry change with the version this page was made from, so
    an edit made offline over a newer one lands in the conflict list instead of overwriting it."""
    _staff(request)
    try:
        household = registry_selectors.household_get(viewer=request.user, pk=pk)
    except ServiceError as exc:
        raise Http404(exc.detail) from exc
    members = [{"r": r, "version": getattr(r, "version", "")} for r in household.residents.all()]
    return render(
        request,
        "offline/correct.html",
        {"household": household, "members": members, "household_version": getattr(household, "version", "")},
    )
