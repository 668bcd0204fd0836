"""Every read of the case loop, scoped to the viewer: each starts from ``Appeal.objects.visible_to(viewer)``
or ``get_visible_or_404`` (the rule is declared once, on the model: ``Appeal.visible_q``):

- area staff see the cases inside their area scope (``area_code`` prefix);
- handlers see the cases assigned to them or their unit (lead or co-handler) and those they are summoned to;
- everyone sees the cases they reported or entered.

Out of scope answers 404, exactly as missing.

Personal data: the reporter's phone is shown in full only to the lead handler who must call (audited),
masked to other staff; an anonymous reporter is hidden from handlers.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wangge.accounts.roles import user_can
from wangge.areas.geo import distance_m
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.pii import mask_name, mask_phone
from wangge.core.scoping import get_visible_or_404, scope_for

from . import conf, loop, routing
from .models import Appeal, AppealEvent, Assignment, Category, ReportIn, State, TimeRequest, Whistle
from .permissions import can_dispatch, is_handler, is_lead
from .schemas import MAX_ID


def can_view(viewer: Any, appeal: Appeal) -> bool:
    """Whether ``viewer`` may see ``appeal`` (the same rule as ``Appeal.objects.visible_to``)."""
    return Appeal.objects.visible_to(viewer).filter(pk=appeal.pk).exists()


def appeal_list(
    *,
    viewer: Any,
    state: str | None = None,
    category: str | None = None,
    area: str | None = None,
    overdue: bool | None = None,
    role: str | None = None,
    supervision: str | None = None,
    due_before: dt.datetime | None = None,
    q: str | None = None,
    channel: str | None = None,
) -> QuerySet[Appeal]:
    """Cases the viewer may see, newest first. ``role``: ``handling`` (my inbox and my unit's) or
    ``reported`` (mine); ``state`` may list several, comma-separated; ``category`` a class or subclass code;
    ``area`` an area code (its subtree); ``due_before`` for the about-to-be-overdue list; ``channel`` one of
    ``Appeal.Channel`` (unknown → 422 naming ``channel``)."""
    qs = Appeal.objects.visible_to(viewer)
    if role == "handling":
        qs = qs.filter(Appeal.handling_q(viewer)) if user_can(viewer, "appeals.handle") else qs.none()
    elif role == "reported":
        qs = qs.filter(Q(reporter=viewer) | Q(submitted_by=viewer))
    elif role:
        raise InvalidInput.field("role", "role 须为 handling 或 reported")
    if state:
        states = [s.strip() for s in state.split(",") if s.strip()]
        bad = set(states) - set(State.values)
        if bad:
            raise InvalidInput.field("state", f"无效的状态：{', '.join(sorted(bad))}")
        qs = qs.filter(state__in=states)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if channel:
        if channel not in Appeal.Channel.values:
            raise InvalidInput.field("channel", "未知的来源渠道")
        qs = qs.filter(channel=channel)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    if supervision:
        qs = qs.filter(supervision_level=supervision)
    if due_before is not None:
        qs = qs.filter(
            state__in=[State.DISPATCHED, State.ACKNOWLEDGED, State.IN_PROGRESS],
            resolve_due_at__lte=due_before,
        )
    if q:
        qs = qs.filter(Q(description__icontains=q) | Q(address__icontains=q) | Q(external_ref=q))
    return qs.select_related("category", "lead_unit", "lead_user").order_by("-reported_at", "-id")


def appeal_get(*, viewer: Any, pk: int) -> Appeal:
    qs = Appeal.objects.select_related(
        "category", "category__parent", "grid", "lead_unit", "lead_user", "reporter"
    )
    if not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise NotFound("诉求不存在或不在您的管辖范围内")
    return get_visible_or_404(qs, viewer, pk=pk)  # type: ignore[no-any-return]


def category_list(*, include_inactive: bool = False) -> list[Category]:
    qs = Category.objects.select_related("parent")
    if not include_inactive:
        qs = qs.filter(active=True)
    return list(qs.order_by("sort_order", "code"))


def probable_duplicates(*, viewer: Any, appeal: Appeal) -> list[Appeal]:
    """Open cases of the same category within 50 m reported within 72 h of this one (configurable)."""
    if appeal.lat is None or appeal.lng is None:
        return []
    radius = float(conf.get("DUPLICATE_RADIUS_M"))
    window = dt.timedelta(hours=float(conf.get("DUPLICATE_WINDOW_HOURS")))
    dlat = radius / 110_540.0
    dlng = radius / (111_320.0 * max(0.01, math.cos(math.radians(appeal.lat))))
    candidates = (
        Appeal.objects.visible_to(viewer)
        .filter(
            category_id=appeal.category_id,
            reported_at__gte=appeal.reported_at - window,
            reported_at__lte=appeal.reported_at + window,
            lat__range=(appeal.lat - dlat, appeal.lat + dlat),
            lng__range=(appeal.lng - dlng, appeal.lng + dlng),
        )
        .exclude(pk=appeal.pk)
        .exclude(state__in=[State.CANCELLED, State.MERGED])
        .select_related("category")
        .order_by("reported_at")
    )
    return [
        a
        for a in candidates
        if distance_m(appeal.lat, appeal.lng, a.lat, a.lng) <= radius  # type: ignore[arg-type]
    ]


# --- presenting one case --------------------------------------------------------------------------------------


def _iso(v: dt.datetime | None) -> str | None:
    return timezone.localtime(v).isoformat() if v else None


def reporter_view(viewer: Any, appeal: Appeal) -> dict[str, Any]:
    """What this viewer may see of the reporter (and whether the full phone was revealed)."""
    from .services import audit_reveal

    own = viewer.pk in (appeal.reporter_id, appeal.submitted_by_id)
    name, phone = appeal.reporter_name, appeal.reporter_phone
    if own:
        return {"name": name, "phone": phone, "anonymous": appeal.anonymous, "masked": False}
    staff = user_can(viewer, "appeals.read") and scope_for(viewer).contains(appeal.area_code)
    if appeal.anonymous and (not staff or is_handler(viewer, appeal)):
        # Anonymous to every handler (also a grid worker handling a case in their own grid).
        return {"name": "匿名", "phone": "", "anonymous": True, "masked": True}
    if not appeal.anonymous and is_lead(viewer, appeal) and appeal.is_open:
        if phone:
            audit_reveal(appeal, viewer, "phone")
        return {"name": name, "phone": phone, "anonymous": False, "masked": False}
    if not staff and not is_handler(viewer, appeal):
        return {"name": "", "phone": "", "anonymous": appeal.anonymous, "masked": True}
    return {
        "name": mask_name(name),
        "phone": mask_phone(phone),
        "anonymous": appeal.anonymous,
        "masked": True,
    }


def _actor_name(ev: AppealEvent, appeal: Appeal, reporter: dict[str, Any]) -> str:
    if ev.actor_id is None:
        return "系统"
    if ev.actor_id == appeal.reporter_id:
        return reporter["name"] or "居民"
    return str(ev.actor) if ev.actor else ""


# Events of a case are never before it was reported or created; the margin covers a clock set back.
TIMELINE_MARGIN = dt.timedelta(days=7)


def timeline_queryset(appeal: Appeal) -> Any:
    """A case's events. The lower time bound lets PostgreSQL skip the timeline's monthly partitions before the
    case (docs/scale.md): the read is an index scan on the months the case lived in (and the empty ones ahead)."""
    since = min(appeal.reported_at, appeal.created_at or appeal.reported_at) - TIMELINE_MARGIN
    return appeal.events.filter(at__gte=since).order_by("at", "id")


def timeline(viewer: Any, appeal: Appeal, reporter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    reporter = reporter or reporter_view(viewer, appeal)
    events = list(timeline_queryset(appeal).select_related("actor").prefetch_related("attachments"))
    return [
        {
            "id": ev.pk,
            "kind": ev.kind,
            "label": ev.get_kind_display(),
            "at": _iso(ev.at),
            "actor": _actor_name(ev, appeal, reporter),
            "actor_role": ev.actor_role,
            "note": ev.note,
            "data": ev.data,
            "attachments": [a.pk for a in ev.attachments.all()],
        }
        for ev in events
    ]


def _assignee(a: Assignment) -> dict[str, Any]:
    return {
        "role": a.role,
        "via": a.via,
        "unit": {"id": a.unit_id, "name": a.unit.name} if a.unit else None,
        "user": {"id": a.user_id, "name": str(a.user)} if a.user else None,
        "area": {"code": a.area.code, "name": a.area.name} if a.area else None,
    }


def allowed_actions(viewer: Any, appeal: Appeal) -> list[str]:
    """The steps this viewer could take now: the loop table's states, conditions and permission predicates
    (the same ones the services check)."""
    return loop.offered_steps(viewer, appeal)


def appeal_summary(appeal: Appeal) -> dict[str, Any]:
    """The list-row shape (no personal data)."""
    return {
        "id": appeal.pk,
        "kind": appeal.kind,
        "channel": appeal.channel,
        "category": {"code": appeal.category.code, "name": appeal.category.name},
        "description": appeal.description,
        "address": appeal.address,
        "lat": appeal.lat,
        "lng": appeal.lng,
        "area_code": appeal.area_code,
        "state": appeal.state,
        "state_label": appeal.get_state_display(),
        "version": appeal.version,
        "reported_at": _iso(appeal.reported_at),
        "dispatched_at": _iso(appeal.dispatched_at),
        "response_due_at": _iso(appeal.response_due_at),
        "resolve_due_at": _iso(appeal.resolve_due_at),
        "resolved_at": _iso(appeal.resolved_at),
        "closed_at": _iso(appeal.closed_at),
        "overdue": appeal.overdue,
        "on_hold": appeal.on_hold,
        "handling_level": appeal.handling_level,
        "supervision_level": appeal.supervision_level,
        "rework_count": appeal.rework_count,
        "rating": appeal.rating,
        "lead_unit": {"id": appeal.lead_unit_id, "name": appeal.lead_unit.name} if appeal.lead_unit else None,
        "lead_user": {"id": appeal.lead_user_id, "name": str(appeal.lead_user)} if appeal.lead_user else None,
    }


def appeal_created(*, viewer: Any, appeal: Appeal) -> dict[str, Any]:
    """The answer to a submission: the summary, the grid and the timeline so far, without the queries of the
    full detail (submitting is the hot path: 随手拍 campaigns and 12345 hand-overs come in bursts)."""
    out = appeal_summary(appeal)
    own = viewer.pk in (appeal.reporter_id, appeal.submitted_by_id)
    out.update(
        {
            "grid": {"code": appeal.grid.code, "name": appeal.grid.name} if appeal.grid else None,
            "external_ref": appeal.external_ref,
            "anonymous": appeal.anonymous,
            "reporter": (
                {"name": appeal.reporter_name, "phone": appeal.reporter_phone, "anonymous": appeal.anonymous}
                if own
                else None
            ),
            "links": {
                "self": f"/api/v1/appeals/{appeal.pk}",
                "attachments": f"/api/v1/appeals/{appeal.pk}/attachments",
                "page": f"/appeals/{appeal.pk}/",
            },
            # What this submission did (the full timeline is at GET /appeals/{id}).
            "timeline": [{"kind": "submitted", "at": _iso(appeal.reported_at)}]
            + ([{"kind": "accepted", "at": _iso(appeal.opened_at)}] if appeal.opened_at else []),
        }
    )
    return out


def appeal_detail(*, viewer: Any, appeal: Appeal) -> dict[str, Any]:
    reporter = reporter_view(viewer, appeal)
    out = appeal_summary(appeal)
    pending = TimeRequest.objects.filter(appeal=appeal, status=TimeRequest.Status.PENDING).first()
    out.update(
        {
            "category": {
                "code": appeal.category.code,
                "name": appeal.category.name,
                "parent": appeal.category.parent.name if appeal.category.parent else "",
                "needs_onsite_check": appeal.category.needs_onsite_check,
            },
            "grid": {"code": appeal.grid.code, "name": appeal.grid.name} if appeal.grid else None,
            "external_ref": appeal.external_ref,
            "anonymous": appeal.anonymous,
            "reporter": reporter,
            "merged_into": appeal.merged_into_id,
            "merged_cases": list(appeal.merged_cases.values_list("pk", flat=True)),
            "opened_at": _iso(appeal.opened_at),
            "first_ack_at": _iso(appeal.first_ack_at),
            "response_overdue": appeal.response_overdue,
            "extended": appeal.extended,
            "held": appeal.held,
            "check_passed": appeal.check_passed,
            "solved": appeal.solved,
            "escalation_level": appeal.escalation_level,
            "assignments": [
                _assignee(a)
                for a in appeal.assignments.filter(active=True).select_related("unit", "user", "area")
            ],
            "report_ins": [
                {
                    "id": r.pk,
                    "unit": r.unit.name if r.unit else None,
                    "area": r.area.name if r.area else None,
                    "due_at": _iso(r.due_at),
                    "reported_at": _iso(r.reported_at),
                }
                for r in appeal.report_ins.select_related("unit", "area").order_by("id")
            ],
            "pending_request": (
                {"id": pending.pk, "kind": pending.kind, "amount": pending.amount, "unit": pending.unit}
                if pending
                else None
            ),
            "attachments": [
                {
                    "id": a.pk,
                    "purpose": a.purpose,
                    "content_type": a.content_type,
                    "size": a.size,
                    "url": f"/api/v1/appeals/{appeal.pk}/attachments/{a.pk}",
                }
                for a in appeal.attachments.all()
            ],
            "timeline": timeline(viewer, appeal, reporter),
            "actions": allowed_actions(viewer, appeal),
            "suggested_handler": (
                routing.suggest_handler(appeal).as_dict()
                if appeal.state == State.OPENED and can_dispatch(viewer, appeal)
                else None
            ),
        }
    )
    return out


BOARD_VIEWS = ("new", "dispatch", "overdue", "soon", "whistled", "resolved")


def board_counts(
    *,
    viewer: Any,
    now: dt.datetime | None = None,
    due_soon_hours: float = 24,
    channel: str | None = None,
) -> dict[str, int]:
    """The dispatcher's board in numbers, in one query (plus one for the report-ins): the same filters as the
    board's tabs (``views.board``), optionally of one channel."""
    now = now or timezone.now()
    active = [State.DISPATCHED, State.ACKNOWLEDGED, State.IN_PROGRESS]
    soon = now + dt.timedelta(hours=due_soon_hours)
    qs = Appeal.objects.visible_to(viewer)
    if channel:
        qs = qs.filter(channel=channel)
    counts = qs.aggregate(
        n_new=Count("pk", filter=Q(state=State.SUBMITTED)),
        n_dispatch=Count("pk", filter=Q(state=State.OPENED)),
        n_overdue=Count("pk", filter=Q(state__in=active, overdue=True)),
        n_soon=Count("pk", filter=Q(state__in=active, overdue=False, resolve_due_at__lte=soon)),
        n_whistled=Count(
            "pk",
            filter=Q(state__in=[*active, State.OPENED], pk__in=Whistle.objects.values("appeal_id")),
        ),
        n_resolved=Count("pk", filter=Q(state=State.RESOLVED)),
    )
    counts = {k.removeprefix("n_"): v for k, v in counts.items()}
    counts["report_in_pending"] = ReportIn.objects.filter(
        appeal__in=qs.filter(state__in=[*active, State.OPENED]), reported_at__isnull=True
    ).count()
    return {k: int(v or 0) for k, v in counts.items()}
