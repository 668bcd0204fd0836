from __future__ import annotations

import pytest

from wangge.accounts.roles import Role
from wangge.core.errors import Conflict
from wangge.core.models import AppendOnlyError
from wangge.points import services
from wangge.points.models import PointEntry
from wangge.points.selectors import points_balance, points_ledger_sum
from wangge.testing import make_user


@pytest.mark.django_db
def test_earning_is_idempotent_per_source() -> None:
    user = make_user(Role.VOLUNTEER)
    first = services.points_earn(user=user, rule_code="volunteer_hour", source_key="signup:1", quantity=2.5)
    again = services.points_earn(user=user, rule_code="volunteer_hour", source_key="signup:1", quantity=2.5)
    other = make_user(Role.VOLUNTEER)
    stolen = services.points_earn(user=other, rule_code="volunteer_hour", source_key="signup:1")
    assert first is not None and first.points == 25
    assert again is None and stolen is None
    assert points_balance(user) == 25 == points_ledger_sum(user)
    assert points_balance(other) == 0


@pytest.mark.django_db
def test_factor_and_rule_data_drive_points() -> None:
    user = make_user(Role.VOLUNTEER)
    e = services.points_earn(user=user, rule_code="volunteer_hour", source_key="s:2", quantity=3, factor=1.2)
    assert e is not None and e.points == 36
    assert services.points_earn(user=user, rule_code="no_such_rule", source_key="x") is None


@pytest.mark.django_db
def test_entries_are_append_only() -> None:
    user = make_user(Role.VOLUNTEER)
    e = services.points_earn(user=user, rule_code="wish_fulfilled", source_key="wish:1")
    assert e is not None
    e.points = 1000
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.delete()
    assert PointEntry.objects.get(pk=e.pk).points == 20


@pytest.mark.django_db
def test_adjustment_cannot_go_below_zero_and_needs_reason(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    user = make_user(Role.VOLUNTEER)
    services.points_earn(user=user, rule_code="pairing_visit", source_key="v:1")
    with pytest.raises(Conflict):
        services.points_adjust(user=user, points=-6, reason="纠错", by=staff)
    services.points_adjust(user=user, points=-5, reason="纠错", by=staff)
    assert points_balance(user) == 0 == points_ledger_sum(user)


@pytest.mark.django_db
def test_redeem_and_cancel_return_points_and_stock(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    user = make_user(Role.VOLUNTEER)
    services.points_earn(user=user, rule_code="volunteer_hour", source_key="s:9", quantity=5)
    reward = services.reward_create(
        name="毛巾", price=20, stock=2, per_person_limit=1, area=tree.community, by=staff
    )
    r = services.reward_redeem(reward_id=reward.pk, user=user)
    reward.refresh_from_db()
    assert reward.stock == 1 and points_balance(user) == 30
    with pytest.raises(Conflict):  # per-person limit
        services.reward_redeem(reward_id=reward.pk, user=user)
    services.redemption_cancel(redemption=r, reason="不需要了", by=user)
    reward.refresh_from_db()
    assert reward.stock == 2 and points_balance(user) == 50 == points_ledger_sum(user)
    assert PointEntry.objects.filter(user=user, kind="reversal").count() == 1
    with pytest.raises(Conflict):
        services.redemption_cancel(redemption=r, reason="again", by=user)
    r2 = services.reward_redeem(reward_id=reward.pk, user=user)
    services.redemption_hand_over(redemption=r2, by=staff)
    r2.refresh_from_db()
    assert r2.status == "handed_over"
