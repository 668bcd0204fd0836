"""The change log API, mounted at ``/api/v1/registry``: corrections from phones (exactly once by client id,
conflicts on a stale base version), the approval queue and the settling of conflicts."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from wangge.core.schemas import ErrorOut

from . import change_selectors, change_services
from .change_schemas import (
    RegistryChangeDecideIn,
    RegistryChangeFilter,
    RegistryChangeIn,
    RegistryChangeOut,
    RegistryChangeSettleIn,
)

router = Router(tags=["registry"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post("/changes", response={200: RegistryChangeOut, 201: RegistryChangeOut, **ERRORS})
def change_create(request: HttpRequest, data: RegistryChangeIn):  # type: ignore[no-untyped-def]
    """Submit a correction. 201 when new (status applied, pending or conflict); 200 with the stored change
    when this author already sent this ``client_id``. 422 names the field (label in the message), nothing
    written; 404 when the target is missing or out of scope."""
    change, created = change_services.change_submit(by=request.user, **data.dict())
    return Status(201 if created else 200, change_selectors.change_get(viewer=request.user, pk=change.pk))


@router.get("/changes", response=list[RegistryChangeOut])
@paginate(LimitOffsetPagination)
def change_list(request: HttpRequest, filters: Query[RegistryChangeFilter]):  # type: ignore[no-untyped-def]
    """Changes in the caller's areas, newest first; ``status=conflict`` or ``pending`` for the queues."""
    return change_selectors.change_list(viewer=request.user, **filters.dict())


@router.get("/changes/{pk}", response={200: RegistryChangeOut, **ERRORS})
def change_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return change_selectors.change_get(viewer=request.user, pk=pk)


@router.post("/changes/{pk}/settle", response={200: RegistryChangeOut, **ERRORS})
def change_settle(request: HttpRequest, pk: int, data: RegistryChangeSettleIn):  # type: ignore[no-untyped-def]
    """Settle a conflict: ``apply`` (anyway) or ``discard``; by its author or community staff. 409 when the
    change is not in conflict."""
    change = change_selectors.change_get(viewer=request.user, pk=pk)
    change_services.change_settle(change=change, by=request.user, action=data.action, reason=data.reason)
    return change_selectors.change_get(viewer=request.user, pk=pk)


@router.post("/changes/{pk}/approve", response={200: RegistryChangeOut, **ERRORS})
def change_approve(request: HttpRequest, pk: int, data: RegistryChangeDecideIn):  # type: ignore[no-untyped-def]
    """Approve a pending change (community staff): it is applied now. 409 when not pending."""
    change = change_selectors.change_get(viewer=request.user, pk=pk)
    change_services.change_approve(change=change, by=request.user, reason=data.reason)
    return change_selectors.change_get(viewer=request.user, pk=pk)


@router.post("/changes/{pk}/reject", response={200: RegistryChangeOut, **ERRORS})
def change_reject(request: HttpRequest, pk: int, data: RegistryChangeDecideIn):  # type: ignore[no-untyped-def]
    """Reject a pending change with a reason (community staff); nothing is applied. 409 when not pending."""
    change = change_selectors.change_get(viewer=request.user, pk=pk)
    change_services.change_reject(change=change, by=request.user, reason=data.reason)
    return change_selectors.change_get(viewer=request.user, pk=pk)
