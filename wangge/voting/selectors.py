"""Every read of owners' votes and surveys, scoped to the viewer (``Vote.objects.visible_to``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import Forbidden
from wangge.core.scoping import get_visible_or_404
from wangge.registry.models import Household, Resident

from . import services
from .models import Answer, Ballot, Question, Response, RuleSet, Survey, Vote, Voter


def ruleset_list() -> QuerySet[RuleSet]:
    return RuleSet.objects.filter(active=True).order_by("city", "name")


def vote_list(*, viewer: Any, status: str | None = None, area: str | None = None) -> QuerySet[Vote]:
    qs = Vote.objects.visible_to(viewer).select_related("area", "building", "rule_set")
    if status:
        qs = qs.filter(status=status)
    if area:
        qs = qs.filter(area__code__startswith=area)
    return qs.order_by("-opens_at", "-id")


def vote_get(*, viewer: Any, pk: int) -> Vote:
    return get_visible_or_404(Vote.objects.select_related("area", "building", "rule_set"), viewer, pk=pk)


def vote_result(*, viewer: Any, vote: Vote) -> dict[str, Any] | None:
    """The result: live for staff and the committee; for owners only once it is published."""
    if services.can_count(viewer, vote):
        if vote.status in (Vote.Status.OPEN,):
            return services.tally(vote).as_dict()
        return vote.result
    return vote.result if vote.status == Vote.Status.PUBLISHED else None


def my_voters(*, viewer: Any, vote: Vote) -> list[dict[str, Any]]:
    """The owner identities the viewer may vote for, with whether each has voted and how."""
    mine = services.voters_of(vote, viewer)
    ballots = {b.voter_id: b for b in Ballot.objects.filter(voter__in=mine)}
    return [{"voter": v, "ballot": ballots.get(v.pk), "area": Decimal(v.area_centi) / 100} for v in mine]


def ballot_list(*, viewer: Any, vote: Vote) -> QuerySet[Ballot]:
    """Individual ballots: the committee and staff only, and every reading is audited."""
    if not services.can_count(viewer, vote):
        raise Forbidden(_("个人表决票仅业委会和工作人员可查看"))
    audit("other", vote, by=viewer, note="查看表决票明细")
    return Ballot.objects.filter(vote=vote).select_related("voter", "cast_by").order_by("cast_at", "id")


def voter_list(*, viewer: Any, vote: Vote, q: str | None = None) -> QuerySet[Voter]:
    """The counted owners with their units and areas (committee/staff: checking the roll, paper entry)."""
    if not services.can_count(viewer, vote):
        raise Forbidden(_("仅业委会和工作人员可查看表决名册"))
    qs = Voter.objects.filter(vote=vote).select_related("ballot").order_by("id")
    if q:
        qs = qs.filter(electors__house__room__icontains=q).distinct()
    return qs


# --- surveys ------------------------------------------------------------------------------------------


def survey_list(*, viewer: Any, status: str | None = None) -> QuerySet[Survey]:
    qs = Survey.objects.visible_to(viewer).select_related("area", "building")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-opens_at", "-id")


def survey_get(*, viewer: Any, pk: int) -> Survey:
    return get_visible_or_404(Survey.objects.select_related("area", "building"), viewer, pk=pk)


def has_answered(*, viewer: Any, survey: Survey) -> bool:
    resident = Resident.objects.filter(account=viewer).first() if viewer.is_authenticated else None
    if resident is None:
        return False
    key = services._once_key(survey, resident, resident.household)
    return Response.objects.filter(survey=survey, once_key=key).exists()


def _eligible_by_grid(survey: Survey) -> dict[int, int]:
    households = Household.objects.filter(active=True)
    if survey.building_id:
        households = households.filter(house__building_id=survey.building_id)
    else:
        households = households.filter(house__building__area__code__startswith=survey.area.code)
    rows: Any
    if survey.per == Survey.Per.HOUSEHOLD:
        rows = households.values("house__building__area_id").annotate(n=Count("id"))
    else:
        rows = (
            Resident.objects.filter(active=True, household__in=households)
            .values("household__house__building__area_id")
            .annotate(n=Count("id"))
        )
    return {next(iter(r.values())): r["n"] for r in rows}


def survey_results(*, viewer: Any, survey: Survey) -> dict[str, Any]:
    """Counts per option, rating averages, response rates by grid; free text only when approved (staff
    in scope also see what waits for moderation)."""
    staff = services.is_staff_for(viewer, survey.area)
    questions = list(survey.questions.all())
    answers = Answer.objects.filter(response__survey=survey)
    choice_counts: dict[int, Counter[int]] = defaultdict(Counter)
    ratings: dict[int, list[int]] = defaultdict(list)
    texts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for qid, choices, rating, text, moderation, pk in answers.values_list(
        "question_id", "choices", "rating", "text", "moderation", "pk"
    ):
        for c in choices or []:
            choice_counts[qid][c] += 1
        if rating is not None:
            ratings[qid].append(rating)
        if text and (moderation == Answer.Moderation.APPROVED or staff):
            texts[qid].append({"id": pk, "text": text, "moderation": moderation})
    out_q = []
    for q in questions:
        item: dict[str, Any] = {"id": q.pk, "kind": q.kind, "text": q.text}
        if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            item["options"] = [{"label": o, "count": choice_counts[q.pk][i]} for i, o in enumerate(q.options)]
        elif q.kind == Question.Kind.RATING:
            rs = ratings[q.pk]
            item["count"] = len(rs)
            item["average"] = str(round(Decimal(sum(rs)) / len(rs), 2)) if rs else None
            item["rating_max"] = q.rating_max
        else:
            item["texts"] = texts[q.pk]
        out_q.append(item)
    eligible = _eligible_by_grid(survey)
    responded = dict(
        Response.objects.filter(survey=survey)
        .values_list("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    grids = {a.pk: a for a in Area.objects.filter(pk__in=set(eligible) | set(responded))}
    by_grid = []
    for gid in sorted(grids, key=lambda g: grids[g].code):
        e, r = eligible.get(gid, 0), responded.get(gid, 0)
        by_grid.append(
            {
                "grid": grids[gid].code,
                "name": grids[gid].name,
                "eligible": e,
                "responses": r,
                "rate": str(round(Decimal(r) * 100 / e, 1)) if e else None,
            }  # fmt: skip
        )
    total_e, total_r = sum(eligible.values()), sum(responded.values())
    paper = Response.objects.filter(survey=survey, channel=Response.Channel.PAPER).count()
    return {
        "responses": total_r,
        "paper": paper,
        "eligible": total_e,
        "rate": str(round(Decimal(total_r) * 100 / total_e, 1)) if total_e else None,
        "by_grid": by_grid,
        "questions": out_q,
    }


def pending_texts(*, viewer: Any, survey: Survey) -> QuerySet[Answer]:
    if not services.is_staff_for(viewer, survey.area):
        raise Forbidden(_("无权审核"))
    return Answer.objects.filter(
        response__survey=survey, moderation=Answer.Moderation.PENDING
    ).select_related("question")
