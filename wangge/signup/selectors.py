"""Reads for sign-up: invitations by code, link requests (a resident's own; the pending ones in scope)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from wangge.accounts.roles import user_can

from .models import Invitation, LinkRequest


def invitation_by_code(code: str) -> Invitation | None:
    return Invitation.objects.filter(code=code, active=True).select_related("area").first()


def link_requests_of(*, user: Any) -> QuerySet[LinkRequest]:
    return LinkRequest.objects.filter(user_id=user.pk).select_related("household").order_by("-created_at")


def link_requests_pending(*, viewer: Any) -> QuerySet[LinkRequest]:
    if not user_can(viewer, "registry.write"):
        return LinkRequest.objects.none()
    return (
        LinkRequest.objects.visible_to(viewer)
        .filter(status=LinkRequest.Status.PENDING)
        .select_related("user", "household__house__building")
        .order_by("created_at", "id")
    )


def link_requests_pending_count(*, viewer: Any) -> int:
    return link_requests_pending(viewer=viewer).count()
