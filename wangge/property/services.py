"""Every write of 红色物业: a company publishes (and retires) commitments; households evaluate the company each
quarter; the company or the community answers the comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Unit
from wangge.accounts.roles import user_can
from wangge.appeals.models import Category
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound, from_django_validation
from wangge.core.scoping import scope_for
from wangge.registry.models import Building, Household, HouseOwner, Resident

from .models import Commitment, Evaluation, Score


def _clean(obj: Any) -> None:
    try:
        obj.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def community_codes(company: Unit) -> list[str]:
    """The communities a company serves: those of the buildings it manages."""
    codes = Building.objects.filter(property_company=company).values_list("area__code", flat=True).distinct()
    return sorted({c[:12] for c in codes})


def can_manage(user: Any, company: Unit) -> bool:
    """The company's own staff, or area staff whose scope covers one of its communities."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "unit_id", None) == company.pk and user_can(user, "appeals.handle"):
        return True
    if not user_can(user, "registry.write"):
        return False
    scope = scope_for(user)
    return scope.everything or any(scope.contains(c) for c in community_codes(company))


def _company(company: Unit) -> Unit:
    if company.kind != Unit.Kind.PROPERTY_COMPANY:
        raise InvalidInput.field("company", _("须为物业公司"))
    return company


@transaction.atomic
def commitment_create(
    *, company: Unit, group: str, text: str, categories: list[Category], time_limit_hours: int, by: Any,
    order: int = 0, published_at: datetime | None = None,
) -> Commitment:  # fmt: skip
    """Publish one commitment: its group, its text, the case categories it covers and the promised limit."""
    _company(company)
    if not can_manage(by, company):
        raise Forbidden(_("只有物业公司或所在社区可以发布承诺"))
    if not categories:
        raise InvalidInput.field("categories", _("请选择承诺对应的诉求类别"))
    if not group.strip():
        raise InvalidInput.field("group", _("请填写承诺类别"))
    if int(time_limit_hours) < 1 or int(time_limit_hours) > 24 * 90:
        raise InvalidInput.field("time_limit_hours", _("承诺时限须在1小时到90天之间"))
    c = Commitment(
        company=company, group=group.strip()[:30], text=text.strip(), time_limit_hours=int(time_limit_hours),
        order=order, published_at=published_at or timezone.now(), created_by=by,
    )  # fmt: skip
    _clean(c)
    try:
        with transaction.atomic():
            c.save()
    except IntegrityError as exc:
        raise Conflict(_("该承诺已发布")) from exc
    c.categories.set(categories)
    audit(
        "create", c, by=by, changes={"categories": [x.code for x in categories], "hours": c.time_limit_hours}
    )
    return c


@transaction.atomic
def commitment_retire(*, commitment: Commitment, by: Any) -> Commitment:
    c = Commitment.objects.select_for_update(of=("self",)).select_related("company").get(pk=commitment.pk)
    if not can_manage(by, c.company):
        raise Forbidden(_("无权修改该承诺"))
    if not c.active:
        raise Conflict(_("承诺已撤下"), state="retired")
    c.active = False
    c.save(update_fields=["active", "updated_at"])
    audit("update", c, by=by, changes={"active": False})
    return c


def quarter_of(moment: datetime) -> tuple[int, int]:
    d = timezone.localtime(moment)
    return d.year, (d.month - 1) // 3 + 1


def household_for(user: Any, company: Unit) -> Household | None:
    """The household a user evaluates for: their own if the company manages its building, else a household
    of a house they own there. Residents and owners only."""
    resident = (
        Resident.objects.filter(account=user, active=True)
        .select_related("household__house__building")
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if resident is None:
        return None
    if resident.household.house.building.property_company_id == company.pk and resident.household.active:
        return resident.household
    owned = HouseOwner.objects.filter(
        Q(resident=resident) | (Q(id_hash=resident.id_hash) if resident.id_hash else Q(pk__in=[])),
        house__building__property_company=company,
    ).values("house_id")
    return Household.objects.filter(house_id__in=owned, active=True).select_related("house__building").first()


@transaction.atomic
def evaluation_submit(
    *, company: Unit, scores: dict[str, int], by: Any, comment: str = "", now: datetime | None = None
) -> Evaluation:
    """A household evaluates the company for the current quarter: a score from 1 to 5 for each commitment
    group, and an optional comment. One per household and quarter (a database constraint)."""
    _company(company)
    household = household_for(by, company)
    if household is None:
        raise Forbidden(_("只有该物业服务小区的业主或居民可以评议"))
    groups = list(
        Commitment.objects.filter(company=company, active=True)
        .order_by("order")
        .values_list("group", flat=True)
    )
    groups = list(dict.fromkeys(groups))
    if not groups:
        raise Conflict(_("该物业公司尚未公布承诺"), state="no_commitments")
    for g in groups:
        v = scores.get(g)
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 5:
            raise InvalidInput.field(f"scores.{g}", _("请为每一类承诺打1到5分"))
    extra = set(scores) - set(groups)
    if extra:
        raise InvalidInput.field(
            "scores", _("未知的承诺类别：%(extra)s") % {"extra": "、".join(sorted(extra))}
        )
    if len(comment) > 500:
        raise InvalidInput.field("comment", _("意见不超过500字"))
    now = now or timezone.now()
    year, quarter = quarter_of(now)
    from wangge.areas.models import Area

    community = Area.objects.get(code=household.house.building.area.code[:12])
    ev = Evaluation(
        company=company, community=community, household=household, year=year, quarter=quarter,
        comment=comment.strip(), by=by, submitted_at=now,
    )  # fmt: skip
    try:
        with transaction.atomic():
            ev.save()
    except IntegrityError as exc:
        raise Conflict(_("本户本季度已评议过该物业"), state="evaluated") from exc
    Score.objects.bulk_create([Score(evaluation=ev, group=g, score=scores[g]) for g in groups])
    audit("create", ev, by=by, changes={"quarter": f"{year}Q{quarter}"})
    return ev


@transaction.atomic
def evaluation_reply(*, evaluation_id: int, reply: str, by: Any) -> Evaluation:
    """The company (or the community) answers a comment; answered comments appear on the public board."""
    ev = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("company")
        .filter(pk=evaluation_id)
        .first()
    )
    if ev is None:
        raise NotFound(_("评议不存在"))
    if not can_manage(by, ev.company):
        raise Forbidden(_("只有物业公司或所在社区可以答复"))
    if not ev.comment:
        raise InvalidInput.field("reply", _("该评议没有意见需要答复"))
    if not reply.strip():
        raise InvalidInput.field("reply", _("请填写答复"))
    ev.reply = reply.strip()[:500]
    ev.replied_at = timezone.now()
    ev.replied_by = by
    ev.save(update_fields=["reply", "replied_at", "replied_by"])
    audit("update", ev, by=by, changes={"reply": True})
    return ev
