"""Schemes: validation against the discovered figures, immutability of an active version, formula bounds,
ranking with a minimum sample, the periodic step and the management command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.testing import make_user

from .. import figures, formula, selectors, services
from ..models import Scheme, ScoreRun
from .helpers import ITEMS, OCT, active_scheme, make_month


def test_attendance_and_every_provider_are_discovered_with_plain_dicts():
    found = figures.discover(refresh=True)
    for key in (
        "appeals.resolution_rate",
        "appeals.on_time_close_rate",
        "appeals.satisfaction_rate",
        "visits.completion",
        "patrols.coverage",
        "projects.milestones_on_time",
        "volunteers.hours",
    ):
        assert key in found, key
        assert set(found[key].subjects) <= set(figures.SUBJECT_KINDS)
    assert "grid_worker" not in found["projects.milestones_on_time"].subjects


@pytest.mark.parametrize(
    ("kind", "value", "floor", "target", "expected"),
    [
        ("linear", None, 0, 1, "0"),
        ("linear", -5.0, 0, 1, "0"),
        ("linear", 0.5, 0, 1, "15.00"),
        ("linear", 7.0, 0, 1, "30"),
        ("linear", 0.1, 0.3, 0.0, "20.00"),  # lower is better: 0.1 is 2/3 of the way from 0.3 to 0
        ("linear", 0.5, 0.3, 0.0, "0"),
        ("linear", -1.0, 0.3, 0.0, "30"),
        ("threshold", 0.79, 0, 0.8, "0"),
        ("threshold", 0.8, 0, 0.8, "30"),
        ("threshold", 0.05, 0.3, 0.1, "30"),
        ("threshold", None, 0, 0.8, "0"),
    ],
)
def test_formula_points_stay_between_zero_and_the_weight(kind, value, floor, target, expected):
    points = formula.points(kind, Decimal(30), value, floor, target)
    assert points == Decimal(expected)
    assert Decimal(0) <= points <= Decimal(30)


def test_formula_in_words_names_its_parameters():
    assert (
        formula.in_words("linear", Decimal("40"), 0.6, 0.95)
        == "≤0.6 得 0 分，≥0.95 得满分 40 分，其间按比例；无样本 0 分"
    )
    assert formula.in_words("threshold", Decimal("30"), 0, 0.8).startswith("≥0.8 得 30 分")


@pytest.mark.django_db
def test_items_are_checked_against_the_figures_and_the_subject_kind(tree):
    staff = make_user(Role.DISTRICT, tree.district)

    def create(items, kind="community"):
        return services.scheme_create(
            name="x", area=tree.district, subject_kind=kind, period="monthly", items=items, by=staff
        )

    with pytest.raises(InvalidInput) as e:
        create([{"figure": "nope.figure", "weight": 10}])
    assert e.value.errors[0]["field"] == "figure"
    with pytest.raises(InvalidInput) as e:
        create([{"figure": "projects.milestones_on_time", "weight": 10}], kind="grid_worker")
    assert "不适用" in e.value.detail
    with pytest.raises(InvalidInput) as e:
        create([{"figure": "visits.completion", "weight": 10, "floor": 1, "target": 1}])
    assert e.value.errors[0]["field"] == "target"
    with pytest.raises(InvalidInput) as e:
        create([{"figure": "visits.completion", "weight": 0}])
    assert e.value.errors[0]["field"] == "weight"
    assert not Scheme.objects.exists()
    with pytest.raises(Forbidden):
        services.scheme_create(
            name="x", area=tree.district, subject_kind="grid", period="monthly",
            items=ITEMS, by=make_user(Role.GRID_WORKER, tree.grid_a),
        )  # fmt: skip


@pytest.mark.django_db
def test_an_active_scheme_is_immutable_and_a_change_is_a_new_version(tree):
    m = make_month(tree)
    v1 = active_scheme(m)
    with pytest.raises(Conflict):
        services.scheme_update(scheme=v1, items=[{"figure": "visits.completion", "weight": 100}], by=m.staff)
    assert [(i.figure, i.weight) for i in v1.items.all()] == [
        (i["figure"], Decimal(i["weight"])) for i in ITEMS
    ]
    v2 = services.scheme_new_version(scheme=v1, by=m.staff)
    assert (v2.version, v2.state) == (2, "draft")
    with pytest.raises(Conflict):
        services.scheme_new_version(scheme=v1, by=m.staff)  # one draft at a time
    services.scheme_update(
        scheme=v2,
        items=[
            {"figure": "visits.completion", "weight": 60},
            {"figure": "appeals.resolution_rate", "weight": 30},
        ],
        by=m.staff,
    )
    with pytest.raises(InvalidInput) as e:
        services.scheme_activate(scheme=v2, by=m.staff)  # weights sum to 90
    assert "100" in e.value.detail
    services.scheme_update(
        scheme=v2,
        items=[
            {"figure": "visits.completion", "weight": 70},
            {"figure": "appeals.resolution_rate", "weight": 30},
        ],
        by=m.staff,
    )
    services.scheme_activate(scheme=v2, by=m.staff)
    v1.refresh_from_db()
    assert (v1.state, Scheme.objects.get(pk=v2.pk).state) == ("retired", "active")
    # v1's scores of a past period stay computable and keep its items.
    run = services.score_compute(scheme=v1, period_start=OCT)
    assert run.scores.first().items.count() == 3


@pytest.mark.django_db
def test_the_database_allows_one_active_version_per_name_and_subject_kind(tree):
    from django.db import IntegrityError, transaction

    m = make_month(tree)
    v1 = active_scheme(m)
    with pytest.raises(IntegrityError), transaction.atomic():
        Scheme.objects.create(
            name=v1.name,
            area=tree.district,
            subject_kind=v1.subject_kind,
            period="monthly",
            version=2,
            state="active",
        )


@pytest.mark.django_db
def test_a_ranking_lists_subjects_below_the_minimum_sample_as_not_ranked(tree, settings):
    m = make_month(tree)
    scheme = active_scheme(m)
    run = services.score_compute(scheme=scheme, period_start=OCT)
    east, west = (
        run.scores.get(area_code=tree.community.code),
        run.scores.get(area_code=tree.other_community.code),
    )
    assert east.sample == 10 and west.sample == 3
    settings.WANGGE_ASSESSMENT = {"min_sample": 5}
    rows = selectors.ranking(viewer=m.staff, run=run)["scores"]
    assert [(s.pk, s.rank) for s in rows] == [(east.pk, 1), (west.pk, None)]
    settings.WANGGE_ASSESSMENT = {"min_sample": 1}
    rows = selectors.ranking(viewer=m.staff, run=run)["scores"]
    ranks = {s.pk: s.rank for s in rows}
    assert sorted(ranks.values()) == [1, 2]
    assert ranks[max((east, west), key=lambda s: s.total).pk] == 1
    settings.WANGGE_ASSESSMENT = {"min_sample": 50}
    assert [s.rank for s in selectors.ranking(viewer=m.staff, run=run)["scores"]] == [None, None]
    # A community worker sees their own community's row only, with its district rank.
    settings.WANGGE_ASSESSMENT = {"min_sample": 5}
    staff = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    rows = selectors.ranking(viewer=staff, run=run)["scores"]
    assert [(s.pk, s.rank) for s in rows] == [(west.pk, None)]


@pytest.mark.django_db
def test_the_periodic_step_computes_last_month_once_and_the_command_any_period(tree):
    m = make_month(tree)
    scheme = active_scheme(m)
    now = dt.datetime(2025, 11, 1, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert services.tick(now) == {"computed": [f"{scheme} 2025-10"]}
    assert services.tick(now) is None
    assert ScoreRun.objects.get(scheme=scheme).period_start == OCT
    call_command("assessment_compute", "--period", "2025-09")
    assert sorted(ScoreRun.objects.values_list("period_start", flat=True)) == [dt.date(2025, 9, 1), OCT]


@pytest.mark.django_db
def test_a_draft_cannot_be_computed(tree):
    m = make_month(tree)
    draft = services.scheme_create(
        name="草稿", area=tree.district, subject_kind="community", period="monthly", items=ITEMS, by=m.staff
    )
    with pytest.raises(Conflict):
        services.score_compute(scheme=draft, period_start=OCT)
