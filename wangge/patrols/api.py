"""Patrols: start (idempotent by client id), track points in batches, discoveries that become cases, stop, the
day's log and the coverage figures. ``{ref}`` is a patrol's id or ``client:<client_id>`` (see the module
docstring of ``wangge.patrols``)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from wangge.areas.models import Area
from wangge.core.errors import InvalidInput
from wangge.core.schemas import ErrorOut

from . import selectors, services
from .models import PatrolPoint
from .schemas import (
    PatrolDetailOut,
    PatrolDiscoveryIn,
    PatrolDiscoveryOut,
    PatrolFilter,
    PatrolLogFilter,
    PatrolLogOut,
    PatrolMetricsFilter,
    PatrolMetricsOut,
    PatrolOut,
    PatrolPointOut,
    PatrolPointsIn,
    PatrolPointsResultOut,
    PatrolStartIn,
    PatrolStopIn,
)

router = Router(tags=["patrols"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _detail(request: HttpRequest, ref: Any) -> dict[str, Any]:
    d = selectors.patrol_detail(viewer=request.user, ref=ref)
    p = d.pop("patrol")
    return {
        **{f: getattr(p, f) for f in ("id", "client_id", "area_code", "worker_id", "state", "started_at")},
        **{f: getattr(p, f) for f in ("ended_at", "auto_closed", "checklist", "notes")},
        "area_name": p.area.name,
        "worker_name": p.worker.display_name or p.worker.username,
        **d,
    }


@router.post("/patrols", response={200: PatrolDetailOut, 201: PatrolDetailOut, **ERRORS})
def patrol_start(request: HttpRequest, data: PatrolStartIn):  # type: ignore[no-untyped-def]
    """Start a patrol of ``area`` (a grid code; default: the worker's only grid). 201 when new; 200 with the
    stored patrol when this ``client_id`` already landed; 409 (with ``patrol_id``) when another is running."""
    area = None
    if data.area:
        area = Area.objects.visible_to(request.user).filter(code=data.area).first()
        if area is None:
            raise InvalidInput.field("area", "区域不存在或不在您的管辖范围内")
    patrol, created = services.patrol_start(
        by=request.user, client_id=data.client_id, area=area, started_at=data.started_at
    )
    return Status(201 if created else 200, _detail(request, patrol.pk))


@router.get("/patrols", response=list[PatrolOut])
@paginate(LimitOffsetPagination)
def patrol_list(request: HttpRequest, filters: Query[PatrolFilter]):  # type: ignore[no-untyped-def]
    """Patrols in the viewer's scope, newest first (filter by worker, area, state, start date)."""
    return selectors.patrol_list(viewer=request.user, **filters.dict())


@router.get("/patrols/log", response={200: PatrolLogOut, **ERRORS})
def patrol_log(request: HttpRequest, filters: Query[PatrolLogFilter]):  # type: ignore[no-untyped-def]
    """The 巡查日志 of one worker (default: the viewer) for one day (``date``, default today)."""
    log = selectors.patrol_log(viewer=request.user, **filters.dict())
    rows = []
    for r in log["patrols"]:
        p = r.pop("patrol")
        rows.append(
            {
                **{f: getattr(p, f) for f in ("id", "area_code", "state", "started_at", "ended_at")},
                "auto_closed": p.auto_closed,
                "notes": p.notes,
                **r,
                "discoveries": [
                    {
                        "appeal_id": d.appeal_id,
                        "category_name": d.appeal.category.name,
                        "description": d.appeal.description,
                        "case_state": d.appeal.state,
                    }
                    for d in r["discoveries"]
                ],
            }
        )
    return {**log, "patrols": rows}


@router.get("/patrols/{ref}", response={200: PatrolDetailOut, **ERRORS})
def patrol_detail(request: HttpRequest, ref: str):  # type: ignore[no-untyped-def]
    """One patrol with its counts, distance, coverage, checklist and discoveries."""
    return _detail(request, ref)


@router.get("/patrols/{ref}/points", response={200: list[PatrolPointOut], **ERRORS})
def patrol_points(request: HttpRequest, ref: str):  # type: ignore[no-untyped-def]
    """The patrol's track in time order (every point, with its accuracy and whether it counts)."""
    patrol = selectors.patrol_get(viewer=request.user, ref=ref)
    return selectors.point_list(viewer=request.user, patrol=patrol)


@router.post("/patrols/{ref}/points", response={200: PatrolPointsResultOut, **ERRORS})
def patrol_points_add(request: HttpRequest, ref: str, data: PatrolPointsIn):  # type: ignore[no-untyped-def]
    """Record a batch of track points (at most ``WANGGE_PATROL_MAX_POINTS_PER_REQUEST``, 500). Re-sending a
    batch is safe: each point lands once by its ``recorded_at``."""
    patrol = selectors.patrol_get(viewer=request.user, ref=ref)
    result = services.patrol_points_add(
        by=request.user, patrol=patrol, points=[p.dict() for p in data.points]
    )
    return {
        "patrol_id": patrol.pk,
        **result,
        "point_count": PatrolPoint.objects.filter(patrol=patrol).count(),
    }


@router.post("/patrols/{ref}/stop", response={200: PatrolDetailOut, **ERRORS})
def patrol_stop(request: HttpRequest, ref: str, data: PatrolStopIn):  # type: ignore[no-untyped-def]
    """Stop the patrol with its checklist answers and notes; stopping a stopped patrol changes nothing."""
    patrol = selectors.patrol_get(viewer=request.user, ref=ref)
    services.patrol_stop(by=request.user, patrol=patrol, **data.dict())
    return _detail(request, patrol.pk)


@router.post(
    "/patrols/{ref}/discoveries", response={200: PatrolDiscoveryOut, 201: PatrolDiscoveryOut, **ERRORS}
)
def patrol_discover(request: HttpRequest, ref: str, data: PatrolDiscoveryIn):  # type: ignore[no-untyped-def]
    """Report a problem found on the patrol: it becomes a case (channel 网格员巡查) linked to the patrol.
    201 when new; 200 with the stored discovery when this ``client_id`` already landed on the patrol."""
    patrol = selectors.patrol_get(viewer=request.user, ref=ref)
    discovery, created = services.patrol_discover(by=request.user, patrol=patrol, **data.dict())
    discovery = type(discovery).objects.select_related("appeal__category").get(pk=discovery.pk)
    return Status(201 if created else 200, discovery)


@router.get("/metrics/patrols", response={200: PatrolMetricsOut, **ERRORS}, by_alias=True)
def patrol_metrics(request: HttpRequest, filters: Query[PatrolMetricsFilter]):  # type: ignore[no-untyped-def]
    """Patrol coverage of ``area`` (default: the viewer's own) and of each child area for patrols in
    [from, to] (default: the last 30 days): buildings passed at least once / buildings, and the mean daily
    share; rebuilt from the records on each call."""
    return selectors.patrol_metrics(viewer=request.user, **filters.dict())
