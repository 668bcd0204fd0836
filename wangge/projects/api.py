"""Project lists API: list and read in scope, declare, approve, start, stop, milestones added and done."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from wangge.areas.models import Area
from wangge.core.pii import mask_name
from wangge.core.schemas import ErrorOut
from wangge.core.scoping import get_visible_or_404

from . import selectors, services
from .models import Project
from .schemas import (
    ProjectDetailOut,
    ProjectFilter,
    ProjectIn,
    ProjectMilestoneDoneIn,
    ProjectMilestoneIn,
    ProjectMilestoneOut,
    ProjectOut,
    ProjectStopIn,
)

router = Router(tags=["projects"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def project_out(p: Project, *, public: bool = False) -> dict[str, Any]:
    owner = str(p.owner.display_name or p.owner.username) if p.owner_id else ""  # type: ignore[union-attr]
    return {
        "id": p.pk,
        "area_code": p.area.code,
        "area_name": p.area.name,
        "title": p.title,
        "kind": p.kind,
        "kind_display": str(p.get_kind_display()),
        "description": p.description,
        "owner": mask_name(owner) if public and owner else owner,
        "unit": p.unit.name if p.unit_id else "",  # type: ignore[union-attr]
        "budget_yuan": p.budget_yuan,
        "state": p.state,
        "state_display": str(p.get_state_display()),
        "stop_reason": p.stop_reason,
        "milestones_total": p.n_milestones,  # type: ignore[attr-defined]
        "milestones_done": p.n_done,  # type: ignore[attr-defined]
        "milestones_overdue": p.n_overdue,  # type: ignore[attr-defined]
        "progress": services.progress_of(p.n_done, p.n_milestones),  # type: ignore[attr-defined]
        "approved_at": p.approved_at,
        "done_at": p.done_at,
    }


def detail_out(p: Project) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        **project_out(p),
        "milestones": [
            {
                "id": m.pk,
                "title": m.title,
                "due_on": m.due_on,
                "done_on": m.done_on,
                "evidence": m.evidence,
                "overdue": m.done_on is None and m.due_on < today,
            }  # fmt: skip
            for m in p.milestones.all()
        ],
    }


@router.get("/projects", response={200: list[ProjectOut], **ERRORS})
def projects_list(request: HttpRequest, filters: Query[ProjectFilter], limit: int = 50, offset: int = 0):  # type: ignore[no-untyped-def]
    f = filters
    qs = selectors.project_list(request.user, area=f.area, state=f.state, kind=f.kind)[
        offset : offset + limit
    ]
    return [project_out(p) for p in qs]


@router.get("/projects/public/{code}", response={200: list[ProjectOut], **ERRORS})
def projects_public(request: HttpRequest, code: str, limit: int = 50, offset: int = 0):  # type: ignore[no-untyped-def]
    """A community's public project list (approved and later); owners' names masked."""
    community = selectors.public_community(code)
    return [
        project_out(p, public=True) for p in selectors.public_list(community.code)[offset : offset + limit]
    ]


@router.get("/projects/{int:pk}", response={200: ProjectDetailOut, **ERRORS})
def projects_get(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return detail_out(selectors.project_get(request.user, pk))


@router.post("/projects", response={201: ProjectDetailOut, **ERRORS})
def projects_declare(request: HttpRequest, data: ProjectIn):  # type: ignore[no-untyped-def]
    fields = data.dict()
    area = get_visible_or_404(Area, request.user, code=fields.pop("area"))
    p = services.project_declare(by=request.user, area=area, **fields)
    return Status(201, detail_out(selectors.project_get(request.user, p.pk)))


@router.post("/projects/{int:pk}/approve", response={200: ProjectDetailOut, **ERRORS})
def projects_approve(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    services.project_approve(by=request.user, project_id=pk)
    return detail_out(selectors.project_get(request.user, pk))


@router.post("/projects/{int:pk}/start", response={200: ProjectDetailOut, **ERRORS})
def projects_start(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    services.project_start(by=request.user, project_id=pk)
    return detail_out(selectors.project_get(request.user, pk))


@router.post("/projects/{int:pk}/stop", response={200: ProjectDetailOut, **ERRORS})
def projects_stop(request: HttpRequest, pk: int, data: ProjectStopIn):  # type: ignore[no-untyped-def]
    services.project_stop(by=request.user, project_id=pk, reason=data.reason)
    return detail_out(selectors.project_get(request.user, pk))


@router.post("/projects/{int:pk}/milestones", response={201: ProjectMilestoneOut, **ERRORS})
def projects_milestone_add(request: HttpRequest, pk: int, data: ProjectMilestoneIn):  # type: ignore[no-untyped-def]
    m = services.milestone_add(by=request.user, project_id=pk, title=data.title, due_on=data.due_on)
    return Status(201, {"id": m.pk, "title": m.title, "due_on": m.due_on, "done_on": None, "evidence": "",
                        "overdue": m.due_on < timezone.localdate()})  # fmt: skip


@router.post(
    "/projects/{int:pk}/milestones/{int:milestone_id}/done", response={200: ProjectDetailOut, **ERRORS}
)
def projects_milestone_done(request: HttpRequest, pk: int, milestone_id: int, data: ProjectMilestoneDoneIn):  # type: ignore[no-untyped-def]
    services.milestone_done(
        by=request.user,
        project_id=pk,
        milestone_id=milestone_id,
        evidence=data.evidence,
        done_on=data.done_on,
    )
    return detail_out(selectors.project_get(request.user, pk))
