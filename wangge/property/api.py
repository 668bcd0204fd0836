"""/api/v1/commitments: commitments, their compliance from the cases, evaluations and the public board."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from wangge.accounts.models import Unit
from wangge.appeals.models import Category
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.schemas import ErrorOut

from . import selectors, services
from .models import Commitment
from .schemas import (
    CommitmentIn,
    CommitmentOut,
    ComplianceOut,
    EvaluationIn,
    EvaluationOut,
    ReplyIn,
)

router = Router(tags=["commitments"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _company(pk: int, field: str = "company_id") -> Unit:
    company = Unit.objects.filter(pk=pk, kind=Unit.Kind.PROPERTY_COMPANY).first()
    if company is None:
        raise InvalidInput.field(field, _("物业公司不存在"))
    return company


@router.get("/commitments", response=list[CommitmentOut], auth=None)
@paginate(LimitOffsetPagination)
def commitment_list(request: HttpRequest, company: int | None = None, community: str | None = None):  # type: ignore[no-untyped-def]
    """Public: commitments are published for everyone to see."""
    return selectors.commitment_list(
        company=_company(company, "company") if company else None, community=community
    )


@router.post("/commitments", response={201: CommitmentOut, **ERRORS})
def commitment_create(request: HttpRequest, data: CommitmentIn):  # type: ignore[no-untyped-def]
    cats = list(Category.objects.filter(pk__in=data.category_ids))
    if len(cats) != len(set(data.category_ids)):
        raise InvalidInput.field("category_ids", _("诉求类别不存在"))
    c = services.commitment_create(
        company=_company(data.company_id), group=data.group, text=data.text, categories=cats,
        time_limit_hours=data.time_limit_hours, order=data.order, by=request.user,
    )  # fmt: skip
    return Status(201, c)


@router.post("/commitments/{pk}/retire", response={200: CommitmentOut, **ERRORS})
def commitment_retire(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    c = Commitment.objects.filter(pk=pk).first()
    if c is None:
        raise NotFound(_("承诺不存在"))
    return services.commitment_retire(commitment=c, by=request.user)


@router.get("/commitments/compliance", response={200: list[ComplianceOut], **ERRORS}, auth=None)
def compliance(request: HttpRequest, company: int, months: int = 12, community: str | None = None):  # type: ignore[no-untyped-def]
    """Public: each commitment's monthly compliance, computed from the cases the company led."""
    unit = _company(company, "company")
    if not 1 <= months <= 36:
        raise InvalidInput.field("months", _("月数须在1到36之间"))
    from django.utils import timezone

    ms = selectors.months_back(timezone.now(), months)
    commitments = list(selectors.commitment_list(company=unit))
    per = selectors.compliance(unit, ms, community=community, commitments=commitments)
    return [
        {"commitment_id": c.pk, "text": c.text, "time_limit_hours": c.time_limit_hours,
         "months": [{"month": f"{y}-{m:02d}", "judged": j.judged, "met": j.met, "missed": j.missed,
                     "pending": j.pending, "percent": j.percent()} for (y, m), j in per[c.pk].items()]}
        for c in commitments
    ]  # fmt: skip


@router.get("/commitments/board/{code}", response={200: dict[str, Any], **ERRORS}, auth=None)
def board(request: HttpRequest, code: str):  # type: ignore[no-untyped-def]
    """Public board of a community: no names, no households."""
    return selectors.board(community_code=code)


@router.get("/commitments/evaluations", response=list[EvaluationOut])
@paginate(LimitOffsetPagination)
def evaluation_list(request: HttpRequest, company: int | None = None, unanswered: bool = False):  # type: ignore[no-untyped-def]
    return selectors.evaluation_list(
        viewer=request.user, company=_company(company, "company") if company else None, unanswered=unanswered
    )


@router.post("/commitments/evaluations", response={201: EvaluationOut, **ERRORS})
def evaluation_submit(request: HttpRequest, data: EvaluationIn):  # type: ignore[no-untyped-def]
    ev = services.evaluation_submit(
        company=_company(data.company_id), scores=data.scores, comment=data.comment, by=request.user
    )
    return Status(201, ev)


@router.post("/commitments/evaluations/{pk}/reply", response={200: EvaluationOut, **ERRORS})
def evaluation_reply(request: HttpRequest, pk: int, data: ReplyIn):  # type: ignore[no-untyped-def]
    return services.evaluation_reply(evaluation_id=pk, reply=data.reply, by=request.user)
