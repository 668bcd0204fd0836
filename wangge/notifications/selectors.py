"""Reads for notifications: a user only ever sees their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from wangge.core.errors import NotFound

from .models import Notification


def notification_list(*, viewer: Any, unread_only: bool = False) -> QuerySet[Notification]:
    if not getattr(viewer, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(user_id=viewer.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notification_unread_count(*, viewer: Any) -> int:
    if not getattr(viewer, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=viewer.pk, read_at__isnull=True).count()


def notification_get(*, viewer: Any, notification_id: int) -> Notification:
    if not 0 < notification_id <= 2**63 - 1:
        raise NotFound("通知不存在")
    note = notification_list(viewer=viewer).filter(pk=notification_id).first()
    if note is None:
        raise NotFound("通知不存在")
    return note
