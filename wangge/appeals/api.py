"""The case loop over HTTP: submit, attach, list, show, and one POST per step. Thin: parse → service → shape."""

from datetime import UTC, datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from wangge.core.errors import InvalidInput, NotFound
from wangge.core.ratelimit import RATE_LIMITED, rate_limit
from wangge.core.schemas import ErrorOut

from . import loop, selectors, services
from .models import Appeal, Attachment
from .schemas import MAX_ID, AppealIn, AppealPage, CategoryOut, clean_text

router = Router(tags=["appeals"])

# Every operation documents the error answers it really gives (one shape: ``{"detail", "errors"}``).
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000
# Dates a case loop can mean: anything else is a typo or a probe (and year 1 or 9999 breaks arithmetic).
SANE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
SANE_TO = datetime(2100, 1, 1, tzinfo=UTC)


def _clean_param(name: str, value: str, max_length: int = 200) -> str:
    if len(value) > max_length:
        raise InvalidInput.field(name, f"不能超过 {max_length} 个字符")
    try:
        return clean_text(value)
    except ValueError as exc:
        raise InvalidInput.field(name, str(exc)) from None


def _sane_datetime(name: str, value: datetime) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not SANE_FROM <= aware < SANE_TO:
        raise InvalidInput.field(name, "日期须在 2000 年到 2099 年之间")
    return value


Detail = dict[str, Any]


def _detail(request: HttpRequest, appeal_id: int) -> Detail:
    appeal = selectors.appeal_get(viewer=request.user, pk=appeal_id)
    return selectors.appeal_detail(viewer=request.user, appeal=appeal)


def _after(request: HttpRequest, appeal_id: int) -> Detail:
    """The case after a step. A handler who returned it no longer sees it: they get the bare outcome
    (id, state, version) and nothing of the case's content."""
    try:
        return _detail(request, appeal_id)
    except NotFound:
        appeal = Appeal.objects.only("pk", "state", "version").get(pk=appeal_id)
        return {
            "id": appeal.pk,
            "state": appeal.state,
            "state_label": appeal.get_state_display(),
            "version": appeal.version,
        }


@router.post("/appeals", response={200: Detail, 201: Detail, **ERRORS, **RATE_LIMITED})
@rate_limit("submissions")
def submit(request: HttpRequest, payload: AppealIn) -> Status:
    """Submit a case. Send ``Idempotency-Key``: a retry with the same key returns the same case (200)."""
    appeal, created = services.appeal_submit(
        by=request.user,
        kind=payload.kind,
        category=payload.category,
        description=payload.description,
        channel=payload.channel,
        lat=payload.lat,
        lng=payload.lng,
        coord_system=payload.coord_system,
        address=payload.address,
        anonymous=payload.anonymous,
        external_ref=payload.external_ref,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        area_code=payload.area,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    if not created:
        return Status(200, selectors.appeal_detail(viewer=request.user, appeal=appeal))
    return Status(201, selectors.appeal_created(viewer=request.user, appeal=appeal))


@router.get("/appeals", response={200: AppealPage, **ERRORS})
def list_appeals(
    request: HttpRequest,
    state: str | None = None,
    category: str | None = None,
    area: str | None = None,
    overdue: bool | None = None,
    role: str | None = Query(None, description="handling（我的/本单位待办） | reported（我反映的）"),
    supervision: str | None = None,
    due_before: datetime | None = Query(None, description="处置期限早于此时间的在办诉求（临期/超期清单）"),
    q: str | None = None,
    channel: str | None = Query(None, description="来源渠道（如 hotline_12345）"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    for name, value in (
        ("state", state),
        ("category", category),
        ("area", area),
        ("role", role),
        ("supervision", supervision),
        ("q", q),
        ("channel", channel),
    ):
        if value is not None:
            _clean_param(name, value)
    if due_before is not None:
        _sane_datetime("due_before", due_before)
    qs = selectors.appeal_list(
        viewer=request.user,
        state=state,
        category=category,
        area=area,
        overdue=overdue,
        role=role,
        supervision=supervision,
        due_before=due_before,
        q=q,
        channel=channel,
    )
    items = [selectors.appeal_summary(a) for a in qs[offset : offset + limit]]
    return {"count": qs.count(), "items": items}


@router.get("/appeals/categories", response=list[CategoryOut], auth=None)
def categories(request: HttpRequest) -> list[dict[str, Any]]:
    """The two-level catalogue (大类 then their 小类) with limits, handling unit type and conditions."""
    return [
        {
            "code": c.code,
            "name": c.name,
            "parent": c.parent.code if c.parent else None,
            "level": "subclass" if c.parent_id else "class",
            "handler_type": c.handler_type,
            "department_name": c.department_name,
            "response_amount": c.response_amount,
            "response_unit": c.response_unit,
            "resolve_amount": c.resolve_amount,
            "resolve_unit": c.resolve_unit,
            "needs_onsite_check": c.needs_onsite_check,
            "severity": c.severity,
            "open_condition": c.open_condition,
            "close_condition": c.close_condition,
        }
        for c in selectors.category_list()
    ]


class ErrandAgentIn(Schema):
    user_id: int = Field(..., ge=1, le=MAX_ID)
    area_code: str = Field(..., min_length=12, max_length=12, description="社区编码")
    active: bool = True


class ErrandAgentOut(Schema):
    id: int
    user_id: int
    area_code: str
    active: bool

    @staticmethod
    def resolve_area_code(obj: Any) -> str:
        return str(obj.area.code)


@router.post("/appeals/errand-agents", response={200: ErrandAgentOut, **ERRORS})
def appoint_errand_agent(request: HttpRequest, payload: ErrandAgentIn) -> Any:
    """任命（或免去）红色代办员: a volunteer who may take the community's service cases (代办/陪办/上门办)."""
    return services.errand_agent_appoint(
        user_id=payload.user_id, area_code=payload.area_code, by=request.user, active=payload.active
    )


@router.get("/appeals/{appeal_id}", response={200: Detail, **ERRORS})
def detail(request: HttpRequest, appeal_id: int) -> Detail:
    return _detail(request, appeal_id)


@router.get("/appeals/{appeal_id}/duplicates", response={200: list[Detail], **ERRORS})
def duplicates(request: HttpRequest, appeal_id: int) -> list[Detail]:
    appeal = selectors.appeal_get(viewer=request.user, pk=appeal_id)
    return [
        selectors.appeal_summary(a) for a in selectors.probable_duplicates(viewer=request.user, appeal=appeal)
    ]


@router.post("/appeals/{appeal_id}/attachments", response={201: Detail, **ERRORS, **RATE_LIMITED})
@rate_limit("uploads")
def attach(
    request: HttpRequest, appeal_id: int, file: UploadedFile = File(...), purpose: str = Form("report")
) -> Status:
    filename = _clean_param("file", file.name or "", max_length=200)
    purpose = _clean_param("purpose", purpose, max_length=16)
    att = services.attachment_add(
        appeal_id=appeal_id, by=request.user, content=file.read(), filename=filename, purpose=purpose
    )
    return Status(
        201,
        {
            "id": att.pk,
            "purpose": att.purpose,
            "content_type": att.content_type,
            "size": att.size,
            "exif_gps": {"lat": att.exif_lat, "lng": att.exif_lng} if att.exif_lat is not None else None,
            "url": f"/api/v1/appeals/{appeal_id}/attachments/{att.pk}",
        },
    )


@router.get("/appeals/{appeal_id}/attachments/{attachment_id}", response={200: None, **ERRORS})
def attachment_file(request: HttpRequest, appeal_id: int, attachment_id: int) -> FileResponse:
    """The cleaned file (re-encoded, no EXIF), only to those who may see the case."""
    appeal = selectors.appeal_get(viewer=request.user, pk=appeal_id)
    att = (
        Attachment.objects.filter(pk=attachment_id, appeal=appeal).first()
        if 0 < attachment_id <= MAX_ID
        else None
    )
    if att is None:
        raise NotFound("附件不存在")
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the steps: one POST endpoint per step of the loop table that has an input schema ---------------------


def _step_endpoint(s: loop.Step) -> Any:
    def endpoint(request: HttpRequest, appeal_id: int, payload: Any) -> Detail:
        service = loop.service_for(s)
        service(appeal_id=appeal_id, by=request.user, **loop.service_kwargs(s, payload.dict()))
        return _after(request, appeal_id)

    endpoint.__annotations__["payload"] = s.schema
    # The operation ids stay those of the hand-written endpoints (``wangge_appeals_api_<name>``).
    endpoint.__name__ = "return_" if s.name == "return" else s.name.replace("-", "_")
    endpoint.__doc__ = s.doc or f"{s.label}: {s.service}"
    return endpoint


for _s in loop.STEPS:
    if _s.schema is not None:
        router.post(
            f"/appeals/{{appeal_id}}/{_s.name}", response={200: Detail, **ERRORS}, summary=str(_s.label)
        )(_step_endpoint(_s))
