"""Reads of project lists: progress from milestone counts in the same query (no query per project)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from wangge.areas.models import Area
from wangge.core.errors import NotFound
from wangge.core.scoping import get_visible_or_404

from .models import Project

PUBLIC_STATES = (Project.State.APPROVED, Project.State.IN_PROGRESS, Project.State.DONE)


def _annotated(qs: QuerySet[Project]) -> QuerySet[Project]:
    today = timezone.localdate()
    return qs.select_related("area", "unit", "owner").annotate(
        n_milestones=Count("milestones", distinct=True),
        n_done=Count("milestones", filter=Q(milestones__done_on__isnull=False), distinct=True),
        n_overdue=Count(
            "milestones",
            filter=Q(milestones__done_on__isnull=True, milestones__due_on__lt=today),
            distinct=True,
        ),
    )


def project_list(
    viewer: Any, *, area: str | None = None, state: str | None = None, kind: str | None = None
) -> QuerySet[Project]:
    qs = Project.objects.visible_to(viewer)
    if area:
        qs = qs.filter(area__code__startswith=area)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return _annotated(qs).order_by("area__code", "-id")


def project_get(viewer: Any, pk: int) -> Project:
    return get_visible_or_404(_annotated(Project.objects.all()).prefetch_related("milestones"), viewer, pk=pk)


def public_community(code: str) -> Area:
    """The community whose public list is asked for (public by design: no viewer); NotFound otherwise."""
    community = Area.objects.filter(code=code[:12], level="community").first()
    if community is None:
        raise NotFound(gettext("未找到"))
    return community


def public_list(community_code: str) -> QuerySet[Project]:
    """A community's public list: approved projects and later, no personal data in what the page shows."""
    return _annotated(
        Project.objects.filter(area__code__startswith=community_code, state__in=PUBLIC_STATES)
    ).order_by("-id")
