"""What a grid worker's phone keeps for offline use: the households of their grids (masked pages only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from wangge.registry import selectors as registry_selectors
from wangge.registry.models import Household


def offline_limit() -> int:
    """At most this many households are saved on the phone (a grid has a few hundred)."""
    return int(getattr(settings, "WANGGE_OFFLINE_HOUSEHOLDS", 600))


def offline_households(*, viewer: Any) -> list[Household]:
    """The viewer's households, as the registry shows them to the viewer, in address order."""
    return list(registry_selectors.household_list(viewer=viewer)[: offline_limit()])
