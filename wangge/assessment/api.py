"""Assessment (考评) that explains itself: versioned schemes, items over figures, scores with evidence."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from wangge.areas.models import Area
from wangge.core.errors import InvalidInput, NotFound

from . import figures, selectors, services
from .models import Nomination, Scheme, Score, ScoreItem, ScoreRun
from .schemas import (
    AssessmentFigureOut,
    AssessmentScoreOut,
    ComputeIn,
    DecisionIn,
    EvidencePageOut,
    GradeIn,
    GradeOut,
    NominationIn,
    NominationOut,
    RankingOut,
    RunOut,
    SchemeDetailOut,
    SchemeIn,
    SchemeItemsIn,
    SchemeOut,
    ScoreDetailOut,
)

router = Router(tags=["assessment"])

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000


def scheme_out(s: Scheme) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "area_code": s.area.code,
        "area_name": s.area.name,
        "subject_kind": s.subject_kind,
        "period": s.period,
        "version": s.version,
        "state": s.state,
        "note": s.note,
        "activated_at": s.activated_at,
    }


def run_out(r: ScoreRun, scheme: Scheme) -> dict[str, Any]:
    return {
        "id": r.pk,
        "scheme_id": r.scheme_id,
        "period": services.period_key(scheme.period, r.period_start),
        "period_start": r.period_start,
        "period_end": r.period_end,
        "computed_at": r.computed_at,
        "subjects": r.subjects,
    }


def score_out(s: Score) -> dict[str, Any]:
    rank = getattr(s, "rank", None)
    return {
        "id": s.pk,
        "scheme_id": s.scheme_id,
        "period_start": s.period_start,
        "period_end": s.period_end,
        "subject_kind": s.subject_kind,
        "subject": s.subject_label,
        "user_id": s.user_id,
        "area_code": s.area_code,
        "total": float(s.total),
        "sample": s.sample,
        "rank": rank,
        "rank_note": "" if rank is not None else selectors.NOT_RANKED,
    }


def evidence_out(e: Any) -> dict[str, Any]:
    return {"kind": e.kind, "id": e.object_id, "label": e.label, "url": e.url}


def score_item_out(i: ScoreItem, evidence: list[Any]) -> dict[str, Any]:
    return {
        "id": i.pk,
        "figure": i.figure,
        "label": i.label,
        "weight": float(i.weight),
        "value": i.value,
        "numerator": i.numerator,
        "denominator": i.denominator,
        "points": float(i.points),
        "formula_text": i.formula_text,
        "evidence_count": i.evidence_count,
        "evidence": [evidence_out(e) for e in evidence],
    }


def nomination_out(n: Nomination) -> dict[str, Any]:
    return {
        "id": n.pk,
        "scheme_id": n.scheme_id,
        "period_start": n.period_start,
        "user_id": n.user_id,
        "name": n.user.display_name or n.user.username,
        "community_code": n.community.code,
        "score_id": n.score_id,
        "state": n.state,
        "reason": n.reason,
        "decided_at": n.decided_at,
    }


def _scheme_detail(scheme: Scheme) -> dict[str, Any]:
    return {
        **scheme_out(scheme),
        "items": [selectors.item_view(i) for i in scheme.items.all()],
        "versions": [scheme_out(v) for v in selectors.scheme_versions(scheme)],
        "periods": [
            services.period_key(scheme.period, r.period_start) for r in selectors.run_list(scheme=scheme)
        ],
    }


@router.get("/assessment/figures", response=list[AssessmentFigureOut])
def assessment_figures(request: HttpRequest) -> Any:
    """The figures schemes may use, discovered from each app's ``assessment.py``."""
    selectors._require_read(request.user)
    return [
        {"key": f.key, "label": f.label, "subjects": list(f.subjects)} for f in figures.discover().values()
    ]


@router.get("/assessment/schemes", response=list[SchemeOut])
def assessment_schemes(
    request: HttpRequest,
    subject_kind: str | None = Query(None, max_length=12, pattern=r"^[a-z_]+$"),
    state: str | None = Query(None, max_length=8, pattern=r"^[a-z_]+$"),
) -> Any:
    qs = selectors.scheme_list(viewer=request.user, subject_kind=subject_kind, state=state)
    return [scheme_out(s) for s in qs[:500]]


@router.post("/assessment/schemes", response={201: SchemeDetailOut})
def assessment_scheme_create(request: HttpRequest, payload: SchemeIn) -> Any:
    area = Area.objects.filter(code=payload.area).first()
    if area is None:
        raise InvalidInput.field("area", "区域不存在")
    scheme = services.scheme_create(
        name=payload.name,
        area=area,
        subject_kind=payload.subject_kind,
        period=payload.period,
        note=payload.note,
        items=[i.dict() for i in payload.items],
        by=request.user,
    )
    return Status(201, _scheme_detail(selectors.scheme_get(viewer=request.user, pk=scheme.pk)))


@router.get("/assessment/schemes/{int:scheme_id}", response=SchemeDetailOut)
def assessment_scheme(request: HttpRequest, scheme_id: int) -> Any:
    return _scheme_detail(selectors.scheme_get(viewer=request.user, pk=scheme_id))


@router.post("/assessment/schemes/{int:scheme_id}/items", response=SchemeDetailOut)
def assessment_scheme_items(request: HttpRequest, scheme_id: int, payload: SchemeItemsIn) -> Any:
    """Replace a draft's items (an active version is immutable: 409; make a new version)."""
    scheme = selectors.scheme_get(viewer=request.user, pk=scheme_id)
    services.scheme_update(
        scheme=scheme, items=[i.dict() for i in payload.items], note=payload.note, by=request.user
    )
    return _scheme_detail(selectors.scheme_get(viewer=request.user, pk=scheme_id))


@router.post("/assessment/schemes/{int:scheme_id}/versions", response={201: SchemeDetailOut})
def assessment_scheme_version(request: HttpRequest, scheme_id: int) -> Any:
    scheme = selectors.scheme_get(viewer=request.user, pk=scheme_id)
    new = services.scheme_new_version(scheme=scheme, by=request.user)
    return Status(201, _scheme_detail(selectors.scheme_get(viewer=request.user, pk=new.pk)))


@router.post("/assessment/schemes/{int:scheme_id}/activate", response=SchemeDetailOut)
def assessment_scheme_activate(request: HttpRequest, scheme_id: int) -> Any:
    scheme = selectors.scheme_get(viewer=request.user, pk=scheme_id)
    services.scheme_activate(scheme=scheme, by=request.user)
    return _scheme_detail(selectors.scheme_get(viewer=request.user, pk=scheme_id))


@router.post("/assessment/schemes/{int:scheme_id}/compute", response=RunOut)
def assessment_compute(request: HttpRequest, scheme_id: int, payload: ComputeIn) -> Any:
    scheme = selectors.scheme_get(viewer=request.user, pk=scheme_id)
    start = services.period_parse(scheme.period, payload.period)
    run = services.score_compute(scheme=scheme, period_start=start, by=request.user)
    return run_out(run, scheme)


@router.get("/assessment/rankings", response=RankingOut)
def assessment_ranking(
    request: HttpRequest,
    scheme: int = Query(..., ge=1, le=2**31 - 1),
    period: str = Query(..., min_length=4, max_length=7, pattern=r"^[0-9]{4}(-[0-9]{2})?$"),
) -> Any:
    """A period's ranking: scores in rank order; a sample below the minimum is listed as 样本不足, unranked."""
    the_scheme = selectors.scheme_get(viewer=request.user, pk=scheme)
    start = services.period_parse(the_scheme.period, period)
    ranking = selectors.ranking(
        viewer=request.user, run=selectors.run_for(scheme=the_scheme, period_start=start)
    )
    return {
        "run": run_out(ranking["run"], the_scheme),
        "min_sample": ranking["min_sample"],
        "ranked_count": ranking["ranked_count"],
        "scores": [score_out(s) for s in ranking["scores"]],
    }


@router.get("/assessment/scores", response=list[AssessmentScoreOut])
def assessment_scores(
    request: HttpRequest,
    scheme: int | None = Query(None, ge=1, le=2**31 - 1),
    user: int | None = Query(None, ge=1, le=2**31 - 1),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Any:
    """Scores in the viewer's scope, newest period first (no rank: see the rankings)."""
    selectors._require_read(request.user)
    qs = Score.objects.visible_to(request.user)
    if scheme is not None:
        qs = qs.filter(scheme_id=scheme)
    if user is not None:
        qs = qs.filter(user_id=user)
    rows = list(qs.order_by("-period_start", "-total", "id")[offset : offset + limit])
    return [{**score_out(s), "rank": None, "rank_note": ""} for s in rows]


@router.get("/assessment/scores/{int:score_id}", response=ScoreDetailOut)
def assessment_score(request: HttpRequest, score_id: int) -> Any:
    """A score with each item (value, sample, points, formula) and the first 20 records each item counted."""
    score = selectors.score_get(viewer=request.user, pk=score_id)
    items = list(score.items.all())
    first = selectors.evidence_first(items)
    grade = selectors.grade_for_user(score.user_id)
    return {
        **score_out(score),
        "scheme": score.scheme.name,
        "scheme_version": score.scheme.version,
        "grade": grade.display if grade else "",
        "items": [score_item_out(i, first[i.pk]) for i in items],
    }


@router.get("/assessment/scores/{int:score_id}/items/{int:item_id}/evidence", response=EvidencePageOut)
def assessment_evidence(
    request: HttpRequest,
    score_id: int,
    item_id: int,
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Any:
    """Every record a score item counted, a page at a time (the stored list is complete)."""
    score = selectors.score_get(viewer=request.user, pk=score_id)
    item = selectors.score_item_get(viewer=request.user, score=score, item_id=item_id)
    rows = selectors.evidence_page(item=item, offset=offset, limit=limit)
    return {
        "count": item.evidence_count,
        "offset": offset,
        "limit": limit,
        "evidence": [evidence_out(e) for e in rows],
    }


def grade_out(p: Any) -> dict[str, Any]:
    g = getattr(p, "grade", None)
    return {
        "post_id": p.pk,
        "user_id": p.user_id,
        "name": p.user.display_name or p.user.username,
        "area_code": p.area.code,
        "tier": g.tier if g else None,
        "level": g.level if g else None,
        "grade": g.display if g else "",
        "since": g.since if g else None,
    }


@router.get("/assessment/grades", response=list[GradeOut])
def assessment_grades(request: HttpRequest) -> Any:
    """三岗十八级: the grid workers' posts in scope with their grades."""
    return [grade_out(p) for p in selectors.grid_worker_posts(viewer=request.user)]


@router.post("/assessment/grades", response=GradeOut)
def assessment_grade_set(request: HttpRequest, payload: GradeIn) -> Any:
    try:
        post = selectors.post_get(viewer=request.user, pk=payload.post_id)
    except NotFound:
        raise NotFound("岗位不存在或不在您的管辖范围内") from None
    grade = services.grade_set(
        post=post,
        tier=payload.tier,
        level=payload.level,
        since=payload.since,
        note=payload.note,
        by=request.user,
    )
    post.grade = grade  # type: ignore[attr-defined]
    return grade_out(post)


@router.get("/assessment/nominations", response=list[NominationOut])
def assessment_nominations(
    request: HttpRequest, state: str | None = Query(None, max_length=10, pattern=r"^[a-z_]+$")
) -> Any:
    return [nomination_out(n) for n in selectors.nomination_list(viewer=request.user, state=state)[:500]]


@router.post("/assessment/nominations", response={201: NominationOut})
def assessment_nominate(request: HttpRequest, payload: NominationIn) -> Any:
    """Nominate a grid worker as 金牌网格员 from the top of their community's ranking."""
    score = selectors.score_get(viewer=request.user, pk=payload.score_id)
    nom = services.nomination_create(score=score, reason=payload.reason, by=request.user)
    return Status(201, nomination_out(selectors.nomination_get(viewer=request.user, pk=nom.pk)))


@router.post("/assessment/nominations/{int:nomination_id}/confirm", response=NominationOut)
def assessment_confirm(request: HttpRequest, nomination_id: int, payload: DecisionIn) -> Any:
    nom = selectors.nomination_get(viewer=request.user, pk=nomination_id)
    services.nomination_decide(nomination=nom, confirm=True, note=payload.note, by=request.user)
    return nomination_out(selectors.nomination_get(viewer=request.user, pk=nomination_id))


@router.post("/assessment/nominations/{int:nomination_id}/reject", response=NominationOut)
def assessment_reject(request: HttpRequest, nomination_id: int, payload: DecisionIn) -> Any:
    nom = selectors.nomination_get(viewer=request.user, pk=nomination_id)
    services.nomination_decide(nomination=nom, confirm=False, note=payload.note, by=request.user)
    return nomination_out(selectors.nomination_get(viewer=request.user, pk=nomination_id))
