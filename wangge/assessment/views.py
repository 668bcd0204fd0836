"""Assessment pages (phone first, cards): schemes, a period's ranking, a score with its items and evidence, the
evidence of one item, grades (三岗十八级) and 金牌网格员 nominations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.core.errors import Forbidden, InvalidInput, NotFound, ServiceError
from wangge.core.feedback import error_message

from . import selectors, services
from .models import GridWorkerGrade, Nomination, ScoreRun

PAGE = 50


def _or_404(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    schemes = list(selectors.scheme_list(viewer=request.user)[:200])
    latest: dict[int, ScoreRun] = {}
    for run in ScoreRun.objects.filter(scheme__in=schemes).order_by("scheme_id", "-period_start"):
        latest.setdefault(run.scheme_id, run)
    rows = [
        {"s": s, "period": services.period_key(s.period, latest[s.pk].period_start) if s.pk in latest else ""}
        for s in schemes
    ]
    return render(
        request,
        "assessment/home.html",
        {"rows": rows, "manage": user_can(request.user, "assessment.manage")},
    )


@login_required
def scheme(request: HttpRequest, pk: int) -> HttpResponse:
    s = _or_404(selectors.scheme_get, viewer=request.user, pk=pk)
    runs = selectors.run_list(scheme=s)
    ctx = {
        "s": s,
        "items": [selectors.item_view(i) for i in s.items.all()],
        "total_weight": sum(float(i.weight) for i in s.items.all()),
        "versions": selectors.scheme_versions(s),
        "periods": [services.period_key(s.period, r.period_start) for r in runs],
        "manage": user_can(request.user, "assessment.manage")
        and selectors.in_scope(request.user, s.area.code),
        "suggest": services.period_key(s.period, services.last_period_start(s.period, dt.date.today())),
    }
    return render(request, "assessment/scheme.html", ctx)


@login_required
@require_POST
def scheme_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    s = _or_404(selectors.scheme_get, viewer=request.user, pk=pk)
    target = reverse("assessment:scheme", args=[s.pk])
    try:
        if step == "activate":
            services.scheme_activate(scheme=s, by=request.user)
        elif step == "version":
            new = services.scheme_new_version(scheme=s, by=request.user)
            target = reverse("assessment:scheme", args=[new.pk])
        elif step == "compute":
            start = services.period_parse(s.period, request.POST.get("period", "").strip())
            services.score_compute(scheme=s, period_start=start, by=request.user)
            target = (
                reverse("assessment:ranking", args=[s.pk]) + "?period=" + services.period_key(s.period, start)
            )
        elif step == "items":
            items = []
            for key in request.POST.getlist("figure"):
                items.append(
                    {
                        "figure": key,
                        "weight": request.POST.get(f"weight_{key}", ""),
                        "formula": request.POST.get(f"formula_{key}", "linear"),
                        "floor": request.POST.get(f"floor_{key}", "0") or "0",
                        "target": request.POST.get(f"target_{key}", "1") or "1",
                    }
                )
            services.scheme_update(scheme=s, items=items, by=request.user)
        else:
            raise Http404
    except ServiceError as exc:
        error_message(request, exc)
    return redirect(target)


@login_required
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    s = _or_404(selectors.scheme_get, viewer=request.user, pk=pk)
    runs = selectors.run_list(scheme=s)
    periods = [services.period_key(s.period, r.period_start) for r in runs]
    period = request.GET.get("period") or (periods[0] if periods else "")
    data: dict[str, Any] | None = None
    if period:
        try:
            start = services.period_parse(s.period, period)
            data = selectors.ranking(viewer=request.user, run=selectors.run_for(scheme=s, period_start=start))
        except ServiceError:
            data = None
    return render(
        request,
        "assessment/ranking.html",
        {"s": s, "periods": periods, "period": period, "data": data},
    )


@login_required
def score(request: HttpRequest, pk: int) -> HttpResponse:
    sc = _or_404(selectors.score_get, viewer=request.user, pk=pk)
    items = list(sc.items.all())
    first = selectors.evidence_first(items)
    rows = [{"i": i, "evidence": first[i.pk]} for i in items]
    nominate = (
        sc.subject_kind == "grid_worker"
        and user_can(request.user, "assessment.manage")
        and selectors.in_scope(request.user, sc.area_code[:12])
        and sc.rank is not None  # type: ignore[attr-defined]
    )
    ctx = {
        "sc": sc,
        "rows": rows,
        "grade": selectors.grade_for_user(sc.user_id),
        "period": services.period_key(sc.scheme.period, sc.period_start),
        "nominate": nominate,
        "min_sample": services.config()["min_sample"],
    }
    return render(request, "assessment/score.html", ctx)


@login_required
def evidence(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    sc = _or_404(selectors.score_get, viewer=request.user, pk=pk)
    item = _or_404(selectors.score_item_get, viewer=request.user, score=sc, item_id=item_id)
    try:
        page = max(1, min(100_000, int(request.GET.get("page", "1"))))
    except ValueError:
        page = 1
    rows = selectors.evidence_page(item=item, offset=(page - 1) * PAGE, limit=PAGE)
    pages = max(1, (item.evidence_count + PAGE - 1) // PAGE)
    return render(
        request,
        "assessment/evidence.html",
        {"sc": sc, "item": item, "rows": rows, "page": page, "pages": pages},
    )


@login_required
def grades(request: HttpRequest) -> HttpResponse:
    try:
        posts = selectors.grid_worker_posts(viewer=request.user)
    except Forbidden as exc:
        raise Http404(exc.detail) from exc
    return render(
        request,
        "assessment/grades.html",
        {
            "posts": posts,
            "manage": user_can(request.user, "assessment.manage"),
            "tiers": GridWorkerGrade.Tier.choices,
            "levels": range(1, 7),
            "today": dt.date.today(),
        },
    )


@login_required
@require_POST
def grade_set(request: HttpRequest, pk: int) -> HttpResponse:
    post = _or_404(selectors.post_get, viewer=request.user, pk=pk)
    try:
        try:
            tier, level = int(request.POST.get("tier", "")), int(request.POST.get("level", ""))
        except ValueError:
            raise InvalidInput.field("tier", "请选择岗和级") from None
        try:
            since = dt.date.fromisoformat(request.POST.get("since", ""))
        except ValueError:
            raise InvalidInput.field("since", "请填写定级日期") from None
        services.grade_set(
            post=post,
            tier=tier,
            level=level,
            since=since,
            note=request.POST.get("note", "")[:200],
            by=request.user,
        )
    except ServiceError as exc:
        error_message(request, exc)
    return redirect(reverse("assessment:grades") + f"#post-{post.pk}")


@login_required
def nominations(request: HttpRequest) -> HttpResponse:
    try:
        rows = list(selectors.nomination_list(viewer=request.user)[:200])
    except Forbidden as exc:
        raise Http404(exc.detail) from exc
    return render(
        request,
        "assessment/nominations.html",
        {"rows": rows, "confirm": user_can(request.user, "assessment.confirm"), "State": Nomination.State},
    )


@login_required
@require_POST
def nominate(request: HttpRequest, pk: int) -> HttpResponse:
    sc = _or_404(selectors.score_get, viewer=request.user, pk=pk)
    try:
        services.nomination_create(score=sc, reason=request.POST.get("reason", "")[:200], by=request.user)
    except ServiceError as exc:
        error_message(request, exc)
        return redirect("assessment:score", pk=sc.pk)
    return redirect("assessment:nominations")


@login_required
@require_POST
def decide(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    nom = _or_404(selectors.nomination_get, viewer=request.user, pk=pk)
    if step not in ("confirm", "reject"):
        raise Http404
    try:
        services.nomination_decide(
            nomination=nom,
            confirm=step == "confirm",
            note=request.POST.get("note", "")[:200],
            by=request.user,
        )
    except ServiceError as exc:
        error_message(request, exc)
    return redirect("assessment:nominations")
