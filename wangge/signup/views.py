"""Sign-up pages: sign up with a phone code (or a community's invitation), reset a password, the privacy
notice, and household-link requests (the resident asks, the grid worker confirms)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ServiceError
from wangge.core.middleware import client_ip

from . import selectors, services
from .forms import LinkForm, ResetForm, SignupForm
from .models import PhoneCode

FIELD_ALIASES = {"household_id": "household_id"}


def _errors_onto(form: Any, exc: ServiceError, default_field: str) -> None:
    """The service's ``errors`` next to their fields (the form's own field names), else on ``default_field``."""
    placed = False
    for e in exc.errors:
        field = e.get("field") or ""
        if field in form.fields:
            form.add_error(field, e.get("message") or exc.detail)
            placed = True
    if not placed:
        form.add_error(default_field if default_field in form.fields else None, exc.detail)


def signup_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    invite = (request.GET.get("invite") or request.POST.get("invite") or "")[:32]
    invitation = selectors.invitation_by_code(invite) if invite else None
    form = SignupForm(request.POST or None, initial={"invite": invite})
    sent = False
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ip = client_ip(request)
        try:
            if request.POST.get("action") == "send":
                services.code_send(
                    phone=data["phone"], purpose=PhoneCode.Purpose.SIGNUP, ip=ip, request=request
                )
                sent = True
            else:
                user = services.signup(
                    phone=data["phone"],
                    code=data["code"],
                    password=data["password"],
                    display_name=data["display_name"],
                    consent=bool(data["consent"]),
                    invite=data["invite"],
                    ip=ip,
                    user_agent=request.headers.get("User-Agent", ""),
                    request=request,
                )
                login(request, user, backend="wangge.accounts.backends.UsernameOrPhoneBackend")
                messages.success(request, _("注册成功，欢迎使用。您现在可以上报诉求。"))
                return redirect("home")
        except ServiceError as exc:
            _errors_onto(form, exc, "phone")
            status = exc.status_code
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "sent": sent,
        "invitation": invitation,
        "notice_version": services.NOTICE_VERSION,
        "code_minutes": services.code_minutes(),
    }
    return render(request, "signup/signup.html", context, status=status)


def reset_page(request: HttpRequest) -> HttpResponse:
    form = ResetForm(request.POST or None)
    sent = False
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ip = client_ip(request)
        try:
            if request.POST.get("action") == "send":
                services.code_send(
                    phone=data["phone"], purpose=PhoneCode.Purpose.RESET, ip=ip, request=request
                )
                sent = True
            else:
                services.password_reset(
                    phone=data["phone"], code=data["code"], password=data["password"], ip=ip, request=request
                )
                messages.success(request, _("密码已重置，请用手机号和新密码登录。"))
                return redirect("accounts:login")
        except ServiceError as exc:
            _errors_onto(form, exc, "phone")
            status = exc.status_code
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "signup/reset.html",
        {"form": form, "sent": sent, "code_minutes": services.code_minutes()},
        status=status,
    )


def privacy_page(request: HttpRequest) -> HttpResponse:
    return render(request, "signup/privacy.html", {"notice_version": services.NOTICE_VERSION})


@login_required
def links_page(request: HttpRequest) -> HttpResponse:
    """A resident's link request (form and status); staff: the pending requests of their area."""
    form = LinkForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.link_request(
                by=request.user,
                household_id=form.cleaned_data["household_id"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("已提交，等待网格员确认。"))
            return redirect("signup:links")
        except ServiceError as exc:
            _errors_onto(form, exc, "household_id")
            status = exc.status_code
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "mine": selectors.link_requests_of(user=request.user),
        "pending": selectors.link_requests_pending(viewer=request.user),
    }
    return render(request, "signup/links.html", context, status=status)


@login_required
@require_POST
def link_decide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.link_decide(request_id=pk, by=request.user, confirm=request.POST.get("confirm") == "1")
        messages.success(request, _("已处理。"))
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect("signup:links")
