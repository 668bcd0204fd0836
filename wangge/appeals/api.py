"""The case loop over HTTP: submit, attach, list, show, and one POST per step. Thin: parse → service → shape."""

from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from wangge.core.errors import InvalidInput, NotFound
from wangge.core.ratelimit import RATE_LIMITED, rate_limit

from . import selectors, services
from .models import Appeal, Attachment
from .schemas import (
    AppealIn,
    AppealPage,
    CategoryOut,
    CheckIn,
    DispatchIn,
    ExtendIn,
    HoldIn,
    MergeIn,
    RateIn,
    ReasonIn,
    ResolveIn,
    StepIn,
    UrgeIn,
    WhistleIn,
)

router = Router(tags=["appeals"])

Detail = dict[str, Any]


def _detail(request: HttpRequest, appeal_id: int) -> Detail:
    appeal = selectors.appeal_get(viewer=request.user, pk=appeal_id)
    return selectors.appeal_detail(viewer=request.user, appeal=appeal)


def _after(request: HttpRequest, appeal_id: int) -> Detail:
    """The case after a step. A handler who returned it no longer sees it: they get the bare outcome."""
    try:
        return _detail(request, appeal_id)
    except NotFound:
        appeal = Appeal.objects.select_related("category", "lead_unit", "lead_user").get(pk=appeal_id)
        return selectors.appeal_summary(appeal)


@router.post("/appeals", response={200: Detail, 201: Detail, **RATE_LIMITED})
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


@router.get("/appeals", response=AppealPage)
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
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    if not 1 <= limit <= 500:
        raise InvalidInput.field("limit", "limit 须在 1–500 之间")
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


@router.get("/appeals/{appeal_id}", response=Detail)
def detail(request: HttpRequest, appeal_id: int) -> Detail:
    return _detail(request, appeal_id)


@router.get("/appeals/{appeal_id}/duplicates", response=list[Detail])
def duplicates(request: HttpRequest, appeal_id: int) -> list[Detail]:
    appeal = selectors.appeal_get(viewer=request.user, pk=appeal_id)
    return [
        selectors.appeal_summary(a) for a in selectors.probable_duplicates(viewer=request.user, appeal=appeal)
    ]


@router.post("/appeals/{appeal_id}/attachments", response={201: Detail, **RATE_LIMITED})
@rate_limit("uploads")
def attach(
    request: HttpRequest, appeal_id: int, file: UploadedFile = File(...), purpose: str = Form("report")
) -> Status:
    att = services.attachment_add(
        appeal_id=appeal_id, by=request.user, content=file.read(), filename=file.name or "", purpose=purpose
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


@router.get("/appeals/{appeal_id}/attachments/{attachment_id}")
def attachment_file(request: HttpRequest, appeal_id: int, attachment_id: int) -> FileResponse:
    """The cleaned file (re-encoded, no EXIF), only to those who may see the case."""
    appeal = selectors.appeal_get(viewer=request.user, pk=appeal_id)
    att = Attachment.objects.filter(pk=attachment_id, appeal=appeal).first()
    if att is None:
        raise NotFound("附件不存在")
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the steps -------------------------------------------------------------------------------------------------


@router.post("/appeals/{appeal_id}/accept", response=Detail)
def accept(request: HttpRequest, appeal_id: int, payload: StepIn) -> Detail:
    services.appeal_accept(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/cancel", response=Detail)
def cancel(request: HttpRequest, appeal_id: int, payload: ReasonIn) -> Detail:
    services.appeal_cancel(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/merge", response=Detail)
def merge(request: HttpRequest, appeal_id: int, payload: MergeIn) -> Detail:
    services.appeal_merge(
        appeal_id=appeal_id, into_id=payload.into, by=request.user, note=payload.note, version=payload.version
    )
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/dispatch", response=Detail)
def dispatch(request: HttpRequest, appeal_id: int, payload: DispatchIn) -> Detail:
    services.appeal_dispatch(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/acknowledge", response=Detail)
def acknowledge(request: HttpRequest, appeal_id: int, payload: StepIn) -> Detail:
    services.appeal_acknowledge(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/return", response=Detail)
def return_(request: HttpRequest, appeal_id: int, payload: ReasonIn) -> Detail:
    services.appeal_return(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/start", response=Detail)
def start(request: HttpRequest, appeal_id: int, payload: StepIn) -> Detail:
    services.appeal_start(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/resolve", response=Detail)
def resolve(request: HttpRequest, appeal_id: int, payload: ResolveIn) -> Detail:
    services.appeal_resolve(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/check", response=Detail)
def check(request: HttpRequest, appeal_id: int, payload: CheckIn) -> Detail:
    services.appeal_check(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/rate", response=Detail)
def rate(request: HttpRequest, appeal_id: int, payload: RateIn) -> Detail:
    services.appeal_rate(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/reopen", response=Detail)
def reopen(request: HttpRequest, appeal_id: int, payload: ReasonIn) -> Detail:
    services.appeal_reopen(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/extend", response=Detail)
def extend(request: HttpRequest, appeal_id: int, payload: ExtendIn) -> Detail:
    """延期: ``action`` request (the lead, with amount + unit + reason), approve or reject (a supervisor)."""
    services.appeal_extend(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/hold", response=Detail)
def hold(request: HttpRequest, appeal_id: int, payload: HoldIn) -> Detail:
    """缓办: ``action`` request, approve, reject or resume; the clock pauses while on hold."""
    services.appeal_hold(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/whistle", response=Detail)
def whistle(request: HttpRequest, appeal_id: int, payload: WhistleIn) -> Detail:
    services.appeal_whistle(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/report-in", response=Detail)
def report_in(request: HttpRequest, appeal_id: int, payload: StepIn) -> Detail:
    services.appeal_report_in(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/urge", response=Detail)
def urge(request: HttpRequest, appeal_id: int, payload: UrgeIn) -> Detail:
    services.appeal_urge(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)


@router.post("/appeals/{appeal_id}/close", response=Detail)
def close(request: HttpRequest, appeal_id: int, payload: StepIn) -> Detail:
    services.appeal_close(appeal_id=appeal_id, by=request.user, **payload.dict())
    return _after(request, appeal_id)
