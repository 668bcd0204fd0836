"""Pages of the case loop, for the four roles: the resident (report, my cases, rate), the handler (inbox,
acknowledge/return/resolve), the dispatcher (new cases, dispatch, overdue lists, whistle, urge) and the
checker (on-site check). Thin: parse a form → call a service or selector → render. HTMX requests get the
partial (the list rows, or the case's main block after a step).

Service errors never become a 500: InvalidInput goes next to the field, Conflict/Forbidden become a message
on the case (with their status code); NotFound falls through to the error page (core middleware).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django import forms as djforms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import Post, Unit
from wangge.accounts.roles import user_can
from wangge.areas.models import CHILD_LEVEL, Area, Level
from wangge.areas.selectors import area_list
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from wangge.core.ratelimit import rate_limit
from wangge.core.scoping import scope_for

from . import forms, loop, selectors, services
from .models import Appeal, Attachment
from .prefill import building_prefill

PAGE_SIZE = 30


def due_soon_hours() -> float:
    """About-to-be-overdue: open cases whose resolution deadline falls within this many hours."""
    return float(getattr(settings, "WANGGE_APPEALS_DUE_SOON_HOURS", 24))


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _perms(user: Any) -> dict[str, bool]:
    return {
        "can_submit": user_can(user, "appeals.submit"),
        "can_handle": user_can(user, "appeals.handle"),
        "can_dispatch": user_can(user, "appeals.dispatch"),
        # The figures are per area: only for readers with an area scope.
        "can_read": user_can(user, "appeals.read") and not scope_for(user).empty,
    }


def _require_perm(user: Any, perm: str) -> None:
    if not user_can(user, perm):
        raise Forbidden(_t("无权访问此页面"))


def _notifications_url() -> str:
    try:
        return reverse("notifications:inbox")
    except NoReverseMatch:  # the notification pages are not mounted in this deployment
        return ""


# --- home ----------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from wangge.notifications.selectors import notification_unread_count

    context = {
        **_perms(request.user),
        "tab": "home",
        "unread_count": notification_unread_count(viewer=request.user),
        "notifications_url": _notifications_url(),
    }
    return render(request, "appeals/home.html", context)


# --- report --------------------------------------------------------------------------------------------


def _categories() -> tuple[list[Any], dict[str, list[Any]]]:
    cats = selectors.category_list()
    parents = [c for c in cats if c.parent_id is None]
    children: dict[str, list[Any]] = {}
    for c in cats:
        if c.parent_id is not None and c.parent is not None:
            children.setdefault(c.parent.code, []).append(c)
    return [p for p in parents if p.code in children], children


def _map_center(user: Any) -> tuple[float, float]:
    """Where the map opens: the viewer's first area, else the first district."""
    scope = scope_for(user)
    qs = Area.objects.filter(center_lat__isnull=False)
    area = None
    if scope.codes:
        area = qs.filter(code=scope.codes[0]).only("center_lat", "center_lng").first()
    if area is None:
        area = qs.filter(level=Level.DISTRICT).only("center_lat", "center_lng").order_by("code").first()
    if area is None:
        return 32.5, 120.4
    return float(area.center_lat or 0), float(area.center_lng or 0)


# Service field names → form field names, so errors land next to the right input.
FIELD_ALIASES = {
    "file": "photos",
    "attachment_ids": "photos",
    "lead_user_id": "lead",
    "lead_unit_id": "lead",
    "co_unit_ids": "co_units",
    "unit_ids": "units",
    "into_id": "into",
    "area": "lat",
    "coord_system": "lat",
}


def _apply_errors(form: djforms.Form, exc: ServiceError) -> None:
    placed = False
    for err in exc.errors or []:
        name = FIELD_ALIASES.get(err.get("field", ""), err.get("field", ""))
        if name in form.fields:
            form.add_error(name, err.get("message", ""))
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


@login_required
@rate_limit("submissions")
@rate_limit("uploads")
def report(request: HttpRequest) -> HttpResponse:
    _require_perm(request.user, "appeals.submit")
    parents, children = _categories()
    status = 200
    if request.method == "POST":
        form = forms.ReportForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            is_staff = not scope_for(request.user).empty
            staff_fields: dict[str, Any] = {}
            if is_staff:
                channel = d["channel"] or Appeal.Channel.STAFF_ENTRY
                staff_fields = {
                    "reporter_name": d["reporter_name"],
                    "reporter_phone": d["reporter_phone"],
                    "external_ref": d["external_ref"],
                }
            elif d["photos"] and d["lat"] is None:
                channel = Appeal.Channel.SNAPSHOT  # 随手拍: the photo's EXIF gives the place
            else:
                channel = Appeal.Channel.RESIDENT_WEB
            try:
                # One transaction: a bad photo leaves no case behind (bad input writes nothing).
                with transaction.atomic():
                    appeal, created = services.appeal_submit(
                        by=request.user,
                        kind=d["kind"],
                        category=d["category"],
                        description=d["description"],
                        channel=channel,
                        lat=d["lat"],
                        lng=d["lng"],
                        coord_system=d["coord_system"],
                        address=d["address"],
                        anonymous=d["anonymous"],
                        idempotency_key=d["token"],
                        **staff_fields,
                    )
                    if created:
                        for photo in d["photos"]:
                            services.attachment_add(
                                appeal_id=appeal.pk,
                                by=request.user,
                                content=photo.read(),
                                filename=photo.name,
                                purpose=Attachment.Purpose.REPORT,
                            )
            except (InvalidInput, Conflict) as exc:
                _apply_errors(form, exc)
                status = 422
            else:
                return redirect("appeals:detail", pk=appeal.pk)
        else:
            status = 422
    else:
        initial: dict[str, Any] = {"token": uuid.uuid4().hex}
        building = building_prefill(request.GET.get("building"))
        if building:  # opened from a 便民服务卡's QR code: the building filled in
            initial.update(address=building["address"], lat=building["lat"], lng=building["lng"])
        form = forms.ReportForm(initial=initial)
    selected_parent = form["parent"].value() or ""
    if not selected_parent and form["category"].value():
        selected_parent = str(form["category"].value())[:-2]
    context = {
        **_perms(request.user),
        "tab": "report",
        "form": form,
        "parents": parents,
        "subcategories": children.get(selected_parent, []),
        "map_center": (
            (form["lat"].value(), form["lng"].value()) if form["lat"].value() else _map_center(request.user)
        ),
        "is_staff": not scope_for(request.user).empty,
    }
    return render(request, "appeals/report.html", context, status=status)


@login_required
def subcategories(request: HttpRequest) -> HttpResponse:
    _, children = _categories()
    return render(
        request,
        "appeals/_subcategories.html",
        {"subcategories": children.get(request.GET.get("parent", ""), []), "selected": ""},
    )


# --- lists ---------------------------------------------------------------------------------------------


def _channel_param(request: HttpRequest) -> str | None:
    """The lists' and figures' ``channel`` filter (unknown → 422 naming the field, never ignored)."""
    from .metrics import channel_clean

    return channel_clean(request.GET.get("channel") or None)


def _render_list(
    request: HttpRequest,
    qs: Any,
    *,
    tab: str,
    heading: Any,
    views: list[tuple[str, Any]],
    view: str,
    counts: dict[str, int] | None = None,
) -> HttpResponse:
    channel = _channel_param(request)
    if channel:
        qs = qs.filter(channel=channel)
    page = Paginator(qs.select_related("grid"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "counts": counts or {},
        **_perms(request.user),
        "tab": tab,
        "heading": heading,
        "page": page,
        "views": views,
        "view": view,
        "channel": channel or "",
        "channels": Appeal.Channel.choices,
    }
    template = "appeals/_list_body.html" if _is_htmx(request) else "appeals/list.html"
    return render(request, template, context)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    views = [("open", _("办理中")), ("rate", _("待评价")), ("done", _("已结束"))]
    view = request.GET.get("view") or "open"
    states = {
        "open": "submitted,opened,dispatched,acknowledged,in_progress",
        "rate": "resolved",
        "done": "closed,cancelled,merged",
    }.get(view, "")
    qs = selectors.appeal_list(viewer=request.user, role="reported", state=states or None)
    return _render_list(request, qs, tab="mine", heading=_("我的诉求"), views=views, view=view)


ACTIVE = "dispatched,acknowledged,in_progress"


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    _require_perm(request.user, "appeals.handle")
    views = [("todo", _("待办")), ("unit", _("本单位")), ("done", _("已办结"))]
    view = request.GET.get("view") or "todo"
    if view == "done":
        qs = selectors.appeal_list(viewer=request.user, role="handling", state="resolved,closed")
    elif view == "unit":
        qs = selectors.appeal_list(viewer=request.user, role="handling", state=ACTIVE)
        qs = qs.filter(lead_unit_id=request.user.unit_id) if request.user.unit_id else qs.none()
    else:
        view = "todo"
        qs = selectors.appeal_list(viewer=request.user, role="handling", state=ACTIVE)
    return _render_list(request, qs, tab="inbox", heading=_("我的待办"), views=views, view=view)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    _require_perm(request.user, "appeals.dispatch")
    views = [
        ("new", _("待受理")),
        ("dispatch", _("待派遣")),
        ("overdue", _("已超期")),
        ("soon", _("即将超期")),
        ("whistled", _("吹哨")),
        ("resolved", _("待核查/结案")),
        ("all", _("全部")),
    ]
    view = request.GET.get("view") or "new"
    user = request.user
    if view == "dispatch":
        qs = selectors.appeal_list(viewer=user, state="opened")
    elif view == "overdue":
        qs = selectors.appeal_list(viewer=user, state=ACTIVE, overdue=True)
    elif view == "soon":
        soon = timezone.now() + dt.timedelta(hours=due_soon_hours())
        qs = selectors.appeal_list(viewer=user, overdue=False, due_before=soon).order_by(
            "resolve_due_at", "id"
        )
    elif view == "whistled":
        qs = (
            selectors.appeal_list(viewer=user, state=ACTIVE + ",opened")
            .filter(whistles__isnull=False)
            .distinct()
        )
    elif view == "resolved":
        qs = selectors.appeal_list(viewer=user, state="resolved")
    elif view == "all":
        qs = selectors.appeal_list(viewer=user)
    else:
        view = "new"
        qs = selectors.appeal_list(viewer=user, state="submitted")
    counts = selectors.board_counts(
        viewer=user, due_soon_hours=due_soon_hours(), channel=_channel_param(request)
    )
    return _render_list(request, qs, tab="board", heading=_("调度台"), views=views, view=view, counts=counts)


# --- one case ------------------------------------------------------------------------------------------

# The step labels come from the loop table (one place for the API, the services' messages and the pages).
STEP_LABELS: dict[str, Any] = {s.name: s.label for s in loop.STEPS}
NOTE_STEPS = {"accept", "acknowledge", "start", "report-in", "close"}
REASON_STEPS = {"cancel", "return", "reopen", "resume"}


def _lead_choices(appeal: Appeal, suggestion: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Who a case can be dispatched to: the suggested handler first, then the handling units and the staff
    of the case's community (by their posts)."""
    out: list[tuple[str, str]] = []
    if suggestion:
        if suggestion.get("unit"):
            out.append(
                (
                    f"unit:{suggestion['unit']['id']}",
                    f"★ {suggestion['unit']['name']}（{suggestion['reason']}）",
                )
            )
        elif suggestion.get("user"):
            out.append(
                (
                    f"user:{suggestion['user']['id']}",
                    f"★ {suggestion['user']['name']}（{suggestion['reason']}）",
                )
            )
    community = (appeal.area_code or "")[:12]
    if community:
        posts = (
            Post.objects.filter(area__code__startswith=community, active=True, user__is_active=True)
            .select_related("user", "area")
            .order_by("area__code", "kind")
        )
        for p in posts:
            if user_can(p.user, "appeals.handle"):
                out.append((f"user:{p.user_id}", f"{p.user}（{p.get_kind_display()} · {p.area.name}）"))
    for unit in _handling_units():
        out.append((f"unit:{unit.pk}", f"{unit.name}（{unit.get_kind_display()}）"))
    return list(dict.fromkeys(out))


def _handling_units() -> list[Unit]:
    return list(
        Unit.objects.filter(kind__in=[Unit.Kind.DEPARTMENT, Unit.Kind.PROPERTY_COMPANY]).order_by(
            "kind", "name"
        )
    )


def _department_choices() -> list[tuple[str, str]]:
    return [(str(u.pk), u.name) for u in _handling_units() if u.kind == Unit.Kind.DEPARTMENT]


def _step_form(
    step: str, appeal: Appeal, detail: dict[str, Any], data: Any = None, files: Any = None
) -> djforms.Form:
    if step in NOTE_STEPS:
        return forms.NoteForm(data)
    if step in REASON_STEPS:
        form = forms.ReasonForm(data)
        if step == "resume":
            form.fields["reason"].required = False
        return form
    if step == "dispatch":
        return forms.DispatchForm(
            data,
            lead_choices=_lead_choices(appeal, detail.get("suggested_handler")),
            unit_choices=[(str(u.pk), u.name) for u in _handling_units()],
        )
    if step == "resolve":
        return forms.ResolveForm(data, files)
    if step == "check":
        return forms.CheckForm(data, files)
    if step == "rate":
        return forms.RateForm(data)
    if step == "merge":
        return forms.MergeForm(data)
    if step == "whistle":
        return forms.WhistleForm(data, unit_choices=_department_choices())
    if step == "urge":
        return forms.UrgeForm(data)
    if step == "extend":
        return forms.ExtendForm(data)
    if step == "hold":
        return forms.ReasonForm(data)
    if step in ("decide-extend", "decide-hold"):
        return forms.DecideForm(data)
    raise NotFound(_t("没有这个办理步骤"))


def _steps_for(user: Any, appeal: Appeal, detail: dict[str, Any]) -> list[str]:
    """The forms to show: the steps the loop table offers this user now."""
    return [s for s in detail.get("actions", []) if s in STEP_LABELS]


def _parse_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _case_context(
    request: HttpRequest,
    appeal: Appeal,
    *,
    failed_step: str | None = None,
    failed_form: djforms.Form | None = None,
    step_error: str = "",
    flash: str = "",
) -> dict[str, Any]:
    user = request.user
    detail = selectors.appeal_detail(viewer=user, appeal=appeal)
    actions = []
    for step in _steps_for(user, appeal, detail):
        form = (
            failed_form
            if step == failed_step and failed_form is not None
            else _step_form(step, appeal, detail)
        )
        actions.append({"step": step, "label": STEP_LABELS[step], "form": form, "open": step == failed_step})
    events = [
        {**ev, "at": _parse_iso(ev["at"]), "actor_label": ev["actor"] or ev["actor_role"]}
        for ev in detail["timeline"]
    ]
    for ev in events:
        ev["get_kind_display"] = ev["label"]
    assignments = detail.get("assignments", [])

    def who(a: dict[str, Any]) -> str:
        part = a.get("unit") or a.get("user") or a.get("area") or {}
        return str(part.get("name", ""))

    lead = next((who(a) for a in assignments if a["role"] == "lead"), "")
    co = [who(a) for a in assignments if a["role"] == "co"]
    photos = [
        {"url": a["url"], "label": str(dict(Attachment.Purpose.choices).get(a["purpose"], a["purpose"]))}
        for a in detail.get("attachments", [])
        if str(a.get("content_type", "")).startswith("image/")
    ]
    report_ins = [
        {**r, "due_at": _parse_iso(r["due_at"]), "reported_at": _parse_iso(r["reported_at"])}
        for r in detail.get("report_ins", [])
    ]
    duplicates = (
        selectors.probable_duplicates(viewer=user, appeal=appeal)
        if any(a["step"] == "merge" for a in actions)
        else []
    )
    grid_boundary = (
        json.dumps(appeal.grid.boundary) if appeal.grid_id and appeal.grid and appeal.grid.boundary else ""
    )
    return {
        **_perms(user),
        "tab": "",
        "appeal": appeal,
        "detail": detail,
        "reporter": detail["reporter"],
        "events": events,
        "actions": actions,
        "lead": lead,
        "co_handlers": co,
        "photos": photos,
        "grid_boundary": grid_boundary,
        "report_ins": report_ins,
        "duplicates": duplicates,
        "step_error": step_error,
        "flash": flash,
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = selectors.appeal_get(viewer=request.user, pk=pk)
    template = "appeals/_main.html" if _is_htmx(request) else "appeals/detail.html"
    return render(request, template, _case_context(request, appeal))


def _lead_ids(value: str) -> tuple[int | None, int | None]:
    kind, _sep, raw = (value or "").partition(":")
    try:
        ident = int(raw)
    except ValueError:
        return None, None
    return (ident, None) if kind == "unit" else (None, ident) if kind == "user" else (None, None)


def _upload(request: HttpRequest, appeal: Appeal, files: list[Any], purpose: str) -> list[int]:
    return [
        services.attachment_add(
            appeal_id=appeal.pk, by=request.user, content=f.read(), filename=f.name, purpose=purpose
        ).pk
        for f in files
    ]


def _form_to_service(request: HttpRequest, step: str, appeal: Appeal, d: dict[str, Any]) -> dict[str, Any]:
    """The cleaned form data as the step's payload (the API schema's fields); most forms already match."""
    if step == "dispatch":
        unit_id, user_id = _lead_ids(d["lead"])
        return {
            "lead_unit_id": unit_id,
            "lead_user_id": user_id,
            "co_unit_ids": [int(i) for i in d["co_units"]],
            "note": d["note"],
        }
    if step == "resolve":
        ids = _upload(request, appeal, d["photos"], Attachment.Purpose.RESOLVE)
        return {"note": d["note"], "attachment_ids": ids}
    if step == "check":
        ids = _upload(request, appeal, d["photos"], Attachment.Purpose.CHECK)
        return {"passed": d["passed"], "note": d["note"], "attachment_ids": ids}
    if step == "whistle":
        return {"reason": d["reason"], "unit_ids": [int(i) for i in d["units"]], "next_level": d["up_level"]}
    if step == "urge":
        return {"note": d["note"], "level": d["level"] or None}
    if step in ("decide-extend", "decide-hold"):
        return {"action": d["decision"], "reason": d["reason"]}
    return dict(d)


def _perform(request: HttpRequest, step: str, appeal: Appeal, d: dict[str, Any], version: int | None) -> str:
    """Call the step's service (from the loop table) with the cleaned form data; returns the message."""
    s = loop.step(step)
    payload = _form_to_service(request, step, appeal, d)
    loop.service_for(s)(
        appeal_id=appeal.pk, by=request.user, version=version, **loop.service_kwargs(s, payload)
    )
    return _t("已%(step)s") % {"step": STEP_LABELS[step]}


@login_required
@require_POST
@rate_limit("uploads")
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in STEP_LABELS:
        raise NotFound(_t("没有这个办理步骤"))
    appeal = selectors.appeal_get(viewer=request.user, pk=pk)
    detail_data = {"suggested_handler": None}
    if step == "dispatch":
        detail_data["suggested_handler"] = selectors.appeal_detail(viewer=request.user, appeal=appeal).get(
            "suggested_handler"
        )
    form = _step_form(step, appeal, detail_data, request.POST, request.FILES)
    try:
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except ValueError:
        version = None
    status = 200
    error = ""
    message = ""
    if form.is_valid():
        try:
            with transaction.atomic():  # photos and the step succeed or fail together
                message = _perform(request, step, appeal, form.cleaned_data, version)
        except InvalidInput as exc:
            _apply_errors(form, exc)
            status = 422
        except (Conflict, Forbidden) as exc:
            error = exc.detail
            status = exc.status_code
    else:
        status = 422
    if status == 200 and not _is_htmx(request):
        return HttpResponseRedirect(reverse("appeals:detail", args=[pk]) + "?done=" + step)
    try:
        appeal = selectors.appeal_get(viewer=request.user, pk=pk)
    except NotFound:  # e.g. returned and no longer visible to this handler
        if _is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("appeals:home")
            return response
        return redirect("appeals:home")
    failed = status == 422
    context = _case_context(
        request,
        appeal,
        failed_step=step if failed else None,
        failed_form=form if failed else None,
        step_error=error,
        flash=message,
    )
    template = "appeals/_main.html" if _is_htmx(request) else "appeals/detail.html"
    # The real status for htmx too: base.html's htmx-config swaps 4xx answers (the form with its errors).
    response = render(request, template, context, status=status)
    response["X-Wangge-Status"] = str(status)
    return response


# --- figures -------------------------------------------------------------------------------------------


RATE_LABELS = [
    ("response_rate", _("响应率")),
    ("resolution_rate", _("解决率")),
    ("satisfaction_rate", _("满意率")),
    ("on_time_close_rate", _("按期结案率")),
    ("close_rate", _("结案率")),
    ("rework_rate", _("返工率")),
]
COUNT_LABELS = [
    ("reported", _("上报")),
    ("opened", _("立案")),
    ("dispatched", _("派遣")),
    ("handled", _("办结")),
    ("closed", _("结案")),
    ("overdue", _("超期")),
    ("reworked", _("返工")),
    ("extended", _("延期")),
    ("held", _("缓办")),
]


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


# The rates a map of the child areas can be coloured by (the key is the ``rate`` parameter).
MAP_RATES = [
    ("on_time_close_rate", _("按期结案率")),
    ("response_rate", _("响应率")),
    ("resolution_rate", _("解决率")),
    ("satisfaction_rate", _("满意率")),
    ("close_rate", _("结案率")),
]
# Colour classes of the map (lower bound in %, label); the colours are in figures.css/figures.js.
MAP_CLASSES = [(90, "≥ 90%"), (80, "80–90%"), (60, "60–80%"), (0, "< 60%")]


def _rate_cell(value: float | None, sample: int, insufficient: bool) -> dict[str, Any]:
    return {"pct": _pct(value), "sample": sample, "insufficient": insufficient}


def _figures_area(request: HttpRequest) -> str:
    code = request.GET.get("area") or ""
    if code:
        return code
    from wangge.areas.selectors import default_area_code

    try:
        return default_area_code(request.user)
    except InvalidInput:
        first = area_list(viewer=request.user).exclude(level__in=[Level.MICROGRID, Level.GRID]).first()
        return first.code if first else ""


def _breadcrumb(viewer: Any, code: str) -> list[dict[str, str]]:
    """The chosen area's ancestors the viewer reaches, then the area itself (one query)."""
    scope = scope_for(viewer)
    prefixes = [code[:n] for n in (6, 9, 12, 15) if n < len(code) and scope.contains(code[:n])]
    names = dict(Area.objects.filter(code__in=[*prefixes, code]).values_list("code", "name"))
    return [{"code": c, "name": names[c]} for c in [*prefixes, code] if c in names]


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """The figures an area reads: the rates (each with its sample), the monthly trend, the breakdowns by
    category, channel (12345) and handling unit, and a map of the child areas coloured by the chosen rate
    (click one to drill down). The heading and breadcrumb follow the chosen area."""
    if not _perms(request.user)["can_read"]:
        raise Forbidden(_t("无权查看诉求统计"))
    from . import metrics
    from .metrics_breakdown import appeal_breakdown, appeal_trend, hotline_share

    area_code = _figures_area(request)
    start = request.GET.get("from") or ""
    end = request.GET.get("to") or ""
    if not start and not end:
        today = timezone.localdate()
        start, end = (today - dt.timedelta(days=90)).isoformat(), today.isoformat()
    rate = request.GET.get("rate") or MAP_RATES[0][0]
    channel = request.GET.get("channel") or ""
    context: dict[str, Any] = {
        **_perms(request.user),
        "tab": "figures",
        "area_code": area_code,
        "start": start,
        "end": end,
        "rate": rate,
        "channel": channel,
        "map_rates": MAP_RATES,
        "channels": Appeal.Channel.choices,
        "tile_url": settings.WANGGE_TILE_URL,
    }
    try:
        if rate not in dict(MAP_RATES):
            raise InvalidInput.field("rate", _t("未知的指标"))
        ch = metrics.channel_clean(channel or None)
        args: dict[str, Any] = {"viewer": request.user, "area": area_code or None}
        m = metrics.appeal_metrics(**args, start=start, end=end, channel=ch)
        trend = appeal_trend(**args, months=12, channel=ch)
        hotline = appeal_trend(**args, months=12, channel=Appeal.Channel.HOTLINE_12345)
        by_category = appeal_breakdown(**args, by="category", start=start, end=end, channel=ch)
        by_channel = appeal_breakdown(**args, by="channel", start=start, end=end, channel=ch)
        by_unit = appeal_breakdown(**args, by="unit", start=start, end=end, channel=ch)
    except (InvalidInput, NotFound) as exc:
        context["error"] = exc.detail
        context["area_name"] = ""
        return render(request, "appeals/figures.html", context, status=exc.status_code)
    the_area = m["area"] or {"code": "", "name": _t("全部区域")}
    floor = metrics.rate_min_sample()
    insufficient = set(m["rates_insufficient"])
    samples = m["rate_samples"]
    rates = [
        {"key": k, "label": label, **_rate_cell(m.get(k), samples[k], k in insufficient)}
        for k, label in RATE_LABELS
    ]
    ranking = []
    map_rates: dict[str, Any] = {}
    for r in m.get("ranking", []):
        bad = set(r["rates_insufficient"])
        row = {
            **r,
            "cells": [
                _rate_cell(r.get(k), r["rate_samples"][k], k in bad)
                for k in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_close_rate")
            ],
        }
        ranking.append(row)
        map_rates[r["code"]] = {
            "name": r["name"],
            "value": _pct(r.get(rate)),
            "sample": r["rate_samples"][rate],
            "insufficient": rate in bad,
        }
    ranked = [r for r in ranking if r.get("ranked")]
    child_level = CHILD_LEVEL.get(m["area"]["level"]) if m["area"] else None

    trend_chart = {
        "months": [t["month"] for t in trend["items"]],
        "reported": [t["reported"] for t in trend["items"]],
        "closed": [t["closed"] for t in trend["items"]],
        "overdue": [t["overdue"] for t in trend["items"]],
        "on_time": [
            None if "on_time_close_rate" in t["rates_insufficient"] else _pct(t["on_time_close_rate"])
            for t in trend["items"]
        ],
    }
    units = [
        {
            **u,
            "on_time": _rate_cell(
                u["on_time_close_rate"],
                u["rate_samples"]["on_time_close_rate"],
                "on_time_close_rate" in u["rates_insufficient"],
            ),
            "satisfaction": _rate_cell(
                u["satisfaction_rate"],
                u["rate_samples"]["satisfaction_rate"],
                "satisfaction_rate" in u["rates_insufficient"],
            ),
        }
        for u in by_unit["items"]
    ]
    for u in units:
        u["cells"] = [u["on_time"], u["satisfaction"]]
    dumps = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    context.update(
        {
            "m": m,
            "area_name": the_area["name"],
            "breadcrumb": _breadcrumb(request.user, the_area["code"]) if the_area["code"] else [],
            "children": [{"code": r["code"], "name": r["name"]} for r in ranking],
            "min_rate_sample": floor,
            "rates": rates,
            "counts": [{"key": k, "label": label, "value": m.get(k, 0)} for k, label in COUNT_LABELS],
            "ranking": ranking,
            "units": units,
            "categories": by_category["items"],
            "channel_rows": by_channel["items"],
            "hotline": hotline_share(by_channel["items"]),
            "rate_label": dict(MAP_RATES)[rate],
            "map_classes": MAP_CLASSES,
            "map_json": dumps(map_rates),
            "geojson_url": (
                f"/api/v1/areas/{the_area['code']}/geojson?levels={child_level}"
                if child_level and the_area["code"]
                else ""
            ),
            "trend_json": dumps(trend_chart),
            "category_json": dumps(
                {
                    "names": [c["name"] for c in by_category["items"]],
                    "counts": [c["reported"] for c in by_category["items"]],
                }
            ),
            "channel_json": dumps(
                {
                    "names": [c["name"] for c in by_channel["items"]],
                    "counts": [c["reported"] for c in by_channel["items"]],
                    "months": [t["month"] for t in hotline["items"]],
                    "hotline": [t["reported"] for t in hotline["items"]],
                }
            ),
            "unit_json": dumps(
                {
                    "names": [u["name"] for u in units],
                    "counts": [u["reported"] for u in units],
                    "on_time": [None if u["on_time"]["insufficient"] else u["on_time"]["pct"] for u in units],
                }
            ),
            "chart_json": dumps(
                {"names": [r["name"] for r in ranked], "scores": [r["score"] for r in ranked]}
            ),
            "chart_height": max(120, 28 * len(ranked) + 40),
        }
    )
    return render(request, "appeals/figures.html", context)
