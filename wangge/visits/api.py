"""Household visits: record (idempotent by client id), list, the due list, cancel, and the figures."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from wangge.core.schemas import ErrorOut
from wangge.registry.selectors import household_get

from . import selectors, services
from .schemas import (
    DueOut,
    HouseholdVisitIn,
    HouseholdVisitOut,
    MetricsFilter,
    MetricsOut,
    ScheduledOut,
    VisitCancelIn,
    VisitFilter,
)

router = Router(tags=["visits"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post("/visits", response={200: HouseholdVisitOut, 201: HouseholdVisitOut, **ERRORS})
def visit_create(request: HttpRequest, data: HouseholdVisitIn):  # type: ignore[no-untyped-def]
    """Record a visit. 201 when new; 200 with the stored visit when this ``client_id`` already landed."""
    fields = data.dict()
    household = household_get(viewer=request.user, pk=fields.pop("household_id"))  # 404 out of scope
    visit, created = services.visit_record(by=request.user, household=household, **fields)
    return Status(201 if created else 200, selectors.visit_get(viewer=request.user, pk=visit.pk))


@router.get("/visits", response=list[HouseholdVisitOut])
@paginate(LimitOffsetPagination)
def visit_list(request: HttpRequest, filters: Query[VisitFilter]):  # type: ignore[no-untyped-def]
    return selectors.visit_list(viewer=request.user, **filters.dict())


@router.get("/visits/due", response={200: list[DueOut], **ERRORS})
def visit_due(  # type: ignore[no-untyped-def]
    request: HttpRequest, lat: float | None = None, lng: float | None = None, ahead_days: int = 0
):
    """The viewer's ready visits due by today (+ ``ahead_days``); nearest first with ``lat``/``lng`` (WGS84)."""
    return selectors.due_list(viewer=request.user, lat=lat, lng=lng, ahead_days=ahead_days)


@router.get("/visits/{pk}", response={200: HouseholdVisitOut, **ERRORS})
def visit_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return selectors.visit_get(viewer=request.user, pk=pk)


@router.post("/visits/{pk}/cancel", response={200: ScheduledOut, **ERRORS})
def visit_cancel(request: HttpRequest, pk: int, data: VisitCancelIn):  # type: ignore[no-untyped-def]
    """Cancel a pending (ready) visit of the schedule — ``pk`` is the id from ``visits/due`` — with a coded
    reason. Moved out / deceased stop the household's schedule; the others plan its next visit."""
    scheduled = selectors.scheduled_get(viewer=request.user, pk=pk)
    return services.visit_cancel(scheduled=scheduled, reason=data.reason, note=data.note, by=request.user)


@router.get("/metrics/visits", response={200: MetricsOut, **ERRORS}, by_alias=True)
def visit_metrics(request: HttpRequest, filters: Query[MetricsFilter]):  # type: ignore[no-untyped-def]
    """Visit completion (completed / due) for ``area`` (default: the viewer's own), per child area and per
    grid worker, and special households visited within their frequency, for visits due in [from, to]."""
    return selectors.visit_metrics(viewer=request.user, **filters.dict())
