"""/api/v1/votes and /api/v1/surveys: thin — parse, call one service or selector, answer a typed schema."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.core.downloads import download_response
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.schemas import ErrorOut
from wangge.registry.models import Building, Household, Resident

from . import exports, selectors, services
from .models import RuleSet, Vote
from .schemas import (
    BallotIn,
    BallotOut,
    BallotReceiptOut,
    ModerateIn,
    ModerateOut,
    PaperResponseIn,
    ResponseIn,
    ResponseOut,
    RuleSetOut,
    SurveyDetailOut,
    SurveyIn,
    SurveyOut,
    VoteDetailOut,
    VoteIn,
    VoteOpenIn,
    VoteOut,
    VoterOut,
)

router = Router(tags=["votes", "surveys"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return download_response(content, filename)  # the Chinese file name survives (core.downloads)


def _area(code: str) -> Area:
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise InvalidInput.field("area", _("区域不存在"))
    return area


def _building(request: HttpRequest, pk: int | None) -> Building | None:
    if pk is None:
        return None
    b = Building.objects.select_related("area").filter(pk=pk).first()
    if b is None:
        raise InvalidInput.field("building_id", _("楼栋不存在"))
    return b


def vote_detail_dict(request: HttpRequest, vote: Vote) -> Vote:
    """The vote with what this viewer may see of its result and their own owner identities."""
    me = [
        {"voter_id": m["voter"].pk, "label": m["voter"].label, "units": m["voter"].units, "area": m["area"],
         "voted": m["ballot"] is not None, "choice": m["ballot"].choice if m["ballot"] else None,
         "channel": m["ballot"].channel if m["ballot"] else None}
        for m in selectors.my_voters(viewer=request.user, vote=vote)
    ]  # fmt: skip
    vote.live_result = selectors.vote_result(viewer=request.user, vote=vote)  # type: ignore[attr-defined]
    vote.my_voters = me  # type: ignore[attr-defined]
    return vote


# --- votes --------------------------------------------------------------------------------------------


@router.get("/vote-rule-sets", response=list[RuleSetOut])
def ruleset_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.ruleset_list()


@router.get("/votes", response=list[VoteOut])
@paginate(LimitOffsetPagination)
def vote_list(request: HttpRequest, status: str | None = None, area: str | None = None):  # type: ignore[no-untyped-def]
    return selectors.vote_list(viewer=request.user, status=status, area=area)


@router.post("/votes", response={201: VoteDetailOut, **ERRORS})
def vote_create(request: HttpRequest, data: VoteIn):  # type: ignore[no-untyped-def]
    rule_set = RuleSet.objects.filter(pk=data.rule_set_id).first()
    if rule_set is None:
        raise InvalidInput.field("rule_set_id", _("表决规则不存在"))
    vote = services.vote_create(
        title=data.title, matter=data.matter, area=_area(data.area), rule_set=rule_set, opens_at=data.opens_at,
        closes_at=data.closes_at, scope=data.scope, building=_building(request, data.building_id),
        entrance=data.entrance, description=data.description,
        committee=list(User.objects.filter(pk__in=data.committee)), by=request.user,
    )  # fmt: skip
    return Status(201, vote_detail_dict(request, selectors.vote_get(viewer=request.user, pk=vote.pk)))


@router.get("/votes/{pk}", response={200: VoteDetailOut, **ERRORS})
def vote_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return vote_detail_dict(request, selectors.vote_get(viewer=request.user, pk=pk))


@router.post("/votes/{pk}/open", response={200: VoteDetailOut, **ERRORS})
def vote_open(request: HttpRequest, pk: int, data: VoteOpenIn):  # type: ignore[no-untyped-def]
    vote = selectors.vote_get(viewer=request.user, pk=pk)
    services.vote_open(vote=vote, by=request.user, must_consent=data.must_consent)
    return vote_detail_dict(request, selectors.vote_get(viewer=request.user, pk=pk))


@router.post("/votes/{pk}/close", response={200: VoteDetailOut, **ERRORS})
def vote_close(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    services.vote_close(vote=selectors.vote_get(viewer=request.user, pk=pk), by=request.user)
    return vote_detail_dict(request, selectors.vote_get(viewer=request.user, pk=pk))


@router.post("/votes/{pk}/publish", response={200: VoteDetailOut, **ERRORS})
def vote_publish(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    services.vote_publish(vote=selectors.vote_get(viewer=request.user, pk=pk), by=request.user)
    return vote_detail_dict(request, selectors.vote_get(viewer=request.user, pk=pk))


@router.post("/votes/{pk}/ballots", response={201: BallotReceiptOut, **ERRORS})
def ballot_cast(request: HttpRequest, pk: int, data: BallotIn):  # type: ignore[no-untyped-def]
    vote = selectors.vote_get(viewer=request.user, pk=pk)
    return Status(
        201, services.ballot_cast(vote=vote, choice=data.choice, voter_id=data.voter_id, by=request.user)
    )


@router.post("/votes/{pk}/paper-ballots", response={201: BallotReceiptOut, **ERRORS})
def ballot_paper(  # type: ignore[no-untyped-def]
    request: HttpRequest, pk: int, voter_id: Form[int], choice: Form[str], photo: File[UploadedFile],
    signer: Form[str] = "",
):  # fmt: skip
    vote = selectors.vote_get(viewer=request.user, pk=pk)
    ballot = services.ballot_enter_paper(
        vote=vote, voter_id=voter_id, choice=choice, photo=photo, signer=signer, by=request.user
    )
    return Status(201, ballot)


@router.get("/votes/{pk}/ballots", response={200: list[BallotOut], **ERRORS})
def ballot_list(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return list(
        selectors.ballot_list(viewer=request.user, vote=selectors.vote_get(viewer=request.user, pk=pk))
    )


@router.get("/votes/{pk}/voters", response={200: list[VoterOut], **ERRORS})
@paginate(LimitOffsetPagination)
def voter_list(request: HttpRequest, pk: int, q: str | None = None):  # type: ignore[no-untyped-def]
    return selectors.voter_list(viewer=request.user, vote=selectors.vote_get(viewer=request.user, pk=pk), q=q)


@router.get("/votes/{pk}/export.xlsx", response={200: None, **ERRORS})
def vote_export(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    vote = selectors.vote_get(viewer=request.user, pk=pk)
    result = selectors.vote_result(viewer=request.user, vote=vote)
    if result is None:
        raise NotFound(_("结果尚未公示"))
    ballots = (
        list(selectors.ballot_list(viewer=request.user, vote=vote))
        if services.can_count(request.user, vote)
        else None
    )
    return _xlsx(exports.vote_xlsx(vote, result, ballots), f"vote-{vote.pk}.xlsx")


# --- surveys ------------------------------------------------------------------------------------------


@router.get("/surveys", response=list[SurveyOut])
@paginate(LimitOffsetPagination)
def survey_list(request: HttpRequest, status: str | None = None):  # type: ignore[no-untyped-def]
    return selectors.survey_list(viewer=request.user, status=status)


def _survey_detail(request: HttpRequest, pk: int) -> Any:
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    survey.viewer_answered = selectors.has_answered(viewer=request.user, survey=survey)  # type: ignore[attr-defined]
    return survey


@router.post("/surveys", response={201: SurveyDetailOut, **ERRORS})
def survey_create(request: HttpRequest, data: SurveyIn):  # type: ignore[no-untyped-def]
    survey = services.survey_create(
        title=data.title, area=_area(data.area), opens_at=data.opens_at, closes_at=data.closes_at,
        questions=[q.dict() for q in data.questions], building=_building(request, data.building_id),
        per=data.per, anonymous=data.anonymous, description=data.description, by=request.user,
    )  # fmt: skip
    return Status(201, _survey_detail(request, survey.pk))


@router.get("/surveys/{pk}", response={200: SurveyDetailOut, **ERRORS})
def survey_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return _survey_detail(request, pk)


@router.post("/surveys/{pk}/responses", response={201: ResponseOut, **ERRORS})
def survey_answer(request: HttpRequest, pk: int, data: ResponseIn):  # type: ignore[no-untyped-def]
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    return Status(201, services.survey_answer(survey=survey, answers=data.answers, by=request.user))


@router.post("/surveys/{pk}/paper-responses", response={201: ResponseOut, **ERRORS})
def survey_paper(request: HttpRequest, pk: int, data: PaperResponseIn):  # type: ignore[no-untyped-def]
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    # The service checks that the household lies inside the survey's area (and the survey in the staff's).
    household = Household.objects.filter(pk=data.household_id).first()
    if household is None:
        raise InvalidInput.field("household_id", _("户不存在"))
    resident = Resident.objects.filter(pk=data.resident_id).first() if data.resident_id else None
    if data.resident_id and resident is None:
        raise InvalidInput.field("resident_id", _("居民不存在"))
    return Status(201, services.survey_enter_paper(
        survey=survey, household=household, resident=resident, answers=data.answers, by=request.user
    ))  # fmt: skip


@router.get("/surveys/{pk}/results", response={200: dict[str, Any], **ERRORS})
def survey_results(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return selectors.survey_results(
        viewer=request.user, survey=selectors.survey_get(viewer=request.user, pk=pk)
    )


@router.get("/surveys/{pk}/export.xlsx", response={200: None, **ERRORS})
def survey_export(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    return _xlsx(exports.survey_xlsx(survey, selectors.survey_results(viewer=request.user, survey=survey)),
                 f"survey-{survey.pk}.xlsx")  # fmt: skip


@router.post("/surveys/{pk}/close", response={200: SurveyOut, **ERRORS})
def survey_close(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return services.survey_close(survey=selectors.survey_get(viewer=request.user, pk=pk), by=request.user)


@router.post("/survey-answers/{pk}/moderate", response={200: ModerateOut, **ERRORS})
def answer_moderate(request: HttpRequest, pk: int, data: ModerateIn):  # type: ignore[no-untyped-def]
    return services.answer_moderate(answer_id=pk, approve=data.approve, by=request.user)
