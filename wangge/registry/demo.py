"""Demo data for the registry's change log: in the first grid, a phone corrected by its grid worker, an ID number
correction waiting for the community's approval, and an offline edit made against an older version that landed
as a conflict (all through the real use cases)."""

from __future__ import annotations

from typing import Any

from wangge.core import pii
from wangge.core.scoping import scope_for
from wangge.core.transactions import batch

from .change_services import change_submit
from .models import Resident


def _id_like(resident: Resident, serial: int) -> str:
    """A valid ID number for the same birth date and gender, differing in the serial (a typo corrected)."""
    old = resident.id_number or ""
    if len(old) != 18:
        return ""
    parity = int(old[16]) % 2
    digit = (serial * 2 + parity) % 10
    body = old[:14] + f"{serial % 10}{(serial // 10) % 10}{digit}"
    return body + pii.id_check_digit(body)


def populate_demo(ctx: Any) -> None:
    worker = ctx.users.get("gridworker001")
    if worker is None or not ctx.grids:
        return
    grid = ctx.grids[0]
    people = list(
        Resident.objects.filter(active=True, household__house__building__area=grid)
        .exclude(id_number="")
        .order_by("pk")[:40]
    )
    if len(people) < 3:
        return
    a, b, c = ctx.rng.sample(people, 3)
    with batch():
        change_submit(
            by=worker,
            client_id="demo-phone-1",
            target="resident",
            target_id=a.pk,
            kind="phone",
            base_version=a.version,
            data={"phone": f"139{ctx.rng.randrange(10**8):08d}"},
        )
        new_id = _id_like(b, ctx.rng.randrange(10, 99))
        if new_id and not Resident.objects.filter(id_hash=pii.id_hash(new_id)).exists():
            change_submit(
                by=worker,
                client_id="demo-id-1",
                target="resident",
                target_id=b.pk,
                kind="id_number",
                base_version=b.version,
                data={"id_number": new_id},
            )
        # The office changed c's phone while the worker's phone, offline, still had the older card.
        community = ctx.users.get("community")
        if community is None or not scope_for(community).contains(grid.code):
            community = ctx.users["admin"]
        change_submit(
            by=community,
            client_id="demo-office-1",
            target="resident",
            target_id=c.pk,
            kind="phone",
            base_version=c.version,
            data={"phone": f"138{ctx.rng.randrange(10**8):08d}"},
        )
        change_submit(
            by=worker,
            client_id="demo-offline-1",
            target="resident",
            target_id=c.pk,
            kind="phone",
            base_version=c.version,
            data={"phone": f"137{ctx.rng.randrange(10**8):08d}"},
        )
    ctx.log("registry: 1 correction applied, 1 awaiting approval, 1 conflict")
