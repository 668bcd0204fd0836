"""Surveys and polls: one answer per household (DB-enforced), per resident, anonymous, paper, moderation,
response rates by grid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.registry import services as registry
from wangge.testing import api_client, make_user
from wangge.voting import selectors, services
from wangge.voting.models import Answer, Response

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"kind": "single", "text": "凉亭建在哪里？", "options": ["东侧草坪", "北门广场", "健身区旁"]},
    {
        "kind": "multiple",
        "text": "希望配套哪些设施？",
        "options": ["座椅", "照明", "充电插座"],
        "required": False,
    },
    {"kind": "rating", "text": "对方案的满意度", "rating_max": 5},
    {"kind": "text", "text": "其他意见", "required": False},
]


def _survey(world, **kw):
    now = timezone.now()
    return services.survey_create(
        title="康欣花园凉亭选址", area=kw.pop("area", world.tree.community), opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7), questions=QUESTIONS, by=world.staff, **kw,
    )  # fmt: skip


def _answers(survey, text=""):
    q = list(survey.questions.all())
    return {str(q[0].pk): 1, str(q[1].pk): [0, 1], str(q[2].pk): 4, str(q[3].pk): text}


def test_one_answer_per_household_refuses_the_second_member(world):
    h = world.house("101", 90)
    first, second = world.person(h, "孙大伟"), world.person(h, "孙小梅")
    assert first.household_id == second.household_id
    survey = _survey(world, per="household")
    r = api_client(first.account).post(
        f"/api/v1/surveys/{survey.pk}/responses",
        {"answers": _answers(survey)},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r2 = api_client(second.account).post(
        f"/api/v1/surveys/{survey.pk}/responses",
        {"answers": _answers(survey)},
        content_type="application/json",
    )
    assert r2.status_code == 409 and "本户" in r2.json()["detail"]
    assert Response.objects.filter(survey=survey).count() == 1


def test_per_resident_survey_takes_each_member_once(world):
    h = world.house("101", 90)
    a, b = world.person(h, "钱一"), world.person(h, "钱二")
    survey = _survey(world)
    services.survey_answer(survey=survey, answers=_answers(survey), by=a.account)
    services.survey_answer(survey=survey, answers=_answers(survey), by=b.account)
    with pytest.raises(Conflict):
        services.survey_answer(survey=survey, answers=_answers(survey), by=a.account)


def test_anonymous_survey_keeps_no_name_but_still_refuses_twice(world):
    h = world.house("101", 90)
    a = world.person(h, "匿名者")
    survey = _survey(world, anonymous=True)
    resp = services.survey_answer(survey=survey, answers=_answers(survey), by=a.account)
    assert resp.resident_id is None and resp.household_id is None and resp.once_key.startswith("x:")
    with pytest.raises(Conflict):
        services.survey_answer(survey=survey, answers=_answers(survey), by=a.account)


def test_survey_refuses_residents_outside_its_area_and_bad_answers(world):
    other_building = registry.building_create(
        area=world.tree.grid_b, name="1号楼", address="东园1号楼", by=world.staff
    )
    outsider = world.person(world.house("101", 80, building=other_building), "外人")
    survey = _survey(world, area=world.tree.grid_a)  # grid A only: the outsider lives in grid B
    with pytest.raises(Forbidden):
        services.survey_answer(survey=survey, answers=_answers(survey), by=outsider.account)
    insider = world.person(world.house("102", 80), "本人")
    bad = _answers(survey)
    q = list(survey.questions.all())
    bad[str(q[0].pk)] = 9
    with pytest.raises(InvalidInput) as e:
        services.survey_answer(survey=survey, answers=bad, by=insider.account)
    assert e.value.errors[0]["field"] == f"answers.{q[0].pk}"
    bad = _answers(survey)
    del bad[str(q[2].pk)]
    with pytest.raises(InvalidInput):
        services.survey_answer(survey=survey, answers=bad, by=insider.account)
    assert not Response.objects.filter(survey=survey).exists()


def test_free_text_is_public_only_after_moderation_and_paper_answers_are_marked(world):
    h1, h2 = world.house("101", 90), world.house("102", 90)
    a = world.person(h1, "李四")
    hh2 = registry.household_create(house=h2, by=world.staff)
    survey = _survey(world, per="household")
    services.survey_answer(survey=survey, answers=_answers(survey, "希望凉亭离楼远一点"), by=a.account)
    paper = services.survey_enter_paper(
        survey=survey, household=hh2, answers=_answers(survey), by=world.staff
    )
    assert paper.channel == "paper" and paper.entered_by == world.staff
    with pytest.raises(Conflict):  # the paper answer counts for that household too
        services.survey_enter_paper(survey=survey, household=hh2, answers=_answers(survey), by=world.staff)
    public = selectors.survey_results(viewer=a.account, survey=survey)
    assert public["questions"][3]["texts"] == []
    assert public["responses"] == 2 and public["paper"] == 1
    text = Answer.objects.get(text="希望凉亭离楼远一点")
    with pytest.raises(Forbidden):
        services.answer_moderate(answer_id=text.pk, approve=True, by=a.account)
    services.answer_moderate(answer_id=text.pk, approve=True, by=world.staff)
    public = selectors.survey_results(viewer=a.account, survey=survey)
    assert [t["text"] for t in public["questions"][3]["texts"]] == ["希望凉亭离楼远一点"]
    assert public["questions"][0]["options"][1]["count"] == 2
    # Response rate by grid: both households are in grid A (the only grid with households).
    assert public["by_grid"] == [
        {"grid": world.tree.grid_a.code, "name": world.tree.grid_a.name, "eligible": 2, "responses": 2,
         "rate": "100.0"}
    ]  # fmt: skip


def test_survey_api_errors_and_export(world):
    c = api_client(world.staff)
    now = timezone.now()
    bad = c.post("/api/v1/surveys", {"title": "x", "area": world.tree.community.code, "opens_at": now.isoformat(),
                 "closes_at": now.isoformat(), "questions": QUESTIONS}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "closes_at"
    one_option = [{"kind": "single", "text": "?", "options": ["a"]}]
    bad = c.post("/api/v1/surveys", {"title": "x", "area": world.tree.community.code, "opens_at": now.isoformat(),
                 "closes_at": (now + timedelta(days=1)).isoformat(), "questions": one_option},
                 content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "questions.0.options"
    other = make_user(Role.COMMUNITY_STAFF, world.tree.other_community)
    survey = _survey(world)
    assert api_client(other).get(f"/api/v1/surveys/{survey.pk}").status_code == 404
    x = c.get(f"/api/v1/surveys/{survey.pk}/export.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
