"""Every read of the deliberation context. Each starts from ``Model.objects.visible_to(viewer)``: out of
scope answers "not found" exactly as missing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.pii import mask_name, mask_phone
from wangge.core.scoping import get_visible_or_404

from . import services
from .models import (
    Acknowledgment,
    AgendaItem,
    Attendance,
    Convention,
    ConventionVersion,
    Council,
    CouncilMember,
    Dispute,
    FollowUp,
    Meeting,
    Party,
    Proposal,
    Resolution,
    Support,
)


def _signed_in(viewer: Any) -> None:
    if not getattr(viewer, "is_authenticated", False):
        raise Forbidden(_("请先登录"))


# --- councils and meetings ------------------------------------------------------------------------------


def council_list(*, viewer: Any, area: str | None = None) -> QuerySet[Council]:
    _signed_in(viewer)
    qs = Council.objects.visible_to(viewer).select_related("area", "building")
    if area:
        qs = qs.filter(area__code__startswith=area)
    return qs.order_by("area__code", "id")


def council_get(*, viewer: Any, pk: int) -> Council:
    _signed_in(viewer)
    return get_visible_or_404(Council.objects.select_related("area", "building"), viewer, pk=pk)


def member_list(*, council: Council) -> QuerySet[CouncilMember]:
    return (
        CouncilMember.objects.filter(council=council, active=True)
        .select_related("user")
        .order_by("role", "id")
    )


def meeting_list(
    *,
    viewer: Any,
    council: Council | None = None,
    upcoming: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Meeting]:
    _signed_in(viewer)
    qs = Meeting.objects.visible_to(viewer).select_related("council__area")
    if council is not None:
        qs = qs.filter(council=council)
    if upcoming is not None:
        now = now or timezone.now()
        qs = qs.filter(starts_at__gte=now) if upcoming else qs.filter(starts_at__lt=now)
    return qs.order_by("-starts_at", "-id")


def meeting_get(*, viewer: Any, pk: int) -> Meeting:
    _signed_in(viewer)
    return get_visible_or_404(
        Meeting.objects.select_related("council__area", "council__building"), viewer, pk=pk
    )


def agenda_list(*, meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.agenda.select_related("appeal", "proposal").order_by("position", "id"))


def attendance_list(*, meeting: Meeting) -> list[Attendance]:
    return list(meeting.attendance.select_related("user").order_by("signed_at", "id"))


def resolution_list(*, meeting: Meeting) -> list[Resolution]:
    return list(
        meeting.resolutions.select_related("appeal", "activity", "agenda_item", "follow_up__owner").order_by(
            "id"
        )
    )


def resolutions_recent(*, viewer: Any, limit: int = 20) -> list[Resolution]:
    """The latest resolutions of the meetings the viewer may see (residents: of their areas' councils)."""
    _signed_in(viewer)
    meetings = Meeting.objects.visible_to(viewer).values("pk")
    return list(
        Resolution.objects.filter(meeting__in=meetings)
        .select_related("meeting__council", "appeal", "activity", "follow_up__owner")
        .order_by("-created_at", "-id")[:limit]
    )


def resolution_get(*, viewer: Any, pk: int) -> Resolution:
    _signed_in(viewer)
    resolution = (
        Resolution.objects.filter(pk=pk)
        .select_related("meeting__council__area", "appeal", "activity", "follow_up__owner")
        .first()
    )
    if resolution is None:
        from wangge.core.errors import NotFound

        raise NotFound(_("未找到"))
    meeting_get(viewer=viewer, pk=resolution.meeting_id)
    return resolution


def resolution_progress(resolution: Resolution, today: dt.date | None = None) -> dict[str, Any]:
    """What became of a resolution, read from the thing carrying it out (no extra queries when the list was
    fetched with ``resolution_list``)."""
    today = today or timezone.localdate()
    if resolution.outcome == Resolution.Outcome.CASE and resolution.appeal is not None:
        a = resolution.appeal
        done = a.state in ("resolved", "closed")
        return {
            "kind": "case",
            "label": f"诉求#{a.pk}",
            "state": a.state,
            "state_display": a.get_state_display(),
            "done": done,
            "overdue": bool(getattr(a, "overdue", False)) and not done,
            "link": f"/appeals/{a.pk}/",
            "due": None,
            "owner": "",
        }
    if resolution.outcome == Resolution.Outcome.TASK and resolution.activity is not None:
        t = resolution.activity
        return {
            "kind": "task",
            "label": t.title,
            "state": t.status,
            "state_display": f"{t.get_status_display()}（{t.confirmed_count}/{t.capacity}人）",
            "done": t.status == "closed" or t.ends_at < timezone.now(),
            "overdue": False,
            "link": f"/volunteers/{t.pk}/",
            "due": None,
            "owner": "",
        }
    follow_up = (
        getattr(resolution, "follow_up", None) if resolution.outcome == Resolution.Outcome.FOLLOW_UP else None
    )
    if follow_up is not None:
        done = follow_up.state in (FollowUp.State.DONE, FollowUp.State.DROPPED)
        return {
            "kind": "follow_up",
            "label": "跟进事项",
            "state": follow_up.state,
            "state_display": follow_up.get_state_display(),
            "done": done,
            "overdue": not done and follow_up.due_on < today,
            "link": "",
            "due": follow_up.due_on,
            "owner": str(follow_up.owner),
        }
    return {
        "kind": "",
        "label": "",
        "state": "",
        "state_display": "未转办",
        "done": False,
        "overdue": False,
        "link": "",
        "due": None,
        "owner": "",
    }


def follow_ups_mine(*, viewer: Any) -> list[FollowUp]:
    _signed_in(viewer)
    return list(
        FollowUp.objects.filter(owner=viewer)
        .select_related("resolution__meeting__council")
        .order_by("state", "due_on", "id")[:200]
    )


# --- proposals ------------------------------------------------------------------------------------------


def proposal_list(
    *, viewer: Any, status: str | None = None, area: str | None = None, council: int | None = None
) -> QuerySet[Proposal]:
    _signed_in(viewer)
    qs = Proposal.objects.visible_to(viewer).select_related("area", "council", "author")
    if status:
        if status not in Proposal.Status.values:
            raise InvalidInput.field("status", _("状态无效"))
        qs = qs.filter(status=status)
    if area:
        qs = qs.filter(area__code__startswith=area)
    if council:
        qs = qs.filter(council_id=council)
    # Whether the viewer supported each one, in the same query.
    qs = qs.annotate(supported=Exists(Support.objects.filter(proposal=OuterRef("pk"), user=viewer)))
    return qs.order_by("-created_at", "-id")


def proposal_get(*, viewer: Any, pk: int) -> Proposal:
    _signed_in(viewer)
    qs = Proposal.objects.select_related("area", "council", "author").annotate(
        supported=Exists(Support.objects.filter(proposal=OuterRef("pk"), user=viewer))
    )
    return get_visible_or_404(qs, viewer, pk=pk)


def proposal_agenda(proposal: Proposal) -> AgendaItem | None:
    return proposal.agenda_items.select_related("meeting").first()


# --- conventions ----------------------------------------------------------------------------------------


def convention_list(
    *, viewer: Any, status: str | None = None, area: str | None = None
) -> QuerySet[Convention]:
    _signed_in(viewer)
    qs = Convention.objects.visible_to(viewer).select_related(
        "area", "council", "adopted_version", "adopted_by_resolution__meeting", "adopted_recorded_by"
    )
    if status:
        qs = qs.filter(status=status)
    if area:
        qs = qs.filter(area__code__startswith=area)
    qs = qs.annotate(
        acknowledged=Exists(Acknowledgment.objects.filter(convention=OuterRef("pk"), user=viewer)),
        ack_count=Count("acknowledgments", distinct=True),
    ).prefetch_related(  # a draft shows its newest version's text: one query for the page, not one a row
        Prefetch("versions", queryset=ConventionVersion.objects.order_by("-number"), to_attr="newest_first")
    )
    return qs.order_by("area__code", "-id")


def convention_get(*, viewer: Any, pk: int) -> Convention:
    _signed_in(viewer)
    qs = Convention.objects.select_related(
        "area", "council", "adopted_version", "adopted_by_resolution__meeting", "adopted_recorded_by"
    ).annotate(
        acknowledged=Exists(Acknowledgment.objects.filter(convention=OuterRef("pk"), user=viewer)),
        ack_count=Count("acknowledgments", distinct=True),
    )
    return get_visible_or_404(qs, viewer, pk=pk)


def convention_text(convention: Convention) -> str:
    version = convention.adopted_version
    if version is None:
        newest = getattr(convention, "newest_first", None)  # prefetched by convention_list
        version = (
            (newest[0] if newest else None)
            if newest is not None
            else (convention.versions.order_by("-number").first())
        )
    return version.text if version else ""


# --- mediation ------------------------------------------------------------------------------------------


def dispute_list(
    *, viewer: Any, status: str | None = None, kind: str | None = None, area: str | None = None
) -> QuerySet[Dispute]:
    _signed_in(viewer)
    qs = Dispute.objects.visible_to(viewer).select_related("area")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if area:
        qs = qs.filter(area__code__startswith=area)
    return qs.prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("side", "id")), "mediators"
    ).order_by("-opened_at", "-id")


def dispute_get(*, viewer: Any, pk: int) -> Dispute:
    _signed_in(viewer)
    return get_visible_or_404(Dispute.objects.select_related("area", "appeal"), viewer, pk=pk)


def party_view(party: Party, *, full: bool = False) -> dict[str, Any]:
    """A party as shown: name and phone masked (张*, 138****5678) unless ``full`` (the dispute's page for
    those who mediate it)."""
    name = party.name
    if not full and party.kind == Party.Kind.PERSON:
        name = mask_name(name)
    return {
        "id": party.pk,
        "kind": party.kind,
        "side": party.side,
        "name": name,
        "phone": party.phone if full else mask_phone(party.phone),
    }


def can_see_parties(viewer: Any, dispute: Dispute) -> bool:
    return services.can_mediate(viewer, dispute)


LEVEL_LENGTH = {"street": 9, "community": 12, "grid": 15}


def mediation_counts(
    *,
    viewer: Any,
    level: str = "community",
    area: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict[str, Any]:
    """Disputes in the viewer's scope counted by kind and outcome per area (at ``level``), one grouped query.
    Open disputes count under outcome ``""`` (pending)."""
    _signed_in(viewer)
    if not services.user_can(viewer, services.PERM):
        raise Forbidden(_("无权查看调解统计"))
    if level not in LEVEL_LENGTH:
        raise InvalidInput.field("level", _("level 须为 street、community 或 grid"))
    qs = Dispute.objects.visible_to(viewer)
    if area:
        qs = qs.filter(area__code__startswith=area)
    if since:
        qs = qs.filter(opened_at__gte=since)
    if until:
        qs = qs.filter(opened_at__lt=until)
    rows = list(
        qs.annotate(unit=Substr("area__code", 1, LEVEL_LENGTH[level]))
        .values("unit", "kind", "outcome")
        .annotate(n=Count("id"))
        .order_by("unit", "kind", "outcome")
    )
    by_kind: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    by_area: dict[str, dict[str, Any]] = {}
    for r in rows:
        by_kind[r["kind"]] += r["n"]
        by_outcome[r["outcome"] or "pending"] += r["n"]
        a = by_area.setdefault(
            r["unit"], {"area_code": r["unit"], "total": 0, "by_kind": Counter(), "by_outcome": Counter()}
        )
        a["total"] += r["n"]
        a["by_kind"][r["kind"]] += r["n"]
        a["by_outcome"][r["outcome"] or "pending"] += r["n"]
    from wangge.areas.models import Area

    names = dict(Area.objects.filter(code__in=list(by_area)).values_list("code", "name"))
    areas = []
    for code in sorted(by_area):
        a = by_area[code]
        areas.append(
            {
                "area_code": code,
                "area_name": names.get(code, code),
                "total": a["total"],
                "by_kind": dict(a["by_kind"]),
                "by_outcome": dict(a["by_outcome"]),
            }
        )
    total = sum(by_kind.values())
    agreed = by_outcome.get(Dispute.Outcome.AGREEMENT, 0)
    closed = total - by_outcome.get("pending", 0)
    return {
        "level": level,
        "total": total,
        "by_kind": dict(by_kind),
        "by_outcome": dict(by_outcome),
        # 调解成功率: agreements among closed disputes (open ones are not yet decided).
        "agreement_rate": round(agreed / closed, 4) if closed else None,
        "areas": areas,
    }
