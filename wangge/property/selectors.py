"""Reads of 红色物业: compliance of commitments computed from the appeals' cases, satisfaction by quarter,
the public board of a community (no personal data)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Unit
from wangge.appeals.models import Appeal, Category, State
from wangge.areas.models import Area
from wangge.core.errors import NotFound
from wangge.registry.models import Building

from .models import Commitment, Evaluation, Score

EXCLUDED = (State.CANCELLED, State.MERGED)


@dataclass
class Judged:
    """Cases judged against a promise: ``met`` resolved within it, ``missed`` resolved late or still open
    past it, ``pending`` still open and within it (not judged yet)."""

    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def judged(self) -> int:
        return self.met + self.missed

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.met, self.judged) if self.judged else None

    def percent(self) -> str | None:
        r = self.rate
        return None if r is None else str(round(Decimal(r.numerator) * 100 / Decimal(r.denominator), 1))

    def add(self, other: Judged) -> None:
        self.met += other.met
        self.missed += other.missed
        self.pending += other.pending


def judge(cases: Iterable[tuple[datetime, datetime | None]], limit: timedelta, now: datetime) -> Judged:
    """Judge (dispatched_at, resolved_at) pairs against a promised time limit (the clock starts at dispatch,
    as in the case loop)."""
    out = Judged()
    for dispatched, resolved in cases:
        due = dispatched + limit
        if resolved is not None:
            if resolved <= due:
                out.met += 1
            else:
                out.missed += 1
        elif now > due:
            out.missed += 1
        else:
            out.pending += 1
    return out


def covered_categories(commitment: Commitment) -> set[int]:
    """The commitment's categories with their subclasses (a class covers everything under it)."""
    ids = {c.pk for c in commitment.categories.all()}
    return ids | set(Category.objects.filter(parent_id__in=ids).values_list("id", flat=True))


def _month(dt: datetime) -> tuple[int, int]:
    d = timezone.localtime(dt)
    return d.year, d.month


def _month_start(year: int, month: int) -> datetime:
    return timezone.make_aware(datetime(year, month, 1))


def months_back(now: datetime, n: int) -> list[tuple[int, int]]:
    y, m = _month(now)
    out = []
    for _i in range(n):
        out.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def compliance(
    company: Unit, months: list[tuple[int, int]], *, community: str | None = None, now: datetime | None = None,
    commitments: list[Commitment] | None = None,
) -> dict[int, dict[tuple[int, int], Judged]]:  # fmt: skip
    """Per commitment and month: the company's cases (it led them) in the commitment's categories,
    dispatched that month (optionally in one community), judged against the promise. One case query."""
    now = now or timezone.now()
    commitments = commitments if commitments is not None else list(
        Commitment.objects.filter(company=company, active=True).prefetch_related("categories")
    )  # fmt: skip
    covers = {c.pk: covered_categories(c) for c in commitments}
    all_cats = set().union(*covers.values()) if covers else set()
    start = _month_start(*months[0])
    ly, lm = months[-1]
    end = _month_start(ly + (lm == 12), lm % 12 + 1)
    qs = Appeal.objects.filter(
        lead_unit=company, category_id__in=all_cats, dispatched_at__gte=start, dispatched_at__lt=end
    ).exclude(state__in=EXCLUDED)
    if community:
        qs = qs.filter(area_code__startswith=community)
    buckets: dict[tuple[int, tuple[int, int]], list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for cat, dispatched, resolved in qs.values_list("category_id", "dispatched_at", "resolved_at"):
        assert dispatched is not None  # filtered on a range above
        key = _month(dispatched)
        for c in commitments:
            if cat in covers[c.pk]:
                buckets[(c.pk, key)].append((dispatched, resolved))
    out: dict[int, dict[tuple[int, int], Judged]] = {}
    for c in commitments:
        limit = timedelta(hours=c.time_limit_hours)
        out[c.pk] = {m: judge(buckets.get((c.pk, m), []), limit, now) for m in months}
    return out


def satisfaction(company: Unit, *, community: str | None = None) -> list[dict[str, Any]]:
    """Per quarter: evaluations, average score and the share of scores of 4 or 5 (满意率)."""
    qs = Score.objects.filter(evaluation__company=company)
    if community:
        qs = qs.filter(evaluation__community__code=community)
    agg: dict[tuple[int, int], list[int]] = defaultdict(list)
    households: dict[tuple[int, int], set[int]] = defaultdict(set)
    for y, q, s, ev in qs.values_list("evaluation__year", "evaluation__quarter", "score", "evaluation_id"):
        agg[(y, q)].append(s)
        households[(y, q)].add(ev)
    out = []
    for y, q in sorted(agg):
        scores = agg[(y, q)]
        good = sum(1 for s in scores if s >= 4)
        out.append({
            "quarter": f"{y}Q{q}", "evaluations": len(households[(y, q)]),
            "average": str(round(Decimal(sum(scores)) / len(scores), 2)),
            "satisfied": str(round(Decimal(good) * 100 / len(scores), 1)),
        })  # fmt: skip
    return out


def commitment_list(*, company: Unit | None = None, community: str | None = None) -> Any:
    qs = Commitment.objects.filter(active=True).select_related("company").prefetch_related("categories")
    if company is not None:
        qs = qs.filter(company=company)
    if community:
        qs = qs.filter(company__in=companies_of(community))
    return qs.order_by("company_id", "order", "id")


def companies_of(community: str) -> list[Unit]:
    ids = (
        Building.objects.filter(area__code__startswith=community, property_company__isnull=False)
        .values_list("property_company_id", flat=True)
        .distinct()
    )
    return list(Unit.objects.filter(pk__in=ids, kind=Unit.Kind.PROPERTY_COMPANY).order_by("name"))


def board(*, community_code: str, now: datetime | None = None) -> dict[str, Any]:
    """The public board of a community: each company's commitments with this month's compliance, twelve
    months of compliance, the satisfaction trend and the answered comments. No names, no households."""
    community = Area.objects.filter(code=community_code, level="community").first()
    if community is None:
        raise NotFound(_("社区不存在"))
    now = now or timezone.now()
    months = months_back(now, 12)
    this_month = months[-1]
    companies = []
    for company in companies_of(community.code):
        commitments = list(commitment_list(company=company))
        per = compliance(company, months, community=community.code, now=now, commitments=commitments)
        trend = []
        for m in months:
            total = Judged()
            for c in commitments:
                total.add(per[c.pk][m])
            trend.append({"month": f"{m[0]}-{m[1]:02d}", "judged": total.judged, "met": total.met,
                          "percent": total.percent()})  # fmt: skip
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in commitments:
            j = per[c.pk][this_month]
            groups[c.group].append({
                "id": c.pk, "text": c.text, "time_limit_hours": c.time_limit_hours,
                "categories": [x.name for x in c.categories.all()],
                "judged": j.judged, "met": j.met, "pending": j.pending, "percent": j.percent(),
            })  # fmt: skip
        answered = (
            Evaluation.objects.filter(company=company, community=community)
            .exclude(comment="")
            .exclude(reply="")
            .order_by("-replied_at")
            .values("year", "quarter", "comment", "reply", "replied_at")[:10]
        )
        companies.append({
            "id": company.pk, "name": company.name,
            "groups": [{"group": g, "commitments": items} for g, items in groups.items()],
            "compliance": trend, "this_month": trend[-1],
            "satisfaction": satisfaction(company, community=community.code),
            "answered": [dict(a) for a in answered],
        })  # fmt: skip
    return {"community": {"code": community.code, "name": community.name}, "companies": companies}


def evaluation_list(*, viewer: Any, company: Unit | None = None, unanswered: bool = False) -> Any:
    qs = (
        Evaluation.objects.visible_to(viewer)
        .select_related("company", "community")
        .prefetch_related("scores")
    )
    if company is not None:
        qs = qs.filter(company=company)
    if unanswered:
        qs = qs.exclude(comment="").filter(reply="")
    return qs.order_by("-submitted_at", "-id")


def my_evaluation(*, viewer: Any, company: Unit, now: datetime | None = None) -> Evaluation | None:
    from .services import household_for, quarter_of

    hh = household_for(viewer, company)
    if hh is None:
        return None
    y, q = quarter_of(now or timezone.now())
    return Evaluation.objects.filter(company=company, household=hh, year=y, quarter=q).first()
