"""Every read of the pairing context, scoped to the viewer through ``Pairing.objects.visible_to``.

Staff with ``mobilisation.manage`` see the pairings of their area scope; volunteers see the pairings they
serve today (an ended assignment or an ended pairing is no longer theirs). Anything else is "not found".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet

from wangge.accounts.roles import user_can
from wangge.core.errors import Forbidden, NotFound
from wangge.core.scoping import get_visible_or_404, scope_for
from wangge.registry.models import Resident

from . import services
from .models import Assignment, Handover, MissedVisit, Pairing, Visit, serving_pairing_ids


def _assignments() -> Prefetch:
    return Prefetch(
        "assignments", queryset=Assignment.objects.select_related("volunteer").order_by("starts_on", "id")
    )


def _base(viewer: Any, action: str = "view") -> QuerySet[Pairing]:
    return (
        Pairing.objects.visible_to(viewer, action)
        .select_related("area", "resident", "volunteer", "backup")
        .prefetch_related(_assignments())
    )


def pairing_list(*, viewer: Any, status: str | None = None, mine: bool = False) -> QuerySet[Pairing]:
    """Pairings the viewer may see (one query, plus one for every row's assignments)."""
    if not getattr(viewer, "is_authenticated", False):
        raise Forbidden("请先登录")
    qs = _base(viewer)
    if mine or not user_can(viewer, "mobilisation.manage"):
        qs = qs.filter(pk__in=serving_pairing_ids(viewer))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("area__code", "id")


def pairing_get(*, viewer: Any, pk: int, action: str = "view") -> Pairing:
    p: Pairing = get_visible_or_404(_base(viewer, action), viewer, action, pk=pk)
    return p


def volunteer_names(p: Pairing) -> list[str]:
    """Everyone who served on the pairing, in order (from the prefetched assignments)."""
    names: list[str] = []
    for a in p.assignments.all():
        if str(a.volunteer) not in names:
            names.append(str(a.volunteer))
    return names


def visit_list(*, viewer: Any, pairing: Pairing) -> QuerySet[Visit]:
    return (
        Visit.objects.visible_to(viewer)
        .filter(pairing=pairing)
        .select_related("volunteer")
        .order_by("-visited_at", "-id")
    )


def assignment_list(*, viewer: Any, pairing: Pairing) -> QuerySet[Assignment]:
    return (
        Assignment.objects.visible_to(viewer)
        .filter(pairing=pairing)
        .select_related("volunteer")
        .order_by("starts_on", "id")
    )


def handover_list(*, viewer: Any, pairing: Pairing) -> QuerySet[Handover]:
    return (
        Handover.objects.visible_to(viewer)
        .filter(pairing=pairing)
        .select_related("from_volunteer", "to_volunteer")
        .order_by("-handed_on", "-id")
    )


def next_due(p: Pairing) -> date | None:
    return services.next_due(p)


def resident_history(*, viewer: Any, resident_id: int) -> dict[str, Any]:
    """Every pairing of a resident with every volunteer who served and every visit (staff in scope)."""
    if not user_can(viewer, "mobilisation.manage"):
        raise NotFound("居民不存在")
    resident = (
        Resident.objects.filter(scope_for(viewer).q("household__house__building__area__code"), pk=resident_id)
        .select_related("household__house__building")
        .first()
    )
    if resident is None:
        raise NotFound("居民不存在")
    pairings = list(
        Pairing.objects.visible_to(viewer, "manage")
        .filter(resident=resident)
        .select_related("volunteer", "area", "resident", "backup")
        .prefetch_related(
            _assignments(),
            Prefetch("visits", queryset=Visit.objects.select_related("volunteer").order_by("-visited_at")),
            Prefetch("handovers", queryset=Handover.objects.select_related("from_volunteer", "to_volunteer")),
        )
        .order_by("starts_on", "id")
    )
    volunteers: list[Any] = []
    for p in pairings:
        for a in p.assignments.all():
            if a.volunteer not in volunteers:
                volunteers.append(a.volunteer)
    visits = sorted((v for p in pairings for v in p.visits.all()), key=lambda v: v.visited_at, reverse=True)
    return {"resident": resident, "pairings": pairings, "volunteers": volunteers, "visits": visits}


def missed_list(*, viewer: Any, open_only: bool = True) -> QuerySet[MissedVisit]:
    if not user_can(viewer, "mobilisation.manage"):
        raise Forbidden("无权查看漏访提醒")
    qs = MissedVisit.objects.visible_to(viewer).select_related(
        "pairing__resident", "pairing__volunteer", "pairing__area"
    )
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return qs.order_by("due_on", "id")
