"""Every read of the party context, scoped through ``visible_to(viewer)`` (area staff see the party
organisations of their area scope; anyone else sees none, and a record out of scope is "not found").

Counts by organisation (``member_counts``, ``members_per_grid``) are what the figures and the map use.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr

from wangge.accounts.roles import user_can
from wangge.areas.models import PartyOrg
from wangge.core.errors import Forbidden
from wangge.core.scoping import get_visible_or_404

from .models import Alliance, AllianceOrg, AllianceUnit, CentreHousehold, Membership, ServedHousehold

ROLE_ORDER = {"secretary": 0, "deputy": 1, "committee": 2, "member": 3}


def _check_reader(viewer: Any) -> None:
    if not user_can(viewer, "mobilisation.read"):
        raise Forbidden("无权查看党组织")


def party_org_list(*, viewer: Any, kind: str | None = None, area: str | None = None) -> QuerySet[PartyOrg]:
    """The party organisations in the viewer's scope, with their active member counts (one query)."""
    _check_reader(viewer)
    qs = PartyOrg.objects.visible_to(viewer).select_related("area")
    if kind:
        qs = qs.filter(kind=kind)
    if area:
        qs = qs.filter(area__code__startswith=area)
    return qs.annotate(
        active_members=Count("memberships", filter=Q(memberships__until__isnull=True)),
    ).order_by("area__code", "kind", "id")


def party_org_get(*, viewer: Any, pk: int) -> PartyOrg:
    _check_reader(viewer)
    org: PartyOrg = get_visible_or_404(PartyOrg.objects.select_related("area"), viewer, pk=pk)
    return org


def membership_list(*, viewer: Any, org: PartyOrg, include_past: bool = False) -> list[Membership]:
    """The members of ``org`` (secretary, deputies, committee, then members; one query)."""
    qs = (
        Membership.objects.visible_to(viewer)
        .filter(org=org)
        .select_related("resident", "member__user", "member__unit")
    )
    if not include_past:
        qs = qs.filter(until__isnull=True)
    rows = list(qs.order_by("id"))
    rows.sort(key=lambda m: (m.until is not None, ROLE_ORDER.get(m.role, 9), m.pk))
    return rows


def centre_list(*, viewer: Any, org: PartyOrg) -> list[CentreHousehold]:
    """The 党员中心户 of ``org`` with their keeper and the households they serve (two queries)."""
    served = Prefetch(
        "served",
        queryset=ServedHousehold.objects.select_related("household__house__building").order_by("id"),
    )
    return list(
        CentreHousehold.objects.visible_to(viewer)
        .filter(org=org)
        .select_related("household__house__building", "keeper__resident")
        .prefetch_related(served)
        .order_by("id")
    )


def alliance_list(*, viewer: Any, org: PartyOrg | None = None) -> QuerySet[Alliance]:
    _check_reader(viewer)
    qs = Alliance.objects.visible_to(viewer).select_related("area")
    if org is not None:
        qs = qs.filter(org_links__org=org)
    return qs.prefetch_related(
        Prefetch("org_links", queryset=AllianceOrg.objects.select_related("org__area")),
        Prefetch("unit_links", queryset=AllianceUnit.objects.select_related("unit")),
    ).order_by("area__code", "id")


def alliance_get(*, viewer: Any, pk: int) -> Alliance:
    _check_reader(viewer)
    alliance: Alliance = get_visible_or_404(alliance_list(viewer=viewer), viewer, pk=pk)
    return alliance


def member_counts(*, viewer: Any, kind: str | None = None) -> dict[int, int]:
    """Active members per party organisation id, in the viewer's scope (one grouped query)."""
    qs = Membership.objects.visible_to(viewer).filter(until__isnull=True)
    if kind:
        qs = qs.filter(org__kind=kind)
    return dict(qs.order_by().values("org_id").annotate(n=Count("pk")).values_list("org_id", "n"))


def members_per_grid(*, viewer: Any, under: str = "") -> dict[str, int]:
    """Active members of the grid branches per grid code (for the map and the figures; one query)."""
    qs = Membership.objects.visible_to(viewer).filter(
        until__isnull=True, org__kind=PartyOrg.Kind.GRID_BRANCH, org__area__code__startswith=under
    )
    return dict(
        qs.order_by()
        .annotate(grid=Substr("org__area__code", 1, 15))
        .values("grid")
        .annotate(n=Count("pk"))
        .values_list("grid", "n")
    )
