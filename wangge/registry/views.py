"""Registry pages: resident/household/building lists and details, reveal, import, export. Thin: every
read goes through ``selectors``, every write through ``services`` (or the import engine)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from wangge.accounts.roles import user_can
from wangge.core.downloads import download_response
from wangge.core.errors import Forbidden
from wangge.core.pii import mask_id_number, mask_phone
from wangge.core.ratelimit import rate_limit

from . import excel, selectors, services
from . import jobs as import_jobs
from .models import HouseOwner, Resident
from .paging import KeysetPage, keyset_page

PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESIDENT_FILTERS = ("q", "id_number", "phone", "tag", "area", "residence_type", "political_status")


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return download_response(content, filename)  # the Chinese file name survives (core.downloads)


def _resident_filters(request: HttpRequest) -> dict[str, Any]:
    return {k: (request.GET.get(k) or "").strip() or None for k in RESIDENT_FILTERS}


def _rows(residents: Any, viewer: Any) -> list[dict[str, Any]]:
    return [
        {
            "r": r,
            "id_number": mask_id_number(r.id_number),
            "phone": mask_phone(r.phone),
            "tags": selectors.tags_of(r, viewer),
        }
        for r in residents
    ]


def _keyset(request: HttpRequest, qs: Any) -> tuple[KeysetPage, dict[str, str]]:
    """The page the request asks for (``after``/``before`` cursors, ``last=1``) and the links to the first,
    previous, next and last pages (the other query parameters kept)."""
    g = request.GET
    page = keyset_page(
        qs, after=g.get("after"), before=g.get("before"), last=g.get("last") == "1", size=PAGE_SIZE
    )
    base = request.GET.copy()
    for k in ("after", "before", "last", "page"):
        base.pop(k, None)
    rest = base.urlencode()

    def url(extra: str) -> str:
        return "?" + "&".join(p for p in (rest, extra) if p)

    links = {}
    if not page.is_first:
        links["first"] = url("")
        links["prev"] = url(f"before={page.prev_cursor}")
    if not page.is_last:
        links["next"] = url(f"after={page.next_cursor}")
        links["last"] = url("last=1")
    return page, links


@login_required
def residents(request: HttpRequest) -> HttpResponse:
    filters = _resident_filters(request)
    page, links = _keyset(request, selectors.resident_list(viewer=request.user, **filters))
    context = {
        "page": page,
        "links": links,
        "rows": _rows(page.rows, request.user),
        "filters": filters,
        "tags": selectors.tag_options(request.user),
        "residence_types": Resident.ResidenceType.choices,
        "politicals": [("party", "党员"), *Resident.Political.choices],
        "can_export": user_can(request.user, "registry.export"),
        "query": request.GET.urlencode(),
    }
    template = (
        "registry/_resident_rows.html" if getattr(request, "htmx", False) else "registry/residents.html"
    )
    return render(request, template, context)


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get(viewer=request.user, pk=pk)
    return render(
        request,
        "registry/resident_detail.html",
        {
            "r": resident,
            "id_number": mask_id_number(resident.id_number),
            "phone": mask_phone(resident.phone),
            "tags": selectors.tags_of(resident, request.user),
            "household_tags": selectors.tags_of(resident.household, request.user),
            "can_reveal": user_can(request.user, "pii.reveal"),
        },
    )


@login_required
@require_POST
def resident_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    resident = selectors.resident_get(viewer=request.user, pk=pk)
    value = services.resident_reveal(resident=resident, field=field, by=request.user)
    return render(request, "registry/_revealed.html", {"value": value, "field": field})


@login_required
def resident_export(request: HttpRequest) -> HttpResponse:
    content = services.resident_export(by=request.user, filters=_resident_filters(request))
    return _xlsx(content, "居民名单.xlsx")


@login_required
@require_POST
def resident_export_job(request: HttpRequest) -> HttpResponse:
    """Start the export of the filtered list (the query string) as a background job; go to its progress page."""
    from . import export_jobs

    job = export_jobs.export_start(filters=_resident_filters(request), by=request.user)
    url = reverse("core:job", args=[job.pk])
    if getattr(request, "htmx", False):
        response = HttpResponse(status=202)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
def households(request: HttpRequest) -> HttpResponse:
    filters = {k: (request.GET.get(k) or "").strip() or None for k in ("q", "area", "tag")}
    party = request.GET.get("party_center")
    qs = selectors.household_list(
        viewer=request.user,
        q=filters["q"],
        area=filters["area"],
        tag=filters["tag"],
        party_center=True if party == "1" else None,
    )
    page, links = _keyset(request, qs)
    rows = [
        {"h": h, "tags": selectors.tags_of(h, request.user)} for h in selectors.with_member_counts(page.rows)
    ]
    context = {
        "page": page,
        "links": links,
        "rows": rows,
        "filters": filters,
        "party_center": party == "1",
        "tags": selectors.tag_options(request.user),
    }
    template = (
        "registry/_household_rows.html" if getattr(request, "htmx", False) else "registry/households.html"
    )
    return render(request, template, context)


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(viewer=request.user, pk=pk)
    return render(
        request,
        "registry/household_detail.html",
        {
            "h": household,
            "tags": selectors.tags_of(household, request.user),
            "members": _rows(household.residents.all(), request.user),
            "owners": HouseOwner.objects.visible_to(request.user).filter(house_id=household.house_id),
        },
    )


@login_required
def buildings(request: HttpRequest) -> HttpResponse:
    filters = {k: (request.GET.get(k) or "").strip() or None for k in ("q", "area")}
    page = Paginator(selectors.building_list(viewer=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = (
        "registry/_building_rows.html" if getattr(request, "htmx", False) else "registry/buildings.html"
    )
    rows = selectors.with_house_counts(page.object_list)
    return render(request, template, {"page": page, "rows": rows, "filters": filters})


@login_required
@rate_limit("uploads")
def import_page(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, "registry.import"):
        raise Forbidden("无权导入人房信息")
    if request.method != "POST":
        return render(request, "registry/import.html", {"columns": excel.COLUMNS})
    upload = request.FILES.get("file")
    context: dict[str, Any] = {}
    if upload is None:
        context["file_error"] = "请选择要导入的文件"
    elif (upload.size or 0) > import_jobs.job_bytes():  # a large file: a job with a progress page
        job = import_jobs.import_start(upload.read(), upload.name or "", by=request.user)
        url = reverse("core:job", args=[job.pk])
        if getattr(request, "htmx", False):
            return HttpResponse(status=202, headers={"HX-Redirect": url})
        return HttpResponseRedirect(url, status=303)
    else:
        try:
            result = excel.import_registry(upload.read(), upload.name or "", by=request.user)
            context["result"] = result
            context["errors"] = [e.as_dict() for e in result.errors]
        except excel.ImportFileError as exc:
            context["file_error"] = str(exc)
    status = 200 if context.get("result") and context["result"].ok else 422
    template = "registry/_import_result.html" if getattr(request, "htmx", False) else "registry/import.html"
    context["columns"] = excel.COLUMNS
    return render(request, template, context, status=status)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, "registry.import"):
        raise Forbidden("无权导入人房信息")
    return _xlsx(excel.template_workbook(), "居民信息导入模板.xlsx")


@login_required
def import_annotated(request: HttpRequest, token: str) -> HttpResponse:
    """The annotated workbook of the user's own failed import (nobody else's)."""
    try:
        content = excel.annotated_load(token, request.user.pk)
    except (FileNotFoundError, ValueError):
        raise Http404("文件不存在或已过期") from None
    return _xlsx(content, "导入错误标注.xlsx")
