"""Every read of the assessment app, scoped through ``visible_to(viewer)``: out of scope is 404 like missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from wangge.accounts.models import Post
from wangge.accounts.roles import user_can
from wangge.core.errors import Forbidden, NotFound
from wangge.core.scoping import get_visible_or_404, scope_for

from . import figures, formula, services
from .models import GridWorkerGrade, Nomination, Scheme, SchemeItem, Score, ScoreEvidence, ScoreItem, ScoreRun

NOT_RANKED = "样本不足"


def _require_read(viewer: Any) -> None:
    if not user_can(viewer, "assessment.read"):
        raise Forbidden("无权查看考评")


def scheme_list(
    *, viewer: Any, subject_kind: str | None = None, state: str | None = None
) -> QuerySet[Scheme]:
    _require_read(viewer)
    qs = Scheme.objects.visible_to(viewer).select_related("area").annotate(n_items=Count("items"))
    if subject_kind:
        qs = qs.filter(subject_kind=subject_kind)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("name", "subject_kind", "-version")


def scheme_get(*, viewer: Any, pk: int) -> Scheme:
    _require_read(viewer)
    scheme: Scheme = get_visible_or_404(Scheme.objects.select_related("area"), viewer, pk=pk)
    return scheme


def scheme_versions(scheme: Scheme) -> list[Scheme]:
    return list(
        Scheme.objects.filter(name=scheme.name, subject_kind=scheme.subject_kind).order_by("-version")
    )


def item_view(i: SchemeItem) -> dict[str, Any]:
    """A scheme item as shown: its figure's label and its formula in words."""
    fig = figures.figure_for(i.figure)
    return {
        "id": i.pk,
        "figure": i.figure,
        "label": fig.label if fig else i.figure,
        "weight": float(i.weight),
        "formula": i.formula,
        "floor": i.floor,
        "target": i.target,
        "in_sample": i.in_sample,
        "formula_text": formula.in_words(i.formula, i.weight, i.floor, i.target),
    }


def run_list(*, scheme: Scheme) -> list[ScoreRun]:
    return list(ScoreRun.objects.filter(scheme=scheme).order_by("-period_start")[:60])


def run_for(*, scheme: Scheme, period_start: dt.date) -> ScoreRun:
    start, _end = services.period_bounds(scheme.period, period_start)
    run = ScoreRun.objects.filter(scheme=scheme, period_start=start).first()
    if run is None:
        raise NotFound("该周期尚未计算得分")
    return run


def ranking(*, viewer: Any, run: ScoreRun, limit: int = 500) -> dict[str, Any]:
    """The run's scores the viewer may see, ranked over the whole run: subjects whose sample is below the
    minimum are listed after the others as 样本不足, with no rank. Ties share a rank (1, 1, 3). Two queries."""
    min_sample = int(services.config()["min_sample"])
    # Ranks are over the whole run (the scheme's area), so a community sees its grid workers' district ranks.
    ranked = list(
        Score.objects.filter(run=run, sample__gte=min_sample)
        .order_by("-total", "id")
        .values_list("id", "total")
    )
    rank_of: dict[int, int] = {}
    prev: Decimal | None = None
    rank = 0
    for i, (pk, total) in enumerate(ranked, start=1):
        if total != prev:
            rank, prev = i, total
        rank_of[pk] = rank
    visible = list(
        Score.objects.visible_to(viewer)
        .filter(run=run)
        .select_related("user", "area")
        .order_by("-total", "id")[:limit]
    )
    rows = []
    for s in visible:
        s.rank = rank_of.get(s.pk)  # type: ignore[attr-defined]
        rows.append(s)
    rows.sort(key=lambda s: (s.rank is None, s.rank or 0, s.pk))  # type: ignore[attr-defined]
    return {"run": run, "min_sample": min_sample, "ranked_count": len(ranked), "scores": rows}


def score_get(*, viewer: Any, pk: int) -> Score:
    _require_read(viewer)
    items = ScoreItem.objects.select_related("item").order_by("item__sort_order", "item_id")
    score: Score = get_visible_or_404(
        Score.objects.select_related("run", "scheme", "scheme__area", "user", "area").prefetch_related(
            Prefetch("items", queryset=items)
        ),
        viewer,
        pk=pk,
    )
    score.rank = ranking_rank(score)  # type: ignore[attr-defined]
    return score


def ranking_rank(score: Score) -> int | None:
    min_sample = int(services.config()["min_sample"])
    if score.sample < min_sample:
        return None
    return (
        Score.objects.filter(run_id=score.run_id, sample__gte=min_sample, total__gt=score.total).count() + 1
    )


def score_item_get(*, viewer: Any, score: Score, item_id: int) -> ScoreItem:
    for item in score.items.all():
        if item.pk == item_id:
            return item
    raise NotFound("未找到")


def evidence_page(*, item: ScoreItem, offset: int = 0, limit: int = 50) -> list[ScoreEvidence]:
    return list(ScoreEvidence.objects.filter(score_item=item).order_by("id")[offset : offset + limit])


def evidence_first(items: list[ScoreItem], limit: int = 20) -> dict[int, list[ScoreEvidence]]:
    """The first ``limit`` evidence rows of each item, one query per item kept small (items ≤ 20)."""
    out: dict[int, list[ScoreEvidence]] = {}
    for item in items:
        out[item.pk] = list(ScoreEvidence.objects.filter(score_item=item).order_by("id")[:limit])
    return out


def grade_for_user(user_id: int | None) -> GridWorkerGrade | None:
    if user_id is None:
        return None
    return (
        GridWorkerGrade.objects.filter(
            post__user_id=user_id, post__active=True, post__kind=Post.Kind.GRID_WORKER
        )
        .order_by("-tier", "-level")
        .first()
    )


def grid_worker_posts(*, viewer: Any) -> list[Post]:
    """Grid-worker posts in the viewer's scope with their grades (for the grades page). Two queries."""
    _require_read(viewer)
    posts = list(
        Post.objects.visible_to(viewer)
        .filter(kind=Post.Kind.GRID_WORKER, active=True)
        .select_related("user", "area")
        .order_by("area__code", "id")[:500]
    )
    grades = {g.post_id: g for g in GridWorkerGrade.objects.filter(post__in=posts)}
    for p in posts:
        p.grade = grades.get(p.pk)  # type: ignore[attr-defined]
    return posts


def post_get(*, viewer: Any, pk: int) -> Post:
    post: Post = get_visible_or_404(Post.objects.select_related("area", "user"), viewer, pk=pk)
    return post


def nomination_list(*, viewer: Any, state: str | None = None) -> QuerySet[Nomination]:
    _require_read(viewer)
    qs = Nomination.objects.visible_to(viewer).select_related("user", "community", "scheme", "score")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-period_start", "-id")


def nomination_get(*, viewer: Any, pk: int) -> Nomination:
    _require_read(viewer)
    nom: Nomination = get_visible_or_404(
        Nomination.objects.select_related("user", "community", "scheme", "score"), viewer, pk=pk
    )
    return nom


def in_scope(viewer: Any, code: str) -> bool:
    return scope_for(viewer).contains(code)
