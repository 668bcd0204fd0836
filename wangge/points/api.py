from django.http import HttpRequest
from ninja import Router, Status

from wangge.accounts.models import Unit
from wangge.areas.models import Area
from wangge.core.errors import InvalidInput

from . import selectors, services
from .models import PointAccount, Redemption, Reward
from .schemas import (
    BalanceOut,
    CancelIn,
    EntryOut,
    RedeemIn,
    RedemptionOut,
    RewardIn,
    RewardOut,
)

router = Router(tags=["points"])


def _reward_out(r: Reward) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "description": r.description,
        "price": r.price,
        "stock": r.stock,
        "per_person_limit": r.per_person_limit,
        "area": r.area.code if r.area_id else None,
        "area_name": r.area.name if r.area_id else None,
        "unit": r.unit.name if r.unit_id else None,
        "active": r.active,
    }


def _redemption_out(r: Redemption) -> dict:
    return {
        "id": r.pk,
        "reward_id": r.reward_id,
        "reward_name": r.reward.name,
        "quantity": r.quantity,
        "points": r.points,
        "status": r.status,
        "created_at": r.created_at,
        "balance": _balance(r),
    }


def _balance(r: Redemption) -> int:
    """The redeemer's balance from the row's joined account (select_related): no query per row."""
    try:
        return r.user.point_account.balance
    except PointAccount.DoesNotExist:
        return 0


@router.get("/points/balance", response=BalanceOut)
def balance(request: HttpRequest) -> dict:
    acct = PointAccount.objects.filter(user_id=request.user.pk).first()  # type: ignore[misc]
    return {"balance": acct.balance if acct else 0, "earned_total": acct.earned_total if acct else 0}


@router.get("/points/entries", response=list[EntryOut])
def entries(request: HttpRequest, limit: int = 100, offset: int = 0) -> list:
    limit = max(1, min(limit, 500))
    return list(selectors.point_entry_list(viewer=request.user)[offset : offset + limit])


@router.get("/rewards", response=list[RewardOut])
def rewards(request: HttpRequest) -> list:
    return [_reward_out(r) for r in selectors.reward_list(viewer=request.user)]


@router.post("/rewards", response={201: RewardOut})
def reward_create(request: HttpRequest, payload: RewardIn) -> Status:
    area = None
    if payload.area:
        area = Area.objects.filter(code=payload.area).first()
        if area is None:
            raise InvalidInput.field("area", "区域不存在")
    unit = None
    if payload.unit_id:
        unit = Unit.objects.filter(pk=payload.unit_id).first()
        if unit is None:
            raise InvalidInput.field("unit_id", "单位不存在")
    r = services.reward_create(
        name=payload.name,
        price=payload.price,
        stock=payload.stock,
        description=payload.description,
        area=area,
        unit=unit,
        per_person_limit=payload.per_person_limit,
        by=request.user,
    )
    return Status(201, _reward_out(r))


@router.get("/rewards/{reward_id}", response=RewardOut)
def reward_detail(request: HttpRequest, reward_id: int) -> dict:
    return _reward_out(selectors.reward_get(viewer=request.user, reward_id=reward_id))


@router.post("/rewards/{reward_id}/redeem", response={201: RedemptionOut})
def redeem(request: HttpRequest, reward_id: int, payload: RedeemIn | None = None) -> Status:
    r = services.reward_redeem(
        reward_id=reward_id, user=request.user, quantity=payload.quantity if payload else 1
    )
    return Status(201, _redemption_out(r))


@router.get("/redemptions", response=list[RedemptionOut])
def redemptions(request: HttpRequest, mine: bool = True) -> list:
    return [_redemption_out(r) for r in selectors.redemption_list(viewer=request.user, mine=mine)[:200]]


@router.post("/redemptions/{redemption_id}/handover", response=RedemptionOut)
def hand_over(request: HttpRequest, redemption_id: int) -> dict:
    r = selectors.redemption_get(viewer=request.user, redemption_id=redemption_id)
    return _redemption_out(services.redemption_hand_over(redemption=r, by=request.user))


@router.post("/redemptions/{redemption_id}/cancel", response=RedemptionOut)
def cancel(request: HttpRequest, redemption_id: int, payload: CancelIn) -> dict:
    r = selectors.redemption_get(viewer=request.user, redemption_id=redemption_id)
    return _redemption_out(services.redemption_cancel(redemption=r, reason=payload.reason, by=request.user))
