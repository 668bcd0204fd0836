"""Demo data for owners' votes and surveys, from the seeds:

- 苏中尚城's charging station: the owners of the first grid voted to install charging piles on common
  parking space (改变共有部分用途, a 3/4 matter) — it passed and the result is published;
- 冷冻厂宿舍/盐南's elevators: one entrance voted on an elevator retrofit; three quarters of its owners
  approved, but the larger flats below said no, so it failed on area (published);
- an ordinary vote open now in the resident account's grid (续聘物业), so the demo resident can vote;
- 康欣花园's pavilion: a one-answer-per-household survey on where to put the pavilion, answered on paper
  by households during a week of door-to-door consultation, with comments waiting for moderation.

Ballots are bulk-written (a demo loads in seconds); a few paper ballots go through the service with a
photo, as staff would enter them.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from wangge.registry.models import Building, Household

from . import counting, services
from .models import Answer, Ballot, RuleSet, Survey, Vote, Voter


def _photo(text: str) -> SimpleUploadedFile:
    img = Image.new("RGB", (480, 640), (250, 250, 245))
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 460, 620), outline=(60, 60, 60), width=3)
    d.text((40, 40), text, fill=(20, 20, 20))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    return SimpleUploadedFile("ballot.jpg", buf.getvalue(), content_type="image/jpeg")


def _bulk_ballots(vote: Vote, choices: dict[int, str], at: Any, rng: Any) -> None:
    span = max(1, int((vote.closes_at - vote.opens_at).total_seconds()) - 3600)
    Ballot.objects.bulk_create(
        [
            Ballot(
                vote=vote,
                voter_id=v,
                choice=c,
                channel="online",
                cast_at=vote.opens_at + timedelta(seconds=rng.randrange(span)),
            )
            for v, c in choices.items()
        ],  # fmt: skip
        batch_size=2000,
    )


def _charging(ctx: Any, staff: Any, civil: RuleSet) -> Vote | None:
    rng = ctx.rng
    grid = ctx.grids[0]
    opens = ctx.now - timedelta(days=48)
    vote = services.vote_create(
        title="地面停车区加装电动汽车充电桩", matter="change_use", area=grid, rule_set=civil,
        opens_at=opens, closes_at=opens + timedelta(days=14), by=staff,
        description="业委会提议：在北侧地面停车区利用共有部分安装12个充电桩，由供电公司出资建设，收益归全体业主。"
        "依据民法典第二百七十八条第一款第八项，须经参与表决专有部分面积四分之三以上且人数四分之三以上的业主同意。",
    )  # fmt: skip
    services.vote_open(vote=vote, by=staff)
    voters = list(Voter.objects.filter(vote=vote).order_by("id").values_list("id", flat=True))
    choices: dict[int, str] = {}
    paper = voters[:3]
    for v in voters[3:]:
        if rng.random() < 0.86:
            choices[v] = rng.choices(["approve", "reject", "abstain"], [88, 8, 4])[0]
    _bulk_ballots(vote, choices, ctx.now, rng)
    for v in paper:  # three owners signed paper ballots; staff photographed and entered them
        services.ballot_enter_paper(
            vote=vote, voter_id=v, choice="approve", photo=_photo("ballot: approve"), signer="业主本人",
            cast_at=opens + timedelta(days=2), by=staff,
        )  # fmt: skip
    services.vote_close(vote=vote, by=None, now=vote.closes_at)
    return services.vote_publish(vote=vote, by=staff)


def _elevator(ctx: Any, staff: Any, civil: RuleSet) -> Vote | None:
    """One entrance of a six-floor building: the upper floors want the lift, the bigger flats below don't."""
    grid_codes = [g.code for g in ctx.grids[:8]]
    building = (
        Building.objects.filter(area__code__in=grid_codes, floors__gte=5, entrances__gte=2)
        .order_by("area__code", "id")
        .first()
    )
    if building is None:
        return None
    opens = ctx.now - timedelta(days=20)
    vote = services.vote_create(
        title=f"{building.name}2单元既有住宅加装电梯", matter="elevator", area=building.area,
        rule_set=civil, scope="entrance", building=building, entrance=2,
        opens_at=opens, closes_at=opens + timedelta(days=10), by=staff,
        description="2单元部分高层业主申请加装电梯，费用按楼层分摊；由本单元业主表决。",
    )  # fmt: skip
    services.vote_open(vote=vote, by=staff)
    rows = list(
        Voter.objects.filter(vote=vote)
        .order_by("electors__house__floor", "id")
        .values_list("id", "area_centi", "electors__house__floor")
        .distinct()
    )
    seen: dict[int, int] = {}
    for vid, area, _floor in rows:
        seen.setdefault(vid, area)
    order = list(seen)
    n = len(order)
    k = n // 4  # a quarter reject: headcount still reaches 3/4 …
    # … the rejecting owners are the largest flats on the lower floors, so the area falls short.
    low = sorted(order[: max(k * 2, 1)], key=lambda v: -seen[v])[:k]
    choices = {v: ("reject" if v in low else "approve") for v in order}
    rule = services.rule_for(vote)
    result = counting.count([(seen[v], choices[v]) for v in order], rule)
    if result.failed != ["approve_area"]:  # fall back to the largest flats overall
        low = sorted(order, key=lambda v: -seen[v])[:k]
        choices = {v: ("reject" if v in low else "approve") for v in order}
    _bulk_ballots(vote, choices, ctx.now, ctx.rng)
    services.vote_close(vote=vote, by=None, now=vote.closes_at)
    return services.vote_publish(vote=vote, by=staff)


def _open_vote(ctx: Any, staff: Any, civil: RuleSet) -> Vote:
    grid = ctx.grids[0]
    vote = services.vote_create(
        title=f"续聘物业服务企业（{ctx.now.year + 1}—{ctx.now.year + 2}年度）", matter="manager", area=grid, rule_set=civil,
        opens_at=ctx.now - timedelta(days=3), closes_at=ctx.now + timedelta(days=11), by=staff,
        description="现物业服务合同即将到期，业委会提议续聘现物业公司两年，物业费标准不变。",
    )  # fmt: skip
    services.vote_open(vote=vote, by=staff)
    resident = ctx.users.get("resident")
    mine = {v.pk for v in services.voters_of(vote, resident)} if resident else set()
    voters = [
        v
        for v in Voter.objects.filter(vote=vote).order_by("id").values_list("id", flat=True)
        if v not in mine
    ]
    choices = {
        v: ctx.rng.choices(["approve", "reject", "abstain"], [75, 18, 7])[0]
        for v in voters
        if ctx.rng.random() < 0.4
    }
    Ballot.objects.bulk_create(
        [
            Ballot(
                vote=vote,
                voter_id=v,
                choice=c,
                channel="online",
                cast_at=ctx.now - timedelta(hours=ctx.rng.randint(1, 70)),
            )
            for v, c in choices.items()
        ]  # fmt: skip
    )
    return vote


PAVILION: list[dict[str, Any]] = [
    {"kind": "single", "text": "凉亭建在哪里更合适？", "options": ["中心花园东侧草坪", "北门健身广场旁", "3号楼与5号楼之间空地"]},
    {"kind": "multiple", "text": "凉亭里希望有哪些配套？", "options": ["座椅", "夜间照明", "电动车充电插座（不建议）", "宣传栏"], "required": False},
    {"kind": "rating", "text": "您对建凉亭这件事的支持程度", "rating_max": 5},
    {"kind": "text", "text": "其他意见和建议", "required": False},
]  # fmt: skip
COMMENTS = [
    "不要离楼太近，晚上打牌声音大",
    "希望加个无障碍坡道，方便轮椅",
    "东侧草坪有树荫，夏天凉快",
    "北门人多车多，孩子玩不安全",
    "建议装感应灯，十点后自动关",
    "凉亭旁边放几个垃圾桶",
]


def _pavilion(ctx: Any, staff: Any) -> Survey:
    rng = ctx.rng
    community = ctx.communities[0]
    survey = services.survey_create(
        title="康欣花园凉亭选址征求意见", area=community, per="household",
        opens_at=ctx.now - timedelta(days=6), closes_at=ctx.now + timedelta(days=1), questions=PAVILION, by=staff,
        description="小区计划在公共绿地建一座凉亭，供居民休息纳凉。请每户选一位代表填写，一周后汇总公示。",
    )  # fmt: skip
    qs = list(survey.questions.all())
    households = list(
        Household.objects.filter(active=True, house__building__area__code__startswith=community.code)
        .select_related("house__building__area")
        .order_by("id")
    )
    rng.shuffle(households)
    n = min(len(households), 90 if ctx.size == "small" else 240)
    for i, hh in enumerate(households[:n]):
        site = rng.choices([0, 1, 2], [55, 20, 25])[0]
        answers: dict[str, Any] = {
            str(qs[0].pk): site,
            str(qs[1].pk): sorted(rng.sample([0, 1, 3], rng.randint(1, 3))),
            str(qs[2].pk): rng.choices([5, 4, 3, 2, 1], [45, 30, 15, 6, 4])[0],
        }
        if i % 9 == 0:
            answers[str(qs[3].pk)] = COMMENTS[(i // 9) % len(COMMENTS)]
        services.survey_enter_paper(survey=survey, household=hh, answers=answers, by=staff)
    pending = list(
        Answer.objects.filter(response__survey=survey, moderation="pending")
        .order_by("id")
        .values_list("id", flat=True)
    )
    for aid in pending[: len(pending) // 2]:
        services.answer_moderate(answer_id=aid, approve=True, by=staff)
    return survey


def populate_demo(ctx: Any) -> None:
    staff = ctx.users["community"]
    civil = RuleSet.objects.get(name="民法典（全国通用）")
    charging = _charging(ctx, staff, civil)
    elevator = _elevator(ctx, staff, civil)
    current = _open_vote(ctx, staff, civil)
    survey = _pavilion(ctx, staff)

    def said(v: Vote | None) -> str:
        if v is None:
            return "无"
        v.refresh_from_db()
        return f"{v.title}（{'通过' if v.passed else '未通过：' + '、'.join(v.result['failed'] if v.result else [])}）"

    ctx.log(
        f"voting: {said(charging)}；{said(elevator)}；进行中：{current.title}；"
        f"民意征集：{survey.title}（{survey.responses.count()} 户）"
    )
