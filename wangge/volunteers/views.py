"""Pages: members find tasks near them, sign up, check in; staff publish and run tasks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.core.errors import Forbidden, InvalidInput, ServiceError, describe, labelled
from wangge.core.feedback import error_message

from . import selectors, services
from .forms import ActivityForm, BookingRateForm, ProfileForm
from .models import Activity, Signup


def _try(request: HttpRequest, fn: Callable[[], Any], ok: str) -> Any:
    """Run a service; show its error next to the page instead of failing the request."""
    try:
        result = fn()
    except ServiceError as exc:
        error_message(request, exc)
        return None
    messages.success(request, ok)
    return result or True


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v else None
    except ValueError:
        return None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Tasks near me: a list and a map; nearest first when the phone shares its position."""
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    items = selectors.activities_near(viewer=request.user, lat=lat, lng=lng)
    mine = {
        s.activity_id: s
        for s in selectors.my_signups(viewer=request.user).filter(activity__in=[a for a, _ in items])
    }
    rows = [{"a": a, "distance": d, "signup": mine.get(a.pk)} for a, d in items]
    markers = [
        {
            "id": a.pk,
            "title": a.title,
            "lat": a.lat,
            "lng": a.lng,
            "url": reverse("volunteers:activity", args=[a.pk]),
        }
        for a, _ in items
        if a.lat is not None
    ]
    return render(
        request,
        "volunteers/home.html",
        {
            "rows": rows,
            "markers": markers,
            "located": lat is not None,
            "can_manage": user_can(request.user, "mobilisation.manage"),
        },
    )


@login_required
def activity(request: HttpRequest, pk: int) -> HttpResponse:
    a = selectors.activity_get(viewer=request.user, activity_id=pk)
    signup = Signup.objects.filter(activity=a, member__user_id=request.user.pk).first()  # type: ignore[misc]
    return render(
        request,
        "volunteers/activity.html",
        {"a": a, "signup": signup, "organiser": services.can_organise(request.user, a)},
    )


@login_required
@require_POST
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.activity_get(viewer=request.user, activity_id=pk)
    try:
        s, _created = services.signup_create(activity_id=pk, user=request.user)
    except ServiceError as exc:
        error_message(request, exc)
    else:
        messages.success(
            request, _("报名成功") if s.status == Signup.Status.CONFIRMED else _("名额已满，已进入候补")
        )
    return redirect("volunteers:activity", pk=pk)


@login_required
@require_POST
def signup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    s = Signup.objects.filter(pk=pk, member__user_id=request.user.pk).first()  # type: ignore[misc]
    if s is None:
        raise Forbidden(_("报名不存在"))
    reason = request.POST.get("reason", "").strip() or _("个人原因")
    _try(
        request, lambda: services.signup_cancel(signup_id=pk, by=request.user, reason=reason), _("已取消报名")
    )
    return redirect("volunteers:activity", pk=s.activity_id)


@login_required
@require_POST
def signup_accept(request: HttpRequest, pk: int) -> HttpResponse:
    s = _try(
        request, lambda: services.signup_accept_offer(signup_id=pk, by=request.user), _("已确认递补名额")
    )
    return redirect("volunteers:activity", pk=s.activity_id) if s else redirect("volunteers:mine")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request, "volunteers/mine.html", {"signups": selectors.my_signups(viewer=request.user)[:100]}
    )


@login_required
def bookings(request: HttpRequest) -> HttpResponse:
    """My bookings of members' micro-projects (自设服务菜单); the finished ones ask for a rating."""
    return render(
        request, "volunteers/bookings.html", {"bookings": selectors.my_bookings(viewer=request.user)[:100]}
    )


@login_required
def booking_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident served rates a finished booking (1–5 stars and a comment). The member's points follow
    the hours served × the rating, like a volunteer task. A bad or repeated rating re-renders the form
    with the message next to the field (422/409)."""
    booking = selectors.my_booking_get(viewer=request.user, booking_id=pk)
    status = 200
    if request.method == "POST":
        form = BookingRateForm(request.POST)
        if form.is_valid():
            try:
                services.booking_rate(
                    booking_id=booking.pk,
                    by=request.user,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except ServiceError as exc:
                for name, message in _field_messages(exc):
                    form.add_error(name if name in form.fields else None, message)
                status = exc.status_code
            else:
                booking.refresh_from_db()
                messages.success(
                    request, _("感谢评价，服务者获得 %(n)s 积分") % {"n": booking.points_awarded}
                )
                return redirect("volunteers:bookings")
        else:
            status = 422
    else:
        form = BookingRateForm()
    return render(request, "volunteers/booking_rate.html", {"b": booking, "form": form}, status=status)


def _field_messages(exc: ServiceError) -> list[tuple[str | None, str]]:
    """A service error as (field, message) pairs; an error about the booking's state is about the score."""
    errors = getattr(exc, "errors", None) or []
    pairs: list[tuple[str | None, str]] = [
        (e.get("field"), str(e.get("message") or exc.detail)) for e in errors if isinstance(e, dict)
    ]
    return pairs or [("score", exc.detail)]


@login_required
def checkin(request: HttpRequest) -> HttpResponse:
    """Check in or out with the code the organiser shows."""
    open_signups = selectors.my_signups(viewer=request.user).filter(
        status__in=[Signup.Status.CONFIRMED, Signup.Status.CHECKED_IN], activity__status=Activity.Status.OPEN
    )
    if request.method == "POST":
        action = request.POST.get("action", "in")
        code = request.POST.get("code", "")
        aid = int(request.POST.get("activity") or 0)
        lat, lng = _float(request.POST.get("lat")), _float(request.POST.get("lng"))
        if action == "out":
            _try(
                request,
                lambda: services.signup_check_out(activity_id=aid, user=request.user, code=code),
                _("签退成功"),
            )
        else:
            _try(
                request,
                lambda: services.signup_check_in(
                    activity_id=aid, user=request.user, code=code, lat=lat, lng=lng
                ),
                _("签到成功"),
            )
        return redirect("volunteers:checkin")
    return render(request, "volunteers/checkin.html", {"signups": open_signups})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """My member profile and 双报到 to the community where I live."""
    member = services.member_for(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            report = d["home_community"] is not None and bool(request.POST.get("report"))
            _try(
                request,
                lambda: services.member_update(
                    user=request.user,
                    by=request.user,
                    kind=d["kind"],
                    skills=[s for s in d["skills"].replace("，", ",").split(",")],
                    availability=d["availability"],
                    home_community=d["home_community"],
                    report_home=report,
                ),
                _("资料已保存，已向社区报到") if report else _("资料已保存"),
            )
            return redirect("volunteers:profile")
    else:
        form = ProfileForm(
            initial={
                "kind": member.kind,
                "skills": ",".join(member.skills),
                "availability": member.availability,
                "home_community": member.home_community.code if member.home_community_id else None,
            }
        )
    return render(
        request,
        "volunteers/profile.html",
        {"form": form, "member": member, "reports": member.reports.filter(active=True)},
    )


# --- staff ---


def _require_manage(request: HttpRequest) -> None:
    if not user_can(request.user, "mobilisation.manage"):
        raise Forbidden(_("无权管理志愿任务"))


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    acts = selectors.activity_list(viewer=request.user, managed=True, upcoming=False).order_by("-starts_at")[
        :100
    ]
    return render(request, "volunteers/manage.html", {"activities": acts})


@login_required
def publish(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            a = services.activity_create(
                title=d["title"],
                description=d["description"],
                area=d["area"],
                place=d["place"],
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                capacity=d["capacity"],
                skills=[s.strip() for s in (d["skills"] or "").replace("，", ",").split(",") if s.strip()],
                eligible_kinds=d["eligible_kinds"],
                visibility=d["visibility"],
                lat=d["lat"],
                lng=d["lng"],
                checkin_radius_m=d["checkin_radius_m"],
                by=request.user,
            )
        except ServiceError as exc:
            for e in exc.errors or [{"field": "", "message": exc.detail}]:
                if e["field"] in form.fields:
                    form.add_error(e["field"], e["message"])
                else:  # not a field of this form: say which one, by its label
                    form.add_error(None, describe([labelled(e)]))
        else:
            messages.success(request, _("任务已发布"))
            return redirect("volunteers:run", pk=a.pk)
    return render(request, "volunteers/publish.html", {"form": form})


@login_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a task: the check-in code, the sign-up list, bulk check-out, approve hours, rate."""
    a = selectors.activity_get(viewer=request.user, activity_id=pk)
    if not services.can_organise(request.user, a):
        raise Forbidden(_("只有任务组织者可以管理"))
    if request.method == "POST":
        action = request.POST.get("action")
        raw_sid = request.POST.get("signup") or ""
        sid = int(raw_sid) if raw_sid.isdigit() and len(raw_sid) < 19 else 0
        if action == "bulk_checkout":
            _try(
                request,
                lambda: services.activity_bulk_check_out(activity_id=pk, by=request.user),
                _("已全部签退"),
            )
        elif action == "approve":
            raw_hours = (request.POST.get("hours") or "").strip()
            hours = _float(raw_hours)
            if raw_hours and (hours is None or not math.isfinite(hours)):
                # Not a number: said so, rather than approving the time present as if the box were empty.
                error_message(request, InvalidInput.field("hours", _("核定时长须为数字")))
            else:
                _try(
                    request,
                    lambda: services.signup_approve_hours(signup_id=sid, by=request.user, hours=hours),
                    _("时长已审核"),
                )
        elif action == "approve_all":
            _try(
                request,
                lambda: services.activity_approve_all(activity_id=pk, by=request.user),
                _("时长已全部审核"),
            )
        elif action == "rate":
            raw_score = (request.POST.get("score") or "").strip()
            score = int(raw_score) if raw_score.isdigit() and len(raw_score) < 3 else 0
            comment = request.POST.get("comment", "")
            _try(
                request,
                lambda: services.rating_create(signup_id=sid, by=request.user, score=score, comment=comment),
                _("评价已保存"),
            )
        elif action == "cancel_signup":
            reason = request.POST.get("reason", "").strip() or _("组织者取消")
            _try(
                request,
                lambda: services.signup_cancel(signup_id=sid, by=request.user, reason=reason),
                _("已取消"),
            )
        return redirect("volunteers:run", pk=pk)
    signups = selectors.signup_list(viewer=request.user, activity=a)
    counts: dict[str, int] = {}
    for s in signups:
        label = str(s.get_status_display())
        counts[label] = counts.get(label, 0) + 1
    return render(request, "volunteers/run.html", {"a": a, "signups": signups, "counts": counts})


@login_required
def units(request: HttpRequest) -> HttpResponse:
    """Co-building units, their agreements with communities, and who reported (双报到)."""
    if not user_can(request.user, "mobilisation.read"):
        raise Forbidden(_("无权查看"))
    return render(
        request,
        "volunteers/units.html",
        {
            "agreements": selectors.agreement_list(viewer=request.user),
            "reports": selectors.report_list(viewer=request.user),
            "posts": selectors.service_post_list(viewer=request.user)[:100],
            "members": selectors.member_list(viewer=request.user).exclude(user_id=request.user.pk or 0)[:200],
        },
    )


@login_required
@require_POST
def member_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Community staff verify a member (or revoke it); verifying again lifts a claim suspension."""
    member = selectors.member_get_for_staff(viewer=request.user, member_id=pk)
    verified = request.POST.get("verified", "1") == "1"
    _try(
        request,
        lambda: services.member_verify(member=member, by=request.user, verified=verified),
        _("已核实") if verified else _("已撤销核实"),
    )
    return redirect(reverse("volunteers:units") + "#members")


@login_required
@require_POST
def member_unit(request: HttpRequest, pk: int) -> HttpResponse:
    """Community staff (or the member's unit) confirm the member's unit."""
    member = selectors.member_get_for_staff(viewer=request.user, member_id=pk)
    _try(request, lambda: services.member_unit_confirm(member=member, by=request.user), _("单位已确认"))
    return redirect(reverse("volunteers:units") + "#members")


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, "mobilisation.read"):
        raise Forbidden(_("无权查看"))
    return render(request, "volunteers/figures.html", {"f": selectors.figures(viewer=request.user)})
