"""Notifications API, mounted at /api/v1/notifications (see wangge/api.py)."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from wangge.core.schemas import ErrorOut

from . import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    event: str
    title: str
    body: str
    link: str
    object_type: str
    object_id: str
    read: bool
    read_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_read(obj) -> bool:  # type: ignore[no-untyped-def]
        return obj.read_at is not None


class NotificationPage(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class ReadAllOut(Schema):
    updated: int


@router.get("", response={200: NotificationPage, 422: ErrorOut})
def list_notifications(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    unread: bool = False,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    qs = selectors.notification_list(viewer=request.user, unread_only=unread)
    return {
        "count": qs.count(),
        "unread": selectors.notification_unread_count(viewer=request.user),
        "items": list(qs[offset : offset + limit]),
    }


@router.post("/read-all", response=ReadAllOut)
def read_all(request: HttpRequest):  # type: ignore[no-untyped-def]
    return {"updated": services.notification_mark_all_read(by=request.user)}


@router.post("/{notification_id}/read", response={200: NotificationOut, 404: ErrorOut})
def read_one(request: HttpRequest, notification_id: int):  # type: ignore[no-untyped-def]
    return services.notification_mark_read(notification_id=notification_id, by=request.user)
