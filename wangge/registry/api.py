from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from wangge.areas.models import Area
from wangge.core.downloads import download_response
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.ratelimit import RATE_LIMITED, rate_limit
from wangge.core.schemas import ErrorOut

from . import change_selectors, change_services, excel, export_jobs, selectors, services
from .change_schemas import RegistryChangeOut
from .paging import RegistryPagination
from .schemas import (
    BuildingIn,
    BuildingOut,
    BuildingPatch,
    HouseholdFilter,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    HouseIn,
    HouseOut,
    HousePatch,
    ImportOut,
    ResidentFilter,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    RevealIn,
    RevealOut,
)

router = Router(tags=["registry"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _area(request: HttpRequest, code: str) -> Area:
    """A grid the user may see; anything else is 'not found' (we do not reveal areas outside scope)."""
    area = Area.objects.visible_to(request.user).filter(code=code).first()
    if area is None:
        raise InvalidInput.field("area", "网格不存在或不在您的管辖范围内")
    return area


def _set(data: Any) -> dict[str, Any]:
    return {k: v for k, v in data.dict(exclude_unset=True).items()}


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return download_response(content, filename)  # the Chinese file name survives (core.downloads)


# --- buildings --------------------------------------------------------------------------------------


@router.get("/buildings", response=list[BuildingOut])
@paginate(LimitOffsetPagination)
def building_list(request: HttpRequest, q: str | None = None, area: str | None = None):  # type: ignore[no-untyped-def]
    return selectors.building_list(viewer=request.user, q=q, area=area)


@router.get("/buildings/{pk}", response={200: BuildingOut, **ERRORS})
def building_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return selectors.building_get(viewer=request.user, pk=pk)


@router.post("/buildings", response={201: BuildingOut, **ERRORS})
def building_create(request: HttpRequest, data: BuildingIn):  # type: ignore[no-untyped-def]
    fields = data.dict()
    area = _area(request, fields.pop("area"))
    return Status(201, services.building_create(area=area, by=request.user, **fields))


@router.patch("/buildings/{pk}", response={200: BuildingOut, **ERRORS})
def building_update(request: HttpRequest, pk: int, data: BuildingPatch):  # type: ignore[no-untyped-def]
    building = selectors.building_get(viewer=request.user, pk=pk)
    changes = _set(data)
    area = _area(request, changes.pop("area")) if "area" in changes else None
    return services.building_update(building=building, area=area, by=request.user, **changes)


# --- houses -----------------------------------------------------------------------------------------


@router.get("/houses", response=list[HouseOut])
@paginate(LimitOffsetPagination)
def house_list(  # type: ignore[no-untyped-def]
    request: HttpRequest, building: int | None = None, area: str | None = None, q: str | None = None
):
    return selectors.house_list(viewer=request.user, building=building, area=area, q=q)


@router.get("/houses/{pk}", response={200: HouseOut, **ERRORS})
def house_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return selectors.house_get(viewer=request.user, pk=pk)


@router.post("/houses", response={201: HouseOut, **ERRORS})
def house_create(request: HttpRequest, data: HouseIn):  # type: ignore[no-untyped-def]
    fields = data.dict()
    building = selectors.building_get(viewer=request.user, pk=fields.pop("building_id"))
    return Status(201, services.house_create(building=building, by=request.user, **fields))


@router.patch("/houses/{pk}", response={200: HouseOut, **ERRORS})
def house_update(request: HttpRequest, pk: int, data: HousePatch):  # type: ignore[no-untyped-def]
    house = selectors.house_get(viewer=request.user, pk=pk)
    return services.house_update(house=house, by=request.user, **_set(data))


# --- households -------------------------------------------------------------------------------------


@router.get("/households", response=list[HouseholdOut])
@paginate(RegistryPagination)
def household_list(request: HttpRequest, filters: Query[HouseholdFilter]):  # type: ignore[no-untyped-def]
    """Ordered by grid code and id. ``cursor`` (the previous page's ``next_cursor``) pages by key."""
    return selectors.household_list(viewer=request.user, **filters.dict())


@router.get("/households/{pk}", response={200: HouseholdOut, **ERRORS})
def household_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return selectors.household_get(viewer=request.user, pk=pk)


@router.post("/households", response={201: HouseholdOut, **ERRORS})
def household_create(request: HttpRequest, data: HouseholdIn):  # type: ignore[no-untyped-def]
    fields = data.dict()
    house = selectors.house_get(viewer=request.user, pk=fields.pop("house_id"))
    household = services.household_create(house=house, by=request.user, **fields)
    return Status(201, selectors.household_get(viewer=request.user, pk=household.pk))


@router.patch("/households/{pk}", response={200: HouseholdOut, 202: RegistryChangeOut, **ERRORS})
def household_update(request: HttpRequest, pk: int, data: HouseholdPatch):  # type: ignore[no-untyped-def]
    """Applied and recorded in the change log (200); 202 with the pending change when it touches what needs
    the community's approval (sensitive tags) and the caller may not approve."""
    household = selectors.household_get(viewer=request.user, pk=pk)
    change = change_services.record_edit(by=request.user, target=household, payload=_set(data))
    if change.status == "pending":
        return Status(202, change_selectors.change_get(viewer=request.user, pk=change.pk))
    return selectors.household_get(viewer=request.user, pk=pk)


# --- residents --------------------------------------------------------------------------------------


@router.get("/residents", response=list[ResidentOut])
@paginate(RegistryPagination)
def resident_list(request: HttpRequest, filters: Query[ResidentFilter]):  # type: ignore[no-untyped-def]
    """Ordered by grid code and id. ``cursor`` (the previous page's ``next_cursor``) pages by key; a deep
    ``offset`` is served from the scope index."""
    return selectors.resident_list(viewer=request.user, **filters.dict())


@router.get("/residents/import-template")
def resident_import_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(excel.template_workbook(), "居民信息导入模板.xlsx")


@router.post(
    "/residents/import", response={200: ImportOut, **ERRORS, 422: ImportOut | ErrorOut, **RATE_LIMITED}
)
@rate_limit("uploads")
def resident_import(request: HttpRequest, file: File[UploadedFile]):  # type: ignore[no-untyped-def]
    """All-or-nothing import of the flat sheet (.xlsx or .csv). 422 lists every row error."""
    try:
        result = excel.import_registry(file.read(), file.name or "", by=request.user)
    except excel.ImportFileError as exc:
        raise InvalidInput.field("file", str(exc)) from exc
    out = result.as_dict()
    out["annotated_url"] = (
        reverse("api:resident_import_annotated", args=[result.annotated]) if result.annotated else None
    )
    if not result.ok:
        out["detail"] = f"{len(result.errors)} 处错误，未导入任何数据"
    return Status(200 if result.ok else 422, out)


@router.get("/residents/import/annotated/{token}", url_name="resident_import_annotated")
def resident_import_annotated(request: HttpRequest, token: str) -> HttpResponse:
    """The annotated workbook of the caller's own failed import: bad cells in red, an error column."""
    try:
        content = excel.annotated_load(token, request.user.pk)
    except (FileNotFoundError, ValueError):
        raise NotFound("文件不存在或已过期") from None
    return _xlsx(content, "导入错误标注.xlsx")


@router.get("/residents/export")
def resident_export(request: HttpRequest, filters: Query[ResidentFilter]) -> HttpResponse:
    content = services.resident_export(by=request.user, filters=filters.dict())
    return _xlsx(content, "居民名单.xlsx")


class ResidentExportIn(Schema):
    q: str = Field("", max_length=64)
    id_number: str = Field("", max_length=64)
    phone: str = Field("", max_length=64)
    tag: str = Field("", max_length=64)
    area: str = Field("", max_length=64)
    residence_type: str = Field("", max_length=64)
    political_status: str = Field("", max_length=64)


class ResidentExportJobOut(Schema):
    id: int
    state: str
    status_url: str
    download_url: str
    page_url: str


@router.post("/residents/export-jobs", response={202: ResidentExportJobOut, 403: ErrorOut, 422: ErrorOut})
def resident_export_job(request: HttpRequest, payload: ResidentExportIn):  # type: ignore[no-untyped-def]
    """The masked resident export as a background job: poll ``status_url``, then fetch ``download_url``."""
    job = export_jobs.export_start(filters=payload.dict(), by=request.user)
    return Status(
        202,
        {
            "id": job.pk,
            "state": job.state,
            "status_url": f"/api/v1/jobs/{job.pk}",
            "download_url": f"/api/v1/jobs/{job.pk}/download",
            "page_url": reverse("core:job", args=[job.pk]),
        },
    )


@router.get("/residents/{pk}", response={200: ResidentOut, **ERRORS})
def resident_detail(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return selectors.resident_get(viewer=request.user, pk=pk)


@router.post("/residents", response={201: ResidentOut, **ERRORS})
def resident_create(request: HttpRequest, data: ResidentIn):  # type: ignore[no-untyped-def]
    fields = data.dict()
    household = selectors.household_get(viewer=request.user, pk=fields.pop("household_id"))
    resident = services.resident_create(household=household, by=request.user, **fields)
    return Status(201, selectors.resident_get(viewer=request.user, pk=resident.pk))


@router.patch("/residents/{pk}", response={200: ResidentOut, 202: RegistryChangeOut, **ERRORS})
def resident_update(request: HttpRequest, pk: int, data: ResidentPatch):  # type: ignore[no-untyped-def]
    """Applied and recorded in the change log (200); 202 with the pending change when it touches what needs
    the community's approval (ID number, sensitive tags) and the caller may not approve."""
    resident = selectors.resident_get(viewer=request.user, pk=pk)
    changes = _set(data)
    household = None
    if changes.get("household_id"):
        household = selectors.household_get(viewer=request.user, pk=changes.pop("household_id"))
    changes.pop("household_id", None)
    change = change_services.record_edit(
        by=request.user, target=resident, payload=changes, household=household
    )
    if change.status == "pending":
        return Status(202, change_selectors.change_get(viewer=request.user, pk=change.pk))
    return selectors.resident_get(viewer=request.user, pk=pk)


@router.post("/residents/{pk}/reveal", response={200: RevealOut, **ERRORS})
def resident_reveal(request: HttpRequest, pk: int, data: RevealIn):  # type: ignore[no-untyped-def]
    """The full ID number or phone of one resident (permission ``pii.reveal``); audited."""
    resident = selectors.resident_get(viewer=request.user, pk=pk)
    value = services.resident_reveal(resident=resident, field=data.field, by=request.user)
    return {"id": pk, "field": data.field, "value": value}
