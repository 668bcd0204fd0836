"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the resource shapes, the state mapping, the
filters and a JSON/XML renderer. The views (``open311_views``) are thin; submitting goes through
``appeals.services.appeal_submit``.

Choices (see docs/open311.md):
* services = the active subclasses (小类); ``group`` is the class (大类).
* ``status`` is ``open`` or ``closed`` as the spec says; ``extended_status`` carries the common extended
  statuses (FixMyStreet's vocabulary) and ``extended_attributes.state`` our own state.
* Public reads (no ``api_key``) list only public-space matters (kinds problem and suggestion) that a
  dispatcher has reviewed: opened (立案) or later — never a ``submitted`` case, nor one cancelled or merged
  before it was opened. They never carry reporter data; phone numbers, ID numbers and the reporter's name
  found in the public text are masked (``public.redact``) and coordinates rounded (about 100 m,
  ``WANGGE_APPEALS_PUBLIC_COORD_DECIMALS``). ``expected_datetime`` is the resolution deadline from the
  category's SLA.
* API keys are the accounts' API tokens (``POST /api/v1/auth/token``); the key's user submits the case.
* ``token``: a signed form of the request id, so ``tokens/{token}`` needs no table.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone

from wangge.appeals import conf, public
from wangge.appeals.models import Appeal, Category, State
from wangge.appeals.schemas import MAX_ID

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00+08:00"
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
PUBLIC_KINDS = (Appeal.Kind.PROBLEM, Appeal.Kind.SUGGESTION)
TOKEN_SALT = "wangge.open311.token"

# Our state → (Open311 status, extended status).
STATUS_MAP: dict[str, tuple[str, str]] = {
    State.SUBMITTED: ("open", "open"),
    State.OPENED: ("open", "investigating"),
    State.DISPATCHED: ("open", "action_scheduled"),
    State.ACKNOWLEDGED: ("open", "in_progress"),
    State.IN_PROGRESS: ("open", "in_progress"),
    State.RESOLVED: ("open", "fixed"),
    State.CLOSED: ("closed", "closed"),
    State.CANCELLED: ("closed", "no_further_action"),
    State.MERGED: ("closed", "duplicate"),
}
OPEN_STATES = [s for s, (status, _) in STATUS_MAP.items() if status == "open"]
CLOSED_STATES = [s for s, (status, _) in STATUS_MAP.items() if status == "closed"]

KIND_VALUES = [(k.value, str(k.label)) for k in Appeal.Kind]


class Open311Error(Exception):
    """An error in the spec's shape: ``[{"code": 400, "description": "..."}]`` with that HTTP status."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


# --- time --------------------------------------------------------------------------------------------


def w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


SANE_FROM = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
SANE_TO = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def parse_w3c(value: str, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{field}: expected a W3C datetime such as 2025-10-01T00:00:00Z") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.get_current_timezone())
    if not SANE_FROM <= parsed < SANE_TO:
        raise Open311Error(400, f"{field}: must lie between 2000 and 2099")
    return parsed


def clean_param(name: str, value: str) -> str:
    """Refuse NUL bytes, lone surrogates and over-long values in any parameter (the spec's 400)."""
    if len(value) > 4000 or "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise Open311Error(400, f"{name}: invalid value")
    return value


def _request_pk(value: str) -> int | None:
    """A request id as a database key, or None when it cannot be one (not digits, or beyond 64 bits)."""
    if not value.isdigit() or len(value) > 19:
        return None
    pk = int(value)
    return pk if 0 < pk <= MAX_ID else None


# --- discovery and services --------------------------------------------------------------------------


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": getattr(settings, "WANGGE_OPEN311_CONTACT", "12345 / 社区服务中心"),
        "key_service": "API keys are account API tokens: POST /api/v1/auth/token",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def _services_qs() -> QuerySet[Category]:
    return (
        Category.objects.filter(active=True, parent__isnull=False, parent__active=True)
        .select_related("parent")
        .order_by("parent__sort_order", "parent__code", "sort_order", "code")
    )


def service_list() -> list[dict[str, Any]]:
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.open_condition or c.name,
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join(filter(None, [c.parent.name if c.parent else "", c.get_source_display()])),
            "group": c.parent.name if c.parent else "",
        }
        for c in _services_qs()
    ]


def service_get(code: str) -> Category:
    cat = _services_qs().filter(code=code).first()
    if cat is None:
        raise Open311Error(404, f"service_code {code} not found")
    return cat


def service_definition(code: str) -> dict[str, Any]:
    cat = service_get(code)
    return {
        "service_code": cat.code,
        "attributes": [
            {
                "variable": True,
                "code": "kind",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "诉求类型，默认 problem",
                "order": 1,
                "description": "诉求类型",
                "values": [{"key": k, "name": name} for k, name in KIND_VALUES],
            },
            {
                "variable": True,
                "code": "anonymous",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "对处置人员匿名",
                "order": 2,
                "description": "是否匿名",
                "values": [{"key": "false", "name": "否"}, {"key": "true", "name": "是"}],
            },
        ],
    }


# --- requests ----------------------------------------------------------------------------------------


def token_for(appeal_id: int) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign(str(appeal_id))


def token_resolve(token: str) -> int:
    try:
        return int(signing.Signer(salt=TOKEN_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise Open311Error(404, "token not found") from exc


def expected_at(appeal: Appeal) -> dt.datetime | None:
    """The resolution deadline; before dispatch, what the category's SLA gives from the report time."""
    if appeal.resolve_due_at is not None:
        return appeal.resolve_due_at
    if appeal.state in CLOSED_STATES:
        return None
    from wangge.workdays.calendar import add_working_time

    cat = appeal.category
    return add_working_time(appeal.reported_at, cat.resolve_amount, cat.resolve_unit)


def _coordinate(value: float | None) -> float | None:
    return None if value is None else round(value, int(conf.get("PUBLIC_COORD_DECIMALS")))


def request_public(appeal: Appeal) -> dict[str, Any]:
    status, extended = STATUS_MAP.get(appeal.state, ("open", "open"))
    special: dict[str, str] = {
        State.CANCELLED: "已作废",
        State.MERGED: f"已合并至 {appeal.merged_into_id}" if appeal.merged_into_id else "已合并",
        State.RESOLVED: "已办结，待核查/评价",
    }
    notes = special.get(appeal.state, str(appeal.get_state_display()))
    names = public.known_names(appeal)
    agency = appeal.lead_unit.name if appeal.lead_unit_id and appeal.lead_unit else ""
    if not agency and appeal.grid_id and appeal.grid:
        agency = appeal.grid.name
    return {
        "service_request_id": str(appeal.pk),
        "status": status,
        "status_notes": public.redact(notes, names),
        "service_name": appeal.category.name,
        "service_code": appeal.category.code,
        "description": public.redact(appeal.description, names),
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": w3c(appeal.reported_at),
        "updated_datetime": w3c(appeal.updated_at),
        "expected_datetime": w3c(expected_at(appeal)),
        "address": public.redact(appeal.address, names),
        "address_id": "",
        "zipcode": "",
        "lat": _coordinate(appeal.lat),
        "long": _coordinate(appeal.lng),
        "media_url": "",
        "extended_status": extended,
        "extended_attributes": {
            "state": appeal.state,
            "supervision_level": appeal.supervision_level,
            "area_code": appeal.area_code,
        },
    }


def _requests_qs() -> QuerySet[Appeal]:
    """What the public may read: reviewed (opened or later) public-space matters."""
    return public.reviewed(Appeal.objects.filter(kind__in=PUBLIC_KINDS)).select_related(
        "category", "lead_unit", "grid", "reporter"
    )


def request_get(request_id: str) -> list[dict[str, Any]]:
    pk = _request_pk(request_id)
    if pk is None:
        raise Open311Error(404, "service_request_id not found")
    appeal = _requests_qs().filter(pk=pk).first()
    if appeal is None:
        raise Open311Error(404, f"service_request_id {request_id} not found")
    return [request_public(appeal)]


def request_search(params: dict[str, str], *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """GET requests with the spec's filters: ``service_request_id`` (comma list, overrides the others),
    ``service_code`` (comma list), ``start_date``/``end_date`` (≤ 90 days; default the last 90 days),
    ``status`` (open, closed; comma list). At most 1000 results, newest first."""
    qs = _requests_qs()
    ids = [p.strip() for p in params.get("service_request_id", "").split(",") if p.strip()]
    if ids:
        pks = [_request_pk(i) for i in ids[:MAX_RESULTS]]
        if any(pk is None for pk in pks):
            raise Open311Error(400, "service_request_id must be numeric ids")
        qs = qs.filter(pk__in=pks)
    else:
        now = now or timezone.now()
        start = parse_w3c(params["start_date"], "start_date") if params.get("start_date") else None
        end = parse_w3c(params["end_date"], "end_date") if params.get("end_date") else None
        if start and end:
            if end < start:
                raise Open311Error(400, "end_date is before start_date")
            if end - start > dt.timedelta(days=DEFAULT_DAYS):
                raise Open311Error(400, f"the date range may not span more than {DEFAULT_DAYS} days")
        elif start:
            end = start + dt.timedelta(days=DEFAULT_DAYS)
        elif end:
            start = end - dt.timedelta(days=DEFAULT_DAYS)
        else:
            end, start = now, now - dt.timedelta(days=DEFAULT_DAYS)
        qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {s.strip().lower() for s in params.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open and/or closed")
        if statuses == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            qs = qs.filter(state__in=CLOSED_STATES)
    return [request_public(a) for a in qs.order_by("-reported_at", "-id")[:MAX_RESULTS]]


def request_create(
    *, user: Any, data: dict[str, Any], idempotency_key: str | None = None
) -> list[dict[str, Any]]:
    """POST requests: the form's fields mapped onto ``appeal_submit``. Location: ``lat``/``long``."""
    from wangge.accounts.roles import Role, user_can
    from wangge.appeals import services
    from wangge.core.errors import ServiceError
    from wangge.core.scoping import AREA_ROLES

    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    service_get(code)
    if not user_can(user, "appeals.submit"):
        raise Open311Error(403, "this api_key may not submit service requests")
    lat, lng = data.get("lat"), data.get("long")
    if not lat or not lng:
        raise Open311Error(
            400, "lat and long are required (address_string alone is not enough to locate a grid)"
        )
    try:
        flat, flng = float(lat), float(lng)
    except ValueError as exc:
        raise Open311Error(400, "lat and long must be numbers") from exc
    kind = data.get("attribute[kind]") or Appeal.Kind.PROBLEM
    anonymous = (data.get("attribute[anonymous]") or "").lower() in {"true", "1", "yes"}
    staff = (
        user.is_superuser
        or getattr(user, "role", "") in AREA_ROLES
        or getattr(user, "role", "") == Role.ADMIN
    )
    name = " ".join(filter(None, [data.get("last_name", ""), data.get("first_name", "")])).strip()
    description = (data.get("description") or "").strip()
    media = (data.get("media_url") or "").strip()
    if media:
        description = f"{description}\n{media}".strip()
    try:
        appeal, _created = services.appeal_submit(
            by=user,
            category=code,
            description=description,
            channel=Appeal.Channel.STAFF_ENTRY if staff else Appeal.Channel.RESIDENT_WEB,
            kind=kind,
            lat=flat,
            lng=flng,
            coord_system="wgs84",
            address=(data.get("address_string") or "").strip()[:200],
            anonymous=anonymous,
            idempotency_key=idempotency_key or None,
            reporter_name=name[:50] if staff else "",
            reporter_phone=(data.get("phone") or "").strip() if staff else "",
        )
    except ServiceError as exc:
        status = exc.status_code if exc.status_code in (403, 404) else 400
        raise Open311Error(status, _describe(exc)) from exc
    return [
        {
            "service_request_id": str(appeal.pk),
            "token": token_for(appeal.pk),
            "service_notice": f"预计办结时间 {w3c(expected_at(appeal))}",
            "account_id": None,
        }
    ]


def _describe(exc: Any) -> str:
    errors = getattr(exc, "errors", None) or []
    if errors:
        return "; ".join(
            f"{e.get('field')}: {e.get('message')}" if e.get("field") else e["message"] for e in errors
        )
    return str(getattr(exc, "detail", exc))


def token_lookup(token: str) -> list[dict[str, Any]]:
    pk = token_resolve(token)
    if not Appeal.objects.filter(Q(pk=pk)).exists():
        raise Open311Error(404, "token not found")
    return [{"service_request_id": str(pk), "token": token}]


# --- rendering ---------------------------------------------------------------------------------------

# XML element names: (root, item) for the list resources; nested lists name their items by field.
XML_ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}
XML_LIST_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def _xml_value(parent: ET.Element, key: str, value: Any) -> None:
    el = ET.SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif isinstance(value, list):
        item = XML_LIST_ITEMS.get(key, "item")
        for v in value:
            if isinstance(v, dict):
                sub = ET.SubElement(el, item)
                for k, vv in v.items():
                    _xml_value(sub, k, vv)
            else:
                ET.SubElement(el, item).text = _text(v)
    else:
        el.text = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_xml(kind: str, data: Any) -> bytes:
    """``kind``: services | requests | errors (lists) or discovery | service_definition (one object)."""
    if kind in XML_ROOTS:
        root_name, item_name = XML_ROOTS[kind]
        root = ET.Element(root_name)
        for row in data:
            item = ET.SubElement(root, item_name)
            for k, v in row.items():
                _xml_value(item, k, v)
    else:
        root = ET.Element(kind)
        for k, v in data.items():
            _xml_value(root, k, v)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")
