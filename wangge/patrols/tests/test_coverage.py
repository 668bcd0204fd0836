"""Coverage, hand-computed: buildings at known distances from a track; a building counts when a good point
(accuracy within WANGGE_PATROL_MAX_ACCURACY_M) came within WANGGE_PATROL_COVERAGE_DISTANCE_M of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.patrols import coverage, selectors, services
from wangge.patrols.models import PatrolPass, PatrolPoint
from wangge.patrols.tests.factories import make_building, offset, point
from wangge.testing import make_user


def test_index_finds_buildings_within_the_distance_only() -> None:
    lat0, lng0 = 32.505, 120.405
    b = [
        (1, *offset(lat0, lng0, east_m=49)),
        (2, *offset(lat0, lng0, east_m=51)),
        (3, *offset(lat0, lng0, 30, 30)),
    ]
    index = coverage.BuildingIndex(b, 50)
    # 49 m east: yes; 51 m east: no; (30, 30) is sqrt(1800) = 42.4 m: yes.
    assert sorted(index.near(lat0, lng0)) == [1, 3]
    # A point 10 km away touches no bucket.
    assert index.near(*offset(lat0, lng0, north_m=10_000)) == []


def test_track_length_is_the_sum_of_its_legs() -> None:
    lat0, lng0 = 32.5, 120.4
    track = [offset(lat0, lng0), offset(lat0, lng0, east_m=300), offset(lat0, lng0, 400, 300)]
    assert coverage.track_length_m(track) == pytest.approx(700, abs=1)


@pytest.mark.django_db
def test_patrol_coverage_hand_computed(tree, settings) -> None:
    settings.WANGGE_PATROL_COVERAGE_DISTANCE_M = 50
    settings.WANGGE_PATROL_MAX_ACCURACY_M = 50
    g = tree.grid_a
    b1 = make_building(g)  # at the centre
    b2 = make_building(g, east_m=100)
    b3 = make_building(g, east_m=200)
    make_building(g, north_m=100)  # b4
    make_building(g, north_m=300, located=False)  # no coordinates: not in the denominator
    gw = make_user(Role.GRID_WORKER, g)
    t0 = timezone.now() - dt.timedelta(minutes=30)
    patrol, _ = services.patrol_start(by=gw, client_id="p1", area=g, started_at=t0)
    result = services.patrol_points_add(
        by=gw,
        patrol=patrol,
        points=[
            point(g, t0 + dt.timedelta(seconds=15), east_m=30),  # b1 at 30 m; b2 at 70 m
            point(g, t0 + dt.timedelta(seconds=30), east_m=160),  # b3 at 40 m; b2 at 60 m
            point(g, t0 + dt.timedelta(seconds=45), north_m=100, accuracy_m=80),  # on b4, but poor
        ],
    )
    assert result == {"accepted": 3, "duplicates": 0, "outside": 0, "good": 2, "buildings_passed": 2}
    assert set(PatrolPass.objects.values_list("building_id", flat=True)) == {b1.pk, b3.pk}
    s = selectors.patrol_summary(patrol)
    assert (s["buildings_passed"], s["buildings_total"], s["coverage"]) == (2, 4, 0.5)
    # Distance over the good points only: 30 m east → 160 m east = 130 m.
    assert s["distance_m"] == 130
    assert (s["point_count"], s["good_point_count"]) == (3, 2)
    # A fix of exactly 50 m accuracy counts; it passes b2.
    services.patrol_points_add(
        by=gw, patrol=patrol, points=[point(g, t0 + dt.timedelta(seconds=60), east_m=100, accuracy_m=50)]
    )
    assert selectors.patrol_summary(patrol)["coverage"] == 0.75
    # Rebuilt from the points with a 25 m distance: only b2 (0 m) is within reach (b1 30 m, b3 40 m).
    settings.WANGGE_PATROL_COVERAGE_DISTANCE_M = 25
    assert services.patrol_passes_rebuild(patrol=patrol) == 1
    assert list(PatrolPass.objects.values_list("building_id", flat=True)) == [b2.pk]
    assert PatrolPoint.objects.filter(patrol=patrol, good=False).count() == 1
