"""Issue 7 for points: earning rules carry their limits as data and refuse what lies beyond them with a
reason naming the rule; the redemptions list costs the same queries for 1 and for 20 rows; out of scope = 404;
bounded input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, InvalidInput
from wangge.points import services
from wangge.points.models import EarningRule, PointEntry
from wangge.points.selectors import points_balance
from wangge.testing import api_client, make_user

J = "application/json"


@pytest.mark.django_db
def test_a_daily_cap_refuses_the_next_earning_with_the_rule_named() -> None:
    user = make_user(Role.VOLUNTEER)
    cap = EarningRule.objects.get(code="wish_fulfilled").max_per_day
    assert cap == 3  # the documented default, seeded as data
    day = dt.date(2026, 5, 1)
    for i in range(cap):
        assert services.points_earn(user=user, rule_code="wish_fulfilled", source_key=f"wish:{i}", on=day)
    with pytest.raises(Conflict) as exc:
        services.points_earn(user=user, rule_code="wish_fulfilled", source_key="wish:99", on=day)
    assert "wish_fulfilled" in exc.value.detail and exc.value.extra["state"] == "day_limit"
    assert points_balance(user) == 60
    # Another day is another day; the limit is data: raise it and the same event pays.
    assert services.points_earn(
        user=user, rule_code="wish_fulfilled", source_key="wish:98", on=day + dt.timedelta(1)
    )
    EarningRule.objects.filter(code="wish_fulfilled").update(max_per_day=None)
    assert services.points_earn(user=user, rule_code="wish_fulfilled", source_key="wish:99", on=day)
    assert points_balance(user) == 100


@pytest.mark.django_db
def test_minimum_duration_and_one_per_period() -> None:
    user = make_user(Role.VOLUNTEER)
    with pytest.raises(InvalidInput) as exc:
        services.points_earn(user=user, rule_code="pairing_visit", source_key="visit:1", minutes=5)
    assert exc.value.errors[0]["field"] == "duration_minutes" and "pairing_visit" in exc.value.detail
    assert services.points_earn(
        user=user, rule_code="pairing_visit", source_key="visit:2", minutes=30, period_key="pairing:1:0"
    )
    with pytest.raises(Conflict):
        services.points_earn(
            user=user, rule_code="pairing_visit", source_key="visit:3", minutes=30, period_key="pairing:1:0"
        )
    # A reversed earning frees its place in the period.
    entry = PointEntry.objects.get(source_key="visit:2")
    services.points_reverse(entry=entry, reason="走访记录有误", by=None)
    assert services.points_earn(
        user=user, rule_code="pairing_visit", source_key="visit:3", minutes=30, period_key="pairing:1:0"
    )
    assert points_balance(user) == 5


def _redemptions_queries(user) -> int:
    c = api_client(user)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/api/v1/redemptions").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_redemptions_list_query_count_is_constant(tree, django_assert_num_queries) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    user = make_user(Role.VOLUNTEER)
    services.points_adjust(user=user, points=1000, reason="测试", by=staff)
    reward = services.reward_create(name="毛巾", price=5, stock=100, area=tree.community, by=staff)
    services.reward_redeem(reward_id=reward.pk, user=user)
    one = _redemptions_queries(user)
    for _ in range(19):
        services.reward_redeem(reward_id=reward.pk, user=user)
    c = api_client(user)
    with django_assert_num_queries(one):
        assert len(c.get("/api/v1/redemptions").json()) == 20
    # The same for staff listing their scope's redemptions.
    s = api_client(staff)
    with CaptureQueriesContext(connection) as ctx:
        assert len(s.get("/api/v1/redemptions?mine=false").json()) == 20
    assert len(ctx.captured_queries) == one + 1  # + the staff member's posts (their scope)


@pytest.mark.django_db
def test_rewards_and_redemptions_out_of_scope_are_404(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    user = make_user(Role.VOLUNTEER)
    services.points_adjust(user=user, points=100, reason="测试", by=staff)
    reward = services.reward_create(name="毛巾", price=5, stock=10, area=tree.community, by=staff)
    r = services.reward_redeem(reward_id=reward.pk, user=user)
    c = api_client(outsider)
    assert c.post(f"/api/v1/redemptions/{r.pk}/handover").status_code == 404
    assert c.post(f"/api/v1/redemptions/{r.pk}/cancel", {"reason": "x"}, content_type=J).status_code == 404
    assert c.post("/api/v1/redemptions/987654/handover").status_code == 404
    services.reward_redeem(reward_id=reward.pk, user=user)
    assert (
        api_client(make_user(Role.VOLUNTEER))
        .post(f"/api/v1/redemptions/{r.pk}/cancel", {"reason": "x"}, content_type=J)
        .status_code
        == 404
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"name": "毛巾\x00", "price": 5, "stock": 1},
        {"name": "毛巾", "price": 10**12, "stock": 1},
        {"name": "毛巾", "price": 5, "stock": -1},
        {"name": "毛巾", "price": 5, "stock": 10**30},
        {"name": "x" * 1000, "price": 5, "stock": 1},
    ],
)
def test_reward_input_is_bounded(tree, body) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    r = api_client(staff).post("/api/v1/rewards", {"area": tree.community.code, **body}, content_type=J)
    assert r.status_code == 422, r.content


@pytest.mark.django_db
def test_redeem_quantity_is_bounded(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    user = make_user(Role.VOLUNTEER)
    reward = services.reward_create(name="毛巾", price=5, stock=10, area=tree.community, by=staff)
    r = api_client(user).post(f"/api/v1/rewards/{reward.pk}/redeem", {"quantity": 10**30}, content_type=J)
    assert r.status_code == 422
