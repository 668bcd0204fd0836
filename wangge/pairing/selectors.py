"""Every read of the pairing context, scoped to the viewer.

Staff with ``mobilisation.manage`` see the pairings of their area scope; volunteers see the pairings they
serve (or served) on. Anything else is "not found".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from wangge.accounts.roles import user_can
from wangge.core.errors import Forbidden, NotFound
from wangge.core.scoping import scope_for
from wangge.registry.models import Resident

from .models import Assignment, Handover, MissedVisit, Pairing, Visit


def _base() -> QuerySet[Pairing]:
    return Pairing.objects.select_related("area", "resident", "volunteer", "backup")


def pairing_list(*, viewer: Any, status: str | None = None, mine: bool = False) -> QuerySet[Pairing]:
    if not getattr(viewer, "is_authenticated", False):
        raise Forbidden("请先登录")
    if user_can(viewer, "mobilisation.manage") and not mine:
        qs = _base().filter(scope_for(viewer).q("area__code"))
    else:
        qs = _base().filter(Q(assignments__volunteer=viewer)).distinct()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("area__code", "id")


def pairing_get(*, viewer: Any, pk: int) -> Pairing:
    p = _base().filter(pk=pk).first()
    if p is None:
        raise NotFound("结对不存在")
    if user_can(viewer, "mobilisation.manage") and scope_for(viewer).contains(p.area.code):
        return p
    if getattr(viewer, "is_authenticated", False) and p.assignments.filter(volunteer=viewer).exists():
        return p
    raise NotFound("结对不存在")


def visit_list(*, viewer: Any, pairing: Pairing) -> QuerySet[Visit]:
    pairing_get(viewer=viewer, pk=pairing.pk)
    return pairing.visits.select_related("volunteer").order_by("-visited_at", "-id")


def assignment_list(*, pairing: Pairing) -> QuerySet[Assignment]:
    return pairing.assignments.select_related("volunteer").order_by("starts_on", "id")


def handover_list(*, pairing: Pairing) -> QuerySet[Handover]:
    return pairing.handovers.select_related("from_volunteer", "to_volunteer").order_by("-handed_on", "-id")


def next_due(p: Pairing) -> date:
    last = timezone.localdate(p.last_visit_at) if p.last_visit_at else p.starts_on
    return last + timedelta(days=p.visit_every_days)


def resident_history(*, viewer: Any, resident_id: int) -> dict[str, Any]:
    """Every pairing of a resident with every volunteer who served and every visit (staff in scope)."""
    if not user_can(viewer, "mobilisation.manage"):
        raise Forbidden("无权查看帮扶档案")
    resident = (
        Resident.objects.filter(scope_for(viewer).q("household__house__building__area__code"), pk=resident_id)
        .select_related("household__house__building")
        .first()
    )
    if resident is None:
        raise NotFound("居民不存在或不在您的管辖范围内")
    pairings = list(
        Pairing.objects.filter(resident=resident)
        .select_related("volunteer", "area")
        .prefetch_related(
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("volunteer").order_by("starts_on")
            ),
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
    qs = MissedVisit.objects.filter(scope_for(viewer).q("pairing__area__code")).select_related(
        "pairing__resident", "pairing__volunteer", "pairing__area"
    )
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return qs.order_by("due_on", "id")
