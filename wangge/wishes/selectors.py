"""Every read of the wishes context.

- The public wall (anyone, no login): approved wishes, only the fields fixed at review (``public_wish``).
- Staff with ``mobilisation.manage`` see the wishes of their area scope (``Wish.objects.visible_to``).
- The community sees who viewed which contact (``contact_views``: the reveal audit rows).
- The contact (name, phone, address) goes only to the active claimant and to staff in scope (audited).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast

from wangge.accounts.roles import user_can
from wangge.areas.geo import distance_m
from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.errors import Forbidden
from wangge.core.models import AuditLog
from wangge.core.scoping import get_visible_or_404

from .models import PUBLIC_STATES, Resource, Season, Wish, WishClaim
from .services import active_claim, is_beneficiary, is_claimant, is_staff_in_scope

S = Wish.Status
POSTED_STATES = (S.OPEN, S.CLAIMED, S.DELIVERING, S.FULFILLED, S.CLOSED, S.EXPIRED)


def _base() -> Any:  # a ScopedQuerySet of wishes
    return Wish.objects.select_related("area__parent__parent", "season")


def community_of(wish: Wish) -> Any:
    area: Any = wish.area
    while area is not None and area.level not in ("community",):
        area = area.parent
    return area


def public_wish(wish: Wish, claim: WishClaim | None = None) -> dict[str, Any]:
    """What anyone may see of a wish: no name, phone, address or health detail."""
    community = community_of(wish)
    claimant = ""
    if claim is not None and wish.status != S.OPEN:
        claimant = public_claimant_name(claim)
    return {
        "id": wish.pk,
        "label": wish.public_label,
        "title": wish.public_title,
        "category": wish.public_category,
        "kind": wish.kind,
        "kind_display": wish.get_kind_display(),
        "estimated_value": wish.estimated_value,
        "deadline": wish.deadline,
        "status": wish.status,
        "status_display": wish.get_status_display(),
        "season": str(wish.season) if wish.season_id else "",
        "community": community.name if community is not None else "",
        "opened_at": wish.opened_at,
        "fulfilled_at": wish.fulfilled_at,
        "claimant": claimant,
    }


def public_claimant_name(claim: WishClaim) -> str:
    if claim.claimant_unit_id:
        return claim.claimant_unit.name  # type: ignore[union-attr]
    user = claim.claimant_user
    return pii.mask_name(user.display_name or user.username) if user is not None else ""


def _claims_by_wish(wishes: list[Wish]) -> dict[int, WishClaim]:
    claims = WishClaim.objects.filter(wish__in=wishes, active=True).select_related(
        "claimant_user", "claimant_unit"
    )
    return {c.wish_id: c for c in claims}


def wish_wall(
    *, area: str | None = None, season: int | None = None, status: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The public wish wall: open wishes first, then those in progress and recently fulfilled."""
    qs = _base().visible_to(None)  # what anyone may see: the reviewed, public wishes
    if area:
        qs = qs.filter(area__code__startswith=area)
    if season:
        qs = qs.filter(season__number=season)
    if status and status in PUBLIC_STATES:
        qs = qs.filter(status=status)
    order: dict[str, int] = {S.OPEN: 0, S.CLAIMED: 1, S.DELIVERING: 1, S.FULFILLED: 2}
    wishes = sorted(
        qs[: limit * 2], key=lambda w: (order[w.status], -(w.opened_at or w.created_at).timestamp())
    )
    wishes = wishes[:limit]
    claims = _claims_by_wish(wishes)
    return [public_wish(w, claims.get(w.pk)) for w in wishes]


def wish_list(
    *, viewer: Any, status: str | None = None, area: str | None = None, q: str | None = None
) -> QuerySet[Wish]:
    """Staff: the wishes in their area scope (every status)."""
    if not user_can(viewer, "mobilisation.manage"):
        raise Forbidden("无权查看心愿管理列表")
    qs = _base().visible_to(viewer, "manage").select_related("beneficiary", "posted_by")
    if status:
        qs = qs.filter(status=status)
    if area:
        qs = qs.filter(area__code__startswith=area)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(public_label__icontains=q))
    return qs.order_by("-created_at", "-id")


def review_queue(*, viewer: Any) -> QuerySet[Wish]:
    return (
        wish_list(viewer=viewer, status=S.PENDING_REVIEW)
        .select_related("beneficiary__household__house__building")
        .prefetch_related("beneficiary__taggings")
    )


def can_see_private(viewer: Any, wish: Wish) -> bool:
    return bool(
        is_staff_in_scope(viewer, wish)
        or (getattr(viewer, "is_authenticated", False) and wish.posted_by_id == viewer.pk)
        or is_beneficiary(viewer, wish)
    )


def wish_get(*, viewer: Any, pk: int) -> Wish:
    """A wish the viewer may see (``Wish.visible_q``): public ones for anyone, others for staff in scope,
    the poster, the beneficiary and the active claimant. Anything else is 404, as missing."""
    wish: Wish = get_visible_or_404(_base().select_related("beneficiary"), viewer, pk=pk)
    return wish


def wish_private(wish: Wish) -> dict[str, Any]:
    """What staff in scope, the poster and the beneficiary see besides the public fields."""
    return {
        "title": wish.title,
        "reason": wish.reason,
        "beneficiary_name_masked": pii.mask_name(wish.beneficiary.name),
        "area_code": wish.area.code,
        "area_name": wish.area.name,
        "on_behalf": wish.on_behalf,
        "review_note": wish.review_note,
        "created_at": wish.created_at,
    }


def wish_contact(*, viewer: Any, wish: Wish, claim: WishClaim | None = None) -> dict[str, str] | None:
    """The beneficiary's name, phone and address: only for the active claimant (while the claim is live)
    and for staff in scope. Every reveal is audited."""
    if claim is None:
        claim = active_claim(wish)
    live = claim is not None and claim.status in (WishClaim.Status.CLAIMED, WishClaim.Status.DELIVERING)
    claimant = live and is_claimant(viewer, claim)
    if not claimant and not is_staff_in_scope(viewer, wish):
        return None
    r = wish.beneficiary
    house = r.household.house
    phone = r.phone or ""
    if not claimant and not user_can(viewer, "pii.reveal"):
        phone = pii.mask_phone(phone)
    audit(
        "reveal",
        wish,
        by=viewer,
        changes={
            "field": "contact",
            "as": "claimant" if claimant else "staff",
            "claim": getattr(claim, "pk", None),
        },
        note="查看心愿人联系方式",
    )
    return {"name": r.name, "phone": phone, "address": f"{house.building.address} {house}"}


def contact_views(*, viewer: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Who viewed which beneficiary's contact, for the wishes in the viewer's scope (staff only): the audit
    rows written by ``wish_contact``, newest first."""
    if not user_can(viewer, "mobilisation.manage"):
        raise Forbidden("无权查看联系方式查看记录")
    wishes = Wish.objects.visible_to(viewer, "manage").annotate(sid=Cast("pk", CharField())).values("sid")
    rows = list(
        AuditLog.objects.filter(action="reveal", object_type="wishes.wish", object_id__in=wishes)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    labels = dict(
        Wish.objects.filter(pk__in={int(r.object_id) for r in rows}).values_list("pk", "public_label")
    )
    return [
        {
            "id": r.pk,
            "at": r.at,
            "actor_id": r.actor_id,
            "actor": str(r.actor) if r.actor_id else r.actor_name,
            "actor_name": r.actor_name,
            "wish_id": int(r.object_id),
            "wish_label": labels.get(int(r.object_id), "") or f"心愿#{r.object_id}",
            "as_claimant": (r.changes or {}).get("as") == "claimant",
            "ip": r.ip,
        }
        for r in rows
    ]


def my_claims(*, viewer: Any) -> QuerySet[WishClaim]:
    if not getattr(viewer, "is_authenticated", False):
        return WishClaim.objects.none()
    q = Q(claimant_user=viewer)
    if viewer.unit_id:
        q |= Q(claimant_unit_id=viewer.unit_id)
    return (
        WishClaim.objects.visible_to(viewer)
        .filter(q)
        .select_related("wish__area__parent__parent", "wish__season", "claimant_user", "claimant_unit")
        .order_by("-created_at", "-id")
    )


def my_wishes(*, viewer: Any) -> QuerySet[Wish]:
    if not getattr(viewer, "is_authenticated", False):
        return Wish.objects.none()
    return (
        _base()
        .visible_to(viewer)
        .filter(Q(posted_by=viewer) | Q(beneficiary__account=viewer))
        .order_by("-created_at")
    )


# --- figures ---------------------------------------------------------------------------------------


def figures(*, area: str | None = None, season: int | None = None, top: int = 10) -> dict[str, Any]:
    """Public figures: wishes posted, claimed, fulfilled; a ranking of claimants by FULFILLED wishes."""
    qs = Wish.objects.all()
    if area:
        qs = qs.filter(area__code__startswith=area)
    if season:
        qs = qs.filter(season__number=season)
    agg = qs.aggregate(
        posted=Count("id", filter=Q(status__in=POSTED_STATES)),
        open=Count("id", filter=Q(status=S.OPEN)),
        claimed=Count("id", filter=Q(status__in=(S.CLAIMED, S.DELIVERING, S.FULFILLED))),
        fulfilled=Count("id", filter=Q(status=S.FULFILLED)),
    )
    fulfilled = WishClaim.objects.filter(status=WishClaim.Status.FULFILLED, wish__in=qs)
    rows: list[dict[str, Any]] = []
    for r in (
        fulfilled.filter(claimant_unit__isnull=False).values("claimant_unit__name").annotate(n=Count("id"))
    ):
        rows.append({"name": r["claimant_unit__name"], "kind": "unit", "fulfilled": r["n"]})
    for r in (
        fulfilled.filter(claimant_user__isnull=False)
        .values("claimant_user__display_name", "claimant_user__username")
        .annotate(n=Count("id"))
    ):
        name = r["claimant_user__display_name"] or r["claimant_user__username"]
        rows.append({"name": pii.mask_name(name), "kind": "user", "fulfilled": r["n"]})
    rows.sort(key=lambda r: (-r["fulfilled"], r["name"]))
    value = sum(
        (w.estimated_value for w in qs.filter(status=S.FULFILLED).only("estimated_value")), Decimal(0)
    )
    return {**agg, "fulfilled_value": value, "ranking": rows[:top]}


# --- the three lists -------------------------------------------------------------------------------


def resource_list(*, viewer: Any) -> QuerySet[Resource]:
    if not user_can(viewer, "mobilisation.manage"):
        raise Forbidden("无权查看资源清单")
    return Resource.objects.visible_to(viewer).filter(active=True).select_related("unit", "community")


def suggest_matches(wish: Wish, resources: list[Resource], limit: int = 3) -> list[dict[str, Any]]:
    """Resources of the same kind, nearest first; a word shared with the wish ranks a resource first."""
    out: list[dict[str, Any]] = []
    for res in resources:
        if res.kind != wish.kind:
            continue
        d = None
        if None not in (wish.lat, wish.lng, res.lat, res.lng):
            d = distance_m(wish.lat, wish.lng, res.lat, res.lng)  # type: ignore[arg-type]
        words = set(wish.public_title or wish.title)
        overlap = len(words & set(res.title)) if words else 0
        out.append({"resource": res, "distance_m": round(d) if d is not None else None, "overlap": overlap})
    out.sort(key=lambda m: (-min(m["overlap"], 2), m["distance_m"] if m["distance_m"] is not None else 1e12))
    return out[:limit]


def three_lists(*, viewer: Any) -> dict[str, Any]:
    """需求清单 (open wishes), 资源清单 (units' resources), 项目清单 (matched: claimed and fulfilled)."""
    needs = list(wish_list(viewer=viewer, status=S.OPEN)[:100])
    resources = list(resource_list(viewer=viewer)[:500])
    projects = list(
        WishClaim.objects.filter(wish__in=wish_list(viewer=viewer).filter(status__in=PUBLIC_STATES[1:]))
        .exclude(status__in=(WishClaim.Status.CANCELLED, WishClaim.Status.LAPSED, WishClaim.Status.RETURNED))
        .select_related("wish__area", "claimant_user", "claimant_unit")
        .order_by("-created_at")[:100]
    )
    return {
        "needs": [{"wish": w, "matches": suggest_matches(w, resources)} for w in needs],
        "resources": resources,
        "projects": projects,
    }


def seasons() -> QuerySet[Season]:
    return Season.objects.all()
