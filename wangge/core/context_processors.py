from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from wangge.core.navigation import nav_for
from wangge.core.roles import user_can


def wangge(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "nav_items": nav_for(user),
        "tile_url": settings.WANGGE_TILE_URL,
        "basemap": {
            "url": settings.WANGGE_TILE_URL,
            "crs": settings.WANGGE_TILE_CRS,
            "attribution": settings.WANGGE_TILE_ATTRIBUTION,
            "max_zoom": settings.WANGGE_TILE_MAX_ZOOM,
            "subdomains": settings.WANGGE_TILE_SUBDOMAINS,
        },
        "can": (lambda perm: user_can(user, perm)),
    }
