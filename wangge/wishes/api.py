"""Micro-wishes API. The list, the detail and the figures work without login (the public wall)."""

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.security import HttpBearer, SessionAuth

from wangge.accounts.models import Unit
from wangge.accounts.roles import user_can
from wangge.accounts.services import token_authenticate
from wangge.areas.models import Area
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.pii import mask_name
from wangge.core.ratelimit import RATE_LIMITED, rate_limit

from . import selectors, services
from .models import Season, Wish, WishClaim
from .schemas import (
    ClaimIn,
    ClaimOut,
    CloseIn,
    ConfirmIn,
    ContactViewOut,
    FiguresOut,
    ListsOut,
    ResourceIn,
    ResourceOut,
    ReviewIn,
    SeasonOut,
    WishDetailOut,
    WishIn,
    WishPublicOut,
    WishReasonIn,
    WishStaffOut,
)

router = Router(tags=["wishes"])


class _Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


def _anonymous(request: HttpRequest) -> bool:
    return True  # the public view: no credentials needed


PUBLIC = [_Bearer(), SessionAuth(), _anonymous]


def claim_out(c: WishClaim) -> dict[str, Any]:
    return {
        "id": c.pk,
        "wish_id": c.wish_id,
        "status": c.status,
        "claimant": c.claimant_name,
        "active": c.active,
        "created_at": c.created_at,
        "delivered_at": c.delivered_at,
        "delivery_note": c.delivery_note,
        "has_photo": bool(c.delivery_photo),
        "disputed": c.disputed,
        "dispute_note": c.dispute_note,
        "confirmed_at": c.confirmed_at,
        "auto_confirmed": c.auto_confirmed,
    }


def staff_out(w: Wish) -> dict[str, Any]:
    return {
        "id": w.pk,
        "status": w.status,
        "title": w.title,
        "label": w.public_label,
        "kind": w.kind,
        "estimated_value": w.estimated_value,
        "deadline": w.deadline,
        "area_code": w.area.code,
        "beneficiary": mask_name(w.beneficiary.name),
        "on_behalf": w.on_behalf,
        "created_at": w.created_at,
    }


def detail_out(request: HttpRequest, wish: Wish) -> dict[str, Any]:
    viewer = request.user
    claim = services.active_claim(wish)
    out = selectors.public_wish(wish, claim)
    if selectors.can_see_private(viewer, wish):
        out["private"] = selectors.wish_private(wish)
        if claim is not None:
            out["claim"] = claim_out(claim)
    if services.is_claimant(viewer, claim):
        out["my_claim"] = claim_out(claim)  # type: ignore[arg-type]
    out["contact"] = selectors.wish_contact(viewer=viewer, wish=wish, claim=claim)
    return out


@router.get("/wishes", response=list[WishPublicOut] | list[WishStaffOut], auth=PUBLIC)
def wishes_list(
    request: HttpRequest,
    status: str | None = None,
    area: str | None = None,
    season: int | None = None,
    view: str = "public",
) -> Any:
    """The public wish wall; staff get their scoped management list with ``view=manage``."""
    if view == "manage":
        return [
            staff_out(w) for w in selectors.wish_list(viewer=request.user, status=status, area=area)[:500]
        ]
    return selectors.wish_wall(area=area, season=season, status=status)


@router.get("/wishes/figures", response=FiguresOut, auth=PUBLIC)
def wishes_figures(request: HttpRequest, area: str | None = None, season: int | None = None) -> Any:
    return selectors.figures(area=area, season=season)


@router.get("/wishes/seasons", response=list[SeasonOut], auth=PUBLIC)
def wishes_seasons(request: HttpRequest) -> Any:
    return list(selectors.seasons())


@router.get("/wishes/claims/mine", response=list[ClaimOut])
def wishes_my_claims(request: HttpRequest) -> Any:
    return [claim_out(c) for c in selectors.my_claims(viewer=request.user)]


@router.get("/wishes/contact-views", response=list[ContactViewOut])
def wishes_contact_views(request: HttpRequest) -> Any:
    """Staff: who viewed which beneficiary's contact, for the wishes in their scope (newest first)."""
    return selectors.contact_views(viewer=request.user)


@router.get("/wishes/lists", response=ListsOut)
def wishes_lists(request: HttpRequest) -> Any:
    lists = selectors.three_lists(viewer=request.user)
    return {
        "needs": [
            {
                "wish": staff_out(n["wish"]),
                "matches": [
                    {
                        "resource_id": m["resource"].pk,
                        "unit": m["resource"].unit.name,
                        "title": m["resource"].title,
                        "distance_m": m["distance_m"],
                    }
                    for m in n["matches"]
                ],
            }
            for n in lists["needs"]
        ],
        "resources": [resource_out(r) for r in lists["resources"]],
        "projects": [claim_out(c) for c in lists["projects"]],
    }


def resource_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "unit": r.unit.name,
        "community": r.community.code,
        "kind": r.kind,
        "title": r.title,
        "description": r.description,
        "quantity": r.quantity,
    }


@router.post("/wishes/resources", response={201: ResourceOut})
def wishes_resource_create(request: HttpRequest, payload: ResourceIn) -> Any:
    unit = Unit.objects.filter(pk=payload.unit_id).first()
    if unit is None:
        raise InvalidInput.field("unit_id", "单位不存在")
    community = Area.objects.filter(code=payload.community, level="community").first()
    if community is None:
        raise InvalidInput.field("community", "社区不存在")
    data = payload.dict(exclude={"unit_id", "community"})
    res = services.resource_create(unit=unit, community=community, by=request.user, **data)
    return Status(201, resource_out(res))


@router.post("/wishes", response={201: WishDetailOut})
def wishes_create(request: HttpRequest, payload: WishIn) -> Any:
    beneficiary = None
    if payload.beneficiary_id is not None:  # missing and out of scope: the same 404
        beneficiary = services.beneficiary_for(by=request.user, resident_id=payload.beneficiary_id)
    season = None
    if payload.season is not None:
        season = Season.objects.filter(number=payload.season).first()
        if season is None:
            raise InvalidInput.field("season", "心愿季不存在")
    wish = services.wish_create(
        by=request.user,
        beneficiary=beneficiary,
        title=payload.title,
        reason=payload.reason,
        estimated_value=payload.estimated_value,
        kind=payload.kind,
        deadline=payload.deadline,
        season=season,
        draft=payload.draft,
    )
    return Status(201, detail_out(request, selectors.wish_get(viewer=request.user, pk=wish.pk)))


@router.get("/wishes/{int:wish_id}", response=WishDetailOut, auth=PUBLIC)
def wishes_get(request: HttpRequest, wish_id: int) -> Any:
    return detail_out(request, selectors.wish_get(viewer=request.user, pk=wish_id))


def _get(request: HttpRequest, wish_id: int) -> Wish:
    return selectors.wish_get(viewer=request.user, pk=wish_id)


@router.post("/wishes/{int:wish_id}/submit", response=WishDetailOut)
def wishes_submit(request: HttpRequest, wish_id: int) -> Any:
    services.wish_submit(wish=_get(request, wish_id), by=request.user)
    return detail_out(request, _get(request, wish_id))


@router.post("/wishes/{int:wish_id}/review", response=WishDetailOut)
def wishes_review(request: HttpRequest, wish_id: int, payload: ReviewIn) -> Any:
    services.wish_review(wish=_get(request, wish_id), by=request.user, **payload.dict())
    return detail_out(request, _get(request, wish_id))


@router.post("/wishes/{int:wish_id}/claim", response={201: WishDetailOut})
def wishes_claim(request: HttpRequest, wish_id: int, payload: ClaimIn | None = None) -> Any:
    """Claim a wish. Exactly one claim wins; the others get 409 with the current ``state``."""
    services.wish_claim(wish_id=wish_id, by=request.user, as_unit=bool(payload and payload.as_unit))
    return Status(201, detail_out(request, _get(request, wish_id)))


@router.post("/wishes/{int:wish_id}/deliver", response={200: WishDetailOut, **RATE_LIMITED})
@rate_limit("uploads")
def wishes_deliver(
    request: HttpRequest,
    wish_id: int,
    note: Form[str] = "",
    photo: File[UploadedFile] | None = None,
) -> Any:
    """Record delivery: multipart with ``photo`` (JPEG/PNG/WebP; re-encoded) and an optional ``note``."""
    _get(request, wish_id)  # not visible: 404, as missing
    upload = photo or request.FILES.get("photo")
    services.wish_deliver(wish_id=wish_id, by=request.user, note=note, photo=upload)
    return detail_out(request, _get(request, wish_id))


@router.post("/wishes/{int:wish_id}/confirm", response=WishDetailOut)
def wishes_confirm(request: HttpRequest, wish_id: int, payload: ConfirmIn | None = None) -> Any:
    payload = payload or ConfirmIn()
    _get(request, wish_id)  # not visible: 404, as missing
    services.wish_confirm(wish_id=wish_id, by=request.user, accept=payload.accept, note=payload.note)
    return detail_out(request, _get(request, wish_id))


@router.post("/wishes/{int:wish_id}/cancel-claim", response=WishDetailOut)
def wishes_cancel_claim(request: HttpRequest, wish_id: int, payload: WishReasonIn | None = None) -> Any:
    _get(request, wish_id)  # not visible: 404, as missing
    services.wish_cancel_claim(wish_id=wish_id, by=request.user, reason=payload.reason if payload else "")
    return detail_out(request, _get(request, wish_id))


@router.post("/wishes/{int:wish_id}/withdraw", response=WishDetailOut)
def wishes_withdraw(request: HttpRequest, wish_id: int) -> Any:
    services.wish_withdraw(wish=_get(request, wish_id), by=request.user)
    return detail_out(request, _get(request, wish_id))


@router.post("/wishes/{int:wish_id}/close", response=WishDetailOut)
def wishes_close(request: HttpRequest, wish_id: int, payload: CloseIn) -> Any:
    if not user_can(request.user, "mobilisation.manage"):
        raise NotFound("心愿不存在")
    services.wish_close(wish=_get(request, wish_id), by=request.user, note=payload.note)
    return detail_out(request, _get(request, wish_id))
