"""Every write of the assessment app: schemes and their versions, score runs, grades, 金牌网格员."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.accounts.models import Post
from wangge.accounts.roles import user_can
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.core.scoping import scope_for

from . import figures, formula
from .models import (
    Formula,
    GridWorkerGrade,
    Nomination,
    PeriodKind,
    Scheme,
    SchemeItem,
    Score,
    ScoreEvidence,
    ScoreItem,
    ScoreRun,
    SubjectKind,
)

MAX_ITEMS = 20
MAX_WEIGHT = Decimal("100")
SUBJECT_LEVEL = {SubjectKind.GRID: "grid", SubjectKind.COMMUNITY: "community", SubjectKind.STREET: "street"}


def config() -> dict[str, Any]:
    """``settings.WANGGE_ASSESSMENT`` overrides: ``min_sample`` (a ranking's minimum sample), ``nominate_top``
    (how far down a community's ranking 金牌网格员 may be nominated)."""
    return {"min_sample": 10, "nominate_top": 3, **getattr(settings, "WANGGE_ASSESSMENT", {})}


# --- periods -----------------------------------------------------------------------------------------------


def period_bounds(period: str, start: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month or year that ``start`` lies in."""
    if period == PeriodKind.YEARLY:
        return dt.date(start.year, 1, 1), dt.date(start.year, 12, 31)
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=1), start.replace(day=last)


def period_parse(period: str, value: str, field: str = "period") -> dt.date:
    """``YYYY-MM`` for a monthly scheme, ``YYYY`` for a yearly one → the period's first day."""
    try:
        if period == PeriodKind.YEARLY:
            if len(value) != 4:
                raise ValueError
            day = dt.date(int(value), 1, 1)
        else:
            if len(value) != 7 or value[4] != "-":
                raise ValueError
            day = dt.date(int(value[:4]), int(value[5:7]), 1)
    except ValueError:
        raise InvalidInput.field(
            field,
            "年度方案填 YYYY，月度方案填 YYYY-MM" if period == PeriodKind.MONTHLY else "年度方案填 YYYY",
        ) from None
    if not 2000 <= day.year <= 2099:
        raise InvalidInput.field(field, "年份须在 2000 到 2099 之间")
    return day


def period_key(period: str, start: dt.date) -> str:
    return f"{start.year}" if period == PeriodKind.YEARLY else f"{start.year}-{start.month:02d}"


# --- schemes -----------------------------------------------------------------------------------------------


def _require_manage(by: Any, area: Area) -> None:
    if not user_can(by, "assessment.manage"):
        raise Forbidden("无权管理考评方案")
    if not scope_for(by).contains(area.code):
        raise NotFound("区域不存在或不在您的管辖范围内")


def _clean_items(subject_kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate items (figure known and offered for the subject kind, weight, formula parameters)."""
    if not items:
        raise InvalidInput.field("items", "至少需要一个考评项")
    if len(items) > MAX_ITEMS:
        raise InvalidInput.field("items", f"最多 {MAX_ITEMS} 个考评项")
    known = figures.discover()
    out, seen = [], set()
    for i, raw in enumerate(items):
        key = str(raw.get("figure") or "")
        fig = known.get(key)
        if fig is None:
            raise InvalidInput.field("figure", f"第 {i + 1} 项：未知的指标")
        if subject_kind not in fig.subjects:
            raise InvalidInput.field("figure", f"第 {i + 1} 项：{fig.label}不适用于该考评对象")
        if key in seen:
            raise InvalidInput.field("figure", f"第 {i + 1} 项：指标重复")
        seen.add(key)
        try:
            weight = Decimal(str(raw.get("weight"))).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise InvalidInput.field("weight", f"第 {i + 1} 项：分值须为数字") from None
        if not Decimal(0) < weight <= MAX_WEIGHT:
            raise InvalidInput.field("weight", f"第 {i + 1} 项：分值须大于 0、不超过 100")
        kind = str(raw.get("formula") or Formula.LINEAR)
        if kind not in Formula.values:
            raise InvalidInput.field("formula", f"第 {i + 1} 项：未知的计分方式")
        try:
            floor, target = float(raw.get("floor", 0.0)), float(raw.get("target", 1.0))
        except (TypeError, ValueError):
            raise InvalidInput.field(
                "target", f"第 {i + 1} 项：零分值和满分值须为数字", label="满分值"
            ) from None
        for name, v in (("floor", floor), ("target", target)):
            if math.isnan(v) or math.isinf(v) or abs(v) > 1e9:
                raise InvalidInput.field(
                    name, f"第 {i + 1} 项：数值超出范围", label="零分值" if name == "floor" else "满分值"
                )
        if floor == target:
            raise InvalidInput.field("target", f"第 {i + 1} 项：满分值不能等于零分值", label="满分值")
        out.append(
            {
                "figure": key,
                "weight": weight,
                "formula": kind,
                "floor": floor,
                "target": target,
                "in_sample": bool(raw.get("in_sample", True)),
                "sort_order": i,
            }
        )
    return out


def _write_items(scheme: Scheme, items: list[dict[str, Any]]) -> None:
    SchemeItem.objects.bulk_create([SchemeItem(scheme=scheme, **item) for item in items])


@transaction.atomic
def scheme_create(
    *,
    name: str,
    area: Area,
    subject_kind: str,
    period: str,
    items: list[dict[str, Any]],
    note: str = "",
    by: Any,
) -> Scheme:
    """A new scheme, version 1, as a draft."""
    _require_manage(by, area)
    name = name.strip()
    if not name:
        raise InvalidInput.field("name", "请填写方案名称", label="方案名称")
    if subject_kind not in SubjectKind.values:
        raise InvalidInput.field("subject_kind", "未知的考评对象")
    if period not in PeriodKind.values:
        raise InvalidInput.field("period", "未知的考评周期")
    cleaned = _clean_items(subject_kind, items)
    if Scheme.objects.filter(name=name, subject_kind=subject_kind).exists():
        raise InvalidInput.field("name", "同名方案已存在，请在原方案上新建版本", label="方案名称")
    try:
        with transaction.atomic():
            scheme = Scheme.objects.create(
                name=name, area=area, subject_kind=subject_kind, period=period, note=note, created_by=by
            )
    except IntegrityError:
        raise InvalidInput.field("name", "同名方案已存在，请在原方案上新建版本", label="方案名称") from None
    _write_items(scheme, cleaned)
    audit("create", scheme, by=by, changes={"items": [i["figure"] for i in cleaned]})
    return scheme


@transaction.atomic
def scheme_update(*, scheme: Scheme, items: list[dict[str, Any]], note: str | None = None, by: Any) -> Scheme:
    """Replace a draft's items. An active or retired version is immutable: make a new version instead."""
    _require_manage(by, scheme.area)
    locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if locked.state != Scheme.State.DRAFT:
        raise Conflict("已启用或停用的方案不能修改，请新建版本", state=locked.state)
    cleaned = _clean_items(locked.subject_kind, items)
    SchemeItem.objects.filter(scheme=locked).delete()
    _write_items(locked, cleaned)
    if note is not None:
        locked.note = note
        locked.save(update_fields=["note", "updated_at"])
    audit("update", locked, by=by, changes={"items": [i["figure"] for i in cleaned]})
    return locked


@transaction.atomic
def scheme_new_version(*, scheme: Scheme, by: Any) -> Scheme:
    """A draft copy of ``scheme`` with the next version number (the way to change an active scheme)."""
    _require_manage(by, scheme.area)
    latest = (
        Scheme.objects.filter(name=scheme.name, subject_kind=scheme.subject_kind).order_by("-version").first()
    )
    assert latest is not None
    if Scheme.objects.filter(
        name=scheme.name, subject_kind=scheme.subject_kind, state=Scheme.State.DRAFT
    ).exists():
        raise Conflict("该方案已有草稿版本，请先完成草稿")
    try:
        with transaction.atomic():
            new = Scheme.objects.create(
                name=scheme.name,
                area=scheme.area,
                subject_kind=scheme.subject_kind,
                period=scheme.period,
                version=latest.version + 1,
                note=scheme.note,
                created_by=by,
            )
    except IntegrityError:
        raise Conflict("另一人刚刚新建了版本，请刷新") from None
    items = scheme.items.values("figure", "weight", "formula", "floor", "target", "in_sample", "sort_order")
    _write_items(new, [dict(i) for i in items])
    audit("create", new, by=by, changes={"from_version": scheme.version})
    return new


@transaction.atomic
def scheme_activate(*, scheme: Scheme, by: Any, now: dt.datetime | None = None) -> Scheme:
    """Draft → active; the version active before it is retired. Weights must sum to 100."""
    _require_manage(by, scheme.area)
    locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if locked.state != Scheme.State.DRAFT:
        raise Conflict("只有草稿可以启用", state=locked.state)
    total = sum((i.weight for i in locked.items.all()), Decimal(0))
    if total != Decimal(100):
        raise InvalidInput.field("weight", f"各项分值之和须为 100（现为 {total.normalize():f}）")
    Scheme.objects.filter(
        name=locked.name, subject_kind=locked.subject_kind, state=Scheme.State.ACTIVE
    ).update(state=Scheme.State.RETIRED, updated_at=timezone.now())
    locked.state = Scheme.State.ACTIVE
    locked.activated_at = now or timezone.now()
    try:
        with transaction.atomic():
            locked.save(update_fields=["state", "activated_at", "updated_at"])
    except IntegrityError:
        raise Conflict("另一版本刚刚启用，请刷新") from None
    audit("update", locked, by=by, changes={"state": "active"})
    return locked


# --- scores ------------------------------------------------------------------------------------------------


def _subjects(scheme: Scheme) -> list[dict[str, Any]]:
    """The subjects of a scheme: its area's grid workers (their lowest grid as their area) or areas."""
    code = scheme.area.code
    if scheme.subject_kind == SubjectKind.GRID_WORKER:
        people: dict[int, dict[str, Any]] = {}
        posts = (
            Post.objects.filter(
                kind=Post.Kind.GRID_WORKER, active=True, user__is_active=True, area__code__startswith=code
            )
            .select_related("user", "area")
            .order_by("area__code", "id")
        )
        for post in posts:
            if post.user_id not in people:
                u = post.user
                people[post.user_id] = {
                    "subject": u,
                    "user": u,
                    "area": post.area,
                    "area_code": post.area.code,
                    "label": u.display_name or u.username,
                }
        return list(people.values())
    areas = Area.objects.filter(level=SUBJECT_LEVEL[SubjectKind(scheme.subject_kind)], code__startswith=code)
    return [
        {"subject": a, "user": None, "area": a, "area_code": a.code, "label": a.name}
        for a in areas.order_by("code")
    ]


def _total(points: list[Decimal]) -> Decimal:
    """A score's total: the sum of its items' (rounded) points — the one place it is computed."""
    return sum(points, Decimal(0))


def compute_subject(
    scheme_items: list[SchemeItem], subject: Any, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Each item's figure, sample and points for one subject (nothing written)."""
    out = []
    for item in scheme_items:
        fig = figures.figure_for(item.figure)
        if fig is None:  # the app that offered it is no longer installed: no sample
            result: dict[str, Any] = {"value": None, "numerator": 0, "denominator": 0, "evidence": []}
            label = item.figure
        else:
            result = figures.compute(fig, subject=subject, start=start, end=end)
            label = fig.label
        out.append(
            {
                "item": item,
                "label": label[:60],
                **result,
                "points": formula.points(item.formula, item.weight, result["value"], item.floor, item.target),
                "formula_text": formula.in_words(item.formula, item.weight, item.floor, item.target)[:200],
            }
        )
    return out


def score_compute(
    *, scheme: Scheme, period_start: dt.date, by: Any = None, now: dt.datetime | None = None
) -> ScoreRun:
    """Compute every subject's score of ``scheme`` for the period containing ``period_start`` (replacing an
    earlier run of the same period). ``by`` None: the periodic job or a management command."""
    if by is not None:
        _require_manage(by, scheme.area)
    if scheme.state == Scheme.State.DRAFT:
        raise Conflict("草稿方案不能计算得分，请先启用")
    start, end = period_bounds(scheme.period, period_start)
    items = list(scheme.items.all())
    computed = []
    for s in _subjects(scheme):
        computed.append((s, compute_subject(items, s["subject"], start, end)))
    with transaction.atomic():
        run, _ = ScoreRun.objects.select_for_update().get_or_create(
            scheme=scheme,
            period_start=start,
            defaults={"period_end": end, "computed_at": now or timezone.now()},
        )
        run.scores.all().delete()
        run.period_end = end
        run.computed_at = now or timezone.now()
        run.computed_by = by if getattr(by, "pk", None) else None
        run.subjects = len(computed)
        run.save()
        scores = Score.objects.bulk_create(
            [
                Score(
                    run=run,
                    scheme=scheme,
                    period_start=start,
                    period_end=end,
                    subject_kind=scheme.subject_kind,
                    user=s["user"],
                    area=s["area"],
                    area_code=s["area_code"],
                    subject_label=s["label"][:120],
                    total=_total([r["points"] for r in rows]),
                    sample=sum(r["denominator"] for r in rows if r["item"].in_sample),
                )
                for s, rows in computed
            ]
        )
        flat = [(score, r) for score, (_s, rows) in zip(scores, computed, strict=True) for r in rows]
        score_items = ScoreItem.objects.bulk_create(
            [
                ScoreItem(
                    score=score,
                    item=r["item"],
                    figure=r["item"].figure,
                    label=r["label"],
                    weight=r["item"].weight,
                    value=r["value"],
                    numerator=r["numerator"],
                    denominator=r["denominator"],
                    points=r["points"],
                    formula_text=r["formula_text"],
                    evidence_count=len(r["evidence"]),
                )
                for score, r in flat
            ]
        )
        ScoreEvidence.objects.bulk_create(
            [
                ScoreEvidence(
                    score_item=si, kind=e["kind"], object_id=e["id"], label=e["label"], url=e["url"]
                )
                for si, (_score, r) in zip(score_items, flat, strict=True)
                for e in r["evidence"]
            ],
            batch_size=2000,
        )
    return run


def last_period_start(period: str, today: dt.date) -> dt.date:
    """The first day of the last whole month (or year) before ``today``."""
    if period == PeriodKind.YEARLY:
        return dt.date(today.year - 1, 1, 1)
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def tick(now: dt.datetime) -> dict[str, Any] | None:
    """Periodic step: once a month (or year) has ended, compute each active scheme's scores for it (once)."""
    today = timezone.localdate(now)
    done = []
    for scheme in Scheme.objects.filter(state=Scheme.State.ACTIVE).select_related("area"):
        start = last_period_start(scheme.period, today)
        if ScoreRun.objects.filter(scheme=scheme, period_start=start).exists():
            continue
        score_compute(scheme=scheme, period_start=start, now=now)
        done.append(f"{scheme} {period_key(scheme.period, start)}")
    return {"computed": done} if done else None


# --- 三岗十八级 ----------------------------------------------------------------------------------------------


@transaction.atomic
def grade_set(
    *, post: Post, tier: int, level: int, since: dt.date, note: str = "", by: Any
) -> GridWorkerGrade:
    """Set (or change) the 三岗十八级 grade of a grid worker's post (community staff in scope)."""
    if not user_can(by, "assessment.manage"):
        raise Forbidden("无权评定等级")
    if post.kind != Post.Kind.GRID_WORKER or not scope_for(by).contains(post.area.code):
        raise NotFound("岗位不存在或不在您的管辖范围内")
    if tier not in (1, 2, 3):
        raise InvalidInput.field("tier", "岗须为一岗、二岗或三岗")
    if not 1 <= level <= 6:
        raise InvalidInput.field("level", "级须在 1 到 6 之间", label="级")
    if not dt.date(2000, 1, 1) <= since <= timezone.localdate():
        raise InvalidInput.field("since", "定级日期须在 2000 年之后且不晚于今天")
    grade, created = GridWorkerGrade.objects.select_for_update().get_or_create(
        post=post, defaults={"tier": tier, "level": level, "since": since, "note": note, "updated_by": by}
    )
    before = None if created else [grade.tier, grade.level]
    if not created:
        grade.tier, grade.level, grade.since, grade.note, grade.updated_by = tier, level, since, note, by
        grade.save()
    audit("create" if created else "update", grade, by=by, changes={"grade": [before, [tier, level]]})
    return grade


# --- 金牌网格员 --------------------------------------------------------------------------------------------


def community_rank(score: Score) -> int | None:
    """The score's rank among the ranked scores of its run in its community (None: sample too small)."""
    min_sample = int(config()["min_sample"])
    if score.sample < min_sample:
        return None
    above = Score.objects.filter(
        run_id=score.run_id,
        area_code__startswith=score.area_code[:12],
        sample__gte=min_sample,
        total__gt=score.total,
    ).count()
    return above + 1


@transaction.atomic
def nomination_create(*, score: Score, reason: str = "", by: Any) -> Nomination:
    """Nominate a grid worker as 金牌网格员 from the top of their community's ranking of a period."""
    if not user_can(by, "assessment.manage"):
        raise Forbidden("无权提名")
    if score.subject_kind != SubjectKind.GRID_WORKER or score.user_id is None:
        raise InvalidInput.field("score_id", "只能提名网格员")
    community_code = score.area_code[:12]
    if not scope_for(by).contains(community_code):
        raise NotFound("未找到")
    rank = community_rank(score)
    top = int(config()["nominate_top"])
    if rank is None:
        raise InvalidInput.field("score_id", "样本不足，未参与排名，不能提名")
    if rank > top:
        raise InvalidInput.field("score_id", f"只能提名社区排名前 {top} 的网格员（现为第 {rank} 名）")
    community = Area.objects.get(code=community_code)
    try:
        with transaction.atomic():
            nom = Nomination.objects.create(
                scheme_id=score.scheme_id,
                period_start=score.period_start,
                user_id=score.user_id,
                score=score,
                community=community,
                reason=reason,
                nominated_by=by,
            )
    except IntegrityError:
        raise Conflict("该网格员本期已被提名") from None
    audit("create", nom, by=by, changes={"score": score.pk, "rank": rank})
    return nom


def nomination_decide(
    *, nomination: Nomination, confirm: bool, note: str = "", by: Any, now: dt.datetime | None = None
) -> Nomination:
    """Confirm or reject a nomination, once: a conditional UPDATE … WHERE state = 'nominated', so of two
    decisions at the same moment the database lets exactly one through (the other: 409)."""
    if not user_can(by, "assessment.confirm"):
        raise Forbidden("无权确认金牌网格员")
    if not scope_for(by).contains(nomination.community.code):
        raise NotFound("未找到")
    if nomination.nominated_by_id == by.pk:
        raise Forbidden("提名人不能确认自己的提名")
    state = Nomination.State.CONFIRMED if confirm else Nomination.State.REJECTED
    when = now or timezone.now()
    with transaction.atomic(durable=True):
        claimed = Nomination.objects.filter(pk=nomination.pk, state=Nomination.State.NOMINATED).update(
            state=state, decided_by=by, decided_at=when, decision_note=note, updated_at=when
        )
        if not claimed:
            current = Nomination.objects.filter(pk=nomination.pk).values_list("state", flat=True).first()
            raise Conflict("该提名已处理", state=current)
        nomination.refresh_from_db()
        audit("update", nomination, by=by, changes={"state": state})
    return nomination
