"""Reads of the mobilisation context, scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.accounts.roles import user_can
from wangge.areas.geo import distance_m
from wangge.core.errors import NotFound
from wangge.core.scoping import get_visible_or_404, scope_for

from .models import (
    Activity,
    Booking,
    CommunityReport,
    Member,
    MicroProject,
    ServicePost,
    Signup,
    UnitAgreement,
)
from .services import can_organise


def member_get(user: Any) -> Member | None:
    return Member.objects.filter(user=user).select_related("home_community", "unit").first()


def member_list(*, viewer: Any) -> QuerySet[Member]:
    """Staff see the members living or reported in their scope; others see only themselves."""
    return Member.objects.visible_to(viewer).select_related("user", "home_community", "unit").order_by("id")


def member_get_for_staff(*, viewer: Any, member_id: int) -> Member:
    """A member staff may act on (their community lies in the viewer's scope); else 404."""
    member: Member = get_visible_or_404(
        Member.objects.select_related("user", "home_community", "unit"), viewer, "manage", pk=member_id
    )
    return member


def unit_list(*, viewer: Any) -> QuerySet[Unit]:
    """Co-building units, with their number of active agreements and reported members."""
    return (
        Unit.objects.filter(kind=Unit.Kind.CO_BUILDING)
        .annotate(
            agreement_count=Count("agreements", filter=Q(agreements__active=True), distinct=True),
            member_count=Count("mobilised_members", distinct=True),
        )
        .order_by("name")
    )


def agreement_list(*, viewer: Any) -> QuerySet[UnitAgreement]:
    """Staff: the active agreements of their scope; members: every active agreement."""
    action = "manage" if user_can(viewer, "mobilisation.read") else "view"
    return (
        UnitAgreement.objects.visible_to(viewer, action)
        .select_related("unit", "community")
        .filter(active=True)
    )


def report_list(*, viewer: Any) -> list[dict[str, Any]]:
    """双报到 for the community: who reported, from which unit, and what they did (tasks and hours there)."""
    if not user_can(viewer, "mobilisation.read"):
        return []
    reports = list(
        CommunityReport.objects.visible_to(viewer, "manage")
        .filter(active=True)
        .select_related("member__user", "community", "unit")
        .order_by("community__code", "-created_at")[:500]
    )
    # What each member did, per community (one grouped query instead of one per report).
    done: dict[tuple[int, str], dict[str, Any]] = {}
    for row in (
        Signup.objects.filter(member__in={r.member_id for r in reports}, status=Signup.Status.CHECKED_OUT)
        .values("member_id", "activity__area__code")
        .annotate(n=Count("id"), hours=Sum("hours"))
    ):
        for r in reports:
            if r.member_id == row["member_id"] and row["activity__area__code"].startswith(r.community.code):
                agg = done.setdefault((r.member_id, r.community.code), {"n": 0, "hours": 0})
                agg["n"] += row["n"]
                agg["hours"] += row["hours"] or 0
    return [
        {
            "report": r,
            "tasks": done.get((r.member_id, r.community.code), {}).get("n", 0),
            "hours": done.get((r.member_id, r.community.code), {}).get("hours", 0),
        }
        for r in reports
    ]


def service_post_list(*, viewer: Any) -> QuerySet[ServicePost]:
    """Staff: the posts of their scope; members: the open ones."""
    action = "manage" if user_can(viewer, "mobilisation.read") else "view"
    return ServicePost.objects.visible_to(viewer, action).select_related("community")


def activity_list(
    *,
    viewer: Any,
    upcoming: bool = True,
    area: str | None = None,
    managed: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet[Activity]:
    """Tasks the viewer may see. ``managed``: the ones the viewer runs (staff scope or publisher)."""
    now = now or timezone.now()
    qs = Activity.objects.visible_to(viewer, "manage" if managed else "view").select_related(
        "area", "organiser_unit"
    )
    if not managed:
        qs = qs.filter(status=Activity.Status.OPEN)
    if upcoming:
        qs = qs.filter(ends_at__gte=now)
    if area:
        qs = qs.filter(area__code__startswith=area)
    return qs.order_by("starts_at", "id")


def activities_near(
    *, viewer: Any, lat: float | None, lng: float | None, limit: int = 50
) -> list[tuple[Activity, float | None]]:
    """Open upcoming tasks, nearest first when a position is given."""
    items = list(activity_list(viewer=viewer)[:500])
    if lat is None or lng is None:
        return [(a, None) for a in items[:limit]]
    with_d = [
        (a, distance_m(lat, lng, a.lat, a.lng) if a.lat is not None and a.lng is not None else None)
        for a in items
    ]
    with_d.sort(key=lambda t: (t[1] is None, t[1] or 0))
    return with_d[:limit]


def activity_get(*, viewer: Any, activity_id: int) -> Activity:
    """A task the viewer may see (``Activity.visible_q``); out of scope answers 404 like missing."""
    a: Activity = get_visible_or_404(
        Activity.objects.select_related("area", "organiser_unit"), viewer, pk=activity_id
    )
    return a


def signup_list(*, viewer: Any, activity: Activity) -> QuerySet[Signup]:
    """Organisers see everyone; a member sees only their own sign-up."""
    qs = (
        Signup.objects.visible_to(viewer)
        .filter(activity=activity)
        .select_related("member__user", "member__unit")
        .order_by("id")
    )
    if can_organise(viewer, activity):
        return qs.annotate(rating_count=Count("ratings"))
    return qs.filter(member__user=viewer)


def my_signups(*, viewer: Any) -> QuerySet[Signup]:
    return (
        Signup.objects.visible_to(viewer)
        .filter(member__user=viewer)
        .select_related("activity", "activity__area")
        .order_by("-activity__starts_at", "-id")
    )


def my_bookings(*, viewer: Any) -> QuerySet[Booking]:
    """The micro-project bookings the viewer made as the resident served, newest first."""
    return (
        Booking.objects.visible_to(viewer)
        .filter(resident=viewer)
        .select_related("project__member__user")
        .order_by("-wanted_at", "-id")
    )


def my_booking_get(*, viewer: Any, booking_id: int) -> Booking:
    """One of the viewer's own bookings; anyone else's (or a missing one) is the same 404."""
    booking = my_bookings(viewer=viewer).filter(pk=booking_id).first() if 0 < booking_id < 2**63 else None
    if booking is None:
        raise NotFound("预约不存在")
    return booking


def micro_project_list(*, viewer: Any) -> QuerySet[MicroProject]:
    return (
        MicroProject.objects.visible_to(viewer)
        .filter(active=True)
        .select_related("member__user", "community")
    )


def figures(*, viewer: Any) -> dict[str, Any]:
    """Headline figures for staff: members, reports, units, tasks, sign-ups, hours."""
    scope = scope_for(viewer)
    acts = Activity.objects.filter(scope.q("area__code"))
    signups = Signup.objects.filter(scope.q("activity__area__code"))
    return {
        "members": Member.objects.filter(scope.q("home_community__code")).count(),
        "reports": CommunityReport.objects.filter(scope.q("community__code"), active=True).count(),
        "agreements": UnitAgreement.objects.filter(scope.q("community__code"), active=True).count(),
        "activities": acts.count(),
        "open_activities": acts.filter(status=Activity.Status.OPEN).count(),
        "signups": signups.exclude(status=Signup.Status.CANCELLED).count(),
        "served": signups.filter(status=Signup.Status.CHECKED_OUT).count(),
        "no_shows": signups.filter(status=Signup.Status.NO_SHOW).count(),
        "hours": float(signups.filter(hours_approved_at__isnull=False).aggregate(h=Sum("hours"))["h"] or 0),
    }
