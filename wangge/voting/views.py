"""Pages: owners vote and answer on the phone; staff and committees run votes and surveys at the desk."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.areas.models import Area
from wangge.core.downloads import download_response
from wangge.core.errors import InvalidInput, NotFound, ServiceError
from wangge.core.feedback import error_message
from wangge.core.scoping import scope_for
from wangge.registry.models import Building, Household

from . import exports, selectors, services
from .models import Ballot, Matter, Question, RuleSet, Survey, Vote

CHOICES = Ballot.Choice.choices


def _vote(request: HttpRequest, pk: int) -> Vote:
    try:
        return selectors.vote_get(viewer=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _survey(request: HttpRequest, pk: int) -> Survey:
    try:
        return selectors.survey_get(viewer=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    staff = user_can(request.user, "registry.write")
    votes = list(selectors.vote_list(viewer=request.user)[:100])
    surveys = list(selectors.survey_list(viewer=request.user)[:100])
    return render(request, "voting/home.html", {"votes": votes, "surveys": surveys, "staff": staff})


def _result_rows(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not result:
        return []
    labels = (("participants", _("参与表决")), ("approve", _("同意")), ("reject", _("反对")), ("abstain", _("弃权")),
              ("none", _("未表决")))  # fmt: skip
    return [{"label": lab, **result[k]} for k, lab in labels]


@login_required
def vote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    can_count = services.can_count(request.user, vote)
    result = selectors.vote_result(viewer=request.user, vote=vote)
    voters = []
    q = request.GET.get("q", "").strip()
    if can_count and q:
        voters = list(selectors.voter_list(viewer=request.user, vote=vote, q=q)[:30])
    ctx = {
        "vote": vote,
        "me": selectors.my_voters(viewer=request.user, vote=vote),
        "result": result,
        "rows": _result_rows(result),
        "can_count": can_count,
        "staff": services.is_staff_for(request.user, vote.area),
        "choices": CHOICES,
        "voters": voters,
        "q": q,
        "is_open": vote.status == Vote.Status.OPEN and vote.opens_at <= timezone.now() < vote.closes_at,
    }
    return render(request, "voting/vote.html", ctx)


@login_required
@require_POST
def vote_cast(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    try:
        voter = request.POST.get("voter_id")
        services.ballot_cast(vote=vote, choice=request.POST.get("choice", ""), by=request.user,
                             voter_id=int(voter) if voter else None)  # fmt: skip
        messages.success(request, _("已提交表决意见，谢谢参与"))
    except ServiceError as exc:
        error_message(request, exc)
    except ValueError:
        messages.error(request, _("业主身份无效"))
    return redirect("voting:vote", pk=pk)


@login_required
@require_POST
def vote_paper(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    try:
        services.ballot_enter_paper(
            vote=vote, voter_id=int(request.POST.get("voter_id") or 0), choice=request.POST.get("choice", ""),
            photo=request.FILES.get("photo"), signer=request.POST.get("signer", ""), by=request.user,
        )  # fmt: skip
        messages.success(request, _("纸质表决票已录入"))
    except ServiceError as exc:
        error_message(request, exc)
        return _back_to_search(pk, request.POST.get("q", ""))
    except ValueError:
        messages.error(request, _("业主编号无效"))
    return redirect("voting:vote", pk=pk)


def _back_to_search(pk: int, q: str) -> HttpResponse:
    """After a refused paper ballot, the same owner search, so that the message sits next to its field."""
    q = q.strip()[:40]
    if not q:
        return redirect("voting:vote", pk=pk)
    return redirect(reverse("voting:vote", args=[pk]) + "?" + urlencode({"q": q}))


@login_required
@require_POST
def vote_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    vote = _vote(request, pk)
    actions: dict[str, Any] = {
        "open": services.vote_open,
        "close": services.vote_close,
        "publish": services.vote_publish,
    }
    if step not in actions:
        raise Http404
    try:
        actions[step](vote=vote, by=request.user)
        messages.success(
            request,
            {"open": _("表决已开始"), "close": _("表决已截止并计票"), "publish": _("结果已公示")}[step],
        )
    except ServiceError as exc:
        error_message(request, exc)
    return redirect("voting:vote", pk=pk)


@login_required
def vote_ballots(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    try:
        ballots = list(selectors.ballot_list(viewer=request.user, vote=vote)[:5000])
    except ServiceError as exc:
        raise Http404(exc.detail) from exc
    for b in ballots:
        b.area = Decimal(b.voter.area_centi) / 100  # type: ignore[attr-defined]
    return render(request, "voting/ballots.html", {"vote": vote, "ballots": ballots})


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return download_response(content, filename)  # the Chinese file name survives (core.downloads)


@login_required
def vote_export(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _vote(request, pk)
    result = selectors.vote_result(viewer=request.user, vote=vote)
    if result is None:
        raise Http404(_("结果尚未公示"))
    ballots = list(selectors.ballot_list(viewer=request.user, vote=vote)) if services.can_count(
        request.user, vote) else None  # fmt: skip
    return _xlsx(exports.vote_xlsx(vote, result, ballots), f"vote-{vote.pk}.xlsx")


def _dt(value: str | None, field: str) -> datetime:
    try:
        return timezone.make_aware(datetime.fromisoformat(value or ""))
    except ValueError as exc:
        raise InvalidInput.field(field, _("时间格式不正确")) from exc


def _areas(user: Any) -> list[Area]:
    scope = scope_for(user)
    qs = Area.objects.filter(level__in=("community", "grid")).filter(scope.q("code")).order_by("code")
    return list(qs[:300])


@login_required
def vote_new(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, "registry.write"):
        raise Http404
    areas = _areas(request.user)
    buildings = list(
        Building.objects.filter(scope_for(request.user).q("area__code")).order_by("area__code", "name")[:500]
    )
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            area = next((a for a in areas if a.code == request.POST.get("area")), None)
            if area is None:
                raise InvalidInput.field("area", _("请选择区域"))
            rule_set = RuleSet.objects.filter(pk=request.POST.get("rule_set") or 0).first()
            if rule_set is None:
                raise InvalidInput.field("rule_set", _("请选择表决规则"))
            building = next((b for b in buildings if str(b.pk) == request.POST.get("building")), None)
            entrance = request.POST.get("entrance")
            vote = services.vote_create(
                title=request.POST.get("title", ""), matter=request.POST.get("matter", ""), area=area,
                rule_set=rule_set, opens_at=_dt(request.POST.get("opens_at"), "opens_at"),
                closes_at=_dt(request.POST.get("closes_at"), "closes_at"), scope=request.POST.get("scope", ""),
                building=building, entrance=int(entrance) if entrance else None,
                description=request.POST.get("description", ""), by=request.user,
            )  # fmt: skip
            messages.success(request, _("表决已创建（草稿），核对范围后开始表决"))
            return redirect("voting:vote", pk=vote.pk)
        except ServiceError as exc:
            error_message(request, exc)
        except ValueError:
            messages.error(request, _("单元须为数字"))
    ctx = {"areas": areas, "buildings": buildings, "rule_sets": selectors.ruleset_list(), "matters": Matter.choices,
           "scopes": Vote.Scope.choices, "form": form}  # fmt: skip
    return render(request, "voting/vote_new.html", ctx)


# --- surveys ------------------------------------------------------------------------------------------


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    staff = services.is_staff_for(request.user, survey.area)
    status = 200
    if request.method == "POST":
        answers: dict[str, Any] = {}
        for q in survey.questions.all():
            # "answers.<id>" is the service's error field, so app.js puts its message at that question;
            # "q<id>" is the older name, still taken.
            key = f"answers.{q.pk}" if f"answers.{q.pk}" in request.POST else f"q{q.pk}"
            if q.kind == Question.Kind.MULTIPLE:
                answers[str(q.pk)] = [int(v) for v in request.POST.getlist(key) if v.isdigit()]
            elif q.kind in (Question.Kind.SINGLE, Question.Kind.RATING):
                v = request.POST.get(key, "")
                answers[str(q.pk)] = int(v) if v.isdigit() else None
            else:
                answers[str(q.pk)] = request.POST.get(key, "")
        try:
            hh = request.POST.get("household")
            if staff and hh:
                household = Household.objects.filter(pk=int(hh) if hh.isdigit() else 0).first()
                if household is None:
                    raise InvalidInput.field("household", _("户不存在"))
                services.survey_enter_paper(
                    survey=survey, household=household, answers=answers, by=request.user
                )
                messages.success(request, _("纸质问卷已录入"))
            else:
                services.survey_answer(survey=survey, answers=answers, by=request.user)
                messages.success(request, _("已提交，谢谢参与"))
                return redirect("voting:survey_results", pk=pk)
        except ServiceError as exc:
            error_message(request, exc)
            status = exc.status_code
    ctx = {
        "survey": survey,
        "questions": list(survey.questions.all()),
        "answered": selectors.has_answered(viewer=request.user, survey=survey),
        "staff": staff,
        "is_open": survey.status == Survey.Status.OPEN
        and survey.opens_at <= timezone.now() < survey.closes_at,
    }
    return render(request, "voting/survey.html", ctx, status=status)


@login_required
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    results = selectors.survey_results(viewer=request.user, survey=survey)
    staff = services.is_staff_for(request.user, survey.area)
    return render(request, "voting/survey_results.html", {"survey": survey, "r": results, "staff": staff})


@login_required
def survey_export(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    return _xlsx(exports.survey_xlsx(survey, selectors.survey_results(viewer=request.user, survey=survey)),
                 f"survey-{survey.pk}.xlsx")  # fmt: skip


@login_required
@require_POST
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        a = services.answer_moderate(
            answer_id=pk, approve=request.POST.get("approve") == "1", by=request.user
        )
        messages.success(request, _("已审核"))
        return redirect("voting:survey_results", pk=a.response.survey_id)
    except ServiceError as exc:
        raise Http404(exc.detail) from exc


KINDS = {"单选": "single", "多选": "multiple", "评分": "rating", "文字": "text"}


def parse_questions(text: str) -> list[dict[str, Any]]:
    """One question a line: ``单选|题目|选项1;选项2`` (also 多选, 评分|题目|5, 文字|题目)."""
    out = []
    for i, line in enumerate(x for x in text.splitlines() if x.strip()):
        parts = [p.strip() for p in line.split("|")]
        kind = KINDS.get(parts[0])
        if kind is None or len(parts) < 2:
            raise InvalidInput.field(
                "questions", _("第%(row)s行格式不正确：应为 题型|题目|选项") % {"row": i + 1}
            )
        q: dict[str, Any] = {"kind": kind, "text": parts[1]}
        if kind in ("single", "multiple"):
            q["options"] = [o for o in (parts[2] if len(parts) > 2 else "").split(";") if o.strip()]
        if kind == "rating" and len(parts) > 2 and parts[2].isdigit():
            q["rating_max"] = int(parts[2])
        if kind == "text":
            q["required"] = False
        out.append(q)
    return out


@login_required
def survey_new(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, "registry.write"):
        raise Http404
    areas = _areas(request.user)
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            area = next((a for a in areas if a.code == request.POST.get("area")), None)
            if area is None:
                raise InvalidInput.field("area", _("请选择区域"))
            survey = services.survey_create(
                title=request.POST.get("title", ""), area=area, per=request.POST.get("per", "resident"),
                anonymous=request.POST.get("anonymous") == "on",
                opens_at=_dt(request.POST.get("opens_at"), "opens_at"),
                closes_at=_dt(request.POST.get("closes_at"), "closes_at"),
                questions=parse_questions(request.POST.get("questions", "")),
                description=request.POST.get("description", ""), by=request.user,
            )  # fmt: skip
            messages.success(request, _("民意征集已发布"))
            return redirect("voting:survey", pk=survey.pk)
        except ServiceError as exc:
            error_message(request, exc)
    return render(
        request, "voting/survey_new.html", {"areas": areas, "form": form, "pers": Survey.Per.choices}
    )
