"""Every write of owners' votes and surveys. Staff (``registry.write`` in the area's scope) create, open, close
and publish votes and enter paper ballots; the committee of a vote may enter paper ballots and count; owners
cast their own ballot online, identified through the registry (their account → resident → house owner).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import user_can
from wangge.areas.models import Area
from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound, from_django_validation
from wangge.core.images import clean_image
from wangge.core.scoping import scope_for
from wangge.registry.models import Building, House, Household, HouseOwner, Resident

from . import counting
from .models import (
    MATTER_CLASS,
    Answer,
    Ballot,
    Elector,
    Matter,
    Question,
    Response,
    RuleSet,
    Survey,
    Vote,
    Voter,
)

THRESHOLD_KEYS = ("quorum_area", "quorum_heads", "approve_area", "approve_heads")


def _clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def is_staff_for(user: Any, area: Area) -> bool:
    return user_can(user, "registry.write") and scope_for(user).contains(area.code)


def can_count(user: Any, vote: Vote) -> bool:
    """Staff in scope and the vote's committee see individual ballots, enter paper ones and count."""
    if is_staff_for(user, vote.area):
        return True
    return bool(getattr(user, "is_authenticated", False)) and vote.committee.filter(pk=user.pk).exists()


# --- rule sets ----------------------------------------------------------------------------------------


def rule_for(vote: Vote) -> counting.Rule:
    """The thresholds of the vote's matter class under its rule set."""
    return rule_from(vote.rule_set, MATTER_CLASS[vote.matter])


def rule_from(rule_set: RuleSet, matter_class: str) -> counting.Rule:
    t = rule_set.thresholds.get(matter_class)
    if t is None:
        raise InvalidInput.field(
            "rule_set", _("表决规则“%(name)s”未规定该类事项的门槛") % {"name": rule_set.name}
        )
    try:
        return counting.Rule(
            quorum_area=counting.parse_fraction(t["quorum_area"]),
            quorum_heads=counting.parse_fraction(t["quorum_heads"]),
            approve_area=counting.parse_fraction(t["approve_area"]),
            approve_heads=counting.parse_fraction(t["approve_heads"]),
            approve_strict=bool(t.get("approve_strict", False)),
            approve_base=t.get("approve_base", "participants"),
            non_voters_follow_majority=rule_set.non_voters_follow_majority,
        )
    except (KeyError, ValueError, ZeroDivisionError) as exc:
        raise InvalidInput.field("thresholds", _("门槛格式错误：%(exc)s") % {"exc": exc}) from exc


@transaction.atomic
def ruleset_create(
    *, name: str, city: str, thresholds: dict[str, Any], by: Any, non_voters_follow_majority: bool = False,
    basis: str = "",
) -> RuleSet:  # fmt: skip
    if not user_can(by, "config.write"):
        raise Forbidden(_("只有系统管理员可以设置表决规则"))
    rs = RuleSet(
        name=name.strip(), city=city.strip(), thresholds=thresholds, basis=basis,
        non_voters_follow_majority=non_voters_follow_majority,
    )  # fmt: skip
    _clean(rs)
    for cls, t in thresholds.items():
        if cls not in MATTER_CLASS.values() or not isinstance(t, dict):
            raise InvalidInput.field("thresholds", _("未知的事项类别：%(cls)s") % {"cls": cls})
        if t.get("approve_base", "participants") not in ("participants", "electorate"):
            raise InvalidInput.field("thresholds", _("approve_base 须为 participants 或 electorate"))
        rule_from(rs, cls)
    try:
        with transaction.atomic():
            rs.save()
    except IntegrityError as exc:
        raise Conflict(_("同名表决规则已存在")) from exc
    audit("create", rs, by=by, changes={"thresholds": thresholds})
    return rs


# --- votes --------------------------------------------------------------------------------------------


@transaction.atomic
def vote_create(
    *,
    title: str,
    matter: str,
    area: Area,
    rule_set: RuleSet,
    opens_at: datetime,
    closes_at: datetime,
    by: Any,
    scope: str = Vote.Scope.COMMUNITY,
    building: Building | None = None,
    entrance: int | None = None,
    description: str = "",
    committee: list[Any] | None = None,
) -> Vote:
    """A draft vote. The electorate is the community/grid ``area``, one ``building`` in it, or one
    ``entrance`` of that building. Elevator retrofits are decided by the building's or entrance's owners."""
    if not is_staff_for(by, area):
        raise Forbidden(_("只能在管辖范围内发起表决"))
    if matter not in Matter.values:
        raise InvalidInput.field("matter", _("事项类别无效"))
    if scope not in Vote.Scope.values:
        raise InvalidInput.field("scope", _("表决范围无效"))
    if not rule_set.active:
        raise InvalidInput.field("rule_set", _("表决规则已停用"))
    rule_from(rule_set, MATTER_CLASS[matter])
    if scope == Vote.Scope.COMMUNITY:
        building, entrance = None, None
        if area.level not in ("community", "grid", "microgrid"):
            raise InvalidInput.field("area", _("表决范围须为社区或网格"))
        if matter == Matter.ELEVATOR:
            raise InvalidInput.field("scope", _("加装电梯由本楼栋或本单元业主表决"))
    else:
        if building is None:
            raise InvalidInput.field("building", _("请选择楼栋"))
        if not building.area.code.startswith(area.code):
            raise InvalidInput.field("building", _("楼栋不在所选区域内"))
        area = building.area
        if scope == Vote.Scope.BUILDING:
            entrance = None
        elif entrance is None or not 1 <= int(entrance) <= max(building.entrances, 1):
            raise InvalidInput.field(
                "entrance", _("单元须在1到%(entrances)s之间") % {"entrances": building.entrances}
            )
    if closes_at <= opens_at:
        raise InvalidInput.field("closes_at", _("截止时间须晚于开始时间"))
    if not title.strip():
        raise InvalidInput.field("title", _("请填写表决事项"))
    vote = Vote(
        title=title.strip(), matter=matter, description=description, area=area, scope=scope,
        building=building, entrance=entrance, rule_set=rule_set, opens_at=opens_at, closes_at=closes_at,
        created_by=by,
    )  # fmt: skip
    _clean(vote)
    vote.save()
    if committee:
        vote.committee.set(committee)
    audit("create", vote, by=by, changes={"matter": matter, "scope": scope, "rule_set": rule_set.pk})
    return vote


def electorate_houses(vote: Vote) -> Any:
    """The exclusive units whose owners decide: the scope's houses, from the registry."""
    if vote.scope == Vote.Scope.ENTRANCE:
        return House.objects.filter(building_id=vote.building_id or 0, entrance=vote.entrance or 0)
    if vote.scope == Vote.Scope.BUILDING:
        return House.objects.filter(building_id=vote.building_id or 0)
    return House.objects.filter(building__area__code__startswith=vote.area.code)


def _identity(
    kind: str, id_hash: str, resident_id: int | None, unit_id: int | None, name: str
) -> tuple[str, Any]:
    """The identity of one registered owner: an organisation by its unit (or name), a person by the keyed
    hash of their ID number (or their resident record). Empty when the registry cannot tell who it is."""
    if kind == HouseOwner.Kind.ORGANISATION:
        return ("o", unit_id or id_hash or name.strip())
    return ("p", id_hash or (f"r{resident_id}" if resident_id else ""))


def _short(key: str) -> str:
    return key if len(key) <= 200 else "sha:" + hashlib.sha256(key.encode()).hexdigest()


def freeze_electorate(vote: Vote, must_consent: set[int] | None = None) -> tuple[int, int]:
    """Write the vote's ``Elector`` and ``Voter`` rows from the registry as it is now (bulk). Returns
    (units, voters)."""
    houses = list(electorate_houses(vote).values_list("id", "exclusive_area"))
    owners: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    names: dict[int, list[str]] = defaultdict(list)
    rows = list(
        HouseOwner.objects.filter(house__in=electorate_houses(vote)).values_list(
            "house_id", "kind", "id_hash", "resident_id", "unit_id", "name"
        )
    )
    # An owner linked to a resident record is that person: take the resident's ID hash, so a unit recorded
    # by link and another recorded by ID number belong to the same buyer.
    linked = {r[3] for r in rows if r[3] and not r[2]}
    resident_hash = dict(
        Resident.objects.filter(pk__in=linked).exclude(id_hash=None).values_list("id", "id_hash")
    )
    for house_id, kind, id_hash, resident_id, unit_id, name in rows:
        known = id_hash or resident_hash.get(resident_id) or ""
        owners[house_id].append(_identity(kind, known, resident_id, unit_id, name))
        names[house_id].append(name)
    must_consent = must_consent or set()
    groups: dict[str, dict[str, Any]] = {}
    for house_id, area in houses:
        key = counting.owner_key(owners.get(house_id, []), house_id)
        g = groups.setdefault(key, {"houses": [], "area": 0, "names": names.get(house_id, []), "must": False})
        g["houses"].append((house_id, counting.area_centi(area)))
        g["area"] += counting.area_centi(area)
        g["must"] = g["must"] or house_id in must_consent
    voters = []
    keys = {key: _short(key) for key in groups}
    for key, g in groups.items():
        developer = key == counting.DEVELOPER_KEY
        label = (
            "建设单位（未售或未交付部分）" if developer else "、".join(pii.mask_name(n) for n in g["names"])
        )
        voters.append(
            Voter(
                vote=vote,
                key=keys[key],
                label=(label or "业主")[:190] + f"（{len(g['houses'])}套）",
                units=len(g["houses"]),
                area_centi=g["area"],
                must_consent=g["must"],
                developer=developer,
            )  # fmt: skip
        )
    Voter.objects.bulk_create(voters, batch_size=2000)
    by_key = dict(Voter.objects.filter(vote=vote).values_list("key", "id"))
    electors = [
        Elector(vote=vote, voter_id=by_key[keys[key]], house_id=h, area_centi=a)
        for key, g in groups.items()
        for h, a in g["houses"]
    ]
    Elector.objects.bulk_create(electors, batch_size=2000)
    return len(electors), len(voters)


def _lock(vote_id: int) -> Vote:
    vote = Vote.objects.select_for_update().filter(pk=vote_id).first()
    if vote is None:
        raise NotFound(_("表决不存在"))
    return vote


@transaction.atomic
def vote_open(*, vote: Vote, by: Any, must_consent: list[int] | None = None) -> Vote:
    """Freeze the electorate and open the vote. ``must_consent``: houses whose owners must consent on
    their own (an elevator shaft on their exclusive part)."""
    vote = _lock(vote.pk)
    if not is_staff_for(by, vote.area):
        raise Forbidden(_("只有管辖范围内的工作人员可以开启表决"))
    if vote.status != Vote.Status.DRAFT:
        raise Conflict(_("表决已开启"), state=vote.status)
    houses = set(electorate_houses(vote).values_list("id", flat=True))
    extra = set(must_consent or []) - houses
    if extra:
        raise InvalidInput.field("must_consent", _("须本人同意的房屋不在表决范围内"))
    units, voters = freeze_electorate(vote, set(must_consent or []))
    if not units:
        raise InvalidInput.field("scope", _("表决范围内没有登记的房屋"))
    vote.status = Vote.Status.OPEN
    vote.save(update_fields=["status"])
    audit("update", vote, by=by, changes={"status": "open", "units": units, "voters": voters})
    return vote


def voters_of(vote: Vote, user: Any) -> list[Voter]:
    """The voters (counted owners) of ``vote`` that ``user`` may vote for: units whose registered owner is
    their resident record (linked directly, or by the same ID number)."""
    resident = Resident.objects.filter(account=user, active=True).first() if user.is_authenticated else None
    if resident is None:
        return []
    owner_q = Q(resident=resident)
    if resident.id_hash:
        owner_q |= Q(id_hash=resident.id_hash, kind=HouseOwner.Kind.PERSON)
    houses = HouseOwner.objects.filter(owner_q).values("house_id")
    return list(
        Voter.objects.filter(vote=vote, developer=False, electors__house_id__in=houses)
        .distinct()
        .order_by("id")
    )


def _insert_ballot(ballot: Ballot) -> Ballot:
    try:
        with transaction.atomic():
            ballot.save()
    except IntegrityError as exc:
        existing = Ballot.objects.filter(voter_id=ballot.voter_id).first()
        raise Conflict(
            _("该业主已表决，不能重复投票"),
            state=existing.channel if existing else "voted",
        ) from exc
    return ballot


def _check_open(vote: Vote, now: datetime) -> None:
    if vote.status != Vote.Status.OPEN:
        raise Conflict(_("表决未在进行中"), state=vote.status)
    if not vote.opens_at <= now < vote.closes_at:
        raise Conflict(_("不在表决期间内"), state="outside_period")


@transaction.atomic(durable=True)
def ballot_cast(*, vote: Vote, choice: str, by: Any, voter_id: int | None = None) -> Ballot:
    """An owner votes online. Each owner votes once (a database constraint: two phones at once record one
    ballot and the other gets 409). Co-owners of one unit share one vote: the first ballot counts."""
    # Locking the vote row orders ballots against closing: no ballot lands after the count is taken.
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    _check_open(vote, timezone.now())
    if choice not in Ballot.Choice.values:
        raise InvalidInput.field("choice", _("请选择同意、反对或弃权"))
    mine = voters_of(vote, by)
    if not mine:
        raise Forbidden(_("您不是本次表决范围内的登记业主"))
    if voter_id is None:
        if len(mine) > 1:
            raise InvalidInput.field("voter_id", _("您在本次表决中代表多个业主身份，请选择"))
        voter = mine[0]
    else:
        voter = next((v for v in mine if v.pk == voter_id), None)  # type: ignore[assignment]
        if voter is None:
            raise InvalidInput.field("voter_id", _("该业主身份不属于您"))
    ballot = _insert_ballot(
        Ballot(vote=vote, voter=voter, choice=choice, channel=Ballot.Channel.ONLINE, cast_by=by,
               cast_at=timezone.now())
    )  # fmt: skip
    audit("create", ballot, by=by, object_type="voting.ballot", changes={"vote": vote.pk, "voter": voter.pk,
          "channel": "online", "choice": choice})  # fmt: skip
    return ballot


def _photo(upload: Any) -> ContentFile:
    clean = clean_image(
        upload.read(),
        field_name="photo",
        max_bytes=int(getattr(settings, "WANGGE_BALLOT_PHOTO_MAX_BYTES", 8 * 1024 * 1024)),
        max_side=int(getattr(settings, "WANGGE_BALLOT_PHOTO_MAX_SIDE", 2000)),
        keep_png=False,
    )
    return ContentFile(clean.content, name=f"{uuid.uuid4().hex}.jpg")


@transaction.atomic
def ballot_enter_paper(
    *, vote: Vote, voter_id: int, choice: str, photo: Any, by: Any, signer: str = "",
    cast_at: datetime | None = None,
) -> Ballot:  # fmt: skip
    """Staff or the committee enter a signed paper ballot with its photo (kept for audit)."""
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if not can_count(by, vote):
        raise Forbidden(_("只有工作人员或业委会可以录入纸质表决票"))
    if choice not in Ballot.Choice.values:
        raise InvalidInput.field("choice", _("请选择同意、反对或弃权"))
    if photo is None:
        raise InvalidInput.field("photo", _("请上传纸质表决票照片"))
    content = _photo(photo)
    now = timezone.now()
    cast_at = cast_at or now
    if vote.status != Vote.Status.OPEN or not vote.opens_at <= cast_at < vote.closes_at:
        raise Conflict(_("不在表决期间内"), state=vote.status)
    voter = Voter.objects.filter(vote=vote, pk=voter_id).first()
    if voter is None:
        raise InvalidInput.field("voter_id", _("该业主不在本次表决范围内"))
    ballot = Ballot(vote=vote, voter=voter, choice=choice, channel=Ballot.Channel.PAPER, cast_by=by,
                    signer=signer.strip()[:60], cast_at=cast_at)  # fmt: skip
    ballot.photo.save(content.name, content, save=False)
    _insert_ballot(ballot)
    audit("create", ballot, by=by, object_type="voting.ballot", changes={"vote": vote.pk, "voter": voter.pk,
          "channel": "paper", "choice": choice, "photo": ballot.photo.name})  # fmt: skip
    return ballot


def tally(vote: Vote) -> counting.Result:
    """Count the vote as it stands: one query over the frozen voters and their ballots."""
    rows = Voter.objects.filter(vote=vote).values_list("area_centi", "ballot__choice", "must_consent")
    voters = []
    must = []
    for area, choice, must_consent in rows.iterator(chunk_size=5000):
        voters.append((area, choice))
        if must_consent:
            must.append(choice)
    return counting.count(voters, rule_for(vote), must_consent=must)


@transaction.atomic
def vote_close(*, vote: Vote, by: Any, now: datetime | None = None) -> Vote:
    """Close the vote and record its result (staff, or the clock once the period is over: ``by=None``)."""
    vote = _lock(vote.pk)
    now = now or timezone.now()
    if by is None:
        if now < vote.closes_at:
            raise Conflict(_("表决尚未截止"), state=vote.status)
    elif not is_staff_for(by, vote.area):
        raise Forbidden(_("只有管辖范围内的工作人员可以结束表决"))
    if vote.status != Vote.Status.OPEN:
        raise Conflict(_("表决未在进行中"), state=vote.status)
    result = tally(vote)
    vote.status = Vote.Status.CLOSED
    vote.result = result.as_dict()
    vote.passed = result.passed
    vote.save(update_fields=["status", "result", "passed"])
    audit(
        "update", vote, by=by, changes={"status": "closed", "passed": result.passed, "failed": result.failed}
    )
    return vote


@transaction.atomic
def vote_publish(*, vote: Vote, by: Any) -> Vote:
    vote = _lock(vote.pk)
    if not is_staff_for(by, vote.area):
        raise Forbidden(_("只有管辖范围内的工作人员可以公示结果"))
    if vote.status != Vote.Status.CLOSED:
        raise Conflict(_("表决结束后才能公示"), state=vote.status)
    vote.status = Vote.Status.PUBLISHED
    vote.published_at = timezone.now()
    vote.save(update_fields=["status", "published_at"])
    audit("update", vote, by=by, changes={"status": "published"})
    return vote


def close_due(now: datetime) -> int:
    """The clock: close open votes whose period is over and surveys past their end."""
    closed = 0
    for vote in Vote.objects.filter(status=Vote.Status.OPEN, closes_at__lte=now):
        vote_close(vote=vote, by=None, now=now)
        closed += 1
    Survey.objects.filter(status=Survey.Status.OPEN, closes_at__lte=now).update(status=Survey.Status.CLOSED)
    return closed


# --- surveys ------------------------------------------------------------------------------------------


def _questions(survey: Survey, questions: list[dict[str, Any]]) -> None:
    if not questions:
        raise InvalidInput.field("questions", _("请至少添加一道题"))
    for i, q in enumerate(questions):
        kind = q.get("kind")
        if kind not in Question.Kind.values:
            raise InvalidInput.field(f"questions.{i}.kind", _("题型无效"))
        text = str(q.get("text", "")).strip()
        if not text:
            raise InvalidInput.field(f"questions.{i}.text", _("请填写题目"))
        options = [str(o).strip() for o in q.get("options") or [] if str(o).strip()]
        if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and len(options) < 2:
            raise InvalidInput.field(f"questions.{i}.options", _("选择题至少需要两个选项"))
        rating_max = int(q.get("rating_max") or 5)
        if not 2 <= rating_max <= 10:
            raise InvalidInput.field(f"questions.{i}.rating_max", _("最高分须在2到10之间"))
        Question.objects.create(
            survey=survey, order=i + 1, kind=kind, text=text[:200], options=options, rating_max=rating_max,
            required=bool(q.get("required", True)),
        )  # fmt: skip


@transaction.atomic
def survey_create(
    *, title: str, area: Area, opens_at: datetime, closes_at: datetime, questions: list[dict[str, Any]],
    by: Any, building: Building | None = None, per: str = Survey.Per.RESIDENT, anonymous: bool = False,
    description: str = "",
) -> Survey:  # fmt: skip
    """Open a survey (or poll) for an area or a building in it."""
    if not is_staff_for(by, area):
        raise Forbidden(_("只能在管辖范围内发起民意征集"))
    if building is not None and not building.area.code.startswith(area.code):
        raise InvalidInput.field("building", _("楼栋不在所选区域内"))
    if per not in Survey.Per.values:
        raise InvalidInput.field("per", _("填写方式无效"))
    if closes_at <= opens_at:
        raise InvalidInput.field("closes_at", _("结束时间须晚于开始时间"))
    survey = Survey(
        title=title.strip(), description=description, area=area, building=building, per=per,
        anonymous=anonymous, opens_at=opens_at, closes_at=closes_at, status=Survey.Status.OPEN, created_by=by,
    )  # fmt: skip
    _clean(survey)
    survey.save()
    _questions(survey, questions)
    audit("create", survey, by=by, changes={"per": per, "anonymous": anonymous, "questions": len(questions)})
    return survey


def _in_survey(survey: Survey, household: Household) -> bool:
    house = household.house
    if survey.building_id is not None:
        return house.building_id == survey.building_id
    return house.building.area.code.startswith(survey.area.code)


def _answers(survey: Survey, values: dict[Any, Any]) -> list[Answer]:
    """Check the answers against the questions; free text waits for moderation."""
    out = []
    values = {str(k): v for k, v in (values or {}).items()}
    for q in survey.questions.all():
        field = f"answers.{q.pk}"
        v = values.get(str(q.pk))
        empty = v is None or v == "" or v == []
        if empty:
            if q.required:
                raise InvalidInput.field(field, _("请回答：%(text)s") % {"text": q.text})
            continue
        a = Answer(question=q)
        if q.kind == Question.Kind.SINGLE:
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < len(q.options):
                raise InvalidInput.field(field, _("选项无效"))
            a.choices = [v]
        elif q.kind == Question.Kind.MULTIPLE:
            if not isinstance(v, list) or not all(isinstance(x, int) and 0 <= x < len(q.options) for x in v):
                raise InvalidInput.field(field, _("选项无效"))
            a.choices = sorted(set(v))
        elif q.kind == Question.Kind.RATING:
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= q.rating_max:
                raise InvalidInput.field(field, _("评分须在1到%(max)s之间") % {"max": q.rating_max})
            a.rating = v
        else:
            text = str(v).strip()
            if len(text) > 1000:
                raise InvalidInput.field(field, _("不超过1000字"))
            a.text = text
            a.moderation = Answer.Moderation.PENDING
        out.append(a)
    unknown = set(values) - {str(q.pk) for q in survey.questions.all()}
    if unknown:
        raise InvalidInput.field("answers", _("包含不属于本问卷的题目"))
    return out


def _once_key(survey: Survey, resident: Resident | None, household: Household) -> str:
    if survey.per == Survey.Per.HOUSEHOLD:
        key = f"h:{household.pk}"
    elif resident is not None:
        key = f"r:{resident.pk}"
    else:
        key = f"paper:{uuid.uuid4().hex}"  # a paper answer with no named resident
    if survey.anonymous:  # the key still stops a second answer, but no longer says whose it is
        return "x:" + pii.blind_index(key, purpose=f"survey{survey.pk}")[:70]
    return key


def _save_response(
    survey: Survey,
    resident: Resident | None,
    household: Household,
    answers: list[Answer],
    channel: str,
    by: Any,
) -> Response:
    response = Response(
        survey=survey,
        once_key=_once_key(survey, resident, household),
        resident=None if survey.anonymous else resident,
        household=None if survey.anonymous else household,
        grid=household.house.building.area,
        channel=channel,
        entered_by=by if channel == Response.Channel.PAPER else None,
        submitted_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:
        msg = "本户已有成员填写过此问卷" if survey.per == Survey.Per.HOUSEHOLD else "您已填写过此问卷"
        raise Conflict(msg, state="answered") from exc
    for a in answers:
        a.response = response
    Answer.objects.bulk_create(answers)
    return response


@transaction.atomic(durable=True)
def survey_answer(*, survey: Survey, answers: dict[Any, Any], by: Any) -> Response:
    """A resident answers online: once per resident, or once per household when the survey says so (the
    database refuses the second member of the household)."""
    survey = Survey.objects.select_related("area").get(pk=survey.pk)
    now = timezone.now()
    if survey.status != Survey.Status.OPEN or not survey.opens_at <= now < survey.closes_at:
        raise Conflict(_("问卷不在征集期间"), state=survey.status)
    resident = (
        Resident.objects.filter(account=by, active=True)
        .select_related("household__house__building__area")
        .first()
        if getattr(by, "is_authenticated", False)
        else None
    )
    if resident is None:
        raise Forbidden(_("请使用已登记的居民账号填写"))
    if not _in_survey(survey, resident.household):
        raise Forbidden(_("您不在本次征集的范围内"))
    rows = _answers(survey, answers)
    response = _save_response(survey, resident, resident.household, rows, Response.Channel.ONLINE, by)
    audit("create", response, by=by, object_type="voting.response", changes={"survey": survey.pk})
    return response


@transaction.atomic
def survey_enter_paper(
    *,
    survey: Survey,
    household: Household,
    answers: dict[Any, Any],
    by: Any,
    resident: Resident | None = None,
) -> Response:
    """Staff enter a paper answer; it is marked as paper and counts against the same once-rule."""
    survey = Survey.objects.select_related("area").get(pk=survey.pk)
    if not is_staff_for(by, survey.area):
        raise Forbidden(_("只有管辖范围内的工作人员可以录入纸质问卷"))
    if survey.status == Survey.Status.DRAFT:
        raise Conflict(_("问卷尚未发布"), state=survey.status)
    household = Household.objects.select_related("house__building__area").get(pk=household.pk)
    if not _in_survey(survey, household):
        raise InvalidInput.field("household", _("该户不在本次征集的范围内"))
    if resident is not None and resident.household_id != household.pk:
        raise InvalidInput.field("resident", _("该居民不属于此户"))
    rows = _answers(survey, answers)
    response = _save_response(survey, resident, household, rows, Response.Channel.PAPER, by)
    audit(
        "create", response, by=by, object_type="voting.response", changes={"survey": survey.pk, "paper": True}
    )
    return response


@transaction.atomic
def answer_moderate(*, answer_id: int, approve: bool, by: Any) -> Answer:
    """Free text is public only after a staff member approves it."""
    answer = (
        Answer.objects.select_for_update(of=("self",))
        .select_related("response__survey__area")
        .filter(pk=answer_id)
        .first()
    )
    if answer is None or answer.moderation == Answer.Moderation.NONE:
        raise NotFound(_("回答不存在"))
    if not is_staff_for(by, answer.response.survey.area):
        raise Forbidden(_("只有管辖范围内的工作人员可以审核"))
    answer.moderation = Answer.Moderation.APPROVED if approve else Answer.Moderation.REJECTED
    answer.save(update_fields=["moderation"])
    audit("update", answer, by=by, object_type="voting.answer", changes={"moderation": answer.moderation})
    return answer


@transaction.atomic
def survey_close(*, survey: Survey, by: Any) -> Survey:
    survey = Survey.objects.select_for_update(of=("self",)).select_related("area").get(pk=survey.pk)
    if not is_staff_for(by, survey.area):
        raise Forbidden(_("只有管辖范围内的工作人员可以结束征集"))
    if survey.status != Survey.Status.OPEN:
        raise Conflict(_("问卷不在征集中"), state=survey.status)
    survey.status = Survey.Status.CLOSED
    survey.save(update_fields=["status"])
    audit("update", survey, by=by, changes={"status": "closed"})
    return survey
