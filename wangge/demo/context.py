"""What the demo command hands to each app's ``populate_demo(ctx)`` hook.

Contract (other apps rely on it): after the base district is built, for each app in ``DEMO_HOOK_APPS`` the
command imports ``wangge.<app>.demo`` if it exists and calls ``populate_demo(ctx)`` with a ``DemoContext``.
Hooks must be deterministic (draw only from ``ctx.rng``), print progress to ``ctx.stdout`` and write in bulk.
Each hook runs in its own transaction; a failing hook is reported and the others still run.

What the base district holds when hooks run: buildings are attached to grid-level areas (``Building.area`` is
one of ``ctx.grids``); every comprehensive grid has 4 micro-grids (``ctx.microgrids``); each grid has a party
branch and each micro-grid a party group (``areas.PartyOrg``); ``gridworkerNNN`` holds ``ctx.grids[NNN-1]``;
``resident`` and ``volunteer001…050`` are linked to ``registry.Resident`` rows (``Resident.account``), the
volunteers to party members spread over the grids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from wangge.accounts.models import Unit, User
    from wangge.areas.models import Area

DEMO_HOOK_APPS = [
    "areas",  # roads between the blocks, for the base map drawn without tiles
    "appeals",
    "volunteers",
    "points",
    "wishes",
    "pairing",
    "deliberation",
    "voting",
    "property",
    "visits",
    "places",
    "projects",
    "registry",
    "signup",
    "patrols",
    "cards",
    "party",
    "attendance",
    "command",
    "assessment",
]


@dataclass
class DemoContext:
    size: str  # "small" or "district"
    rng: random.Random
    district: Area
    streets: list[Area]
    communities: list[Area]
    grids: list[Area]  # level "grid" only (comprehensive and dedicated), ordered by code
    users: dict[str, User]  # by username: admin, district, street, community, department, property,
    # resident, gridworker001…, volunteer001…volunteer050
    units: dict[str, list[Unit]]  # by Unit.Kind value: "department", "property_company", "co_building", …
    password: str
    now: datetime
    stdout: TextIO | Any
    microgrids: list[Area] = field(default_factory=list)
    extra: dict[str, Any] = field(
        default_factory=dict
    )  # anything else a hook wants to share with later hooks

    def log(self, message: str) -> None:
        self.stdout.write(message + ("" if message.endswith("\n") else "\n"))
        flush = getattr(self.stdout, "flush", None)
        if flush:
            flush()
