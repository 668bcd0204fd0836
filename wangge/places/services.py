"""Writes of places: staff create and edit places in their scope; anyone signed in may ask a place for one of
its errand services (代办/陪办/上门办), which becomes a case of kind service with the place attached."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.appeals.models import Appeal
from wangge.appeals.services import appeal_submit
from wangge.areas.models import Area
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.core.roles import user_can
from wangge.core.scoping import get_visible_or_404
from wangge.core.transactions import batch, use_case

from .models import DutyShift, Place, PlaceRequest, PlaceService
from .selectors import HHMM, _t

WEEKDAYS = [str(i) for i in range(7)]


def _intervals(value: Any, field: str) -> list[list[str]]:
    if not isinstance(value, list) or len(value) > 4:
        raise InvalidInput.field(field, _("开放时段格式不正确，每天最多4段"))
    out = []
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise InvalidInput.field(field, _("开放时段须为“开始-结束”时间"))
        a, b = item
        if not (HHMM.match(a) and HHMM.match(b)) or not _t(a) < _t(b):
            raise InvalidInput.field(field, _("开放时段 %(a)s–%(b)s 不正确") % {"a": a[:5], "b": b[:5]})
        out.append([a, b])
    return sorted(out)


def clean_hours(hours: Any) -> dict[str, list[list[str]]]:
    if not isinstance(hours, dict) or not set(hours) <= set(WEEKDAYS):
        raise InvalidInput.field("hours", _("开放时间须按周一(0)至周日(6)填写"))
    return {day: _intervals(hours[day], "hours") for day in WEEKDAYS if day in hours}


def _fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        name = (data.get("name") or "").strip()
        if not name:
            raise InvalidInput.field("name", _("请填写名称"))
        out["name"] = name[:100]
    if "kind" in data or not partial:
        if data.get("kind") not in Place.Kind.values:
            raise InvalidInput.field("kind", _("请选择阵地类型"))
        out["kind"] = data["kind"]
    for key, label in (("lat", _("纬度")), ("lng", _("经度"))):
        if key in data or not partial:
            value = data.get(key)
            limit = 90 if key == "lat" else 180
            if not isinstance(value, int | float) or not -limit <= value <= limit:
                raise InvalidInput.field(key, _("请在地图上选择位置（%(label)s无效）") % {"label": label})
            out[key] = float(value)
    for key in ("address", "phone"):
        if key in data:
            out[key] = (data[key] or "").strip()[: 200 if key == "address" else 30]
    if "capacity" in data:
        cap = data["capacity"]
        if not isinstance(cap, int) or not 0 <= cap <= 100_000:
            raise InvalidInput.field("capacity", _("容纳人数须在0到100000之间"))
        out["capacity"] = cap
    if "hours" in data:
        out["hours"] = clean_hours(data["hours"] or {})
    if "holiday_hours" in data:
        out["holiday_hours"] = _intervals(data["holiday_hours"] or [], "holiday_hours")
    if "active" in data:
        out["active"] = bool(data["active"])
    return out


def _services(codes: Any) -> list[PlaceService]:
    if not isinstance(codes, list) or len(codes) > 50:
        raise InvalidInput.field("services", _("服务项目格式不正确"))
    found = {s.code: s for s in PlaceService.objects.filter(code__in=[str(c) for c in codes])}
    missing = [str(c) for c in codes if str(c) not in found]
    if missing:
        raise InvalidInput.field(
            "services", _("未知的服务项目：%(codes)s") % {"codes": "、".join(missing[:5])}
        )
    return list(found.values())


@use_case
def place_create(*, by: Any, area: Area, data: dict[str, Any]) -> Place:
    if not user_can(by, "places.manage"):
        raise Forbidden(_("无权管理服务阵地"))
    get_visible_or_404(Area, by, pk=area.pk)  # out of scope reads as missing
    place = Place.objects.create(area=area, **_fields(data, partial=False))
    if "services" in data:
        place.services.set(_services(data["services"]))
    return place


@use_case
def place_update(*, by: Any, place_id: int, data: dict[str, Any]) -> Place:
    if not user_can(by, "places.manage"):
        raise Forbidden(_("无权管理服务阵地"))
    place = get_visible_or_404(Place.objects.select_for_update(), by, "manage", pk=place_id)
    for key, value in _fields(data, partial=True).items():
        setattr(place, key, value)
    place.save()
    if "services" in data:
        place.services.set(_services(data["services"]))
    return place


@use_case
def place_request(*, by: Any, place_id: int, service: str, description: str) -> PlaceRequest:
    """A service request at a place: a case of kind service at the place's location, routed like any case."""
    place = get_visible_or_404(Place, by, pk=place_id)
    offered = place.services.filter(code=service, kind=PlaceService.Kind.ERRAND).first()
    if offered is None:
        raise InvalidInput.field("service", _("该阵地不提供此项代办服务"))
    text = (description or "").strip()
    if not text:
        raise InvalidInput.field("description", _("请说明需要办理的事项"))
    with batch():
        appeal, _created = appeal_submit(
            by=by,
            category=_category(),
            description=f"【{offered.name}】{text}"[:2000],
            channel=Appeal.Channel.RESIDENT_WEB,
            kind=Appeal.Kind.SERVICE,
            lat=place.lat,
            lng=place.lng,
            address=place.name,
        )
    return PlaceRequest.objects.create(place=place, service=offered, appeal=appeal)


def _category() -> str:
    """The case category of service requests (a setting: the catalogue's 代办 entry)."""
    from django.conf import settings

    return str(getattr(settings, "WANGGE_PLACES_SERVICE_CATEGORY", "FW0101"))


DUTY_DAYS_AHEAD = 366


@use_case
def duty_add(*, by: Any, place_id: int, user_id: int, date: Any, shift: str) -> Any:
    """Put a person on a place's roster (staff of the place's area). The same person in two places at the same
    shift is refused by the database (``places_duty_one_place_per_shift``) → 409, nothing written."""
    if not user_can(by, "places.manage"):
        raise Forbidden(_("无权管理值班表"))
    place = get_visible_or_404(Place.objects.select_related("area"), by, "manage", pk=place_id)
    if shift not in DutyShift.Shift.values:
        raise InvalidInput.field("shift", _("请选择班次"))
    today = timezone.localdate()
    if not isinstance(date, dt.date) or not today - dt.timedelta(days=31) <= date <= today + dt.timedelta(
        days=DUTY_DAYS_AHEAD
    ):
        raise InvalidInput.field("date", _("值班日期须在近一个月至一年内"))
    person = User.objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        raise InvalidInput.field("user", _("请选择值班人员"))
    try:
        with transaction.atomic():
            return DutyShift.objects.create(place=place, user=person, date=date, shift=shift, created_by=by)
    except IntegrityError as exc:
        other = DutyShift.objects.filter(user=person, date=date, shift=shift).select_related("place").first()
        where = other.place.name if other else ""
        raise Conflict(
            _("%(name)s 该班次已在%(place)s值班") % {"name": person, "place": where},
            [{"field": "user", "message": _("该人员此班次已有值班")}],
        ) from exc


@use_case
def duty_remove(*, by: Any, place_id: int, duty_id: int) -> None:
    if not user_can(by, "places.manage"):
        raise Forbidden(_("无权管理值班表"))
    place = get_visible_or_404(Place, by, "manage", pk=place_id)
    deleted, _rows = DutyShift.objects.filter(place=place, pk=duty_id).delete()
    if not deleted:
        raise NotFound(_("未找到该值班"))
