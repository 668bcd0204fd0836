"""The hand-computed month (helpers.py): each item's numbers, the sum, and exactly the evidence counted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .. import services
from ..models import Score, ScoreEvidence, ScoreItem
from .helpers import OCT, active_scheme, make_month

pytestmark = pytest.mark.django_db


def _items(score: Score) -> dict[str, ScoreItem]:
    return {i.figure: i for i in score.items.all()}


def _evidence(item: ScoreItem) -> set[int]:
    return set(ScoreEvidence.objects.filter(score_item=item).values_list("object_id", flat=True))


def test_a_hand_computed_month_equals_the_sum_of_its_items_and_lists_exactly_the_evidence(tree):
    m = make_month(tree)
    scheme = active_scheme(m)
    run = services.score_compute(scheme=scheme, period_start=OCT)
    assert (run.period_start.isoformat(), run.period_end.isoformat()) == ("2025-10-01", "2025-10-31")
    # One score per community of the district: 东园 and 西园.
    assert sorted(run.scores.values_list("area_code", flat=True)) == ["320621001001", "320621001002"]
    score = run.scores.get(area_code="320621001001")
    items = _items(score)
    c, p = m.cases, m.periods

    res = items["appeals.resolution_rate"]
    assert (res.value, res.numerator, res.denominator, res.points) == (0.3333, 1, 3, Decimal("13.33"))
    assert _evidence(res) == {c["A"].pk, c["B"].pk, c["C"].pk}

    on_time = items["appeals.on_time_close_rate"]
    assert (on_time.value, on_time.numerator, on_time.denominator, on_time.points) == (
        0.5, 2, 4, Decimal("15.00"),
    )  # fmt: skip
    assert _evidence(on_time) == {c["A"].pk, c["B"].pk, c["D"].pk, c["P"].pk}

    visits = items["visits.completion"]
    assert (visits.value, visits.numerator, visits.denominator, visits.points) == (
        0.3333,
        1,
        3,
        Decimal("30"),
    )
    assert _evidence(visits) == {p["v1"].pk, p["v2"].pk, p["v3"].pk}

    assert score.total == Decimal("58.33") == sum(i.points for i in items.values())
    assert score.sample == 3 + 4 + 3
    for item in items.values():
        assert item.evidence_count == ScoreEvidence.objects.filter(score_item=item).count()
    # The other community: H rated and solved, v6 completed; nothing due for on time (H closed on time → 1/1).
    other = _items(run.scores.get(area_code="320621001002"))
    assert _evidence(other["appeals.resolution_rate"]) == {c["H"].pk}
    assert _evidence(other["visits.completion"]) == {p["v6"].pk}


def test_recomputing_a_period_replaces_its_scores(tree):
    m = make_month(tree)
    scheme = active_scheme(m)
    services.score_compute(scheme=scheme, period_start=OCT)
    run = services.score_compute(scheme=scheme, period_start=OCT.replace(day=17))
    assert run.period_start == OCT
    assert Score.objects.filter(scheme=scheme).count() == 2
    assert ScoreItem.objects.filter(score__scheme=scheme).count() == 6


def test_a_grid_worker_is_scored_on_the_cases_they_lead_and_their_grids_visits(tree):
    from wangge.accounts.roles import Role
    from wangge.appeals.models import Appeal
    from wangge.testing import make_user

    m = make_month(tree)
    gw = make_user(Role.GRID_WORKER, tree.grid_a, display_name="王网格")
    Appeal.objects.filter(pk__in=[m.cases["A"].pk, m.cases["C"].pk]).update(lead_user=gw)
    scheme = active_scheme(m, subject_kind="grid_worker", name="网格员月度考评")
    run = services.score_compute(scheme=scheme, period_start=OCT)
    score = run.scores.get(user=gw)
    assert score.area_code == tree.grid_a.code and score.subject_label == "王网格"
    items = _items(score)
    assert _evidence(items["appeals.resolution_rate"]) == {m.cases["A"].pk, m.cases["C"].pk}
    assert items["appeals.resolution_rate"].value == 0.5
    assert _evidence(items["visits.completion"]) == {m.periods[k].pk for k in ("v1", "v2", "v3")}
    assert score.total == sum(i.points for i in items.values())
