"""MUST-SHOW: owners' votes counted exactly as 民法典 第二百七十八条 and the SPC interpretation (art. 8, 9)
require, on hand-computed electorates."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.testing import make_id_number
from wangge.voting import counting, services
from wangge.voting.models import Ballot, Voter
from wangge.voting.tests.conftest import photo_bytes

pytestmark = pytest.mark.django_db


def _paper(world, vote, voter, choice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return services.ballot_enter_paper(
        vote=vote, voter_id=voter.pk, choice=choice, by=world.staff,
        photo=SimpleUploadedFile("b.jpg", photo_bytes(), content_type="image/jpeg"),
    )  # fmt: skip


def _voter(vote, house):
    return Voter.objects.get(vote=vote, electors__house=house)


def test_major_matter_reaches_quorum_but_fails_three_quarters_of_participating_area(world):
    # Six units, six owners: 100, 100, 100, 100, 150, 50 m² (600 m²). A–D approve, E rejects, F stays home.
    areas = [100, 100, 100, 100, 150, 50]
    houses = [world.house(f"{i + 1}01", a) for i, a in enumerate(areas)]
    for i, h in enumerate(houses):
        world.own(h, f"业主{i}", make_id_number(serial=500 + i))
    vote = world.vote("raise_fund", title="续筹维修资金")
    for h in houses[:4]:
        _paper(world, vote, _voter(vote, h), "approve")
    _paper(world, vote, _voter(vote, houses[4]), "reject")
    r = services.tally(vote)
    # Participation: 5/6 owners ≥ 2/3, 550/600 m² ≥ 2/3 — the quorum is reached.
    # Approval: 4/5 owners ≥ 3/4, but 400/550 m² = 72.7% < 3/4 — fails on area alone.
    checks = {c["key"]: c for c in r.checks}
    assert checks["quorum_area"]["passed"] and checks["quorum_heads"]["passed"]
    assert checks["approve_heads"]["ratio"] == "4/5" and checks["approve_heads"]["passed"]
    assert checks["approve_area"]["ratio"] == "8/11" and not checks["approve_area"]["passed"]
    assert r.failed == ["approve_area"] and not r.passed
    # The same ballots on an ordinary matter (more than half) would pass.
    rule = services.rule_from(vote.rule_set, "general")
    assert counting.count(
        [(a * 100, c) for a, c in zip(areas, ["approve"] * 4 + ["reject", None], strict=False)], rule
    ).passed


def test_owner_of_three_units_counts_once_by_headcount_and_by_the_sum_of_areas(world):
    from wangge.testing import api_client

    h1, h2, h3 = world.house("101", "80.50"), world.house("102", 90), world.house("103", "100.25")
    others = [world.house("201", 120), world.house("202", 110), world.house("203", 100)]
    x = world.person(h1, "许光明")
    world.own(h1, "许光明", resident=x)
    world.own(h2, "许光明", x.id_number)  # the same buyer, matched by ID number (no resident link)
    world.own(h3, "许光明", x.id_number)
    for i, h in enumerate(others):
        world.own(h, f"业主{i}", make_id_number(serial=600 + i))
    vote = world.vote("manager", title="续聘物业")
    xv = _voter(vote, h1)
    assert xv.units == 3 and xv.area_centi == 8050 + 9000 + 10025
    assert Voter.objects.filter(vote=vote).count() == 4  # X + three others
    c = api_client(x.account)
    resp = c.post(f"/api/v1/votes/{vote.pk}/ballots", {"choice": "approve"}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    again = c.post(f"/api/v1/votes/{vote.pk}/ballots", {"choice": "reject"}, content_type="application/json")
    assert again.status_code == 409
    _paper(world, vote, _voter(vote, others[0]), "approve")
    _paper(world, vote, _voter(vote, others[1]), "reject")
    r = services.tally(vote).as_dict()
    assert r["electorate"] == {"heads": 4, "area": "600.75"}
    assert r["approve"] == {"heads": 2, "area": "390.75"}  # X once with 270.75 m², plus 120
    assert r["reject"] == {"heads": 1, "area": "110"}
    assert r["none"] == {"heads": 1, "area": "100"}
    assert r["passed"] is True


def test_developers_unsold_units_count_as_one_owner(world):
    unsold = [world.house(f"50{i}", 90) for i in range(1, 6)]  # no owner registered: still the developer's
    sold = [world.house(f"60{i}", 100) for i in range(1, 4)]
    for i, h in enumerate(sold):
        world.own(h, f"业主{i}", make_id_number(serial=700 + i))
    vote = world.vote("other")
    dev = Voter.objects.get(vote=vote, developer=True)
    assert dev.units == 5 and dev.area_centi == 45000
    assert Voter.objects.filter(vote=vote).count() == 4
    _paper(world, vote, dev, "approve")
    r = services.tally(vote).as_dict()
    assert r["electorate"] == {"heads": 4, "area": "750"}
    assert r["approve"] == {"heads": 1, "area": "450"}
    # 1 of 4 owners took part: far from the quorum even with 60% of the area.
    assert {c["key"]: c["passed"] for c in r["checks"]} == {
        "quorum_area": False,  # 450/750 = 60% < 2/3
        "quorum_heads": False,  # 1/4 < 2/3
        "approve_area": True,
        "approve_heads": True,
    }
    assert unsold and all(_voter(vote, h).pk == dev.pk for h in unsold)


def test_tie_at_exactly_one_half_fails(world):
    houses = [world.house(f"10{i}", 100) for i in range(1, 5)]
    for i, h in enumerate(houses):
        world.own(h, f"业主{i}", make_id_number(serial=800 + i))
    vote = world.vote("covenant")
    for h, choice in zip(houses, ["approve", "approve", "reject", "reject"], strict=False):
        _paper(world, vote, _voter(vote, h), choice)
    r = services.tally(vote)
    assert r.failed == ["approve_area", "approve_heads"] and not r.passed
    assert {c["key"]: c["ratio"] for c in r.checks}["approve_heads"] == "1/2"
    # At least 3/4 is inclusive: exactly 3/4 on a major matter passes.
    major = services.rule_from(vote.rule_set, "major")
    assert counting.count([(100, "approve")] * 3 + [(100, "reject")], major).passed


def test_elevator_vote_is_decided_by_the_entrances_owners_only(world):
    # Entrance 1: six upper units of 70 m² approve, two ground-floor units of 150 m² reject.
    e1 = [world.house(f"{f}0{i}", 70 if f > 1 else 150, entrance=1) for f in range(1, 5) for i in (1, 2)]
    e2 = [world.house(f"{f}0{i}", 90, entrance=2) for f in range(1, 5) for i in (1, 2)]
    people = {}
    for h in e1 + e2:
        p = world.person(h, f"住户{h.entrance}{h.room}")
        world.own(h, p.name, resident=p)
        people[h.pk] = p
    vote = world.vote(
        "elevator", scope="entrance", building=world.building, entrance=1, title="1单元加装电梯"
    )
    assert Voter.objects.filter(vote=vote).count() == 8
    # An owner of entrance 2 may not vote on entrance 1's elevator.
    with pytest.raises(Forbidden):
        services.ballot_cast(vote=vote, choice="reject", by=people[e2[0].pk].account)
    for h in e1:
        services.ballot_cast(vote=vote, choice="reject" if h.room.startswith("1") else "approve",
                             by=people[h.pk].account)  # fmt: skip
    r = services.tally(vote)
    checks = {c["key"]: c for c in r.checks}
    assert checks["approve_heads"]["ratio"] == "3/4" and checks["approve_heads"]["passed"]
    assert checks["approve_area"]["ratio"] == "7/12" and not checks["approve_area"]["passed"]  # 420/720
    assert r.failed == ["approve_area"]
    assert r.electorate.heads == 8 and r.electorate.area == 72000


def test_must_consent_owner_refusing_fails_the_elevator(world):
    hs = [world.house(f"{f}01", 80) for f in range(1, 5)]
    ps = []
    for h in hs:
        p = world.person(h, f"住户{h.room}")
        world.own(h, p.name, resident=p)
        ps.append(p)
    vote = world.vote("elevator", scope="building", building=world.building, must_consent=[hs[0].pk])
    for p in ps[1:]:
        services.ballot_cast(vote=vote, choice="approve", by=p.account)
    services.ballot_cast(vote=vote, choice="reject", by=ps[0].account)
    r = services.tally(vote)
    assert (
        r.failed == ["must_consent"] and not r.passed
    )  # 3/4 by area and heads, but the ground floor refuses


def test_co_owners_of_one_unit_cast_one_vote(world):
    h = world.house("301", 95)
    wife, husband = world.person(h, "陈秀英"), world.person(h, "李建军")
    world.own(h, wife.name, resident=wife, share="0.5")
    world.own(h, husband.name, resident=husband, share="0.5")
    other = world.house("302", 95)
    world.own(other, "王五", make_id_number(serial=901))
    vote = world.vote("committee")
    assert Voter.objects.filter(vote=vote).count() == 2
    services.ballot_cast(vote=vote, choice="approve", by=wife.account)
    with pytest.raises(Conflict):
        services.ballot_cast(vote=vote, choice="reject", by=husband.account)
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_abstentions_and_non_votes_are_kept_apart_and_non_voters_can_follow_the_majority(world):
    rule = services.rule_from(world.vote("other", open_=False).rule_set, "general")
    voters = [(100, "approve")] * 3 + [(100, "reject"), (100, "abstain"), (100, None)]
    r = counting.count(voters, rule)
    assert (r.tallies["abstain"].heads, r.tallies["none"].heads) == (1, 1)
    assert r.participants.heads == 5 and r.passed  # abstention takes part, does not approve: 3/5 > 1/2
    follow = counting.Rule(**{**rule.__dict__, "non_voters_follow_majority": True})
    r2 = counting.count(
        [(100, "approve"), (100, "approve"), (100, "reject"), (100, None), (100, None)], follow
    )
    assert r2.non_voters_added_to == "approve"
    # The raw tallies keep the non-voters apart; the checks count them with the majority.
    assert r2.tallies["none"].heads == 2 and r2.passed
    assert {c["key"]: c["value"] for c in r2.checks}["quorum_heads"] == 5
    # Without the setting: 3 of 5 owners took part — below the 2/3 quorum.
    assert counting.count([(100, "approve"), (100, "approve"), (100, "reject"), (100, None), (100, None)],
                          rule).failed == ["quorum_area", "quorum_heads"]  # fmt: skip


def test_exact_arithmetic_never_rounds_a_threshold(world):
    rule = services.rule_from(world.vote("other", open_=False).rule_set, "major")
    assert rule.quorum_area == Fraction(2, 3)
    # 2/3 of 3 × 0.01 m² is exactly 0.02 m²: reached with 2 of 3, not with a float's 0.019999.
    assert counting.count([(1, "approve"), (1, "approve"), (1, None)], rule).checks[0]["passed"]
    assert counting.area_centi(Decimal("80.55")) == 8055
    with pytest.raises(ValueError):
        counting.area_centi("80.555")


def test_paper_ballot_needs_a_photo_and_staff(world):
    h = world.house("101", 100)
    p = world.person(h, "赵六")
    world.own(h, p.name, resident=p)
    vote = world.vote("other")
    v = _voter(vote, h)
    with pytest.raises(InvalidInput):
        services.ballot_enter_paper(vote=vote, voter_id=v.pk, choice="approve", photo=None, by=world.staff)
    with pytest.raises(Forbidden):
        _paper(type("W", (), {"staff": p.account})(), vote, v, "approve")
    ballot = _paper(world, vote, v, "approve")
    assert ballot.channel == "paper" and ballot.photo.name.endswith(".jpg")


def test_a_city_rule_set_is_data_and_is_checked(world):
    from wangge.accounts.roles import Role
    from wangge.testing import make_user

    admin = make_user(Role.ADMIN)
    city = {"general": {"quorum_area": "2/3", "quorum_heads": "2/3", "approve_area": "1/2",
                        "approve_heads": "1/2", "approve_strict": True},
            "elevator": {"quorum_area": "2/3", "quorum_heads": "2/3", "approve_area": "2/3",
                         "approve_heads": "2/3", "approve_base": "electorate"}}  # fmt: skip
    with pytest.raises(Forbidden):
        services.ruleset_create(name="某市加装电梯", city="某市", thresholds=city, by=world.staff)
    with pytest.raises(InvalidInput):
        services.ruleset_create(name="坏规则", city="某市", by=admin,
                                thresholds={"general": {**city["general"], "approve_area": "3/2"}})  # fmt: skip
    rs = services.ruleset_create(name="某市加装电梯", city="某市", thresholds=city, by=admin)
    rule = services.rule_from(rs, "elevator")
    # 2/3 of ALL owners must approve: 6 of 9 took part and all approved — only 6/9 = 2/3 of the electorate.
    voters = [(100, "approve")] * 6 + [(100, None)] * 3
    assert counting.count(voters, rule).passed
    assert not counting.count([(100, "approve")] * 5 + [(100, "reject")] + [(100, None)] * 3, rule).passed
    with pytest.raises(InvalidInput):  # the rule set has no thresholds for major matters
        services.rule_from(rs, "major")
