"""Pages of places: the nearest open places on a phone, a place with its hours, services and a request form,
and the 5-minute-circle coverage per grid for staff."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.core.errors import InvalidInput, NotFound, ServiceError
from wangge.core.feedback import error_message
from wangge.core.roles import user_can
from wangge.core.scoping import get_visible_or_404
from wangge.deliberation.models import home_area_code
from wangge.workdays.selectors import calendar_current

from . import geo, selectors, services
from .codes import station_code
from .models import DutyShift, Place, PlaceService

WEEKDAY_NAMES = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]


class RequestForm(forms.Form):
    service = forms.ChoiceField(label=_("代办事项"))
    description = forms.CharField(
        label=_("需要办理的内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, place: Place, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        errands = [s for s in place.services.all() if s.kind == PlaceService.Kind.ERRAND]
        self.fields["service"].choices = [("", "—")] + [(s.code, s.name) for s in errands]  # type: ignore[attr-defined]


def _cards(places: list[Place]) -> list[dict]:  # type: ignore[type-arg]
    now, cal = timezone.now(), calendar_current()
    return [
        {
            "place": p,
            "open_now": selectors.is_open(p, now, cal),
            "opens_at": selectors.next_opening(p, now, cal),
            "services": [s.name for s in p.services.all()],
        }
        for p in places
    ]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Places near me: the server lists the viewer's area's places; with the phone's location the page asks
    ``/api/v1/places/nearest`` and shows the nearest open ones first."""
    code = request.GET.get("area") or home_area_code(request.user)
    if not code:
        area = selectors.home_area(request.user)
        code = area.code if area else ""
    prefix = code[:12] if code and len(code) > 12 else code
    places = list(selectors.place_list(request.user, area=prefix or None)[:30])
    return render(
        request,
        "places/home.html",
        {
            "cards": _cards(places),
            "kinds": Place.Kind.choices,
            "walk_m": int(geo.circle_walk_m()),
            "staff": user_can(request.user, "places.manage"),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        place = selectors.place_get(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    form = RequestForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.place_request(
                by=request.user,
                place_id=place.pk,
                service=form.cleaned_data["service"],
                description=form.cleaned_data["description"],
            )
        except ServiceError as exc:
            for e in exc.errors or [{"field": None, "message": exc.detail}]:
                form.add_error(e["field"] if e["field"] in form.fields else None, e["message"])
        else:
            return redirect("appeals:detail", made.appeal_id)
    cal = calendar_current()
    today = timezone.localdate()
    week = []
    for i in range(7):
        day = today + dt.timedelta(days=i)
        week.append(
            {
                "day": day,
                "name": WEEKDAY_NAMES[day.weekday()],
                "holiday": cal.day_name(day),
                "hours": selectors.day_hours(place, day, cal),
            }  # fmt: skip
        )
    status = 422 if request.method == "POST" else 200
    manage = (
        user_can(request.user, "places.manage")
        and Place.objects.visible_to(request.user, "manage").filter(pk=place.pk).exists()
    )
    return render(
        request,
        "places/detail.html",
        {
            "card": _cards([place])[0],
            "place": place,
            "form": form,
            "week": week,
            "has_errands": place.services.filter(kind=PlaceService.Kind.ERRAND).exists(),
            "duties": selectors.duty_list(place, days=7),
            "manage": manage,
            "station_code": station_code(place.pk) if manage else "",
            "shifts": DutyShift.Shift.choices,
            "people": _duty_people(place) if manage else [],
            "today": today,
        },
        status=status,
    )


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, "areas.read"):
        raise Http404
    code = request.GET.get("area")
    try:
        area = (
            get_visible_or_404(Area, request.user, code=code) if code else selectors.home_area(request.user)
        )
    except NotFound as exc:
        raise Http404 from exc
    if area is None:
        raise Http404
    rows = selectors.coverage(request.user, area)
    return render(
        request,
        "places/coverage.html",
        {
            "area": area,
            "rows": rows,
            "walk_m": int(geo.circle_walk_m()),
            "radius_m": int(geo.circle_radius_m()),
            "minimum": selectors.suppress_below(),
        },
    )


def _duty_people(place: Place) -> list[User]:
    """Who may be put on a place's roster from the page: people holding a post in the place's community."""
    community = place.area.code[:12]
    return list(
        User.objects.filter(is_active=True, posts__active=True, posts__area__code__startswith=community)
        .distinct()
        .order_by("display_name", "id")[:200]
    )


@login_required
@require_POST
def duty_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff add a person to the roster (plain form: redirect back; errors shown next to the field)."""
    try:
        raw_user, raw_date = request.POST.get("user") or "", request.POST.get("date") or ""
        if not raw_user.isdigit() or len(raw_user) > 12:
            raise InvalidInput.field("user", str(_("请选择值班人员")))
        try:
            day = dt.date.fromisoformat(raw_date[:10])
        except ValueError as exc:
            raise InvalidInput.field("date", str(_("请选择值班日期"))) from exc
        services.duty_add(
            by=request.user,
            place_id=pk,
            user_id=int(raw_user),
            date=day,
            shift=request.POST.get("shift") or "",
        )
        messages.success(request, _("已加入值班表"))
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        error_message(request, exc)
    return redirect("places:detail", pk)


@login_required
@require_POST
def duty_remove(request: HttpRequest, pk: int) -> HttpResponse:
    raw = request.POST.get("duty") or ""
    if not raw.isdigit() or len(raw) > 12:
        raise Http404
    try:
        services.duty_remove(by=request.user, place_id=pk, duty_id=int(raw))
        messages.success(request, _("已移出值班表"))
    except NotFound as exc:
        raise Http404 from exc
    except ServiceError as exc:
        error_message(request, exc)
    return redirect("places:detail", pk)
