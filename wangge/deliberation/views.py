"""Deliberation pages. Residents (phone first): proposals and supports, conventions to acknowledge, the
resolutions of their councils' meetings, signing in to a meeting. Staff and convenors (desk): councils,
meetings with agenda, notice, sign-in code, minutes and resolutions, conventions, mediation.

Every page calls one selector or service; a failed form is shown again with each message next to its
field (status 422)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import Role, user_can
from wangge.appeals.models import Category
from wangge.areas.models import Area
from wangge.core.errors import Forbidden, NotFound, ServiceError
from wangge.core.feedback import error_message
from wangge.core.scoping import scope_for

from . import forms, selectors, services
from .models import Convention, Council, Dispute, FollowUp, Meeting, Party, home_area_code


def _status(*forms_: djforms.Form) -> int:
    return 422 if any(f.is_bound and f.errors for f in forms_) else 200


def _manage_perm(request: HttpRequest) -> bool:
    return user_can(request.user, services.PERM)


def _scoped_areas(request: HttpRequest, levels: tuple[str, ...]) -> list[tuple[str, str]]:
    qs = Area.objects.filter(scope_for(request.user).q("code"), level__in=levels).order_by("code")[:500]
    return [(a.code, f"{a.name}（{a.code}）") for a in qs]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    ctx: dict[str, Any] = {
        "staff": _manage_perm(request),
        "resident": bool(home_area_code(user)),
        "proposals": list(selectors.proposal_list(viewer=user).exclude(status="withdrawn")[:6]),
        "conventions": list(selectors.convention_list(viewer=user, status="published")[:6]),
        "resolutions": [
            (r, selectors.resolution_progress(r)) for r in selectors.resolutions_recent(viewer=user, limit=8)
        ],
        "meetings": list(selectors.meeting_list(viewer=user, upcoming=True)[:6]),
        "follow_ups": selectors.follow_ups_mine(viewer=user),
    }
    return render(request, "deliberation/home.html", ctx)


# --- proposals --------------------------------------------------------------------------------------------


@login_required
def proposals(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    try:
        rows = list(selectors.proposal_list(viewer=request.user, status=status)[:200])
    except ServiceError:
        rows = []
    return render(
        request,
        "deliberation/proposals.html",
        {"rows": rows, "can_propose": bool(home_area_code(request.user)), "status": status},
    )


@login_required
def proposal_new(request: HttpRequest) -> HttpResponse:
    if not home_area_code(request.user):
        raise Forbidden(_("只有登记在册的居民可以提议"))
    form = forms.ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        p = forms.apply(
            form,
            lambda: services.proposal_create(
                by=request.user, title=d["title"], body=d["body"], scope=d["scope"]
            ),
        )
        if p is not None:
            messages.success(request, _("提议已发布，邀请邻居支持吧"))
            return redirect("deliberation:proposal", pk=p.pk)
    return render(request, "deliberation/proposal_new.html", {"form": form}, status=_status(form))


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = selectors.proposal_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "support":
                _p, crossed = services.proposal_support(proposal=p, by=request.user)
                messages.success(request, _("已达到门槛，将提交议事会议") if crossed else _("感谢支持"))
            elif action == "withdraw":
                services.proposal_withdraw(proposal=p, by=request.user)
                messages.success(request, _("提议已撤回"))
        except ServiceError as exc:
            error_message(request, exc)
        return redirect("deliberation:proposal", pk=pk)
    item = selectors.proposal_agenda(p)
    return render(
        request,
        "deliberation/proposal.html",
        {
            "p": p,
            "item": item,
            "can_support": services.lives_in(request.user, p.area.code)
            and p.status not in ("decided", "withdrawn"),
            "percent": min(100, round(100 * p.support_count / p.threshold)) if p.threshold else 100,
        },
    )


# --- conventions ------------------------------------------------------------------------------------------


@login_required
def conventions(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.convention_list(viewer=request.user)[:200])
    return render(request, "deliberation/conventions.html", {"rows": rows, "staff": _manage_perm(request)})


def _manageable_councils(request: HttpRequest) -> list[Council]:
    return [
        c
        for c in selectors.council_list(viewer=request.user)[:300]
        if services.can_manage_council(request.user, c)
    ]


@login_required
def convention_new(request: HttpRequest) -> HttpResponse:
    councils = _manageable_councils(request)
    if not councils:
        raise Forbidden(_("只有议事会召集人或辖区工作人员可以起草公约"))
    form = forms.ConventionForm(request.POST or None)
    form.fields["council"].choices = [(c.pk, c.name) for c in councils]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        council = next(c for c in councils if str(c.pk) == d["council"])
        c = forms.apply(
            form,
            lambda: services.convention_create(
                council=council, title=d["title"], text=d["text"], by=request.user
            ),
        )
        if c is not None:
            messages.success(request, _("公约草案已保存"))
            return redirect("deliberation:convention", pk=c.pk)
    return render(request, "deliberation/convention_new.html", {"form": form}, status=_status(form))


@login_required
def convention_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = selectors.convention_get(viewer=request.user, pk=pk)
    manage = services.can_manage_council(request.user, c.council)
    revise = forms.bound(forms.ReviseForm, request, "revise")
    adopt = forms.bound(forms.AdoptForm, request, "adopt")
    resolutions = list(
        c.council.meetings.filter(resolutions__isnull=False)
        .values_list("resolutions__pk", "resolutions__text", "title")
        .order_by("-starts_at")[:50]
    )
    adopt.fields["resolution"].choices = [("", "—")] + [(r, f"{t}：{x[:30]}") for r, x, t in resolutions]  # type: ignore[attr-defined]
    if request.method == "POST":
        action = request.POST.get("action")
        done = None
        if action == "acknowledge":
            try:
                services.convention_acknowledge(convention=c, by=request.user)
                messages.success(request, _("已确认知晓"))
            except ServiceError as exc:
                error_message(request, exc)
            return redirect("deliberation:convention", pk=pk)
        if action == "revise" and revise.is_valid():
            d = revise.cleaned_data
            done = forms.apply(
                revise,
                lambda: services.convention_revise(
                    convention=c, text=d["text"], note=d["note"], by=request.user
                ),
            )
        elif action == "adopt" and adopt.is_valid():
            rid = adopt.cleaned_data["resolution"]

            def _adopt() -> Any:
                res = selectors.resolution_get(viewer=request.user, pk=int(rid)) if rid else None
                return services.convention_adopt(convention=c, resolution=res, by=request.user)

            done = forms.apply(adopt, _adopt)
        if done is not None:
            messages.success(request, _("已保存"))
            return redirect("deliberation:convention", pk=pk)
    ctx = {
        "c": c,
        "text": selectors.convention_text(c),
        "versions": list(c.versions.order_by("-number")),
        "manage": manage,
        "revise": revise,
        "adopt": adopt,
        "can_ack": c.status == Convention.Status.PUBLISHED and services.lives_in(request.user, c.area.code),
    }
    return render(request, "deliberation/convention.html", ctx, status=_status(revise, adopt))


# --- councils and meetings --------------------------------------------------------------------------------


@login_required
def councils(request: HttpRequest) -> HttpResponse:
    staff = _manage_perm(request)
    form = forms.bound(forms.CouncilForm, request, "create")
    form.fields["area"].choices = _scoped_areas(request, ("community", "grid", "microgrid")) if staff else []  # type: ignore[attr-defined]
    if request.method == "POST" and staff and form.is_valid():
        d = form.cleaned_data
        area = Area.objects.get(code=d["area"])
        c = forms.apply(
            form,
            lambda: services.council_create(
                name=d["name"], area=area, proposal_threshold=d["proposal_threshold"], by=request.user
            ),
        )
        if c is not None:
            messages.success(request, _("议事会已设立"))
            return redirect("deliberation:council", pk=c.pk)
    rows = list(selectors.council_list(viewer=request.user)[:300])
    return render(
        request,
        "deliberation/councils.html",
        {"rows": rows, "staff": staff, "form": form},
        status=_status(form),
    )


@login_required
def council_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = selectors.council_get(viewer=request.user, pk=pk)
    manage = services.can_manage_council(request.user, c)
    staff = services.is_staff_for(request.user, c.area.code)
    meeting_form = forms.bound(forms.MeetingForm, request, "meeting")
    member_form = forms.bound(forms.MemberForm, request, "member")
    candidates = (
        User.objects.filter(is_active=True).exclude(role__in=[Role.ADMIN]).order_by("username")[:300]
        if staff
        else []
    )
    member_form.fields["user"].choices = [(u.pk, f"{u}（{u.username}）") for u in candidates]  # type: ignore[attr-defined]
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "meeting" and meeting_form.is_valid():
            d = meeting_form.cleaned_data
            m = forms.apply(
                meeting_form,
                lambda: services.meeting_create(
                    council=c,
                    title=d["title"],
                    starts_at=d["starts_at"],
                    place=d["place"],
                    online_url=d["online_url"],
                    by=request.user,
                ),
            )
            if m is not None:
                messages.success(request, _("会议已创建"))
                return redirect("deliberation:meeting", pk=m.pk)
        elif action == "member" and member_form.is_valid():
            d = member_form.cleaned_data
            user = User.objects.filter(pk=d["user"]).first()
            if user is None:
                raise Http404
            member = forms.apply(
                member_form,
                lambda: services.council_member_add(
                    council=c,
                    user=user,
                    role=d["role"],
                    note=d["note"],
                    by=request.user,  # type: ignore[arg-type]
                ),
            )
            if member is not None:
                messages.success(request, _("成员已加入"))
                return redirect("deliberation:council", pk=pk)
    ctx = {
        "c": c,
        "manage": manage,
        "staff": staff,
        "members": list(selectors.member_list(council=c)),
        "meetings": list(selectors.meeting_list(viewer=request.user, council=c)[:50]),
        "proposals": list(selectors.proposal_list(viewer=request.user, council=c.pk)[:50]),
        "meeting_form": meeting_form,
        "member_form": member_form,
    }
    return render(request, "deliberation/council.html", ctx, status=_status(meeting_form, member_form))


def _categories() -> list[tuple[str, str]]:
    qs = Category.objects.filter(active=True, parent__isnull=False).select_related("parent").order_by("code")
    return [(c.code, f"{c.parent.name} · {c.name}") for c in qs]  # type: ignore[union-attr]


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(viewer=request.user, pk=pk)
    council = m.council
    manage = services.can_manage_council(request.user, council)
    staff = services.is_staff_for(request.user, council.area.code)
    agenda = selectors.agenda_list(meeting=m)
    agenda_form = forms.bound(forms.AgendaForm, request, "agenda")
    minutes_form = forms.bound(forms.MinutesForm, request, "minutes", initial={"minutes": m.minutes})
    resolution_form = forms.bound(forms.ResolutionForm, request, "resolution")
    resolution_form.fields["agenda_item"].choices = [("", "—")] + [  # type: ignore[attr-defined]
        (a.pk, f"{a.position}. {a.title}") for a in agenda
    ]
    case_form = forms.bound(forms.ToCaseForm, request, "case")
    case_form.fields["category"].choices = _categories() if staff else []  # type: ignore[attr-defined]
    follow_form = forms.bound(forms.FollowUpForm, request, "follow_up")
    owners = [mm.user for mm in selectors.member_list(council=council)] if manage else []
    follow_form.fields["owner"].choices = [(u.pk, str(u)) for u in owners]  # type: ignore[attr-defined]
    update_form = forms.bound(forms.FollowUpUpdateForm, request, "follow_up_update")
    target = int(request.POST.get("resolution") or 0) if request.method == "POST" else 0

    if request.method == "POST":
        action = request.POST.get("action")
        done: Any = None
        if action == "notice":
            try:
                n = services.meeting_notify(meeting=m, by=request.user)
                messages.success(request, _("已通知 %(n)s 名成员") % {"n": n})
            except ServiceError as exc:
                error_message(request, exc)
            return redirect("deliberation:meeting", pk=pk)
        if action == "agenda" and agenda_form.is_valid():
            d = agenda_form.cleaned_data
            done = forms.apply(
                agenda_form,
                lambda: services.agenda_add(
                    meeting=m,
                    title=d["title"],
                    description=d["description"],
                    appeal_id=d["appeal_id"],
                    by=request.user,
                ),
            )
        elif action == "minutes" and minutes_form.is_valid():
            done = forms.apply(
                minutes_form,
                lambda: services.meeting_record_minutes(
                    meeting=m, minutes=minutes_form.cleaned_data["minutes"], by=request.user
                ),
            )
        elif action == "resolution" and resolution_form.is_valid():
            d = resolution_form.cleaned_data
            item = next((a for a in agenda if str(a.pk) == d["agenda_item"]), None)
            done = forms.apply(
                resolution_form,
                lambda: services.resolution_add(
                    meeting=m,
                    text=d["text"],
                    agenda_item=item,
                    votes_for=d["votes_for"],
                    votes_against=d["votes_against"],
                    votes_abstain=d["votes_abstain"],
                    by=request.user,
                ),
            )
        elif action in ("case", "follow_up", "follow_up_update"):
            try:
                r = selectors.resolution_get(viewer=request.user, pk=target)
                if r.meeting_id != m.pk:
                    raise NotFound(_("未找到"))
            except ServiceError as exc:
                raise Http404(exc.detail) from exc
            if action == "case" and case_form.is_valid():
                d = case_form.cleaned_data
                done = forms.apply(
                    case_form,
                    lambda: services.resolution_to_case(
                        resolution=r, category=d["category"], description=d["description"], by=request.user
                    ),
                )
            elif action == "follow_up" and follow_form.is_valid():
                d = follow_form.cleaned_data
                owner = next((u for u in owners if str(u.pk) == d["owner"]), None)
                done = forms.apply(
                    follow_form,
                    lambda: services.resolution_follow_up(
                        resolution=r, owner=owner, due_on=d["due_on"], note=d["note"], by=request.user
                    ),
                )
            elif action == "follow_up_update" and update_form.is_valid():
                d = update_form.cleaned_data
                f = FollowUp.objects.filter(resolution=r).first()
                if f is None:
                    raise Http404
                done = forms.apply(
                    update_form,
                    lambda: services.follow_up_update(
                        follow_up=f, state=d["state"], note=d["note"], by=request.user
                    ),
                )
        if done is not None:
            messages.success(request, _("已保存"))
            return redirect("deliberation:meeting", pk=pk)

    resolutions = [(r, selectors.resolution_progress(r)) for r in selectors.resolution_list(meeting=m)]
    ctx = {
        "m": m,
        "council": council,
        "manage": manage,
        "staff": staff,
        "member": services.membership(request.user, council) is not None,
        "agenda": agenda,
        "attendance": selectors.attendance_list(meeting=m) if manage else [],
        "attendance_count": m.attendance.count(),
        "resolutions": resolutions,
        "agenda_form": agenda_form,
        "minutes_form": minutes_form,
        "resolution_form": resolution_form,
        "case_form": case_form,
        "follow_form": follow_form,
        "update_form": update_form,
        "target": target,
        "open": m.status in (Meeting.Status.PLANNED, Meeting.Status.NOTICED),
        "started": m.starts_at <= timezone.now(),
        "user_id": request.user.pk,
    }
    forms_ = (agenda_form, minutes_form, resolution_form, case_form, follow_form, update_form)
    return render(request, "deliberation/meeting.html", ctx, status=_status(*forms_))


@login_required
def meeting_sign_in(request: HttpRequest, pk: int) -> HttpResponse:
    m = selectors.meeting_get(viewer=request.user, pk=pk)
    form = forms.SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        a = forms.apply(
            form, lambda: services.meeting_sign_in(meeting=m, by=request.user, mode=d["mode"], code=d["code"])
        )
        if a is not None:
            messages.success(request, _("签到成功"))
            return redirect("deliberation:meeting", pk=pk)
    return render(request, "deliberation/sign_in.html", {"m": m, "form": form}, status=_status(form))


# --- mediation --------------------------------------------------------------------------------------------


def _require_staff(request: HttpRequest) -> None:
    if not _manage_perm(request):
        raise Forbidden(_("无权查看纠纷调解"))


@login_required
def mediations(request: HttpRequest) -> HttpResponse:
    rows = []
    qs = selectors.dispute_list(
        viewer=request.user, status=request.GET.get("status") or None, kind=request.GET.get("kind") or None
    )
    for d in qs[:200]:
        rows.append({"d": d, "parties": [selectors.party_view(p) for p in d.parties.all()]})
    return render(
        request,
        "deliberation/mediations.html",
        {"rows": rows, "staff": _manage_perm(request), "kinds": Dispute.Kind.choices},
    )


@login_required
def mediation_new(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    form = forms.DisputeForm(request.POST or None)
    form.fields["area"].choices = _scoped_areas(request, ("grid",))  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        area = Area.objects.get(code=d["area"])
        parties = [
            {"name": d["applicant_name"], "phone": d["applicant_phone"], "side": Party.Side.APPLICANT},
            {
                "name": d["respondent_name"],
                "phone": d["respondent_phone"],
                "side": Party.Side.RESPONDENT,
                "kind": d["respondent_kind"],
            },
        ]
        dispute = forms.apply(
            form,
            lambda: services.dispute_open(
                area=area,
                kind=d["kind"],
                matter=d["matter"],
                description=d["description"],
                parties=parties,
                by=request.user,
            ),
            aliases=forms.DisputeForm.ALIASES,
        )
        if dispute is not None:
            messages.success(request, _("纠纷已受理"))
            return redirect("deliberation:mediation", pk=dispute.pk)
    return render(request, "deliberation/mediation_new.html", {"form": form}, status=_status(form))


@login_required
def mediation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    d = selectors.dispute_get(viewer=request.user, pk=pk)
    staff = services.is_staff_for(request.user, d.area.code)
    mediate = services.can_mediate(request.user, d)
    mediator_form = forms.bound(forms.MediatorForm, request, "mediator")
    session_form = forms.bound(forms.SessionForm, request, "session")
    close_form = forms.bound(forms.CloseForm, request, "close")
    visit_form = forms.bound(forms.VisitForm, request, "visit")
    revealed: dict[int, dict[str, str]] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        done: Any = None
        if action == "reveal":
            party = d.parties.filter(pk=int(request.POST.get("party") or 0)).first()
            if party is None:
                raise Http404
            revealed[party.pk] = services.party_reveal(party=party, by=request.user)
        elif action == "mediator" and mediator_form.is_valid():
            x = mediator_form.cleaned_data
            done = forms.apply(
                mediator_form,
                lambda: services.mediator_add(
                    dispute=d, kind=x["kind"], name=x["name"], lead=x["lead"], by=request.user
                ),
            )
        elif action == "session" and session_form.is_valid():
            x = session_form.cleaned_data
            done = forms.apply(
                session_form,
                lambda: services.session_record(
                    dispute=d, notes=x["notes"], place=x["place"], by=request.user
                ),
            )
        elif action == "close" and close_form.is_valid():
            x = close_form.cleaned_data
            done = forms.apply(
                close_form,
                lambda: services.dispute_close(
                    dispute=d,
                    outcome=x["outcome"],
                    terms=x["terms"],
                    referred_to=x["referred_to"],
                    by=request.user,
                ),
            )
        elif action == "visit" and visit_form.is_valid():
            x = visit_form.cleaned_data
            done = forms.apply(
                visit_form,
                lambda: services.visit_record(dispute=d, note=x["note"], kept=x["kept"], by=request.user),
            )
        if done is not None:
            messages.success(request, _("已保存"))
            return redirect("deliberation:mediation", pk=pk)
        d = selectors.dispute_get(viewer=request.user, pk=pk)
    parties = []
    for p in d.parties.all():
        view = selectors.party_view(p)
        if p.pk in revealed:
            view.update(revealed[p.pk])
            view["revealed"] = True
        parties.append(view)
    ctx = {
        "d": d,
        "staff": staff,
        "mediate": mediate,
        "parties": parties,
        "mediators": list(d.mediators.all()),
        "sessions": list(d.sessions.all()),
        "visits": list(d.visits.all()),
        "mediator_form": mediator_form,
        "session_form": session_form,
        "close_form": close_form,
        "visit_form": visit_form,
    }
    status = _status(mediator_form, session_form, close_form, visit_form)
    return render(request, "deliberation/mediation.html", ctx, status=status)


@login_required
def mediation_stats(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level") or "community"
    try:
        since = dt.date.fromisoformat(request.GET["since"]) if request.GET.get("since") else None
    except ValueError:
        since = None
    since_dt = timezone.make_aware(dt.datetime.combine(since, dt.time())) if since else None
    stats = selectors.mediation_counts(
        viewer=request.user,
        level=level if level in ("street", "community", "grid") else "community",
        since=since_dt,
    )
    kinds = dict(Dispute.Kind.choices)
    outcomes = {**{k: v for k, v in Dispute.Outcome.choices if k}, "pending": _("办理中")}
    rows = [
        {
            "code": a["area_code"],
            "name": a["area_name"],
            "total": a["total"],
            "kinds": [a["by_kind"].get(k, 0) for k in kinds],
            "outcomes": [a["by_outcome"].get(o, 0) for o in outcomes],
        }
        for a in stats["areas"]
    ]
    totals = {
        "kinds": [stats["by_kind"].get(k, 0) for k in kinds],
        "outcomes": [stats["by_outcome"].get(o, 0) for o in outcomes],
    }
    return render(
        request,
        "deliberation/mediation_stats.html",
        {
            "stats": stats,
            "kinds": list(kinds.values()),
            "outcomes": list(outcomes.values()),
            "rows": rows,
            "totals": totals,
            "level": level,
        },
    )
